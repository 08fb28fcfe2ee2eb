"""A generated module checked against a step written by hand in NumPy and central differences of that step.

``check_module(cell, step, …)``: ``step(params, x, states) -> states`` is the cell's recurrence written
from its equations (sharing no code with the generator); the module's ``forward`` must give its states
and ``forward_backward`` the central differences of ``L = Σ_t Σ dys_t · y_t + Σ_s dsT · s_T`` (``y`` the
module's output state, ``OUTPUTS``) with respect to every parameter, input and initial state.
"""

from __future__ import annotations

import numpy as np

import symlstm
from symlstm.codegen import compile_numpy


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _run(step, params, xs, initial):
    states, outs = dict(initial), {name: [] for name in initial}
    for t in range(xs.shape[0]):
        states = step(params, xs[t], states)
        for name in initial:
            outs[name].append(states[name])
    return {name: np.stack(v) for name, v in outs.items()}


def check_module(cell, step, sizes, *, T=3, B=2, seed=0, fuse=False, rtol=1e-6, atol=1e-7, scale=0.5,
                 positive=()):
    """Forward and every gradient of ``compile_numpy(cell)`` against ``step`` (see the module docstring)."""
    module = compile_numpy(cell, "float64", fuse=fuse)
    rng = np.random.default_rng(seed)
    params = {k: scale * rng.normal(size=s) for k, s in module.param_shapes(**sizes).items()}
    for k in positive:
        params[k] = np.abs(params[k]) + 0.5
    at = {s: sizes[s.name] for s in cell.size_symbols}
    (x_var,) = cell.inputs
    xs = rng.normal(size=(T, B, int(x_var.shape[0].subs(at))))
    names = [s.name for s in cell.states]
    rows = {s.name: int(s.current.symbol.shape[0].subs(at)) for s in cell.states}
    initial = {f"{n}0": rng.normal(size=(B, rows[n])) for n in names}
    (output,) = module.OUTPUTS
    ups = rng.normal(size=(T, B, rows[output]))
    finals = {f"d{n}T": rng.normal(size=(B, rows[n])) for n in names}

    def reference(values):
        got = _run(step, {k: values[k] for k in params},  values["xs"],
                   {n: values[f"{n}0"] for n in names})
        return got

    def loss(values):
        got = reference(values)
        total = np.sum(ups * got[output])
        for n in names:
            total += np.sum(finals[f"d{n}T"] * got[n][-1])
        return float(total)

    values = {**params, "xs": xs, **initial}
    expected = reference(values)
    outs = module.forward(params, xs, **initial)
    outs = outs if isinstance(outs, tuple) else (outs,)
    for n, got in zip(names, outs):
        np.testing.assert_allclose(got, expected[n], rtol=1e-10, atol=1e-12, err_msg=f"forward, state {n}")
    *_, grads = module.forward_backward(params, xs, ups, **initial, **finals)
    eps = 1e-6
    for name, array in values.items():
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + eps
            plus = loss(values)
            array[index] = saved - eps
            numeric[index] = (plus - loss(values)) / (2 * eps)
            array[index] = saved
        np.testing.assert_allclose(grads[name], numeric, rtol=rtol, atol=atol, err_msg=f"gradient of {name}")
    return module
