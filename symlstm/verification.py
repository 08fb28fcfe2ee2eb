"""Every claim symlstm makes about a cell, in the order ``symlstm verify`` checks them."""

from __future__ import annotations

from dataclasses import replace

from sympy import MatMul, MatrixSymbol

from symlstm import claims
from symlstm.claims import variants
from symlstm.claims.base import Claim
from symlstm.claims.generated import generated_claims
from symlstm.claims.gradients import gradient_claims
from symlstm.layouts import layout_claims
from symlstm.spec import CellSpec


def forward_claims(cell: CellSpec) -> list[Claim]:
    """Claims about the forward equations: concat = split (both orders, symbolic and concrete),
    the two misreadings (refuted on purpose) and the stacked-gates layout."""
    found: list[Claim] = [
        claims.concat_split("hx"),
        claims.concat_split("xh"),
        claims.concat_split("hx", n=3, m=2),
        claims.swapped_split(),
        claims.seed_reading(),
    ]
    stackable = cell.gates and all(g.concat == cell.gates[0].concat and not g.extra for g in cell.gates)
    if stackable and not weights_beside_gates(cell):
        found.append(claims.stacked_gates(cell))
    return found


def weights_beside_gates(cell: CellSpec) -> set[MatrixSymbol]:
    """Parameters outside the gates' equations that multiply one of the gates' concatenated blocks.

    The GRU's candidate ``tanh(W_nx·x_t + r_t ⊙ (W_nh·h_{t-1} + b_hn))`` is such a case: a framework
    stacks ``W_nx`` and ``W_nh`` with the gates' weights, so a claim about the gates' stack alone would not
    describe its layout. Empty when every product with ``h_{t-1}`` or ``x_t`` is a gate's.
    """
    blocks = set(cell.gates[0].concat.blocks)
    params = {v.symbol for v in cell.params}
    gate_equations = {g.preactivation for g in cell.gates}
    found: set[MatrixSymbol] = set()
    for assignment in cell.assignments:
        if assignment.lhs in gate_equations:
            continue
        for product in assignment.rhs.atoms(MatMul):
            if any(factor in blocks for factor in product.args):
                found |= {factor for factor in product.args if factor in params}
    return found


def variant_claims(cell: CellSpec) -> list[Claim]:
    """How the cell relates to the plain one: zero peepholes, coupled gates, identity projection, GRU forms."""
    options = dict(cell.options)
    found: list[Claim] = []
    if options.get("peephole"):
        found.append(variants.peephole_zero())
    if options.get("cifg"):
        found.append(variants.cifg_is_coupled_lstm())
    if options.get("proj_size"):
        found.append(variants.projection_identity())
    if "reset_after" in options:
        found.append(variants.gru_pytorch_is_cho())
    return found


#: A size's default (a projection's p = proj_size: the user's size, for the generated module) is at most this in
#: the claims, whose proofs are symbolic or at small sizes whatever the user asks for.
CLAIM_SIZE = 2


def for_claims(cell: CellSpec) -> CellSpec:
    """``cell`` with every size default at most :data:`CLAIM_SIZE` (its equations are the same: sizes are symbols)."""
    return replace(cell, size_defaults=tuple((s, min(v, CLAIM_SIZE)) for s, v in cell.size_defaults))


def claims_for(cell: CellSpec) -> list[Claim]:
    """All claims about ``cell``: forward equations, variants, framework layouts, backpropagation through time,
    and the generated NumPy module; checked at small sizes whatever the sizes ``cell`` defaults to."""
    cell = for_claims(cell)
    return (forward_claims(cell) + variant_claims(cell) + layout_claims(cell) + gradient_claims(cell)
            + generated_claims(cell))
