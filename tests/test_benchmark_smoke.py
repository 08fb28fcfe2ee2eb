"""The benchmark harness runs and reports numbers at a tiny size (no timing assertions), and its
NumPy baseline computes the same LSTM as the test reference."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from strategies import Problem, lstm_problems

import symlstm

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
TINY = (3, 2, 4, 5)  # T, B, m, n


@pytest.fixture(scope="module")
def bench():
    """The benchmarks/ modules (a directory of scripts, not a package)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield {name: importlib.import_module(name) for name in ("baseline_numpy", "harness", "bench_lstm")}
    finally:
        sys.path.remove(str(BENCHMARKS))


@settings(max_examples=15)
@given(problem=lstm_problems())
def test_baseline_equals_reference(bench, problem: Problem) -> None:
    up = problem.upstream
    args = (problem.params, problem.xs, up.dhs, problem.h0, problem.c0)
    hs, cs, grads = bench["baseline_numpy"].forward_backward(*args, dhT=up.dhT, dcT=up.dcT)
    r_hs, r_cs, r_grads = reference.forward_backward(*args, dhT=up.dhT, dcT=up.dcT)
    np.testing.assert_allclose(hs, r_hs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cs, r_cs, rtol=1e-12, atol=1e-12)
    assert grads.keys() == r_grads.keys()
    for name, expected in r_grads.items():
        np.testing.assert_allclose(grads[name], expected, rtol=1e-10, atol=1e-12, err_msg=name)
    f_hs, f_cs = bench["baseline_numpy"].forward(problem.params, problem.xs, problem.h0, problem.c0)
    np.testing.assert_allclose(f_hs, r_hs, rtol=1e-12, atol=1e-12)


def test_gemm_flops_by_hand(bench) -> None:
    """Forward: 2·T·B·(m + n)·4n; backward adds twice that (input/state gradients and weight gradients)."""
    T, B, m, n = 100, 64, 128, 256
    config = bench["harness"].Config(T, B, m, n)
    assert bench["harness"].gemm_flops(config, "forward") == 8 * T * B * n * (m + n)
    assert bench["harness"].gemm_flops(config, "forward_backward") == 24 * T * B * n * (m + n)


@pytest.mark.parametrize("impl", ["numpy", "gemm", "torch-gemm", "torch", "generated", "fused"])
def test_worker_reports_numbers(bench, impl: str) -> None:
    harness = bench["harness"]
    record = harness.worker(impl, harness.Config(*TINY), "float32", repeat=1, min_time=0.0, threads=1)
    if record["status"] == "unavailable":
        assert impl in ("torch", "torch-gemm", "generated", "fused"), record["reason"]
        pytest.skip(record["reason"])
    assert record["status"] == "ok"
    if impl in ("gemm", "torch-gemm"):
        # the backward pass adds products to the forward's, so its sequence takes longer
        assert 0 < record["gemm_sequence_forward_s"] < record["gemm_sequence_forward_backward_s"]
        if impl == "gemm":
            assert record["peak_gflops"] > 0
            assert 0 < record["bound_forward_s"] < record["bound_forward_backward_s"]
        return
    for mode in harness.MODES:
        assert record[mode]["median_s"] > 0 and record[mode]["gflops"] > 0
    if impl != "numpy":
        assert record["max_rel_error_vs_numpy"] < 1e-4


def test_script_prints_table_and_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    options = "--impl numpy --impl generated --dtype float64 --repeat 1 --min-time 0 --rounds 1 --quiet-wait 0 --json"
    command = [sys.executable, str(BENCHMARKS / "bench_lstm.py"), "--config", ",".join(map(str, TINY))]
    command += [*options.split(), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "| implementation | median ms | × numpy |" in done.stdout
    assert "| 3×2×4×5 | float64 | fwd+BPTT | numpy |" in done.stdout
    records = json.loads(out.read_text())["records"]
    assert {r["impl"] for r in records} == {"gemm", "numpy", "generated"}
    assert all(r["status"] == "ok" for r in records if r["impl"] != "generated")
    generated = next(r for r in records if r["impl"] == "generated")
    if generated["status"] == "ok":
        assert "| 3×2×4×5 | float64 | fwd+BPTT | generated |" in done.stdout
    else:
        assert f"- generated: {generated['status']} — {generated['reason']}" in done.stdout


def test_generated_runner_uses_the_contract(bench, monkeypatch) -> None:
    """Stand the test reference in for symlstm.compile_numpy: the worker runs it through the contract."""
    calls = []

    def compile_numpy(cell, dtype):
        calls.append((cell, dtype))
        return reference

    monkeypatch.setattr(symlstm, "compile_numpy", compile_numpy, raising=False)
    harness = bench["harness"]
    record = harness.worker("generated", harness.Config(*TINY), "float64", repeat=1, min_time=0.0, threads=1)
    assert record["status"] == "ok", record
    assert record["max_rel_error_vs_numpy"] < 1e-12
    assert [dtype for _, dtype in calls] == ["float64"]
