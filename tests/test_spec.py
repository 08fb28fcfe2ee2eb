"""The cell specification: shapes, concrete instances, the builder's checks, and the equations' numbers
against a separately written NumPy LSTM step."""

import numpy as np
import pytest
import sympy as sp

from symlstm import CellError, ShapeError, cell, known_cells
from symlstm.algebra import explicit, vector
from symlstm.builder import CellBuilder
from symlstm.cells import LSTM_GATES
from symlstm.functions import Sigmoid

LSTM = cell("lstm")


def test_sizes_are_positive_integer_symbols():
    n, m = LSTM.size("n"), LSTM.size("m")
    assert n.is_integer and n.is_positive and m.is_integer and m.is_positive


def test_every_gate_weight_is_n_by_n_plus_m():
    n, m = LSTM.size("n"), LSTM.size("m")
    assert [g.key for g in LSTM.gates] == list(LSTM_GATES)
    for gate in LSTM.gates:
        assert gate.weight.shape == (n, n + m)
        assert gate.bias.shape == (n, 1)
        assert gate.concat.shape == (n + m, 1)
        assert [b.shape for b in gate.weight_blocks] == [(n, n), (n, m)]


def test_states_and_equations():
    assert [(s.previous.symbol.name, s.current.symbol.name) for s in LSTM.states] == [
        ("h_{t-1}", "h_t"), ("c_{t-1}", "c_t")]
    assert all(isinstance(eq, sp.Equality) for eq in LSTM.equations)
    assert len(LSTM.equations) == 10


def test_concrete_instance_has_numeric_shapes():
    small = LSTM.at(n=2, m=3)
    assert small.gate("f").weight.shape == (2, 5)
    assert small.is_concrete and not LSTM.is_concrete


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_concrete_sizes_must_be_positive_integers(bad):
    with pytest.raises(CellError, match="positive integer"):
        LSTM.at(n=bad, m=1)


def test_unknown_cell_names_it_and_lists_known_ones():
    with pytest.raises(ValueError, match=r"'transformer'.*lstm"):
        cell("transformer")
    assert "lstm" in known_cells()


def test_gru_refuses_lstm_options():
    with pytest.raises(CellError, match="takes no peephole=True"):
        cell("gru", peephole=True)


def test_builder_rejects_undeclared_names_and_bad_shapes():
    b = CellBuilder("toy", "toy")
    n = b.size("n", "hidden")
    h = b.state("h", n, "state")
    with pytest.raises(CellError, match="y_t"):
        b.let("z_t", h + vector("y_t", n), "uses an undeclared name")
    with pytest.raises(ShapeError, match=r"h_\{t-1\}"):
        b.update(h, b.param("q", n + 1, 1, "wrong size"))
    with pytest.raises(CellError, match="never updates"):
        b.build()


def _numpy_lstm_step(W, b, h, x, c):
    """One LSTM step written directly from the PyTorch documentation (gates i, f, g, o)."""
    z = np.concatenate([h, x])
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    i, f, o = (sig(W[k] @ z + b[k]) for k in "ifo")
    g = np.tanh(W["g"] @ z + b["g"])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


@pytest.mark.parametrize(("n", "m"), [(1, 1), (2, 3), (3, 2)])
def test_equations_give_the_numbers_of_an_independent_lstm_step(n, m):
    rng = np.random.default_rng(n * 10 + m)
    small = LSTM.at(n=n, m=m)
    W = {k: rng.normal(size=(n, n + m)) for k in LSTM_GATES}
    b = {k: rng.normal(size=n) for k in LSTM_GATES}
    h, x, c = rng.normal(size=n), rng.normal(size=m), rng.normal(size=n)
    values = {small.gate(k).weight: sp.Matrix(W[k]) for k in LSTM_GATES}
    values.update({small.gate(k).bias: sp.Matrix(b[k]) for k in LSTM_GATES})
    state = {s.name: s.previous.symbol for s in small.states}
    values.update({state["h"]: sp.Matrix(h), state["c"]: sp.Matrix(c), small.inputs[0].symbol: sp.Matrix(x)})
    expected_h, expected_c = _numpy_lstm_step(W, b, h, x, c)
    for name, expected in (("h", expected_h), ("c", expected_c)):
        current = next(s.current.symbol for s in small.states if s.name == name)
        got = explicit(small.expand(current).xreplace(values))
        got = np.array([float(sp.N(e, 30)) for e in got])
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_expand_writes_a_gate_in_terms_of_inputs_and_parameters():
    f = LSTM.gate("f")
    expanded = LSTM.expand(f.activation)
    assert expanded.function.expr.func is Sigmoid
    assert {s.name for s in expanded.atoms(sp.MatrixSymbol)} == {"W_f", "b_f", "h_{t-1}", "x_t"}


def test_a_cell_repr_is_one_short_line():
    import symlstm
    for spec in (symlstm.cell("lstm"), symlstm.cell("gru"), symlstm.cell("lstm", proj_size=2).at(n=3, m=2)):
        shown = repr(spec)
        assert "\n" not in shown and len(shown) < 200, shown
        assert shown.startswith(f"<CellSpec {spec.name} (") and "states h" in shown
