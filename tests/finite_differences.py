"""Central finite differences, the gradient check every numeric test shares.

``central_differences(loss, values)`` perturbs each entry of each array of ``values`` by ±eps in place
(restoring it afterwards) and returns ``(loss(+) − loss(−)) / 2eps`` for every entry; for an LSTM
problem, :func:`loss_inputs` and :func:`upstream_loss` give the values and the loss
``L = Σ dhs·hs + dhT·h_T + dcT·c_T`` that ``forward_backward`` differentiates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
from strategies import Problem


def central_differences(loss: Callable[[Mapping[str, np.ndarray]], float], values: Mapping[str, np.ndarray],
                        names: Iterable[str] | None = None, eps: float = 1e-6) -> dict[str, np.ndarray]:
    """∂loss/∂values[name] for each of ``names`` (all of ``values`` if None), each of the array's shape."""
    numeric = {}
    for name in values if names is None else names:
        array = values[name]
        numeric[name] = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + eps
            plus = loss(values)
            array[index] = saved - eps
            numeric[name][index] = (plus - loss(values)) / (2 * eps)
            array[index] = saved
    return numeric


def loss_inputs(problem: Problem) -> dict[str, np.ndarray]:
    """Copies of everything the loss depends on, with None initial states made explicit zeros."""
    (_, B, n, _), dtype = problem.sizes, problem.xs.dtype
    zeros = np.zeros((B, n), dtype)
    values = {**problem.params, "xs": problem.xs,
              "h0": zeros if problem.h0 is None else problem.h0,
              "c0": zeros if problem.c0 is None else problem.c0}
    return {k: np.array(v) for k, v in values.items()}


def upstream_loss(problem: Problem, forward: Callable, param_names: Iterable[str],
                  values: Mapping[str, np.ndarray]) -> float:
    """L = sum(dhs * hs) + sum(dhT * h_T) + sum(dcT * c_T) for ``forward(params, xs, h0, c0) -> (hs, cs)``."""
    hs, cs = forward({k: values[k] for k in param_names}, values["xs"], values["h0"], values["c0"])
    up = problem.upstream
    total = np.sum(up.dhs * hs)
    if up.dhT is not None:
        total += np.sum(up.dhT * hs[-1])
    if up.dcT is not None:
        total += np.sum(up.dcT * cs[-1])
    return float(total)
