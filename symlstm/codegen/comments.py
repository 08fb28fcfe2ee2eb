"""Plain-text comments of generated code: LaTeX names as text (``\\delta c_t`` → ``δc_t``), ``u^∘2``."""

from __future__ import annotations

import re

import sympy as sp
from sympy import MatrixSymbol

from symlstm.printing.text import TextPrinter

_PLAIN = ((r"\delta ", "δ"), (r"^{\mathrm{in}}", "^in"), (r"\tilde{a}", "ã"), ("\\", ""))


def words(lines: list[str]) -> set[str]:
    """The names ``lines`` of code use, comments and string literals left out."""
    return set(re.findall(r"\w+", "\n".join(re.sub(r'#.*|"[^"]*"', "", line) for line in lines)))


def plain(name: str) -> str:
    r"""A LaTeX name as plain text for comments: ``\delta c_t^{\mathrm{in}}`` → ``δc_t^in``, ``\bar{h}`` → ``h̄``."""
    name = re.sub(r"\\bar\{(\w)\}", "\\1\u0304", name)
    for old, new in _PLAIN:
        name = name.replace(old, new)
    return name


class CommentPrinter(TextPrinter):
    """The text printer with plain names and ``u^∘2`` for a Hadamard power, for comments in the code."""

    def _print_MatrixSymbol(self, expr: MatrixSymbol) -> str:
        return plain(expr.name)

    def _print_HadamardPower(self, expr) -> str:
        return f"{self.parenthesize(expr.base, 1000)}^∘{self._print(expr.exp)}"


def text(expr: sp.Basic) -> str:
    """``expr`` as one line of plain text for a comment."""
    return CommentPrinter().doprint(expr)
