"""A statement of a scheduled program: ``lhs = rhs`` and the rule of the mathematics that put it there."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import MatrixExpr, MatrixSymbol

from symlstm.spec import gates_form_one_stack

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


#: The note of rule ``stacked`` for a cell whose stacked-gates claim ``symlstm verify`` does not check.
STACKED_RULE = "stacked gates (rule W_f·u + W_g·u = [W_f; W_g]·u): one product per block for all gates"


def notes(cell) -> dict[str, str]:
    """:data:`NOTES` for ``cell``: a comment cites a claim only if ``symlstm verify`` checks it for this cell;
    otherwise it names the rule used."""
    found = dict(NOTES)
    if not gates_form_one_stack(cell):
        found["stacked"] = STACKED_RULE
    return found
