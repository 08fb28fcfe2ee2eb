"""Benchmark LSTM forward and forward+BPTT: NumPy baseline, torch.nn.LSTM (CPU) and symlstm's generated code
(NumPy, and with its element-wise statements fused into numba kernels: impl "fused").

Usage::

    python benchmarks/bench_lstm.py             # full set: 3 sizes × float32/float64
    python benchmarks/bench_lstm.py --quick     # smoke test: two smaller sizes, few repeats
    python benchmarks/bench_lstm.py --json results.json --impl numpy --impl torch --config 50,32,64,128

Each implementation × configuration × dtype is timed in a fresh process (torch's OpenMP threads slow
OpenBLAS when both live in one process), as is the GEMM peak measurement. The whole set runs several
rounds, each measurement after waiting for a quiet machine; a measurement is the median of its runs,
and the report keeps the lowest median over the rounds. The report gives those medians,
time ratios against the NumPy baseline and against torch from the same run, GFLOP/s of the LSTM's matrix
products (elementwise work is not counted), and the fraction of the GEMM-bound time achieved: the
time those products would take at the best rate NumPy's BLAS reaches on the LSTM's own GEMM shapes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from harness import IMPLS, MODES, Config, worker
from machine import ForeignLoad, cpu_description, wait_for_quiet

CONFIGS = (Config(100, 64, 128, 256), Config(50, 32, 64, 128), Config(20, 1, 32, 32))
QUICK_CONFIGS = (Config(50, 32, 64, 128), Config(20, 1, 32, 32))
DTYPES = ("float32", "float64")
MODE_NAMES = {"forward": "forward", "forward_backward": "fwd+BPTT"}
ERROR_TOLERANCE = {"float32": 1e-3, "float64": 1e-9}
NOISY = 0.5  # cores kept busy by other processes above which a measurement is flagged ⚠


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
    parser.add_argument("--repeat", type=int, help="minimum timed runs per measurement (default 7, quick 3)")
    parser.add_argument("--min-time", type=float, help="minimum seconds per measurement (default 2, quick 0.2)")
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
    args.repeat = args.repeat if args.repeat is not None else (3 if args.quick else 7)
    args.rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    args.quiet_wait = args.quiet_wait if args.quiet_wait is not None else (0.0 if args.quick else 30.0)
    args.min_time = args.min_time if args.min_time is not None else (0.2 if args.quick else 2.0)
    return args


def run_in_subprocess(task: dict, threads: int) -> dict:
    """Run :func:`harness.worker` in a fresh interpreter with the thread count fixed; return its record."""
    env = {**os.environ, **{v: str(threads) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(task)]
    with ForeignLoad() as foreign:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {
            "impl": task["impl"],
            "config": task["config"],
            "dtype": task["dtype"],
            "status": "error",
            "reason": f"worker exited {done.returncode}: {reason}",
        }
    return {**json.loads(lines[-1]), "foreign_load": foreign.load}


def collect(args: argparse.Namespace) -> list[dict]:
    """Every measurement, ``args.rounds`` times over; the implementation order rotates between rounds."""
    records = []
    for round_ in range(args.rounds):
        impls = ["gemm", *(["torch-gemm"] if "torch" in args.impl else []), *args.impl]
        impls = impls[round_ % len(impls) :] + impls[: round_ % len(impls)]
        for config in args.config:
            for dtype in args.dtype:
                for impl in impls:
                    task = {
                        "impl": impl,
                        "config": list(config),
                        "dtype": dtype,
                        "repeat": args.repeat,
                        "min_time": args.min_time,
                        "threads": args.threads,
                    }
                    wait_for_quiet(max_wait=args.quiet_wait)
                    record = {**run_in_subprocess(task, args.threads), "round": round_}
                    records.append(record)
                    print(
                        f"  round {round_ + 1}/{args.rounds} {impl:9} {config.label():16} {dtype}: {_progress(record)}",
                        file=sys.stderr,
                        flush=True,
                    )
    return records


def combine(records: list[dict]) -> list[dict]:
    """One record per implementation × config × dtype, taking the best round for every figure.

    Disturbance from other processes only ever adds time, so times (``*_s``) are the lowest over the
    rounds and rates (``*gflops``) the highest; every round's median is kept under ``round_medians_s``.
    """
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["impl"], tuple(r["config"]), r["dtype"]), []).append(r)
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
        elif "gflops" in key or key == "max_rel_error_vs_numpy":
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


def _find(records: list[dict], impl: str, config: Config, dtype: str) -> dict | None:
    for r in records:
        if r["impl"] == impl and tuple(r["config"]) == tuple(config) and r["dtype"] == dtype and r["status"] == "ok":
            return r
    return None


def _ratio(record: dict, other: dict | None, mode: str) -> str:
    if other is None:
        return "—"
    return f"{record[mode]['median_s'] / other[mode]['median_s']:.2f}"


def markdown(records: list[dict], args: argparse.Namespace) -> str:
    """The results as Markdown: the timing table, then the GEMM reference table, then notes."""
    lines = [
        "| T×B×m×n | dtype | pass | implementation | median ms | × numpy | × torch | GFLOP/s | % of GEMM bound |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for config in args.config:
        for dtype in args.dtype:
            gemm = _find(records, "gemm", config, dtype)
            numpy_, torch_ = _find(records, "numpy", config, dtype), _find(records, "torch", config, dtype)
            for mode in MODES:
                for impl in args.impl:
                    r = _find(records, impl, config, dtype)
                    if r is None:
                        continue
                    ms = r[mode]["median_s"] * 1e3
                    busy = " ⚠" if (r[mode].get("foreign_load") or 0) > NOISY else ""
                    bound = f"{100 * gemm[f'bound_{mode}_s'] / r[mode]['median_s']:.0f}%" if gemm else "—"
                    lines.append(
                        f"| {config.label()} | {dtype} | {MODE_NAMES[mode]} | {impl} | {ms:.2f}{busy} | "
                        f"{_ratio(r, numpy_, mode)} | {_ratio(r, torch_, mode)} | {r[mode]['gflops']:.1f} | {bound} |"
                    )
    lines += [
        "",
        "| T×B×m×n | dtype | GEMM peak GFLOP/s (M×K×N) | bound fwd ms | bound fwd+BPTT ms | "
        "GEMMs at real shapes fwd ms | fwd+BPTT ms | torch's GEMMs fwd ms | fwd+BPTT ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for config in args.config:
        for dtype in args.dtype:
            g = _find(records, "gemm", config, dtype)
            t = _find(records, "torch-gemm", config, dtype)
            if g:
                torch_gemms = [f"{t[f'gemm_sequence_{m}_s'] * 1e3:.2f}" if t else "—" for m in MODES]
                lines.append(
                    f"| {config.label()} | {dtype} | {g['peak_gflops']:.1f} ({'×'.join(map(str, g['peak_shape']))}) | "
                    + " | ".join(f"{g[f'{k}_{m}_s'] * 1e3:.2f}" for k in ("bound", "gemm_sequence") for m in MODES)
                    + " | " + " | ".join(torch_gemms) + " |"
                )
    lines += ["", *_notes(records, args)]
    return "\n".join(lines)


def _notes(records: list[dict], args: argparse.Namespace) -> list[str]:
    notes = [
        f"- median ms: the median of ≥{args.repeat} runs (≥{args.min_time:g} s) in a fresh process per "
        f"implementation, the lowest such median over {args.rounds} round(s) (other processes only add time); "
        f"{args.threads} threads; {cpu_description()}; Python {platform.python_version()}, {_versions(records)}."
    ]
    loads = [x for r in records for x in r.get("foreign_load") or [] if x is not None]
    if loads:
        notes.append(
            f"- Other processes kept {statistics.mean(loads):.2f} cores busy on average during the measurements "
            f"(at most {max(loads):.2f}); ⚠ marks a figure measured while they took over {NOISY} cores "
            "(rerun it); round_medians_s in the JSON shows the spread."
        )
    notes.append(
        "- × numpy, × torch: time ratio (below 1 is faster). GFLOP/s counts only the LSTM's matrix "
        "products; the GEMM bound is those FLOPs at the best NumPy GEMM rate on the LSTM's own shapes "
        "(torch's own BLAS can beat it: above 100% is possible)."
    )
    notes += _floor_notes(records, args)
    for r in records:
        where = f"{Config(*r['config']).label()}, {r['dtype']}"
        if r["status"] != "ok":
            notes.append(f"- {r['impl']}: {r['status']} — {r['reason']}")
        elif r.get("max_rel_error_vs_numpy", 0) > ERROR_TOLERANCE[r["dtype"]]:
            notes.append(
                f"- WARNING {r['impl']} ({where}) differs from the NumPy baseline: "
                f"max relative error {r['max_rel_error_vs_numpy']:.2e}"
            )
    return list(dict.fromkeys(notes))


def _floor_notes(records: list[dict], args: argparse.Namespace) -> list[str]:
    """How close to torch NumPy code can get at all: NumPy's GEMMs alone against torch's whole pass."""
    notes = []
    for config in args.config:
        for dtype in args.dtype:
            g, t = _find(records, "gemm", config, dtype), _find(records, "torch-gemm", config, dtype)
            lstm = _find(records, "torch", config, dtype)
            if not (g and t and lstm):
                continue
            mode = "forward_backward"
            numpy_s, torch_s = g[f"gemm_sequence_{mode}_s"], t[f"gemm_sequence_{mode}_s"]
            notes.append(
                f"- {config.label()} {dtype} fwd+BPTT: NumPy's BLAS takes {numpy_s * 1e3:.1f} ms for the LSTM's "
                f"products alone, torch's BLAS {torch_s * 1e3:.1f} ms ({numpy_s / torch_s:.2f}×); so code that "
                f"calls NumPy's BLAS is at least {numpy_s / lstm[mode]['median_s']:.2f}× torch.nn.LSTM before "
                "any element-wise work."
            )
    return notes


def _versions(records: list[dict]) -> str:
    """Library versions as reported by the workers."""
    found = {name: version for r in records for name, version in r.get("versions", {}).items()}
    return ", ".join(f"{name} {version}" for name, version in sorted(found.items()))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        task = json.loads(args.worker)
        config = Config(*task.pop("config"))
        print(json.dumps(worker(task.pop("impl"), config, task.pop("dtype"), **task)))
        return 0
    records = collect(args)
    print(markdown(combine(records), args))
    if args.json:
        meta = {
            "repeat": args.repeat,
            "min_time": args.min_time,
            "threads": args.threads,
            "python": platform.python_version(),
            "versions": _versions(records),
        }
        document = {"meta": meta, "summary": combine(records), "records": records}
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
