"""Arguments are checked before any work (issue 16, finding 6): a bad ``--out``, ``--picture`` or ``--gate`` is
one error line and exit 2, with nothing checked, printed or written first."""

from __future__ import annotations

import pytest

from symlstm import cli, derivation, shapes_picture


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if derive starts checking claims."""
    def claims_for(cell):
        raise AssertionError("derive checked claims before its --out was known to be usable")

    monkeypatch.setattr(derivation, "claims_for", claims_for)


def test_derive_into_an_existing_file_fails_before_any_claim_is_checked(capsys, tmp_path, no_work):
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    status, out, err = run(capsys, "derive", "--out", str(existing))
    assert status == 2 and out == ""
    assert err.startswith("symlstm: error: ") and str(existing) in err and len(err.splitlines()) == 1
    assert existing.read_text() == "mine"


@pytest.mark.parametrize("picture", ["x.pdf", "x"])
def test_explain_refuses_a_picture_it_cannot_write_before_the_walkthrough(capsys, tmp_path, picture):
    status, out, err = run(capsys, "explain", "--picture", str(tmp_path / picture))
    assert status == 2 and out == ""
    assert "written as .svg or .png" in err and picture in err
    assert list(tmp_path.iterdir()) == []


def test_explain_refuses_a_png_without_rsvg_before_the_walkthrough(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(shapes_picture, "which", lambda tool: None)
    seed = tmp_path / "seed.png"
    status, out, err = run(capsys, "explain", "--picture", str(seed))
    assert status == 2 and out == ""
    assert "rsvg-convert" in err and "seed.svg" in err
    assert list(tmp_path.iterdir()) == []


def test_explain_refuses_an_unknown_gate_before_printing(capsys):
    status, out, err = run(capsys, "explain", "--gate", "z")
    assert status == 2 and out == ""
    assert "--gate" in err and "'z'" in err
