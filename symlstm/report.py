"""Checking many claims with progress, and the summary table ``verify`` and ``derive`` end with."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from symlstm.claims.base import CHECKED, MEANINGS, Claim, Verdict
from symlstm.parallel import verdicts_in_order


def check_all(claims: Sequence[Claim], *, progress: Callable[[str], None] | None = None,
              done: Callable[[Claim], None] | None = None, workers: int = 1) -> list[Verdict]:
    """Check every claim in order; ``progress`` hears ``[k/N] checking name …`` before each one (k = 1, 2, …, N,
    none skipped), ``done`` hears about each claim once its verdict is known.  With ``workers`` > 1 the claims
    are checked by that many forked processes at once (:mod:`symlstm.parallel`); ``progress`` and ``done``
    still hear about them in order, and the verdicts are the same."""
    verdicts = []
    results = verdicts_in_order(claims, workers, _checked)
    for number, claim in enumerate(claims, 1):
        if progress is not None:
            progress(f"[{number}/{len(claims)}] checking {claim.name} …")
        verdicts.append(next(results))
        if done is not None:
            done(claim)
    return verdicts


def measured(verdict: Verdict) -> str:
    """What a ``checked`` verdict measured, for the table: `` (108 points, tol 1e-06, max 2.6e-10)``."""
    if verdict.status != CHECKED:
        return ""
    points = f"{verdict.points} point" + ("s" if verdict.points != 1 else "")
    return f" ({points}, tol {verdict.tolerance:.0e}, max {verdict.deviation:.1e})"


def legend() -> str:
    """What each verdict word means, one line each."""
    return "\n".join(f"  {word}: {meaning}" for word, meaning in MEANINGS.items())


def _checked(claim: Claim) -> Verdict:
    """``claim.check()``; should a claim's own ``check`` raise, its verdict is ``error`` (cached on the claim)."""
    try:
        return claim.check()
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exception:  # noqa: BLE001 - one claim never aborts the report
        verdict = Verdict.error(exception)
        claim._verdict = verdict
        claim.check = lambda: verdict  # the table and documents read the same verdict
        return verdict


def summary_line(claims: Sequence[Claim]) -> str:
    """``k/N claims as expected, S s in all``: the last line of :func:`summary_table`."""
    total = sum(claim.check().seconds for claim in claims)
    good = sum(claim.as_expected for claim in claims)
    return f"{good}/{len(claims)} claims as expected, {total:.2f}s in all"


def summary_table(claims: Sequence[Claim]) -> str:
    """A fixed-width table: claim, verdict (and whether expected), time; with a total line."""
    rows = []
    for claim in claims:
        verdict = claim.check()
        status = verdict.status + measured(verdict)
        status = status if claim.expected else f"{status} (expected refuted)"
        rows.append((claim.name, status, "ok" if claim.as_expected else "FAIL", f"{verdict.seconds:.2f}s"))
    header = ("claim", "verdict", "", "time")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]

    def line(cells) -> str:
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows), rule, summary_line(claims)])
