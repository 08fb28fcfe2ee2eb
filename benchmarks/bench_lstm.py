"""Benchmark LSTM forward and forward+BPTT: NumPy baseline, torch.nn.LSTM (CPU), JAX (XLA CPU) and symlstm's
generated code (NumPy, and with its element-wise statements fused into numba kernels: impl "fused"); then two
custom cells (MGU, UGRNN) as torch autograd over a Python loop, JAX, and symlstm's generated modules.

Usage::

    python benchmarks/bench_lstm.py             # full set: 3 sizes × float32/float64
    python benchmarks/bench_lstm.py --quick     # smoke test: the small size, the MGU in float32 only, few repeats
    python benchmarks/bench_lstm.py --json results.json --impl numpy --impl torch --config 50,32,64,128

Each implementation × configuration × dtype is timed in a fresh process (torch's OpenMP threads slow
OpenBLAS when both live in one process), as is the GEMM peak measurement. The whole set runs several
rounds, each measurement after waiting for a quiet machine; a measurement is the median of its runs,
and the report keeps the lowest median over the rounds. The report gives those medians; time ratios
against the NumPy baseline, torch, JAX and the best peer (the faster of torch and JAX) from the same run;
GFLOP/s of the matrix products (elementwise work is not counted); and for the LSTM the fraction of the
GEMM-bound time achieved: the time its products would take at the best rate NumPy's BLAS reaches on the
LSTM's own GEMM shapes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import jax_peer
from cell_harness import CELL_IMPLS, cell_worker
from custom_cells import CELLS
from harness import IMPLS, MODES, Config, worker
from machine import ForeignLoad, wait_for_quiet
from report import MODE_NAMES, markdown, versions

CONFIGS = (Config(100, 64, 128, 256), Config(50, 32, 64, 128), Config(20, 1, 32, 32))
QUICK_CONFIGS = (Config(20, 1, 32, 32),)
DTYPES = ("float32", "float64")
QUICK_CELLS, QUICK_CELL_DTYPES = ("mgu",), ("float32",)  # --quick under a minute on a quiet 2-core machine


def parse_config(text: str) -> Config:
    try:
        values = [int(v) for v in text.replace("x", ",").split(",")]
        if min(values) < 1:
            raise ValueError
        return Config(*values)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"config must be T,B,m,n (four positive integers), got {text!r}") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="reduced set for smoke testing")
    parser.add_argument("--config", type=parse_config, action="append", help="T,B,m,n (repeatable)")
    parser.add_argument("--impl", choices=IMPLS, action="append", help="implementation (repeatable)")
    parser.add_argument("--dtype", choices=DTYPES, action="append", help="dtype (repeatable)")
    parser.add_argument("--cell", choices=(*CELLS, "none"), action="append", help="custom cell (repeatable)")
    parser.add_argument("--cell-impl", choices=CELL_IMPLS, action="append", help="custom-cell implementation")
    parser.add_argument("--cell-config", type=parse_config, action="append", help="custom cells' T,B,m,n")
    parser.add_argument("--cell-dtype", choices=DTYPES, action="append", help="custom cells' dtype")
    parser.add_argument("--repeat", type=int, help="minimum timed runs per measurement (default 7, quick 3)")
    parser.add_argument("--min-time", type=float, help="minimum seconds per measurement (default 2, quick 0.05)")
    parser.add_argument(
        "--rounds", type=int, help="repeat the whole set; the best round is reported (default 3, quick 1)"
    )
    parser.add_argument("--quiet-wait", type=float, help="wait up to this many s for a quiet machine (30, quick 0)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS / torch threads (default 2)")
    parser.add_argument("--json", type=Path, help="also write all records to this JSON file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.config = args.config or list(QUICK_CONFIGS if args.quick else CONFIGS)
    args.impl = args.impl or list(IMPLS)
    args.dtype = args.dtype or list(DTYPES)
    args.cell = [c for c in args.cell or (QUICK_CELLS if args.quick else CELLS) if c != "none"]
    args.cell_impl = args.cell_impl or list(CELL_IMPLS)
    args.cell_config = args.cell_config or args.config
    args.cell_dtype = args.cell_dtype or (list(QUICK_CELL_DTYPES) if args.quick else args.dtype)
    args.repeat = args.repeat if args.repeat is not None else (3 if args.quick else 7)
    args.rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    args.quiet_wait = args.quiet_wait if args.quiet_wait is not None else (0.0 if args.quick else 30.0)
    args.min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 2.0)
    return args


def run_in_subprocess(task: dict, threads: int) -> dict:
    """Run :func:`harness.worker` in a fresh interpreter with the thread count fixed; return its record."""
    env = {**os.environ, **{v: str(threads) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
    env["XLA_FLAGS"] = jax_peer.XLA_FLAGS.format(threads=threads)  # accepted, not honoured: see jax_peer
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(task)]
    with ForeignLoad() as foreign:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {
            "impl": task["impl"],
            **({"cell": task["cell"]} if "cell" in task else {}),
            "config": task["config"],
            "dtype": task["dtype"],
            "status": "error",
            "reason": f"worker exited {done.returncode}: {reason}",
        }
    return {**json.loads(lines[-1]), "foreign_load": foreign.load}


def tasks(args: argparse.Namespace, round_: int) -> list[dict]:
    """One round's measurements: the LSTM's, then the custom cells'; the implementation order rotates by round."""
    impls = ["gemm", *(["torch-gemm"] if "torch" in args.impl else []), *args.impl]
    impls = impls[round_ % len(impls) :] + impls[: round_ % len(impls)]
    cell_impls = args.cell_impl[round_ % len(args.cell_impl) :] + args.cell_impl[: round_ % len(args.cell_impl)]
    common = {"repeat": args.repeat, "min_time": args.min_time, "threads": args.threads}
    found = [{"impl": impl, "config": list(config), "dtype": dtype, **common}
             for config in args.config for dtype in args.dtype for impl in impls]
    found += [{"impl": impl, "cell": cell, "config": list(config), "dtype": dtype, **common}
              for cell in args.cell for config in args.cell_config for dtype in args.cell_dtype for impl in cell_impls]
    return found


def collect(args: argparse.Namespace) -> list[dict]:
    """Every measurement, ``args.rounds`` times over."""
    records = []
    for round_ in range(args.rounds):
        for task in tasks(args, round_):
            wait_for_quiet(max_wait=args.quiet_wait)
            record = {**run_in_subprocess(task, args.threads), "round": round_}
            records.append(record)
            label = Config(*task["config"]).label()
            what = f"{task.get('cell', 'lstm'):5} {task['impl']:10} {label:14} {task['dtype']}"
            print(f"  round {round_ + 1}/{args.rounds} {what}: {_progress(record)}", file=sys.stderr, flush=True)
    return records


def combine(records: list[dict]) -> list[dict]:
    """One record per implementation × config × dtype, taking the best round for every figure.

    Disturbance from other processes only ever adds time, so times (``*_s``) are the lowest over the
    rounds and rates (``*gflops``) the highest; every round's median is kept under ``round_medians_s``.
    """
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r.get("cell"), r["impl"], tuple(r["config"]), r["dtype"]), []).append(r)
    combined = []
    for group in groups.values():
        ok = [r for r in group if r["status"] == "ok"]
        if not ok:
            combined.append({**group[0], "foreign_load": [r.get("foreign_load") for r in group]})
            continue
        merged = {**_best(ok), "rounds": len(ok), "foreign_load": [r.get("foreign_load") for r in ok]}
        for mode in MODES:
            if mode in merged:
                chosen = min(ok, key=lambda r, mode=mode: r[mode]["median_s"])
                merged[mode] = {
                    **_best([r[mode] for r in ok]),
                    "round_medians_s": [r[mode]["median_s"] for r in ok],
                    "foreign_load": chosen.get("foreign_load"),
                }
        combined.append(merged)
    return combined


def _best(records: list[dict]) -> dict:
    best = dict(records[0])
    for key, value in records[0].items():
        if key.endswith("_s") and isinstance(value, float):
            best[key] = min(r[key] for r in records)
        elif "gflops" in key or key.startswith("max_rel_error"):
            best[key] = max(r[key] for r in records)
    return best


def _progress(record: dict) -> str:
    if record["status"] != "ok":
        return f"{record['status']} — {record['reason']}"
    if record["impl"] == "gemm":
        return f"peak {record['peak_gflops']:.1f} GFLOP/s"
    if record["impl"] == "torch-gemm":
        return f"GEMMs of fwd+BPTT {record['gemm_sequence_forward_backward_s'] * 1e3:.2f} ms"
    return ", ".join(f"{MODE_NAMES[m]} {record[m]['median_s'] * 1e3:.2f} ms" for m in MODES)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        task = json.loads(args.worker)
        impl, config, dtype = task.pop("impl"), Config(*task.pop("config")), task.pop("dtype")
        if impl == "jax":
            jax_peer.limit_threads(task["threads"])
        if "cell" in task:
            print(json.dumps(cell_worker(impl, task.pop("cell"), config, dtype, **task)))
        else:
            print(json.dumps(worker(impl, config, dtype, **task)))
        return 0
    records = collect(args)
    print(markdown(combine(records), args))
    if args.json:
        meta = {
            "repeat": args.repeat,
            "min_time": args.min_time,
            "threads": args.threads,
            "python": platform.python_version(),
            "versions": versions(records),
        }
        document = {"meta": meta, "summary": combine(records), "records": records}
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
