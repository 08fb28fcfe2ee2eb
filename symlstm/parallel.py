"""Checking independent claims in worker processes, the verdicts heard in the claims' order.

Each claim is checked by a *forked* worker: the child is a copy of this process, so a definition patched
before ``verify`` (a rule, a derivative σ′, a backend) is the definition the claim is checked against; a
freshly started interpreter (``spawn``) would import the unpatched one and could hide the fault.  Only the
claim's number goes to the worker and only its :class:`~symlstm.claims.base.Verdict` (plain data) comes back.
Where ``fork`` is not available, with one CPU, or with ``SYMLSTM_WORKERS=1``, claims are checked one after the
other in this process, as they always were.  The verdicts do not depend on which way was taken: every claim
draws its random points from its own seeds.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from symlstm.claims.base import Claim, Verdict

#: The claims the forked workers check (set just before the workers are made; they inherit it).
_CLAIMS: Sequence[Claim] = ()


def default_workers() -> int:
    """``SYMLSTM_WORKERS`` if set, else the CPUs this process may use (1 where ``fork`` is not available)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        return max(1, int(os.environ["SYMLSTM_WORKERS"]))
    except (KeyError, ValueError):
        pass
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _die_with_parent(parent: int) -> None:
    """In a worker: end when the process that made it ends, even by SIGKILL (Linux ``PR_SET_PDEATHSIG``), so that
    no orphan keeps computing or holds the parent's output pipes open."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker ends when its pool's pipe closes
        pass
    if os.getppid() != parent:  # the parent died before the request above was made
        os._exit(1)


def shared_out(costs: Sequence[float], workers: int) -> list[list[int]]:
    """The positions of ``costs`` in ``workers`` shares of about equal total cost, each in ascending order: the
    costliest first, each to the share with the least so far (the first of equal ones); the same every time."""
    shares: list[list[int]] = [[] for _ in range(workers)]
    totals = [0.0] * workers
    for number in sorted(range(len(costs)), key=lambda k: (-costs[k], k)):
        k = min(range(workers), key=lambda k: (totals[k], k))
        shares[k].append(number)
        totals[k] += costs[number]
    return [sorted(share) for share in shares if share]


def _verdicts_of(numbers: Sequence[int]) -> list[Verdict]:
    """In a worker: the verdicts of the claims ``numbers``, checked in that order (an exception in ``check`` is an
    ``error`` verdict)."""
    from symlstm.report import _checked
    return [_checked(_CLAIMS[number]) for number in numbers]


def _settle(claim: Claim, verdict: Verdict) -> Verdict:
    """Make ``claim.check()`` in this process return the worker's ``verdict``."""
    claim._verdict = verdict
    if type(claim).check is not Claim.check or "check" in vars(claim):
        claim.check = lambda: verdict
    return verdict


def verdicts_in_order(claims: Sequence[Claim], workers: int,
                      check: Callable[[Claim], Verdict]) -> Iterator[Verdict]:
    """Yield each claim's verdict in the claims' order, checked by up to ``workers`` forked processes.

    The claims are shared out by their :attr:`~symlstm.claims.base.Claim.cost` (:func:`shared_out`), never by
    which worker is free first, and each worker checks its share in the claims' order: its history is the same
    from run to run, and no claim is checked after a later one (SymPy's caches can make a claim's numerical
    noise, e.g. mpmath's, depend on what ran before it).  A claim already checked, or every claim when workers
    cannot be used, is checked here with ``check``.
    """
    global _CLAIMS
    waiting = [number for number, claim in enumerate(claims) if claim._verdict is None]
    workers = min(workers, len(waiting))
    if workers < 2:
        for claim in claims:
            yield check(claim)
        return
    _CLAIMS = claims
    shares = shared_out([claims[number].cost for number in waiting], workers)
    shares = [[waiting[k] for k in share] for share in shares]
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_die_with_parent, initargs=(os.getpid(),))
    try:
        batches: list[Future] = [pool.submit(_verdicts_of, share) for share in shares]
        found: dict[int, Verdict] = {}
        for number, claim in enumerate(claims):
            if number not in waiting:
                yield check(claim)
                continue
            if number not in found:
                k = next(k for k, share in enumerate(shares) if number in share)
                try:
                    found |= dict(zip(shares[k], batches[k].result()))
                except BrokenProcessPool:  # a worker died (out of memory, a signal): its claims are checked here
                    found |= {n: check(claims[n]) for n in shares[k]}
            yield _settle(claim, found[number])
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        _CLAIMS = ()
