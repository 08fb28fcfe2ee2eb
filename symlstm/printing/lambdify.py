"""``sympy.lambdify`` for symlstm's expressions, whose matrix names are LaTeX (``a_{i,t}``, ``h_{t-1}``).

SymPy's ``lambdify`` replaces an argument whose name is not a Python identifier by a *scalar* ``Dummy``,
which a matrix expression cannot hold ("Dummy_36 must be a matrix instance"; sympy/sympy#20883).
:func:`lambdify` first renames every such ``MatrixSymbol`` to a matrix symbol of the same shape with a
safe name, then calls SymPy's.  Element-wise nodes print themselves as NumPy code (``functions/nodes.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sympy as sp


def safe_name(name: str, taken: set[str]) -> str:
    """``a_{i,t}`` → ``a_i_t``, ``\\delta h_t`` → ``delta_h_t``; a suffix keeps it apart from ``taken``."""
    base = re.sub(r"\W+", "_", name).strip("_") or "arg"
    base = "_" + base if base[0].isdigit() else base
    candidate, k = base, 1
    while candidate in taken:
        candidate, k = f"{base}_{k}", k + 1
    return candidate


def lambdify(args, expr, modules="numpy", **options):
    """``sympy.lambdify(args, expr, modules)`` with every matrix symbol renamed to a Python identifier first.

    ``args``: one symbol or a sequence of them (matrix symbols of any shape, scalar symbols); a matrix
    symbol is passed as an array of its shape, e.g. ``a_{i,t}`` (2, 1) as a (2, 1) array.
    """
    one = not isinstance(args, Iterable) or isinstance(args, sp.Basic)
    listed = [args] if one else list(args)
    symbols = sorted({*expr.atoms(sp.MatrixSymbol), *(a for a in listed if isinstance(a, sp.MatrixSymbol))},
                     key=lambda s: s.name)
    taken = {s.name for s in symbols if s.name.isidentifier()} | {str(s) for s in expr.free_symbols}
    renamed = {}
    for symbol in symbols:
        if not symbol.name.isidentifier():
            renamed[symbol] = sp.MatrixSymbol(safe_name(symbol.name, taken), *symbol.shape)
            taken.add(renamed[symbol].name)
    safe_args = [renamed.get(a, a) for a in listed]
    return sp.lambdify(safe_args[0] if one else safe_args, expr.xreplace(renamed), modules, **options)
