"""graph: the cell's data flow has exactly the nodes and edges its equations imply (worked out by hand)."""

import shutil
import struct
import xml.etree.ElementTree as ET

import pytest
import sympy as sp

from symlstm.algebra import add, hadamard
from symlstm.builder import CellBuilder
from symlstm.cells import cell, gru, known_cells
from symlstm.functions import Sigmoid, Tanh
from symlstm.graph import cell_graph, to_dot, write_graph

HAVE_DOT = shutil.which("dot") is not None
GATES = {"i": "σ", "f": "σ", "g": "tanh", "o": "σ"}


@pytest.fixture(scope="module")
def lstm():
    return cell_graph(cell("lstm"))


def only(nodes):
    assert len(nodes) == 1, nodes
    return nodes[0]


def names(nodes):
    return sorted(n.name for n in nodes)


def edge(graph, tail, head):
    return only([e for e in graph.edges if e.tail == tail.id and e.head == head.id])


def test_lstm_leaves_and_outputs(lstm):
    assert names(n for n in lstm.nodes if n.kind == "input") == ["x_t"]
    assert names(n for n in lstm.nodes if n.kind == "state") == ["c_{t-1}", "h_{t-1}"]
    assert names(n for n in lstm.nodes if n.kind == "param") == sorted(f"{p}_{k}" for p in "Wb" for k in GATES)
    assert names(n for n in lstm.nodes if n.kind == "output") == ["c_t", "h_t"]


def test_lstm_one_concatenation_of_h_over_x(lstm):
    concat = only([n for n in lstm.nodes if n.op == "BlockMatrix"])
    assert concat.blocks == (("h_{t-1}",), ("x_t",))  # one tall vector: h on top of x
    into = sorted((e.port, lstm.node(e.tail).name) for e in lstm.edges if e.head == concat.id)
    assert into == [("b0", "h_{t-1}"), ("b1", "x_t")]
    assert names(lstm.users(concat)) == ["·"] * 4  # shared by the four gates


@pytest.mark.parametrize(("key", "function"), GATES.items())
def test_each_gate_is_W_times_concat_plus_b_then_its_nonlinearity(lstm, key, function):
    W, b = only(lstm.find(f"W_{key}", "param")), only(lstm.find(f"b_{key}", "param"))
    concat = only([n for n in lstm.nodes if n.op == "BlockMatrix"])
    product = only(lstm.users(W))
    assert product.name == "·" and names(lstm.operands(product)) == names([W, concat])
    affine = only(lstm.users(product))
    assert affine.name == "+" and names(lstm.operands(affine)) == names([product, b])
    assert only(lstm.users(b)) == affine
    nonlinearity = only(lstm.users(affine))
    assert nonlinearity.name == function and nonlinearity.op == "ElementwiseApplyFunction"
    assert edge(lstm, affine, nonlinearity).label == f"a_{{{key},t}}"
    assert {e.label for e in lstm.edges if e.tail == nonlinearity.id} == {f"{key}_t"}
    assert {product.cluster, affine.cluster, nonlinearity.cluster, W.cluster, b.cluster} == {key}


def gate_output(graph, key):
    W = only(graph.find(f"W_{key}", "param"))
    return only(graph.users(only(graph.users(only(graph.users(W))))))


def test_cell_state_and_hidden_state_updates(lstm):
    f, i, g, o = (gate_output(lstm, k) for k in "figo")
    c_prev = only(lstm.find("c_{t-1}", "state"))
    # c_t = f ⊙ c_{t-1} + i ⊙ g
    forget = only([n for n in lstm.users(f) if n.name == "⊙"])
    assert names(lstm.operands(forget)) == names([f, c_prev])
    write = only([n for n in lstm.users(i) if n.name == "⊙"])
    assert names(lstm.operands(write)) == names([i, g])
    c_sum = only(lstm.users(forget))
    assert c_sum.name == "+" and {n.id for n in lstm.operands(c_sum)} == {forget.id, write.id}
    assert names(lstm.users(c_sum)) == ["c_t", "tanh"]
    squash = only([n for n in lstm.users(c_sum) if n.name == "tanh"])
    assert edge(lstm, c_sum, squash).label == "c_t"
    # h_t = o ⊙ tanh(c_t)
    h_product = only(lstm.users(squash))
    assert h_product.name == "⊙" and {n.id for n in lstm.operands(h_product)} == {o.id, squash.id}
    assert [n.name for n in lstm.users(h_product)] == ["h_t"]
    assert not {c_sum.cluster, h_product.cluster, squash.cluster} - {""}


def test_lstm_counts(lstm):
    # 3 inputs/states + 8 params + [h; x] + 4 × (·, +, φ) + 3 ⊙ + 1 + + 1 tanh + 2 outputs
    assert len(lstm.nodes) == 3 + 8 + 1 + 12 + 3 + 1 + 1 + 2
    # into [h; x] 2, into each · 2, each + 2, each φ 1, three ⊙ 2 each, c's + 2, tanh 1, outputs 2
    assert len(lstm.edges) == 2 + 4 * (2 + 2 + 1) + 6 + 2 + 1 + 2


def test_dot_text_is_deterministic_and_reads_like_the_math(lstm):
    text = to_dot(lstm)
    assert text == to_dot(cell_graph(cell("lstm")))
    assert text.startswith('digraph "lstm" {') and "rankdir=LR" in text
    assert "<I>W</I><SUB>f</SUB>" in text and "<I>h</I><SUB>t−1</SUB>" in text
    assert "label=<σ>" in text and "label=<tanh>" in text and "label=<⊙>" in text
    assert text.count('subgraph "cluster_') == 4 and "label=<forget gate>" in text
    for node in lstm.nodes:
        assert text.count(f"  {node.id} [") == 1  # every node declared once


def elman():
    b = CellBuilder("rnn", "Elman RNN")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x = b.input("x_t", m, "input")
    h = b.state("h", n, "hidden state")
    W, bias = b.param("W", n, n + m, "weight"), b.param("b", n, 1, "bias")
    b.update(h, b.gate("n", weight=W, concat=[h, x], bias=bias, function=Tanh, doc="candidate"))  # h_t = n_t
    return b.build()


def test_custom_cell_elman_rnn():
    graph = cell_graph(elman())
    expected_nodes = {("input", "x_t"), ("state", "h_{t-1}"), ("param", "W"), ("param", "b"),
                      ("op", "[ ; ]"), ("op", "·"), ("op", "+"), ("op", "tanh"), ("output", "h_t")}
    assert {(n.kind, n.name) for n in graph.nodes} == expected_nodes and len(graph.nodes) == 9
    pairs = {(graph.node(e.tail).name, graph.node(e.head).name, e.label) for e in graph.edges}
    assert pairs == {("h_{t-1}", "[ ; ]", ""), ("x_t", "[ ; ]", ""), ("W", "·", ""), ("[ ; ]", "·", ""),
                     ("·", "+", ""), ("b", "+", ""), ("+", "tanh", "a_{n,t}"), ("tanh", "h_t", "")}


def gru_like():
    b = CellBuilder("gru", "GRU-like")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x = b.input("x_t", m, "input")
    h = b.state("h", n, "hidden state")
    Wz, bz = b.param("W_z", n, n + m, "update weight"), b.param("b_z", n, 1, "update bias")
    Wn, bn = b.param("W_n", n, n + m, "candidate weight"), b.param("b_n", n, 1, "candidate bias")
    z = b.gate("z", weight=Wz, concat=[h, x], bias=bz, function=Sigmoid, doc="update gate")
    cand = b.gate("n", weight=Wn, concat=[h, x], bias=bn, function=Tanh, doc="candidate")
    b.update(h, add(hadamard(add(sp.OneMatrix(n, 1), -z), h), hadamard(z, cand)))
    return b.build()


def test_one_minus_a_gate_is_one_node_not_a_negation_plus_ones():  # issue 16 #8, item 4
    graph = cell_graph(gru_like())
    assert not graph.find("𝟏", "constant") and not [n for n in graph.nodes if n.name == "−1·"]
    z = gate_output(graph, "z")
    complement = only([n for n in graph.nodes if n.name == "1 −"])
    assert names(graph.operands(complement)) == [z.name]
    product = only(graph.users(complement))
    assert product.name == "⊙" and names(graph.operands(product)) == sorted([complement.name, "h_{t-1}"])
    assert names(n for n in graph.nodes if n.kind == "output") == ["h_t"]
    assert "1 −" in to_dot(graph)


def test_a_sum_with_ones_that_is_not_one_minus_keeps_its_constant():
    b = CellBuilder("plus_one", "h + 1")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h = b.input("x_t", m, "input"), b.state("h", n, "state")
    W, c = b.param("W", n, n + m, "w"), b.param("c", n, 1, "bias")
    g = b.gate("g", weight=W, concat=[h, x], bias=c, function=Tanh, doc="g")
    b.update(h, add(g, sp.OneMatrix(n, 1)))
    graph = cell_graph(b.build())
    assert only(graph.find("𝟏", "constant")) and not [n for n in graph.nodes if n.name == "1 −"]


def test_edges_leave_the_whole_concatenation(lstm):
    concat = only([n for n in lstm.nodes if n.op == "BlockMatrix"])
    out = [line.strip() for line in to_dot(lstm).splitlines() if line.strip().startswith(f"{concat.id}")]
    out = [line for line in out if "->" in line]
    assert len(out) == 4 and all(line.startswith(f"{concat.id}:e ->") for line in out)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed")
def test_write_graph_svg_and_png(tmp_path):
    result = write_graph(cell("lstm"), tmp_path, "lstm-graph")
    assert result.ok and result.engine == "dot" and result.note == ""
    assert [p.name for p in result.files] == ["lstm-graph.dot", "lstm-graph.svg", "lstm-graph.png"]
    svg = ET.parse(tmp_path / "lstm-graph.svg").getroot()
    width, height = (float(svg.attrib[k].removesuffix("pt")) for k in ("width", "height"))
    assert width > 300 and height > 200
    shown = "".join(svg.itertext())
    assert all(word in shown for word in ("σ", "tanh", "⊙", "forget gate"))
    png_w, png_h = png_size(tmp_path / "lstm-graph.png")
    assert abs(png_w - width * 110 / 72) < 3 and abs(png_h - height * 110 / 72) < 3  # dpi=110, 72 pt per inch
    assert cell_graph(cell("lstm"))._repr_svg_().lstrip().startswith("<?xml")


def test_write_graph_without_dot_writes_the_dot_file_and_its_own_svg(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    result = write_graph(elman(), tmp_path, "rnn")
    assert [p.name for p in result.files] == ["rnn.dot", "rnn.svg"] and result.engine == "svg"
    assert "dot is not installed" in result.note and "\n" not in result.note
    assert len(ET.parse(tmp_path / "rnn.svg").getroot().findall(".//{http://www.w3.org/2000/svg}circle")) == 3
    assert (tmp_path / "rnn.dot").read_text().startswith('digraph "rnn"')
    assert cell_graph(elman())._repr_svg_().lstrip().startswith("<svg")  # symlstm's own layout


def test_write_graph_rejects_bad_names(tmp_path):
    with pytest.raises(ValueError, match="stem"):
        write_graph(elman(), tmp_path, "a/b")
    with pytest.raises(ValueError, match="pdf"):
        write_graph(elman(), tmp_path, "rnn", formats=("pdf",))


def built_in_cells():
    variants = [dict(peephole=True), dict(cifg=True), dict(proj_size=2), dict(peephole=True, cifg=True, proj_size=2)]
    return [cell(name) for name in known_cells()] + [cell("lstm", **v) for v in variants] + [gru(reset_after=False)]


@pytest.mark.parametrize("spec", built_in_cells(), ids=lambda s: s.name)
def test_every_built_in_cell_is_drawn_from_its_declarations(spec, tmp_path):
    graph = cell_graph(spec)
    declared = {v.symbol.name for v in spec.inputs + spec.params} | {s.previous.symbol.name for s in spec.states}
    leaves = {n.name for n in graph.nodes if n.kind in ("input", "state", "param")}
    assert leaves == declared
    assert {n.name for n in graph.nodes if n.kind == "output"} == {s.current.symbol.name for s in spec.states}
    for node in graph.nodes:  # every leaf is used, every operation has operands and feeds something
        if node.kind != "output":
            assert graph.users(node), node
        if node.kind == "op":
            assert graph.operands(node), node
    for gate in spec.gates:  # each gate's weight reaches its pre-activation's operation through one product
        W = only(graph.find(gate.weight.name, "param"))
        assert [n.name for n in graph.users(W)] == ["·"] and W.cluster == gate.key
    if HAVE_DOT:
        assert write_graph(graph, tmp_path, spec.name).note == ""
