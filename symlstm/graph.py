"""The data flow of a cell, drawn from its own equations as a Graphviz graph.

:func:`cell_graph` walks the expression tree of every assignment of a
:class:`~symlstm.spec.CellSpec` and makes

* a node for each input, previous state and parameter (``x_t``, ``h_{t-1}``, ``W_f``),
* a node for each distinct operation (``·`` product, ``+``, ``⊙``, ``σ``, ``tanh``, the
  concatenation ``[h_{t-1}; x_t]`` drawn as one tall vector of blocks, …) — the same
  sub-expression used by several equations is one node, so the four gates share one ``[h; x]``,
* an edge from each operand to its operation, labelled with the name the cell gives the value
  (``a_{f,t}``, ``f_t``), and a node for each new state (``c_t``, ``h_t``).

Nothing is specific to the LSTM: any cell written with :class:`~symlstm.spec.CellBuilder` is drawn,
and each gate's own operations and parameters are boxed together.  :func:`to_dot` writes the graph
as DOT text (pure and deterministic); :func:`write_graph` runs Graphviz's ``dot`` to SVG/PNG and,
when ``dot`` is not installed, draws the SVG with :mod:`symlstm.graph_svg`'s simpler layout and says so.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sympy as sp
from sympy import BlockMatrix, MatrixSymbol
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symlstm.files import make_folder, produce, write_text
from symlstm.functions import entry, is_known, scalar_function
from symlstm.graph_dot import to_dot
from symlstm.graph_svg import graph_svg, write_graph_svg
from symlstm.printing.text import text
from symlstm.render import TIMEOUT, RenderResult, run_tool, which
from symlstm.spec import CellSpec

#: How each operation is labelled; ``{s}`` is replaced by its scalar arguments (``-1·``, ``^2``).
OPERATORS: dict[type, str] = {
    sp.MatAdd: "+", sp.MatMul: "{s}·", sp.HadamardProduct: "⊙", sp.Transpose: "ᵀ", sp.Inverse: "⁻¹",
    sp.MatPow: "^{s}", sp.HadamardPower: "∘{s}", sp.KroneckerProduct: "⊗", sp.Trace: "tr",
}
CONSTANTS: dict[type, str] = {sp.OneMatrix: "𝟏", sp.ZeroMatrix: "0", sp.Identity: "I"}
#: Fill colours: inputs, then one per state (h, c, …), parameters, operations by family.
INPUT_COLOUR, STATE_COLOURS = "#fde3cc", ("#dbe9f6", "#e4dcf2", "#dff0d8", "#f6dbe9")



@dataclass(frozen=True)
class Node:
    """A node: ``kind`` is input, state, param, constant, op or output; ``name`` is the LaTeX name
    of a quantity (``W_f``, ``h_{t-1}``) or an operation's label (``·``, ``+``, ``⊙``, ``σ``, ``[ ; ]``);
    ``op`` is the SymPy class of an operation; ``blocks`` the block names of a concatenation."""

    id: str
    kind: str
    name: str
    op: str = ""
    cluster: str = ""
    colour: str = ""
    blocks: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Edge:
    """``tail → head``; ``label`` names the value (``f_t``); ``port`` is the concatenation block it feeds."""

    tail: str
    head: str
    label: str = ""
    port: str = ""


@dataclass(frozen=True)
class CellGraph:
    """The data flow of a cell; ``clusters`` are ``(gate key, title)`` pairs."""

    name: str
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[tuple[str, str], ...]

    def find(self, name: str, kind: str | None = None) -> list[Node]:
        """Nodes called ``name`` (and of ``kind``, when given), in order."""
        return [n for n in self.nodes if n.name == name and (kind is None or n.kind == kind)]

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def operands(self, node: Node) -> list[Node]:
        """The nodes with an edge into ``node``, in edge order."""
        return [self.node(e.tail) for e in self.edges if e.head == node.id]

    def users(self, node: Node) -> list[Node]:
        """The nodes ``node`` has an edge to, in edge order."""
        return [self.node(e.head) for e in self.edges if e.tail == node.id]

    def dot(self) -> str:
        return to_dot(self)

    def _repr_svg_(self) -> str:
        if not which("dot"):
            return graph_svg(self)  # symlstm's own layout
        done = subprocess.run(["dot", "-Tsvg"], input=self.dot(), capture_output=True, text=True, timeout=TIMEOUT)
        return done.stdout if done.returncode == 0 else graph_svg(self)


def _function_name(node: ElementwiseApplyFunction) -> str:
    function = scalar_function(node)
    return entry(function).text() if is_known(function) else str(function)


def _is_matrix(arg: sp.Basic) -> bool:
    return bool(getattr(arg, "is_Matrix", False))


class _Builder:
    def __init__(self, spec: CellSpec):
        self.spec = spec
        self.nodes: dict[str, Node] = {}
        self.keys: dict[sp.Basic, str] = {}
        self.edges: list[tuple[str, str, str]] = []  # (tail, head, port)
        self.producer: dict[MatrixSymbol, str] = {}
        self.value_name: dict[str, str] = {}
        self.used_in: dict[str, set[int]] = {}
        self.step = 0
        kinds = [("input", v, INPUT_COLOUR) for v in spec.inputs]
        kinds += [("state", s.previous, STATE_COLOURS[i % len(STATE_COLOURS)]) for i, s in enumerate(spec.states)]
        kinds += [("param", v, "") for v in spec.params]
        for kind, var, colour in kinds:
            self.keys[var.symbol] = self.add(Node("", kind, var.symbol.name, colour=colour))

    def add(self, node: Node) -> str:
        node_id = f"n{len(self.nodes)}"
        self.nodes[node_id] = Node(node_id, node.kind, node.name, node.op, node.cluster, node.colour, node.blocks)
        return node_id

    def visit(self, expr: sp.Basic) -> str:
        if isinstance(expr, MatrixSymbol) and expr in self.producer:
            return self.producer[expr]  # a value named earlier: its operation is not used again here
        if expr in self.keys:
            node_id = self.keys[expr]
        else:
            node_id = self.keys[expr] = self.operation(expr)
        self.used_in.setdefault(node_id, set()).add(self.step)
        return node_id

    def operation(self, expr: sp.Basic) -> str:
        if isinstance(expr, MatrixSymbol):
            return self.add(Node("", "symbol", expr.name))
        if type(expr) in CONSTANTS:
            return self.add(Node("", "constant", CONSTANTS[type(expr)]))
        if isinstance(expr, BlockMatrix):
            grid = expr.blocks
            operands = [grid[i, j] for i in range(grid.rows) for j in range(grid.cols)]
            ids = [self.visit(block) for block in operands]
            names = tuple(tuple(self.block_name(grid[i, j]) for j in range(grid.cols)) for i in range(grid.rows))
            node_id = self.add(Node("", "op", "[ ; ]", "BlockMatrix", blocks=names))
            self.edges.extend((tail, node_id, f"b{k}") for k, tail in enumerate(ids))
            return node_id
        op = type(expr).__name__
        if isinstance(expr, ElementwiseApplyFunction):  # SymPy's node or symlstm's (functions/nodes.py)
            label, operands, op = _function_name(expr), [expr.expr], "ElementwiseApplyFunction"
        elif (complement := _one_minus(expr)) is not None:  # 1 − f: one node, not (−1·f) + 𝟏
            label, operands = "1 −", [complement]
        else:
            operands = [arg for arg in expr.args if _is_matrix(arg)]
            scalars = " ".join(text(arg) for arg in expr.args if not _is_matrix(arg)).replace("-", "−")
            label = OPERATORS.get(type(expr), type(expr).__name__).replace("{s}", scalars)
        ids = [self.visit(arg) for arg in operands]
        node_id = self.add(Node("", "op", label, op))
        self.edges.extend((tail, node_id, "") for tail in ids)
        return node_id

    def block_name(self, block: sp.Basic) -> str:
        return block.name if isinstance(block, MatrixSymbol) else text(block)

    def build(self) -> CellGraph:
        spec = self.spec
        for self.step, assignment in enumerate(spec.assignments):
            root = self.visit(assignment.rhs)
            self.producer[assignment.lhs] = root
            self.value_name.setdefault(root, assignment.lhs.name)
        finals = [s.current.symbol for s in spec.states]
        read = set().union(*(a.rhs.atoms(MatrixSymbol) for a in spec.assignments))
        finals += [a.lhs for a in spec.assignments if a.lhs not in read and a.lhs not in finals]  # never read
        outputs = []
        for symbol in finals:
            state = next((i for i, s in enumerate(spec.states) if s.current.symbol == symbol), None)
            colour = STATE_COLOURS[state % len(STATE_COLOURS)] if state is not None else "#ffffff"
            out = self.add(Node("", "output", symbol.name, colour=colour))
            outputs.append((self.producer[symbol], out))
        edges = [Edge(t, h, self.value_name.get(t, ""), p) for t, h, p in self.edges]
        edges += [Edge(t, h) for t, h in outputs]
        return CellGraph(spec.name, spec.title, tuple(self.clustered()), tuple(edges), self.cluster_titles())

    def gate_steps(self) -> dict[str, set[int]]:
        index = {a.lhs: i for i, a in enumerate(self.spec.assignments)}
        return {g.key: {index[g.preactivation], index[g.activation]} for g in self.spec.gates}

    def clustered(self) -> list[Node]:
        gates = self.gate_steps()
        nodes = []
        for node in self.nodes.values():
            used = self.used_in.get(node.id, set())
            key = next((k for k, steps in gates.items() if used and used <= steps), "")
            if node.kind not in ("op", "param", "constant"):
                key = ""
            nodes.append(Node(node.id, node.kind, node.name, node.op, key, node.colour, node.blocks))
        return nodes

    def cluster_titles(self) -> tuple[tuple[str, str], ...]:
        docs = {a.lhs: a.doc for a in self.spec.assignments}
        return tuple((g.key, docs.get(g.activation) or g.key) for g in self.spec.gates)


def cell_graph(spec: CellSpec) -> CellGraph:
    """The data-flow graph of ``spec``, read from its assignments (see the module docstring)."""
    return _Builder(spec).build()


def _one_minus(expr: sp.Basic) -> sp.MatrixExpr | None:
    """``f`` when ``expr`` is ``𝟏 − f`` (a sum of the all-ones matrix and a negated term), else None."""
    if not isinstance(expr, sp.MatAdd) or len(expr.args) != 2:
        return None
    ones = [a for a in expr.args if isinstance(a, sp.OneMatrix)]
    rest = [a for a in expr.args if not isinstance(a, sp.OneMatrix)]
    if len(ones) == 1 and len(rest) == 1 and rest[0].could_extract_minus_sign():
        return -rest[0]
    return None


def write_graph(cell: CellSpec | CellGraph, out_dir: str | Path, stem: str, *,
                formats: Sequence[str] = ("svg", "png"), dpi: int = 110) -> RenderResult:
    """Write ``out_dir/stem.dot`` and ``stem.svg``/``stem.png`` (drawn by :mod:`symlstm.graph_svg` without Graphviz).

    Never raises for a missing or failing ``dot``: ``RenderResult.note`` says what happened.
    """
    if not stem or "/" in stem or "\\" in stem:
        raise ValueError(f"stem must be a plain file name without directories, got {stem!r}")
    unknown = [f for f in formats if f not in ("svg", "png")]
    if unknown:
        raise ValueError(f"unknown graph format(s) {unknown}; choose from ['svg', 'png']")
    graph = cell if isinstance(cell, CellGraph) else cell_graph(cell)
    out = make_folder(out_dir)
    source = write_text(out / f"{stem}.dot", to_dot(graph))
    if not which("dot"):
        return write_graph_svg(graph, out, stem, formats, dpi, written=(source,))
    files = [source]
    for kind in formats:
        target = out / f"{stem}.{kind}"
        extra = [f"-Gdpi={dpi}"] if kind == "png" else []
        command = ["dot", f"-T{kind}", *extra, str(source), "-o"]
        failed = produce(target, lambda temp, command=command: run_tool([*command, str(temp)]))
        if failed:
            return RenderResult(tuple(files), "dot", f"dot could not draw {target.name}: {failed}")
        files.append(target)
    return RenderResult(tuple(files), "dot")
