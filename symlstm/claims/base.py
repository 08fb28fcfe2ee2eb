"""Claims: statements about a cell that can be checked and printed.

A :class:`Claim` has a one-line ``title``, a LaTeX ``statement`` and a
:meth:`Claim.check` that returns a :class:`Verdict`: whether it holds, why (in
words a person can act on), and the proof steps that were taken.  A verdict says what
was established, in one of six words (:data:`STATUSES`): *proved* (symbolically, for all sizes), *proved at
sizes* (exactly, at concrete sizes), *checked* (numerically, within a tolerance), *refuted* (always with a
counterexample: numbers, or a shape mismatch naming both operands), *unknown* (not decided, and why) and
*error* (the claim could not be evaluated).

Subclasses implement :meth:`Claim._check`; ``check`` caches it, times it, turns an exception into an
``error`` verdict and a check that outlives its time budget into ``unknown``.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from symlstm.printing.tex_text import tex_text  # noqa: F401 - documents import it from here too

#: The verdict words, from strongest to weakest; every document, table and message uses exactly these.
PROVED = "proved"                # a symbolic proof for all sizes
PROVED_AT = "proved at sizes"    # exact agreement, entry by entry, at the listed concrete sizes
CHECKED = "checked"              # agreement within a tolerance at a number of numeric points
REFUTED = "refuted"              # false: always with a counterexample (numbers, or a shape mismatch)
UNKNOWN = "unknown"              # neither shown nor refuted (and why), or the time budget ran out
ERROR = "error"                  # the claim could not be evaluated: its exception
STATUSES = (PROVED, PROVED_AT, CHECKED, REFUTED, UNKNOWN, ERROR)
#: Verdicts under which a claim stated to hold is taken to hold (each says how it was established).
SUPPORTED = (PROVED, PROVED_AT, CHECKED)
#: What each verdict word means, for documents and ``--help``.
MEANINGS = {
    PROVED: "a symbolic proof for all sizes",
    PROVED_AT: "exact agreement, entry by entry, at the concrete sizes listed",
    CHECKED: "agreement within the stated tolerance at the stated number of numeric points",
    REFUTED: "false, with a counterexample (numbers, or a shape mismatch naming both operands)",
    UNKNOWN: "could not be decided (the reason says why), or the time budget ran out",
    ERROR: "the claim could not be evaluated (the exception is given)",
}
#: Seconds a claim may take before it ends ``unknown`` (``SYMLSTM_CLAIM_BUDGET`` changes it; 0 = no budget).
DEFAULT_BUDGET = 120.0


@dataclass(frozen=True)
class Step:
    """One step of a proof: what was done (words) and what it gave (LaTeX, may be empty)."""

    words: str
    math: str = ""


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking a claim: one of :data:`STATUSES`, a reason in words, and the steps taken.

    Build one with the constructor named after its status; each asks for what that status must state:
    ``refuted`` a counterexample, ``proved_at`` the sizes, ``checked`` the points, tolerance and largest
    deviation, ``error`` the exception. ``holds`` is True for the statuses of :data:`SUPPORTED`.
    """

    status: str
    reason: str
    steps: tuple[Step, ...] = ()
    seconds: float = field(default=0.0, compare=False)
    counterexample: str = ""
    sizes: str = ""
    points: int = 0
    tolerance: float = 0.0
    deviation: float = 0.0

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown verdict status {self.status!r}; expected one of {list(STATUSES)}")
        if self.status == REFUTED and not self.counterexample:
            raise ValueError("a refuted verdict needs a counterexample")
        if self.status == PROVED_AT and not self.sizes:
            raise ValueError("a 'proved at sizes' verdict needs the sizes")
        if self.status == CHECKED and self.points < 1:
            raise ValueError("a checked verdict needs at least one point")

    @property
    def holds(self) -> bool:
        return self.status in SUPPORTED

    @property
    def explanation(self) -> str:
        """The reason, with the counterexample when the reason does not already give it; a ``checked`` verdict
        also states its points, tolerance and largest deviation."""
        if self.counterexample and self.counterexample not in self.reason:
            return f"{self.reason}: {self.counterexample}"
        if self.status == CHECKED:
            return (f"{self.reason} [{self.points} point{'s' if self.points != 1 else ''}, tolerance "
                    f"{self.tolerance:.1e}, largest deviation {self.deviation:.1e}]")
        return self.reason

    def __bool__(self) -> bool:
        return self.holds

    @classmethod
    def proved(cls, reason: str, steps=()) -> Verdict:
        """Symbolically, for all sizes."""
        return cls(PROVED, reason, tuple(steps))

    @classmethod
    def proved_at(cls, reason: str, steps=(), *, sizes: str) -> Verdict:
        """Exactly, at the concrete ``sizes`` (e.g. ``"n = 2, m = 3"``) only."""
        return cls(PROVED_AT, reason, tuple(steps), sizes=sizes)

    @classmethod
    def checked(cls, reason: str, steps=(), *, points: int, tolerance: float, deviation: float) -> Verdict:
        """Numerically: ``points`` points agree within ``tolerance``; the largest deviation seen."""
        return cls(CHECKED, reason, tuple(steps), points=points, tolerance=tolerance, deviation=deviation)

    @classmethod
    def refuted(cls, reason: str, steps=(), *, counterexample: str) -> Verdict:
        """False; ``counterexample`` gives the numbers (or the two operands whose shapes clash)."""
        return cls(REFUTED, reason, tuple(steps), counterexample=counterexample)

    @classmethod
    def unknown(cls, reason: str, steps=()) -> Verdict:
        """Neither shown nor refuted; ``reason`` says why."""
        return cls(UNKNOWN, reason, tuple(steps))

    @classmethod
    def error(cls, exception: BaseException | str) -> Verdict:
        """The claim could not be evaluated: ``exception`` (or a sentence saying why) is named in the reason."""
        if isinstance(exception, str):
            return cls(ERROR, exception)
        message = str(exception).strip().splitlines()[0] if str(exception).strip() else ""
        return cls(ERROR, f"{type(exception).__name__}: {message}" if message else type(exception).__name__)


class ClaimTimeout(Exception):
    """Raised inside a claim's check when its time budget runs out."""


def _budget() -> float:
    try:
        return float(os.environ.get("SYMLSTM_CLAIM_BUDGET", DEFAULT_BUDGET))
    except ValueError:
        return DEFAULT_BUDGET


@contextmanager
def _time_budget(seconds: float):
    """Raise :class:`ClaimTimeout` after ``seconds`` (main thread with SIGALRM only; elsewhere no budget)."""
    usable = (seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise ClaimTimeout(f"the time budget of {seconds:g} s ran out")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Claim(ABC):
    """A checkable, printable statement.

    Attributes
    ----------
    name
        A short identifier, e.g. ``"concat-split[hx]"``.
    title
        One line in words, e.g. ``"W·[h; x] + b = W_h·h + W_x·x + b"``.
    expected
        Whether symlstm expects the claim to hold. Some claims are stated to be
        refuted (the seed question's misreading); ``verify`` is satisfied when
        the verdict matches.
    """

    name: str
    title: str
    expected: bool = True
    #: Seconds the check may take before it ends ``unknown``; None: ``SYMLSTM_CLAIM_BUDGET`` or the default.
    budget: float | None = None
    #: A rough guess of the check's seconds, only to share claims out among workers (:mod:`symlstm.parallel`).
    cost: float = 0.5

    _verdict: Verdict | None = None

    @abstractmethod
    def _check(self) -> Verdict:
        """Do the work of :meth:`check`."""

    @abstractmethod
    def statement(self) -> str:
        """The claim as LaTeX math (no surrounding ``$``)."""

    def check(self) -> Verdict:
        """Check the claim once (the verdict is cached) and return the verdict."""
        if self._verdict is None:
            start = time.perf_counter()
            budget = self.budget if self.budget is not None else _budget()
            try:
                with _time_budget(budget):
                    verdict = self._check()
            except ClaimTimeout as timeout:
                verdict = Verdict.unknown(f"not decided: {timeout}")
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exception:  # a claim that cannot be evaluated is an error verdict, not an abort
                verdict = Verdict.error(exception)
            self._verdict = replace(verdict, seconds=time.perf_counter() - start)
        return self._verdict

    @property
    def as_expected(self) -> bool:
        """True when the verdict is what symlstm expects: it holds (proved, proved at sizes, checked), or it is
        refuted for a stated fallacy."""
        verdict = self.check()
        return verdict.holds if self.expected else verdict.status == REFUTED

    def latex(self) -> str:
        """The statement, the verdict and the proof steps as a LaTeX fragment (text mode; needs graphicx)."""
        verdict = self.check()
        lines = [
            rf"\paragraph{{Claim ({tex_text(self.name)}).}} {tex_text(self.title)}",
            display_math(self.statement()),
            rf"\textbf{{Verdict: {verdict.status}.}} {tex_text(verdict.explanation)}",
        ]
        if verdict.steps:
            lines.append(r"\begin{enumerate}")
            for step in verdict.steps:
                item = r"\item " + tex_text(step.words)
                if step.math:
                    item += " " + display_math(step.math)
                lines.append(item)
            lines.append(r"\end{enumerate}")
        return "\n".join(lines)

    def markdown(self) -> str:
        """The statement, the verdict and the proof steps as Markdown with ``$$`` math."""
        verdict = self.check()
        lines = [f"**Claim ({self.name}).** {self.title}", "", f"$$ {self.statement()} $$", "",
                 f"**Verdict: {verdict.status}.** {verdict.explanation}", ""]
        for number, step in enumerate(verdict.steps, 1):
            lines.append(f"{number}. {step.words}")
            if step.math:
                lines += ["", f"   $$ {step.math} $$", ""]
        return "\n".join(lines).rstrip() + "\n"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        verdict = self.check()
        return f"{self.name}: {verdict.status} — {verdict.explanation}"


def display_math(math: str) -> str:
    r"""``\[ math \]``, shrunk to the line width when wider (needs ``\usepackage{graphicx}``)."""
    return (r"\[ \resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{$\displaystyle "
            + math + r"$} \]")


