"""Issue 14, findings 1–4: cells the builder accepts whose generated modules computed wrong numbers.

Each module is compared with the cell's step written here in NumPy and with central differences of it
(tests/codegen_check.py), unfused and fused.
"""

import numpy as np
import pytest
import sympy as sp
from codegen_check import check_module, sigmoid
from sympy import HadamardPower, Rational

from symlstm import CellBuilder, Sigmoid, Tanh
from symlstm.algebra import add, hadamard
from symlstm.codegen import generate_numpy

SIZES = {"n": 3, "m": 2}
FUSE = [False, pytest.param(True, marks=pytest.mark.filterwarnings("ignore"))]


def _start(name):
    b = CellBuilder(name, name)
    n, m = b.size("n", "hidden"), b.size("m", "input")
    return b, n, m, b.input("x_t", m, "input"), b.state("h", n, "hidden state")


def _rnn_gate(b, n, m, h, x, key="u", function=Tanh):
    W, bias = b.param("W", n, n + m, "weight"), b.param("b", n, 1, "bias")
    return b.gate(key, weight=W, concat=[h, x], bias=bias, function=function, doc="gate")


def _pre(P, x, h):
    """W·[h; x] + b in the generated module's parameters (one gate: PyTorch's RNNCell names)."""
    return x @ P["weight_ih"].T + h @ P["weight_hh"].T + P["bias_ih"] + P["bias_hh"]


def cell_with_parameter_a():
    """h_t = u_t + a with a parameter named ``a`` (the stack's pre-activation was also ``a``)."""
    b, n, m, x, h = _start("param_a")
    u = _rnn_gate(b, n, m, h, x)
    a = b.param("a", n, 1, "offset")
    b.update(h, add(u, a))
    return b.build()


@pytest.mark.parametrize("fuse", FUSE)
def test_a_parameter_named_a(fuse):
    source = generate_numpy(cell_with_parameter_a(), fuse=fuse)
    assert "np.add(a, a, out=h)" not in source
    check_module(cell_with_parameter_a(), lambda P, x, s: {"h": np.tanh(_pre(P, x, s["h"])) + P["a"]}, SIZES,
                 fuse=fuse)


def cell_with_intermediate(name):
    """y = u_t ⊙ h_{t-1} named ``name`` (``a_t``: the stack's name; ``dh_t``: the adjoint of h), h_t = y + u_t."""
    b, n, m, x, h = _start("inter")
    u = _rnn_gate(b, n, m, h, x)
    y = b.let(name, hadamard(u, h), "a product")
    b.update(h, add(y, u))
    return b.build()


@pytest.mark.parametrize("fuse", FUSE)
@pytest.mark.parametrize("name", ["a_t", "dh_t", "da_t", "h_all", "x_seq", "cse0_t", "np_t", "T", "_s0"])
def test_an_intermediate_named_like_a_generated_name(name, fuse):
    def step(P, x, s):
        u = np.tanh(_pre(P, x, s["h"]))
        return {"h": u * s["h"] + u}
    check_module(cell_with_intermediate(name), step, SIZES, fuse=fuse)


def cell_with_power(exponent):
    """h_t = q_t^∘e with q_t = σ(W·[h; x] + b)."""
    b, n, m, x, h = _start("power")
    q = _rnn_gate(b, n, m, h, x, key="q", function=Sigmoid)
    b.update(h, HadamardPower(q, exponent))
    return b.build()


@pytest.mark.parametrize("fuse", FUSE)
@pytest.mark.parametrize("exponent", [Rational(3, 2), Rational(-1, 2), sp.Integer(3), sp.Float(2.5)])
def test_a_power_with_any_exponent(exponent, fuse):
    e = float(exponent)
    check_module(cell_with_power(exponent), lambda P, x, s: {"h": sigmoid(_pre(P, x, s["h"])) ** e}, SIZES,
                 fuse=fuse)
