"""The custom-cell benchmark inside one worker process: a cell of ``custom_cells`` as researchers write a new
cell in torch (autograd over a Python loop of the step), in JAX (``lax.scan`` + ``vjp``, compiled), and as
symlstm's generated module, unfused and fused.

A runner is ``{"forward": f, "forward_backward": g, "result": r}``: ``f`` and ``g`` are timed (their raw
outputs), ``r()`` gives ``(hs, grads)`` with the gradients under the cell's parameter names and ``xs``,
``h0``, for the check. Before timing, every implementation is checked against torch's autograd loop in
float64 (held to one thread, so that torch's OpenMP threads do not idle beside the timed code), and that loop
itself against symlstm's generated module in float64.
"""

from __future__ import annotations

import statistics
import sys

import custom_cells
import jax_peer
import numpy as np
from harness import MODES, Config, Unavailable, max_relative_error, time_call

CELL_IMPLS = ("torch-loop", "jax", "generated", "fused")


def _torch(threads: int):
    try:
        import torch  # optional: absent means "unavailable", not an error
    except ImportError as error:
        raise Unavailable(f"torch is not installed ({error})") from None
    torch.set_num_threads(threads)
    return torch


def torch_loop_runner(name: str, problem: dict, threads: int) -> dict:
    """torch autograd over a Python loop of the cell's step (the parameters under the cell's names)."""
    torch = _torch(threads)
    params = {k: torch.from_numpy(v).requires_grad_(True) for k, v in problem["params"].items()}
    xs, h0, dhs = (torch.from_numpy(problem[k]) for k in ("xs", "h0", "dhs"))
    leaves = [xs.clone().requires_grad_(True), h0.clone().requires_grad_(True)]
    ops = {"cat": lambda parts: torch.cat(parts, dim=1), "sigmoid": torch.sigmoid, "tanh": torch.tanh}

    def run(params, xs, h):
        hs = []
        for x in xs:
            h = custom_cells.step(name, params, h, x, **ops)
            hs.append(h)
        return torch.stack(hs)

    def forward():
        with torch.inference_mode():
            return run(params, xs, h0)

    def forward_backward():
        hs = run(params, *leaves)
        return hs, torch.autograd.grad(hs, [*params.values(), *leaves], grad_outputs=dhs)

    def result():
        hs, grads = forward_backward()
        names = [*params, "xs", "h0"]
        return hs.detach().numpy(), {k: g.numpy() for k, g in zip(names, grads, strict=True)}

    return {"forward": forward, "forward_backward": forward_backward, "result": result}


def jax_runner(name: str, problem: dict) -> dict:
    """The cell's step under ``lax.scan``, differentiated with ``jax.vjp``, compiled ahead of time."""
    try:
        jax = jax_peer._jax(str(problem["xs"].dtype))
    except jax_peer.Unavailable as reason:
        raise Unavailable(str(reason)) from None
    jnp = jax.numpy
    ops = {"cat": lambda parts: jnp.concatenate(parts, axis=1), "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh}

    def step(params, carry, x):
        return (custom_cells.step(name, params, carry[0], x, **ops),)

    p = problem
    runner = jax_peer.scan_runner(step, p["params"], p["xs"], (p["h0"],), p["dhs"])

    def result():
        (hs,), dparams, dxs, (dh0,) = runner["forward_backward"]()
        return np.asarray(hs), {**{k: np.asarray(v) for k, v in dparams.items()}, "xs": dxs, "h0": dh0}

    return {**runner, "result": result}


def generated_runner(name: str, problem: dict, dtype: str, fuse: bool) -> dict:
    """symlstm's generated module of the cell (``fuse`` for the numba-fused one), parameters mapped to its names."""
    import harness

    harness.load_generated("float64")  # puts the checkout on sys.path, or says symlstm is unavailable
    import symlstm

    try:
        module = symlstm.compile_numpy(custom_cells.build(name), dtype=dtype, fuse=fuse)
    except ImportError as error:  # the fused module says when numba is missing
        raise Unavailable(str(error)) from None
    p = problem
    params = custom_cells.to_module(name, module, p["params"])
    n = p["h0"].shape[1]

    def result():
        hs, grads = module.forward_backward(params, p["xs"], p["dhs"], p["h0"])
        cell = custom_cells.from_module(name, module, {k: grads[k] for k in module.PARAMS}, n)
        return hs, {**cell, "xs": grads["xs"], "h0": grads["h0"]}

    return {
        "forward": lambda: module.forward(params, p["xs"], p["h0"]),
        "forward_backward": lambda: module.forward_backward(params, p["xs"], p["dhs"], p["h0"]),
        "result": result,
    }


def cell_runner(impl: str, name: str, problem: dict, dtype: str, threads: int) -> dict:
    if impl == "torch-loop":
        return torch_loop_runner(name, problem, threads)
    if impl == "jax":
        return jax_runner(name, problem)
    if impl in ("generated", "fused"):
        return generated_runner(name, problem, dtype, fuse=impl == "fused")
    raise ValueError(f"unknown cell implementation {impl!r}; expected one of {CELL_IMPLS}")


def check(impl: str, name: str, problem: dict, result: tuple) -> tuple[str, float]:
    """The float64 reference (torch's loop; for that loop the generated module) and the largest relative error."""
    wide = {k: problem[k].astype(np.float64) for k in ("xs", "h0", "dhs")}
    wide["params"] = {p: w.astype(np.float64) for p, w in problem["params"].items()}
    if impl == "torch-loop":
        reference, expected = "generated", generated_runner(name, wide, "float64", fuse=False)["result"]()
    else:
        reference, expected = "torch-loop", torch_loop_runner(name, wide, threads=1)["result"]()
    got = (result[0], None, result[1])
    return reference, max_relative_error(got, (expected[0], None, expected[1]))


def cell_flops(config: Config, mode: str) -> int:
    """FLOPs of both cells' matrix products: two (B, n + m)·(n + m, n) per step forward, three times that with BPTT."""
    T, B, m, n = config
    return (3 if mode == "forward_backward" else 1) * T * 2 * 2 * B * (n + m) * n


def cell_worker(impl: str, name: str, config: Config, dtype: str, *, repeat: int, min_time: float,
                threads: int) -> dict:
    """Measure one implementation of one custom cell at one configuration and dtype, in this process."""
    record = {"impl": impl, "cell": name, "config": list(config), "dtype": dtype}
    problem = custom_cells.make_problem(name, *config, dtype)
    try:
        runner = cell_runner(impl, name, problem, dtype, threads)
        record["reference"], record["max_rel_error"] = check(impl, name, problem, runner["result"]())
    except Unavailable as reason:
        return {**record, "status": "unavailable", "reason": str(reason)}
    if "compile_s" in runner:
        record["compile_s"] = runner["compile_s"]
    for mode in MODES:
        times = time_call(runner[mode], repeat=repeat, min_time=min_time)
        median = statistics.median(times)
        record[mode] = {"median_s": median, "min_s": min(times), "runs": len(times),
                        "gflops": cell_flops(config, mode) / median / 1e9}
    record["versions"] = {"NumPy": np.__version__}
    for module in ("torch", "jax"):
        if module in sys.modules:
            record["versions"][module] = sys.modules[module].__version__
    return {**record, "status": "ok"}
