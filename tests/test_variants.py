"""LSTM variants and the GRU: each cell's equations give the numbers of a NumPy step written here
from the frameworks' documentation (ONNX/TFLite peepholes and CIFG, PyTorch projection and GRU)."""

import numpy as np
import pytest
import sympy as sp

from symlstm import cell
from symlstm.algebra import explicit
from symlstm.cells import gru


def sig(a):
    return 1 / (1 + np.exp(-a))


def lstm_step(P, h, x, c, *, peephole=False, cifg=False, proj=False):
    """ONNX LSTM semantics (peepholes P_i, P_f on c_{t-1}, P_o on c_t; input_forget couples i = 1 − f)."""
    z = np.concatenate([h, x])
    pre = {k: P[f"W_{k}"] @ z + P[f"b_{k}"] for k in "ifgo" if f"W_{k}" in P}
    f = sig(pre["f"] + (P["p_f"] * c if peephole else 0))
    i = 1 - f if cifg else sig(pre["i"] + (P["p_i"] * c if peephole else 0))
    g = np.tanh(pre["g"])
    c_new = f * c + i * g
    o = sig(pre["o"] + (P["p_o"] * c_new if peephole else 0))
    h_new = o * np.tanh(c_new)
    return (P["W_{hr}"] @ h_new if proj else h_new), c_new


def gru_step(P, h, x, *, reset_after=True):
    """torch.nn.GRUCell: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); Cho et al.: W_hn (r ⊙ h)."""
    z_ = np.concatenate([h, x])
    r = sig(P["W_r"] @ z_ + P["b_r"])
    z = sig(P["W_z"] @ z_ + P["b_z"])
    recurrent = r * (P["W_{nh}"] @ h + P["b_{hn}"]) if reset_after else P["W_{nh}"] @ (r * h) + P["b_{hn}"]
    n = np.tanh(P["W_{nx}"] @ x + P["b_{in}"] + recurrent)
    return (1 - z) * n + z * h


def evaluate(spec, rng, sizes):
    """Random values for every input, state and parameter; the cell's new states evaluated by SymPy."""
    concrete = spec.at(**sizes)
    values = {}
    for var in (*concrete.inputs, *(s.previous for s in concrete.states), *concrete.params):
        rows, cols = (int(d) for d in var.shape)
        is_vector = cols == 1 and not var.symbol.name.startswith("W")  # W_{hr} is p×n, a matrix even when n = 1
        values[var.symbol.name] = rng.normal(size=rows) if is_vector else rng.normal(size=(rows, cols))
    numbers = {var.symbol: sp.Matrix(values[var.symbol.name]).reshape(*(int(d) for d in var.shape)) for var in
               (*concrete.inputs, *(s.previous for s in concrete.states), *concrete.params)}
    out = {}
    for state in concrete.states:
        got = explicit(concrete.expand(state.current.symbol).xreplace(numbers))
        out[state.name] = np.array([float(sp.N(e, 30)) for e in got])
    return values, out


@pytest.mark.parametrize("options", [dict(peephole=True), dict(cifg=True), dict(peephole=True, cifg=True),
                                     dict(proj_size=2), dict(peephole=True, proj_size=3)])
@pytest.mark.parametrize(("n", "m"), [(1, 1), (3, 2)])
def test_lstm_variant_numbers(options, n, m):
    rng = np.random.default_rng(7 * n + m)
    spec = cell("lstm", **options)
    values, out = evaluate(spec, rng, {"n": n, "m": m})
    h_new, c_new = lstm_step(values, values["h_{t-1}"], values["x_t"], values["c_{t-1}"],
                             peephole=options.get("peephole", False), cifg=options.get("cifg", False),
                             proj=bool(options.get("proj_size")))
    np.testing.assert_allclose(out["h"], h_new, rtol=1e-12)
    np.testing.assert_allclose(out["c"], c_new, rtol=1e-12)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize(("n", "m"), [(1, 1), (2, 3)])
def test_gru_numbers(reset_after, n, m):
    rng = np.random.default_rng(n + 10 * m)
    values, out = evaluate(gru(reset_after=reset_after), rng, {"n": n, "m": m})
    expected = gru_step(values, values["h_{t-1}"], values["x_t"], reset_after=reset_after)
    np.testing.assert_allclose(out["h"], expected, rtol=1e-12)


def test_variant_shapes():
    n, m = sp.symbols("n m", integer=True, positive=True)
    proj = cell("lstm", proj_size=4)
    p = proj.size("p")
    assert proj.gate("f").weight.shape == (n, p + m)
    assert proj.states[0].previous.symbol.shape == (p, 1)
    assert proj.at(n=2, m=3).states[0].previous.symbol.shape == (4, 1)  # p defaults to proj_size
    peep = cell("lstm", peephole=True)
    assert {v.symbol.name for v in peep.params} >= {"p_i", "p_f", "p_o"}
    assert "W_i" not in {v.symbol.name for v in cell("lstm", cifg=True).params}
    assert [g.key for g in cell("lstm", peephole=True).gates] == ["i", "f", "g", "o"]


def test_peephole_output_gate_reads_the_new_cell_state():
    peep = cell("lstm", peephole=True)
    a_o = peep.definition(peep.gate("o").preactivation)
    assert sp.MatrixSymbol("c_t", *peep.states[1].current.symbol.shape) in a_o.atoms(sp.MatrixSymbol)
