"""The ``"symlstm"`` format: a generated module's own parameters (:func:`symlstm.codegen.layout`).

Gates that read one concatenation are stacked in the cell's order into ``weight_ih``/``weight_hh``
(PyTorch's ``nn.LSTMCell`` names and order: ``weight_ih (4n, m)``, ``weight_hh (4n, n)``,
``bias_ih``, ``bias_hh (4n,)``, gates i, f, g, o); every other parameter keeps its identifier
(``p_i``, ``W_hr``, the GRU's ``W_nx``, ``W_nh``, ``b_in``, ``b_hn``).  The tensors are read from the
layout, so this format follows the code generator.  Its pre-activations are the cell's own gate
equations with each ``W_k``, ``b_k`` replaced by the module's blocks.
"""

from __future__ import annotations

from symlstm.algebra import add, matmul
from symlstm.codegen.layout import layout
from symlstm.layouts.pivot import Format, M, TensorSpec, blocks, stack
from symlstm.spec import identifier

#: The pivot's bias prefix for each block label: the input side (x) is b_i…, the recurrent side (h) b_h….
_BIAS_SIDE = {"x": "i", "h": "h"}


def tensors(cell, kind) -> list[TensorSpec]:
    plan = layout(cell)
    specs = {}
    for st in plan.stacks:
        for j, weight in enumerate(st.weights):
            label = st.gates[0].labels[j]
            specs[weight.name] = TensorSpec(weight.name, stack([M(identifier(g.weight_blocks[j].name))
                                                                for g in st.gates]))
            bias = "bias_" + weight.name.removeprefix("weight_")
            specs[bias] = TensorSpec(bias, stack([M(f"b_{_BIAS_SIDE[label]}{g.key}") for g in st.gates]), "vector")
    for var in plan.kept:
        specs[var.ident] = TensorSpec(var.ident, ((M(var.ident),),), "vector" if var.shape[1] == 1 else "matrix")
    return [specs[param.name] for param in plan.params]


def preactivations(t, kind, v) -> dict:
    """Each gate's equation from the cell, ``a_k = W_k·[h; x] + Σ extra + b_k``, read from the module's blocks."""
    plan = layout(v.cell)
    kept = {var.symbol: t[var.ident] for var in plan.kept}
    out = {}
    for st in plan.stacks:
        count = len(st.gates)
        weights = [blocks(t[w.name], count) for w in st.weights]
        biases = [blocks(t["bias_" + w.name.removeprefix("weight_")], count) for w in st.weights]
        for index, gate in enumerate(st.gates):
            products = [matmul(w[index], block) for w, block in zip(weights, gate.concat.blocks)]
            extra = [term.xreplace(kept) for term in gate.extra]
            out[gate.key] = add(*products, *extra, *(b[index] for b in biases))
    if kind.family == "gru" and kind.reset_after:  # a_n = W_nx·x + b_in + r ⊙ (W_nh·h + b_hn)
        out["nx"] = add(matmul(t["W_nx"], v.x), t["b_in"])
        out["nh"] = add(matmul(t["W_nh"], v.h), t["b_hn"])
    elif kind.family == "gru":  # Cho et al.: a_n = W_nx·x + W_nh·(r ⊙ h) + b_in + b_hn
        out["n"] = add(matmul(t["W_nx"], v.x), matmul(t["W_nh"], v.rh), t["b_in"], t["b_hn"])
    if kind.proj:
        out["h"] = matmul(t["W_hr"], v.u)
    return out


FORMAT = Format("symlstm", "a generated module's parameters (symlstm.codegen.layout; PyTorch's LSTMCell names)",
                tensors, preactivations)
