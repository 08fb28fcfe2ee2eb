"""The custom cells of the benchmark, written with ``symlstm.CellBuilder``, and the same cells by hand.

- ``mgu``: the README's minimal gated unit (Zhou et al., 2016): f = σ(W_f·[h; x] + b_f),
  u = tanh(W_h·[f ⊙ h; x] + b_h), h_t = (1 − f) ⊙ h_{t-1} + f ⊙ u.
- ``ugrnn``: the update-gate RNN (Collins et al., 2017): c = tanh(W_c·[h; x] + b_c), g = σ(W_g·[h; x] + b_g),
  h_t = g ⊙ h_{t-1} + (1 − g) ⊙ c.

A problem holds the cell's parameters under the cell's own names (weights (n, n + m), columns [h | x];
biases (n,)). :func:`module_layout` is the one place that says how a generated module's parameters hold
them; :func:`to_module` and :func:`from_module` apply it both ways.
"""

from __future__ import annotations

import numpy as np

CELLS = ("mgu", "ugrnn")
# per cell: its parameters as (weight, bias) per gate, in the order the cell's gates are written
GATES = {"mgu": (("W_f", "b_f"), ("W_h", "b_h")), "ugrnn": (("W_c", "b_c"), ("W_g", "b_g"))}


def build(name: str):
    """The cell ``name`` written with CellBuilder."""
    from sympy import OneMatrix

    from symlstm import CellBuilder, Sigmoid, Tanh
    from symlstm.algebra import add, hadamard

    if name not in CELLS:
        raise ValueError(f"unknown cell {name!r}; expected one of {CELLS}")
    title = {"mgu": "minimal gated unit", "ugrnn": "update gate RNN"}[name]
    b = CellBuilder(name, title)
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x = b.input("x_t", m, "input")
    h = b.state("h", n, "hidden state")
    one = OneMatrix(n, 1)
    (W1, b1), (W2, b2) = GATES[name]
    W_1, b_1 = b.param(W1, n, n + m, "first gate weight"), b.param(b1, n, 1, "first gate bias")
    W_2, b_2 = b.param(W2, n, n + m, "second gate weight"), b.param(b2, n, 1, "second gate bias")
    if name == "mgu":
        f = b.gate("f", weight=W_1, concat=[h, x], bias=b_1, function=Sigmoid, doc="forget gate")
        u = b.gate("u", weight=W_2, concat=[hadamard(f, h), x], bias=b_2, function=Tanh, doc="candidate",
                   labels=["h", "x"])
        b.update(h, add(hadamard(add(one, -f), h), hadamard(f, u)))
    else:
        c = b.gate("c", weight=W_1, concat=[h, x], bias=b_1, function=Tanh, doc="candidate")
        g = b.gate("g", weight=W_2, concat=[h, x], bias=b_2, function=Sigmoid, doc="update gate")
        b.update(h, add(hadamard(g, h), hadamard(add(one, -g), c)))
    return b.build()


def make_problem(name: str, T: int, B: int, m: int, n: int, dtype: str, seed: int = 0) -> dict:
    """Parameters U(−1/√n, 1/√n) under the cell's names, inputs xs (T, B, m), h0 (B, n), upstream dhs (T, B, n)."""
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(n)
    params = {}
    for weight, bias in GATES[name]:
        params[weight] = rng.uniform(-k, k, (n, n + m)).astype(dtype)
        params[bias] = rng.uniform(-k, k, (n,)).astype(dtype)
    return {
        "params": params,
        "xs": rng.standard_normal((T, B, m)).astype(dtype),
        "h0": rng.standard_normal((B, n)).astype(dtype),
        "dhs": rng.standard_normal((T, B, n)).astype(dtype),
    }


def module_layout(name: str, module) -> dict[str, list[tuple[str, str]]]:
    """How ``module.PARAMS`` hold the cell's parameters: module name → [(cell parameter, part), ...], row blocks.

    A part is ``"h"`` / ``"x"`` (a weight's columns for h / for x), ``"all"`` (the whole parameter) or
    ``"zero"`` (a second bias the cell's bias is split into). A custom cell's module takes the cell's own
    names, every parameter whole. Modules of symlstm before issue 14 item 3 used PyTorch's names:
    ``weight_hh[_k]`` / ``weight_ih[_k]`` hold the h and x columns of the weights of consecutive gates,
    stacked by rows (as many gates as ``PARAMS`` gives multiples of n), ``bias_ih[_k]`` their biases and
    ``bias_hh[_k]`` the other summand (zero here).
    """
    cell_names = [p for gate in GATES[name] for p in gate]
    if set(module.PARAMS) == set(cell_names):
        return {p: [(p, "all")] for p in cell_names}
    layout, gates = {}, list(GATES[name])
    groups = [k for k in module.PARAMS if k.startswith("weight_ih")]
    for group in groups:
        rows = module.PARAMS[group][0]
        count = int(rows.split("*")[0]) if "*" in rows else 1
        stacked, gates = gates[:count], gates[count:]
        suffix = group[len("weight_ih"):]
        layout[f"weight_hh{suffix}"] = [(w, "h") for w, _ in stacked]
        layout[f"weight_ih{suffix}"] = [(w, "x") for w, _ in stacked]
        layout[f"bias_ih{suffix}"] = [(b, "all") for _, b in stacked]
        layout[f"bias_hh{suffix}"] = [(b, "zero") for _, b in stacked]
    if gates or set(layout) != set(module.PARAMS):
        raise ValueError(f"cannot place the parameters {cell_names} of {name!r} in the module's {list(module.PARAMS)}")
    return layout


def _part(value: np.ndarray, part: str, n: int) -> np.ndarray:
    if part == "h":
        return value[:, :n]
    if part == "x":
        return value[:, n:]
    return np.zeros_like(value) if part == "zero" else value


def to_module(name: str, module, params: dict) -> dict:
    """The cell's parameters under the module's names (see :func:`module_layout`)."""
    n = params[GATES[name][0][1]].shape[0]
    out = {}
    for key, blocks in module_layout(name, module).items():
        parts = [_part(params[p], part, n) for p, part in blocks]
        value = np.concatenate(parts, axis=0)
        out[key] = value.reshape(-1) if len(module.PARAMS[key]) == 1 else value
    return out


def from_module(name: str, module, grads: dict, n: int) -> dict:
    """The module's parameter gradients as gradients of the cell's parameters (each weight (n, n + m), bias (n,))."""
    cell = {p: {} for gate in GATES[name] for p in gate}
    for key, blocks in module_layout(name, module).items():
        for i, (p, part) in enumerate(blocks):
            if part != "zero":
                cell[p][part] = grads[key][i * n : (i + 1) * n] if len(blocks) > 1 else grads[key]
    out = {p: np.concatenate([parts["h"], parts["x"]], axis=1) if "h" in parts else parts["all"]
           for p, parts in cell.items()}
    return {p: np.asarray(v).reshape(-1) if p.startswith("b") else v for p, v in out.items()}


def step(name: str, params: dict, h, x, *, cat, sigmoid, tanh):
    """One step of the cell by hand for any array library: ``h`` (B, n), ``x`` (B, m) → h_t (B, n)."""
    (W1, b1), (W2, b2) = GATES[name]
    if name == "mgu":
        f = sigmoid(cat([h, x]) @ params[W1].T + params[b1])
        u = tanh(cat([f * h, x]) @ params[W2].T + params[b2])
        return (1 - f) * h + f * u
    hx = cat([h, x])
    c = tanh(hx @ params[W1].T + params[b1])
    g = sigmoid(hx @ params[W2].T + params[b2])
    return g * h + (1 - g) * c
