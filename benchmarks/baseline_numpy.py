"""A straightforward NumPy LSTM: the baseline the benchmark compares against.

What a careful programmer writes straight from the equations, without tuning: one step at a time,
the four gates stacked in one matrix product per weight (the torch.nn.LSTMCell layout already stacks
them), σ written through tanh so it cannot overflow, outputs preallocated. It does *not* hoist the input
projection out of the time loop, fuse the per-step products, or batch the weight gradients into one
product after the loop — those are the optimisations the generated code is meant to earn.

Same contract as the generated modules (issue 5):

- ``forward(params, xs, h0=None, c0=None) -> (hs, cs)``, ``xs`` (T, B, m), ``h0``, ``c0`` (B, n),
  ``hs``, ``cs`` (T, B, n);
- ``forward_backward(params, xs, dhs, h0=None, c0=None, *, dhT=None, dcT=None) -> (hs, cs, grads)``,
  ``grads`` keyed by ``weight_ih`` (4n, m), ``weight_hh`` (4n, n), ``bias_ih``, ``bias_hh`` (4n,),
  ``xs`` (T, B, m), ``h0``, ``c0`` (B, n).

Everything is computed in the dtype of ``xs``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _setup(params: Mapping[str, np.ndarray], xs: np.ndarray, h0, c0):
    dtype = xs.dtype
    w_ih = np.asarray(params["weight_ih"], dtype)
    w_hh = np.asarray(params["weight_hh"], dtype)
    bias = np.asarray(params["bias_ih"], dtype) + np.asarray(params["bias_hh"], dtype)
    T, B, _ = xs.shape
    n = w_hh.shape[1]
    h0 = np.zeros((B, n), dtype) if h0 is None else np.asarray(h0, dtype)
    c0 = np.zeros((B, n), dtype) if c0 is None else np.asarray(c0, dtype)
    return w_ih, w_hh, bias, h0, c0, (T, B, n)


def _gates(a: np.ndarray, n: int):
    return _sigmoid(a[:, :n]), _sigmoid(a[:, n : 2 * n]), np.tanh(a[:, 2 * n : 3 * n]), _sigmoid(a[:, 3 * n :])


def forward(
    params: Mapping[str, np.ndarray], xs: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """LSTM over a sequence. ``xs`` (T, B, m) → ``hs``, ``cs`` (T, B, n)."""
    xs = np.asarray(xs)
    w_ih, w_hh, bias, h, c, (T, B, n) = _setup(params, xs, h0, c0)
    hs = np.empty((T, B, n), xs.dtype)
    cs = np.empty((T, B, n), xs.dtype)
    for t in range(T):
        a = xs[t] @ w_ih.T + h @ w_hh.T + bias
        i, f, g, o = _gates(a, n)
        c = f * c + i * g
        h = o * np.tanh(c)
        hs[t], cs[t] = h, c
    return hs, cs


def forward_backward(
    params: Mapping[str, np.ndarray],
    xs: np.ndarray,
    dhs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    dhT: np.ndarray | None = None,
    dcT: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Forward, then back-propagation through time for ``L = Σ dhs·hs + dhT·h_T + dcT·c_T``."""
    xs = np.asarray(xs)
    dtype = xs.dtype
    w_ih, w_hh, bias, h0, c0, (T, B, n) = _setup(params, xs, h0, c0)
    hs = np.empty((T, B, n), dtype)
    cs = np.empty((T, B, n), dtype)
    acts = np.empty((T, B, 4 * n), dtype)  # i, f, g, o after their nonlinearities
    h, c = h0, c0
    for t in range(T):
        a = xs[t] @ w_ih.T + h @ w_hh.T + bias
        i, f, g, o = _gates(a, n)
        c = f * c + i * g
        h = o * np.tanh(c)
        hs[t], cs[t] = h, c
        acts[t, :, :n], acts[t, :, n : 2 * n], acts[t, :, 2 * n : 3 * n], acts[t, :, 3 * n :] = i, f, g, o

    dw_ih = np.zeros_like(w_ih)
    dw_hh = np.zeros_like(w_hh)
    db = np.zeros_like(bias)
    dxs = np.empty_like(xs)
    dh_next = np.zeros((B, n), dtype) if dhT is None else np.asarray(dhT, dtype)
    dc_next = np.zeros((B, n), dtype) if dcT is None else np.asarray(dcT, dtype)
    da = np.empty((B, 4 * n), dtype)
    for t in range(T - 1, -1, -1):
        i, f, g, o = (acts[t, :, k * n : (k + 1) * n] for k in range(4))
        h_prev = hs[t - 1] if t else h0
        c_prev = cs[t - 1] if t else c0
        tanh_c = np.tanh(cs[t])
        dh = dhs[t] + dh_next
        dc = dc_next + dh * o * (1 - tanh_c * tanh_c)
        da[:, :n] = dc * g * i * (1 - i)
        da[:, n : 2 * n] = dc * c_prev * f * (1 - f)
        da[:, 2 * n : 3 * n] = dc * i * (1 - g * g)
        da[:, 3 * n :] = dh * tanh_c * o * (1 - o)
        dw_ih += da.T @ xs[t]
        dw_hh += da.T @ h_prev
        db += da.sum(axis=0)
        dxs[t] = da @ w_ih
        dh_next = da @ w_hh
        dc_next = dc * f
    grads = {"weight_ih": dw_ih, "weight_hh": dw_hh, "bias_ih": db, "bias_hh": db.copy()}
    grads.update(xs=dxs, h0=dh_next, c0=dc_next)
    return hs, cs, grads
