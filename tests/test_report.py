"""Progress and the summary table."""

import threading

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
        return Verdict(self._status, "because")


def test_table_marks_unexpected_verdicts():
    claims = [Fixed("good", "proved"), Fixed("fallacy", "refuted", expected=False), Fixed("bad", "unproved")]
    table = report.summary_table(claims).splitlines()
    assert table[2].split()[:3] == ["good", "proved", "ok"]
    assert table[3].split()[:5] == ["fallacy", "refuted", "(expected", "refuted)", "ok"]
    assert table[4].split()[:3] == ["bad", "unproved", "FAIL"]
    assert table[-1].startswith("2/3 claims as expected")


def test_progress_is_announced_for_a_slow_claim(monkeypatch):
    monkeypatch.setattr(report, "PROGRESS_AFTER", 0.01)
    release = threading.Event()
    heard = []

    def progress(message):
        heard.append(message)
        release.set()  # the claim finishes only after progress was announced

    verdicts = report.check_all([Fixed("slow", "proved", wait=release)], progress=progress)
    assert verdicts[0].holds
    assert heard == ["[1/1] checking slow …"]


def test_done_hears_every_claim():
    names = []
    report.check_all([Fixed("a", "proved"), Fixed("b", "refuted")], done=lambda c: names.append(c.name))
    assert names == ["a", "b"]
