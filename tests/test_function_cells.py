"""Every function of the table in a cell: BPTT derives, and the generated module (float64 and float32,
fused and unfused) matches a NumPy step written here from the function's definition, its gradients match
central differences, and |z| = 1e4 stays finite with no warning.

The RNN-like cell is ``h_t = φ(W·[h_{t-1}; x_t] + b)``; its module takes its own parameters W (n, n+m) and
b (n,), so the reference step is ``h = φ([h, x]·Wᵀ + b)`` on (B, k) rows.
"""

import warnings

import numpy as np
import pytest
import sympy as sp
from finite_differences import central_differences
from sympy import OneMatrix

import symlstm
from symlstm import CellBuilder
from symlstm.algebra import add, hadamard
from symlstm.claims.functions import table_functions
from symlstm.codegen import compile_numpy
from symlstm.functions import Derivative, Exp, IdentityFunction, Sigmoid, definition, elementwise
from symlstm.printing.text import text

FUNCTIONS = table_functions()
IDS = [f.text() for f in FUNCTIONS]
z = sp.Symbol("z", real=True)


def rnn(function):
    b = CellBuilder("phi_rnn", "h_t = φ(W·[h; x] + b)")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h = b.input("x_t", m, "input"), b.state("h", n, "hidden state")
    W, bias = b.param("W", n, n + m, "weight"), b.param("b", n, 1, "bias")
    b.update(h, b.gate("u", weight=W, concat=[h, x], bias=bias, function=function, doc="candidate"))
    return b.build()


def lstm_like(function):
    """The LSTM with φ for the candidate and for c_t's output: c = f ⊙ c + i ⊙ φ(a_g), h = o ⊙ φ(c)."""
    b = CellBuilder("phi_lstm", "LSTM with φ")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h, c = b.input("x_t", m, "input"), b.state("h", n, "hidden state"), b.state("c", n, "cell state")
    gates = {}
    for key in "ifgo":
        W, bias = b.param(f"W_{key}", n, n + m, "weight"), b.param(f"b_{key}", n, 1, "bias")
        gates[key] = b.gate(key, weight=W, concat=[h, x], bias=bias, function=function if key == "g" else Sigmoid,
                            doc=f"gate {key}")
    c_t = b.update(c, add(hadamard(gates["f"], c), hadamard(gates["i"], gates["g"])))
    b.update(h, hadamard(gates["o"], elementwise(function, c_t)))
    return b.build()


def reference_forward(function, params, xs, h0):
    """The RNN written by hand, φ from its definition (SymPy's lambdify to NumPy, float64)."""
    phi = sp.lambdify(z, definition(function, z), "numpy")
    h, hs = h0.astype(np.float64), []
    p = {k: v.astype(np.float64) for k, v in params.items()}
    for x in xs.astype(np.float64):
        pre = np.concatenate([h, x], axis=1) @ p["W"].T + p["b"]
        h = np.asarray(phi(pre), np.float64) * np.ones_like(pre)
        hs.append(h)
    return np.stack(hs)


def problem(module, dtype, scale=1.0, seed=3):
    rng = np.random.default_rng(seed)
    T, B, n, m = 4, 3, 3, 2
    params = {k: (scale * rng.normal(size=s) * 0.6).astype(dtype) for k, s in module.param_shapes(n, m).items()}
    xs = rng.normal(size=(T, B, m)).astype(dtype)
    h0 = rng.normal(size=(B, n)).astype(dtype) * 0.5
    dhs = rng.normal(size=(T, B, n)).astype(dtype)
    return params, xs, h0, dhs


@pytest.mark.parametrize("function", FUNCTIONS, ids=IDS)
def test_bptt_of_an_lstm_like_cell(function):
    cell = lstm_like(function)
    gradients = symlstm.bptt(cell)
    step = {a.lhs.name: text(a.rhs) for a in gradients.step}
    if isinstance(sp.diff(function(z), z), Derivative):  # relu'(a_g): from the pre-activation
        assert f"{function.text()}′(a_{{g,t}})" in step[r"\delta a_{g,t}"], step
    module = compile_numpy(cell, "float64")
    params, xs, h0, dhs = problem(module, np.float64, scale=0.5)
    n = h0.shape[1]
    c0 = np.zeros_like(h0) + 0.1
    hs, cs, grads = module.forward_backward(params, xs, dhs, h0, c0)

    def loss(values):
        hs_, _ = module.forward({k: values[k] for k in params}, values["xs"], values["h0"], values["c0"])
        return float(np.sum(dhs * hs_))

    values = {**{k: v.copy() for k, v in params.items()}, "xs": xs.copy(), "h0": h0.copy(), "c0": c0.copy()}
    numeric = central_differences(loss, values)
    for name, expected in numeric.items():
        np.testing.assert_allclose(grads[name], expected, rtol=1e-6, atol=1e-8, err_msg=f"{function.text()} {name}")
    assert cs.shape == hs.shape == (xs.shape[0], xs.shape[1], n)


@pytest.mark.parametrize("fuse", [False, True], ids=["numpy", "fused"])
@pytest.mark.parametrize("function", FUNCTIONS, ids=IDS)
def test_generated_rnn_matches_the_definition_and_central_differences(function, fuse):
    if fuse:
        pytest.importorskip("numba")
    modules = {dtype: compile_numpy(rnn(function), dtype, fuse=fuse) for dtype in ("float64", "float32")}
    params, xs, h0, dhs = problem(modules["float64"], np.float64, scale=0.3 if function is Exp else 1.0)
    expected = reference_forward(function, params, xs, h0)
    hs, grads = modules["float64"].forward_backward(params, xs, dhs, h0)
    np.testing.assert_allclose(hs, expected, rtol=1e-12, atol=1e-12)

    def loss(values):
        return float(np.sum(dhs * modules["float64"].forward({k: values[k] for k in params}, values["xs"],
                                                             values["h0"])))

    values = {**{k: v.copy() for k, v in params.items()}, "xs": xs.copy(), "h0": h0.copy()}
    for name, numeric in central_differences(loss, values).items():
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-8, err_msg=f"{function.text()} {name}")

    cast = [{k: v.astype(np.float32) for k, v in params.items()}, xs.astype(np.float32), dhs.astype(np.float32),
            h0.astype(np.float32)]
    hs32, grads32 = modules["float32"].forward_backward(cast[0], cast[1], cast[2], cast[3])
    assert hs32.dtype == np.float32 and all(g.dtype == np.float32 for g in grads32.values())
    np.testing.assert_allclose(hs32, hs, rtol=2e-4, atol=2e-5)
    for name in grads:
        np.testing.assert_allclose(grads32[name], grads[name], rtol=2e-3, atol=2e-4, err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("function", FUNCTIONS, ids=IDS)
def test_huge_preactivations_are_finite_with_no_warning(function, dtype):
    module = compile_numpy(rnn(function), dtype)
    params, xs, h0, dhs = problem(module, dtype)
    n = params["W"].shape[0]
    params["W"][:, :n] = 0  # a_t = W_x·x_t + b: |a| about 1e4 at every step
    params["W"][:, n:] = np.array([[1e4, 0], [0, -1e4], [1e4, -1e4]], dtype)
    if function is Exp:
        params["W"][:] = -abs(params["W"])  # e^(+1e4) is not a number in any dtype
        xs = abs(xs)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        hs, grads = module.forward_backward(params, xs, dhs, h0)
    assert np.all(np.isfinite(hs)) and all(np.all(np.isfinite(g)) for g in grads.values())
    if function is IdentityFunction:
        np.testing.assert_allclose(hs[0], xs[0] @ params["W"][:, n:].T + params["b"], rtol=1e-6)


def test_a_cell_with_an_unknown_function_is_refused_when_built():
    x = sp.Symbol("x")
    with pytest.raises(symlstm.CellError, match=r"gate 'u'.*sin.*it knows: identity, sigmoid, tanh, relu"):
        rnn(sp.sin)
    with pytest.raises(symlstm.CellError, match=r"Lambda\(x, x\*\*2\)"):
        rnn(sp.Lambda(x, x**2))
    b = CellBuilder("bad", "bad")
    n = b.size("n", "hidden")
    h = b.state("h", n, "hidden")
    with pytest.raises(symlstm.CellError, match=r"equation h_t.*Abs"):
        b.update(h, elementwise(sp.Abs, h))


def test_sympy_functions_in_a_cell_become_the_tables():
    x = sp.Symbol("x")
    assert rnn(sp.Lambda(x, x)).gates[0].function is IdentityFunction
    assert rnn(sp.exp).gates[0].function is Exp
    b = CellBuilder("ok", "ok")
    n = b.size("n", "hidden")
    h = b.state("h", n, "hidden")
    b.update(h, add(elementwise(sp.tanh, h), OneMatrix(n, 1)))
    assert "tanh(h_{t-1})" in text(b.build().assignments[-1].rhs)
