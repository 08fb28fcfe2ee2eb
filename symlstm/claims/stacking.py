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


def stacked_gates(cell: CellSpec, n: int | None = None, m: int | None = None) -> EquivalenceClaim:
    """Gate pre-activations stacked in the cell's gate order = one product per concatenated block.

    ``n``, ``m``: concrete sizes (explicit entries); symbolic sizes when both are None.
    """
    if not cell.gates:
        raise CellError(f"cell {cell.name!r} has no gates to stack")
    first = cell.gates[0]
    if any(g.concat != first.concat for g in cell.gates):
        raise CellError(f"the gates of cell {cell.name!r} do not all read the same concatenation")
    labels = first.labels
    order = ", ".join(g.key for g in cell.gates)
    at = sizes_at(n, m)

    def build(sizes: Mapping[sp.Symbol, sp.Expr]):
        gates = cell.sized(sizes).gates
        blocks = list(gates[0].concat.blocks)
        rows = gates[0].weight.shape[0]
        bias_parts = {
            label: [vector(f"b_{{{stack_name(label)},{g.key}}}", rows) for g in gates] for label in ("x", "h")
        }
        per_gate = [
            add(matmul(side_by_side(*g.weight_blocks), g.concat), bias_parts["x"][i], bias_parts["h"][i])
            for i, g in enumerate(gates)
        ]
        left = concat(*per_gate)
        terms = []
        for position in range(len(labels)):
            stacked = concat(*(g.weight_blocks[position] for g in gates))
            terms.append(matmul(stacked, blocks[position]))
        right = add(*terms, concat(*bias_parts["x"]), concat(*bias_parts["h"]))
        return left, right

    stacked_names = " and ".join(f"weight_{stack_name(label)}" for label in labels)
    return EquivalenceClaim(
        f"stacked-gates[{cell.name}]",
        f"the gates {order}, stacked, are one product per block: {stacked_names} are the column blocks of "
        f"W_{{{', '.join(g.key for g in cell.gates)}}} stacked in the order {order} (PyTorch's layout)",
        build, cell.size_symbols, at=at,
    )
