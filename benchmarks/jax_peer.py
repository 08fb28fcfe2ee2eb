"""JAX as a benchmark peer: a recurrent cell as ``jax.jit`` of ``jax.vjp`` over a ``lax.scan`` step (XLA CPU).

:func:`scan_runner` turns a step ``step(params, carry, x) -> carry`` into a compiled forward pass and a
compiled forward + BPTT; :func:`lstm_runner` is the LSTM with PyTorch's gate order (i, f, g, o) and the
harness's contract. Both programs are compiled ahead of time (``jit(...).lower(...).compile()``), so the
timed calls never compile; the compile times are returned to be reported.

Threads: jaxlib 0.10's XLA CPU runtime accepts ``XLA_FLAGS=--xla_cpu_multi_thread_eigen=...
intra_op_parallelism_threads=...`` but does not honour it (measured: four of its pool's threads busy with
``intra_op_parallelism_threads=1``), so the benchmark sets those flags as asked *and* holds the worker
process to ``threads`` cores with ``os.sched_setaffinity`` (see :func:`limit_threads`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

XLA_FLAGS = "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={threads}"


class Unavailable(Exception):
    """JAX is not installed."""


def limit_threads(threads: int) -> None:
    """Hold this process to ``threads`` cores (Linux); call before JAX starts its thread pool."""
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, cores[: max(1, threads)])


def _jax(dtype: str):
    try:
        import jax  # optional: absent means "unavailable", not an error
    except ImportError as error:
        raise Unavailable(f"jax is not installed ({error})") from None
    jax.config.update("jax_enable_x64", dtype == "float64")
    return jax


def scan_runner(step: Callable, params: dict, xs: np.ndarray, carry0: tuple, dhs: np.ndarray) -> dict:
    """Compiled forward and forward + BPTT of ``step`` over ``xs`` (T, B, m) from ``carry0`` (arrays (B, k)).

    The outputs are the carries of every step (each (T, B, k)); the loss is ``Σ dhs · outputs[0]``.
    Returns ``{"forward": f, "forward_backward": g, "compile_s": {...}}``: ``f() -> outputs``,
    ``g() -> (outputs, dparams, dxs, dcarry0)``, each blocking until XLA is done.
    """
    jax = _jax(str(xs.dtype))
    lax, jnp = jax.lax, jax.numpy

    def run(params, xs, carry0):
        def body(carry, x):
            new = step(params, carry, x)
            return new, new

        return lax.scan(body, carry0, xs)[1]

    def run_backward(params, xs, carry0, dhs):
        outputs, pullback = jax.vjp(run, params, xs, carry0)
        cotangents = (dhs, *(jnp.zeros_like(o) for o in outputs[1:]))
        return (outputs, *pullback(cotangents))

    on_device = jax.device_put((params, xs, carry0, dhs))
    compile_s, compiled = {}, {}
    for mode, fn, args in (("forward", run, on_device[:3]), ("forward_backward", run_backward, on_device)):
        start = time.perf_counter()
        compiled[mode] = jax.jit(fn).lower(*args).compile()
        compile_s[mode] = time.perf_counter() - start
    forward, backward = compiled["forward"], compiled["forward_backward"]
    return {
        "forward": lambda: jax.block_until_ready(forward(*on_device[:3])),
        "forward_backward": lambda: jax.block_until_ready(backward(*on_device)),
        "compile_s": compile_s,
    }


def lstm_step(params: dict, carry: tuple, x):
    """One LSTM step, gates stacked in PyTorch's order (i, f, g, o): ``x`` (B, m), ``carry`` = (h, c) (B, n)."""
    import jax

    jnp, sigmoid = jax.numpy, jax.nn.sigmoid
    h, c = carry
    a = x @ params["weight_ih"].T + h @ params["weight_hh"].T + params["bias_ih"] + params["bias_hh"]
    i, f, g, o = jnp.split(a, 4, axis=1)
    c = sigmoid(f) * c + sigmoid(i) * jnp.tanh(g)
    return sigmoid(o) * jnp.tanh(c), c


def lstm_runner(problem: dict) -> dict:
    """The harness's LSTM contract in JAX: forward → (hs, cs); forward_backward → (hs, cs, grads)."""
    p = problem
    runner = scan_runner(lstm_step, p["params"], p["xs"], (p["h0"], p["c0"]), p["dhs"])
    forward, backward = runner["forward"], runner["forward_backward"]

    def forward_backward():
        (hs, cs), dparams, dxs, (dh0, dc0) = backward()
        return hs, cs, {**dparams, "xs": dxs, "h0": dh0, "c0": dc0}

    return {"forward": forward, "forward_backward": forward_backward, "compile_s": runner["compile_s"]}


def version() -> str:
    import jax

    return jax.__version__
