"""The shape picture for :func:`~symlstm.explain.explain`: one wide matrix times one tall vector.

For ``gate_t = φ(W·[h; x] + b)`` with concrete numbers it draws, left to right and with every
number filled in::

    W (n × (n+m), split W_h | W_x)  ·  [h; x] ((n+m) × 1, h over x)  +  b  =  a (enters φ)  →φ→  gate_t

The columns of ``W`` that multiply ``h`` and the entries of ``h`` share one colour, those that meet
``x`` another, so the picture shows that ``[h; x]`` is a single vector of n + m entries and ``W``
a single n × (n+m) matrix (not an n × 2 matrix of two columns).

:func:`shapes_svg` returns the SVG as a string (pure, deterministic, no dependency);
:func:`write_shapes_picture` writes it, and a PNG when ``rsvg-convert`` (Debian: ``librsvg2-bin``)
is installed.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

import sympy as sp

from symlstm.explain import Explanation
from symlstm.files import make_folder, produce, write_text
from symlstm.printing.labels import svg_label
from symlstm.printing.text import text
from symlstm.render import RenderResult, run_tool, which

FONT = 15
CELL_H = 30
OP_W = 34
#: The PNG is drawn at this multiple of the SVG's size, for a sharp picture.
PNG_ZOOM = 2
#: (fill, stroke) of each part: the h half, the x half, bias, pre-activation, activation.
COLOURS = {"h": ("#dbe9f6", "#3b75af"), "x": ("#fde3cc", "#d9822b"), "b": ("#eeeeee", "#777777"),
           "a": ("#fff2cc", "#b8962e"), "y": ("#dff0d8", "#4a8a3c")}


@dataclass(frozen=True)
class ShapesPicture:
    """An SVG picture (``svg`` text, ``width`` × ``height`` px); shows itself in Jupyter."""

    svg: str
    width: int
    height: int

    def _repr_svg_(self) -> str:
        return self.svg


def number(value: sp.Expr) -> str:
    """An entry as short text: ``3``, ``−1/2``, ``0.25`` (floats to 4 significant digits)."""
    if isinstance(value, sp.Integer):
        shown = str(int(value))
    elif isinstance(value, sp.Rational):
        shown = f"{value.p}/{value.q}"
    elif isinstance(value, sp.Float):
        shown = f"{float(value):.4g}"
    else:
        shown = text(value)
    return shown.replace("-", "−")


def _width(texts: list[str], minimum: int = 38) -> int:
    return max([minimum] + [round(0.62 * FONT * len(t)) + 16 for t in texts])


class _Canvas:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, x: float, y: float, content: str, *, size: float = FONT, anchor: str = "middle",
             colour: str = "#222222", weight: str = "normal") -> None:
        self.parts.append(f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" text-anchor="{anchor}" fill="{colour}"'
                          f' font-weight="{weight}">{content}</text>')

    def rect(self, x: float, y: float, w: float, h: float, fill: str, stroke: str, width: float = 1,
             cls: str = "") -> None:
        klass = f' class="{cls}"' if cls else ""
        self.parts.append(f'<rect{klass} x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" fill="{fill}"'
                          f' stroke="{stroke}" stroke-width="{width:g}"/>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 2) -> None:
        self.parts.append(f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="{stroke}"'
                          f' stroke-width="{width:g}"/>')

    def group(self, name: str, body: list[str]) -> None:
        self.parts.append(f'<g id="{name}">' + "".join(body) + "</g>")


def _cells(canvas: _Canvas, name: str, x: float, top: float, rows: list[list[tuple[str, str]]], width: int,
           outline: str) -> None:
    """A grid of cells ``rows[i][j] = (text, part)`` (part picks the colour) in a group ``name``."""
    inner = _Canvas()
    for i, row in enumerate(rows):
        for j, (content, part) in enumerate(row):
            fill, _ = COLOURS[part]
            inner.rect(x + j * width, top + i * CELL_H, width, CELL_H, fill, "#9a9a9a", 1, cls=f"cell {part}")
            inner.text(x + (j + 0.5) * width, top + (i + 0.5) * CELL_H + 0.35 * FONT, escape(content))
    inner.rect(x, top, width * len(rows[0]), CELL_H * len(rows), "none", outline, 2.5, cls="outline")
    canvas.group(name, inner.parts)


def _plain_width(plain: str, size: float) -> float:
    return 0.6 * size * len(plain)


def shapes_svg(explanation: Explanation) -> ShapesPicture:
    """The picture of ``W·[h; x] + b`` for ``explanation``'s numbers, as SVG (see the module docstring)."""
    e, k = explanation, explanation.gate
    n, m, phi = e.n, e.m, e.function_name
    W = [[number(v) for v in e.W.row(i)] for i in range(n)]
    hx = [number(v) for v in e.concat]
    b, a, y = [number(v) for v in e.b], [number(v) for v in e.preactivation], e.decimals(4)
    cw_v = _width(hx)
    label_w = _plain_width(f"W_{k}h {n}×{n}", FONT) + 8  # the block labels above W must fit their columns
    cw_w = max(_width([t for row in W for t in row]), round(label_w / n), round(label_w / m))
    mid = 56 + max((n + m) * CELL_H / 2 + 34, n * CELL_H / 2 + 62)
    tall_top, wide_top = mid - (n + m) * CELL_H / 2, mid - n * CELL_H / 2
    wide_under, tall_under = wide_top + n * CELL_H + 22, tall_top + (n + m) * CELL_H + 22
    grey, small, big = "#555555", FONT - 2, FONT + 2
    c = _Canvas()
    x = 24.0
    # W: n × (n+m), its h columns and x columns, split by a heavy line.
    _cells(c, "W", x, wide_top, [[(W[i][j], "h" if j < n else "x") for j in range(n + m)] for i in range(n)],
           cw_w, "#333333")
    c.line(x + n * cw_w, wide_top - 6, x + n * cw_w, wide_top + n * CELL_H + 6, "#333333", 2.5)
    c.text(x + n * cw_w / 2, wide_top - 10, svg_label(f"W_{{{k}h}}", FONT) + f" {n}×{n}", colour=COLOURS["h"][1])
    c.text(x + (n + m / 2) * cw_w, wide_top - 10, svg_label(f"W_{{{k}x}}", FONT) + f" {n}×{m}",
           colour=COLOURS["x"][1])
    centre = x + (n + m) * cw_w / 2
    c.text(centre, wide_top - 36, svg_label(f"W_{k}", big), size=big, weight="bold")
    c.text(centre, wide_under, f"n×(n+m) = {n}×{n + m}", size=small, colour=grey)
    c.text(centre, wide_under + 18, "one wide matrix", size=small, colour=grey)
    x += (n + m) * cw_w
    c.text(x + OP_W / 2, mid + 0.35 * FONT, "·", size=FONT + 10, weight="bold")
    x += OP_W
    # [h; x]: one tall vector, h over x.
    _cells(c, "concat", x, tall_top, [[(hx[i], "h" if i < n else "x")] for i in range(n + m)], cw_v, "#333333")
    c.line(x - 6, tall_top + n * CELL_H, x + cw_v + 6, tall_top + n * CELL_H, "#333333", 2.5)
    for part, first, count, name in (("h", 0, n, "h_{t-1}"), ("x", n, m, "x_t")):
        at = tall_top + (first + count / 2) * CELL_H + 0.35 * FONT
        c.text(x + cw_v + 8, at, svg_label(name, FONT), anchor="start", colour=COLOURS[part][1])
    c.text(x + cw_v / 2, tall_top - 12, f"[{svg_label('h_{t-1}', big)}; {svg_label('x_t', big)}]", size=big,
           weight="bold")
    c.text(x + cw_v / 2, tall_under, f"(n+m)×1 = {n + m}×1", size=small, colour=grey)
    c.text(x + cw_v / 2, tall_under + 18, "one tall vector", size=small, colour=grey)
    x += cw_v + 46
    for op, values, part, name, under in (("+", b, "b", f"b_{k}", f"{n}×1"),
                                          ("=", a, "a", f"a_{{{k},t}}", f"enters {phi}"),
                                          (f"{phi} →", y, "y", f"{k}_t", f"{phi} of each entry")):
        width = _width(values)
        op_w = max(OP_W, _plain_width(op, FONT + 4) + 6)
        c.text(x + op_w / 2, mid + 0.35 * FONT, op, size=FONT + 4)
        overflow = max(0.0, _plain_width(under, small) - width)  # the label under the cell is wider than it
        x += op_w + overflow / 2
        _cells(c, part, x, wide_top, [[(v, part)] for v in values], width, COLOURS[part][1])
        c.text(x + width / 2, wide_top - 10, svg_label(name, big), size=big, weight="bold")
        c.text(x + width / 2, wide_under, under, size=small, colour=grey)
        x += width + overflow / 2
    title = f"What enters {phi} in {k}_t = {phi}(W_{k}·[h_t−1; x_t] + b_{k})"
    c.text(24, 30, f"What enters {phi} in " + svg_label(f"{k}_t", big) + f" = {phi}(" + svg_label(f"W_{k}", big)
           + "·[" + svg_label("h_{t-1}", big) + "; " + svg_label("x_t", big) + "] + " + svg_label(f"b_{k}", big)
           + ")", size=big + 1, anchor="start", weight="bold")
    bottom = max(tall_under, wide_under) + 46
    entries = "entry" if n == 1 else "entries"
    lines = [("The blue columns of " + svg_label(f"W_{k}", FONT) + " multiply " + svg_label("h_{t-1}", FONT)
              + ", the orange columns multiply " + svg_label("x_t", FONT) + ":",
              f"The blue columns of W_{k} multiply h_t−1, the orange columns multiply x_t:"),
             (svg_label(f"W_{k}", FONT) + "·[h; x] = " + svg_label(f"W_{{{k}h}}", FONT) + "·h + "
              + svg_label(f"W_{{{k}x}}", FONT) + "·x, a vector of n = " + f"{n} {entries}.",
              f"W_{k}·[h; x] = W_{k}h·h + W_{k}x·x, a vector of n = {n} {entries}.")]
    for i, (content, _) in enumerate(lines):
        c.text(24, bottom + 22 * i, content, size=FONT, anchor="start", colour="#444444")
    texts = [24 + _plain_width(title, big + 1), *(24 + _plain_width(plain, FONT) for _, plain in lines)]
    total_w = round(max(x, *texts) + 24)
    total_h = round(bottom + 22 * len(lines) + 8)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
           f'viewBox="0 0 {total_w} {total_h}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n'
           f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(c.parts) + "\n</svg>\n")
    return ShapesPicture(svg, total_w, total_h)


def picture_problem(path: str | Path) -> str:
    """Why the shape picture cannot be written to ``path`` (empty when it can), known before any work."""
    target = Path(path)
    if target.suffix not in (".svg", ".png"):
        return f"the shape picture is written as .svg or .png, not {target.name!r}"
    if target.suffix == ".png" and not which("rsvg-convert"):
        return (f"rsvg-convert (librsvg2-bin) is not installed: cannot draw {target}; "
                f"ask for {target.with_suffix('.svg').name} instead")
    return ""


def write_shapes_picture(explanation: Explanation, path: str | Path) -> RenderResult:
    """Write the picture to ``path`` (``.svg``, or ``.png`` through ``rsvg-convert``) and no other file.

    Never raises for a missing or failing converter: a ``.png`` that cannot be made gives no file and a note
    saying why (the ``.svg`` can be asked for instead). The file is written whole (:mod:`symlstm.files`).
    """
    target = Path(path)
    if target.suffix not in (".svg", ".png"):
        raise ValueError(f"the shape picture is written as .svg or .png, not {target.name!r}")
    make_folder(target.parent)
    picture = shapes_svg(explanation)
    if target.suffix == ".svg":
        return RenderResult((write_text(target, picture.svg),), "svg")
    if not which("rsvg-convert"):
        return RenderResult((), "none", f"rsvg-convert (librsvg2-bin) is not installed: cannot draw {target}; "
                            f"ask for {target.with_suffix('.svg').name} instead")
    with tempfile.TemporaryDirectory() as scratch:
        svg = Path(scratch) / "shapes.svg"
        svg.write_text(picture.svg, encoding="utf-8")
        failed = produce(target, lambda temp: run_tool(["rsvg-convert", "-f", "png", "-z", str(PNG_ZOOM), "-o",
                                                         str(temp), str(svg)]))
    if failed:
        return RenderResult((), "none", f"rsvg-convert could not make {target}: {failed}")
    return RenderResult((target,), "rsvg-convert")
