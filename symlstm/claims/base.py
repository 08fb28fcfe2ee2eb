"""Claims: statements about a cell that can be checked and printed.

A :class:`Claim` has a one-line ``title``, a LaTeX ``statement`` and a
:meth:`Claim.check` that returns a :class:`Verdict`: whether it holds, why (in
words a person can act on), and the proof steps that were taken.  A claim that
does not hold says why — a shape mismatch naming both operands, or a concrete
counterexample with numbers.

Subclasses implement :meth:`Claim._check`; ``check`` caches it and times it.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace

PROVED = "proved"
REFUTED = "refuted"
UNPROVED = "unproved"


@dataclass(frozen=True)
class Step:
    """One step of a proof: what was done (words) and what it gave (LaTeX, may be empty)."""

    words: str
    math: str = ""


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking a claim.

    ``status`` is ``"proved"``, ``"refuted"`` (a reason says why it is false) or
    ``"unproved"`` (neither could be shown); ``holds`` is True only when proved.
    """

    status: str
    reason: str
    steps: tuple[Step, ...] = ()
    seconds: float = field(default=0.0, compare=False)

    @property
    def holds(self) -> bool:
        return self.status == PROVED

    def __bool__(self) -> bool:
        return self.holds

    @classmethod
    def proved(cls, reason: str, steps=()) -> Verdict:
        return cls(PROVED, reason, tuple(steps))

    @classmethod
    def refuted(cls, reason: str, steps=()) -> Verdict:
        return cls(REFUTED, reason, tuple(steps))

    @classmethod
    def unproved(cls, reason: str, steps=()) -> Verdict:
        return cls(UNPROVED, reason, tuple(steps))


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
            verdict = self._check()
            self._verdict = replace(verdict, seconds=time.perf_counter() - start)
        return self._verdict

    @property
    def as_expected(self) -> bool:
        """True when the verdict is what symlstm expects (proved, or refuted for a stated fallacy)."""
        verdict = self.check()
        return verdict.holds if self.expected else verdict.status == REFUTED

    def latex(self) -> str:
        """The statement, the verdict and the proof steps as a LaTeX fragment (text mode; needs graphicx)."""
        verdict = self.check()
        lines = [
            rf"\paragraph{{Claim ({tex_text(self.name)}).}} {tex_text(self.title)}",
            display_math(self.statement()),
            rf"\textbf{{Verdict: {verdict.status}.}} {tex_text(verdict.reason)}",
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
                 f"**Verdict: {verdict.status}.** {verdict.reason}", ""]
        for number, step in enumerate(verdict.steps, 1):
            lines.append(f"{number}. {step.words}")
            if step.math:
                lines += ["", f"   $$ {step.math} $$", ""]
        return "\n".join(lines).rstrip() + "\n"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        verdict = self.check()
        return f"{self.name}: {verdict.status} — {verdict.reason}"


def display_math(math: str) -> str:
    r"""``\[ math \]``, shrunk to the line width when wider (needs ``\usepackage{graphicx}``)."""
    return (r"\[ \resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{$\displaystyle "
            + math + r"$} \]")


_TEX_SPECIALS = {"|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}", "&": r"\&", "%": r"\%",
                 "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
                 "^": r"\textasciicircum{}", "{": r"\{", "}": r"\}", "\\": r"\textbackslash{}"}
_UNICODE_MATH = {"σ": r"$\sigma$", "⊙": r"$\odot$", "·": r"$\cdot$", "×": r"$\times$", "ᵀ": r"$^{\top}$",
                 "≠": r"$\neq$", "−": "-", "—": "---", "∘": r"$\circ$", "δ": r"$\delta$", "∂": r"$\partial$",
                 "Σ": r"$\Sigma$", "≤": r"$\leq$", "→": r"$\to$", "′": "'"}


def tex_text(words: str) -> str:
    """Plain text (possibly with σ, ⊙, ×, subscripts) made safe for LaTeX text mode."""
    out = []
    for char in words:
        if char in _TEX_SPECIALS:
            out.append(_TEX_SPECIALS[char])
        elif char in _UNICODE_MATH:
            out.append(_UNICODE_MATH[char])
        else:
            out.append(char)
    return "".join(out)
