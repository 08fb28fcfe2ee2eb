"""The batched NumPy printer: exact strings for each kind of node, statements with out=, and
the numbers those strings compute (evaluated with NumPy against the mathematics done by hand)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sympy import MatrixSymbol, OneMatrix, Transpose

from symlstm.algebra import add, concat, hadamard, matmul, size
from symlstm.codegen.printer import COL, ROW, SHARED, SIGMOID_HELPER, BatchedNumPyPrinter, CodegenError
from symlstm.functions import Sigmoid, Tanh, elementwise

n, m = size("n"), size("m")
h, x, a, c = (MatrixSymbol(name, k, 1) for name, k in (("h", n), ("x", m), ("a", n), ("c", n)))
W, U, b = MatrixSymbol("W", n, n), MatrixSymbol("U", n, m), MatrixSymbol("b", n, 1)
NAMES = {h: "h", x: "x", a: "a", c: "c", W: "W", U: "U", b: "b"}


def printer() -> BatchedNumPyPrinter:
    return BatchedNumPyPrinter(NAMES, batched={h, x, a, c})


@pytest.mark.parametrize(("expr", "code"), [
    (matmul(W, h), "h @ W.T"),                                   # W·v → v @ Wᵀ on (B, n) rows
    (matmul(Transpose(W), h), "h @ W"),                          # (Wᵀ)ᵀ is W
    (matmul(Transpose(h), W), "h @ W"),                          # a row times a matrix
    (matmul(a, Transpose(h)), "np.ascontiguousarray((h.T @ a).T)"),  # u·vᵀ summed over the batch
    (add(matmul(W, h), matmul(U, x), b), "h @ W.T + x @ U.T + b"),
    (hadamard(a, c), "a * c"),                                   # ⊙ is *, not np.multiply of a tuple
    (add(OneMatrix(n, 1), -a), "1 - a"),
    (elementwise(Tanh, c), "np.tanh(c)"),
    (elementwise(Sigmoid, add(a, c)), "_sigmoid(a + c)"),
    (sp.HadamardPower(c, 2), "c * c"),
    (concat(h, x), "np.concatenate((h, x), axis=1)"),
    (sp.MatMul(2, hadamard(a, c)), "2 * (a * c)"),
])
def test_expressions_print_as_written_by_hand(expr, code):
    assert printer().doprint(expr) == code


def test_kinds_follow_the_batch_table():
    p = printer()
    assert p.kind(h) == COL and p.kind(Transpose(h)) == ROW and p.kind(W) == SHARED
    assert p.kind(matmul(W, h)) == COL
    assert p.kind(matmul(a, Transpose(h))) == SHARED
    assert p.kind(add(matmul(W, h), b)) == COL


def test_a_per_example_scalar_is_refused_by_name():
    with pytest.raises(CodegenError, match="batched row times a batched column"):
        printer().doprint(matmul(Transpose(h), a))


def test_a_symbol_without_a_name_is_named_in_the_error():
    with pytest.raises(CodegenError, match=r"no NumPy name for the symbol z"):
        printer().doprint(hadamard(a, MatrixSymbol("z", n, 1)))


def test_an_unknown_elementwise_function_is_named():
    with pytest.raises(CodegenError, match="knows no element-wise function"):
        printer().doprint(elementwise(sp.Lambda(sp.Symbol("d"), sp.Symbol("d") ** 3), a))


@pytest.mark.parametrize(("expr", "lines"), [
    (hadamard(a, c), ["np.multiply(a, c, out=y)"]),
    (elementwise(Sigmoid, a), ["_sigmoid(a, out=y)"]),
    (add(OneMatrix(n, 1), -a), ["np.subtract(1, a, out=y)"]),
    (matmul(W, h), ["np.matmul(h, W.T, out=y)"]),
    (matmul(a, Transpose(h)), ["np.matmul(a.T, h, out=y)"]),
    (hadamard(a, add(OneMatrix(n, 1), -sp.HadamardPower(c, 2))),
     ["np.multiply(c, c, out=y)", "np.subtract(1, y, out=y)", "y *= a"]),
])
def test_statements_write_into_the_target(expr, lines):
    assert printer().assign("y", expr) == lines


def test_a_sum_containing_the_target_accumulates_in_place():
    y = MatrixSymbol("y", n, 1)
    p = BatchedNumPyPrinter({**NAMES, y: "y"}, batched={h, x, a, c, y})
    assert p.assign("y", add(y, matmul(W, h))) == ["np.matmul(h, W.T, out=_s0)", "y += _s0"]
    assert p.scratch == {"_s0": n}


def test_nested_expressions_use_scratch_arrays_not_temporaries():
    expr = add(hadamard(a, c, add(OneMatrix(n, 1), -sp.HadamardPower(c, 2))), h)
    lines = printer().assign("y", expr)
    assert lines == [
        "np.multiply(a, c, out=y)",
        "np.multiply(c, c, out=_s0)",
        "np.subtract(1, _s0, out=_s0)",
        "y *= _s0",
        "y += h",
    ]


def _run(lines: list[str], arrays: dict[str, np.ndarray]) -> np.ndarray:
    namespace = {"np": np, **arrays}
    exec(SIGMOID_HELPER, namespace)  # noqa: S102
    for line in lines:
        exec(line, namespace)  # noqa: S102
    return namespace["y"]


def test_statements_compute_the_mathematics():
    rng = np.random.default_rng(0)
    B, k = 3, 4
    arrays = {name: rng.standard_normal((B, k)) for name in ("a", "c", "h")}
    arrays.update(W=rng.standard_normal((k, k)), y=np.empty((B, k)), _s0=np.empty((B, k)), _s1=np.empty((B, k)))
    A, C, H, Wn = arrays["a"], arrays["c"], arrays["h"], arrays["W"]
    cases = [
        (add(hadamard(a, c, add(OneMatrix(n, 1), -sp.HadamardPower(c, 2))), h), A * C * (1 - C**2) + H),
        (elementwise(Sigmoid, add(a, c)), 1 / (1 + np.exp(-(A + C)))),
        (add(matmul(W, h), -a), H @ Wn.T - A),               # (W·h)ᵀ row by row
        (hadamard(elementwise(Tanh, a), add(OneMatrix(n, 1), -c)), np.tanh(A) * (1 - C)),
    ]
    for expr, expected in cases:
        np.testing.assert_allclose(_run(printer().assign("y", expr), arrays), expected, rtol=1e-12)


def test_sigmoid_helper_is_the_tanh_rewrite_and_never_overflows():
    z = sp.Symbol("z")
    assert sp.simplify(Sigmoid(z).rewrite(sp.tanh) - (1 + sp.tanh(z / 2)) / 2) == 0
    namespace = {"np": np}
    exec(SIGMOID_HELPER, namespace)  # noqa: S102
    values = np.array([-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4])
    with np.errstate(all="raise"):
        for dtype in (np.float32, np.float64):
            got = namespace["_sigmoid"](values.astype(dtype))
            assert got.dtype == dtype
            expected = [float(sp.N(1 / (1 + sp.exp(-sp.Float(v))), 30)) for v in values]
            np.testing.assert_allclose(got, expected, rtol=1e-6 if dtype == np.float32 else 1e-15, atol=1e-30)
