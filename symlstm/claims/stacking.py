"""The stacked-gates claim: PyTorch's ``weight_ih``/``weight_hh`` are the per-gate column blocks, stacked.

For a cell whose gates all read the same concatenation ``[h; x]`` (the LSTM's i, f, g, o), write each
gate's weight as its column blocks ``W_k = [W_{kh} | W_{kx}]`` and its bias as PyTorch's two parts
``b_k = b_{ih,k} + b_{hh,k}``.  Then the stacked pre-activations are one product per block::

    [a_i; a_f; a_g; a_o] = weight_ih·x + weight_hh·h + bias_ih + bias_hh,
    weight_ih = [W_ix; W_fx; W_gx; W_ox] (4n×m),  weight_hh = [W_ih; W_fh; W_gh; W_oh] (4n×n).

Nothing here names the LSTM: gates, blocks and their order come from the cell's :class:`~symlstm.spec.Gate` records.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy import ZeroMatrix

from symlstm.algebra import add, concat, matmul, side_by_side, vector
from symlstm.claims.concat import sizes_at
from symlstm.claims.equivalence import EquivalenceClaim
from symlstm.errors import CellError
from symlstm.spec import CellSpec

#: PyTorch's suffix for the stacked weight that multiplies a block: ``x`` → ``weight_ih``, ``h`` → ``weight_hh``.
TORCH_SUFFIX = {"x": "ih", "h": "hh"}


def stack_name(label: str) -> str:
    """The suffix of the stacked weight for block ``label`` (``"x"`` → ``"ih"``; other labels keep their name)."""
    return TORCH_SUFFIX.get(label, label)


def _concrete_sizes(cell: CellSpec, n: int | None, m: int | None) -> dict[sp.Symbol, int] | None:
    """``n``, ``m`` for the cell's hidden and input sizes (``n``, ``m``, or its first two sizes), every other size
    its default (or 2); None for symbolic sizes."""
    given = sizes_at(n, m)
    if given is None:
        return None
    symbols = list(cell.size_symbols)
    names = [s.name for s in symbols]
    roles = ["n", "m"] if {"n", "m"} & set(names) else names[:2]
    values = dict(zip(roles, (n, m)))
    defaults = {s: v for s, v in cell.size_defaults}
    return {s: values.get(s.name, defaults.get(s, 2)) for s in symbols}


def stacked_gates(cell: CellSpec, n: int | None = None, m: int | None = None) -> EquivalenceClaim:
    """Gate pre-activations stacked in the cell's gate order = one product per concatenated block.

    The left side is each gate's whole pre-activation as the cell defines it (its weight written as its column
    blocks, its bias as two parts); a gate's further terms (a peephole ``p ⊙ c``) appear on the right stacked
    beside the products, so none is left unexamined. ``n``, ``m``: concrete sizes (explicit entries; the cell's
    other sizes take their defaults); symbolic sizes when both are None.
    """
    if not cell.gates:
        raise CellError(f"cell {cell.name!r} has no gates to stack")
    first = cell.gates[0]
    if any(g.concat != first.concat for g in cell.gates):
        raise CellError(f"the gates of cell {cell.name!r} do not all read the same concatenation")
    labels = first.labels
    order = ", ".join(g.key for g in cell.gates)
    at = _concrete_sizes(cell, n, m)
    extras = any(g.extra for g in cell.gates)

    def build(sizes: Mapping[sp.Symbol, sp.Expr]):
        sized = cell.sized(sizes)
        gates = sized.gates
        blocks = list(gates[0].concat.blocks)
        rows = gates[0].weight.shape[0]
        bias_parts = {
            label: [vector(f"b_{{{stack_name(label)},{g.key}}}", rows) for g in gates] for label in ("x", "h")
        }
        per_gate = [
            sized.definition(g.preactivation).xreplace({
                g.weight: side_by_side(*g.weight_blocks), g.bias: add(bias_parts["x"][i], bias_parts["h"][i])})
            for i, g in enumerate(gates)
        ]
        left = concat(*per_gate)
        terms = []
        for position in range(len(labels)):
            stacked = concat(*(g.weight_blocks[position] for g in gates))
            terms.append(matmul(stacked, blocks[position]))
        if extras:
            terms.append(concat(*(add(*g.extra) if g.extra else ZeroMatrix(rows, 1) for g in gates)))
        right = add(*terms, concat(*bias_parts["x"]), concat(*bias_parts["h"]))
        return left, right

    stacked_names = " and ".join(f"weight_{stack_name(label)}" for label in labels)
    beside = " plus the gates' further terms (peepholes) stacked" if extras else ""
    return EquivalenceClaim(
        f"stacked-gates[{cell.name}]",
        f"the gates {order}, stacked, are one product per block{beside}: {stacked_names} are the column blocks "
        f"of the gates' weights ({', '.join(f'W_{g.key}' for g in cell.gates)}) stacked in the order {order} "
        "(PyTorch's layout); each gate's bias is the sum of its rows of PyTorch's two, bias_ih and bias_hh",
        build, cell.size_symbols, at=at,
    )
