"""TensorFlow Lite's ``LSTM`` / ``UNIDIRECTIONAL_SEQUENCE_LSTM`` operands: one tensor per gate.

Named as ``tensorflow/lite/kernels/lstm_shared.h`` names them, with gates input, forget, cell
(symlstm's g) and output::

    input_to_{gate}_weights (n, m)      recurrent_to_{gate}_weights (n, r)
    cell_to_{input,forget,output}_weights (n,)   (peepholes: i, f on c_{t-1}, o on c_t)
    {gate}_gate_bias (n,)               projection_weights (p, n), projection_bias (p,)

CIFG drops the input-gate tensors (TFLite's ``i = 1 − f``).  TFLite has one bias per gate: converting
to TFLite folds ``b_ik + b_hk``, converting from TFLite puts it in the input-side bias.  symlstm's
projection has no bias: ``projection_bias`` is not written, and read only if it is all zeros.
TFLite has no built-in GRU operator.
"""

from __future__ import annotations

from symlstm.algebra import add, hadamard, matmul
from symlstm.layouts.pivot import Format, M, TensorSpec, cannot, fold, zeros

#: TFLite's name for each LSTM gate of symlstm.
GATE_NAMES = {"i": "input", "f": "forget", "g": "cell", "o": "output"}


def tensors(cell, kind) -> list[TensorSpec]:
    if kind.family != "lstm":
        raise cannot("tflite", cell, "TensorFlow Lite has no built-in GRU operator")
    gates = [(k, GATE_NAMES[k]) for k in kind.gates]
    specs = [TensorSpec(f"input_to_{name}_weights", ((M(f"W_{k}x"),),)) for k, name in gates]
    specs += [TensorSpec(f"recurrent_to_{name}_weights", ((M(f"W_{k}h"),),)) for k, name in gates]
    specs += [TensorSpec(f"cell_to_{GATE_NAMES[k]}_weights", ((M(f"p_{k}"),),), "vector") for k in kind.peepholes]
    specs += [TensorSpec(f"{name}_gate_bias", ((fold(f"b_i{k}", f"b_h{k}"),),), "vector") for k, name in gates]
    if kind.proj:
        specs += [TensorSpec("projection_weights", ((M("W_hr"),),)),
                  TensorSpec("projection_bias", ((zeros(("p", 1)),),), "vector", optional=True)]
    return specs


def preactivations(t, kind, v) -> dict:
    """The kernel's gate by gate sums: ``input_to_k·x + recurrent_to_k·h + cell_to_k ⊙ c + k_gate_bias``."""
    out = {}
    for k in kind.gates:
        name = GATE_NAMES[k]
        terms = [matmul(t[f"input_to_{name}_weights"], v.x), matmul(t[f"recurrent_to_{name}_weights"], v.h)]
        if k in kind.peepholes:
            terms.append(hadamard(t[f"cell_to_{name}_weights"], v.c_t if k == "o" else v.c_prev))
        out[k] = add(*terms, t[f"{name}_gate_bias"])
    if kind.proj:
        projected = matmul(t["projection_weights"], v.u)
        out["h"] = add(projected, t["projection_bias"]) if "projection_bias" in t else projected
    return out


FORMAT = Format("tflite", "TensorFlow Lite LSTM operands, one tensor per gate", tensors, preactivations)
