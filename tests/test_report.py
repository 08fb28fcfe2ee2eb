"""Progress and the summary table."""

import threading
import time

import pytest
import sympy as sp

from symlstm import report
from symlstm.claims.base import Claim, Verdict


class Fixed(Claim):
    def __init__(self, name, status, expected=True, wait=None):
        self.name, self.title, self.expected = name, name, expected
        self._status, self._wait = status, wait

    def statement(self):
        return "a = b"

    def _check(self):
        if self._wait is not None:
            self._wait.wait(5)
        if self._status == "raise":
            raise KeyError("c")
        if self._status == "sleep":
            time.sleep(5)
        return Verdict(self._status, "because", counterexample="x = 1" if self._status == "refuted" else "")


def test_table_marks_unexpected_verdicts():
    claims = [Fixed("good", "proved"), Fixed("fallacy", "refuted", expected=False), Fixed("bad", "unknown")]
    table = report.summary_table(claims).splitlines()
    assert table[2].split()[:3] == ["good", "proved", "ok"]
    assert table[3].split()[:5] == ["fallacy", "refuted", "(expected", "refuted)", "ok"]
    assert table[4].split()[:3] == ["bad", "unknown", "FAIL"]
    assert table[-1].startswith("2/3 claims as expected")


def test_progress_numbers_every_claim_in_order_before_checking_it():
    heard = []
    release = threading.Event()

    def progress(message):
        heard.append(message)
        release.set()  # the slow claim finishes only after its progress was announced

    claims = [Fixed("fast", "proved"), Fixed("slow", "proved", wait=release), Fixed("last", "refuted")]
    verdicts = report.check_all(claims, progress=progress)
    assert [v.status for v in verdicts] == ["proved", "proved", "refuted"]
    assert heard == ["[1/3] checking fast …", "[2/3] checking slow …", "[3/3] checking last …"]


def test_done_hears_every_claim():
    names = []
    report.check_all([Fixed("a", "proved"), Fixed("b", "refuted")], done=lambda c: names.append(c.name))
    assert names == ["a", "b"]


def test_a_claim_that_raises_is_an_error_verdict_and_the_report_goes_on():
    claims = [Fixed("broken", "raise"), Fixed("after", "proved")]
    verdicts = report.check_all(claims)
    assert [v.status for v in verdicts] == ["error", "proved"]
    assert verdicts[0].reason == "KeyError: 'c'"
    assert not verdicts[0].holds


def test_a_claim_past_its_budget_is_unknown():
    slow = Fixed("slow", "sleep")
    slow.budget = 0.2
    started = time.perf_counter()
    verdict = slow.check()
    assert time.perf_counter() - started < 3
    assert verdict.status == "unknown" and "budget" in verdict.reason


@pytest.mark.parametrize("status, fields", [("refuted", {}), ("proved at sizes", {}), ("checked", {}),
                                            ("believed", {})])
def test_a_verdict_states_what_its_word_needs(status, fields):
    with pytest.raises(ValueError):
        Verdict(status, "because", **fields)


def test_each_status_is_named_and_only_the_established_ones_hold():
    assert Verdict.proved("p").holds and Verdict.proved_at("p", sizes="n = 1").holds
    assert Verdict.checked("c", points=3, tolerance=1e-9, deviation=0.0).holds
    assert not Verdict.refuted("r", counterexample="n = 1").holds
    assert not Verdict.unknown("u").holds and not Verdict.error(ValueError("v")).holds
    assert Verdict.refuted("r", counterexample="at n = 1").explanation == "r: at n = 1"


def test_no_trial_sizes_cannot_prove():
    from symlstm.claims import EquivalenceClaim
    n = sp.Symbol("n", integer=True, positive=True)
    a = sp.MatrixSymbol("A", n, 1)
    claim = EquivalenceClaim("empty", "A = A", lambda s: (a.subs(n, s[n]), a.subs(n, s[n])), [n], trial_values=())
    assert claim.check().status == "unknown"


def test_an_identity_expansion_cannot_reduce_is_checked_not_refuted():
    from symlstm.claims import EquivalenceClaim
    from symlstm.functions import Sigmoid, Tanh, elementwise
    n = sp.Symbol("n", integer=True, positive=True)

    def build(sizes):
        z = sp.MatrixSymbol("z", sizes[n], 1)
        ones = sp.OneMatrix(sizes[n], 1)
        return elementwise(Tanh, z), 2 * elementwise(Sigmoid, 2 * z) - ones

    verdict = EquivalenceClaim("tanh-sigma", "tanh z = 2σ(2z) − 1", build, [n], trial_values=(1,)).check()
    assert verdict.status == "checked", verdict
    assert verdict.points == 20 and verdict.tolerance == 1e-25 and verdict.deviation <= 1e-25
    assert "20 random points" in verdict.reason and "largest deviation" in verdict.reason
