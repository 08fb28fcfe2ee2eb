"""One NumPy step per framework layout, written from each framework's documentation and source — not from
symlstm.layouts — and checked here against the cells' own SymPy equations (and, in
test_layouts_frameworks.py, against torch, onnxruntime and Keras).

Every step takes the format's tensors as a dict, vectors ``x`` (m,), ``h`` (r,), ``c`` (n,) and returns
``(h_new, c_new)`` (``c_new`` is None for a GRU).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symlstm
from symlstm.algebra import explicit
from symlstm.cells import gru
from symlstm.layouts.convert import specs_for
from symlstm.layouts.engine import Dims
from symlstm.layouts.pivot import Sizes


def sig(a):
    return 1 / (1 + np.exp(-a))


def step_pytorch(P, x, h, c=None):
    """torch.nn.LSTM (proj_size: h = W_hr·h) and torch.nn.GRU, gates i f g o / r z n stacked on rows."""
    gi = P["weight_ih_l0"] @ x + P["bias_ih_l0"]
    gh = P["weight_hh_l0"] @ h + P["bias_hh_l0"]
    if c is None:
        i_r, i_z, i_n = np.split(gi, 3)
        h_r, h_z, h_n = np.split(gh, 3)
        r, z = sig(i_r + h_r), sig(i_z + h_z)
        n = np.tanh(i_n + r * h_n)
        return (1 - z) * n + z * h, None
    i, f, g, o = np.split(gi + gh, 4)
    c = sig(f) * c + sig(i) * np.tanh(g)
    h = sig(o) * np.tanh(c)
    return (P["weight_hr_l0"] @ h if "weight_hr_l0" in P else h), c


def step_keras(P, x, h, c=None, *, reset_after=True):
    """keras.layers.LSTMCell / GRUCell.call: row vectors times kernel (m, k·n), gates i f c o / z r h."""
    K, RK, n = P["kernel"], P["recurrent_kernel"], P["recurrent_kernel"].shape[0]
    if c is not None:
        i, f, cc, o = np.split(x @ K + h @ RK + P["bias"], 4)
        c = sig(f) * c + sig(i) * np.tanh(cc)
        return sig(o) * np.tanh(c), c
    input_bias, recurrent_bias = P["bias"] if reset_after else (P["bias"], 0)
    x_z, x_r, x_h = np.split(x @ K + input_bias, 3)
    if reset_after:
        r_z, r_r, r_h = np.split(h @ RK + recurrent_bias, 3)
        z, r = sig(x_z + r_z), sig(x_r + r_r)
        hh = np.tanh(x_h + r * r_h)
    else:
        r_z, r_r = np.split(h @ RK[:, :2 * n], 2)
        z, r = sig(x_z + r_z), sig(x_r + r_r)
        hh = np.tanh(x_h + (r * h) @ RK[:, 2 * n:])
    return z * h + (1 - z) * hh, None


def step_onnx(P, x, h, c=None, *, input_forget=0, linear_before_reset=1):
    """The ONNX LSTM (gates i o f c, P = [i o f]) and GRU (z r h) operators, as onnxruntime runs them:
    input_forget=1 keeps the input gate and sets f = 1 − i."""
    W, R, (Wb, Rb) = P["W"][0], P["R"][0], np.split(P["B"][0], 2)
    if c is None:
        (Wz, Wr, Wh), (Rz, Rr, Rh) = np.split(W, 3), np.split(R, 3)
        (Wbz, Wbr, Wbh), (Rbz, Rbr, Rbh) = np.split(Wb, 3), np.split(Rb, 3)
        z = sig(Wz @ x + Rz @ h + Wbz + Rbz)
        r = sig(Wr @ x + Rr @ h + Wbr + Rbr)
        if linear_before_reset:
            hh = np.tanh(Wh @ x + r * (Rh @ h + Rbh) + Wbh)
        else:
            hh = np.tanh(Wh @ x + Rh @ (r * h) + Rbh + Wbh)
        return (1 - z) * hh + z * h, None
    a_i, a_o, a_f, a_c = np.split(W @ x + R @ h + Wb + Rb, 4)
    p_i, p_o, p_f = np.split(P["P"][0], 3) if "P" in P else (0, 0, 0)
    i = sig(a_i + p_i * c)
    f = 1 - i if input_forget else sig(a_f + p_f * c)
    c = f * c + i * np.tanh(a_c)
    o = sig(a_o + p_o * c)
    return o * np.tanh(c), c


def step_tflite(P, x, h, c):
    """TFLite's LSTM kernel: per-gate tensors; CIFG (no input-gate tensors) i = 1 − f; peepholes; projection."""
    def pre(gate):
        return P[f"input_to_{gate}_weights"] @ x + P[f"recurrent_to_{gate}_weights"] @ h + P[f"{gate}_gate_bias"]

    f = sig(pre("forget") + P.get("cell_to_forget_weights", 0) * c)
    i = 1 - f if "input_to_input_weights" not in P else sig(pre("input") + P.get("cell_to_input_weights", 0) * c)
    c = f * c + i * np.tanh(pre("cell"))
    h = sig(pre("output") + P.get("cell_to_output_weights", 0) * c) * np.tanh(c)
    if "projection_weights" in P:
        h = P["projection_weights"] @ h + P.get("projection_bias", 0)
    return h, c


def step_symlstm(P, x, h, c, cell):
    """A generated module's parameters: gates stacked in the cell's gate order, other parameters by name;
    PyTorch's GRU as torch.nn.GRUCell stacks it (the candidate's rows below r and z's)."""
    if c is None and dict(cell.options)["reset_after"]:
        return step_pytorch({f"{k}_l0": v for k, v in P.items()}, x, h)
    keys = [g.key for g in cell.gates]
    parts = dict(zip(keys, np.split(P["weight_ih"] @ x + P["weight_hh"] @ h + P["bias_ih"] + P["bias_hh"],
                                    len(keys))))
    if c is None:  # Cho et al.'s GRU: the candidate's parameters by name
        r, z = sig(parts["r"]), sig(parts["z"])
        n = np.tanh(P["W_nx"] @ x + P["W_nh"] @ (r * h) + P["b_in"] + P["b_hn"])
        return (1 - z) * n + z * h, None
    f = sig(parts["f"] + P.get("p_f", 0) * c)
    i = 1 - f if "i" not in parts else sig(parts["i"] + P.get("p_i", 0) * c)
    c = f * c + i * np.tanh(parts["g"])
    h = sig(parts["o"] + P.get("p_o", 0) * c) * np.tanh(c)
    return (P["weight_hr"] @ h if "weight_hr" in P else h), c


def step(fmt, P, x, h, c, cell):
    """The step of format ``fmt`` for ``cell`` (ONNX attributes chosen from the cell as the ONNX docs say)."""
    options = dict(cell.options)
    if fmt == "symlstm":
        return step_symlstm(P, x, h, c, cell)
    if fmt == "keras":
        return step_keras(P, x, h, c, reset_after=options.get("reset_after", True))
    if fmt == "onnx":
        return step_onnx(P, x, h, c, input_forget=int(bool(options.get("cifg"))),
                         linear_before_reset=int(options.get("reset_after", True)))
    return {"pytorch": step_pytorch, "tflite": step_tflite}[fmt](P, x, h, c)


def random_params(fmt, cell, n, m, p=None, seed=0):
    """Random, distinct numbers for every tensor format ``fmt`` stores ``cell`` in (optional ones left out)."""
    rng = np.random.default_rng(seed)
    kind, specs = specs_for(fmt, cell)
    dims = Dims(kind, Sizes(n, m, p if kind.proj else None))
    return {s.name: rng.normal(size=tuple(int(d) for d in dims.array(s))) for s in specs if not s.optional}


def random_state(cell, n, m, p=None, seed=1):
    rng = np.random.default_rng(seed)
    r = p if dict(cell.options).get("proj_size") else n
    lstm = cell.name.startswith("lstm")
    return rng.normal(size=m), rng.normal(size=r), (rng.normal(size=n) if lstm else None)


def sympy_step(cell, params, x, h, c):
    """The cell's own equations (SymPy, every intermediate expanded) at numbers given by symbol name."""
    values = {"x_t": x, "h_{t-1}": h, "c_{t-1}": c, **params}
    numbers = {}
    for var in (*cell.inputs, *(s.previous for s in cell.states), *cell.params):
        rows, cols = (int(d) for d in var.shape)
        numbers[var.symbol] = sp.Matrix(np.asarray(values[var.symbol.name], dtype=float).reshape(rows, cols))
    out = [np.array([float(sp.N(e, 20)) for e in explicit(cell.expand(s.current.symbol).xreplace(numbers))])
           for s in cell.states]
    return out[0], (out[1] if len(out) > 1 else None)


GATE = {"i": "input", "f": "forget", "g": "cell", "o": "output"}


@pytest.mark.parametrize("options", [{}, dict(peephole=True), dict(cifg=True), dict(peephole=True, cifg=True),
                                     dict(proj_size=2), dict(peephole=True, cifg=True, proj_size=3)])
def test_tflite_step_is_the_cell(options):
    n, m = 2, 3
    cell = symlstm.cell("lstm", **options).at(n=n, m=m)
    P = random_params("tflite", symlstm.cell("lstm", **options), n, m, options.get("proj_size"), seed=3)
    x, h, c = random_state(cell, n, m, options.get("proj_size"))
    named = {}  # the cell's parameters from TFLite's tensors, by hand: W_k = [recurrent_to_k | input_to_k]
    for k in [g.key for g in cell.gates]:
        named[f"W_{k}"] = np.hstack([P[f"recurrent_to_{GATE[k]}_weights"], P[f"input_to_{GATE[k]}_weights"]])
        named[f"b_{k}"] = P[f"{GATE[k]}_gate_bias"]
        if f"cell_to_{GATE[k]}_weights" in P:
            named[f"p_{k}"] = P[f"cell_to_{GATE[k]}_weights"]
    if "projection_weights" in P:
        named["W_{hr}"] = P["projection_weights"]
    expected_h, expected_c = sympy_step(cell, named, x, h, c)
    got_h, got_c = step_tflite(P, x, h, c)
    np.testing.assert_allclose(got_h, expected_h, rtol=1e-12)
    np.testing.assert_allclose(got_c, expected_c, rtol=1e-12)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_steps_are_the_cell(reset_after):
    n, m = 2, 3
    cell = gru(reset_after=reset_after)
    P = random_params("onnx", cell, n, m, seed=4)
    x, h, _ = random_state(cell, n, m)
    (Wz, Wr, Wh), (Rz, Rr, Rh) = np.split(P["W"][0], 3), np.split(P["R"][0], 3)
    (Wbz, Wbr, Wbh), (Rbz, Rbr, Rbh) = np.split(P["B"][0][:3 * n], 3), np.split(P["B"][0][3 * n:], 3)
    named = {"W_r": np.hstack([Rr, Wr]), "W_z": np.hstack([Rz, Wz]), "b_r": Wbr + Rbr, "b_z": Wbz + Rbz,
             "W_{nx}": Wh, "W_{nh}": Rh, "b_{in}": Wbh, "b_{hn}": Rbh}
    expected, _ = sympy_step(cell.at(n=n, m=m), named, x, h, None)
    got, _ = step_onnx(P, x, h, None, linear_before_reset=int(reset_after))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_onnx_input_forget_is_tflite_cifg_with_the_input_slot_negated():
    """σ(−a) = 1 − σ(a): ONNX's i slot holding −(forget weights) gives TFLite's CIFG (written by hand)."""
    n, m = 3, 2
    cifg = symlstm.cell("lstm", cifg=True, peephole=True)
    T = random_params("tflite", cifg, n, m, seed=5)
    x, h, c = random_state(cifg, n, m)
    zeros_w, zeros_r, zeros_v = np.zeros((n, m)), np.zeros((n, n)), np.zeros(n)
    onnx = {"W": np.vstack([-T["input_to_forget_weights"], T["input_to_output_weights"], zeros_w,
                            T["input_to_cell_weights"]])[None],
            "R": np.vstack([-T["recurrent_to_forget_weights"], T["recurrent_to_output_weights"], zeros_r,
                            T["recurrent_to_cell_weights"]])[None],
            "B": np.concatenate([-T["forget_gate_bias"], T["output_gate_bias"], zeros_v, T["cell_gate_bias"],
                                 zeros_v, zeros_v, zeros_v, zeros_v])[None],
            "P": np.concatenate([-T["cell_to_forget_weights"], T["cell_to_output_weights"], zeros_v])[None]}
    for got, expected in zip(step_onnx(onnx, x, h, c, input_forget=1), step_tflite(T, x, h, c)):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
