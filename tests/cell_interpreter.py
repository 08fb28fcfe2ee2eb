"""An independent interpreter of a cell's SymPy equations: the oracle of the random-cell test.

It shares no code with symlstm's generator, printers or function table helpers: it walks the SymPy matrix
expression tree itself (MatrixSymbol, MatMul with a scalar coefficient, MatAdd, HadamardProduct,
HadamardPower, BlockMatrix, Transpose, OneMatrix/ZeroMatrix/Identity, element-wise function nodes) and
evaluates each element-wise function from a NumPy formula written here, chosen by the function's table key
and exact parameters (``alpha``, ``beta``), never by its ``numpy_lines``/``numpy_helper``.

Shapes: every value is a float64 array (B, rows, cols); a parameter is (1, rows, cols) and broadcasts over the
batch. :func:`run` steps the cell T times from ``xs`` (T, B, m) and initial states (B, k) and returns the states
after every step, (T, B, k) each. :func:`gradients` gives ∂L/∂(every parameter, xs and initial state) of the
linear loss ``L = Σ_t Σ_s w_s[t]·s_t`` by central differences of :func:`run`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import (BlockMatrix, HadamardPower, HadamardProduct, Identity, MatAdd, MatMul, MatrixSymbol,
                   OneMatrix, Transpose, ZeroMatrix)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction


class Unsupported(Exception):
    """A node the interpreter has no rule for (the test reports it; it is not a refusal of symlstm)."""


def _parameter(function, name: str) -> float:
    return float(dict(getattr(function, "parameters", ()))[name])


def scalar_formula(function):
    """A NumPy callable for the table function ``function``, from the textbook formula (by its key)."""
    key = getattr(function, "key", None)
    a = (lambda: _parameter(function, "alpha"))
    b = (lambda: _parameter(function, "beta"))
    if key == "identity":
        return lambda z: z
    if key == "sigmoid":
        return lambda z: 1.0 / (1.0 + np.exp(-z))
    if key == "tanh" or function is sp.tanh:
        return lambda z: 1.0 - 2.0 / (np.exp(2.0 * z) + 1.0)  # (e^2z − 1)/(e^2z + 1), finite for every z
    if key == "exp" or function is sp.exp:
        return np.exp
    if key == "relu":
        return lambda z: np.where(z > 0, z, 0.0)
    if key == "softplus":
        return lambda z: np.log(1.0 + np.exp(z))
    if key == "softsign":
        return lambda z: z / (1.0 + np.abs(z))
    if key == "leaky_relu":
        alpha = a()
        return lambda z: np.where(z > 0, z, alpha * z)
    if key == "elu":
        alpha = a()
        return lambda z: np.where(z > 0, z, alpha * (np.exp(np.minimum(z, 0)) - 1))
    if key == "thresholded_relu":
        alpha = a()
        return lambda z: np.where(z > alpha, z, 0.0)
    if key == "scaled_tanh":
        alpha, beta = a(), b()
        return lambda z: alpha * np.tanh(beta * z)
    if key == "hard_sigmoid":
        alpha, beta = a(), b()
        return lambda z: np.minimum(np.maximum(alpha * z + beta, 0.0), 1.0)
    if key == "affine":
        alpha, beta = a(), b()
        return lambda z: alpha * z + beta
    raise Unsupported(f"no formula for the element-wise function {function!r}")


def _function_of(node: ElementwiseApplyFunction):
    lam = node.function
    if isinstance(lam, sp.Lambda):
        (var,) = lam.variables
        if lam.expr == var:
            return lambda z: z
        if isinstance(lam.expr, sp.Function) and lam.expr.args == (var,):
            return scalar_formula(lam.expr.func)
        raise Unsupported(f"element-wise Lambda {lam}")
    return scalar_formula(lam)


def _batched(arrays: list) -> list:
    """``arrays`` with the batch axis (0) broadcast to the largest; the other axes untouched."""
    batch = max(a.shape[0] for a in arrays)
    return [np.broadcast_to(a, (batch, *a.shape[1:])) for a in arrays]


def _int(size, sizes) -> int:
    return int(sp.sympify(size).xreplace(sizes))


def compile_expr(expr, sizes: dict):
    """A callable ``env -> array (B|1, rows, cols)`` evaluating ``expr``; ``env`` maps MatrixSymbol → array."""
    if isinstance(expr, MatrixSymbol):
        return lambda env: env[expr]
    if isinstance(expr, (OneMatrix, ZeroMatrix, Identity)):
        rows, cols = _int(expr.shape[0], sizes), _int(expr.shape[1], sizes)
        value = (np.ones((1, rows, cols)) if isinstance(expr, OneMatrix) else
                 np.zeros((1, rows, cols)) if isinstance(expr, ZeroMatrix) else np.eye(rows)[None])
        return lambda env: value
    if isinstance(expr, MatMul):
        scalar = 1.0
        parts = []
        for arg in expr.args:
            if arg.is_Matrix:
                parts.append(compile_expr(arg, sizes))
            else:
                scalar *= float(arg)
        def product(env, parts=parts, scalar=scalar):
            value = parts[0](env)
            for part in parts[1:]:
                value = np.matmul(value, part(env))
            return scalar * value
        return product
    if isinstance(expr, MatAdd):
        terms = [compile_expr(arg, sizes) for arg in expr.args]
        return lambda env: sum((term(env) for term in terms[1:]), terms[0](env))
    if isinstance(expr, HadamardProduct):
        factors = [compile_expr(arg, sizes) for arg in expr.args]
        def hadamard(env):
            value = factors[0](env)
            for factor in factors[1:]:
                value = value * factor(env)
            return value
        return hadamard
    if isinstance(expr, HadamardPower):
        base, exponent = compile_expr(expr.base, sizes), float(expr.exp)
        return lambda env: np.power(base(env), exponent)
    if isinstance(expr, BlockMatrix):
        grid = [[compile_expr(block, sizes) for block in row] for row in expr.blocks.tolist()]
        def block(env):
            rows = [np.concatenate(_batched([b(env) for b in row]), axis=2) for row in grid]
            return np.concatenate(_batched(rows), axis=1)
        return block
    if isinstance(expr, Transpose):
        inner = compile_expr(expr.arg, sizes)
        return lambda env: np.swapaxes(inner(env), 1, 2)
    if isinstance(expr, ElementwiseApplyFunction):
        phi, inner = _function_of(expr), compile_expr(expr.expr, sizes)
        return lambda env: phi(inner(env))
    raise Unsupported(f"no rule for {type(expr).__name__}: {expr}")


class Interpreter:
    """Steps ``cell`` (a CellSpec) at concrete ``sizes`` ({size symbol: int}); see the module docstring."""

    def __init__(self, cell, sizes: dict):
        self.cell, self.sizes = cell, sizes
        self.steps = [(a.lhs, compile_expr(a.rhs, sizes)) for a in cell.assignments]

    def shape(self, var) -> tuple[int, int]:
        return _int(var.symbol.shape[0], self.sizes), _int(var.symbol.shape[1], self.sizes)

    def run(self, params: dict, xs: list, initial: list) -> list[np.ndarray]:
        """``params`` {ident: (rows, cols)}, ``xs`` per input (T, B, rows), ``initial`` per state (B, rows)."""
        cell = self.cell
        env = {v.symbol: np.asarray(params[v.ident], np.float64)[None] for v in cell.params}
        current = [np.asarray(s0, np.float64)[:, :, None] for s0 in initial]
        T = xs[0].shape[0]
        out = [[] for _ in cell.states]
        for t in range(T):
            for var, x in zip(cell.inputs, xs):
                env[var.symbol] = np.asarray(x[t], np.float64)[:, :, None]
            for state, value in zip(cell.states, current):
                env[state.previous.symbol] = value
            for lhs, evaluate in self.steps:
                env[lhs] = evaluate(env)
            current = [env[state.current.symbol] for state in cell.states]
            B = xs[0].shape[1]
            for k, value in enumerate(current):
                out[k].append(np.broadcast_to(value, (B, *value.shape[1:]))[:, :, 0])
        return [np.stack(o) for o in out]


def central_gradients(loss, values: dict, eps: float = 1e-6) -> dict:
    """∂loss/∂values[name] by central differences (each entry perturbed by ±eps in place, then restored)."""
    result = {}
    for name, array in values.items():
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + eps
            plus = loss()
            array[index] = saved - eps
            grad[index] = (plus - loss()) / (2 * eps)
            array[index] = saved
        result[name] = grad
    return result
