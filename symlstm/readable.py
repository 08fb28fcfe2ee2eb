"""Readable forms of derived expressions: name what the forward pass already computed.

Reverse mode produces ``δo ⊙ σ(a_o) ⊙ (1 − σ(a_o))``; :func:`by_name` replaces every sub-expression that
equals the right-hand side of an assignment by its left-hand side, giving ``δo_t ⊙ o_t ⊙ (1 − o_t)`` — found
by comparing canonical forms, not by recognising an LSTM.  :func:`adjoints_first` orders the factors of each
``⊙`` so that the adjoint comes first, as people write it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import sympy as sp
from sympy import BlockMatrix, HadamardProduct, MatAdd, MatrixExpr, MatrixSymbol
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symlstm.spec import Assignment

_CANONICAL = sp.Dummy("u")


def _rebuild(expr: MatrixExpr, walk: Callable[[MatrixExpr], MatrixExpr]) -> MatrixExpr:
    """``expr`` with ``walk`` applied to its matrix children."""
    if isinstance(expr, MatrixSymbol) or not expr.args:
        return expr
    if isinstance(expr, BlockMatrix):
        return BlockMatrix(expr.blocks.applyfunc(walk))
    if isinstance(expr, ElementwiseApplyFunction):
        return expr.func(expr.function, walk(expr.expr))
    if isinstance(expr, sp.MatrixBase):
        return expr
    return expr.func(*(walk(a) if isinstance(a, MatrixExpr) else a for a in expr.args))


@lru_cache(maxsize=4096)
def canonical(expr: MatrixExpr) -> MatrixExpr:
    """A form of ``expr`` in which equal expressions are equal objects: bound variables renamed,
    terms of sums and factors of ``⊙`` sorted."""
    if isinstance(expr, ElementwiseApplyFunction):
        lam = expr.function
        lam = lam.xreplace({lam.variables[0]: _CANONICAL}) if isinstance(lam, sp.Lambda) else lam
        return ElementwiseApplyFunction(lam, canonical(expr.expr))
    out = _rebuild(expr, canonical)
    if isinstance(out, (MatAdd, HadamardProduct)):
        out = out.func(*sorted(out.args, key=sp.default_sort_key))
    return out


def by_name(expr: MatrixExpr, assignments: Sequence[Assignment]) -> MatrixExpr:
    """``expr`` with every sub-expression equal to the right-hand side of an assignment replaced
    by its left-hand side (``σ(a_{o,t})`` → ``o_t``): common sub-expressions, named."""
    table = {canonical(a.rhs): a.lhs for a in assignments}

    def walk(node: MatrixExpr) -> MatrixExpr:
        if not isinstance(node, MatrixExpr):
            return node
        node = _rebuild(node, walk)
        return table.get(canonical(node), node)

    return walk(expr)


def adjoints_first(expr: MatrixExpr, first: set[MatrixSymbol]) -> MatrixExpr:
    """``expr`` with the factors of every ``⊙`` ordered: symbols in ``first``, other symbols, the rest."""

    def rank(factor: MatrixExpr) -> int:
        return 0 if factor in first else 1 if isinstance(factor, MatrixSymbol) else 2

    def walk(node: MatrixExpr) -> MatrixExpr:
        if not isinstance(node, MatrixExpr):
            return node
        node = _rebuild(node, walk)
        if isinstance(node, HadamardProduct):
            node = HadamardProduct(*sorted(node.args, key=rank))
        return node

    return walk(expr)
