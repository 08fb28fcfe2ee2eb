"""What the machine is and how busy other processes keep it (Linux /proc; elsewhere these report None).

On a shared 2-core machine a benchmark is disturbed whenever anything else runs: multi-threaded BLAS
then waits for a descheduled thread at every small GEMM and can run ten times slower. The harness
therefore waits for a quiet moment before each worker and records the *foreign load* during it — the
cores' busy time not spent by the worker itself — so disturbed measurements can be recognised.
"""

from __future__ import annotations

import os
import platform
import resource
import time
from pathlib import Path

PROC_STAT = Path("/proc/stat")
CPUINFO = Path("/proc/cpuinfo")


def cpu_description() -> str:
    """CPU model and logical core count."""
    model = platform.processor() or platform.machine()
    if CPUINFO.exists():
        names = [line.split(":", 1)[1].strip() for line in CPUINFO.read_text().splitlines() if line.startswith("model")]
        model = next((name for name in names if not name.isdigit()), model)
    return f"{model} ({os.cpu_count()} logical cores)"


def busy_seconds() -> float | None:
    """CPU-seconds all cores have spent busy since boot (None where /proc/stat is missing)."""
    if not PROC_STAT.exists():
        return None
    fields = PROC_STAT.read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_seconds() -> float:
    """CPU-seconds used by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class ForeignLoad:
    """Context manager measuring the cores other processes kept busy while the block ran a child process.

    ``load`` is in cores (0 = quiet, 1 = one core fully taken by someone else); None if unknown.
    """

    def __enter__(self) -> ForeignLoad:
        self.load: float | None = None
        self._start = (time.perf_counter(), busy_seconds(), children_seconds())
        return self

    def __exit__(self, *exc: object) -> None:
        wall0, busy0, child0 = self._start
        busy1 = busy_seconds()
        if busy0 is None or busy1 is None:
            return
        wall = time.perf_counter() - wall0
        self.load = max(0.0, (busy1 - busy0) - (children_seconds() - child0)) / wall if wall > 0 else None


def wait_for_quiet(*, max_wait: float, threshold: float = 0.3, sample: float = 0.5) -> float | None:
    """Wait (at most ``max_wait`` s) until other processes use under ``threshold`` cores; return the last load."""
    deadline = time.perf_counter() + max_wait
    load = None
    while True:
        before = busy_seconds()
        if before is None:
            return None
        time.sleep(sample)
        load = (busy_seconds() - before) / sample
        if load < threshold or time.perf_counter() >= deadline:
            return load
