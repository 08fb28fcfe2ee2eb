"""The benchmark harness runs and reports numbers at a tiny size (no timing assertions), its NumPy baseline
computes the same LSTM as the test reference, and every peer (torch, JAX) and every custom-cell implementation
agrees with an independent one before it is timed."""

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
        names = ("baseline_numpy", "harness", "bench_lstm", "cell_harness", "custom_cells", "report")
        yield {name: importlib.import_module(name) for name in names}
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


@pytest.mark.parametrize("impl", ["numpy", "gemm", "torch-gemm", "torch", "jax", "generated", "fused"])
def test_worker_reports_numbers(bench, impl: str) -> None:
    harness = bench["harness"]
    record = harness.worker(impl, harness.Config(*TINY), "float32", repeat=1, min_time=0.0, threads=1)
    if record["status"] == "unavailable":
        assert impl in ("torch", "torch-gemm", "jax", "generated", "fused"), record["reason"]
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
    options = "--cell none --impl numpy --impl generated --dtype float64 --repeat 1 --min-time 0 --rounds 1 "
    options += "--quiet-wait 0 --json"
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


def test_jax_lstm_computes_in_float64(bench) -> None:
    """With x64 on, JAX agrees with the float64 NumPy baseline to rounding (float32 would be ~1e-7 off)."""
    harness = bench["harness"]
    record = harness.worker("jax", harness.Config(*TINY), "float64", repeat=1, min_time=0.0, threads=1)
    if record["status"] == "unavailable":
        pytest.skip(record["reason"])
    assert record["max_rel_error_vs_numpy"] < 1e-12
    assert set(record["compile_s"]) == set(harness.MODES)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("impl", ["torch-loop", "jax", "generated", "fused"])
@pytest.mark.parametrize("cell", ["mgu", "ugrnn"])
def test_cell_worker_checks_and_reports(bench, cell: str, impl: str, dtype: str) -> None:
    """Each custom-cell implementation agrees with another before it is timed: the hand-written torch loop with
    symlstm's module of the CellBuilder cell, every other implementation with the torch loop."""
    harness = bench["harness"]
    record = bench["cell_harness"].cell_worker(impl, cell, harness.Config(*TINY), dtype, repeat=1, min_time=0.0,
                                               threads=1)
    if record["status"] == "unavailable":
        pytest.skip(record["reason"])
    assert record["status"] == "ok", record
    assert record["reference"] == ("generated" if impl == "torch-loop" else "torch-loop")
    assert record["max_rel_error"] < (1e-5 if dtype == "float32" else 1e-12)
    for mode in harness.MODES:
        assert record[mode]["median_s"] > 0 and record[mode]["gflops"] > 0


def test_cell_check_catches_a_wrong_mapping(bench, monkeypatch) -> None:
    """The check is what makes the table's rows comparable: give the module the gates' weights in the wrong
    order (the fault a change of the module's parameter names could bring) and the check must say so."""
    cells, harness = bench["custom_cells"], bench["harness"]
    layout = cells.module_layout

    def swapped(name, module):
        found = layout(name, module)
        keys = [k for k, blocks in found.items() if blocks[0][0].startswith("W")]
        if len(keys) == 2:  # MGU: its two gates' weights (own names) or h columns (PyTorch's) exchanged
            found[keys[0]], found[keys[1]] = found[keys[1]], found[keys[0]]
        return found

    monkeypatch.setattr(cells, "module_layout", swapped)
    record = bench["cell_harness"].cell_worker("generated", "mgu", harness.Config(*TINY), "float64", repeat=1,
                                               min_time=0.0, threads=1)
    if record["status"] == "unavailable":
        pytest.skip(record["reason"])
    assert record["max_rel_error"] > 1e-3


def test_module_layout_takes_the_cells_own_names(bench) -> None:
    """A module whose PARAMS are the cell's own names (a custom cell's, issue 14 item 3) gets every parameter whole."""
    cells = bench["custom_cells"]

    class Module:
        PARAMS = {"W_f": ("n", "n + m"), "b_f": ("n",), "W_h": ("n", "n + m"), "b_h": ("n",)}

    problem = cells.make_problem("mgu", 2, 1, 3, 4, "float64")
    assert cells.to_module("mgu", Module, problem["params"]).keys() == Module.PARAMS.keys()
    for name, value in cells.to_module("mgu", Module, problem["params"]).items():
        np.testing.assert_array_equal(value, problem["params"][name])


def test_best_peer_is_the_faster_of_torch_and_jax(bench) -> None:
    """Synthetic records: torch 2 ms, JAX 1 ms, generated 1.5 ms → generated is 1.50× the best peer (jax)."""
    import argparse

    config = bench["harness"].Config(*TINY)

    def record(impl, ms, cell=None):
        timing = {"median_s": ms / 1e3, "gflops": 1.0}
        return {"impl": impl, "config": list(config), "dtype": "float32", "status": "ok", "cell": cell,
                "forward": timing, "forward_backward": timing}

    records = [record("torch", 2.0), record("jax", 1.0), record("generated", 1.5),
               record("torch-loop", 4.0, "mgu"), record("jax", 8.0, "mgu"), record("fused", 2.0, "mgu")]
    args = argparse.Namespace(config=[config], dtype=["float32"], impl=["torch", "jax", "generated"],
                              cell=["mgu"], cell_config=[config], cell_dtype=["float32"],
                              cell_impl=["torch-loop", "jax", "fused"], repeat=1, min_time=0.0, rounds=1, threads=1)
    text = bench["report"].markdown(records, args)
    assert "| 3×2×4×5 | float32 | forward | generated | 1.50 | — | 0.75 | 1.50 | 1.50 (jax) |" in text
    assert "| mgu | 3×2×4×5 | float32 | fwd+BPTT | fused | 2.00 | 0.50 | 0.25 | 0.50 (torch-loop) |" in text


def test_script_runs_the_custom_cells(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    options = ("--impl numpy --dtype float32 --cell ugrnn --cell-impl jax --cell-impl fused "
               "--repeat 1 --min-time 0 --rounds 1 --quiet-wait 0 --json")
    command = [sys.executable, str(BENCHMARKS / "bench_lstm.py"), "--config", ",".join(map(str, TINY))]
    done = subprocess.run([*command, *options.split(), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    records = [r for r in json.loads(out.read_text())["records"] if r.get("cell") == "ugrnn"]
    assert {r["impl"] for r in records} == {"jax", "fused"}
    for r in records:
        if r["status"] == "unavailable":
            pytest.skip(r["reason"])
        assert r["status"] == "ok", r
        assert f"| ugrnn | 3×2×4×5 | float32 | fwd+BPTT | {r['impl']} |" in done.stdout
    assert "- JAX compile seconds, forward / fwd+BPTT" in done.stdout
