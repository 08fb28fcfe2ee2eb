r"""Equations drawn with matplotlib's mathtext: the fallback when no LaTeX engine is installed.

:func:`document_lines` pulls the section titles and display math (``align*``, ``equation``,
``\[ … \]``, ``$$ … $$``) out of a LaTeX document and rewrites the math with
:func:`symlstm.printing.mathtext.mathtext_lines`; :func:`draw_lines` draws them one per line, the
equations aligned at their ``=`` (or their ``&``), and writes PNG, SVG and/or PDF.

matplotlib is optional (``pip install 'symlstm[render]'``); it is imported when a picture is drawn,
and :func:`have_matplotlib` says whether it can be.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from symlstm.files import replacing
from symlstm.printing.mathtext import mathtext_lines, split_top

FONTSIZE = 15
_DISPLAY = re.compile(
    r"\\begin\{(align\*?|equation\*?|gather\*?|multline\*?)\}(?P<env>.*?)\\end\{\1\}"
    r"|\\\[(?P<bracket>.*?)\\\]"
    r"|\$\$(?P<dollars>.*?)\$\$"
    r"|\\(?:sub)*section\*?\{(?P<heading>(?:[^{}]|\{[^{}]*\})*)\}",
    re.S,
)


@dataclass(frozen=True)
class Line:
    """One line of the picture: ``kind`` is ``"math"`` (mathtext, maybe with one ``&``) or ``"heading"``."""

    kind: str
    text: str


def document_lines(tex: str) -> list[Line]:
    """Section titles and display-math lines of the LaTeX document ``tex``, in order."""
    body = re.sub(r"(?<!\\)%.*", "", tex)
    lines: list[Line] = []
    for found in _DISPLAY.finditer(body):
        if found.group("heading") is not None:
            lines.append(Line("heading", found.group("heading").strip()))
            continue
        math = next(found.group(g) for g in ("env", "bracket", "dollars") if found.group(g) is not None)
        try:
            lines.extend(Line("math", line) for line in mathtext_lines(math))
        except ValueError:  # LaTeX this module cannot rewrite: shown as its source
            lines.append(Line("math", " ".join(math.split())))
    return lines


def have_matplotlib() -> bool:
    """True when matplotlib can be imported."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


def parses(text: str) -> bool:
    """True when mathtext can parse ``$text$``."""
    from matplotlib.mathtext import MathTextParser  # optional dependency, imported on use

    try:
        MathTextParser("path").parse(f"${text}$")
    except ValueError:
        return False
    return True


def _halves(line: Line) -> tuple[str, str]:
    """The part left of the alignment point and the part from it on (``&`` or else the first ``=``)."""
    if "&" in line.text:
        left, right = line.text.split("&", 1)
        return left.strip(), right.strip()
    parts = split_top(line.text, "=")
    if len(parts) == 1 or not parts[0].strip():
        return "", line.text
    return parts[0].strip(), "= " + "=".join(parts[1:]).strip()


def draw_lines(lines: Sequence[Line], out_dir: Path, stem: str, formats: Sequence[str], dpi: int = 150
               ) -> tuple[list[Path], int]:
    """Draw ``lines`` and write ``out_dir/stem.<format>`` for each format; the files and how many
    math pieces mathtext could not parse (those are shown as their source text)."""
    import matplotlib  # optional dependency, imported on use
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    renderer = canvas.get_renderer()
    failed = 0

    def text(source: str, math: bool, **style):
        nonlocal failed
        if math and source and not parses(source):
            failed += 1
            math = False
        shown = f"${source}$" if math and source else source.replace("$", r"\$")
        return figure.text(0, 0, shown, fontsize=FONTSIZE, va="baseline", **style)

    rows = []  # (artists, ascent, descent) with artists as (Text, column)
    for line in lines or [Line("heading", "(no equations)")]:
        if line.kind == "heading":
            artists = [(text(line.text, False, fontweight="bold", ha="left"), "heading")]
        else:
            left, right = _halves(line)
            artists = [(text(left, True, ha="right"), "left"), (text(right, True, ha="left"), "right")]
        boxes = [artist.get_window_extent(renderer) for artist, _ in artists]
        rows.append((artists, boxes, max(b.y1 for b in boxes), max(-b.y0 for b in boxes)))

    def width(column: str) -> float:
        return max([b.width for artists, boxes, _, _ in rows for (_, c), b in zip(artists, boxes) if c == column],
                   default=0.0)

    margin, gap = 0.8 * FONTSIZE * dpi / 72, 0.7 * FONTSIZE * dpi / 72
    axis = margin + width("left")
    total_width = max(axis + width("right"), margin + width("heading")) + margin
    total_height = 2 * margin + sum(a + d for _, _, a, d in rows) + gap * (len(rows) - 1)
    figure.set_size_inches(total_width / dpi, total_height / dpi)
    y = total_height - margin
    for artists, _, ascent, descent in rows:
        y -= ascent
        for artist, column in artists:
            x = margin if column == "heading" else axis + (0.15 * FONTSIZE if column == "right" else 0)
            artist.set_position((x / total_width, y / total_height))
        y -= descent + gap
    files = []
    with matplotlib.rc_context({"svg.hashsalt": "symlstm", "svg.fonttype": "path"}):
        for kind in formats:
            path = out_dir / f"{stem}.{kind}"
            metadata = {"Date": None} if kind == "svg" else {"CreationDate": None} if kind == "pdf" else {}
            with replacing(path) as temp:
                figure.savefig(temp, format=kind, dpi=dpi, facecolor="white", metadata=metadata)
            files.append(path)
    return files, failed
