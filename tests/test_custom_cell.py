"""A cell that is not built in — the minimal gated unit (Zhou et al., 2016) — written in a few lines with the
public builder gets its derivation, LaTeX, BPTT, claims and picture with no other code."""

import numpy as np
import pytest
import sympy as sp
from sympy import OneMatrix

import symlstm
from symlstm import CellBuilder, Sigmoid, Tanh
from symlstm.algebra import add, explicit, hadamard
from symlstm.claims.gradients import gradient_claims
from symlstm.graph import cell_graph


def mgu():
    """f = σ(W_f·[h; x] + b_f),  u = tanh(W_h·[f ⊙ h; x] + b_h),  h' = (1 − f) ⊙ h + f ⊙ u."""
    b = CellBuilder("mgu", "minimal gated unit")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x = b.input("x_t", m, "input")
    h = b.state("h", n, "hidden state")
    W_f, b_f = b.param("W_f", n, n + m, "forget gate weight"), b.param("b_f", n, 1, "forget gate bias")
    W_h, b_h = b.param("W_h", n, n + m, "candidate weight"), b.param("b_h", n, 1, "candidate bias")
    f = b.gate("f", weight=W_f, concat=[h, x], bias=b_f, function=Sigmoid, doc="forget gate")
    u = b.gate("u", weight=W_h, concat=[hadamard(f, h), x], bias=b_h, function=Tanh, doc="candidate",
               labels=["h", "x"])
    b.update(h, add(hadamard(add(OneMatrix(n, 1), -f), h), hadamard(f, u)))
    return b.build()


MGU = mgu()


def test_forward_numbers_match_numpy():
    rng = np.random.default_rng(5)
    n, m = 3, 2
    small = MGU.at(n=n, m=m)
    values = {"W_f": rng.normal(size=(n, n + m)), "W_h": rng.normal(size=(n, n + m)), "b_f": rng.normal(size=(n, 1)),
              "b_h": rng.normal(size=(n, 1)), "h_{t-1}": rng.normal(size=(n, 1)), "x_t": rng.normal(size=(m, 1))}
    numbers = {v.symbol: sp.Matrix(values[v.symbol.name]) for v in (*small.params, *small.inputs,
                                                                     *(s.previous for s in small.states))}
    got = explicit(small.expand(small.states[0].current.symbol).xreplace(numbers))
    h, x = values["h_{t-1}"], values["x_t"]
    f = 1 / (1 + np.exp(-(values["W_f"] @ np.vstack([h, x]) + values["b_f"])))
    u = np.tanh(values["W_h"] @ np.vstack([f * h, x]) + values["b_h"])
    np.testing.assert_allclose(np.array(got, dtype=float), (1 - f) * h + f * u, rtol=1e-12)


def test_bptt_is_derived_and_proved():
    gradients = symlstm.bptt(MGU)
    assert {s.name for s in gradients.outgoing.values()} == {r"\delta h_{t-1}"}
    for claim in gradient_claims(MGU, quick=True):
        assert claim.check().holds, f"{claim.name}: {claim.check().explanation}"


def test_the_derivation_document_is_written(tmp_path):
    derivation = symlstm.write_derivation(MGU, tmp_path, pictures=False)
    assert derivation.ok
    tex = (tmp_path / "mgu.tex").read_text()
    assert r"u_t &= \tanh\left(a_{u,t}\right)" in tex
    assert r"\begin{bmatrix} f_t \odot h_{t-1} \\ x_t \end{bmatrix}" in tex
    assert "Backpropagation through time" in (tmp_path / "mgu.md").read_text()


def test_the_cell_is_drawn_from_its_equations():
    graph = cell_graph(MGU)
    assert "σ" in graph.dot() and "tanh" in graph.dot()


def test_a_typo_in_a_custom_cell_is_named():
    b = CellBuilder("broken", "broken")
    n = b.size("n", "hidden")
    h = b.state("h", n, "hidden state")
    W = b.param("W", n, n + 1, "a weight one column too wide")
    with pytest.raises(symlstm.ShapeError, match="W"):
        b.gate("f", weight=W, concat=[h], bias=b.param("b", n, 1, "bias"), function=Sigmoid, doc="gate")


def test_the_generated_module_computes_the_cell_and_its_gradients():
    from symlstm.claims.generated import generated_claims

    module = symlstm.compile_numpy(MGU)
    rng = np.random.default_rng(9)
    n, m, T, B = 3, 2, 4, 2
    params = {k: rng.normal(size=shape) for k, shape in module.param_shapes(n=n, m=m).items()}
    xs, h0 = rng.normal(size=(T, B, m)), rng.normal(size=(B, n))
    hs = module.forward(params, xs, h0)
    # the same recurrence written here from the equations, in the cell's own parameters W_f, W_h (n, n+m)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = h0
    for t in range(T):
        f = sig(np.concatenate([h, xs[t]], axis=1) @ params["W_f"].T + params["b_f"])
        u = np.tanh(np.concatenate([f * h, xs[t]], axis=1) @ params["W_h"].T + params["b_h"])
        h = (1 - f) * h + f * u
        np.testing.assert_allclose(hs[t], h, rtol=1e-12)
    for claim in generated_claims(MGU):
        assert claim.check().holds, claim.check().explanation
