"""Checking many claims with progress, and the summary table ``verify`` and ``derive`` end with."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from symlstm.claims.base import Claim, Verdict


def check_all(claims: Sequence[Claim], *, progress: Callable[[str], None] | None = None,
              done: Callable[[Claim], None] | None = None) -> list[Verdict]:
    """Check every claim in order; ``progress`` hears ``[k/N] checking name …`` before each one (k = 1, 2, …, N,
    none skipped), ``done`` hears about each claim once its verdict is known."""
    verdicts = []
    for number, claim in enumerate(claims, 1):
        if progress is not None:
            progress(f"[{number}/{len(claims)}] checking {claim.name} …")
        verdicts.append(claim.check())
        if done is not None:
            done(claim)
    return verdicts


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
        status = verdict.status if claim.expected else f"{verdict.status} (expected refuted)"
        rows.append((claim.name, status, "ok" if claim.as_expected else "FAIL", f"{verdict.seconds:.2f}s"))
    header = ("claim", "verdict", "", "time")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]

    def line(cells) -> str:
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows), rule, summary_line(claims)])
