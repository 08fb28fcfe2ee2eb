"""An independent NumPy LSTM: the oracle the generated modules are tested against.

Written from the PyTorch documentation of ``torch.nn.LSTM`` / ``torch.nn.LSTMCell``, not from symlstm.
For one step, with ``x`` (B, m), ``h``, ``c`` (B, n) and the gates stacked i, f, g, o along the rows of
the weights::

    a = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh      # (B, 4n)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)
    c' = f * c + i * g
    h' = o * tanh(c')

The backward pass is ordinary hand-written back-propagation through time, one step at a time, kept
deliberately plain (no hoisting, no fused GEMMs) so that it shares nothing with the generator but
the contract (see issue 5):

- ``forward(params, xs, h0=None, c0=None) -> (hs, cs)``
- ``forward_backward(params, xs, dhs, h0=None, c0=None, *, dhT=None, dcT=None) -> (hs, cs, grads)``

Arrays are computed in the floating dtype of the inputs (float64 unless every input is float32).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
GATES = ("i", "f", "g", "o")


def param_shapes(n: int, m: int) -> dict[str, tuple[int, ...]]:
    """Shapes of the parameters for hidden size ``n`` and input size ``m`` (torch.nn.LSTMCell layout)."""
    return {"weight_ih": (4 * n, m), "weight_hh": (4 * n, n), "bias_ih": (4 * n,), "bias_hh": (4 * n,)}


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function written through tanh: exact identity, no overflow for any finite ``z``."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _dtype(*arrays: object) -> np.dtype:
    """float32 if every given array is float32, else float64."""
    given = [np.asarray(a).dtype for a in arrays if a is not None]
    return np.dtype(np.float32) if given and all(d == np.float32 for d in given) else np.dtype(np.float64)


def _check(name: str, array: np.ndarray, expected: tuple[int, ...]) -> None:
    if array.shape != expected:
        raise ValueError(f"{name} has shape {array.shape}, expected {expected}")


def _prepare(params: Mapping[str, np.ndarray], xs: np.ndarray, h0, c0, extra=()):
    """Validate shapes, cast to the working dtype, fill the default zero initial states."""
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise KeyError(f"missing parameter(s) {missing}; expected {list(PARAM_NAMES)}")
    dtype = _dtype(xs, h0, c0, *extra, *(params[k] for k in PARAM_NAMES))
    p = {k: np.asarray(params[k], dtype=dtype) for k in PARAM_NAMES}
    xs = np.asarray(xs, dtype=dtype)
    if xs.ndim != 3:
        raise ValueError(f"xs has shape {xs.shape}, expected (T, B, m)")
    T, B, m = xs.shape
    if p["weight_hh"].ndim != 2:
        raise ValueError(f"weight_hh has shape {p['weight_hh'].shape}, expected (4n, n)")
    n = p["weight_hh"].shape[1]
    for k, shape in param_shapes(n, m).items():
        _check(k, p[k], shape)
    h0 = np.zeros((B, n), dtype) if h0 is None else np.asarray(h0, dtype=dtype)
    c0 = np.zeros((B, n), dtype) if c0 is None else np.asarray(c0, dtype=dtype)
    _check("h0", h0, (B, n))
    _check("c0", c0, (B, n))
    return p, xs, h0, c0, (T, B, n, m), dtype


def _step(p: Mapping[str, np.ndarray], x: np.ndarray, h: np.ndarray, c: np.ndarray):
    """One LSTM step. Returns (h', c', (i, f, g, o))."""
    a = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return h_new, c_new, (i, f, g, o)


def forward(
    params: Mapping[str, np.ndarray],
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the LSTM over a sequence.

    Parameters
    ----------
    params : mapping with ``weight_ih`` (4n, m), ``weight_hh`` (4n, n), ``bias_ih`` (4n,), ``bias_hh`` (4n,)
    xs : (T, B, m) inputs
    h0, c0 : (B, n) initial states, zeros if None

    Returns
    -------
    hs, cs : (T, B, n) hidden and cell states after each step
    """
    p, xs, h, c, (T, B, n, _), dtype = _prepare(params, xs, h0, c0)
    hs = np.empty((T, B, n), dtype)
    cs = np.empty((T, B, n), dtype)
    for t in range(T):
        h, c, _ = _step(p, xs[t], h, c)
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
    """Forward pass, then back-propagation through time.

    The loss is implicit: ``L = sum(dhs * hs) + sum(dhT * hs[-1]) + sum(dcT * cs[-1])``.

    Parameters
    ----------
    params, xs, h0, c0 : as in :func:`forward`
    dhs : (T, B, n) gradient of the loss with respect to every ``h_t``
    dhT, dcT : (B, n) extra gradients on the final ``h_T`` and ``c_T``, zeros if None

    Returns
    -------
    hs, cs : (T, B, n)
    grads : dict with the parameter names (their shapes), ``"xs"`` (T, B, m), ``"h0"`` and ``"c0"`` (B, n)
    """
    p, xs, h0, c0, (T, B, n, m), dtype = _prepare(params, xs, h0, c0, extra=(dhs, dhT, dcT))
    dhs = np.asarray(dhs, dtype=dtype)
    _check("dhs", dhs, (T, B, n))
    dh_next = np.zeros((B, n), dtype) if dhT is None else np.array(dhT, dtype=dtype)
    dc_next = np.zeros((B, n), dtype) if dcT is None else np.array(dcT, dtype=dtype)
    _check("dhT", dh_next, (B, n))
    _check("dcT", dc_next, (B, n))

    # Forward, remembering what the backward pass needs at each step.
    hs = np.empty((T, B, n), dtype)
    cs = np.empty((T, B, n), dtype)
    gates = []
    h, c = h0, c0
    for t in range(T):
        h, c, ifgo = _step(p, xs[t], h, c)
        hs[t], cs[t] = h, c
        gates.append(ifgo)

    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dxs = np.empty_like(xs)
    for t in reversed(range(T)):
        i, f, g, o = gates[t]
        h_prev = hs[t - 1] if t > 0 else h0
        c_prev = cs[t - 1] if t > 0 else c0
        tanh_c = np.tanh(cs[t])
        dh = dhs[t] + dh_next
        dc = dc_next + dh * o * (1.0 - tanh_c**2)
        da_i = dc * g * i * (1.0 - i)
        da_f = dc * c_prev * f * (1.0 - f)
        da_g = dc * i * (1.0 - g**2)
        da_o = dh * tanh_c * o * (1.0 - o)
        da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (B, 4n)
        grads["weight_ih"] += da.T @ xs[t]
        grads["weight_hh"] += da.T @ h_prev
        grads["bias_ih"] += da.sum(axis=0)
        grads["bias_hh"] += da.sum(axis=0)
        dxs[t] = da @ p["weight_ih"]
        dh_next = da @ p["weight_hh"]
        dc_next = dc * f
    grads["xs"] = dxs
    grads["h0"] = dh_next
    grads["c0"] = dc_next
    return hs, cs, grads
