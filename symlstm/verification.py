"""Every claim symlstm makes about a cell, in the order ``symlstm verify`` checks them."""

from __future__ import annotations

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
    every_weight_in_a_gate = {v.symbol for v in cell.params if v.symbol.name.startswith("W")} <= {
        g.weight for g in cell.gates}
    if stackable and every_weight_in_a_gate:
        found.append(claims.stacked_gates(cell))
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


def claims_for(cell: CellSpec) -> list[Claim]:
    """All claims about ``cell``: forward equations, variants, framework layouts, backpropagation through time,
    and the generated NumPy module."""
    return (forward_claims(cell) + variant_claims(cell) + layout_claims(cell) + gradient_claims(cell)
            + generated_claims(cell))
