"""A tiny writer for the derivation chapters: prose, then the expression, then its check.

Each chapter script builds a :class:`Chapter` and returns it from ``chapter()``; ``build.py`` writes them (and
their pictures) to ``derivations/out/`` (or, with ``--check``, fails when the committed files differ from a fresh
run).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from symlstm.claims.base import Claim


@dataclass
class Chapter:
    """A Markdown chapter assembled from prose, displayed math, checked claims and program output."""

    stem: str
    title: str
    parts: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    def say(self, *paragraphs: str) -> None:
        self.parts.extend(paragraphs)

    def math(self, latex: str) -> None:
        self.parts.append(f"$$\n{latex}\n$$")

    def claim(self, claim: Claim) -> None:
        self.parts.append(claim.markdown().rstrip())

    def picture(self, name: str, svg: str, caption: str) -> None:
        """An SVG written beside the chapter (``out/name``) and shown in it."""
        self.files[name] = svg
        self.parts.append(f"![{caption}]({name})")

    def output(self, text: str) -> None:
        self.parts.append("```text\n" + text.rstrip() + "\n```")

    def markdown(self) -> str:
        return f"# {self.title}\n\n" + "\n\n".join(self.parts) + "\n"
