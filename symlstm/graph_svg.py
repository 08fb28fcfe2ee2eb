"""A cell's data-flow graph drawn as SVG without Graphviz (positions from :mod:`symlstm.graph_layout`).

Nodes look as in :func:`~symlstm.graph.to_dot`: rounded boxes for inputs, states and new states (double
border), grey boxes for parameters, circles for operations (σ, tanh, ⊙, +, ·), ``[h; x]`` as a stack of
blocks coloured like ``h`` and ``x``; each value's name (``a_{f,t}``, ``f_t``) is written once where it
leaves its node.  The gates' boxes are drawn when each encloses only its own nodes.  Every node is a
``<g class="node" id=…>`` and every edge a ``<g class="edge" data-tail=… data-head=…>``.

:func:`graph_svg` returns the SVG as a string (pure, deterministic, no dependency);
:func:`write_graph_svg` is what :func:`~symlstm.graph.write_graph` does when ``dot`` is missing: it
writes the SVG, and a PNG when ``rsvg-convert`` (Debian: ``librsvg2-bin``) is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from symlstm.files import produce, write_text
from symlstm.graph_layout import BLOCK_H, EDGE_FONT, FONT, MARGIN, Box, DataFlow, layout
from symlstm.printing.labels import svg_label
from symlstm.render import RenderResult, run_tool, which

#: Operation fills by SymPy class, as in :data:`symlstm.graph.STYLE` (anything else: white).
FILLS = {"ElementwiseApplyFunction": "#fff2cc", "MatAdd": "#fde0e6", "HadamardProduct": "#fde0e6"}


def _n(value: float) -> str:
    return f"{round(value, 1):g}"


def _node_svg(node: Any, box: Box, colours: dict[str, str]) -> str:
    x0, y0, tag = box.x - box.w / 2, box.y - box.h / 2, f'<g class="node" id="{node.id}" data-kind="{node.kind}">'
    if node.kind == "op" and node.op == "BlockMatrix":
        cols, parts = len(node.blocks[0]), [tag]
        cw = box.w / cols
        for i, row in enumerate(node.blocks):
            for j, name in enumerate(row):
                parts.append(f'<rect x="{_n(x0 + j * cw)}" y="{_n(y0 + i * BLOCK_H)}" width="{_n(cw)}" '
                             f'height="{BLOCK_H}" fill="{colours.get(name, "#ffffff")}" stroke="#333333"/>')
                parts.append(_text(x0 + (j + 0.5) * cw, y0 + (i + 0.5) * BLOCK_H, svg_label(name, FONT), FONT))
        return "".join(parts) + "</g>"
    if node.kind == "op":
        size = FONT + 2 if len(node.name) == 1 else FONT - 1
        shape = (f'<circle cx="{_n(box.x)}" cy="{_n(box.y)}" r="{_n(box.w / 2)}" '
                 f'fill="{FILLS.get(node.op, "#ffffff")}" stroke="#333333"/>')
        return tag + shape + _text(box.x, box.y, escape(node.name), size) + "</g>"
    fill, stroke, radius = node.colour or "#ffffff", "#333333", 6
    if node.kind == "param":
        fill, stroke, radius = "#eeeeee", "#999999", 0
    elif node.kind == "constant":
        fill, stroke = "#ffffff", "none"
    rect = (f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(box.w)}" height="{_n(box.h)}" rx="{radius}" '
            f'fill="{fill}" stroke="{stroke}"/>')
    if node.kind == "output":
        rect += (f'<rect x="{_n(x0 + 3)}" y="{_n(y0 + 3)}" width="{_n(box.w - 6)}" height="{_n(box.h - 6)}" '
                 f'rx="4" fill="none" stroke="{stroke}"/>')
    return tag + rect + _text(box.x, box.y, svg_label(node.name, FONT), FONT) + "</g>"


def _text(x: float, y: float, content: str, size: float, anchor: str = "middle") -> str:
    return (f'<text x="{_n(x)}" y="{_n(y + 0.35 * size)}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="#222222">{content}</text>')


def _label(name: str, paths: list[tuple[tuple[float, float], ...]]) -> str:
    """A value's name where its edges leave their node: over them, or under them when the top one turns up,
    or, when they part, between the two that part most."""
    paths = sorted(paths, key=lambda p: p[1][1])
    top, bottom, shown = paths[0], paths[-1], svg_label(name, EDGE_FONT)
    if top[2][1] > top[1][1] - 6:
        return _text(top[1][0] + 4, top[1][1] - 10, shown, EDGE_FONT, "start")
    if bottom[2][1] < bottom[1][1] + 6:
        return _text(bottom[1][0] + 4, bottom[1][1] + 10, shown, EDGE_FONT, "start")
    mids = [(p[1][1] + p[2][1]) / 2 for p in paths]
    k = max(range(len(paths) - 1), key=lambda i: mids[i + 1] - mids[i])
    return _text((top[1][0] + top[2][0]) / 2, (mids[k] + mids[k + 1]) / 2, shown, EDGE_FONT)


def _edge_svg(k: int, edge: Any, points: tuple[tuple[float, float], ...], label: str) -> str:
    d = f"M{_n(points[0][0])},{_n(points[0][1])}"
    for i, ((x1, y1), (x2, y2)) in enumerate(zip(points, points[1:])):
        if i % 2 == 0:  # inside a column: straight
            d += f" L{_n(x2)},{_n(y2)}"
        else:  # across a gap: a curve leaving and arriving level
            mid = (x1 + x2) / 2
            d += f" C{_n(mid)},{_n(y1)} {_n(mid)},{_n(y2)} {_n(x2)},{_n(y2)}"
    return (f'<g class="edge" id="e{k}" data-tail="{edge.tail}" data-head="{edge.head}">'
            f'<path d="{d}" fill="none" stroke="#555555" stroke-width="1.2" marker-end="url(#arrow)"/>'
            + label + "</g>")


def _clusters(graph: DataFlow, boxes: dict[str, Box]) -> list[str]:
    """Each gate's box with its title, when every gate's box holds no other node and meets no other gate's box
    (some boxed and some not would suggest a difference between the gates that is not there)."""
    drawn: list[Box] = []
    parts = []
    for key, title in graph.clusters:
        members = [boxes[n.id] for n in graph.nodes if n.cluster == key]
        if not members:
            continue
        x0, x1 = min(b.x - b.w / 2 for b in members) - 8, max(b.x + b.w / 2 for b in members) + 8
        y0, y1 = min(b.y - b.h / 2 for b in members) - 24, max(b.y + b.h / 2 for b in members) + 8
        outline = Box((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0)
        others = [boxes[n.id] for n in graph.nodes if n.cluster != key]
        if any(outline.overlaps(b) for b in others) or any(outline.overlaps(b, 4) for b in drawn):
            return []
        drawn.append(outline)
        parts.append(f'<g class="cluster" id="cluster_{escape(key)}"><rect x="{_n(x0)}" y="{_n(y0)}" '
                     f'width="{_n(x1 - x0)}" height="{_n(y1 - y0)}" rx="8" fill="#fafafa" stroke="#bbbbbb"/>'
                     + _text(x0 + 8, y0 + 10, escape(title), 13, "start") + "</g>")
    return parts


def graph_svg(graph: DataFlow) -> str:
    """``graph`` drawn as an SVG document (a string; pure and deterministic)."""
    placed = layout(graph)
    colours = {n.name: n.colour for n in graph.nodes if n.kind in ("input", "state") and n.colour}
    w, h = round(max(placed.width, 0.6 * 16 * len(graph.title) + 2 * MARGIN)), round(placed.height)
    labelled: set[str] = set()
    edges = []
    for k, (edge, points) in enumerate(zip(graph.edges, placed.paths, strict=True)):
        label = ""
        if edge.label and edge.tail not in labelled:  # a value's name is written once
            labelled.add(edge.tail)
            label = _label(edge.label, [p for e, p in zip(graph.edges, placed.paths) if e.tail == edge.tail])
        edges.append(_edge_svg(k, edge, points, label))
    body = [*_clusters(graph, placed.boxes), *edges,
            *(_node_svg(n, placed.boxes[n.id], colours) for n in graph.nodes)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            'font-family="DejaVu Serif, Times, serif">\n'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555555"/></marker></defs>\n'
            '<rect width="100%" height="100%" fill="white"/>\n'
            + _text(w / 2, 22, escape(graph.title), 16) + "\n" + "\n".join(body) + "\n</svg>\n")


def write_graph_svg(graph: DataFlow, out_dir: Path, stem: str, formats: Sequence[str], dpi: int,
                    written: Sequence[Path] = ()) -> RenderResult:
    """Write ``out_dir/stem.svg`` (always: it is the picture) and, when ``"png"`` is in ``formats`` and
    ``rsvg-convert`` is installed, ``stem.png`` at ``dpi`` (a px of the SVG counted as a point, as ``dot`` does).

    ``written`` (the ``.dot`` file) leads the returned files; the one-line note says Graphviz was missing.
    """
    svg = write_text(out_dir / f"{stem}.svg", graph_svg(graph))
    files = [*written, svg]
    note = f"Graphviz's dot is not installed: drew {svg.name} with symlstm's simpler layout"
    if "png" not in formats:
        return RenderResult(tuple(files), "svg", note)
    if not which("rsvg-convert"):
        return RenderResult(tuple(files), "svg", note + " and no PNG (rsvg-convert is not installed either)")
    png = out_dir / f"{stem}.png"
    failed = produce(png, lambda temp: run_tool(["rsvg-convert", "-f", "png", "-z", f"{dpi / 72:.4g}", "-o",
                                                 str(temp), str(svg)]))
    if failed:
        return RenderResult(tuple(files), "svg", f"{note}; rsvg-convert could not make {png.name}: {failed}")
    return RenderResult((*files, png), "svg", note)
