"""The table's functions for ``sympy.lambdify``: the names lambdify prints, bound to SymPy or mpmath callables.

``lambdify`` prints a table function by its class name (``Sigmoid(x)``, ``LeakyReLU_0p01(x)``,
``ReLU_prime(x)``); :func:`namespace` gives, for the functions an expression uses, what those names mean::

    sp.lambdify(args, expr, [namespace(expr, "mpmath"), "mpmath"])

``"sympy"`` binds each name to its class (exact values: rationals stay rationals through piecewise
functions), ``"mpmath"`` to its definition lambdified to mpmath.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from symlstm.functions.base import TableFunction


@cache
def mpmath_function(function: type[TableFunction]):
    """``function`` as an mpmath callable, from its definition."""
    z = sp.Symbol("z", real=True)
    return sp.lambdify(z, function.definition(z), "mpmath")


def used(expr: sp.Basic) -> list[type[TableFunction]]:
    """The table functions applied in ``expr`` (derivatives included), sorted by name."""
    found = {a.func for a in expr.atoms(TableFunction)}
    return sorted(found, key=lambda f: f.__name__)


def namespace(expr: sp.Basic, module: str = "mpmath") -> dict:
    """``{class name: callable}`` for every table function in ``expr``; ``module`` is "mpmath" or "sympy"."""
    if module not in ("mpmath", "sympy"):
        raise ValueError(f"module must be 'mpmath' or 'sympy', got {module!r}")
    return {f.__name__: (mpmath_function(f) if module == "mpmath" else f) for f in used(expr)}
