"""The BPTT recurrence over ``T`` steps = the derivative of the unrolled loss (see :mod:`.gradients`).

``method="diff"``: SymPy differentiates the unrolled loss, each element-wise function through its definition
(:mod:`.oracle`); exact at random rational points where every ``derivative[φ]`` is proved, else numeric.
``method="numeric"``: mpmath evaluates the unrolled loss at high precision (each function from its definition)
and differentiates it numerically.
"""

from __future__ import annotations

import random

import mpmath
import sympy as sp
from sympy import MatrixSymbol

from symlstm.bptt import BPTT, at_time
from symlstm.claims.base import Claim, Step, Verdict
from symlstm.claims.evaluate import (
    DIGITS,
    MPMATH,
    SYMBOLIC,
    TOLERANCE,
    Concrete,
    Derivation,
    Values,
    entries,
    mismatch,
    numeric_comparison,
    random_point,
    sizes_key,
    sizes_text,
)
from symlstm.claims.oracle import ByDefinition, oracle_words
from symlstm.errors import CellError
from symlstm.functions import TableFunction
from symlstm.printing.latex import latex
from symlstm.spec import CellSpec


#: Seconds an unrolled-diff claim may take (the peephole LSTM's at n = 2 takes about 100 s on a loaded
#: 2-core machine; SYMLSTM_CLAIM_BUDGET does not shorten it).
DIFF_BUDGET = 600.0


class UnrolledClaim(Claim):
    """The recurrence over ``T`` steps = the derivative of the unrolled loss, for every leaf entry.

    ``method="diff"``: SymPy differentiates the unrolled loss (all entries symbolic) and both sides
    are compared exactly at random rational points.  ``method="numeric"``: the unrolled loss is
    evaluated with mpmath at ``digits`` significant digits and differentiated numerically
    (``mpmath.diff``); the two sides must agree to ``digits − 15`` digits.
    """

    def __init__(self, cell: CellSpec, T: int, sizes: dict[str, int], *, method: str = "diff", digits: int = 40,
                 points: int = 2, derivation: Derivation | None = None):
        if method not in ("diff", "numeric"):
            raise CellError(f"method must be 'diff' or 'numeric', got {method!r}")
        if not isinstance(T, int) or T < 1:
            raise CellError(f"T must be a positive integer, got {T!r}")
        self.cell, self.T, self.sizes, self.method = cell, T, dict(sizes), method
        if method == "diff":
            self.budget = DIFF_BUDGET
        self.digits, self.points = digits, points
        self.derivation = derivation or Derivation(cell)
        self.name = f"bptt-unrolled-{method}[T={T},{sizes_key(self.sizes)}]"
        n, m = (list(self.sizes.values()) + [1, 1])[:2]
        self.cost = 0.3 + 0.15 * T * n**3 * (n + m) if method == "diff" else 0.02 * T * n * (n + m)
        how = "SymPy's diff of" if method == "diff" else f"a {digits}-digit mpmath numerical derivative of"
        self.title = (f"the BPTT recurrence over T = {T} steps equals {how} the unrolled loss "
                      f"({sizes_text(self.sizes)})")

    def statement(self) -> str:
        d = self.derivation.get()
        if isinstance(d, str):
            return r"\nabla_{\mathrm{BPTT}} \mathcal{L} = \nabla \mathcal{L}"
        outs = [s for s in self.cell.states if s.name in d.upstream]
        terms = " + ".join(rf"\left\langle {latex(d.upstream[s.name])}, {latex(s.current.symbol)} \right\rangle"
                           for s in outs)
        finals = " + ".join(rf"\left\langle {latex(d.final[s.name])}, {latex(at_time(s.current.symbol, 'T'))} "
                            r"\right\rangle" for s in self.cell.states)
        sign = "=" if self.method == "diff" else r"\approx"
        leaves = [p.symbol for p in self.cell.params] + [at_time(s.previous.symbol, 1) for s in self.cell.states]
        inputs = [", ".join(latex(at_time(v.symbol, t)) for t in range(1, self.T + 1)) if self.T <= 3 else
                  rf"{latex(at_time(v.symbol, 1))}, \ldots, {latex(at_time(v.symbol, self.T))}"
                  for v in self.cell.inputs]  # x_1, x_2 for T = 2, never "x_1, …, x_2"
        return (rf"\mathcal{{L}} = \sum_{{t=1}}^{{{self.T}}} {terms} + {finals}: \quad "
                rf"\left[\frac{{\partial \mathcal{{L}}}}{{\partial u}}\right]_{{\mathrm{{BPTT}}}} {sign} "
                rf"\frac{{\partial \mathcal{{L}}}}{{\partial u}} \quad \text{{for every entry }} u \text{{ of }} "
                + ", ".join([latex(s) for s in leaves] + inputs))

    # -- the two sides ------------------------------------------------------------------
    def _leaves(self, c: Concrete) -> tuple[list, dict]:
        """Leaf symbols of the unrolled run, and the loss weights ``{(state, t or 'T'): symbol}``."""
        states = c.cell.states
        leaves = c.params + [at_time(s.previous.symbol, 1) for s in states]
        leaves += [at_time(v.symbol, t) for t in range(1, self.T + 1) for v in c.cell.inputs]
        weights = {(s.name, t): MatrixSymbol(rf"\bar{{{s.name}}}_{{{t}}}", *s.current.symbol.shape)
                   for t in range(1, self.T + 1) for s in states if s.name in c.outputs}
        weights |= {(s.name, "T"): MatrixSymbol(rf"\bar{{{s.name}}}^{{\mathrm{{final}}}}", *s.current.symbol.shape)
                    for s in states}
        return leaves, weights

    def _forward(self, c: Concrete, point: Values, weights: dict) -> tuple[object, list[Values]]:
        """The unrolled loss at ``point`` and the forward values of every step."""
        states = c.cell.states
        current = {s.name: point[at_time(s.previous.symbol, 1)] for s in states}
        forwards, loss = [], 0
        for t in range(1, self.T + 1):
            values = {p: point[p] for p in c.params} | {v.symbol: point[at_time(v.symbol, t)] for v in c.cell.inputs}
            forward = c.forward.run(values | {s.previous.symbol: current[s.name] for s in states})
            forwards.append(forward)
            current = {s.name: forward[s.current.symbol] for s in states}
            loss += sum(_dot(point[weights[s.name, t]], current[s.name]) for s in states if s.name in c.outputs)
        return loss + sum(_dot(point[weights[s.name, "T"]], current[s.name]) for s in states), forwards

    def _backward(self, c: Concrete, point: Values, weights: dict, forwards: list[Values]) -> Values:
        """The BPTT recurrence from step T down to 1: every leaf's gradient."""
        states = c.cell.states
        grads = {p: [0] * len(point[p]) for p in c.params}
        flowing = {s.name: point[weights[s.name, "T"]] for s in states}
        for t in range(self.T, 0, -1):
            seeds = {}
            for s in states:
                upstream = point[weights[s.name, t]] if s.name in c.outputs else [0] * len(flowing[s.name])
                seeds[c.incoming[s.name]] = [u + f for u, f in zip(upstream, flowing[s.name])]
            back = c.backward.run(forwards[t - 1] | seeds)
            grads.update({p: [g + e for g, e in zip(grads[p], back[c.adjoint[p]])] for p in c.params})
            grads.update({at_time(v.symbol, t): back[c.adjoint[v.symbol]] for v in c.cell.inputs})
            flowing = {s.name: back[c.adjoint[s.previous.symbol]] for s in states}
        return grads | {at_time(s.previous.symbol, 1): flowing[s.name] for s in states}

    def _check(self) -> Verdict:
        d = self.derivation.get()
        if isinstance(d, str):
            return self.derivation.failure()
        if self.method == "diff":
            return self._check_diff(d)
        return self._check_numeric(d)

    def _check_diff(self, d: BPTT) -> Verdict:
        c = Concrete(self.cell, d, self.sizes, SYMBOLIC)
        leaves, weights = self._leaves(c)
        point = {s: entries(s) for s in leaves + list(weights.values())}
        loss, forwards = self._forward(c, point, weights)
        grads = self._backward(c, point, weights, forwards)
        oracle = ByDefinition()
        swapped = oracle.swap(loss)
        wants, exact, used = oracle.settle([sp.diff(swapped, e) for leaf in leaves for e in point[leaf]])
        pairs = [(leaf, k, g, w) for (leaf, k, g), w in
                 zip([(leaf, k, g) for leaf in leaves for k, g in enumerate(grads[leaf])], wants)]
        where = f"T = {self.T}, {sizes_text(self.sizes)}"
        oracle_step = Step(f"SymPy differentiates the unrolled loss; {oracle_words(used)}.")
        if exact:
            # the functions of the loss and their derivatives (an atom missed stays symbolic: the numeric path)
            found = loss.atoms(TableFunction)
            found |= {a for f in list(found) for a in sp.sympify(type(f).slope(f.args[0])).atoms(TableFunction)}
            atoms = sorted(found, key=str)
            agree = True
            for seed in range(self.points):
                numbers = random_point(loss.free_symbols, seed) | random_point(atoms, 100 + seed)
                agree = agree and all(g.xreplace(numbers) == w.xreplace(numbers) for _, _, g, w in pairs)
            if agree:
                step = Step(f"Unroll {self.T} steps with every entry symbolic (fresh inputs per step), form the "
                            f"loss, and differentiate it with SymPy with respect to each of the {len(pairs)} entries "
                            "of the parameters, initial states and inputs. Run the BPTT recurrence on the same "
                            "forward values. Both sides are polynomials in the entries and in the element-wise "
                            f"functions of the same arguments; at {self.points} random rational values of all of "
                            "these, every pair agrees exactly.")
                return Verdict.checked(f"all {len(pairs)} gradient entries agree exactly (exact rational "
                                       f"arithmetic, tolerance 0) at {self.points} random rational points ({where})",
                                       [oracle_step, step], points=self.points, tolerance=0.0, deviation=0.0)
        labelled = [((leaf, k), g, w) for leaf, k, g, w in pairs]
        worst, bad, count = numeric_comparison(labelled, seeds=range(self.points))
        if bad is not None:
            (leaf, k), g, w, seed = bad
            return Verdict.refuted("BPTT differs from diff of the unrolled loss", [oracle_step], counterexample=(
                mismatch(leaf.name, k, leaf.shape, g, w, "SymPy's diff of the unrolled loss")
                + f" at {where}, random point {seed}"))
        return Verdict.checked(f"all {len(pairs)} gradient entries agree numerically at {self.points} random "
                               f"rational points ({where}; {DIGITS} digits): largest relative deviation "
                               f"{worst:.1e}, tolerance {TOLERANCE:g}", [oracle_step],
                               points=count, tolerance=TOLERANCE, deviation=worst)

    def _check_numeric(self, d: BPTT) -> Verdict:
        c = Concrete(self.cell, d, self.sizes, MPMATH)
        leaves, weights = self._leaves(c)
        tolerance = mpmath.mpf(10) ** (15 - self.digits)
        with mpmath.workdps(self.digits):
            rng = random.Random(1)
            point = {s: [mpmath.mpf(rng.randint(-999999, 999999)) / 10**6 for _ in entries(s)]
                     for s in leaves + list(weights.values())}
            grads = self._backward(c, point, weights, self._forward(c, point, weights)[1])
            worst, count = mpmath.mpf(0), 0
            for leaf in leaves:
                for k in range(len(point[leaf])):
                    def loss(e, leaf=leaf, k=k):
                        moved = dict(point)
                        moved[leaf] = point[leaf][:k] + [point[leaf][k] + e] + point[leaf][k + 1:]
                        return self._forward(c, moved, weights)[0]
                    want, got = mpmath.diff(loss, 0), grads[leaf][k]
                    error = abs(got - want) / max(1, abs(want))
                    if error > tolerance:
                        return Verdict.refuted("BPTT differs from a numerical derivative", counterexample=(
                            mismatch(leaf.name, k, leaf.shape, got, want, f"a {self.digits}-digit numerical "
                                      "derivative") + f" at T = {self.T}, {sizes_text(self.sizes)}"))
                    worst, count = max(worst, error), count + 1
        step = Step(f"Evaluate the unrolled loss over {self.T} steps with mpmath at {self.digits} digits at a "
                    f"random point, differentiate it numerically with respect to each of the {count} entries, "
                    f"and compare with the BPTT recurrence at the same point: the largest relative difference "
                    f"is {mpmath.nstr(worst, 3)}.")
        return Verdict.checked(f"all {count} gradient entries agree to within {mpmath.nstr(worst, 3)} "
                               f"(relative; tolerance {mpmath.nstr(tolerance, 3)}; T = {self.T}, "
                               f"{sizes_text(self.sizes)}, {self.digits} digits)", [step],
                               points=count, tolerance=float(tolerance), deviation=float(worst))


def _dot(a: list, b: list):
    return sum(x * y for x, y in zip(a, b))
