"""Issue 14, findings 1–4: cells the builder accepts whose generated modules computed wrong numbers.

Each module is compared with the cell's step written here in NumPy and with central differences of it
(tests/codegen_check.py), unfused and fused.
"""

import numpy as np
import pytest
import sympy as sp
from codegen_check import check_module, sigmoid
from sympy import HadamardPower, OneMatrix, Rational

from symlstm import CellBuilder, Sigmoid, Tanh
from symlstm.algebra import add, concat, hadamard, matmul, vector
from symlstm.functions import elementwise
from symlstm.codegen import BatchedNumPyPrinter, compile_numpy, generate_numpy

SIZES = {"n": 3, "m": 2}
FUSE = [False, pytest.param(True, marks=pytest.mark.filterwarnings("ignore"))]


def _start(name):
    b = CellBuilder(name, name)
    n, m = b.size("n", "hidden"), b.size("m", "input")
    return b, n, m, b.input("x_t", m, "input"), b.state("h", n, "hidden state")


def _rnn_gate(b, n, m, h, x, key="u", function=Tanh):
    W, bias = b.param("W", n, n + m, "weight"), b.param("b", n, 1, "bias")
    return b.gate(key, weight=W, concat=[h, x], bias=bias, function=function, doc="gate")


def _pre(P, x, h, bias="b"):
    """W·[h; x] + b in the generated module's parameters: the cell's own, W (n, n+m) and b (n,)."""
    return np.concatenate([h, x], axis=1) @ P["W"].T + P[bias]


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
def cell_with_scaled_power(exponent):
    """h_t = p ⊙ q_t^∘e with a parameter column p: ∂L/∂p = Σ δh ⊙ q^∘e is printed after the loop."""
    b, n, m, x, h = _start("power")
    q = _rnn_gate(b, n, m, h, x, key="q", function=Sigmoid)
    p = b.param("p", n, 1, "scale")
    b.update(h, hadamard(p, HadamardPower(q, exponent)))
    return b.build()


@pytest.mark.parametrize("fuse", FUSE)
@pytest.mark.parametrize("exponent", [Rational(3, 2), Rational(5, 2), sp.Integer(3)])
def test_a_power_in_the_gradient_of_a_parameter(exponent, fuse):
    e = float(exponent)
    check_module(cell_with_scaled_power(exponent), lambda P, x, s: {"h": P["p"] * sigmoid(_pre(P, x, s["h"])) ** e},
                 SIZES, fuse=fuse)


def cell_with_folded_bias():
    """u_t = tanh(W·[h; x; 𝟏] + b): the bias folded into the weight as a column multiplying 𝟏."""
    b, n, m, x, h = _start("fold")
    W, bias = b.param("W", n, n + m + 1, "weight"), b.param("b", n, 1, "bias")
    u = b.gate("u", weight=W, concat=[h, x, OneMatrix(1, 1)], bias=bias, function=Tanh, doc="gate",
               labels=["h", "x", "one"])
    b.update(h, u)
    return b.build()


@pytest.mark.parametrize("fuse", FUSE)
@pytest.mark.parametrize("T, B", [(3, 2), (1, 3)])  # T·B = n = 3: the wrong code broadcast silently
def test_a_bias_folded_into_the_weight(T, B, fuse):
    def step(P, x, s):
        ones = np.ones((x.shape[0], 1))
        return {"h": np.tanh(np.concatenate([s["h"], x, ones], axis=1) @ P["W"].T + P["b"])}
    check_module(cell_with_folded_bias(), step, SIZES, T=T, B=B, fuse=fuse)


def test_a_slice_is_taken_on_the_feature_axis():
    u, W = vector("u_t", 5), sp.MatrixSymbol("W", 4, 5)
    printer = BatchedNumPyPrinter({u: "u", W: "W"}, {u})
    assert printer.doprint(u[1:3, :]) == "u[:, 1:3]"
    assert printer.doprint(W[1:3, 2:4]) == "W[1:3, 2:4]"
    u_value = np.arange(10.0).reshape(2, 5)  # two examples
    assert (eval(printer.doprint(u[1:3, :]), {"u": u_value}) == u_value[:, 1:3]).all()  # noqa: S307


def cell_whose_state_is_not_read():
    """h_t = tanh(W·x_t): δh_{t-1} = 0 (FINDINGS-fuzz F2: "cannot assign ZeroMatrix node 0")."""
    b, n, m, x, h = _start("unread")
    W = b.param("W", n, m, "weight")
    b.update(h, elementwise(Tanh, matmul(W, x)))
    return b.build()


@pytest.mark.parametrize("fuse", FUSE)
def test_a_state_its_update_does_not_read(fuse):
    check_module(cell_whose_state_is_not_read(), lambda P, x, s: {"h": np.tanh(x @ P["W"].T)}, SIZES, fuse=fuse)


@pytest.mark.parametrize("fuse", FUSE)
def test_a_composed_function_in_one_equation(fuse):
    """FINDINGS-fuzz F1: h_t = tanh(σ(W·x_t)) written as one equation."""
    from symlstm.functions import Sigmoid as S
    b, n, m, x, h = _start("nested")
    W = b.param("W", n, m, "weight")
    b.update(h, elementwise(Tanh, elementwise(S, matmul(W, x))))
    check_module(b.build(), lambda P, x, s: {"h": np.tanh(sigmoid(x @ P["W"].T))}, SIZES, fuse=fuse)


@pytest.mark.parametrize("fuse", FUSE)
def test_a_bias_named_like_a_stacked_weight(fuse):
    """A gate's bias named ``weight_hh`` beside the stacked weight ``weight_hh`` of its block labelled hh."""
    b, n, m, x, h = _start("bias_name")
    W, bias = b.param("W", n, n + m, "weight"), b.param("weight_hh", n, 1, "a bias named like a weight")
    u = b.gate("u", weight=W, concat=[h, x], bias=bias, function=Tanh, doc="gate", labels=["hh", "x"])
    b.update(h, u)
    check_module(b.build(), lambda P, x, s: {"h": np.tanh(_pre(P, x, s["h"], "weight_hh"))}, SIZES, fuse=fuse)


def test_labels_that_would_give_two_pytorch_weights_one_name():
    """Labels h and hh (PyTorch's naming would give both blocks weight_hh): a custom cell's module has W."""
    b, n, m, x, h = _start("labels")
    W, bias = b.param("W", n, n + n, "weight"), b.param("b", n, 1, "bias")
    g = b.let("g_t", hadamard(h, h), "square")
    u = b.gate("u", weight=W, concat=[h, g], bias=bias, function=Tanh, doc="gate", labels=["h", "hh"])
    b.update(h, add(u, matmul(b.param("V", n, m, "input weight"), x)))
    assert compile_numpy(b.build()).PARAMS == {"W": ("n", "2*n"), "b": ("n",), "V": ("n", "m")}

    def step(P, x, s):
        h = s["h"]
        return {"h": np.tanh(np.concatenate([h, h * h], axis=1) @ P["W"].T + P["b"]) + x @ P["V"].T}
    check_module(b.build(), step, SIZES)


def test_a_repeated_term_of_a_sum_is_counted():
    """A sum holding one term twice keeps both through the common sub-expressions (codegen/cse.py)."""
    from symlstm.codegen.cse import counted, cse
    from symlstm.codegen.statements import Statement
    A, C = vector("A", 3), vector("C", 3)
    twice = sp.MatAdd(hadamard(A, C), hadamard(A, C), A, evaluate=False)
    out = cse([Statement(vector("y", 3), twice), Statement(vector("z", 3), hadamard(A, C))], {})
    values = {A: sp.Matrix([1, 2, 3]), C: sp.Matrix([4, 5, 6])}
    known = dict(values)
    for s in out:
        known[s.lhs] = sp.Matrix(s.rhs.xreplace(known).doit())
    assert known[vector("y", 3)] == sp.Matrix([9, 22, 39])
    assert counted(sp.MatAdd(A, A, evaluate=False)) == 2 * A


def test_fuzz_f4_rational_power_of_an_activation():
    """FINDINGS-fuzz F4: h_t = σ(W·x)^∘(3/2) + U·h_{t-1}: ∂L/∂W was off by 0.67."""
    b, n, m, x, h = _start("f4")
    W, U = b.param("W", n, m, "w"), b.param("U", n, n, "u")
    b.update(h, add(HadamardPower(elementwise(Sigmoid, matmul(W, x)), Rational(3, 2)), matmul(U, h)))
    check_module(b.build(), lambda P, x, s: {"h": sigmoid(x @ P["W"].T) ** 1.5 + s["h"] @ P["U"].T}, SIZES)


def test_fuzz_f5_a_parameter_nothing_used_reads_has_a_zero_gradient():
    """FINDINGS-fuzz F5: a parameter only an unused intermediate reads: grads has it, zeros."""
    b, n, m, x, h = _start("f5")
    W, U, V = b.param("W", n, m, "w"), b.param("U", n, n, "u"), b.param("V", n, m, "v")
    b.let("y", matmul(V, x), "nobody reads y")
    b.update(h, add(matmul(W, x), matmul(U, h)))
    module = check_module(b.build(), lambda P, x, s: {"h": x @ P["W"].T + s["h"] @ P["U"].T}, SIZES)
    assert set(module.PARAMS) == {"W", "U", "V"}


@pytest.mark.xfail(strict=True, raises=ValueError, reason="open: SymPy's cse names the size n + m of the "
                   "concatenation with a 1×1 symbol and cannot rebuild it (FINDINGS-fuzz F3)")
def test_fuzz_f3_two_products_with_one_concatenation():
    """FINDINGS-fuzz F3: tanh(W·[h; x]) + σ(V·[h; x]) in one equation (a raw ValueError from sympy.cse)."""
    b, n, m, x, h = _start("f3")
    W, V = b.param("W", n, n + m, "w"), b.param("V", n, n + m, "v")
    b.update(h, add(elementwise(Tanh, matmul(W, concat(h, x))), elementwise(Sigmoid, matmul(V, concat(h, x)))))
    b.param("C", n, m, "gives the module the size m")

    def step(P, x, s):
        z = np.concatenate([s["h"], x], 1)
        return {"h": np.tanh(z @ P["W"].T) + sigmoid(z @ P["V"].T)}
    check_module(b.build(), step, SIZES)
