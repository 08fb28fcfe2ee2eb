"""``left = right`` between matrix expressions, for all sizes or at given sizes.

The proof has two independent halves, and the claim is *proved* only when both agree:

1. **Block algebra** at symbolic sizes: ``block_collapse(left − right)`` and
   ``expand`` must give zero (block by block when it stays a block matrix).
2. **Entries written out** at every small size in a grid (1..3 for each size):
   ``left − right`` with explicit entries ``W[0, 1]`` must expand to zero.

The second half guards against SymPy's block-algebra bugs (sympy#18002,
sympy#22034): block algebra is not trusted alone.  A claim whose sides do not
even have the same shape, or whose products are defined only when two sizes
are equal, is refuted with the shapes named; where entries differ, a concrete
counterexample with integers is reported.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping, Sequence

import sympy as sp
from sympy import BlockMatrix, MatrixExpr, ZeroMatrix, block_collapse

from symlstm import algebra
from symlstm.algebra import ConditionalShapeError, describe
from symlstm.claims.base import Claim, Step, Verdict
from symlstm.claims.evaluate import exact_numbers
from symlstm.errors import ShapeError
from symlstm.functions import TableFunction
from symlstm.printing.latex import latex
from symlstm.printing.text import text

#: ``build(sizes)`` returns ``(left, right)``; ``sizes`` maps each size Symbol to itself or an Integer.
Build = Callable[[Mapping[sp.Symbol, sp.Expr]], tuple[MatrixExpr, MatrixExpr]]


def is_zero(expr: MatrixExpr) -> bool:
    """True when ``expr`` expands to the zero matrix (block by block for a block matrix)."""
    if isinstance(expr, BlockMatrix):
        return all(is_zero(block) for block in expr.blocks)
    expanded = sp.expand(expr)
    return expanded == 0 or isinstance(expanded, ZeroMatrix)


def _gap(left: sp.MatrixBase, right: sp.MatrixBase) -> sp.Expr:
    """The largest entry-wise difference of two matrices of numbers: exact for rationals, else to 30 digits;
    0 when they agree (differences below 1e-25 relative are rounding, not disagreement)."""
    largest = sp.Integer(0)
    for a, b in zip(left, right):
        difference = abs(a - b) if (a - b).is_Rational else abs((a - b).evalf(30))
        if difference > sp.Float("1e-25") * (1 + abs(a.evalf(30))) and difference > largest:
            largest = difference
    return largest


def _numbers(matrix: sp.MatrixBase) -> str:
    """Rationals as they are; anything else (σ(3), tanh(1/2)) to 12 significant digits."""
    if all(entry.is_Rational for entry in matrix):
        return text(matrix)
    return "[" + ", ".join(f"{float(entry.evalf(30)):.12g}" for entry in matrix) + "]"


class EquivalenceClaim(Claim):
    """``left = right`` where ``build`` constructs both sides at given sizes.

    Parameters
    ----------
    name, title
        Identifier and one-line statement in words.
    build
        Constructs ``(left, right)`` at a mapping of sizes; may raise ShapeError.
    sizes
        The size Symbols ``build`` reads.
    at
        Concrete sizes: prove at these sizes only, with explicit entries.
    display
        LaTeX of the statement when ``build`` cannot construct it (ill-shaped claims).
    expected
        False for claims stated in order to be refuted.
    """

    def __init__(self, name: str, title: str, build: Build, sizes: Sequence[sp.Symbol], *,
                 at: Mapping[sp.Symbol, int] | None = None, display: str | None = None,
                 expected: bool = True, trial_values: Sequence[int] = (1, 2, 3)):
        self.name = name if not at else f"{name}@" + ",".join(f"{s}={v}" for s, v in at.items())
        self.title = title
        self.expected = expected
        self._build = build
        self._sizes = tuple(sizes)
        self._at = {s: sp.Integer(v) for s, v in at.items()} if at else None
        self._display = display
        self._trial_values = tuple(trial_values)

    # -- statement -----------------------------------------------------------
    def _values(self) -> dict[sp.Symbol, sp.Expr]:
        return dict(self._at) if self._at else {s: s for s in self._sizes}

    def sides(self, sizes: Mapping[sp.Symbol, int] | None = None) -> tuple[MatrixExpr, MatrixExpr]:
        """``(left, right)`` at ``sizes`` (default: the claim's own sizes); may raise ShapeError."""
        values = self._values() if sizes is None else {s: sp.Integer(v) for s, v in sizes.items()}
        return self._build(values)

    def statement(self) -> str:
        if self._display is not None:
            return self._display
        left, right = self._build(self._values())
        return f"{latex(left)} = {latex(right)}"

    def _size_text(self, values: Mapping[sp.Symbol, sp.Expr]) -> str:
        return ", ".join(f"{s} = {values[s]}" for s in self._sizes)

    # -- checking --------------------------------------------------------------
    def _check(self) -> Verdict:
        if self._at:
            return self._check_concrete(self._at)
        try:
            left, right = self._build(self._values())
            self._require_same_shape(left, right)
        except ConditionalShapeError as error:
            return self._refute_conditional(error)
        except ShapeError as error:
            return Verdict.refuted("the two sides cannot both be formed", counterexample=str(error))
        collapsed_left = block_collapse(algebra.simplify(left))
        collapsed_right = block_collapse(algebra.simplify(right))
        multiplied = [f"{latex(side)} = {latex(collapsed)}"
                      for side, collapsed in ((left, collapsed_left), (right, collapsed_right)) if side != collapsed]
        steps = [Step("Multiply out the blocks.", r", \quad ".join(multiplied))] if multiplied else []
        symbolic = is_zero(block_collapse(collapsed_left - collapsed_right))
        if collapsed_left == collapsed_right:  # not "X − X = 0": say that both sides are one expression
            steps.append(Step("Multiplied out, the two sides are the same expression, block for block:",
                              latex(collapsed_left)))
        else:
            difference = rf"\left({latex(collapsed_left)}\right) - \left({latex(collapsed_right)}\right)"
            steps.append(Step(
                "Subtract and expand" + (": every block of left − right is 0." if symbolic
                                         else ": left − right does not reduce to 0."),
                difference + (" = 0" if symbolic else r" \neq 0"),
            ))
        trials = self._trial_grid()
        numeric = []
        for values in trials:
            counterexample = self._counterexample(values)
            if isinstance(counterexample, str):
                return Verdict.refuted("the entries differ", steps, counterexample=counterexample)
            if counterexample is not None:
                numeric.append(counterexample)
        if not trials:
            return Verdict.unknown("no trial sizes were given: block algebra alone is never trusted", steps)
        if numeric:
            return _combined(numeric, steps)
        tried = "; ".join(self._size_text(v) for v in trials)
        steps.append(Step(f"Write every entry out at {len(trials)} sizes ({tried}): "
                          "left − right expands to 0 entry by entry."))
        if symbolic:
            return Verdict.proved("block algebra reduces left − right to 0 for all sizes, "
                                  f"and explicit entries agree at {len(trials)} sizes", steps)
        return Verdict.proved_at(f"explicit entries agree at {len(trials)} sizes, "
                                 "but block algebra did not reduce left − right to 0 for all sizes", steps,
                                 sizes=tried)

    def _require_same_shape(self, left: MatrixExpr, right: MatrixExpr) -> None:
        for axis, what in ((0, "rows"), (1, "columns")):
            verdict = algebra.same_size(left.shape[axis], right.shape[axis])
            message = f"the two sides have different shapes: left is {describe(left)}, right is {describe(right)}"
            if verdict is False:
                raise ShapeError(message)
            if verdict is None:
                condition = sp.Eq(left.shape[axis], right.shape[axis])
                raise ConditionalShapeError(f"{message}; their {what} agree only when "
                                            f"{condition.lhs} = {condition.rhs}", condition)

    def _trial_grid(self) -> list[dict[sp.Symbol, sp.Expr]]:
        grid = itertools.product(self._trial_values, repeat=len(self._sizes))
        return [{s: sp.Integer(v) for s, v in zip(self._sizes, combo)} for combo in grid]

    def _refute_conditional(self, error: ConditionalShapeError) -> Verdict:
        reason = str(error)
        fitting = []
        for values in self._trial_grid():
            if error.condition.xreplace(values) is sp.false:
                continue
            try:
                left, right = self._build(values)
                self._require_same_shape(left, right)
            except ShapeError:
                continue
            fitting.append(values)
        for values in fitting:
            counterexample = self._counterexample(values)
            if isinstance(counterexample, str):
                return Verdict.refuted(reason, counterexample=f"even where the shapes fit, {counterexample}")
        if fitting:
            reason += f" (where they do, at {self._size_text(fitting[0])}, the two sides agree)"
        return Verdict.refuted("the two sides are not defined for all sizes", counterexample=reason)

    def _check_concrete(self, values: Mapping[sp.Symbol, sp.Expr]) -> Verdict:
        try:
            left, right = self._build(values)
            self._require_same_shape(left, right)
        except ShapeError as error:
            return Verdict.refuted("the two sides cannot both be formed",
                                   counterexample=f"at {self._size_text(values)}: {error}")
        counterexample = self._counterexample(values)
        if isinstance(counterexample, Verdict):
            return counterexample
        if counterexample is not None:
            return Verdict.refuted("the entries differ", counterexample=counterexample)
        entries = algebra.explicit(left)
        step = Step(f"Write out all {len(entries)} entries at {self._size_text(values)} "
                    "and expand left − right: every entry is 0.",
                    latex(entries) + " = " + latex(algebra.explicit(right)))
        return Verdict.proved_at(f"every entry agrees at {self._size_text(values)}", [step],
                                 sizes=self._size_text(values))

    def _counterexample(self, values: Mapping[sp.Symbol, sp.Expr]) -> str | Verdict | None:
        """None if left = right entry by entry at ``values``; else a description with numbers, or a ``checked``
        verdict when the entries do not expand to 0 but no numbers tell the sides apart at high precision (an
        identity such as tanh z = 2σ(2z) − 1 that expansion cannot reduce). Floats are compared as rationals."""
        left, right = (exact_numbers(side) for side in self._build(values))
        difference = algebra.explicit(left) - algebra.explicit(right)
        if all(sp.expand(entry) == 0 for entry in difference):
            return None
        symbols = algebra.matrix_symbols(left) | algebra.matrix_symbols(right)
        kinked = any(getattr(type(f), "kinks", None) for f in (left - right).atoms(TableFunction))
        best, worst = None, sp.Integer(0)  # the seed whose numbers differ most: saturated σ and tanh can hide one
        for seed in range(POINTS):
            numbers = rational_values(symbols, seed) if kinked else algebra.random_values(symbols, seed=seed)
            left_value = algebra.explicit(left.xreplace(numbers))
            right_value = algebra.explicit(right.xreplace(numbers))
            gap = _gap(left_value, right_value)
            worst = max([worst] + [abs((a - b).evalf(DIGITS)) for a, b in zip(left_value, right_value)])
            if gap > 0 and (best is None or gap > best[0]):
                best = (gap, numbers, left_value, right_value)
            if best is not None and best[0] > sp.Rational(1, 10):
                break
        if best is not None:
            _, numbers, left_value, right_value = best
            given = ", ".join(f"{s.name} = {text(v)}" for s, v in numbers.items())
            return (f"counterexample at {self._size_text(values)} with {given}: "
                    f"left = {_numbers(left_value)} but right = {_numbers(right_value)}")
        return Verdict.checked(
            f"at {self._size_text(values)} the entries of left − right do not expand to 0, but at {POINTS} random "
            f"points ({DIGITS} digits) they agree within {TOLERANCE:g} (largest deviation {float(worst):.1e})",
            points=POINTS, tolerance=TOLERANCE, deviation=float(worst))


#: Random points, digits and tolerance of the numeric fallback (an identity expansion cannot reduce).
POINTS, DIGITS, TOLERANCE = 20, 30, 1e-25


def rational_values(symbols, seed: int) -> dict:
    """Random matrices of rationals with six decimals in (−3, 3), in name order (no integer lands on a kink)."""
    rng = random.Random(seed)
    values = {}
    for symbol in sorted(symbols, key=lambda s: s.name):
        rows, cols = (int(d) for d in symbol.shape)
        values[symbol] = sp.ImmutableMatrix(rows, cols, [sp.Rational(rng.randint(-2999999, 2999999), 10**6)
                                                         for _ in range(rows * cols)])
    return values


def _combined(numeric: list[Verdict], steps) -> Verdict:
    """One ``checked`` verdict for the sizes where only numbers could decide."""
    points = sum(v.points for v in numeric)
    worst = max(v.deviation for v in numeric)
    reasons = "; ".join(v.reason for v in numeric)
    return Verdict.checked(f"{reasons}: checked numerically, not proved", list(steps) + [Step(reasons)],
                           points=points, tolerance=TOLERANCE, deviation=worst)
