"""A cell's data-flow graph as Graphviz DOT text: pure and deterministic (:func:`to_dot`).

Inputs, states and new states are rounded boxes coloured per state, parameters grey boxes, operations
circles coloured by family, a concatenation an HTML table of its blocks with a port per block; every
edge out of a concatenation leaves the whole table (its east side), not one of its blocks.
"""

from __future__ import annotations

from html import escape
from typing import Any

from symlstm.printing.labels import html_label

STYLE = {
    "param": 'shape=box, style="filled", fillcolor="#eeeeee", color="#999999", fontsize=12',
    "constant": "shape=plaintext",
    "nonlinearity": 'shape=circle, style="filled", fillcolor="#fff2cc", margin=0.02',
    "elementwise": 'shape=circle, style="filled", fillcolor="#fde0e6", margin=0.02',
    "linear": 'shape=circle, style="filled", fillcolor="#ffffff", margin=0.02',
    "concat": "shape=plain",
}


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _concat_label(node: Any, colours: dict[str, str]) -> str:
    """A concatenation as an HTML table: one cell per block, stacked for ``[h; x]``, with ports ``b0``, ``b1``, …"""
    width = len(node.blocks[0])
    cell = '<TD PORT="b{}" BGCOLOR="{}">{}</TD>'
    rows = ["<TR>" + "".join(cell.format(i * width + j, colours.get(name, "#ffffff"), html_label(name))
                             for j, name in enumerate(row)) + "</TR>" for i, row in enumerate(node.blocks)]
    return '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="6">' + "".join(rows) + "</TABLE>>"


#: How an operation is drawn, by its SymPy class (anything else is drawn as a linear map).
FAMILIES = {"BlockMatrix": "concat", "ElementwiseApplyFunction": "nonlinearity", "MatAdd": "elementwise",
            "HadamardProduct": "elementwise"}


def _node_line(node: Any, colours: dict[str, str]) -> str:
    if node.kind == "op":
        family = FAMILIES.get(node.op, "linear")
        label = _concat_label(node, colours) if family == "concat" else f"<{escape(node.name)}>"
        return f"{node.id} [{STYLE[family]}, label={label}];"
    if node.kind in ("input", "state", "output", "symbol"):
        double = ", peripheries=2" if node.kind == "output" else ""
        colour = node.colour or "#ffffff"
        return (f'{node.id} [shape=box, style="rounded,filled", fillcolor="{colour}"{double}, '
                f"label=<{html_label(node.name)}>];")
    return f"{node.id} [{STYLE[node.kind]}, label=<{html_label(node.name)}>];"


def to_dot(graph: Any) -> str:
    """``graph`` as Graphviz DOT text: left to right, inputs first, new states last, gates boxed."""
    colours = {n.name: n.colour for n in graph.nodes if n.kind in ("input", "state") and n.colour}
    lines = [
        f"digraph {_quote(graph.name)} {{",
        f'  graph [rankdir=LR, fontname="DejaVu Serif", labelloc=t, fontsize=16, nodesep=0.3, ranksep=0.4, '
        f"label=<{escape(graph.title)}>];",
        '  node [fontname="DejaVu Serif", fontsize=14];',
        '  edge [fontname="DejaVu Serif", fontsize=12, arrowsize=0.7, color="#555555"];',
    ]
    sources = [n.id for n in graph.nodes if n.kind in ("input", "state")]
    sinks = [n.id for n in graph.nodes if n.kind == "output"]
    lines.append("  { rank=source; " + " ".join(f"{i};" for i in sources) + " }")
    lines.append("  { rank=sink; " + " ".join(f"{i};" for i in sinks) + " }")
    for key, title in graph.clusters:
        members = [n for n in graph.nodes if n.cluster == key]
        if not members:
            continue
        lines.append(f"  subgraph {_quote('cluster_' + key)} {{")
        lines.append(f'    label=<{escape(title)}>; style="rounded,filled"; fillcolor="#fafafa"; color="#bbbbbb";'
                     ' fontsize=13;')
        lines.extend(f"    {_node_line(n, colours)}" for n in members)
        lines.append("  }")
    lines.extend(f"  {_node_line(n, colours)}" for n in graph.nodes if not n.cluster)
    concatenations = {n.id for n in graph.nodes if n.kind == "op" and FAMILIES.get(n.op) == "concat"}
    for edge in graph.edges:
        head = f"{edge.head}:{edge.port}:w" if edge.port else edge.head
        tail = f"{edge.tail}:e" if edge.tail in concatenations else edge.tail  # from the whole [h; x], not a block
        label = f" [label=<{html_label(edge.label)}>]" if edge.label else ""
        lines.append(f"  {tail} -> {head}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"
