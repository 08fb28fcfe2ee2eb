"""The benchmark's results as Markdown: the LSTM table, the GEMM reference table, the custom-cell table, notes.

Every row gives its time against the *best peer*: the faster of torch and JAX at the same cell, size, dtype
and pass (``× best peer``, with the peer named).
"""

from __future__ import annotations

import platform
import statistics

from harness import MODES, Config
from machine import cpu_description

MODE_NAMES = {"forward": "forward", "forward_backward": "fwd+BPTT"}
ERROR_TOLERANCE = {"float32": 1e-3, "float64": 1e-9}
NOISY = 0.5  # cores kept busy by other processes above which a measurement is flagged ⚠
PEERS = {None: ("torch", "jax"), "cell": ("torch-loop", "jax")}


def find(records: list[dict], impl: str, config: Config, dtype: str, cell: str | None = None) -> dict | None:
    for r in records:
        if (r["impl"], tuple(r["config"]), r["dtype"], r.get("cell")) == (impl, tuple(config), dtype, cell) and (
            r["status"] == "ok"
        ):
            return r
    return None


def _ratio(record: dict, other: dict | None, mode: str) -> str:
    if other is None:
        return "—"
    return f"{record[mode]['median_s'] / other[mode]['median_s']:.2f}"


def _best_peer(records: list[dict], config: Config, dtype: str, mode: str, cell: str | None) -> dict | None:
    """The faster of torch and JAX (for a custom cell: torch's loop and JAX) at this cell, size, dtype and pass."""
    peers = [find(records, impl, config, dtype, cell) for impl in PEERS[None if cell is None else "cell"]]
    peers = [p for p in peers if p is not None]
    return min(peers, key=lambda p: p[mode]["median_s"]) if peers else None


def _row(records: list[dict], r: dict, config: Config, dtype: str, mode: str, cell: str | None, others: list) -> str:
    best = _best_peer(records, config, dtype, mode, cell)
    busy = " ⚠" if (r[mode].get("foreign_load") or 0) > NOISY else ""
    peer = f"{_ratio(r, best, mode)} ({best['impl']})" if best else "—"
    ratios = " | ".join(_ratio(r, other, mode) for other in others)
    return (f"| {config.label()} | {dtype} | {MODE_NAMES[mode]} | {r['impl']} | {r[mode]['median_s'] * 1e3:.2f}{busy} "
            f"| {ratios} | {peer} | {r[mode]['gflops']:.1f} |")


def markdown(records: list[dict], args) -> str:
    """The results as Markdown: the LSTM's timing table, the GEMM reference table, the custom cells, then notes."""
    lines = [
        "| T×B×m×n | dtype | pass | implementation | median ms | × numpy | × torch | × jax | × best peer | GFLOP/s "
        "| % of GEMM bound |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for config in args.config:
        for dtype in args.dtype:
            gemm = find(records, "gemm", config, dtype)
            others = [find(records, impl, config, dtype) for impl in ("numpy", "torch", "jax")]
            for mode in MODES:
                for impl in args.impl:
                    r = find(records, impl, config, dtype)
                    if r is not None:
                        bound = f"{100 * gemm[f'bound_{mode}_s'] / r[mode]['median_s']:.0f}%" if gemm else "—"
                        lines.append(_row(records, r, config, dtype, mode, None, others) + f" {bound} |")
    lines += [
        "",
        "| T×B×m×n | dtype | GEMM peak GFLOP/s (M×K×N) | bound fwd ms | bound fwd+BPTT ms | "
        "GEMMs at real shapes fwd ms | fwd+BPTT ms | torch's GEMMs fwd ms | fwd+BPTT ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for config in args.config:
        for dtype in args.dtype:
            g, t = find(records, "gemm", config, dtype), find(records, "torch-gemm", config, dtype)
            if g:
                torch_gemms = [f"{t[f'gemm_sequence_{m}_s'] * 1e3:.2f}" if t else "—" for m in MODES]
                lines.append(
                    f"| {config.label()} | {dtype} | {g['peak_gflops']:.1f} ({'×'.join(map(str, g['peak_shape']))}) | "
                    + " | ".join(f"{g[f'{k}_{m}_s'] * 1e3:.2f}" for k in ("bound", "gemm_sequence") for m in MODES)
                    + " | " + " | ".join(torch_gemms) + " |"
                )
    lines += cell_markdown(records, args)
    lines += ["", *_notes(records, args)]
    return "\n".join(lines)


def cell_markdown(records: list[dict], args) -> list[str]:
    """The custom cells' table (empty when none was run)."""
    if not args.cell:
        return []
    lines = [
        "",
        "| cell | T×B×m×n | dtype | pass | implementation | median ms | × torch-loop | × jax | × best peer | GFLOP/s |",
        "|---|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for cell in args.cell:
        for config in args.cell_config:
            for dtype in args.cell_dtype:
                others = [find(records, impl, config, dtype, cell) for impl in ("torch-loop", "jax")]
                for mode in MODES:
                    for impl in args.cell_impl:
                        r = find(records, impl, config, dtype, cell)
                        if r is not None:
                            lines.append(f"| {cell} " + _row(records, r, config, dtype, mode, cell, others))
    return lines


def _notes(records: list[dict], args) -> list[str]:
    notes = [
        f"- median ms: the median of ≥{args.repeat} runs (≥{args.min_time:g} s) in a fresh process per "
        f"implementation, the lowest such median over {args.rounds} round(s) (other processes only add time); "
        f"{args.threads} threads; {cpu_description()}; Python {platform.python_version()}, {versions(records)}."
    ]
    loads = [x for r in records for x in r.get("foreign_load") or [] if x is not None]
    if loads:
        notes.append(
            f"- Other processes kept {statistics.mean(loads):.2f} cores busy on average during the measurements "
            f"(at most {max(loads):.2f}); ⚠ marks a figure measured while they took over {NOISY} cores "
            "(rerun it); round_medians_s in the JSON shows the spread."
        )
    notes.append(
        "- × numpy, × torch, × jax: time ratio (below 1 is faster); × best peer: against the faster of torch and "
        "JAX (for the custom cells torch's autograd loop and JAX) at the same size, dtype and pass. GFLOP/s counts "
        "only the matrix products; the GEMM bound is the LSTM's FLOPs at the best NumPy GEMM rate on its own shapes "
        "(torch's own BLAS can beat it: above 100% is possible)."
    )
    notes += _floor_notes(records, args)
    notes += _compile_notes(records)
    for r in records:
        where = f"{r.get('cell') or 'lstm'} {Config(*r['config']).label()}, {r['dtype']}"
        error = r.get("max_rel_error_vs_numpy", r.get("max_rel_error", 0))
        if r["status"] != "ok":
            notes.append(f"- {r['impl']} ({where}): {r['status']} — {r['reason']}")
        elif error > ERROR_TOLERANCE[r["dtype"]]:
            against = r.get("reference", "the NumPy baseline")
            notes.append(f"- WARNING {r['impl']} ({where}) differs from {against}: max relative error {error:.2e}")
    return list(dict.fromkeys(notes))


def _compile_notes(records: list[dict]) -> list[str]:
    """JAX's compile times (ahead of time, so outside the medians)."""
    found = [f"{r.get('cell') or 'lstm'} {Config(*r['config']).label()} {r['dtype']} "
             f"{r['compile_s']['forward']:.2f} / {r['compile_s']['forward_backward']:.2f}"
             for r in records if r["status"] == "ok" and "compile_s" in r]
    if not found:
        return []
    return ["- JAX compile seconds, forward / fwd+BPTT (compiled before timing, not in the medians): "
            + "; ".join(found) + "."]


def _floor_notes(records: list[dict], args) -> list[str]:
    """How close to torch NumPy code can get at all: NumPy's GEMMs alone against torch's whole pass."""
    notes = []
    for config in args.config:
        for dtype in args.dtype:
            g, t = find(records, "gemm", config, dtype), find(records, "torch-gemm", config, dtype)
            lstm = find(records, "torch", config, dtype)
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


def versions(records: list[dict]) -> str:
    """Library versions as reported by the workers."""
    found = {name: version for r in records for name, version in r.get("versions", {}).items()}
    return ", ".join(f"{name} {version}" for name, version in sorted(found.items()))
