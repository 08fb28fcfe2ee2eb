"""Time the main job: ``symlstm verify``, ``symlstm derive --out …`` (with its pictures, and ``--no-pictures``)
and ``derive`` of the README's custom cell (the minimal gated unit), each as the user runs it: a fresh
``python -m symlstm`` process, wall-clock time, median of a few runs, printed beside the target of issue 16.

Usage::

    python benchmarks/bench_main_job.py              # 3 runs of each
    python benchmarks/bench_main_job.py --runs 5 --job verify

The symlstm timed is the one this file sits beside (``PYTHONPATH`` is set to the checkout). A run that does not
exit 0 is reported, not timed. The foreign load (other processes' CPU use during the run, as a fraction of one
core; :mod:`machine`) is printed beside each median: on a shared 2-core machine it explains a slow run.
Medians, not assertions: nothing here fails because it is slow.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import busy_seconds, children_seconds, cpu_description

ROOT = Path(__file__).resolve().parent.parent

#: The README's minimal gated unit, as a cell file for ``symlstm derive`` (``mgu = b.build()``).
MGU_FILE = '''\
from sympy import OneMatrix
from symlstm import CellBuilder, Sigmoid, Tanh
from symlstm.algebra import add, hadamard

b = CellBuilder("mgu", "minimal gated unit")
n, m = b.size("n", "hidden"), b.size("m", "input")
x = b.input("x_t", m, "input")
h = b.state("h", n, "hidden state")
W_f, b_f = b.param("W_f", n, n + m, "forget gate weight"), b.param("b_f", n, 1, "forget gate bias")
W_h, b_h = b.param("W_h", n, n + m, "candidate weight"), b.param("b_h", n, 1, "candidate bias")
f = b.gate("f", weight=W_f, concat=[h, x], bias=b_f, function=Sigmoid, doc="forget gate")
u = b.gate("u", weight=W_h, concat=[hadamard(f, h), x], bias=b_h, function=Tanh, doc="candidate",
           labels=["h", "x"])
b.update(h, add(hadamard(add(OneMatrix(n, 1), -f), h), hadamard(f, u)))
mgu = b.build()
'''

#: job name → (the command's arguments after ``python -m symlstm``, target seconds); ``{out}`` and ``{mgu}`` are
#: filled in per run.
JOBS = {
    "verify": (["verify"], 10.0),
    "derive": (["derive", "--out", "{out}"], 20.0),
    "derive --no-pictures": (["derive", "--out", "{out}", "--no-pictures"], 20.0),
    "derive mgu.py": (["derive", "{mgu}:mgu", "--out", "{out}"], 20.0),
}


def timed_run(arguments: list[str], folder: Path) -> tuple[float | None, float | None, str]:
    """One run in a fresh process: (wall seconds or None when it failed, foreign load, the failure's last line)."""
    out = tempfile.mkdtemp(dir=folder)
    command = [sys.executable, "-m", "symlstm",
               *(a.format(out=out, mgu="mgu.py") for a in arguments)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    busy, own = busy_seconds(), children_seconds()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    foreign = None
    if busy is not None:
        foreign = max(0.0, (busy_seconds() - busy) - (children_seconds() - own)) / wall
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return None, foreign, f"exit {done.returncode}: {lines[-1] if lines else ''}"
    return wall, foreign, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each job (default 3)")
    parser.add_argument("--job", choices=JOBS, action="append", help="job to time (repeatable; default all)")
    args = parser.parse_args(argv)
    print(f"symlstm main job on {cpu_description()}, {args.runs} runs each, wall-clock medians")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "mgu.py").write_text(MGU_FILE, encoding="utf-8")
        for job in args.job or list(JOBS):
            arguments, target = JOBS[job]
            runs = [timed_run(arguments, folder) for _ in range(args.runs)]
            times = [wall for wall, _, _ in runs if wall is not None]
            loads = [load for _, load, _ in runs if load is not None]
            load = f", foreign load {statistics.median(loads):.2f} cores" if loads else ""
            failed = [why for wall, _, why in runs if wall is None]
            if times:
                median = statistics.median(times)
                verdict = "within" if median <= target else "over"
                print(f"{job:<22} median {median:6.1f} s  (runs {', '.join(f'{t:.1f}' for t in times)}; "
                      f"target ≤ {target:g} s: {verdict}{load})")
            for why in failed:
                print(f"{job:<22} failed: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
