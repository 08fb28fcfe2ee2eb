"""Issue 14, item 3: a custom cell's module takes the user's parameters, as declared.

``PARAMS`` of a cell built with CellBuilder are its own parameters with their declared shapes (a column
(k, 1) as a 1-D (k,) array); stacking the gates into one GEMM is internal.  Each module is checked against
the cell's step written here in NumPy and central differences of it (tests/codegen_check.py); built-in cells
keep PyTorch's names.
"""

import numpy as np
import pytest
from codegen_check import check_module, sigmoid
from sympy import OneMatrix

import symlstm
from symlstm import CellBuilder, Sigmoid, Tanh
from symlstm.algebra import add, hadamard
from symlstm.codegen import compile_numpy, generate_numpy
from symlstm.functions import elementwise

SIZES = {"n": 3, "m": 2}
FUSE = [False, pytest.param(True, marks=pytest.mark.filterwarnings("ignore"))]


def mgu():
    """The minimal gated unit: f = σ(W_f·[h; x] + b_f), u = tanh(W_h·[f ⊙ h; x] + b_h), h = (1 − f) ⊙ h + f ⊙ u."""
    b = CellBuilder("mgu", "minimal gated unit")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h = b.input("x_t", m, "input"), b.state("h", n, "hidden state")
    W_f, b_f = b.param("W_f", n, n + m, "forget gate weight"), b.param("b_f", n, 1, "forget gate bias")
    W_h, b_h = b.param("W_h", n, n + m, "candidate weight"), b.param("b_h", n, 1, "candidate bias")
    f = b.gate("f", weight=W_f, concat=[h, x], bias=b_f, function=Sigmoid, doc="forget gate")
    u = b.gate("u", weight=W_h, concat=[hadamard(f, h), x], bias=b_h, function=Tanh, doc="candidate",
               labels=["h", "x"])
    b.update(h, add(hadamard(add(OneMatrix(n, 1), -f), h), hadamard(f, u)))
    return b.build()


def mgu_step(P, x, s):
    """One MGU step on rows: x (B, m), h (B, n); W_f, W_h (n, n+m), b_f, b_h (n,)."""
    h = s["h"]
    f = sigmoid(np.concatenate([h, x], axis=1) @ P["W_f"].T + P["b_f"])
    u = np.tanh(np.concatenate([f * h, x], axis=1) @ P["W_h"].T + P["b_h"])
    return {"h": (1 - f) * h + f * u}


def hand_lstm():
    """PyTorch's LSTM written with CellBuilder: four gates i, f, g, o, each its own W_k (n, n+m) and b_k (n, 1)."""
    b = CellBuilder("lstm", "an LSTM by hand")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h, c = b.input("x_t", m, "input"), b.state("h", n, "hidden state"), b.state("c", n, "cell state")
    gates = {}
    for k in "ifgo":
        W, bias = b.param(f"W_{k}", n, n + m, f"{k} weight"), b.param(f"b_{k}", n, 1, f"{k} bias")
        gates[k] = b.gate(k, weight=W, concat=[h, x], bias=bias, function=Tanh if k == "g" else Sigmoid, doc=k)
    c_t = b.update(c, add(hadamard(gates["f"], c), hadamard(gates["i"], gates["g"])))
    b.update(h, hadamard(gates["o"], elementwise(Tanh, c_t)))
    return b.build()


def lstm_step(P, x, s):
    """One LSTM step on rows: x (B, m), h, c (B, n); W_k (n, n+m), b_k (n,)."""
    u = np.concatenate([s["h"], x], axis=1)
    i, f, o = (sigmoid(u @ P[f"W_{k}"].T + P[f"b_{k}"]) for k in "ifo")
    g = np.tanh(u @ P["W_g"].T + P["b_g"])
    c = f * s["c"] + i * g
    return {"h": o * np.tanh(c), "c": c}



def test_mgu_params_are_the_declared_ones():
    module = compile_numpy(mgu())
    assert module.PARAMS == {"W_f": ("n", "m+n"), "b_f": ("n",), "W_h": ("n", "m+n"), "b_h": ("n",)}
    assert module.param_shapes(n=3, m=2) == {"W_f": (3, 5), "b_f": (3,), "W_h": (3, 5), "b_h": (3,)}
    assert module.SIZE_SOURCES == {"n": ("W_f", 0), "m": ("W_f", 1, ("n",))}
    doc = module.__doc__
    assert "W_f (n, m+n): forget gate weight" in doc and "b_f (n,): forget gate bias" in doc
    for torch_name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "stacked"):
        assert torch_name not in doc


def test_hand_lstm_params_are_the_declared_ones():
    module = compile_numpy(hand_lstm())
    assert list(module.PARAMS) == [f"{w}_{k}" for k in "ifgo" for w in "Wb"]
    assert all(module.PARAMS[f"W_{k}"] == ("n", "m+n") and module.PARAMS[f"b_{k}"] == ("n",) for k in "ifgo")


@pytest.mark.parametrize("fuse", FUSE)
def test_mgu_forward_and_gradients(fuse):
    check_module(mgu(), mgu_step, SIZES, fuse=fuse)


@pytest.mark.parametrize("fuse", FUSE)
def test_hand_lstm_forward_and_gradients(fuse):
    check_module(hand_lstm(), lstm_step, SIZES, fuse=fuse)


def test_hand_lstm_at_other_sizes():
    """n ≠ m and m > n: the column blocks [h; x] of every W_k are cut at n, not m."""
    check_module(hand_lstm(), lstm_step, {"n": 2, "m": 4}, seed=3)


def test_sources_are_deterministic():
    for build in (mgu, hand_lstm):
        for fuse in (False, True):
            assert generate_numpy(build(), fuse=fuse) == generate_numpy(build(), fuse=fuse)


def test_a_wrong_size_is_read_from_the_declared_parameter():
    module = compile_numpy(mgu())
    params = {"W_f": np.zeros((3, 5)), "b_f": np.zeros(3), "W_h": np.zeros((3, 4)), "b_h": np.zeros(3)}
    with pytest.raises(ValueError, match=r"W_h has shape \(3, 4\), expected \(n, m\+n\) = \(3, 5\) "
                                         r"\(n = 3 from W_f.shape\[0\], m = 2 from W_f.shape\[1\] - n\)"):
        module.forward(params, np.zeros((2, 1, 2)))


def test_an_input_disagreeing_with_a_size_read_as_a_difference_names_both():  # issue 16 #5, custom cell
    module = compile_numpy(mgu())
    params = {"W_f": np.zeros((3, 7)), "b_f": np.zeros(3), "W_h": np.zeros((3, 7)), "b_h": np.zeros(3)}
    with pytest.raises(ValueError, match=r"xs has shape \(5, 2, 5\) but W_f has shape \(3, 7\): xs.shape\[-1\] = 5 "
                                         r"and W_f.shape\[1\] - n = 4 are both m"):
        module.forward(params, np.zeros((5, 2, 5)))


def test_user_names_that_look_like_pytorch_names():
    """A cell whose own parameters are called weight_ih, bias_ih …: they are its parameters, as declared."""
    b = CellBuilder("rnn", "an RNN")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h = b.input("x_t", m, "input"), b.state("h", n, "hidden state")
    W = b.param("W", n, n + m, "weight", ident="weight_ih")
    bias = b.param("b", n, 1, "bias", ident="bias_ih")
    extra = b.param("v", n, 1, "offset", ident="ih_weight_h")  # the name the stack weight would want
    b.update(h, add(b.gate("ih", weight=W, concat=[h, x], bias=bias, function=Tanh, doc="gate"), extra))
    cell = b.build()
    module = compile_numpy(cell)
    assert module.PARAMS == {"weight_ih": ("n", "m+n"), "bias_ih": ("n",), "ih_weight_h": ("n",)}

    def step(P, x, s):
        return {"h": np.tanh(np.concatenate([s["h"], x], axis=1) @ P["weight_ih"].T + P["bias_ih"])
                + P["ih_weight_h"]}

    check_module(cell, step, SIZES)


def test_built_in_cells_keep_pytorch_names():
    assert list(compile_numpy(symlstm.cell("lstm")).PARAMS) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    gru = compile_numpy(symlstm.cell("gru")).PARAMS
    assert list(gru) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
