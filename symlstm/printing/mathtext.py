r"""LaTeX that matplotlib's mathtext can draw: matrices as stacked rows, no environments.

mathtext (matplotlib's own TeX subset, used when no LaTeX engine is installed) has no
``\begin{bmatrix}``, no ``aligned`` and no ``\\``.  It does have ``\genfrac``, so a matrix is
written as its rows stacked by rule-less fractions inside ``\left[ … \right]``::

    [h_{t-1}; x_t]  →  \left[\genfrac{}{}{0}{0}{h_{t-1}}{x_t}\right]   (plus an invisible strut per row)

Rows are nested as a balanced tree of ``\genfrac`` (so the spacing stays even) and the columns of a
matrix are padded with ``\phantom`` digits on the left to equal width, so that numbers line up.

Two ways in:

* :class:`MathtextPrinter` / :func:`mathtext` print a SymPy expression directly in this form;
* :func:`mathtext_lines` rewrites LaTeX that was already written (an ``aligned`` block from
  :meth:`CellSpec.latex`, a hand-written ``bmatrix``) into one mathtext string per line.
"""

from __future__ import annotations

import re

import sympy as sp

from symlstm.printing.latex import LatexPrinter

#: Matrix environments and the delimiters mathtext draws around them.
MATRIX_DELIMITERS: dict[str, tuple[str, str]] = {
    "bmatrix": (r"\left[", r"\right]"),
    "pmatrix": (r"\left(", r"\right)"),
    "vmatrix": (r"\left|", r"\right|"),
    "Bmatrix": (r"\left\{", r"\right\}"),
    "matrix": ("", ""),
}

#: Environments that only align or number lines: their body is kept, split into lines.
LINE_ENVIRONMENTS = ("aligned", "align", "align*", "equation", "equation*", "gather", "gather*",
                     "gathered", "split", "multline", "multline*")

#: LaTeX that mathtext does not know, and what to write instead (regular expression → replacement).
REWRITES: tuple[tuple[str, str], ...] = (
    (r"\\(?:label|tag)\*?\{[^{}]*\}", ""),
    (r"\\(?:nonumber|notag|displaystyle|textstyle)\b", ""),
    (r"\\tfrac\b", r"\\frac"),
    (r"\\bm\b", r"\\boldsymbol"),
    (r"\\[lr]Vert\b", r"\\|"),
    (r"\\implies\b", r"\\Rightarrow"),
)

#: Box commands whose last argument is kept (``\\resizebox{w}{h}{$x$}`` → ``x``), by their number of arguments.
UNWRAP = {"resizebox": 3, "scalebox": 2, "mbox": 1, "fbox": 1, "makebox": 1}

_PHANTOM_DIGIT = "0"
#: An invisible bar on each row of a stack: with it every ``\genfrac`` falls back to the same minimum
#: clearance, so the rows are evenly spaced however they are nested (without it, rows of single digits
#: get TeX's wider fraction shifts and the spacing goes uneven).
_STRUT = r"\phantom{|}"


def _visible_width(cell: str) -> int:
    """A rough count of the characters ``cell`` shows (commands and braces removed)."""
    shown = re.sub(r"\\[a-zA-Z]+", "x", cell)
    return len(re.sub(r"[{}_^\s]|\\[,;! ]", "", shown))


def _pad(cell: str, width: int) -> str:
    """``cell`` right-aligned in ``width`` digit-widths with ``\\phantom`` (numbers line up at their last digit)."""
    missing = width - _visible_width(cell)
    return r"\phantom{%s}%s" % (_PHANTOM_DIGIT * missing, cell) if missing > 0 else cell


def _nest(lines: list[str]) -> str:
    if len(lines) == 1:
        return lines[0]
    middle = (len(lines) + 1) // 2
    return r"\genfrac{}{}{0}{0}{%s}{%s}" % (_nest(lines[:middle]), _nest(lines[middle:]))


def stack(rows: list[list[str]], left: str = r"\left[", right: str = r"\right]") -> str:
    r"""A matrix given as rows of mathtext cells, as one mathtext expression.

    >>> stack([["1", "2"]])
    '\\left[{1}\\quad {2}\\right]'
    """
    if not rows or not all(rows):
        raise ValueError(f"a matrix needs at least one row and one column, got rows {rows!r}")
    columns = max(len(row) for row in rows)
    rows = [row + [""] * (columns - len(row)) for row in rows]
    if columns > 1:
        widths = [max(_visible_width(row[j]) for row in rows) for j in range(columns)]
        rows = [[_pad(cell, widths[j]) for j, cell in enumerate(row)] for row in rows]
    lines = [r"\quad ".join("{%s}" % cell for cell in row) for row in rows]
    if len(lines) > 1:
        lines = [_STRUT + line + _STRUT for line in lines]
    return f"{left}{_nest(lines)}{right}"


class MathtextPrinter(LatexPrinter):
    """symlstm's LaTeX printer, writing matrices and block matrices as :func:`stack` does."""

    def _print_BlockMatrix(self, expr) -> str:
        blocks = expr.blocks
        return stack([[self._print(blocks[i, j]) for j in range(blocks.cols)] for i in range(blocks.rows)])

    def _print_MatrixBase(self, expr) -> str:
        if expr.rows == 0 or expr.cols == 0:
            return r"\left[\,\right]"
        return stack([[self._print(expr[i, j]) for j in range(expr.cols)] for i in range(expr.rows)])


def mathtext(expr: sp.Basic, **settings) -> str:
    """``expr`` as a mathtext expression (no surrounding ``$``)."""
    return MathtextPrinter(settings).doprint(expr)


# -- rewriting LaTeX that was already written -------------------------------------------------------
_BEGIN = re.compile(r"\\begin\{([a-zA-Z]+\*?)\}")


def _matching_end(text: str, name: str, start: int) -> int:
    """Index of the ``\\end{name}`` closing the environment whose body starts at ``start``."""
    depth, position = 1, start
    pattern = re.compile(r"\\(begin|end)\{" + re.escape(name) + r"\}")
    while True:
        found = pattern.search(text, position)
        if found is None:
            raise ValueError(f"\\begin{{{name}}} has no matching \\end{{{name}}} in {text!r}")
        depth += 1 if found.group(1) == "begin" else -1
        if depth == 0:
            return found.start()
        position = found.end()


def split_top(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` where it is outside every brace group."""
    parts, depth, last, i = [], 0, 0, 0
    while i < len(text):
        char = text[i]
        if char == "\\" and text.startswith(separator, i) and depth == 0:
            parts.append(text[last:i])
            i += len(separator)
            last = i
            continue
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and not separator.startswith("\\") and text.startswith(separator, i):
            parts.append(text[last:i])
            i += len(separator)
            last = i
            continue
        i += 1
    parts.append(text[last:])
    return parts


def _matrices(text: str) -> str:
    """``text`` with every matrix environment (innermost first) written as a :func:`stack`."""
    while True:
        found = None
        for match in _BEGIN.finditer(text):
            if match.group(1) in MATRIX_DELIMITERS:
                found = match
        if found is None:
            return text
        name = found.group(1)
        end = _matching_end(text, name, found.end())
        body = text[found.end():end]
        rows = [[cell.strip() for cell in split_top(row, "&")] for row in split_top(body, r"\\")]
        rows = [row for row in rows if any(row)]
        left, right = MATRIX_DELIMITERS[name]
        text = text[:found.start()] + " " + stack(rows, left, right) + " " + text[end + len(rf"\end{{{name}}}"):]


def _group_end(text: str, start: int) -> int:
    """Index just past the brace group opening at ``text[start] == "{"`` (``\\{``, ``\\}`` are not braces)."""
    depth, i = 0, start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
        if depth == 0:
            return i
    raise ValueError(f"unbalanced braces in {text!r}")


def _unwrap(text: str) -> str:
    """``text`` with each box command of :data:`UNWRAP` replaced by its last argument, ``$`` removed."""
    pattern = re.compile(r"\\(" + "|".join(UNWRAP) + r")\b\s*")
    while (found := pattern.search(text)) is not None:
        position, groups = found.end(), []
        for _ in range(UNWRAP[found.group(1)]):
            while position < len(text) and text[position] == " ":
                position += 1
            if position >= len(text) or text[position] != "{":
                raise ValueError(f"\\{found.group(1)} needs {UNWRAP[found.group(1)]} brace groups in {text!r}")
            end = _group_end(text, position)
            groups.append(text[position + 1:end - 1])
            position = end
        text = text[:found.start()] + " " + groups[-1].replace("$", " ") + " " + text[position:]
    return text


def mathtext_lines(latex_text: str) -> list[str]:
    r"""LaTeX display math (maybe an ``aligned`` block with ``\\`` breaks) as mathtext lines.

    Each line keeps its first ``&`` (the alignment point) so that a renderer can line the
    equations up; matrices become :func:`stack` expressions, box commands (:data:`UNWRAP`) give
    way to their content, and the commands in :data:`REWRITES` are replaced.

    >>> mathtext_lines(r"\begin{aligned} a_t &= \begin{bmatrix} 1 & 2 \end{bmatrix} \\ b &= c \end{aligned}")
    ['a_t &= \\left[{1}\\quad {2}\\right]', 'b &= c']
    """
    text = _unwrap(latex_text.strip())
    for pattern, replacement in REWRITES:
        text = re.sub(pattern, replacement, text)
    text = _matrices(text)
    for name in LINE_ENVIRONMENTS:
        text = text.replace(rf"\begin{{{name}}}", "").replace(rf"\end{{{name}}}", "")
    lines = []
    for line in split_top(text, r"\\"):
        cells = split_top(line, "&")
        joined = cells[0] + ("&" + "".join(cells[1:]) if len(cells) > 1 else "")
        joined = re.sub(r"\s+", " ", joined).strip()
        if joined:
            lines.append(joined)
    return lines
