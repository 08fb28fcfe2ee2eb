"""Issue 14, finding 15: ``symlstm verify|derive|codegen FILE.py:NAME`` for a cell in the user's own file, with
one-line errors naming the file, the name or the type."""

import textwrap

import pytest

from symlstm import cli
from symlstm.userfile import UserFileError, is_user_cell, load_cell

CELLS = textwrap.dedent('''
    from symlstm import CellBuilder, Tanh
    from symlstm.functions import ReLU

    def rnn(function=Tanh):
        b = CellBuilder("rnn", "Elman RNN")
        k, d = b.size("k", "hidden"), b.size("d", "input")
        u = b.input("u_t", d, "input")
        s = b.state("s", k, "hidden state")
        W, bias = b.param("W", k, k + d, "weight"), b.param("b", k, 1, "bias")
        b.update(s, b.gate("v", weight=W, concat=[s, u], bias=bias, function=function, doc="candidate"))
        return b.build()

    RELU = rnn(ReLU)
    number = 3

    def needs(a):
        return a

    def wrong():
        return "lstm"
''')


@pytest.fixture
def cells(tmp_path, monkeypatch):
    (tmp_path / "cells.py").write_text(CELLS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_function_or_a_cell_in_the_file_is_loaded(cells):
    assert load_cell("cells.py:rnn").name == "rnn"
    assert load_cell(str(cells / "cells.py") + ":RELU").gates[0].function.__name__ == "ReLU"
    assert is_user_cell("cells.py:rnn") and not is_user_cell("lstm")


@pytest.mark.parametrize(("argument", "needle"), [
    ("missing.py:rnn", "cell file 'missing.py' does not exist"),
    ("cells.py:nothing", "has no 'nothing'; it defines RELU, rnn, wrong"),
    ("cells.py:number", "number in 'cells.py' is of type int, not a CellSpec"),
    ("cells.py:needs", "must take no arguments"),
    ("cells.py:wrong", "wrong() in 'cells.py' returned str, not a CellSpec"),
])
def test_what_is_not_a_cell_is_named(cells, capsys, argument, needle):
    with pytest.raises(UserFileError, match="."):
        load_cell(argument)
    status, _, err = run(capsys, "verify", argument)
    assert status == 2 and err.count("\n") == 1 and needle in err, err


def test_a_broken_file_is_one_line(cells, capsys):
    (cells / "broken.py").write_text("def f(:\n")
    (cells / "raises.py").write_text("raise RuntimeError('not today')\n")
    assert "syntax error at line 1" in run(capsys, "verify", "broken.py:f")[2]
    assert "RuntimeError: not today" in run(capsys, "verify", "raises.py:f")[2]


def test_lstm_options_are_refused_for_a_file_cell(cells, capsys):
    status, _, err = run(capsys, "verify", "cells.py:rnn", "--peephole")
    assert status == 2 and "--peephole: only for the built-in LSTM" in err


def test_codegen_of_a_file_cell(cells, capsys):
    status, out, _ = run(capsys, "codegen", "cells.py:rnn", "-o", "rnn_numpy.py")
    assert status == 0 and "wrote rnn_numpy.py" in out
    assert "for the cell 'rnn'" in (cells / "rnn_numpy.py").read_text()


def test_verify_of_a_file_cell(cells, capsys, monkeypatch):
    from symlstm import verification
    monkeypatch.setattr(cli, "claims_for", lambda cell: verification.forward_claims(cell)
                        + verification.function_claims(cell))
    status, out, _ = run(capsys, "verify", "cells.py:RELU")
    assert status == 0 and "derivative[relu]" in out and "claims as expected" in out


def test_the_help_says_the_file_is_run(capsys):
    status, out, _ = run(capsys, "verify", "--help")
    assert status == 0 and "FILE.py:NAME" in out and "runs FILE.py" in out
