"""What ``verify`` and ``explain`` print (issue 16, finding 7): each claim once, aligned whatever the length of
its name, progress numbered without gaps, and help texts that show the form of each argument and its default."""

from __future__ import annotations

import re

import pytest

from symlstm import cli
from symlstm.claims.base import Claim, Verdict
from symlstm.errors import ShapeError
from symlstm.explain import explain


class Fixed(Claim):
    def __init__(self, name, status, expected=True):
        self.name, self.title, self.expected, self._status = name, name, expected, status

    def statement(self):
        return "a = b"

    def _check(self):
        return Verdict(self._status, "because", counterexample="x = 1" if self._status == "refuted" else "")


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_verify_prints_each_claim_once_aligned(capsys, monkeypatch):
    claims = [Fixed("short", "proved"), Fixed("a-claim-name-longer-than-twenty-eight-characters", "proved"),
              Fixed("fallacy", "refuted", expected=False)]
    monkeypatch.setattr(cli, "claims_for", lambda cell: claims)
    status, out, err = run(capsys, "verify")
    assert status == 0 and err == ""
    for claim in claims:
        assert len(re.findall(rf"\b{re.escape(claim.name)}\b", out)) == 1, out
    lines = [line for line in out.splitlines() if line.startswith("ok")]
    assert len(lines) == 3
    assert len({line.index(status) for line, status in zip(lines, ["proved", "proved", "refuted"])}) == 1, lines
    assert out.rstrip().splitlines()[-1].startswith("3/3 claims as expected")


def test_derive_progress_numbers_every_claim(capsys, monkeypatch, tmp_path):
    from symlstm import derivation

    claims = [Fixed(f"c{k}", "proved") for k in range(1, 5)]
    monkeypatch.setattr(derivation, "claims_for", lambda cell: claims)
    status, _, err = run(capsys, "derive", "--out", str(tmp_path), "--no-pictures")
    assert status == 0
    assert re.findall(r"\[(\d+)/4\]", err) == ["1", "2", "3", "4"]


def test_one_row_is_said_in_the_singular():
    with pytest.raises(ShapeError, match="its 1 row fits h"):
        explain([[1, 2]], [1], [1, 1], [0])


@pytest.mark.parametrize("argv, wanted", [
    (["explain", "--help"], ["seed question's example", "[[0, 1, 0, 1], [2, 3, 2, 3]]", "(default: f)"]),
    (["codegen", "--help"], ["(default: float64)"]),
    (["derive", "--help"], ["(default: out)"]),
])
def test_help_shows_the_form_and_default_of_each_argument(capsys, argv, wanted):
    assert cli.main(argv) == 0
    shown = " ".join(capsys.readouterr().out.split())
    for text in wanted:
        assert " ".join(text.split()) in shown, (text, shown)
