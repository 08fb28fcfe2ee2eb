"""The ``"symlstm"`` format: a generated module's own parameters (:func:`symlstm.codegen.layout`).

Gates that read one concatenation are stacked in the cell's order into ``weight_ih``/``weight_hh``
(PyTorch's ``nn.LSTMCell`` names and order: ``weight_ih (4n, m)``, ``weight_hh (4n, n)``,
``bias_ih``, ``bias_hh (4n,)``, gates i, f, g, o).  The GRU's candidate weights and biases are packed
below its gates' rows, as in ``nn.GRUCell``: ``weight_ih = [W_rx; W_zx; W_nx]`` (3n, m), ``bias_hh =
[b_hr; b_hz; b_hn]`` (3n,).  Every other parameter keeps its identifier (``p_i``, ``weight_hr`` as in
``nn.LSTM``, Cho's GRU's ``W_nx`` …); its pivot name is its LaTeX name's (``W_hr`` for ``W_{hr}``).  The
tensors are read from the layout, so this format follows the code generator.  Its pre-activations are the
cell's own gate equations with each ``W_k``, ``b_k`` replaced by the module's blocks.
"""

from __future__ import annotations

from symlstm.algebra import add, matmul
from symlstm.codegen.layout import layout
from symlstm.layouts.pivot import Format, M, TensorSpec, blocks, stack
from symlstm.spec import identifier

#: The pivot's bias prefix for each block label: the input side (x) is b_i…, the recurrent side (h) b_h….
_BIAS_SIDE = {"x": "i", "h": "h"}


def _pivot(var) -> str:
    """The pivot's name for a cell parameter (:mod:`.pivot`): its LaTeX name as an identifier, ``W_{hr}`` → ``W_hr``."""
    return identifier(var.symbol.name)


def tensors(cell, kind) -> list[TensorSpec]:
    plan = layout(cell)
    specs = {}
    for st in plan.stacks:
        for j, weight in enumerate(st.weights):
            label = st.gates[0].labels[j]
            name = plan.holder(weight.name)
            bias = "bias_" + name.removeprefix("weight_")
            specs[name] = TensorSpec(name, stack([M(identifier(g.weight_blocks[j].name)) for g in st.gates]
                                                 + [M(_pivot(v)) for v in plan.packed.get(name, ())]))
            specs[bias] = TensorSpec(bias, stack([M(f"b_{_BIAS_SIDE[label]}{g.key}") for g in st.gates]
                                                 + [M(_pivot(v)) for v in plan.packed.get(bias, ())]), "vector")
    for var in plan.kept:
        if var.ident not in plan.parts:
            specs[var.ident] = TensorSpec(var.ident, ((M(_pivot(var)),),), "vector" if var.shape[1] == 1 else "matrix")
    return [specs[param.name] for param in plan.params]


def preactivations(t, kind, v) -> dict:
    """Each gate's equation from the cell, ``a_k = W_k·[h; x] + Σ extra + b_k``, read from the module's blocks."""
    plan = layout(v.cell)
    value = {_pivot(var): t[var.ident] for var in plan.kept if var.ident not in plan.parts}
    out = {}
    for st in plan.stacks:
        count = len(st.gates)
        weights, biases = [], []
        for w in st.weights:
            name = plan.holder(w.name)
            bias = "bias_" + name.removeprefix("weight_")
            for tensor, rows in ((name, weights), (bias, biases)):
                packed = plan.packed.get(tensor, ())
                pieces = blocks(t[tensor], count + len(packed))
                rows.append(pieces[:count])
                value.update({_pivot(p): piece for p, piece in zip(packed, pieces[count:])})
        for index, gate in enumerate(st.gates):
            products = [matmul(w[index], block) for w, block in zip(weights, gate.concat.blocks)]
            extra = [term.xreplace({var.symbol: value[_pivot(var)] for var in plan.kept}) for term in gate.extra]
            out[gate.key] = add(*products, *extra, *(b[index] for b in biases))
    if kind.family == "gru" and kind.reset_after:  # a_n = W_nx·x + b_in + r ⊙ (W_nh·h + b_hn)
        out["nx"] = add(matmul(value["W_nx"], v.x), value["b_in"])
        out["nh"] = add(matmul(value["W_nh"], v.h), value["b_hn"])
    elif kind.family == "gru":  # Cho et al.: a_n = W_nx·x + W_nh·(r ⊙ h) + b_in + b_hn
        out["n"] = add(matmul(value["W_nx"], v.x), matmul(value["W_nh"], v.rh), value["b_in"], value["b_hn"])
    if kind.proj:
        out["h"] = matmul(value["W_hr"], v.u)
    return out


FORMAT = Format("symlstm", "a generated module's parameters (symlstm.codegen.layout; PyTorch's LSTMCell names)",
                tensors, preactivations)
