"""bptt(cell): names, structure, and the LaTeX of the derived equations against hand-written strings."""

from __future__ import annotations

import pytest
import sympy as sp
from sympy import MatrixSymbol

import symlstm
from symlstm.algebra import add, matmul
from symlstm.bptt import at_time, bptt
from symlstm.builder import CellBuilder
from symlstm.errors import CellError
from symlstm.functions import Tanh, elementwise


@pytest.fixture(scope="module")
def lstm():
    return bptt(symlstm.cell("lstm"))


def named(d, name: str) -> MatrixSymbol:
    for symbol in list(d.adjoint_of.values()) + list(d.incoming.values()):
        if symbol.name == name:
            return symbol
    raise AssertionError(f"no adjoint named {name}")


# Written by hand from the LSTM equations (h = o ⊙ tanh c, c = f ⊙ c_{t-1} + i ⊙ g, σ' = σ(1 − σ),
# tanh' = 1 − tanh²), in the printer's conventions.
EXPECTED = {
    r"\delta o_t": r"\delta o_t = \delta h_t \odot \tanh\left(c_t\right)",
    r"\delta a_{o,t}": r"\delta a_{o,t} = \delta o_t \odot o_t \odot \left(\mathbf{1} - o_t\right)",
    r"\delta c_t": (r"\delta c_t = \delta c_t^{\mathrm{in}} + \delta h_t \odot o_t \odot "
                    r"\left(\mathbf{1} - \tanh\left(c_t\right)^{\circ {2}}\right)"),
    r"\delta f_t": r"\delta f_t = \delta c_t \odot c_{t-1}",
    r"\delta i_t": r"\delta i_t = \delta c_t \odot g_t",
    r"\delta g_t": r"\delta g_t = \delta c_t \odot i_t",
    r"\delta a_{g,t}": r"\delta a_{g,t} = \delta g_t \odot \left(\mathbf{1} - g_t^{\circ {2}}\right)",
    r"\delta c_{t-1}": r"\delta c_{t-1} = \delta c_t \odot f_t",
    r"\delta h_{t-1}": (r"\delta h_{t-1} = W_{ih}^{\top} \delta a_{i,t} + W_{fh}^{\top} \delta a_{f,t} + "
                        r"W_{gh}^{\top} \delta a_{g,t} + W_{oh}^{\top} \delta a_{o,t}"),
    r"\delta x_t": (r"\delta x_t = W_{ix}^{\top} \delta a_{i,t} + W_{fx}^{\top} \delta a_{f,t} + "
                    r"W_{gx}^{\top} \delta a_{g,t} + W_{ox}^{\top} \delta a_{o,t}"),
    r"\delta W_f": r"\delta W_f = \delta a_{f,t} \begin{bmatrix} h_{t-1} \\ x_t \end{bmatrix}^{\top}",
    r"\delta W_{fh}": r"\delta W_{fh} = \delta a_{f,t} h_{t-1}^{\top}",
    r"\delta W_{fx}": r"\delta W_{fx} = \delta a_{f,t} x_t^{\top}",
    r"\delta b_f": r"\delta b_f = \delta a_{f,t}",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_lstm_adjoint_equations_read_as_written_by_hand(lstm, name):
    assert lstm.equation(named(lstm, name)) == EXPECTED[name]


def test_lstm_interface_names(lstm):
    cell = lstm.cell
    assert {k: v.name for k, v in lstm.incoming.items()} == {"h": r"\delta h_t", "c": r"\delta c_t^{\mathrm{in}}"}
    assert {k: v.name for k, v in lstm.upstream.items()} == {"h": r"\bar{h}_t"}
    assert {k: v.name for k, v in lstm.outgoing.items()} == {"h": r"\delta h_{t-1}", "c": r"\delta c_{t-1}"}
    assert {k: v.name for k, v in lstm.input_adjoints.items()} == {"x": r"\delta x_t"}
    assert lstm.adjoint_of[cell.gate("f").activation].name == r"\delta f_t"
    assert lstm.adjoint_of[cell.gate("f").preactivation].name == r"\delta a_{f,t}"
    assert [r.state for r in lstm.recurrence] == ["h", "c"]
    assert lstm.recurrence[0].upstream is not None and lstm.recurrence[1].upstream is None


def test_step_is_in_evaluation_order_and_reads_only_forward_values_and_incoming(lstm):
    cell = lstm.cell
    available = {v.symbol for v in cell.variables} | set(lstm.incoming.values())
    available |= {b for view in lstm.views.values() for b in view.blocks}
    for assignment in lstm.step + lstm.parameter_step:
        assert assignment.rhs.atoms(MatrixSymbol) <= available, assignment.lhs
        assert assignment.rhs.shape == assignment.lhs.shape
        if assignment in lstm.step:
            available.add(assignment.lhs)
    defined = {a.lhs for a in lstm.step}
    intermediates = {v.symbol for v in cell.intermediates} - {s.current.symbol for s in cell.states}
    assert {lstm.adjoint_of[s] for s in intermediates} <= defined
    assert set(lstm.outgoing.values()) | set(lstm.input_adjoints.values()) <= defined


def test_weight_gradients_are_sums_with_block_forms(lstm):
    W_f = lstm.cell.gate("f").weight
    gradient = lstm.weight_gradients[W_f]
    assert gradient.latex() == (r"\frac{\partial \mathcal{L}}{\partial W_f} &= \sum_{t=1}^{T} "
                                r"\delta a_{f,t} \begin{bmatrix} h_{t-1} \\ x_t \end{bmatrix}^{\top}")
    assert [b.latex() for b in gradient.blocks] == [
        r"\frac{\partial \mathcal{L}}{\partial W_{fh}} &= \sum_{t=1}^{T} \delta a_{f,t} h_{t-1}^{\top}",
        r"\frac{\partial \mathcal{L}}{\partial W_{fx}} &= \sum_{t=1}^{T} \delta a_{f,t} x_t^{\top}",
    ]
    assert set(lstm.weight_gradients) == {p.symbol for p in lstm.cell.params}


def test_recurrence_latex(lstm):
    assert lstm.recurrence[0].latex() == (
        r"\delta h_t &= \bar{h}_t + \left[\delta h_{t-1}\right]_{t+1} \quad (t < T), "
        r"\qquad \delta h_T = \bar{h}_T + \bar{h}_T^{\mathrm{final}}")
    assert lstm.recurrence[1].latex() == (
        r"\delta c_t^{\mathrm{in}} &= \left[\delta c_{t-1}\right]_{t+1} \quad (t < T), "
        r"\qquad \delta c_T^{\mathrm{in}} = \bar{c}_T^{\mathrm{final}}")


def test_section_in_latex_and_markdown(lstm):
    tex, md = lstm.latex(), lstm.markdown()
    assert tex.startswith(r"\section{Backpropagation through time}")
    assert md.startswith("## Backpropagation through time")
    for text in (tex, md):
        assert r"\sum_{t=1}^{T}" in text and "Induction hypothesis" in text
        for name in (r"\delta o_t", r"\delta a_{o,t}"):
            assert EXPECTED[name].replace(" = ", " &= ", 1) in text
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}") == 7  # step, recurrence, 4 weights, biases


def test_identifiers_are_python_names_and_distinct(lstm):
    idents = list(lstm.idents.values())
    assert all(i.isidentifier() for i in idents)
    assert len(set(idents)) == len(idents)
    assert lstm.idents[lstm.incoming["c"]] == "dc_in"
    assert lstm.idents[lstm.outgoing["h"]] == "dh_prev"


def test_at_time():
    n = sp.Symbol("n")
    assert at_time(MatrixSymbol("h_{t-1}", n, 1), 3).name == "h_{2}"
    assert at_time(MatrixSymbol(r"\delta a_{f,t}", n, 1), "T").name == r"\delta a_{f,T}"
    assert at_time(MatrixSymbol(r"\delta c_t^{\mathrm{in}}", n, 1), 5).name == r"\delta c_5^{\mathrm{in}}"
    assert at_time(MatrixSymbol("W_f", n, n), 2).name == "W_f"


def test_unknown_output_state_is_named():
    with pytest.raises(CellError, match="no state"):
        bptt(symlstm.cell("lstm"), outputs=("q",))


def elman():
    b = CellBuilder("elman", "Elman RNN written without a concatenation")
    n = b.size("n", "hidden")
    x = b.input("x_t", n, "input")
    h = b.state("h", n, "hidden state")
    W, U, bias = b.param("W", n, n, "recurrent weight"), b.param("U", n, n, "input weight"), b.param("b", n, 1, "b")
    a = b.let("a_t", add(matmul(W, h), matmul(U, x), bias), "pre-activation")
    b.update(h, elementwise(Tanh, a))
    return b.build()


def test_any_cell_a_hand_built_rnn():
    d = bptt(elman())
    a = named(d, r"\delta a_t")
    assert d.equation(a) == r"\delta a_t = \delta h_t \odot \left(\mathbf{1} - h_t^{\circ {2}}\right)"
    assert d.equation(d.outgoing["h"]) == r"\delta h_{t-1} = W^{\top} \delta a_t"
    assert d.equation(d.input_adjoints["x"]) == r"\delta x_t = U^{\top} \delta a_t"
    assert d.views == {} and all(not g.blocks for g in d.weight_gradients.values())
