"""Pieces of the LSTM benchmark that run inside one worker process.

A *runner* is a pair of zero-argument callables ``{"forward": ..., "forward_backward": ...}`` closed over
one problem. Every implementation is reached through the contract of issue 5 (``forward(params, xs, h0,
c0)`` and ``forward_backward(params, xs, dhs, h0, c0, dhT=, dcT=)``), except torch, which is adapted.
:func:`worker` measures one implementation at one configuration and dtype and returns a JSON-able record;
``bench_lstm.py`` runs each worker in a fresh process.
"""

from __future__ import annotations

import importlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import baseline_numpy
import jax_peer
import numpy as np

MODES = ("forward", "forward_backward")
IMPLS = ("numpy", "torch", "jax", "generated", "fused")


class Config(NamedTuple):
    """Sequence length T, batch B, input size m, hidden size n."""

    T: int
    B: int
    m: int
    n: int

    def label(self) -> str:
        return f"{self.T}×{self.B}×{self.m}×{self.n}"


class Unavailable(Exception):
    """An implementation that cannot run here (not installed, not written yet)."""


def gemm_shapes(config: Config, mode: str) -> list[tuple[int, int, int, int]]:
    """The matrix products an LSTM needs, as ``(count, M, K, N)`` for ``(M, K) @ (K, N)``.

    Forward: the input projection of all steps at once and one recurrent product per step. Backward adds
    the gradients of the inputs and of the previous hidden state, and the two weight gradients.
    """
    T, B, m, n = config
    shapes = [(1, T * B, m, 4 * n), (T, B, n, 4 * n)]
    if mode == "forward_backward":
        shapes += [(1, T * B, 4 * n, m), (T, B, 4 * n, n), (1, 4 * n, T * B, m), (1, 4 * n, T * B, n)]
    return shapes


def gemm_flops(config: Config, mode: str) -> int:
    """Floating-point operations in the LSTM's matrix products (2·M·K·N each; elementwise work excluded)."""
    return sum(2 * count * M * K * N for count, M, K, N in gemm_shapes(config, mode))


def make_problem(config: Config, dtype: str, seed: int = 0) -> dict:
    """Parameters at PyTorch's default scale (U(−1/√n, 1/√n)), standard-normal inputs and upstream gradients."""
    T, B, m, n = config
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(n)
    shapes = {"weight_ih": (4 * n, m), "weight_hh": (4 * n, n), "bias_ih": (4 * n,), "bias_hh": (4 * n,)}
    params = {name: rng.uniform(-k, k, shape).astype(dtype) for name, shape in shapes.items()}
    return {
        "params": params,
        "xs": rng.standard_normal((T, B, m)).astype(dtype),
        "h0": rng.standard_normal((B, n)).astype(dtype),
        "c0": rng.standard_normal((B, n)).astype(dtype),
        "dhs": rng.standard_normal((T, B, n)).astype(dtype),
    }


def contract_runner(module, problem: dict) -> dict[str, Callable[[], tuple]]:
    """Runner for any module that follows the forward / forward_backward contract."""
    p = problem
    return {
        "forward": lambda: module.forward(p["params"], p["xs"], p["h0"], p["c0"]),
        "forward_backward": lambda: module.forward_backward(p["params"], p["xs"], p["dhs"], p["h0"], p["c0"]),
    }


def torch_runner(problem: dict, threads: int) -> dict[str, Callable[[], tuple]]:
    """Runner for torch.nn.LSTM on the CPU. Its forward returns ``hs`` and the final state only (no ``cs``)."""
    try:
        import torch  # optional: absent means "unavailable", not an error
    except ImportError as error:
        raise Unavailable(f"torch is not installed ({error})") from None
    torch.set_num_threads(threads)
    T, B, m = problem["xs"].shape
    n = problem["h0"].shape[1]
    dtype = torch.from_numpy(problem["xs"]).dtype
    lstm = torch.nn.LSTM(m, n, dtype=dtype)
    lstm.load_state_dict({f"{k}_l0": torch.from_numpy(v) for k, v in problem["params"].items()})
    xs, h0, c0, dhs = (torch.from_numpy(problem[k]) for k in ("xs", "h0", "c0", "dhs"))
    leaves = [t.clone().requires_grad_(True) for t in (xs, h0[None], c0[None])]
    weights = [getattr(lstm, f"{k}_l0") for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

    def forward():
        with torch.inference_mode():
            return lstm(xs, (h0[None], c0[None]))

    def forward_backward():
        hs, _ = lstm(leaves[0], (leaves[1], leaves[2]))
        grads = torch.autograd.grad(hs, [*weights, *leaves], grad_outputs=dhs)
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "xs", "h0", "c0")
        grads = {k: g.numpy() for k, g in zip(names, grads, strict=True)}
        grads["h0"], grads["c0"] = grads["h0"][0], grads["c0"][0]
        return hs.detach().numpy(), None, grads

    return {"forward": forward, "forward_backward": forward_backward}


def load_generated(dtype: str, fuse: bool = False):
    """The module ``symlstm.compile_numpy(symlstm.cell("lstm"), dtype=dtype)``, or :class:`Unavailable`;
    with ``fuse``, the module whose element-wise statements run as numba kernels (``fuse=True``).

    Falls back to ``symlstm.codegen.compile_numpy`` while the package does not export it.
    """
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.append(root)  # an installed symlstm wins; else the checkout this script lives in
    try:
        import symlstm
    except ImportError as error:
        raise Unavailable(f"symlstm is not importable ({error})") from None
    compile_numpy = getattr(symlstm, "compile_numpy", None)
    if compile_numpy is None:  # not exported yet: the codegen subpackage may still have it
        try:
            compile_numpy = importlib.import_module("symlstm.codegen").compile_numpy
        except (ImportError, AttributeError):
            raise Unavailable("symlstm.compile_numpy does not exist yet (issue 5)") from None
    if not fuse:
        return compile_numpy(symlstm.cell("lstm"), dtype=dtype)
    try:  # the fused module imports numba, and says so when it is missing
        return compile_numpy(symlstm.cell("lstm"), dtype=dtype, fuse=True)
    except ImportError as error:
        raise Unavailable(str(error)) from None


def runner_for(impl: str, problem: dict, dtype: str, threads: int) -> dict[str, Callable[[], tuple]]:
    if impl == "numpy":
        return contract_runner(baseline_numpy, problem)
    if impl == "torch":
        return torch_runner(problem, threads)
    if impl == "jax":
        try:
            return jax_peer.lstm_runner(problem)
        except jax_peer.Unavailable as reason:
            raise Unavailable(str(reason)) from None
    if impl == "generated":
        return contract_runner(load_generated(dtype), problem)
    if impl == "fused":
        return contract_runner(load_generated(dtype, fuse=True), problem)
    raise ValueError(f"unknown implementation {impl!r}; expected one of {IMPLS}")


def time_call(fn: Callable[[], object], *, repeat: int, min_time: float) -> list[float]:
    """Seconds per call: one warm-up call, then at least ``repeat`` calls and at least ``min_time`` seconds."""
    fn()
    times: list[float] = []
    while len(times) < repeat or (sum(times) < min_time and len(times) < 50 * max(repeat, 1)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def max_relative_error(result: tuple, expected: tuple) -> float:
    """Largest |result − expected| / max(1, |expected|) over hs, cs (if given) and every gradient."""
    pairs = [(result[0], expected[0])]
    if result[1] is not None:
        pairs.append((result[1], expected[1]))
    if len(result) > 2:
        pairs += [(result[2][k], expected[2][k]) for k in expected[2]]
    worst = 0.0
    for got, want in pairs:
        got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
        worst = max(worst, float(np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want))))))
    return worst


def _gemm_seconds(config: Config, matmul: Callable, *, repeat: int, min_time: float) -> dict[tuple, float]:
    """Median seconds of ``matmul(M, K, N)`` (a zero-argument callable it returns) for each GEMM shape."""
    seconds = {}
    for _, M, K, N in gemm_shapes(config, "forward_backward"):
        seconds[(M, K, N)] = statistics.median(time_call(matmul(M, K, N), repeat=repeat, min_time=min_time / 6))
    return seconds


def _sequence(config: Config, seconds: dict[tuple, float]) -> dict[str, float]:
    """Per mode, the time of the LSTM's GEMM sequence at its real shapes."""
    return {f"gemm_sequence_{mode}_s": sum(c * seconds[(M, K, N)] for c, M, K, N in gemm_shapes(config, mode))
            for mode in MODES}


def measure_gemm(config: Config, dtype: str, *, repeat: int, min_time: float) -> dict:
    """Time each of the LSTM's GEMM shapes with NumPy (same BLAS as the baseline).

    Returns the peak rate over those shapes and, per mode, the time of the GEMM sequence at their real
    shapes (a tighter, attainable bound) alongside the GEMM-bound time ``flops / peak``.
    """

    def matmul(M: int, K: int, N: int) -> Callable[[], object]:
        a, b, out = np.ones((M, K), dtype), np.ones((K, N), dtype), np.empty((M, N), dtype)
        return lambda: np.matmul(a, b, out=out)

    seconds = _gemm_seconds(config, matmul, repeat=repeat, min_time=min_time)
    rates = {shape: 2 * shape[0] * shape[1] * shape[2] / s for shape, s in seconds.items()}
    best = max(rates, key=rates.get)
    record = {"peak_gflops": rates[best] / 1e9, "peak_shape": list(best), **_sequence(config, seconds)}
    for mode in MODES:
        record[f"bound_{mode}_s"] = gemm_flops(config, mode) / rates[best]
    return record


def measure_torch_gemm(config: Config, dtype: str, *, repeat: int, min_time: float, threads: int) -> dict:
    """The same GEMM sequence through ``torch.matmul`` (torch's own BLAS: MKL / oneDNN on x86).

    What torch.nn.LSTM can spend on its products: NumPy code with NumPy's BLAS cannot go below
    the NumPy GEMM sequence, so the two sequences bound the ratio a NumPy LSTM can reach against torch.
    """
    try:
        import torch  # optional: absent means "unavailable", not an error
    except ImportError as error:
        raise Unavailable(f"torch is not installed ({error})") from None
    torch.set_num_threads(threads)
    kind = getattr(torch, dtype)

    def matmul(M: int, K: int, N: int) -> Callable[[], object]:
        a, b, out = torch.ones((M, K), dtype=kind), torch.ones((K, N), dtype=kind), torch.empty((M, N), dtype=kind)
        return lambda: torch.matmul(a, b, out=out)

    return _sequence(config, _gemm_seconds(config, matmul, repeat=repeat, min_time=min_time))


def worker(
    impl: str, config: Config, dtype: str, *, repeat: int, min_time: float, threads: int, check: bool = True
) -> dict:
    """Measure one implementation (or ``"gemm"``, ``"torch-gemm"``) at one configuration and dtype, in this process."""
    record = {"impl": impl, "config": list(config), "dtype": dtype, "pid": os.getpid()}
    if impl == "gemm":
        return {**record, "status": "ok", **measure_gemm(config, dtype, repeat=repeat, min_time=min_time)}
    if impl == "torch-gemm":
        try:
            found = measure_torch_gemm(config, dtype, repeat=repeat, min_time=min_time, threads=threads)
        except Unavailable as reason:
            return {**record, "status": "unavailable", "reason": str(reason)}
        return {**record, "status": "ok", **found, "versions": {"torch": sys.modules["torch"].__version__}}
    problem = make_problem(config, dtype)
    try:
        runner = runner_for(impl, problem, dtype, threads)
    except Unavailable as reason:
        return {**record, "status": "unavailable", "reason": str(reason)}
    if check and impl != "numpy":
        expected = contract_runner(baseline_numpy, problem)["forward_backward"]()
        record["max_rel_error_vs_numpy"] = max_relative_error(runner["forward_backward"](), expected)
    if "compile_s" in runner:  # JAX: compiled before timing, so not in the medians
        record["compile_s"] = runner["compile_s"]
    for mode in MODES:
        times = time_call(runner[mode], repeat=repeat, min_time=min_time)
        record[mode] = {
            "median_s": statistics.median(times),
            "min_s": min(times),
            "runs": len(times),
            "gflops": gemm_flops(config, mode) / statistics.median(times) / 1e9,
        }
    record["versions"] = {"NumPy": np.__version__}
    for name in ("torch", "jax"):
        if name in sys.modules:
            record["versions"][name] = sys.modules[name].__version__
    return {**record, "status": "ok"}
