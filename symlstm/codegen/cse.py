"""Common sub-expressions of the backward step, named once (rule ``cse``), around SymPy's ``cse``.

A sum that holds one term twice (``a + a``, unevaluated) is written ``2·a`` first: the repeats are counted,
never left to SymPy's rebuilding (where ``a + a`` may come back as one ``a``).  Element-wise function nodes are held as atoms while SymPy looks for repeats: it would otherwise name a
``Lambda`` two nodes share (σ(c_t) and σ(a_g) share ``Lambda(d, σ(d))``) and then fail to rebuild the
nodes around the name.
"""

from __future__ import annotations

from collections import Counter

import sympy as sp
from sympy import MatAdd, MatMul, MatrixSymbol
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symlstm.codegen.statements import Statement


def counted(expr: sp.Basic) -> sp.Basic:
    """``expr`` with every sum's repeated terms as one term times their count (``a + a + b`` → ``2·a + b``)."""
    def collect(node: MatAdd) -> MatAdd:
        counts = Counter(node.args)
        terms = [term if k == 1 else MatMul(sp.Integer(k), term) for term, k in counts.items()]
        return terms[0] if len(terms) == 1 else MatAdd(*terms)
    return expr.replace(lambda e: isinstance(e, MatAdd) and len(set(e.args)) < len(e.args), collect)


def cse(statements: list[Statement], idents: dict) -> list[Statement]:
    """Name the sub-expressions computed more than once (rule ``cse``); constants such as 𝟏 stay inline.

    Each named sub-expression goes right before the first equation that needs it.
    """
    symbols = (MatrixSymbol(f"_x{k}", 1, 1) for k in range(10**6))
    # element-wise nodes as atoms: SymPy's cse would otherwise name a Lambda shared by two of them (σ(c_t) and
    # σ(a_g) share Lambda(d, σ(d))) and fail to rebuild the nodes around the name
    nodes = sorted({n for s in statements for n in s.rhs.atoms(ElementwiseApplyFunction)}, key=sp.default_sort_key)
    opaque = {n: MatrixSymbol(f"_e{k}", *n.shape) for k, n in enumerate(nodes)}
    back = {v: k for k, v in opaque.items()}
    replacements, reduced = sp.cse([counted(s.rhs).xreplace(opaque) for s in statements], symbols=symbols)
    replacements = [(sym, value.xreplace(back)) for sym, value in replacements]
    reduced = [r.xreplace(back) for r in reduced]
    inline, kept = {}, []
    for sym, value in replacements:
        value = value.xreplace(inline)
        if value.atoms(MatrixSymbol):
            kept.append((sym, value))
        else:
            inline[sym] = value
    reduced = [r.xreplace(inline) for r in reduced]
    first: dict = {}
    for sym, _value in reversed(kept):  # a replacement is needed where its first user is
        users = [k for k, r in enumerate(reduced) if sym in r.atoms(MatrixSymbol)]
        users += [first[other] for other, v in kept if other in first and sym in v.atoms(MatrixSymbol)]
        first[sym] = min(users)
    names = {}
    for number, (sym, value) in enumerate(kept):
        names[sym] = MatrixSymbol(f"c_{{{number}}}", *value.shape)
        idents[names[sym]] = f"cse{number}"
    out = []
    for k, (s, rhs) in enumerate(zip(statements, reduced)):
        out += [Statement(names[sym], value.xreplace(names), "cse") for sym, value in kept if first[sym] == k]
        out.append(Statement(s.lhs, rhs.xreplace(names), s.rule))
    return out
