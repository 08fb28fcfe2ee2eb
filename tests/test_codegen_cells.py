"""Every built-in cell compiles; its forward pass equals a NumPy step written from the frameworks'
documentation (tests/test_variants.py), and its gradients equal central finite differences. Also the
tanh form of the gate functions that lets one tanh serve a whole stack of gates."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from finite_differences import central_differences
from sympy import OneMatrix
from test_variants import gru_step, lstm_step

import symlstm
from symlstm.algebra import add, hadamard, matmul
from symlstm.builder import CellBuilder
from symlstm.cells import gru
from symlstm.codegen import compile_numpy, generate_numpy
from symlstm.codegen.tanh_form import affine_tanh
from symlstm.functions import Sigmoid, Tanh, elementwise

T, B, N, M = 3, 2, 3, 2


def test_gate_functions_are_affine_in_tanh():
    assert affine_tanh(Sigmoid) == (sp.Rational(1, 2), sp.Rational(1, 2), sp.Rational(1, 2))
    assert affine_tanh(Tanh) == (0, 1, 1)
    d = sp.Symbol("d")
    assert affine_tanh(sp.Lambda(d, d**3)) is None


def test_the_lstm_applies_one_tanh_to_all_four_gates_per_step():
    source = generate_numpy(symlstm.cell("lstm"))
    forward = re.search(r"    for t in range\(T\):\n((?:        .*\n)+)", source).group(1)
    assert forward.count("np.tanh(") == 2  # the stack of gates, and c_t
    assert "np.tanh(a, out=a)" in forward and "_sigmoid" not in source
    assert re.search(r"np\.concatenate\(\(1/2 \* weight_hh\[:n\], 1/2 \* weight_hh\[n:2\*n\], weight_hh\[2\*n:3\*n\], "
                     r"1/2 \* weight_hh\[3\*n:\]\), axis=0\)", source)


def _params(module, rng):
    return {k: rng.standard_normal(shape) for k, shape in module.param_shapes(n=N, m=M).items()}


def _torch_gates(p, k):
    """Gate k's W_k = [weight_hh_k | weight_ih_k] and b_k = bias_ih_k + bias_hh_k (PyTorch layout)."""
    rows = slice(k * N, (k + 1) * N)
    return np.hstack([p["weight_hh"][rows], p["weight_ih"][rows]]), p["bias_ih"][rows] + p["bias_hh"][rows]


def _run(step, xs, h0, c0=None):
    hs, h, c = [], h0, c0
    for x in xs:
        h, c = step(h, x, c)
        hs.append(h)
    return np.array(hs)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_forward_equals_the_documented_step(reset_after):
    module = compile_numpy(gru(reset_after=reset_after), "float64")
    rng = np.random.default_rng(11)
    p = _params(module, rng)
    if reset_after:  # torch.nn.GRUCell's weight_ih = [W_ir; W_iz; W_in], bias_hh = [b_hr; b_hz; b_hn]
        assert module.PARAMS == {"weight_ih": ("3*n", "m"), "weight_hh": ("3*n", "n"),
                                 "bias_ih": ("3*n",), "bias_hh": ("3*n",)}
        rows = slice(2 * N, 3 * N)
        P = {"W_{nx}": p["weight_ih"][rows], "W_{nh}": p["weight_hh"][rows],
             "b_{in}": p["bias_ih"][rows], "b_{hn}": p["bias_hh"][rows]}
    else:  # Cho et al.'s candidate has no PyTorch layout: its parameters keep their names
        P = {"W_{nh}": p["W_nh"], "W_{nx}": p["W_nx"], "b_{in}": p["b_in"], "b_{hn}": p["b_hn"]}
    for k, key in enumerate("rz"):
        P[f"W_{key}"], P[f"b_{key}"] = _torch_gates(p, k)
    xs, h0 = rng.standard_normal((T, B, M)), rng.standard_normal((B, N))
    hs = module.forward(p, xs, h0)
    for b in range(B):
        expected = _run(lambda h, x, c: (gru_step(P, h, x, reset_after=reset_after), None), xs[:, b], h0[b])
        np.testing.assert_allclose(hs[:, b], expected, rtol=1e-12, atol=1e-12)


def test_projected_lstm_forward_equals_the_documented_step():
    module = compile_numpy(symlstm.cell("lstm", proj_size=2), "float64")
    rng = np.random.default_rng(12)
    shapes = module.param_shapes(n=N, m=M, p=2)
    p = {k: rng.standard_normal(shape) for k, shape in shapes.items()}
    P = {"W_{hr}": p["weight_hr"]}
    for k, key in enumerate("ifgo"):
        rows = slice(k * N, (k + 1) * N)
        P[f"W_{key}"] = np.hstack([p["weight_hh"][rows], p["weight_ih"][rows]])
        P[f"b_{key}"] = p["bias_ih"][rows] + p["bias_hh"][rows]
    xs, h0, c0 = rng.standard_normal((T, B, M)), rng.standard_normal((B, 2)), rng.standard_normal((B, N))
    hs, cs = module.forward(p, xs, h0, c0)
    for b in range(B):
        expected = _run(lambda h, x, c: lstm_step(P, h, x, c, proj=True), xs[:, b], h0[b], c0[b])
        np.testing.assert_allclose(hs[:, b], expected, rtol=1e-12, atol=1e-12)


def shared_bias_cell():
    """r, z gates, then c = tanh(W_cx·x + W_ch·h + b_c): one bias beside two products outside the gates, so
    b_c has no single place below the gates' rows of bias_ih or bias_hh — nothing may be packed."""
    b = CellBuilder("shared-bias", "a GRU-like cell whose candidate has one bias")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h = b.input("x_t", m, "input"), b.state("h", n, "hidden state")
    r, z = (b.gate(k, weight=b.param(f"W_{k}", n, n + m, k), concat=[h, x], bias=b.param(f"b_{k}", n, 1, k),
                   function=Sigmoid, doc=k) for k in "rz")
    W_cx, W_ch = b.param("W_{cx}", n, m, "cx", ident="W_cx"), b.param("W_{ch}", n, n, "ch", ident="W_ch")
    c = b.let("c_t", elementwise(Tanh, add(matmul(W_cx, x), matmul(W_ch, h), b.param("b_c", n, 1, "c bias"))),
              "candidate", ident="c")
    b.update(h, add(hadamard(add(OneMatrix(n, 1), -z), hadamard(r, c)), hadamard(z, h)))
    return b.build()


def test_a_bias_beside_two_products_is_not_packed():
    module = compile_numpy(shared_bias_cell(), "float64")
    assert module.PARAMS == {"W_r": ("n", "m+n"), "b_r": ("n",), "W_z": ("n", "m+n"), "b_z": ("n",),
                             "W_cx": ("n", "m"), "W_ch": ("n", "n"), "b_c": ("n",)}  # a custom cell's own


def extra_input_cell(function):
    """Gates z (σ) and g (``function``) on [h; x]; g's pre-activation has the extra term W_e·x_t beside its stack."""
    b = CellBuilder(f"extra-{function.__name__.lower()}", "a gate with an extra product of the input")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h = b.input("x_t", m, "input"), b.state("h", n, "hidden state")
    z = b.gate("z", weight=b.param("W_z", n, n + m, "z"), concat=[h, x], bias=b.param("b_z", n, 1, "z"),
               function=Sigmoid, doc="z")
    g = b.gate("g", weight=b.param("W_g", n, n + m, "g"), concat=[h, x], bias=b.param("b_g", n, 1, "g"),
               function=function, doc="g", extra=(matmul(b.param("W_e", n, m, "extra input weight"), x),))
    b.update(h, add(hadamard(add(OneMatrix(n, 1), -z), g), hadamard(z, h)))
    return b.build()


@pytest.mark.parametrize("function", [Tanh, Sigmoid])
def test_a_gates_extra_input_product_adds_to_its_hoisted_rows(function):
    """The hoisted W_e·x_t is added to the gate's rows of the hoisted stack product, not written over them."""
    module = compile_numpy(extra_input_cell(function), "float64")
    rng = np.random.default_rng(13)
    p = _params(module, rng)
    xs, h0 = rng.standard_normal((T, B, M)), rng.standard_normal((B, N))
    phi = np.tanh if function is Tanh else (lambda a: 1 / (1 + np.exp(-a)))
    expected, h = [], h0
    for x in xs:
        u = np.concatenate([h, x], axis=1)
        z, g = 1 / (1 + np.exp(-(u @ p["W_z"].T + p["b_z"]))), phi(u @ p["W_g"].T + p["b_g"] + x @ p["W_e"].T)
        h = (1 - z) * g + z * h
        expected.append(h)
    np.testing.assert_allclose(module.forward(p, xs, h0), np.array(expected), rtol=1e-12, atol=1e-12)


CELLS = {
    "extra-input": lambda: extra_input_cell(Tanh),
    "shared-bias": shared_bias_cell,
    "lstm": lambda: symlstm.cell("lstm"),
    "peephole": lambda: symlstm.cell("lstm", peephole=True),
    "cifg": lambda: symlstm.cell("lstm", cifg=True),
    "projection": lambda: symlstm.cell("lstm", proj_size=2),
    "gru": lambda: gru(),
    "gru-cho": lambda: gru(reset_after=False),
}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_gradients_of_every_cell_equal_central_differences(name):
    cell = CELLS[name]()
    module = compile_numpy(cell, "float64")
    sizes = {s.name: 2 if s.name == "p" else (N if s.name == "n" else M) for s in cell.size_symbols}
    rng = np.random.default_rng(5)
    values = {k: 0.7 * rng.standard_normal(shape) for k, shape in module.param_shapes(**sizes).items()}
    states = {st.name: int(st.current.symbol.shape[0].subs({s: sizes[s.name] for s in cell.size_symbols}))
              for st in cell.states}
    values["xs"] = rng.standard_normal((T, B, M))
    values.update({f"{k}0": rng.standard_normal((B, rows)) for k, rows in states.items()})
    dhs = rng.standard_normal((T, B, states["h"]))
    finals = {f"d{k}T": rng.standard_normal((B, rows)) for k, rows in states.items()}
    initial = [f"{k}0" for k in states]

    def loss(v):
        out = module.forward({k: v[k] for k in module.PARAMS}, v["xs"], *(v[k] for k in initial))
        out = out if isinstance(out, tuple) else (out,)
        total = np.sum(dhs * out[0])
        return total + sum(np.sum(finals[f"d{k}T"] * o[-1]) for k, o in zip(states, out))

    result = module.forward_backward({k: values[k] for k in module.PARAMS}, values["xs"], dhs,
                                     *(values[k] for k in initial), **finals)
    grads = result[-1]
    assert sorted(grads) == sorted([*module.PARAMS, "xs", *initial])
    numeric = central_differences(loss, values)
    for name_ in values:
        np.testing.assert_allclose(grads[name_], numeric[name_], rtol=1e-5, atol=1e-7, err_msg=f"{name}: {name_}")
