"""Issue 14, findings 5 and 14: cells the builder accepts that the generator refused or broke now generate, and
agree with the cell's step written here in NumPy and central differences of it, unfused and fused."""

import numpy as np
import pytest
import sympy as sp
from codegen_check import check_module, sigmoid
from sympy import OneMatrix

from symlstm import CellBuilder, Sigmoid, Tanh
from symlstm.algebra import add, concat, hadamard, matmul
from symlstm.functions import ReLU, Softplus, elementwise

SIZES = {"n": 3, "m": 2}
FUSE = [False, pytest.param(True, marks=pytest.mark.filterwarnings("ignore"))]


def _start(name, with_input=True):
    b = CellBuilder(name, name)
    n = b.size("n", "hidden")
    m = b.size("m", "input") if with_input else None
    x = b.input("x_t", m, "input") if with_input else None
    return b, n, m, x, b.state("h", n, "hidden state")


def _pre(P, x, h):
    """W·[h; x] + b in the cell's own parameters: W (n, n+m), b (n,)."""
    return np.concatenate([h, x], axis=1) @ P["W"].T + P["b"]


@pytest.mark.parametrize("fuse", FUSE)
@pytest.mark.parametrize("constant", [sp.Float(1.0), sp.Rational(1, 2), sp.Integer(3)])
def test_a_constant_forget_bias(constant, fuse):
    """f = σ(W·[h; x] + b + c·𝟏), h_t = f ⊙ h + 1 − f: a float forget bias (c = 1.0) failed fused."""
    b, n, m, x, h = _start("forget_bias")
    W, bias = b.param("W", n, n + m, "weight"), b.param("b", n, 1, "bias")
    f = b.gate("f", weight=W, concat=[h, x], bias=bias, function=Sigmoid, doc="forget",
               extra=(constant * OneMatrix(n, 1),))
    b.update(h, add(hadamard(f, h), add(OneMatrix(n, 1), -f)))
    c = float(constant)

    def step(P, x, s):
        f = sigmoid(_pre(P, x, s["h"]) + c)
        return {"h": f * s["h"] + 1 - f}
    check_module(b.build(), step, SIZES, fuse=fuse)


@pytest.mark.parametrize("fuse", FUSE)
def test_a_constant_inside_a_sigmoid(fuse):
    b, n, m, x, h = _start("c_one")
    W = b.param("W", n, m, "weight")
    v = b.let("v_t", elementwise(Sigmoid, add(matmul(W, x), sp.Rational(-3, 2) * OneMatrix(n, 1))), "v")
    b.update(h, hadamard(v, h))
    check_module(b.build(), lambda P, x, s: {"h": sigmoid(x @ P["W"].T - 1.5) * s["h"]}, SIZES, fuse=fuse)


def indrnn(function=ReLU):
    """IndRNN (Li et al., 2018): h_t = φ(W·x_t + u ⊙ h_{t-1} + b) with a diagonal recurrent weight u (n, 1)."""
    b, n, m, x, h = _start("indrnn")
    W, u, bias = b.param("W", n, m, "input weight"), b.param("u", n, 1, "recurrent weight"), b.param("b", n, 1, "bias")
    b.update(h, elementwise(function, add(matmul(W, x), hadamard(u, h), bias)))
    return b.build()


@pytest.mark.parametrize("fuse", FUSE)
@pytest.mark.parametrize("function, phi", [(ReLU, lambda z: np.maximum(z, 0)),
                                           (Softplus, lambda z: np.log1p(np.exp(z)))])
def test_a_diagonal_recurrent_weight(function, phi, fuse):
    module = check_module(indrnn(function), lambda P, x, s: {"h": phi(x @ P["W"].T + P["u"] * s["h"] + P["b"])},
                          SIZES, fuse=fuse)
    assert module.PARAMS["u"] == ("n",)  # a column is a 1-D array


@pytest.mark.parametrize("fuse", FUSE)
def test_a_gate_over_the_input_only(fuse):
    b, n, m, x, h = _start("one_block_x")
    W, bias = b.param("W", n, m, "weight"), b.param("b", n, 1, "bias")
    f = b.gate("f", weight=W, concat=[x], bias=bias, function=Sigmoid, doc="f")
    b.update(h, hadamard(f, h))
    check_module(b.build(), lambda P, x, s: {"h": sigmoid(x @ P["W"].T + P["b"]) * s["h"]}, SIZES,
                 fuse=fuse)


@pytest.mark.parametrize("fuse", FUSE)
def test_a_gate_over_the_state_only(fuse):
    b, n, m, x, h = _start("one_block_h")
    W, bias, V = b.param("W", n, n, "weight"), b.param("b", n, 1, "bias"), b.param("V", n, m, "input weight")
    f = b.gate("f", weight=W, concat=[h], bias=bias, function=Tanh, doc="f")
    b.update(h, add(f, matmul(V, x)))
    check_module(b.build(), lambda P, x, s: {"h": np.tanh(s["h"] @ P["W"].T + P["b"]) + x @ P["V"].T},
                 SIZES, fuse=fuse)


@pytest.mark.parametrize("fuse", FUSE)
def test_a_concatenation_outside_a_gate(fuse):
    b, n, m, x, h = _start("concat")
    W, V = b.param("W", n, n + m, "weight"), b.param("V", n, m, "input weight")
    z = b.let("z_t", concat(h, x), "z")
    b.update(h, add(elementwise(Tanh, matmul(W, z)), matmul(V, x)))
    check_module(b.build(), lambda P, x, s: {"h": np.tanh(np.concatenate([s["h"], x], 1) @ P["W"].T) + x @ P["V"].T},
                 SIZES, fuse=fuse)


@pytest.mark.parametrize("fuse", FUSE)
def test_a_layer_norm_style_mean(fuse):
    """μ = (1/n)·𝟏ᵀ·a printed `1.T` (a SyntaxError); h_t = tanh(a − 𝟏·μ)."""
    b, n, m, x, h = _start("mean")
    W, V = b.param("W", n, n, "weight"), b.param("V", n, m, "input weight")
    a = b.let("a_t", add(matmul(W, h), matmul(V, x)), "a")
    mu = b.let("mu_t", matmul(OneMatrix(1, n), a) / n, "mean")
    b.update(h, elementwise(Tanh, add(a, -matmul(OneMatrix(n, 1), mu))))

    def step(P, x, s):
        a = s["h"] @ P["W"].T + x @ P["V"].T
        return {"h": np.tanh(a - a.mean(axis=1, keepdims=True))}
    check_module(b.build(), step, SIZES, fuse=fuse)


def test_a_cell_with_no_input_is_refused_by_name():
    """h_t = tanh(W·h_{t-1}): the module's contract has T from an input; refused when generated, naming why."""
    from symlstm.codegen import CodegenError, generate_numpy
    b, n, _, _, h = _start("autonomous", with_input=False)
    b.update(h, elementwise(Tanh, matmul(b.param("W", n, n, "weight"), h)))
    with pytest.raises(CodegenError, match="no input"):
        generate_numpy(b.build())


def test_the_module_names_the_state_its_loss_reads():
    """Finding 15: the per-step loss reads the first declared state; the module says which (OUTPUTS)."""
    from symlstm.codegen import compile_numpy
    b = CellBuilder("two_states", "two states, c declared first")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x = b.input("x_t", m, "input")
    c, h = b.state("c", n, "memory"), b.state("h", n, "hidden")
    W = b.param("W", n, m, "weight")
    c_t = b.update(c, add(c, matmul(W, x)))
    b.update(h, elementwise(Tanh, c_t))
    module = compile_numpy(b.build())
    assert module.OUTPUTS == ("c",)
    assert "dcs (T, B, n) is ∂L/∂c_t" in module.__doc__
    check_module(b.build(), lambda P, x, s: {"c": s["c"] + x @ P["W"].T, "h": np.tanh(s["c"] + x @ P["W"].T)},
                 SIZES)
