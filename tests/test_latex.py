"""Exact LaTeX of the LSTM's equations; every expected string is written by hand from the mathematics."""

import sympy as sp

from symlstm import cell
from symlstm.algebra import concat, hadamard, matmul, matrix, vector
from symlstm.printing.latex import latex, latex_equation
from symlstm.printing.text import text

LSTM = cell("lstm")


def equation(lhs_name: str) -> str:
    for assignment in LSTM.assignments:
        if assignment.lhs.name == lhs_name:
            return latex_equation(assignment.lhs, assignment.rhs)
    raise AssertionError(f"no equation for {lhs_name}")


def test_forget_gate_preactivation():
    assert equation("a_{f,t}") == r"a_{f,t} = W_f \begin{bmatrix} h_{t-1} \\ x_t \end{bmatrix} + b_f"


def test_forget_gate():
    assert equation("f_t") == r"f_t = \sigma\left(a_{f,t}\right)"


def test_cell_candidate_uses_tanh():
    assert equation("g_t") == r"g_t = \tanh\left(a_{g,t}\right)"


def test_cell_update():
    assert equation("c_t") == r"c_t = f_t \odot c_{t-1} + i_t \odot g_t"


def test_hidden_update():
    assert equation("h_t") == r"h_t = o_t \odot \tanh\left(c_t\right)"


def test_transpose_and_parenthesised_hadamard():
    n = sp.Symbol("n", integer=True, positive=True)
    W, u, v = matrix("W", n, n), vector("u", n), vector("v", n)
    assert latex(matmul(W.T, u)) == r"W^{\top} u"
    assert latex(hadamard(u + v, v)) == r"\left(u + v\right) \odot v"


def test_text_form_reads_like_the_math():
    n, m = sp.symbols("n m", integer=True, positive=True)
    stacked = concat(vector("h", n), vector("x", m))
    assert text(matmul(matrix("W", n, n + m), stacked)) == "W·[h; x]"
