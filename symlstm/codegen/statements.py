"""A statement of a scheduled program: ``lhs = rhs`` and the rule of the mathematics that put it there."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import MatrixExpr, MatrixSymbol

NOTES = {
    "stacked": "stacked-gates claim: one product per block for all gates",
    "hoist": "concat-split claim: the terms that read no state, for all steps in one GEMM before the loop",
    "sink": "nothing in the loop reads it: for all steps in one GEMM after the loop",
    "sum": "Σ_t δa_t·u_tᵀ = δAᵀ·U, time flattened into the batch: one GEMM",
    "named": "computed once and stored: the backward pass reads it",
    "cse": "common sub-expression (SymPy cse)",
    "recurrence": "the recurrence: the upstream gradient of step t plus what step t + 1 sent back",
    "fused": "element-wise statements of a step fused into one compiled pass (numba)",
    "tanh": "σ(z) = (1 + tanh(z/2))/2: Γ = 1/2 on σ rows folded into the weights, one tanh for adjacent rows",
}


@dataclass(frozen=True)
class Statement:
    """``lhs = rhs`` and the rule that put it here (a key of :data:`NOTES`, or "")."""

    lhs: MatrixSymbol
    rhs: MatrixExpr
    rule: str = ""

    @property
    def reads(self) -> set[MatrixSymbol]:
        return set(self.rhs.atoms(MatrixSymbol))


