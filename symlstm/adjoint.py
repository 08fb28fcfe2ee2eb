r"""Reverse mode at matrix level: one adjoint rule per kind of SymPy node, and a driver.

The rule contract
-----------------
A rule is ``rule(node, adjoint) -> [(child, contribution), ...]``: given a node
``z = node`` of a matrix expression and its adjoint ``z̄ = ∂L/∂z`` (same shape as
``node``), it returns, for each matrix child ``u`` of the node, the term
``(∂z/∂u)ᵀ·z̄`` that ``ū`` receives.  Shapes are checked by :mod:`symlstm.algebra`,
so a wrong rule (a missing transpose) fails with the operands named.  Scalar
factors are constants.  The table :data:`RULES` maps node types to rules; the
driver :func:`reverse` walks a straight-line program backwards and adds up what
each rule returns.  A node whose type has no rule raises :class:`MissingRuleError`
naming it — there is no fallback.

=========================  ============================================================
node                       contributions
=========================  ============================================================
``A·B·C`` (``MatMul``)     ``Ā += z̄·(BC)ᵀ``, ``B̄ += Aᵀ·z̄·Cᵀ``, ``C̄ += (AB)ᵀ·z̄``
``A + B`` (``MatAdd``)     ``Ā += z̄``, ``B̄ += z̄``
``A ⊙ B``                  ``Ā += z̄ ⊙ B``, ``B̄ += z̄ ⊙ A``
``A^{∘p}``                 ``Ā += z̄ ⊙ p·A^{∘(p−1)}``
``φ(A)`` element-wise      ``Ā += z̄ ⊙ φ'(A)``, with ``φ'`` from ``sympy.diff`` (:func:`lift`)
``Aᵀ``                     ``Ā += z̄ᵀ``
``[A; B]``, ``[A | B]``    each block receives its block of ``z̄``
leaves, constants          nothing (the driver collects the adjoints of leaves)
=========================  ============================================================

Node types without a rule so far: ``Inverse``, ``MatPow``, ``MatrixSlice``, ``KroneckerProduct``,
and everything else not in the table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import sympy as sp
from sympy import (
    BlockMatrix,
    HadamardPower,
    HadamardProduct,
    Identity,
    MatAdd,
    MatMul,
    MatrixExpr,
    MatrixSymbol,
    OneMatrix,
    Transpose,
    ZeroMatrix,
    block_collapse,
)
from sympy.core.function import AppliedUndef, FunctionClass
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symlstm import algebra
from symlstm.errors import CellError
from symlstm.functions import elementwise, scalar_function
from symlstm.printing.text import text
from symlstm.spec import Assignment

Contributions = list[tuple[MatrixExpr, MatrixExpr]]
Rule = Callable[[MatrixExpr, MatrixExpr], Contributions]
#: ``derivative(f, d)`` is the scalar derivative ``f'(d)`` as a SymPy expression in ``d``.
Derivative = Callable[[FunctionClass | sp.Lambda, sp.Symbol], sp.Expr]


class MissingRuleError(CellError, NotImplementedError):
    """Reverse mode met a node type that has no adjoint rule."""


# -- small constructors ------------------------------------------------------------
def transpose(x: MatrixExpr) -> MatrixExpr:
    """``xᵀ``, with ``(Aᵀ)ᵀ = A`` and ``(c·AB)ᵀ = c·BᵀAᵀ`` (block matrices stay whole: ``[h; x]ᵀ``)."""
    if isinstance(x, Transpose):
        return x.arg
    if isinstance(x, MatMul):
        coeff, factors = x.as_coeff_matrices()
        return scale(coeff, MatMul(*(transpose(f) for f in reversed(factors))))
    return Transpose(x)


def scale(c: sp.Expr, x: MatrixExpr) -> MatrixExpr:
    """The scalar multiple ``c·x``."""
    return x if c == 1 else MatMul(c, x).doit(deep=False)


def hadamard(*factors: MatrixExpr) -> MatrixExpr:
    """``a ⊙ b ⊙ …``, flattened, without ``𝟏`` factors, shape-checked."""
    flat = []
    for factor in factors:
        flat.extend(factor.args if isinstance(factor, HadamardProduct) else [factor])
    kept = [f for f in flat if not isinstance(f, OneMatrix)] or flat[:1]
    return kept[0] if len(kept) == 1 else algebra.hadamard(*kept)


def constant(c: sp.Expr, shape: tuple) -> MatrixExpr:
    """``c·𝟏`` of the given shape (``0`` and ``1`` as the zero and all-ones matrices)."""
    if c == 0:
        return ZeroMatrix(*shape)
    return scale(c, OneMatrix(*shape))


def lift(expr: sp.Expr, variable: sp.Symbol, argument: MatrixExpr) -> MatrixExpr:
    """The scalar ``expr(variable)`` applied entry-wise to ``argument``, as a matrix expression.

    ``Mul`` becomes ``⊙``, ``Add`` a matrix sum, a constant ``c`` becomes ``c·𝟏``,
    ``u^p`` becomes ``u^{∘p}``, ``F(variable)`` becomes ``F`` applied element-wise,
    and anything else ``(variable ↦ expr)`` applied element-wise.  The result has
    the shape of ``argument``.
    """
    if expr == variable:
        return argument
    if not expr.has(variable):
        return constant(expr, argument.shape)
    if isinstance(expr, sp.Add):
        return MatAdd(*(lift(term, variable, argument) for term in expr.args))
    if isinstance(expr, sp.Mul):
        scalars = [f for f in expr.args if not f.has(variable)]
        factors = [lift(f, variable, argument) for f in expr.args if f.has(variable)]
        return scale(sp.Mul(*scalars), hadamard(*factors))
    if isinstance(expr, sp.Pow) and not expr.exp.has(variable):
        return HadamardPower(lift(expr.base, variable, argument), expr.exp)
    if isinstance(expr, (AppliedUndef, sp.Function)) and expr.args == (variable,):
        return elementwise(expr.func, argument)
    return elementwise(sp.Lambda(variable, expr), argument)


def scalar_derivative(function: FunctionClass | sp.Lambda, variable: sp.Symbol) -> sp.Expr:
    """``function'(variable)`` by SymPy's ``diff`` (for ``Sigmoid``: ``σ(d)(1 − σ(d))``)."""
    return sp.diff(function(variable), variable)


# -- the rules -----------------------------------------------------------------------
def matmul_rule(node: MatMul, adjoint: MatrixExpr) -> Contributions:
    """``z = c·F_1·…·F_k``: ``F̄_j += c·(F_1…F_{j-1})ᵀ·z̄·(F_{j+1}…F_k)ᵀ``."""
    coeff, factors = node.as_coeff_matrices()
    out = []
    for j, factor in enumerate(factors):
        left = [transpose(f) for f in reversed(factors[:j])]
        right = [transpose(f) for f in reversed(factors[j + 1:])]
        out.append((factor, scale(coeff, algebra.matmul(*left, adjoint, *right))))
    return out


def matadd_rule(node: MatAdd, adjoint: MatrixExpr) -> Contributions:
    """``z = A + B + …``: every term receives ``z̄``."""
    return [(term, adjoint) for term in node.args]


def hadamard_rule(node: HadamardProduct, adjoint: MatrixExpr) -> Contributions:
    """``z = A ⊙ B ⊙ …``: ``Ā += z̄ ⊙ B ⊙ …`` (every other factor)."""
    args = node.args
    return [(a, hadamard(adjoint, *args[:j], *args[j + 1:])) for j, a in enumerate(args)]


def hadamard_power_rule(node: HadamardPower, adjoint: MatrixExpr) -> Contributions:
    """``z = A^{∘p}``: ``Ā += z̄ ⊙ p·A^{∘(p−1)}`` (from ``diff`` of ``d^p``)."""
    d = sp.Dummy("d")
    return [(node.base, hadamard(adjoint, lift(sp.diff(d ** node.exp, d), d, node.base)))]


def elementwise_rule(derivative: Derivative = scalar_derivative) -> Rule:
    """The rule for ``z = φ(A)`` element-wise: ``Ā += z̄ ⊙ φ'(A)``, ``φ'`` from ``derivative``.

    The default differentiates the scalar function with SymPy; tests pass a wrong
    ``derivative`` to see the claims refute it.
    """

    def rule(node: ElementwiseApplyFunction, adjoint: MatrixExpr) -> Contributions:
        d = sp.Dummy("d")
        slope = lift(derivative(scalar_function(node), d), d, node.expr)
        return [(node.expr, hadamard(adjoint, slope))]

    rule.__doc__ = f"z = φ(A) element-wise: Ā += z̄ ⊙ φ'(A), φ' by {derivative.__name__}."
    return rule


def transpose_rule(node: Transpose, adjoint: MatrixExpr) -> Contributions:
    """``z = Aᵀ``: ``Ā += z̄ᵀ``."""
    return [(node.arg, transpose(adjoint))]


def block_rule(node: BlockMatrix, adjoint: MatrixExpr) -> Contributions:
    """``z = [A B; C D]``: each block receives the matching block of ``z̄``.

    ``z̄`` is multiplied out block-wise first (``[W_h | W_x]ᵀ·z̄ = [W_hᵀ·z̄; W_xᵀ·z̄]``);
    if it is then not a block matrix with the same partition, slices of it are used.
    """
    collapsed = block_collapse(adjoint)
    same = (isinstance(collapsed, BlockMatrix) and collapsed.blockshape == node.blockshape
            and all(algebra.same_size(a, b) for a, b in zip(collapsed.rowblocksizes, node.rowblocksizes))
            and all(algebra.same_size(a, b) for a, b in zip(collapsed.colblocksizes, node.colblocksizes)))
    out = []
    row = 0
    for i, height in enumerate(node.rowblocksizes):
        col = 0
        for j, width in enumerate(node.colblocksizes):
            part = collapsed.blocks[i, j] if same else adjoint[row:row + height, col:col + width]
            out.append((node.blocks[i, j], part))
            col += width
        row += height
    return out


def no_contribution(node: MatrixExpr, adjoint: MatrixExpr) -> Contributions:
    """Leaves and constants pass nothing on (the driver collects the adjoints of leaves)."""
    return []


#: The rule table: node type → rule.
RULES: dict[type, Rule] = {
    MatMul: matmul_rule,
    MatAdd: matadd_rule,
    HadamardProduct: hadamard_rule,
    HadamardPower: hadamard_power_rule,
    ElementwiseApplyFunction: elementwise_rule(),
    Transpose: transpose_rule,
    BlockMatrix: block_rule,
    MatrixSymbol: no_contribution,
    ZeroMatrix: no_contribution,
    OneMatrix: no_contribution,
    Identity: no_contribution,
}


def rule_for(node: MatrixExpr, rules: Mapping[type, Rule] = RULES) -> Rule:
    """The rule for ``node``'s type (or a base type); :class:`MissingRuleError` naming it if none."""
    for kind in type(node).__mro__:
        if kind in rules:
            return rules[kind]
    known = ", ".join(sorted(k.__name__ for k in rules))
    raise MissingRuleError(f"no adjoint rule for {type(node).__name__} node {text(node)}; "
                           f"reverse mode has rules for: {known}")


# -- the driver --------------------------------------------------------------------
@dataclass(frozen=True)
class Reverse:
    """What :func:`reverse` found.

    ``equations`` define, in evaluation order of the backward pass, the adjoint of
    every intermediate that receives one; ``adjoint`` maps each such intermediate to
    its adjoint symbol; ``leaves`` maps every symbol not defined by an assignment
    (inputs, previous states, parameters, blocks of a view) to its adjoint, a sum of
    contributions (the zero matrix if it received none).
    """

    equations: tuple[Assignment, ...]
    adjoint: dict[MatrixSymbol, MatrixSymbol]
    leaves: dict[MatrixSymbol, MatrixExpr]


def _total(terms: Sequence[MatrixExpr], shape: tuple) -> MatrixExpr:
    terms = [t for t in terms if not isinstance(t, ZeroMatrix)]
    if not terms:
        return ZeroMatrix(*shape)
    return terms[0] if len(terms) == 1 else algebra.add(*terms)


def reverse(assignments: Sequence[Assignment], seeds: Mapping[MatrixSymbol, MatrixExpr],
            name: Callable[[MatrixSymbol], MatrixSymbol], *,
            views: Mapping[MatrixSymbol, BlockMatrix] | None = None,
            rules: Mapping[type, Rule] | None = None,
            tidy: Callable[[MatrixExpr], MatrixExpr] = lambda e: e) -> Reverse:
    """Reverse mode over a straight-line program.

    Parameters
    ----------
    assignments
        ``lhs = rhs`` in forward evaluation order (each ``lhs`` assigned once).
    seeds
        Adjoints given from outside: ``{h_t: δh_t}`` (same shapes as the keys).
    name
        The adjoint symbol of an intermediate: ``a_{f,t}`` → ``\\delta a_{f,t}``.
    views
        Symbols read as block matrices, e.g. ``{W_f: [W_{fh} | W_{fx}]}`` (licensed by the
        concat-split claim ``W·[h; x] = W_h·h + W_x·x``). An adjoint entering a block matrix is
        read through the views first, so ``W_fᵀ·δa`` splits into ``W_{fh}ᵀ·δa`` and ``W_{fx}ᵀ·δa``;
        the adjoint of a viewed symbol is also pushed through its view, giving its blocks' adjoints.
    rules
        The rule table (default :data:`RULES`).
    tidy
        Applied to every adjoint once it is complete (readable forms).
    """
    rules = RULES if rules is None else rules
    views = dict(views or {})
    pending: dict[MatrixSymbol, list[MatrixExpr]] = defaultdict(list)

    def push(node: MatrixExpr, adjoint: MatrixExpr) -> None:
        if isinstance(adjoint, ZeroMatrix):
            return
        if isinstance(node, MatrixSymbol):
            pending[node].append(adjoint)
            return
        rule = rule_for(node, rules)
        if isinstance(node, BlockMatrix):
            adjoint = adjoint.xreplace(views)
        for child, contribution in rule(node, adjoint):
            push(child, contribution)

    equations, adjoint_of = [], {}
    defined = {a.lhs for a in assignments}
    for assignment in reversed(assignments):
        lhs = assignment.lhs
        seed = [seeds[lhs]] if lhs in seeds else []
        contributions = seed + list(reversed(pending.pop(lhs, [])))
        if not contributions:
            continue
        if contributions == seed and isinstance(seed[0], MatrixSymbol):
            adjoint_of[lhs] = seed[0]
        else:
            adjoint_of[lhs] = name(lhs)
            equations.append(Assignment(adjoint_of[lhs], tidy(_total(contributions, lhs.shape)),
                                        f"adjoint of {lhs.name}"))
        push(assignment.rhs, adjoint_of[lhs])
    for symbol, view in views.items():
        if symbol in pending:
            push(view, _total(list(reversed(pending[symbol])), symbol.shape))
    leaves = {s: tidy(_total(list(reversed(terms)), s.shape)) for s, terms in pending.items() if s not in defined}
    return Reverse(tuple(equations), adjoint_of, leaves)
