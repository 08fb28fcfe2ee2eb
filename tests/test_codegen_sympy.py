"""Generated code = the symbolic equations it was printed from, evaluated by SymPy at small sizes.

The cell's forward equations and the BPTT step equations (``symlstm.bptt``) are evaluated here entry by
entry with SymPy, one example and one step at a time, with the recurrence applied by hand; the generated
module (stacked gates, hoisted and sunk GEMMs, in-place buffers) must give the same numbers.  The
PyTorch layout is written out here from PyTorch's documentation: ``W_k = [weight_hh_k | weight_ih_k]``
for ``[h; x]``, ``b_k = bias_ih_k + bias_hh_k``, gate blocks in the order the cell lists its gates.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symlstm
from symlstm.bptt import bptt
from symlstm.codegen import compile_numpy

T, B, N, M = 3, 2, 2, 3


def value(expr, env) -> np.ndarray:
    return np.array(sp.ImmutableMatrix(expr.xreplace(env).as_explicit()).evalf(), dtype=float)


def symbolic_params(cell, params: dict) -> dict:
    """The cell's own parameters (and weight blocks) from PyTorch-layout arrays (gates stacked in order)."""
    env = {}
    for k, gate in enumerate(cell.gates):
        rows = slice(k * N, (k + 1) * N)
        blocks = {"h": params["weight_hh"][rows], "x": params["weight_ih"][rows]}
        for block, label in zip(gate.weight_blocks, gate.labels):
            env[block] = sp.ImmutableMatrix(blocks[label])
        env[gate.weight] = sp.ImmutableMatrix(np.hstack([blocks[label] for label in gate.labels]))
        env[gate.bias] = sp.ImmutableMatrix((params["bias_ih"][rows] + params["bias_hh"][rows])[:, None])
    absorbed = {g.weight for g in cell.gates} | {g.bias for g in cell.gates}
    for var in cell.params:
        if var.symbol not in absorbed:
            array = params[var.ident]
            env[var.symbol] = sp.ImmutableMatrix(array[:, None] if array.ndim == 1 else array)
    return env


def sympy_run(cell, params, xs, dhs, h0, c0, dhT, dcT):
    """Forward and BPTT of one example by SymPy: states, and gradients in PyTorch's layout."""
    fixed = symbolic_params(cell, params)
    h, c = cell.states
    steps, prev = [], {h: h0, c: c0}
    for t in range(T):
        env = {**fixed, cell.inputs[0].symbol: sp.ImmutableMatrix(xs[t][:, None])}
        env.update({s.previous.symbol: sp.ImmutableMatrix(prev[s][:, None]) for s in cell.states})
        for a in cell.assignments:
            env[a.lhs] = sp.ImmutableMatrix(value(a.rhs, env))
        prev = {s: value(s.current.symbol, env)[:, 0] for s in cell.states}
        steps.append(env)
    derived = bptt(cell)
    carried = {"h": dhT, "c": dcT}
    grads = {p.symbol: 0 for p in cell.params}
    dxs = np.zeros((T, M))
    for t in reversed(range(T)):
        env = dict(steps[t])
        for r in derived.recurrence:
            incoming = carried[r.state] + (dhs[t] if r.upstream is not None else 0)
            env[r.incoming] = sp.ImmutableMatrix(incoming[:, None])
        for a in derived.step:
            env[a.lhs] = sp.ImmutableMatrix(value(a.rhs, env))
        carried = {r.state: value(r.outgoing, env)[:, 0] for r in derived.recurrence}
        dxs[t] = value(derived.input_adjoints["x"], env)[:, 0]
        for p, g in derived.weight_gradients.items():
            grads[p] = grads[p] + value(g.per_step, env)
    torch = {"weight_ih": [], "weight_hh": [], "bias": []}
    for gate in cell.gates:
        full = grads[gate.weight]
        torch["weight_hh"].append(full[:, :N])
        torch["weight_ih"].append(full[:, N:])
        torch["bias"].append(grads[gate.bias][:, 0])
    out = {"weight_ih": np.vstack(torch["weight_ih"]), "weight_hh": np.vstack(torch["weight_hh"]),
           "bias_ih": np.concatenate(torch["bias"]), "bias_hh": np.concatenate(torch["bias"]),
           "xs": dxs, "h0": carried["h"], "c0": carried["c"]}
    absorbed = {g.weight for g in cell.gates} | {g.bias for g in cell.gates}
    out.update({v.ident: grads[v.symbol][:, 0] for v in cell.params if v.symbol not in absorbed})
    states = [(value(h.current.symbol, e)[:, 0], value(c.current.symbol, e)[:, 0]) for e in steps]
    return states, out


def problem(cell, seed: int):
    rng = np.random.default_rng(seed)
    rows = N * len(cell.gates)
    params = {"weight_ih": rng.standard_normal((rows, M)), "weight_hh": rng.standard_normal((rows, N)),
              "bias_ih": rng.standard_normal(rows), "bias_hh": rng.standard_normal(rows)}
    params.update({v.ident: rng.standard_normal(N) for v in cell.params if v.ident.startswith("p_")})
    arrays = [rng.standard_normal(shape) for shape in
              [(T, B, M), (T, B, N), (B, N), (B, N), (B, N), (B, N)]]
    return params, arrays


@pytest.mark.parametrize("options", [{}, {"peephole": True}, {"cifg": True}], ids=["lstm", "peephole", "cifg"])
def test_generated_equals_sympy_evaluation_of_the_equations(options):
    cell = symlstm.cell("lstm", **options)
    params, (xs, dhs, h0, c0, dhT, dcT) = problem(cell, seed=7)
    hs, cs, grads = compile_numpy(cell, "float64").forward_backward(params, xs, dhs, h0, c0, dhT=dhT, dcT=dcT)
    totals: dict = {}
    for b in range(B):
        states, expected = sympy_run(cell.at(n=N, m=M), params, xs[:, b], dhs[:, b], h0[b], c0[b], dhT[b], dcT[b])
        for t, (h, c) in enumerate(states):
            np.testing.assert_allclose(hs[t, b], h, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(cs[t, b], c, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grads["xs"][:, b], expected["xs"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grads["h0"][b], expected["h0"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grads["c0"][b], expected["c0"], rtol=1e-10, atol=1e-12)
        for name, array in expected.items():  # a parameter's gradient is the sum over the batch
            if name not in ("xs", "h0", "c0"):
                totals[name] = totals.get(name, 0) + array
    assert sorted(totals) == sorted(k for k in grads if k not in ("xs", "h0", "c0"))
    for name, total in totals.items():
        np.testing.assert_allclose(grads[name], total, rtol=1e-10, atol=1e-12, err_msg=name)
