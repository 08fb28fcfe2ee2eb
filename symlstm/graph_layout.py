"""Where to draw a cell's data-flow graph without Graphviz: a small layered layout in pure Python.

:func:`layout` places a :class:`~symlstm.graph.CellGraph` (anything with its ``title``, ``nodes``,
``edges`` and ``clusters``) left to right, the way ``dot`` would, only simpler:

1. *layers*: inputs and previous states in the first column, every operation one column right of
   its furthest operand (longest path), each parameter or constant just left of its first user, the
   new states in the last column;
2. an edge that skips columns passes through each one as a short horizontal run (a dummy slot), so
   no edge is drawn through a node; curves live only in the gaps between columns;
3. *order* within a column: a few barycenter sweeps (down and up), keeping the order with fewest crossings;
4. *heights*: each item moves towards the mean height of its neighbours, then the smallest moves
   that keep the column's order and gaps are taken (isotonic regression, pool-adjacent-violators).

The result is plain numbers (node boxes, edge polylines); :mod:`symlstm.graph_svg` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from symlstm.printing.labels import name_parts, unicode_name

FONT, EDGE_FONT, BOX_H, BLOCK_H, GAP, SWEEPS = 14, 12, 30, 26, 18, 8
TOP, MARGIN, PAD = 64, 16, 6


class DataFlow(Protocol):
    """What is drawn: a :class:`~symlstm.graph.CellGraph`."""

    title: str
    nodes: tuple[Any, ...]
    edges: tuple[Any, ...]
    clusters: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Box:
    """Where a node is drawn: centre ``(x, y)``, size ``w`` × ``h`` (px); ``circle`` for a circle."""

    x: float
    y: float
    w: float
    h: float
    circle: bool = False

    def overlaps(self, other: Box, pad: float = 0.0) -> bool:
        return (abs(self.x - other.x) < (self.w + other.w) / 2 + pad
                and abs(self.y - other.y) < (self.h + other.h) / 2 + pad)


def text_width(name: str, size: float) -> float:
    """The width of ``name`` drawn with :func:`svg_label` (an estimate: 0.6 em a character, subscripts 0.7×)."""
    parts = name_parts(name)
    if parts is None:
        return 0.6 * size * len(unicode_name(name).replace("{", "").replace("}", ""))
    base, sub, sup = parts
    return 0.6 * size * (len(base) + 0.7 * (len(sub) + len(sup)))


def _size(node: Any) -> tuple[float, float, bool]:
    if node.kind == "op" and node.op == "BlockMatrix":
        widest = max(text_width(name, FONT) for row in node.blocks for name in row)
        return (widest + 16) * len(node.blocks[0]), BLOCK_H * len(node.blocks), False
    if node.kind == "op":
        size = FONT + 2 if len(node.name) == 1 else FONT - 1
        return (2 * max(14.0, 0.6 * size * len(node.name) / 2 + 6),) * 2 + (True,)
    return max(36.0, text_width(node.name, FONT) + 18), BOX_H, False


def _segments(graph: DataFlow, rank: dict[str, int]) -> tuple[list[list[tuple[Any, ...]]], list[list[Any]]]:
    """Each edge as its chain of items (node id, then ``("d", edge, column)`` dummies), and each column's items."""
    columns: list[list[Any]] = [[] for _ in range(max(rank.values()) + 1)]
    for node in graph.nodes:
        columns[rank[node.id]].append(node.id)
    chains = []
    for k, edge in enumerate(graph.edges):
        dummies = [("d", k, r) for r in range(rank[edge.tail] + 1, rank[edge.head])]
        for dummy in dummies:
            columns[dummy[2]].append(dummy)
        chains.append([edge.tail, *dummies, edge.head])
    return chains, columns


def _ranks(graph: DataFlow) -> dict[str, int]:
    tails: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    heads: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for edge in graph.edges:
        tails[edge.head].append(edge.tail)
        heads[edge.tail].append(edge.head)
    leaf = {n.id for n in graph.nodes if not tails[n.id] and n.kind not in ("input", "state")}
    rank: dict[str, int] = {n.id: 0 for n in graph.nodes if n.kind in ("input", "state")}
    pending = [n.id for n in graph.nodes if n.id not in rank and n.id not in leaf and n.kind != "output"]
    while pending:  # longest path from the inputs; an operation of leaves only is in column 1
        ready = [i for i in pending if all(t in rank or t in leaf for t in tails[i])]
        if not ready:
            raise ValueError(f"the graph has a cycle through {pending}")
        for i in ready:
            rank[i] = max([rank[t] + 1 for t in tails[i] if t in rank] + [1])
        pending = [i for i in pending if i not in rank]
    last = max(rank.values(), default=0) + 1
    rank.update({n.id: last for n in graph.nodes if n.kind == "output"})
    for i in leaf:
        rank[i] = max(0, min((rank[h] for h in heads[i] if h in rank), default=1) - 1)
    return rank


def _crossings(columns: list[list[Any]], links: list[tuple[Any, Any, float]], where: dict[Any, int]) -> int:
    count = 0
    for r in range(len(columns) - 1):
        pairs = [(where[a], where[b] + shift) for a, b, shift in links if a in columns[r]]
        count += sum(1 for i, (a, b) in enumerate(pairs) for c, d in pairs[i + 1:] if (a - c) * (b - d) < 0)
    return count


def _order(columns: list[list[Any]], links: list[tuple[Any, Any, float]]) -> list[list[Any]]:
    """Barycenter sweeps: each column sorted by the mean position of its neighbours in the column before/after
    (a link into a concatenation's block counts at that block: ``shift`` is its offset from the node's middle)."""
    before: dict[Any, list[tuple[Any, float]]] = {}
    after: dict[Any, list[tuple[Any, float]]] = {}
    for a, b, shift in links:
        after.setdefault(a, []).append((b, shift))
        before.setdefault(b, []).append((a, 0.0))
    best, best_count = [list(c) for c in columns], None
    for sweep in range(SWEEPS):
        where = {item: i for column in columns for i, item in enumerate(column)}
        order = range(1, len(columns)) if sweep % 2 == 0 else range(len(columns) - 2, -1, -1)
        for r in order:
            near = before if sweep % 2 == 0 else after
            key = {item: sum(where[o] + d for o, d in near[item]) / len(near[item]) if near.get(item) else where[item]
                   for item in columns[r]}
            columns[r] = sorted(columns[r], key=lambda item: (key[item], where[item]))
            where.update({item: i for i, item in enumerate(columns[r])})
        count = _crossings(columns, links, where)
        if best_count is None or count < best_count:
            best, best_count = [list(c) for c in columns], count
    return best


def _fit(wanted: list[float], gaps: list[float]) -> list[float]:
    """Heights closest (least squares) to ``wanted`` with ``y[i+1] - y[i] >= gaps[i]`` (pool adjacent violators)."""
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    blocks: list[list[float]] = []  # [mean, count]
    for value in (w - o for w, o in zip(wanted, offsets, strict=True)):
        blocks.append([value, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m1, c1), (m2, c2) = blocks.pop(), blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    flat = [mean for mean, count in blocks for _ in range(int(count))]
    return [z + o for z, o in zip(flat, offsets, strict=True)]


@dataclass(frozen=True)
class Layout:
    """Node boxes by id, each edge's polyline (points where it crosses column borders), column borders."""

    boxes: dict[str, Box]
    paths: tuple[tuple[tuple[float, float], ...], ...]
    width: float
    height: float


def layout(graph: DataFlow) -> Layout:
    """Place ``graph``'s nodes and route its edges (see the module docstring)."""
    nodes = {n.id: n for n in graph.nodes}
    rank = _ranks(graph)
    chains, columns = _segments(graph, rank)
    links = [(a, b, _shift(graph.edges[k], nodes, b)) for k, chain in enumerate(chains)
             for a, b in zip(chain, chain[1:])]
    columns = _order(columns, links)
    size = {i: _size(nodes[i]) for i in nodes}
    height = {item: size[item][1] if item in size else 0.0 for column in columns for item in column}
    group = {item: nodes[item].cluster if item in nodes else "" for column in columns for item in column}
    y = {}
    for column in columns:
        for i, item in enumerate(column):
            y[item] = 0.0 if i == 0 else y[column[i - 1]] + _gap(column[i - 1], item, height, group)
    near: dict[Any, list[Any]] = {}
    for a, b, _ in links:
        near.setdefault(a, []).append(b)
        near.setdefault(b, []).append(a)
    for sweep in range(2 * SWEEPS):
        order = columns if sweep % 2 == 0 else columns[::-1]
        for column in order:
            wanted = [sum(y[o] for o in near[item]) / len(near[item]) if near.get(item) else y[item]
                      for item in column]
            gaps = [_gap(a, b, height, group) for a, b in zip(column, column[1:])]
            y.update(zip(column, _fit(wanted, gaps), strict=True))
    top = min(y[item] - height[item] / 2 for item in y)
    widths = [max([size[i][0] for i in column if i in size] + [0.0]) + 2 * PAD for column in columns]
    labels = {e.tail: text_width(e.label, EDGE_FONT) for e in graph.edges if e.label}
    gaps = [max(56.0, max([labels.get(i, 0.0) for i in column] + [0.0]) + 24) for column in columns]
    left = [MARGIN + sum(widths[:r]) + sum(gaps[:r]) for r in range(len(columns))]
    boxes = {i: Box(left[rank[i]] + widths[rank[i]] / 2, y[i] - top + TOP, *size[i]) for i in nodes}
    paths = []
    for k, chain in enumerate(chains):
        edge = graph.edges[k]
        start, end = _port(graph, edge, k, boxes, out=True), _port(graph, edge, k, boxes, out=False)
        points = [start, (left[rank[edge.tail]] + widths[rank[edge.tail]], start[1])]
        for dummy in chain[1:-1]:
            r, at = dummy[2], y[dummy] - top + TOP
            points += [(left[r], at), (left[r] + widths[r], at)]
        points += [(left[rank[edge.head]], end[1]), end]
        paths.append(tuple(points))
    width = left[-1] + widths[-1] + MARGIN
    bottom = max([b.y + b.h / 2 for b in boxes.values()] + [p[1] for path in paths for p in path])
    return Layout(boxes, tuple(paths), width, bottom + MARGIN)


def _shift(edge: Any, nodes: dict[str, Any], head: Any) -> float:
    if not edge.port or head != edge.head:
        return 0.0
    blocks = nodes[head].blocks
    return 0.8 * ((int(edge.port[1:]) // len(blocks[0]) + 0.5) / len(blocks) - 0.5)


def _gap(a: Any, b: Any, height: dict[Any, float], group: dict[Any, str]) -> float:
    """The least distance between the middles of neighbours ``a`` over ``b``: more between two gates' nodes,
    to leave room for their boxes; less between two edges passing through."""
    space = 10.0 if isinstance(a, tuple) and isinstance(b, tuple) else GAP
    return (height[a] + height[b]) / 2 + space + (20 if group[a] != group[b] else 0)


def _port(graph: DataFlow, edge: Any, k: int, boxes: dict[str, Box], out: bool) -> tuple[float, float]:
    """Where edge ``k`` leaves (``out``) or enters its node: spread down the node's side in the order of the
    far ends' heights; a concatenation's operand enters its own block."""
    node_id = edge.tail if out else edge.head
    box = boxes[node_id]
    node = next(n for n in graph.nodes if n.id == node_id)
    if not out and edge.port:
        block = int(edge.port[1:]) // len(node.blocks[0])
        dy = (block + 0.5) * BLOCK_H - box.h / 2
    elif out and node.blocks:  # a concatenation's value is the whole [h; x]: every edge leaves its middle
        dy = 0.0
    else:
        mine = [j for j, e in enumerate(graph.edges) if (e.tail if out else e.head) == node_id]
        far = {j: boxes[graph.edges[j].head if out else graph.edges[j].tail].y for j in mine}
        mine.sort(key=lambda j: (far[j], j))
        step = min(10.0, 0.6 * box.h / max(1, len(mine) - 1))
        dy = (mine.index(k) - (len(mine) - 1) / 2) * step
    half = (box.w / 2) if not box.circle else (max(0.0, (box.w / 2) ** 2 - dy ** 2)) ** 0.5
    return (box.x + half if out else box.x - half), box.y + dy
