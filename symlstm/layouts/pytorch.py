"""PyTorch's ``nn.LSTM`` / ``nn.GRU`` ``state_dict`` (one layer, one direction: the ``_l0`` names).

LSTM, gates stacked i, f, g, o::

    weight_ih_l0 (4n, m), weight_hh_l0 (4n, r), bias_ih_l0 (4n,), bias_hh_l0 (4n,), weight_hr_l0 (p, n)

with ``r = p`` under ``proj_size=p`` (``h_t = weight_hr_l0·(o_t ⊙ tanh c_t)``), else ``r = n``.
GRU, gates stacked r, z, n: ``weight_ih_l0 (3n, m)``, ``weight_hh_l0 (3n, n)``, ``bias_ih_l0``,
``bias_hh_l0 (3n,)``; ``n_t = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))``.

PyTorch has no peepholes, no coupled input-forget gate and no Cho-style GRU.
"""

from __future__ import annotations

from symlstm.algebra import add, matmul
from symlstm.layouts.pivot import GRU_GATES, LSTM_GATES, Format, M, TensorSpec, blocks, cannot, stack


def tensors(cell, kind) -> list[TensorSpec]:
    if kind.peephole:
        raise cannot("pytorch", cell, "nn.LSTM has no peephole weights")
    if kind.cifg:
        raise cannot("pytorch", cell, "nn.LSTM has no coupled input-forget gate (CIFG)")
    if kind.family == "gru" and not kind.reset_after:
        raise cannot("pytorch", cell, "nn.GRU computes r ⊙ (W_hn·h + b_hn), not Cho et al.'s W_hn·(r ⊙ h)")
    order = LSTM_GATES if kind.family == "lstm" else GRU_GATES
    specs = [
        TensorSpec("weight_ih_l0", stack([M(f"W_{k}x") for k in order])),
        TensorSpec("weight_hh_l0", stack([M(f"W_{k}h") for k in order])),
        TensorSpec("bias_ih_l0", stack([M(f"b_i{k}") for k in order]), "vector"),
        TensorSpec("bias_hh_l0", stack([M(f"b_h{k}") for k in order]), "vector"),
    ]
    if kind.proj:
        specs.append(TensorSpec("weight_hr_l0", ((M("W_hr"),),)))
    return specs


def preactivations(t, kind, v) -> dict:
    """As the PyTorch documentation writes them (``W_ii x + b_ii + W_hi h + b_hi`` …)."""
    if kind.family == "gru":
        r_x, z_x, n_x = blocks(add(matmul(t["weight_ih_l0"], v.x), t["bias_ih_l0"]), 3)
        r_h, z_h, n_h = blocks(add(matmul(t["weight_hh_l0"], v.h), t["bias_hh_l0"]), 3)
        return {"r": add(r_x, r_h), "z": add(z_x, z_h), "nx": n_x, "nh": n_h}
    gates = add(matmul(t["weight_ih_l0"], v.x), matmul(t["weight_hh_l0"], v.h), t["bias_ih_l0"], t["bias_hh_l0"])
    i, f, g, o = blocks(gates, 4)
    out = {"i": i, "f": f, "g": g, "o": o}
    if kind.proj:
        out["h"] = matmul(t["weight_hr_l0"], v.u)
    return out


FORMAT = Format("pytorch", "torch.nn.LSTM / torch.nn.GRU state_dict (layer 0, one direction)",
                tensors, preactivations)
