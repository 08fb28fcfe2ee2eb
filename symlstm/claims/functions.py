r"""Claims about the element-wise functions: each one's ``fdiff`` is the derivative of its definition.

For every function φ of :mod:`symlstm.functions`, ``φ'`` as the rule table uses it (``fdiff``, written with
table functions: ``σ(1 − σ)``, ``relu'``) is expanded into primitives through the functions' definitions and
compared with SymPy's ``diff`` of φ's :func:`~symlstm.functions.definition`, which shares no code with it:

* a smooth φ is *proved* when SymPy simplifies the difference to 0;
* a piecewise φ is *proved* piece by piece: on each open interval between its kinks (``z = k + t``, ``t > 0``,
  and so on), the difference simplifies to 0; at a kink the derivative is a convention (PyTorch's), not a
  derivative, and the verdict says which;
* otherwise both are evaluated at many points with mpmath (SymPy's ``evalf`` at 30 digits, away from the
  kinks): *checked* within the tolerance, or *refuted* with the point and both values.
"""

from __future__ import annotations

import sympy as sp

from symlstm.claims.base import Claim, Step, Verdict
from symlstm.functions import (
    ELU,
    Affine,
    Exp,
    HardSigmoid,
    IdentityFunction,
    LeakyReLU,
    ReLU,
    ScaledTanh,
    Sigmoid,
    Softplus,
    Softsign,
    TableFunction,
    Tanh,
    ThresholdedReLU,
    definition,
    torch_hard_sigmoid,
)
from symlstm.printing.latex import latex

#: Where the numeric check looks (besides two points on each side of every kink).
POINTS = tuple(sp.Rational(k, 4) for k in range(-32, 33, 3)) + (sp.Integer(-30), sp.Integer(30))
TOLERANCE = 1e-20
DIGITS = 30


def in_primitives(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every table function replaced by its definition (until none is left)."""
    while expr.has(TableFunction):
        expr = expr.replace(lambda e: isinstance(e, TableFunction), lambda e: e.definition(e.args[0]))
    return expr


def _is_zero(expr: sp.Expr) -> bool:
    try:
        return sp.simplify(expr) == 0
    except (TypeError, ValueError, NotImplementedError):
        return False


class DerivativeClaim(Claim):
    """``φ'`` (``fdiff``, expanded) equals ``d/dz`` of φ's definition."""

    def __init__(self, function: type[TableFunction]):
        self.function = function
        self.name = f"derivative[{function.text()}]"
        self.title = f"{function.text()}′ as the rule table uses it is the derivative of {function.text()}'s definition"
        self.z = sp.Symbol("z", real=True)

    def statement(self) -> str:
        z = self.z
        return (rf"\frac{{d}}{{dz}} {latex(self.function(z))} = {latex(sp.diff(self.function(z), z))}"
                rf", \quad {latex(self.function(z))} = {latex(definition(self.function, z))}")

    def kinks(self) -> tuple[sp.Rational, ...]:
        kinks = getattr(self.function, "kinks", None)
        return tuple(kinks()) if kinks else ()

    def _check(self) -> Verdict:
        z, kinks = self.z, self.kinks()
        ours = in_primitives(sp.diff(self.function(z), z))
        reference = sp.diff(definition(self.function, z), z)
        steps = [Step("φ' as the rules use it, in primitives", latex(ours)),
                 Step("SymPy's diff of the definition", latex(reference))]
        difference = ours - reference
        if not kinks and _is_zero(difference):
            return Verdict.proved("SymPy simplifies φ' − d/dz definition to 0", steps)
        if kinks and self._pieces(difference, kinks):
            words = ", ".join(str(k) for k in kinks)
            return Verdict.proved(f"piece by piece: on every open interval between the kinks (z = {words}) "
                                  f"φ' − d/dz definition simplifies to 0; at a kink {self.function.kink}",
                                  steps + [Step(f"pieces compared on the {len(kinks) + 1} intervals around z = "
                                                f"{words}")])
        return self._numeric(ours, reference, kinks, steps)

    def _pieces(self, difference: sp.Expr, kinks) -> bool:
        """Whether the difference simplifies to 0 on each open interval between the kinks."""
        t = sp.Symbol("t", positive=True)
        ends = sorted(kinks)
        places = [ends[0] - t, ends[-1] + t]
        places += [lo + (hi - lo) / (1 + t) for lo, hi in zip(ends, ends[1:])]  # inside (lo, hi)
        return all(_is_zero(sp.piecewise_fold(difference.subs(self.z, place)).rewrite(sp.Piecewise))
                   or _is_zero(difference.subs(self.z, place)) for place in places)

    def _numeric(self, ours, reference, kinks, steps) -> Verdict:
        points = [p for p in POINTS if all(abs(p - k) > sp.Rational(1, 100) for k in kinks)]
        points += [k + d for k in kinks for d in (sp.Rational(-1, 1000), sp.Rational(1, 1000))]
        worst, where = 0.0, None
        for point in points:
            a = sp.N(ours.subs(self.z, point), DIGITS)
            b = sp.N(reference.subs(self.z, point), DIGITS)
            if not (a.is_number and b.is_number):
                return Verdict.unknown(f"could not evaluate φ' at z = {point}: {a} and {b}", steps)
            deviation = float(abs(a - b))
            if deviation > worst:
                worst, where = deviation, (point, a, b)
            if deviation > TOLERANCE:
                return Verdict.refuted(
                    "φ' differs from the derivative of the definition", steps,
                    counterexample=f"at z = {point}: φ' = {sp.N(a, 12)}, d/dz definition = {sp.N(b, 12)}")
        where_words = f" (largest at z = {where[0]})" if where else ""
        return Verdict.checked(f"SymPy did not simplify the difference to 0; at {len(points)} points (mpmath, "
                               f"{DIGITS} digits, away from kinks) they agree within {TOLERANCE:g}{where_words}",
                               steps, points=len(points), tolerance=TOLERANCE, deviation=worst)


def table_functions() -> list[type[TableFunction]]:
    """Every function of the table, the parametrised ones at their usual parameters."""
    return [IdentityFunction, Sigmoid, Tanh, Exp, Softplus, Softsign, ScaledTanh(1.7159, sp.Rational(2, 3)),
            Affine(2, 1), ReLU, LeakyReLU(0.01), ELU(1), ELU(0.5), ThresholdedReLU(1), HardSigmoid(),
            torch_hard_sigmoid()]


def function_claims() -> list[Claim]:
    """One :class:`DerivativeClaim` per function of :func:`table_functions`."""
    return [DerivativeClaim(f) for f in table_functions()]
