r"""Claims that the derived backpropagation through time is the gradient.

* :class:`StepVJPClaim` — one backward step is the vector–Jacobian product of one forward
  step: at concrete sizes, every entry of ``δh_{t-1}``, ``δc_{t-1}``, ``δx_t`` and of every
  per-step parameter gradient equals SymPy's element-wise ``Jacobianᵀ·v`` (exact symbolic
  equality of the entries written out).
* :class:`UnrolledClaim` — across time: the recurrence run over ``T`` steps equals the derivative
  of the unrolled loss: SymPy's ``diff``, compared exactly at random rational points
  (``method="diff"``), or an mpmath numerical derivative at high precision (``method="numeric"``).
* :func:`split_gradient_claims` — the gradients of the weight blocks are the column blocks of the
  concatenated gradient.

Across time the loss is ``L = Σ_t ⟨ū_t, h_t⟩ + Σ_s ⟨r_s, s_T⟩`` with free ``ū``, ``r``: any loss enters
the gradient only through ``∂ℓ_t/∂h_t`` and ``∂ℓ_final/∂s_T``, so a linear loss with free weights
is general.  ``Sigmoid``/``Tanh`` stay opaque and every step has fresh input symbols, which keeps
the unrolled expressions small.
"""

from __future__ import annotations

import random

import mpmath
import sympy as sp
from sympy import MatrixSymbol

from symlstm import algebra
from symlstm.adjoint import Rule
from symlstm.algebra import side_by_side
from symlstm.bptt import BPTT, at_time
from symlstm.claims.base import Claim, Step, Verdict
from symlstm.claims.equivalence import EquivalenceClaim
from symlstm.claims.evaluate import MPMATH, SYMBOLIC, Concrete, Derivation, Values, block_entries, entries, entry_table
from symlstm.errors import CellError
from symlstm.functions import Sigmoid, Tanh
from symlstm.printing.latex import latex
from symlstm.spec import CellSpec


def _sizes_key(sizes: dict[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in sizes.items())


def _sizes_text(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())


def _point(symbols, seed: int) -> dict[sp.Symbol, sp.Rational]:
    rng = random.Random(seed)
    return {s: sp.Rational(rng.randint(-9, 9), rng.randint(1, 9)) for s in sorted(symbols, key=str)}


def _mismatch(name: str, k: int, shape, got, want, how: str) -> str:
    cols = int(shape[1])
    return (f"{name}[{k // cols}, {k % cols}]: BPTT gives {sp.N(got, 12)} but {how} gives {sp.N(want, 12)}")


class StepVJPClaim(Claim):
    """One backward step = ``Jacobianᵀ·v`` of one forward step, entry by entry, at concrete sizes."""

    def __init__(self, cell: CellSpec, sizes: dict[str, int], derivation: Derivation | None = None):
        self.sizes = dict(sizes)
        self.cell = cell
        self.derivation = derivation or Derivation(cell)
        self.name = f"bptt-step-vjp[{_sizes_key(self.sizes)}]"
        self.title = (f"one backward step of {cell.name} is the vector–Jacobian product of one forward step "
                      f"(entries written out at {_sizes_text(self.sizes)})")

    def statement(self) -> str:
        d = self.derivation.get()
        if isinstance(d, str):
            return r"\delta u = J^{\top} v"
        news = ", ".join(latex(s.current.symbol) for s in self.cell.states)
        seeds = ", ".join(latex(v) for v in d.incoming.values())
        return (rf"\delta u = \left(\frac{{\partial ({news})}}{{\partial u}}\right)^{{\top}} ({seeds}) "
                rf"\quad \text{{for every entry of every input, previous state and parameter }} u")

    def _check(self) -> Verdict:
        d = self.derivation.get()
        if isinstance(d, str):
            return self.derivation.failure()
        c = Concrete(self.cell, d, self.sizes, SYMBOLIC)
        leaves = c.step_leaves()
        values = {s: entries(s) for s in leaves} | {v: entries(v) for v in c.incoming.values()}
        got = c.backward.run(c.forward.run(values))
        table = entry_table(leaves)
        outputs = sp.Matrix([e for s in c.cell.states
                             for e in algebra.explicit(c.cell.expand(s.current.symbol)).xreplace(table)])
        seed = sp.Matrix([e for s in c.cell.states for e in entries(c.incoming[s.name])])
        checked = 0
        for leaf in leaves:
            want = list(outputs.jacobian(entries(leaf)).T * seed)
            pairs = [(c.adjoint[leaf], want)]
            if leaf in c.views:
                pairs += [(c.adjoint[b], v) for b, v in block_entries(c.views[leaf], want, int(leaf.shape[1])).items()]
            for symbol, expected in pairs:
                for k, (g, w) in enumerate(zip(got[symbol], expected)):
                    if sp.expand(g - w) != 0:
                        point = _point((g - w).free_symbols, 0)
                        return Verdict.refuted("the backward step differs from the Jacobianᵀ·v", counterexample=(
                            _mismatch(symbol.name, k, symbol.shape, g.xreplace(point), w.xreplace(point),
                                      "SymPy's Jacobianᵀ·v") + f" at {_sizes_text(self.sizes)}, at a random "
                            "rational point"))
                    checked += 1
        step = Step(f"Write out every entry at {_sizes_text(self.sizes)}: the forward step's outputs as "
                    f"functions of the {sum(len(entries(s)) for s in leaves)} entries of the inputs, previous "
                    f"states and parameters; differentiate with SymPy (Jacobian), multiply its transpose by the "
                    f"incoming adjoints, and subtract the backward step's entries: {checked} entries expand to 0.")
        return Verdict.proved_at(f"all {checked} entries agree exactly at {_sizes_text(self.sizes)}", [step],
                                 sizes=_sizes_text(self.sizes))


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
        self.digits, self.points = digits, points
        self.derivation = derivation or Derivation(cell)
        self.name = f"bptt-unrolled-{method}[T={T},{_sizes_key(self.sizes)}]"
        how = "SymPy's diff of" if method == "diff" else f"a {digits}-digit mpmath numerical derivative of"
        self.title = (f"the BPTT recurrence over T = {T} steps equals {how} the unrolled loss "
                      f"({_sizes_text(self.sizes)})")

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
        inputs = [rf"{latex(at_time(v.symbol, 1))}, \ldots, {latex(at_time(v.symbol, self.T))}"
                  for v in self.cell.inputs]
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
        pairs = [(leaf, k, g, sp.diff(loss, e)) for leaf in leaves
                 for k, (e, g) in enumerate(zip(point[leaf], grads[leaf]))]
        atoms = sorted(loss.atoms(Sigmoid, Tanh), key=str)  # differentiating σ, tanh makes no new ones
        for seed in range(self.points):
            numbers = _point(loss.free_symbols, seed) | _point(atoms, 100 + seed)
            for leaf, k, got, want in pairs:
                if got.xreplace(numbers) != want.xreplace(numbers):
                    leaf_point = _point(loss.free_symbols, seed)
                    g, w = sp.N(got.xreplace(leaf_point), 30), sp.N(want.xreplace(leaf_point), 30)
                    if abs(g - w) > 1e-25 * max(1, abs(w)):
                        return Verdict.refuted("BPTT differs from diff of the unrolled loss", counterexample=(
                            _mismatch(leaf.name, k, leaf.shape, g, w, "SymPy's diff of the unrolled loss")
                            + f" at T = {self.T}, {_sizes_text(self.sizes)}, random point {seed}"))
                    if sp.expand(got - want) != 0:
                        return Verdict.unknown(f"{leaf.name}: the two sides agree to 25 digits at a random point "
                                                "but are not the same polynomial in σ and tanh of the same arguments")
        step = Step(f"Unroll {self.T} steps with every entry symbolic (fresh inputs per step), form the loss, "
                    f"and differentiate it with SymPy with respect to each of the {len(pairs)} entries of the "
                    f"parameters, initial states and inputs. Run the BPTT recurrence on the same forward values. "
                    f"Both sides are polynomials in the entries and in σ(·), tanh(·) of the same arguments; at "
                    f"{self.points} random rational values of all of these, every pair agrees exactly.")
        return Verdict.checked(f"all {len(pairs)} gradient entries agree exactly (exact rational arithmetic, "
                               f"tolerance 0) at {self.points} random rational points (T = {self.T}, "
                               f"{_sizes_text(self.sizes)})", [step],
                               points=self.points, tolerance=0.0, deviation=0.0)

    def _check_numeric(self, d: BPTT) -> Verdict:
        c = Concrete(self.cell, d, self.sizes, MPMATH)
        leaves, weights = self._leaves(c)
        tolerance = mpmath.mpf(10) ** (15 - self.digits)
        with mpmath.workdps(self.digits):
            rng = random.Random(1)
            point = {s: [mpmath.mpf(rng.randint(-20, 20)) / 10 for _ in entries(s)]
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
                            _mismatch(leaf.name, k, leaf.shape, got, want, f"a {self.digits}-digit numerical "
                                      "derivative") + f" at T = {self.T}, {_sizes_text(self.sizes)}"))
                    worst, count = max(worst, error), count + 1
        step = Step(f"Evaluate the unrolled loss over {self.T} steps with mpmath at {self.digits} digits at a "
                    f"random point, differentiate it numerically with respect to each of the {count} entries, "
                    f"and compare with the BPTT recurrence at the same point: the largest relative difference "
                    f"is {mpmath.nstr(worst, 3)}.")
        return Verdict.checked(f"all {count} gradient entries agree to within {mpmath.nstr(worst, 3)} "
                               f"(relative; tolerance {mpmath.nstr(tolerance, 3)}; T = {self.T}, "
                               f"{_sizes_text(self.sizes)}, {self.digits} digits)", [step],
                               points=count, tolerance=float(tolerance), deviation=float(worst))


def _dot(a: list, b: list):
    return sum(x * y for x, y in zip(a, b))


def _at(expr: sp.Basic, t: int) -> sp.Basic:
    return expr.xreplace({s: at_time(s, t) for s in expr.atoms(MatrixSymbol)})


def _sizes_in(expr: sp.Basic) -> list[sp.Symbol]:
    """The size Symbols the shapes in ``expr`` depend on."""
    found = {f for s in expr.atoms(MatrixSymbol) for d in s.shape for f in sp.sympify(d).free_symbols}
    return sorted(found, key=lambda f: f.name)


def split_gradient_claims(d: BPTT, steps: int = 2) -> list[EquivalenceClaim]:
    """For each weight read in column blocks: ``[Σ_t δW_{·h,t} | Σ_t δW_{·x,t}] = Σ_t δW_t`` (``steps`` terms)."""
    claims = []
    for weight, gradient in d.weight_gradients.items():
        if not gradient.blocks:
            continue

        def build(sizes, gradient=gradient):
            total = [algebra.add(*[_at(b.per_step.xreplace(sizes), t) for t in range(1, steps + 1)])
                     for b in gradient.blocks]
            whole = algebra.add(*[_at(gradient.per_step.xreplace(sizes), t) for t in range(1, steps + 1)])
            return side_by_side(*total), whole

        blocks = " | ".join(b.param.name for b in gradient.blocks)
        claims.append(EquivalenceClaim(
            f"split-gradient[{weight.name}]",
            f"the gradients of the blocks [{blocks}] of {weight.name} are the column blocks of its gradient "
            f"(sum over {steps} steps)", build, _sizes_in(gradient.per_step), trial_values=(1, 2)))
    return claims


def gradient_claims(cell: CellSpec, *, rules: dict[type, Rule] | None = None, quick: bool = False) -> list[Claim]:
    """The BPTT claims for ``cell``: per-step VJP, across time (SymPy diff, mpmath), split gradients.

    Sizes ``n`` and ``m`` are set where the cell has them (other sizes take their defaults); ``quick``
    keeps only the smallest (for tests); ``rules`` replaces the rule table.
    """
    derivation = Derivation(cell, rules)
    names = {s.name for s in cell.size_symbols}

    def at(n: int, m: int) -> dict[str, int]:
        return {k: v for k, v in (("n", n), ("m", m)) if k in names}

    step_sizes = [(1, 1), (2, 3)] if quick else [(1, 1), (2, 3), (3, 2), (4, 4)]
    diff_sizes = [(1, 1)] if quick else [(1, 1), (2, 1), (1, 2)]
    numeric = [(3, 1, 2)] if quick else [(3, 2, 3), (6, 2, 2)]
    claims: list[Claim] = [StepVJPClaim(cell, at(n, m), derivation) for n, m in step_sizes]
    claims += [UnrolledClaim(cell, 2, at(n, m), method="diff", derivation=derivation) for n, m in diff_sizes]
    claims += [UnrolledClaim(cell, T, at(n, m), method="numeric", derivation=derivation) for T, n, m in numeric]
    d = derivation.get()
    if not isinstance(d, str):
        claims += split_gradient_claims(d)
    return claims
