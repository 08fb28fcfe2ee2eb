r"""One tanh for all the gates of a stack: ``σ(z) = (1 + tanh(z/2))/2``.

Every gate function symlstm knows is affine in tanh of a scaled argument, ``φ(z) = α + β·tanh(γ·z)``
(σ: α = β = γ = 1/2; tanh: 0, 1, 1), which :func:`affine_tanh` reads off SymPy's rewrite of φ as tanh.
With ``ã_k = γ_k·a_k`` — free in the loop, since ``Γ·(W·v + b) = (Γ·W)·v + Γ·b`` with the scaled
weights computed once — every gate of a stack applies the same tanh to its own rows of one array:
a single call for the adjacent rows instead of a call per gate, then ``y_k = α_k + β_k·tanh(ã_k)`` in
place on the rows of the gates that need it (σ's), adjacent rows with the same α, β again in one call.
"""

from __future__ import annotations

import os

import sympy as sp
from sympy import BlockMatrix, MatAdd, MatMul, MatrixSymbol, OneMatrix

from symlstm.codegen.layout import Stack
from symlstm.codegen.statements import Statement
from symlstm.functions import Tanh, elementwise, entry, is_known


def affine_tanh(function) -> tuple[sp.Expr, sp.Expr, sp.Expr] | None:
    """``(α, β, γ)`` with ``function(z) = α + β·tanh(γ·z)``, or None if it has no such form."""
    if not is_known(function):
        return None
    z = sp.Dummy("z")
    a, b, c = (sp.Wild(name, exclude=[z]) for name in "abc")
    match = sp.expand(entry(function)(z).rewrite(sp.tanh)).match(a + b * sp.tanh(c * z))
    if not match or match[b] == 0 or match[c] == 0:
        return None
    return match[a], match[b], match[c]


def _tilde(symbol: MatrixSymbol) -> MatrixSymbol:
    base, sub = symbol.name.split("_", 1)
    return MatrixSymbol(rf"\tilde{{{base}}}_{sub}", *symbol.shape)


def _scaled(expr, gamma):
    return expr if gamma == 1 else MatMul(gamma, expr)


class TanhForm:
    """The rewrite of one stack's forward statements (see the module docstring).

    ``views``, ``idents`` and ``overwrites`` of the program are extended in place: every value
    the rewrite introduces lives in rows of the stack's array, and overwrites the one it is computed from.
    """

    def __init__(self, stack: Stack, views: dict, idents: dict, overwrites: dict):
        self.stack, self.views, self.idents, self.overwrites = stack, views, idents, overwrites
        self.forms = [affine_tanh(g.function) for g in stack.gates]
        self.kind: dict[MatrixSymbol, tuple] = {}  # in-place row statement → ("tanh",) or ("affine", α, β)
        self.parts: dict[MatrixSymbol, list[MatrixSymbol]] = {}  # a merged symbol → the symbols it joins

    @property
    def applies(self) -> bool:
        return all(f is not None for f in self.forms)

    def view(self, name: str, ident: str, rows: tuple) -> MatrixSymbol:
        """A new symbol for rows ``rows`` of the stack's array."""
        symbol = MatrixSymbol(name, rows[1] - rows[0], 1)
        self.views[symbol] = (self.stack.preactivation, *rows)
        self.idents[symbol] = ident
        return symbol

    def prepared(self) -> tuple[list[Statement], dict]:
        """``Γ·W_L`` and ``Γ·b`` from the gates' blocks, once before the loops; the replacement map."""
        stack, gammas = self.stack, [f[2] for f in self.forms]
        statements, replace = [], {}
        if all(gamma == 1 for gamma in gammas):  # Γ = I: the weights as they are
            return statements, replace
        for j, weight in enumerate(stack.weights):
            scaled = MatrixSymbol(f"Γ·{weight.name}", *weight.shape)
            self.idents[scaled] = f"{weight.name}_scaled"
            blocks = [[_scaled(g.weight_blocks[j], gamma)] for g, gamma in zip(stack.gates, gammas)]
            statements.append(Statement(scaled, BlockMatrix(blocks), "tanh"))
            replace[weight] = scaled
        scaled = MatrixSymbol(f"Γ·{stack.bias.name}", *stack.bias.shape)
        self.idents[scaled] = f"{self.idents[stack.bias]}_scaled"
        statements.append(Statement(scaled, BlockMatrix([[_scaled(g.bias, gamma)]
                                                         for g, gamma in zip(stack.gates, gammas)]), "tanh"))
        replace[stack.bias] = scaled
        return statements, replace

    def apply(self, statements: list[Statement]) -> tuple[list[Statement], list[Statement]]:
        """``(prepared, statements)``: the scaled weights, and the stack's statements in tanh form."""
        stack = self.stack
        prepared, replace = self.prepared()
        whole = _tilde(stack.preactivation)
        self.views[whole] = (stack.preactivation, 0, stack.rows)
        self.idents[whole] = self.idents[stack.preactivation]
        tilde = {g.preactivation: self.view(_tilde(g.preactivation).name, self.idents[g.preactivation], rows)
                 for g, rows in zip(stack.gates, stack.bounds)}
        activation = {g.activation: k for k, g in enumerate(stack.gates)}
        base, extras, tanhs, affines = [], [], [], []
        for s in statements:
            if s.lhs == stack.preactivation:
                base.append(Statement(whole, s.rhs.xreplace(replace), s.rule))
            elif s.lhs in tilde:  # a gate's own extra terms, scaled like the rest of its row
                k = next(k for k, g in enumerate(stack.gates) if g.preactivation == s.lhs)
                terms = [_scaled(t, self.forms[k][2]) for t in s.rhs.args if t != s.lhs]
                extras.append(Statement(tilde[s.lhs], MatAdd(tilde[s.lhs], *terms)))
            elif s.lhs in activation:
                k = activation[s.lhs]
                first, *second = self.activation(k, stack.gates[k], tilde[stack.gates[k].preactivation])
                tanhs.append(first)
                affines += second
            else:
                base.append(s)
        out = _early(base, extras + tanhs + affines, self.views)
        return prepared, self.merge(out)

    def activation(self, k: int, gate, arg: MatrixSymbol) -> list[Statement]:
        """``y_k = φ(a_k)`` as ``t_k = tanh(ã_k)`` then ``y_k = α + β·t_k``, each in place."""
        alpha, beta, _ = self.forms[k]
        rows = self.stack.bounds[k]
        self.views[gate.activation] = (self.stack.preactivation, *rows)
        if (alpha, beta) == (0, 1):
            self.overwrites[gate.activation], self.kind[gate.activation] = arg, ("tanh",)
            return [Statement(gate.activation, elementwise(Tanh, arg), "tanh")]
        t = self.view(rf"\tanh({arg.name})", f"tanh_{self.idents[arg]}", rows)
        self.overwrites[t], self.kind[t] = arg, ("tanh",)
        self.overwrites[gate.activation], self.kind[gate.activation] = t, ("affine", alpha, beta)
        return [Statement(t, elementwise(Tanh, arg), "tanh"),
                Statement(gate.activation, _affine(alpha, beta, t), "tanh")]

    def merge(self, statements: list[Statement]) -> list[Statement]:
        """Consecutive statements doing the same element-wise thing in place on adjacent rows: one statement."""
        out: list[Statement] = []
        for s in statements:
            merged = self._merged(out[-1], s) if out else None
            if merged is not None:
                out[-1] = merged
            else:
                out.append(s)
        return out

    def _merged(self, first: Statement, second: Statement) -> Statement | None:
        kind = self.kind.get(first.lhs)
        if kind is None or kind != self.kind.get(second.lhs):
            return None
        (_, lo1, hi1), (_, lo2, hi2) = self.views[first.lhs], self.views[second.lhs]
        if hi1 != lo2:
            return None
        src1, src2 = self.overwrites[first.lhs], self.overwrites[second.lhs]
        rows = (lo1, hi2)
        source = self._union(src1, src2, rows)
        lhs = self._union(first.lhs, second.lhs, rows)
        self.overwrites[lhs], self.kind[lhs] = source, kind
        rhs = elementwise(Tanh, source) if kind == ("tanh",) else _affine(kind[1], kind[2], source)
        return Statement(lhs, rhs, "tanh")


    def _union(self, first: MatrixSymbol, second: MatrixSymbol, rows: tuple) -> MatrixSymbol:
        """``[first; second]``, adjacent rows of the stack, named after its parts (flattened)."""
        parts = self.parts.get(first, [first]) + self.parts.get(second, [second])
        idents = [self.idents[p] for p in parts]
        prefix = os.path.commonprefix(idents)
        prefix = prefix[:prefix.rfind("_") + 1]  # tanh_a_i, tanh_a_f → tanh_a_if; i, f → i_f
        ident = prefix + "".join(i[len(prefix):] for i in idents) if prefix else "_".join(idents)
        union = self.view("[" + "; ".join(p.name for p in parts) + "]", ident, rows)
        self.parts[union] = parts
        return union


def _affine(alpha, beta, t: MatrixSymbol):
    """``α + β·t`` (α·𝟏 when α ≠ 0)."""
    return MatAdd(_scaled(OneMatrix(*t.shape), alpha), _scaled(t, beta)) if alpha != 0 else _scaled(t, beta)


def _contains(outer: tuple, inner: tuple) -> bool:
    """Whether the rows ``outer = (base, lo, hi)`` include the rows ``inner`` (same array)."""
    if outer[0] != inner[0]:
        return False
    if outer[1] is None:
        return True
    if inner[1] is None:
        return False
    return sp.simplify(inner[1] - outer[1]).is_nonnegative and sp.simplify(outer[2] - inner[2]).is_nonnegative


def _early(base: list[Statement], movable: list[Statement], views: dict) -> list[Statement]:
    """``base`` with each of ``movable`` (in order) inserted right after the last statement defining
    something it reads (a statement defining rows of a stack defines every value in those rows)."""
    out = list(base)
    placed: set[int] = set()

    def rows(symbol):
        return views.get(symbol, (symbol, None, None))

    for m in movable:
        position = 0
        for index, s in enumerate(out):
            if any(_contains(rows(s.lhs), rows(r)) for r in m.reads):
                position = index + 1
        while position < len(out) and id(out[position]) in placed:
            position += 1
        out.insert(position, m)
        placed.add(id(m))
    return out
