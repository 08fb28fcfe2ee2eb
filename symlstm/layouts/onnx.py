"""The ONNX ``LSTM`` / ``GRU`` operators' inputs (``num_directions = 1``).

LSTM, gates stacked i, o, f, c (c is symlstm's g)::

    W (1, 4n, m), R (1, 4n, n), B (1, 8n) = [Wb; Rb], P (1, 3n) = [P_i; P_o; P_f]

``P`` exists only for a peephole cell.  GRU, gates z, r, h: ``W (1, 3n, m)``, ``R (1, 3n, n)``,
``B (1, 6n)``; PyTorch's GRU is ``linear_before_reset=1``, Cho et al.'s is ``linear_before_reset=0``.

CIFG: ONNX's ``input_forget=1`` as onnxruntime (and ONNX's reference evaluator) computes it keeps the
*input* gate and couples the forget gate to it, ``f = 1 − i``, while TFLite's CIFG (symlstm's) keeps f
and sets ``i = 1 − f``.  Since ``1 − σ(a) = σ(−a)``, a CIFG cell is written in the i slot negated —
``W_i := −W_fx``, ``R_i := −W_fh``, biases and ``P_i := −p_f`` — so that ONNX's ``i = σ(−a_f) = 1 − f``
and its ``f = 1 − i = σ(a_f)``; the f slot is zeros (not read).  :func:`attributes` gives the node
attributes a cell needs.  ONNX has no projection.
"""

from __future__ import annotations

from symlstm.algebra import add, hadamard, matmul
from symlstm.layouts.pivot import Format, M, Piece, TensorSpec, blocks, cannot, stack, zeros
from symlstm.spec import CellSpec

#: ONNX's gate order in symlstm's names (ONNX calls the LSTM candidate c and the GRU candidate h).
LSTM_ORDER = ("i", "o", "f", "g")
PEEPHOLE_ORDER = ("i", "o", "f")
GRU_ORDER = ("z", "r", "n")


def attributes(cell: CellSpec) -> dict[str, int]:
    """The ONNX node attributes (besides ``hidden_size``) that make the node compute ``cell``."""
    options = dict(cell.options)
    if "reset_after" in options:
        return {"linear_before_reset": int(bool(options["reset_after"]))}
    return {"input_forget": 1} if options.get("cifg") else {}


def _slot(kind, k: str, template: str) -> Piece:
    """What ONNX's slot for gate ``k`` holds, ``template`` naming the pivot matrix (``"W_{}x"``)."""
    if kind.cifg and k == "i":
        return Piece((template.format("f"),), negate=True)
    if kind.cifg and k == "f":
        return zeros(template.format("f"))
    return M(template.format(k))


def tensors(cell, kind) -> list[TensorSpec]:
    if kind.proj:
        raise cannot("onnx", cell, "the ONNX LSTM operator has no projection")
    order = LSTM_ORDER if kind.family == "lstm" else GRU_ORDER
    specs = [
        TensorSpec("W", stack([_slot(kind, k, "W_{}x") for k in order]), "onnx"),
        TensorSpec("R", stack([_slot(kind, k, "W_{}h") for k in order]), "onnx"),
        TensorSpec("B", stack([_slot(kind, k, "b_i{}") for k in order] + [_slot(kind, k, "b_h{}") for k in order]),
                   "onnx-vector"),
    ]
    if kind.peephole:
        specs.append(TensorSpec("P", stack([_slot(kind, k, "p_{}") for k in PEEPHOLE_ORDER]), "onnx-vector"))
    return specs


def preactivations(t, kind, v) -> dict:
    """The operator's equations: ``it = f(Xt·Wiᵀ + Ht-1·Riᵀ + Pi ⊙ Ct-1 + Wbi + Rbi)`` … as columns."""
    if kind.family == "gru":
        w_z, w_r, w_h = blocks(matmul(t["W"], v.x), 3)
        wb, rb = blocks(t["B"], 2)
        wb_z, wb_r, wb_h = blocks(wb, 3)
        rb_z, rb_r, rb_h = blocks(rb, 3)
        r_z, r_r, r_h = blocks(matmul(t["R"], v.h), 3)
        out = {"z": add(w_z, r_z, wb_z, rb_z), "r": add(w_r, r_r, wb_r, rb_r)}
        if kind.reset_after:  # linear_before_reset = 1: rt ⊙ (Ht-1·Rhᵀ + Rbh) + Wbh
            return out | {"nx": add(w_h, wb_h), "nh": add(r_h, rb_h)}
        _, _, reset_h = blocks(matmul(t["R"], v.rh), 3)  # (rt ⊙ Ht-1)·Rhᵀ + Rbh + Wbh
        return out | {"n": add(w_h, reset_h, rb_h, wb_h)}
    wb, rb = blocks(t["B"], 2)
    gates = add(matmul(t["W"], v.x), matmul(t["R"], v.h), wb, rb)
    i, o, f, c = blocks(gates, 4)
    if kind.peephole:
        p_i, p_o, p_f = blocks(t["P"], 3)
        i, f, o = add(i, hadamard(p_i, v.c_prev)), add(f, hadamard(p_f, v.c_prev)), add(o, hadamard(p_o, v.c_t))
    if kind.cifg:  # input_forget = 1: onnxruntime's f = 1 − σ(i) = σ(−i); the f slot is not read
        return {"f": -i, "g": c, "o": o}
    return {"i": i, "f": f, "g": c, "o": o}


FORMAT = Format("onnx", "ONNX LSTM / GRU operator inputs W, R, B, P (one direction)", tensors, preactivations)
