"""Element-wise nodes: a table function applied to every entry of a matrix expression."""

from __future__ import annotations

import sympy as sp
from sympy.core.function import FunctionClass
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

#: One bound variable for every element-wise Lambda, so that ``σ(A)`` built twice is the same expression
#: (SymPy would otherwise wrap each call in a Lambda over a fresh Dummy, and ``σ(A) − σ(A)`` would not cancel).
_ENTRY = sp.Dummy("d")


def elementwise(function: FunctionClass, matrix: sp.MatrixExpr) -> ElementwiseApplyFunction:
    """``function`` applied to every entry of ``matrix`` (same shape as ``matrix``)."""
    return ElementwiseApplyFunction(sp.Lambda(_ENTRY, function(_ENTRY)), matrix)


def scalar_function(node: ElementwiseApplyFunction) -> FunctionClass | sp.Lambda:
    """The scalar function of an element-wise node.

    SymPy wraps ``Sigmoid`` into ``Lambda(d, Sigmoid(d))``; this unwraps it back
    to ``Sigmoid`` when the body is just the function applied to the variable,
    and returns the ``Lambda`` otherwise.
    """
    lam = node.function
    if isinstance(lam, FunctionClass):
        return lam
    (var,) = lam.variables
    body = lam.expr
    if isinstance(body, sp.Function) and body.args == (var,):
        return body.func
    return lam
