"""graph_svg: without Graphviz, write_graph still draws the cell, legibly (read back from the SVG itself)."""

import itertools
import re
import shutil
import struct
import xml.etree.ElementTree as ET

import pytest

import symlstm.graph
from symlstm.cells import cell, gru, known_cells
from symlstm.graph import cell_graph, write_graph
from symlstm.graph_svg import graph_svg

SVG = "{http://www.w3.org/2000/svg}"
HAVE_RSVG = shutil.which("rsvg-convert") is not None


def cells():
    variants = [dict(peephole=True), dict(cifg=True), dict(proj_size=2)]
    return [cell(name) for name in known_cells()] + [cell("lstm", **v) for v in variants] + [gru(reset_after=False)]


@pytest.fixture
def no_dot(monkeypatch):
    """Graphviz's dot is missing; every other tool is where it is."""
    monkeypatch.setattr(symlstm.graph, "which", lambda tool: None if tool == "dot" else shutil.which(tool))


def drawn(svg_text):
    root = ET.fromstring(svg_text)
    nodes = {g.attrib["id"]: g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == "node"}
    edges = [g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == "edge"]
    return root, nodes, edges


def shown(element):
    """The text a reader sees (subscripts run on: ``a_{f,t}`` reads ``af,t``)."""
    return "".join(element.itertext()).replace("\u200b", "")


def bbox(group):
    """(left, top, right, bottom) of a node's rectangles and circles."""
    boxes = []
    for shape in group:
        a = {k: float(v) for k, v in shape.attrib.items() if k in ("x", "y", "width", "height", "cx", "cy", "r")}
        if shape.tag == f"{SVG}rect":
            boxes.append((a["x"], a["y"], a["x"] + a["width"], a["y"] + a["height"]))
        elif shape.tag == f"{SVG}circle":
            boxes.append((a["cx"] - a["r"], a["cy"] - a["r"], a["cx"] + a["r"], a["cy"] + a["r"]))
    assert boxes, ET.tostring(group)
    return tuple(f(b[i] for b in boxes) for i, f in enumerate((min, min, max, max)))


def path_points(d, steps=12):
    """Points along an SVG path of M, L and C commands (cubic curves sampled at ``steps`` points)."""
    tokens = re.findall(r"[MLC]|-?[\d.]+", d)
    points, i, command = [], 0, ""
    while i < len(tokens):
        if tokens[i] in "MLC":
            command, i = tokens[i], i + 1
            continue
        count = 6 if command == "C" else 2
        values = [float(t) for t in tokens[i:i + count]]
        i += count
        if command == "C":
            (x0, y0), (x1, y1, x2, y2, x3, y3) = points[-1], values
            for s in range(1, steps + 1):
                t = s / steps
                w = ((1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3)
                points.append((w[0] * x0 + w[1] * x1 + w[2] * x2 + w[3] * x3,
                               w[0] * y0 + w[1] * y1 + w[2] * y2 + w[3] * y3))
        else:
            points.append((values[0], values[1]))
    return points


@pytest.mark.parametrize("spec", cells(), ids=lambda s: s.name)
def test_without_dot_write_graph_draws_every_node_and_edge_once(spec, tmp_path, no_dot):
    graph = cell_graph(spec)
    result = write_graph(graph, tmp_path, "g")
    expected = ["g.dot", "g.svg"] + (["g.png"] if HAVE_RSVG else [])
    assert [p.name for p in result.files] == expected and result.engine == "svg"
    assert "dot is not installed" in result.note and "simpler layout" in result.note and "\n" not in result.note
    text = (tmp_path / "g.svg").read_text(encoding="utf-8")
    root, nodes, edges = drawn(text)
    assert sorted(nodes) == sorted(n.id for n in graph.nodes)
    pairs = sorted((g.attrib["data-tail"], g.attrib["data-head"]) for g in edges)
    assert pairs == sorted((e.tail, e.head) for e in graph.edges)
    assert all(len(g.findall(f"{SVG}path")) == 1 for g in edges)


@pytest.mark.parametrize("spec", cells(), ids=lambda s: s.name)
def test_nodes_inside_the_picture_apart_and_edges_run_left_to_right_around_them(spec):
    graph = cell_graph(spec)
    root, nodes, edges = drawn(graph_svg(graph))
    left, top, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert (float(root.attrib["width"]), float(root.attrib["height"])) == (width, height)
    boxes = {i: bbox(g) for i, g in nodes.items()}
    for x0, y0, x1, y1 in boxes.values():
        assert left <= x0 < x1 <= left + width and top <= y0 < y1 <= top + height
    for (a, p), (b, q) in itertools.combinations(boxes.items(), 2):
        apart = p[2] <= q[0] or q[2] <= p[0] or p[3] <= q[1] or q[3] <= p[1]
        assert apart, (graph.node(a).name, graph.node(b).name)
    for g in edges:
        path = g.find(f"{SVG}path")
        assert path.attrib["marker-end"] == "url(#arrow)"
        points = path_points(path.attrib["d"])
        tail, head = boxes[g.attrib["data-tail"]], boxes[g.attrib["data-head"]]
        (sx, sy), (ex, ey) = points[0], points[-1]
        assert abs(sx - tail[2]) < 0.2 or tail[0] < sx <= tail[2]  # leaves from the tail's right side
        assert tail[1] <= sy <= tail[3] and head[1] <= ey <= head[3]
        assert head[0] - 0.2 <= ex < (head[0] + head[2]) / 2  # and enters the head's left half
        assert points[-2][0] < ex and points[-2][1] == ey  # the last stretch points right, level: so does the arrow
        assert all(x1 <= x2 + 1e-6 for (x1, _), (x2, _) in zip(points, points[1:]))  # never runs backwards
        for node_id, (x0, y0, x1, y1) in boxes.items():
            if node_id not in (g.attrib["data-tail"], g.attrib["data-head"]):
                inside = [p for p in points if x0 + 1 < p[0] < x1 - 1 and y0 + 1 < p[1] < y1 - 1]
                assert not inside, (graph.node(node_id).name, g.attrib)


def test_lstm_read_back_from_the_picture(tmp_path, no_dot):
    write_graph(cell("lstm"), tmp_path, "lstm")
    root, nodes, edges = drawn((tmp_path / "lstm.svg").read_text(encoding="utf-8"))
    name = {i: shown(g) for i, g in nodes.items()}
    into = {i: sorted(name[e.attrib["data-tail"]] for e in edges if e.attrib["data-head"] == i) for i in nodes}
    (c_prev,) = [i for i in nodes if name[i] == "ct−1"]
    (forget,) = [e.attrib["data-head"] for e in edges if e.attrib["data-tail"] == c_prev]
    assert name[forget] == "⊙" and into[forget] == ["ct−1", "σ"]  # f_t ⊙ c_{t-1}
    (sigma,) = [i for i in nodes if name[i] == "σ" and any(
        e.attrib["data-tail"] == i and e.attrib["data-head"] == forget for e in edges)]
    def tails(head):
        return [e.attrib["data-tail"] for e in edges if e.attrib["data-head"] == head]

    (affine,) = tails(sigma)
    assert name[affine] == "+" and into[affine] == ["bf", "·"]  # the forget gate's σ(W_f·[h; x] + b_f)
    (product,) = [t for t in tails(affine) if name[t] == "·"]
    assert into[product] == ["Wf", "ht−1xt"]  # W_f times the one tall vector [h_{t-1}; x_t]
    assert sorted(name.values()).count("tanh") == 2 and sorted(name.values()).count("⊙") == 3
    labels = sorted(shown(e.find(f"{SVG}text")) for e in edges if e.find(f"{SVG}text") is not None)
    assert labels == sorted(["ai,t", "af,t", "ag,t", "ao,t", "it", "ft", "gt", "ot", "ct"])  # each value named once
    assert {name[i] for i in nodes} >= {"xt", "ht−1", "ct−1", "ht", "ct"}


def test_the_picture_is_the_same_bytes_every_time(tmp_path, no_dot):
    for folder in ("a", "b"):
        write_graph(cell("lstm", peephole=True), tmp_path / folder, "p", formats=("svg",))
    first, again = ((tmp_path / folder / "p.svg").read_bytes() for folder in ("a", "b"))
    assert first == again == graph_svg(cell_graph(cell("lstm", peephole=True))).encode()
    assert first.startswith(b"<svg ") and not (tmp_path / "a" / "p.png").exists()


@pytest.mark.skipif(not HAVE_RSVG, reason="rsvg-convert is not installed")
def test_png_at_the_asked_dpi(tmp_path, no_dot):
    result = write_graph(gru(), tmp_path, "gru", dpi=144)
    assert [p.name for p in result.files] == ["gru.dot", "gru.svg", "gru.png"]
    root = ET.parse(tmp_path / "gru.svg").getroot()
    data = (tmp_path / "gru.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    assert abs(w - 2 * float(root.attrib["width"])) <= 2 and abs(h - 2 * float(root.attrib["height"])) <= 2  # 144/72


def test_without_dot_or_rsvg_convert_the_svg_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    result = write_graph(cell("gru"), tmp_path, "gru")
    assert [p.name for p in result.files] == ["gru.dot", "gru.svg"]
    assert "rsvg-convert is not installed" in result.note and "\n" not in result.note
    ET.parse(tmp_path / "gru.svg")


def test_without_dot_every_edge_leaves_the_middle_of_the_whole_concatenation():  # issue 16 #8, item 4
    from symlstm.graph_layout import layout

    graph = cell_graph(cell("lstm"))
    concat = next(n for n in graph.nodes if n.op == "BlockMatrix")
    placed = layout(graph)
    box = placed.boxes[concat.id]
    starts = {placed.paths[k][0] for k, e in enumerate(graph.edges) if e.tail == concat.id}
    assert len(starts) == 1 and next(iter(starts))[1] == box.y  # one point, half-way down [h; x]
