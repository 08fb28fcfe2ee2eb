"""Keras (3, and 2's ``tf.keras``) ``LSTM`` / ``GRU`` weights: ``kernel``, ``recurrent_kernel``, ``bias``.

Keras multiplies row vectors, ``x·kernel``, so its matrices are the transposes of the gates' weights,
the gates side by side.  LSTM, gates i, f, c (the candidate, symlstm's g), o::

    kernel (m, 4n) = [W_ixᵀ | W_fxᵀ | W_gxᵀ | W_oxᵀ],  recurrent_kernel (n, 4n),  bias (4n,)

GRU, gates z, r, h (the candidate, symlstm's n).  ``reset_after=True`` (the default, PyTorch's GRU)
keeps two biases, ``bias (2, 3n)`` = [input bias; recurrent bias]; ``reset_after=False`` (Cho et al.)
has one, ``bias (3n,)``.  ``h_t = z ⊙ h_{t-1} + (1 − z) ⊙ hh`` is PyTorch's update with z and n named alike.

Keras's LSTM has one bias per gate: converting to Keras folds ``b_ik + b_hk`` into it; converting from
Keras puts it all in the input-side bias and zeros in the recurrent one.  Keras has no peepholes,
no CIFG and no projection.
"""

from __future__ import annotations

from symlstm.algebra import add, matmul
from symlstm.layouts.pivot import Format, T, TensorSpec, blocks, cannot, fold, stack

#: Keras's gate order in symlstm's names (Keras calls the LSTM candidate c and the GRU candidate h).
LSTM_ORDER = ("i", "f", "g", "o")
GRU_ORDER = ("z", "r", "n")


def tensors(cell, kind) -> list[TensorSpec]:
    for flag, what in ((kind.peephole, "peephole weights"), (kind.cifg, "coupled input-forget gate (CIFG)"),
                       (kind.proj, "projection")):
        if flag:
            raise cannot("keras", cell, f"keras.layers.LSTM has no {what}")
    order = LSTM_ORDER if kind.family == "lstm" else GRU_ORDER
    specs = [TensorSpec("kernel", (tuple(T(f"W_{k}x") for k in order),)),
             TensorSpec("recurrent_kernel", (tuple(T(f"W_{k}h") for k in order),))]
    if kind.family == "gru" and kind.reset_after:
        specs.append(TensorSpec("bias", (tuple(T(f"b_i{k}") for k in order), tuple(T(f"b_h{k}") for k in order))))
    else:
        specs.append(TensorSpec("bias", stack([fold(f"b_i{k}", f"b_h{k}") for k in order]), "vector"))
    return specs


def preactivations(t, kind, v) -> dict:
    """Keras's ``call`` (implementation 2), written for columns: ``x·kernel`` is ``kernelᵀ·x``."""
    kernel, recurrent = t["kernel"].T, t["recurrent_kernel"].T
    if kind.family == "lstm":
        z = add(matmul(kernel, v.x), matmul(recurrent, v.h), t["bias"])
        i, f, c, o = blocks(z, 4)
        return {"i": i, "f": f, "g": c, "o": o}
    if kind.reset_after:
        input_bias, recurrent_bias = (row.T for row in blocks(t["bias"], 2))
        x_z, x_r, x_h = blocks(add(matmul(kernel, v.x), input_bias), 3)
        inner_z, inner_r, inner_h = blocks(add(matmul(recurrent, v.h), recurrent_bias), 3)
        return {"r": add(x_r, inner_r), "z": add(x_z, inner_z), "nx": x_h, "nh": inner_h}
    x_z, x_r, x_h = blocks(add(matmul(kernel, v.x), t["bias"]), 3)
    inner_z, inner_r, _ = blocks(matmul(recurrent, v.h), 3)
    _, _, reset_h = blocks(matmul(recurrent, v.rh), 3)
    return {"r": add(x_r, inner_r), "z": add(x_z, inner_z), "n": add(x_h, reset_h)}


FORMAT = Format("keras", "keras.layers.LSTM / GRU weights (kernel, recurrent_kernel, bias)", tensors, preactivations)
