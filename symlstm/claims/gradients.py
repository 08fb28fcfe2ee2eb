r"""Claims that the derived backpropagation through time is the gradient.

* :class:`StepVJPClaim` — one backward step is the vector–Jacobian product of one forward
  step: at concrete sizes, every entry of ``δh_{t-1}``, ``δc_{t-1}``, ``δx_t`` and of every
  per-step parameter gradient equals SymPy's element-wise ``Jacobianᵀ·v`` (exact symbolic
  equality of the entries written out), each element-wise function differentiated through its
  definition (:mod:`.oracle`), never through the ``fdiff`` the rules use.
* :class:`UnrolledClaim` — across time: the recurrence run over ``T`` steps equals the derivative
  of the unrolled loss: SymPy's ``diff``, compared exactly at random rational points
  (``method="diff"``), or an mpmath numerical derivative at high precision (``method="numeric"``).
* :func:`split_gradient_claims` — the gradients of the weight blocks are the column blocks of the
  concatenated gradient.

Across time the loss is ``L = Σ_t ⟨ū_t, h_t⟩ + Σ_s ⟨r_s, s_T⟩`` with free ``ū``, ``r``: any loss enters
the gradient only through ``∂ℓ_t/∂h_t`` and ``∂ℓ_final/∂s_T``, so a linear loss with free weights
is general.  The element-wise functions stay opaque and every step has fresh input symbols, which keeps
the unrolled expressions small; their derivatives come from their definitions (:mod:`.oracle`).
"""

from __future__ import annotations

import sympy as sp
from sympy import MatrixSymbol

from symlstm import algebra
from symlstm.adjoint import Rule
from symlstm.algebra import side_by_side
from symlstm.bptt import BPTT, at_time
from symlstm.claims.base import Claim, Step, Verdict
from symlstm.claims.equivalence import EquivalenceClaim
from symlstm.claims.evaluate import (
    DIGITS,
    SYMBOLIC,
    TOLERANCE,
    Concrete,
    Derivation,
    block_entries,
    entries,
    entry_table,
    exact_numbers,
    mismatch,
    numeric_comparison,
    sizes_key,
    sizes_text,
)
from symlstm.claims.oracle import ByDefinition, oracle_words
from symlstm.claims.unrolled import UnrolledClaim
from symlstm.printing.latex import latex
from symlstm.spec import CellSpec


class StepVJPClaim(Claim):
    """One backward step = ``Jacobianᵀ·v`` of one forward step, entry by entry, at concrete sizes."""

    def __init__(self, cell: CellSpec, sizes: dict[str, int], derivation: Derivation | None = None):
        self.sizes = dict(sizes)
        self.cell = cell
        self.derivation = derivation or Derivation(cell)
        self.name = f"bptt-step-vjp[{sizes_key(self.sizes)}]"
        n, m = (list(self.sizes.values()) + [1, 1])[:2]
        self.cost = 0.2 + 0.03 * n * n * (n + m)  # the entries written out grow as n·(n + m) per row
        self.title = (f"one backward step of {cell.name} is the vector–Jacobian product of one forward step "
                      f"(entries written out at {sizes_text(self.sizes)})")

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
        oracle = ByDefinition()
        outputs = sp.Matrix([oracle.swap(exact_numbers(e)) for s in c.cell.states
                             for e in algebra.explicit(c.cell.expand(s.current.symbol)).xreplace(table)])
        seed = sp.Matrix([e for s in c.cell.states for e in entries(c.incoming[s.name])])
        pairs = []  # (symbol, k, BPTT's entry, the oracle's entry)
        for leaf in leaves:
            want = list(outputs.jacobian(entries(leaf)).T * seed)
            targets = [(c.adjoint[leaf], want)]
            if leaf in c.views:
                targets += [(c.adjoint[b], v) for b, v in
                            block_entries(c.views[leaf], want, int(leaf.shape[1])).items()]
            pairs += [(symbol, k, g, w) for symbol, expected in targets
                      for k, (g, w) in enumerate(zip(got[symbol], expected))]
        wants, exact, used = oracle.settle([w for *_, w in pairs])
        pairs = [(symbol, k, g, w) for (symbol, k, g, _), w in zip(pairs, wants)]
        where = f"at {sizes_text(self.sizes)}"
        oracle_step = Step(f"The oracle is SymPy's Jacobian of the forward step; {oracle_words(used)}.")
        if exact and all(sp.expand(g - w) == 0 for _, _, g, w in pairs):
            step = Step(f"Write out every entry {where}: the forward step's outputs as functions of the "
                        f"{sum(len(entries(s)) for s in leaves)} entries of the inputs, previous states and "
                        "parameters; differentiate with SymPy (Jacobian), multiply its transpose by the incoming "
                        f"adjoints, and subtract the backward step's entries: {len(pairs)} entries expand to 0.")
            return Verdict.proved_at(f"all {len(pairs)} entries agree exactly {where}", [oracle_step, step],
                                     sizes=sizes_text(self.sizes))
        labelled = [((symbol, k), g, w) for symbol, k, g, w in pairs]
        worst, bad, count = numeric_comparison(labelled, seeds=(0, 1))
        if bad is not None:
            (symbol, k), g, w, point = bad
            return Verdict.refuted("the backward step differs from the Jacobianᵀ·v", [oracle_step], counterexample=(
                mismatch(symbol.name, k, symbol.shape, g, w, "SymPy's Jacobianᵀ·v")
                + f" {where}, at a random rational point (seed {point}); each function differentiated through "
                "its definition"))
        why = ("some entries do not expand to 0" if exact else "an element-wise derivative is not proved")
        return Verdict.checked(f"all {len(pairs)} entries agree numerically {where} at 2 random rational points "
                               f"({count} comparisons, {DIGITS} digits): largest relative deviation {worst:.1e}, "
                               f"tolerance {TOLERANCE:g} ({why}, so no exact proof)", [oracle_step],
                               points=count, tolerance=TOLERANCE, deviation=worst)


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

    Sizes ``n`` and ``m`` are set where the cell has them (a cell without either: its first two sizes); other
    sizes take their defaults, or 2; ``quick``
    keeps only the smallest (for tests); ``rules`` replaces the rule table.
    """
    derivation = Derivation(cell, rules)
    names = [s.name for s in cell.size_symbols]
    defaults = {s.name for s, _ in cell.size_defaults}
    # the hidden and input sizes: n and m, or (a cell naming its sizes otherwise) its first two sizes
    roles = ["n", "m"] if {"n", "m"} & set(names) else names[:2]

    def at(n: int, m: int) -> dict[str, int]:
        values = {k: v for k, v in zip(roles, (n, m)) if k in names}
        return values | {k: 2 for k in names if k not in values and k not in defaults}

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
