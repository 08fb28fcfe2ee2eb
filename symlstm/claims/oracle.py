r"""The gradient claims' oracle: SymPy's chain rule with each element-wise function's derivative taken from its
*definition* (``σ(z) = 1/(1 + e^{−z})``), never from the ``fdiff`` the adjoint rules use.

:func:`by_definition` swaps every table function ``φ(a)`` in an expression for a stand-in whose derivative is a
marker ``φ̇(a)``; after SymPy differentiates, :func:`settle` gives each marker a value:

* when the claim ``derivative[φ]`` (:mod:`symlstm.claims.functions`: ``φ'`` as the rules write it = ``d/dz`` of
  φ's definition) is *proved*, the marker becomes the rules' ``φ'`` — exact comparisons stay exact, and the proof
  cites that claim;
* otherwise it becomes ``d/dz`` of the definition itself (primitives: exp, log, Piecewise), and the comparison
  must be numeric (``exact`` is False).

A wrong ``φ'`` (``σ' = σ(1 + σ)``) therefore makes ``derivative[φ]`` refuted and the comparison numeric, where
the wrong derivative shows up as a counterexample.
"""

from __future__ import annotations

import sympy as sp

from symlstm.claims.base import PROVED
from symlstm.claims.functions import DerivativeClaim
from symlstm.functions import TableFunction, definition

_XI = sp.Dummy("xi")
_CLAIMS: dict[tuple, DerivativeClaim] = {}


def derivative_claim(function: type[TableFunction]) -> DerivativeClaim:
    """The claim ``derivative[φ]``, one per function and per definition of its ``φ'`` (checked once)."""
    slope = function.__dict__.get("slope") or getattr(function, "slope")
    key = (function, getattr(slope, "__func__", slope))
    if key not in _CLAIMS:
        _CLAIMS[key] = DerivativeClaim(function)
    return _CLAIMS[key]


def functions_in(*exprs) -> list[type[TableFunction]]:
    """The table functions applied in ``exprs`` (not their derivatives), in name order."""
    found = {type(a) for e in exprs for a in sp.sympify(e).atoms(TableFunction) if not type(a).is_derivative}
    return sorted(found, key=lambda f: f.__name__)


class ByDefinition:
    """Stand-ins for the table functions of some expressions, and the markers of their derivatives."""

    def __init__(self):
        self.stand_in: dict[type, sp.FunctionClass] = {}
        self.marker: dict[type, sp.FunctionClass] = {}

    def _make(self, function: type[TableFunction]) -> sp.FunctionClass:
        if function not in self.stand_in:
            marker = sp.Function(f"{function.__name__}_dot")
            self.marker[function] = marker

            def fdiff(self_, argindex=1, marker=marker):
                return marker(self_.args[0])

            self.stand_in[function] = type(f"{function.__name__}_oracle", (sp.Function,),
                                           {"nargs": 1, "fdiff": fdiff})
        return self.stand_in[function]

    def swap(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with every table function replaced by its stand-in (innermost first)."""
        return expr.replace(lambda e: isinstance(e, TableFunction) and not type(e).is_derivative,
                            lambda e: self._make(type(e))(*e.args))

    def back(self, expr: sp.Expr) -> sp.Expr:
        """Stand-ins back to the table functions (markers are left)."""
        table = {stand_in: function for function, stand_in in self.stand_in.items()}
        return expr.replace(lambda e: type(e) in table, lambda e: table[type(e)](*e.args))

    def settle(self, exprs: list) -> tuple[list, bool, list[str]]:
        """Markers given values: the rules' ``φ'`` where ``derivative[φ]`` is proved (exact), else ``d/dz`` of
        the definition. Returns the expressions, whether all stayed exact, and what was used (words)."""
        exact, used, values = True, [], {}
        for function, marker in self.marker.items():
            claim = derivative_claim(function)
            verdict = claim.check()
            if verdict.status == PROVED:
                values[marker] = lambda a, f=function: f.slope(a)
                used.append(f"{function.text()}′ as the rules write it ({claim.name}: proved)")
            else:
                derivative = sp.diff(definition(function, _XI), _XI)
                values[marker] = lambda a, d=derivative: d.xreplace({_XI: a})
                used.append(f"d/dz of {function.text()}'s definition ({claim.name}: {verdict.status})")
                exact = False
        settled = [self.back(e).replace(lambda e: type(e) in values, lambda e: values[type(e)](e.args[0]))
                   for e in exprs]
        return settled, exact, used


def oracle_words(used: list[str]) -> str:
    if not used:
        return "no element-wise function is involved"
    return "element-wise derivatives: " + "; ".join(used)
