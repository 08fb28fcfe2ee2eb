r"""How the parameters of a generated module hold the cell's symbolic parameters.

A PyTorch user has ``torch.nn.LSTMCell``'s ``state_dict``: ``weight_ih`` (4n, m), ``weight_hh``
(4n, n), ``bias_ih`` and ``bias_hh`` (4n,), the gates stacked i, f, g, o.  The stacked-gates
claim (:func:`symlstm.claims.stacked_gates`) says exactly how those hold the mathematics: gates
that read the same concatenation ``[u_1; u_2; …]`` are stacked in the cell's gate order, and

* ``A_t = [a_{i,t}; a_{f,t}; …]`` (the stacked pre-activations) ``= Σ_L W_L·u_L + b``,
* ``W_L = [W_{iL}; W_{fL}; …]`` for each block label ``L`` — the module parameter
  ``weight_ih`` for the block ``x`` and ``weight_hh`` for the block ``h``,
* ``b = [b_i; b_f; …] = bias_ih + bias_hh`` (PyTorch splits each ``b_k`` in two).

A parameter outside the gates that multiplies one of the stack's blocks and nothing else, with a
bias of its own beside that product (the GRU's ``W_{nx}·x_t + b_{in}`` and ``W_{nh}·h_{t-1} + b_{hn}``),
is *packed*: its rows follow the gates' rows in that block's module parameters, as
``torch.nn.GRUCell`` stacks ``weight_ih = [W_{rx}; W_{zx}; W_{nx}]`` and ``bias_hh = [b_{hr}; b_{hz};
b_{hn}]``.  Packing is storage only: the generated code reads each packed parameter as rows of the
module parameter (``W_nx = weights["weight_ih"][2*n:]``) and computes with it as before; the gates'
own rows are then named after their gates (``weight_ih_rz``).

Nothing here names the LSTM: gates, blocks, labels and order come from the cell's
:class:`~symlstm.spec.Gate` records.  Any other parameter of the cell keeps its own name (its
identifier) and shape.  A shared k×1 parameter is a 1-D array (k,).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy import MatAdd, MatMul, MatrixSymbol

from symlstm.codegen.printer import CodegenError
from symlstm.spec import CellSpec, Gate, Var


#: PyTorch's suffixes of a stacked weight and bias for the blocks labelled x and h (weight_ih, bias_hh).
TORCH_SUFFIX = {"x": "ih", "h": "hh"}


def stack_name(label: str) -> str:
    """The suffix of the module parameters for the block labelled ``label``: PyTorch's ih/hh, else the label."""
    return TORCH_SUFFIX.get(label, label)


@dataclass(frozen=True)
class Param:
    """A parameter of the generated module: ``name``, ``shape`` (SymPy sizes) and what it holds."""

    name: str
    shape: tuple[sp.Expr, ...]
    doc: str


@dataclass(frozen=True)
class Stack:
    """Gates that read one concatenation, stacked in the cell's gate order.

    ``preactivation`` is ``A_t`` and ``adjoint`` is ``δA_t`` (rows × 1); ``blocks[j]`` is the
    j-th concatenated vector (``h_{t-1}``, ``x_t``) and ``weights[j]`` the stacked weight that
    multiplies it (``weight_hh``, ``weight_ih``); ``bias`` is the stacked bias, the sum of the
    module parameters ``bias_params``; ``bounds[k]`` are the rows of gate ``k`` in the stack.
    """

    gates: tuple[Gate, ...]
    preactivation: MatrixSymbol
    adjoint: MatrixSymbol
    blocks: tuple[MatrixSymbol, ...]
    weights: tuple[MatrixSymbol, ...]
    bias: MatrixSymbol
    bias_params: tuple[str, ...]
    bounds: tuple[tuple[sp.Expr, sp.Expr], ...]

    @property
    def rows(self) -> sp.Expr:
        return self.bounds[-1][1]

    @property
    def keys(self) -> str:
        return "".join(g.key for g in self.gates)


@dataclass(frozen=True)
class Part:
    """Rows ``lo:hi`` of the module parameter ``param`` hold an internal parameter (``W_nx`` in ``weight_ih``)."""

    param: str
    lo: sp.Expr
    hi: sp.Expr


@dataclass(frozen=True)
class Layout:
    """The module parameters of ``cell``, its gate stacks, and the cell parameters kept as they are.

    ``parts`` maps the name of each internal parameter that is rows of a larger module parameter (a
    stack's ``weight_ih_rz``, ``bias_hh_rz``, a packed ``W_nx``) to those rows; ``packed[name]`` are the
    kept parameters packed below the gates' rows of the module parameter ``name``, in order.
    """

    cell: CellSpec
    params: tuple[Param, ...]
    stacks: tuple[Stack, ...]
    kept: tuple[Var, ...]
    parts: dict = field(default_factory=dict, hash=False)
    packed: dict = field(default_factory=dict, hash=False)
    #: Declared parameters only (:mod:`.declared`): each stack array built from the parameters, and back.
    assembled: dict = field(default_factory=dict, hash=False)
    scattered: dict = field(default_factory=dict, hash=False)

    def holder(self, name: str) -> str:
        """The module parameter that holds the internal parameter ``name`` (``weight_ih`` for ``W_nx``)."""
        return self.parts[name].param if name in self.parts else name

    def rows_of(self, name: str) -> list[str]:
        """The internal parameters the module parameter ``name`` holds, top to bottom (``[name]`` if none)."""
        return [inner for inner, part in self.parts.items() if part.param == name] or [name]

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise CodegenError(f"the module for {self.cell.name!r} has no parameter {name!r}")

    def size_sources(self) -> list[tuple[sp.Symbol, str, int]]:
        """For every size of the cell, a parameter and axis whose length is that size: ``(n, "weight_hh", 1)``."""
        sources = []
        for size in self.cell.size_symbols:
            found = [(p.name, axis) for p in self.params for axis, s in enumerate(p.shape) if s == size]
            if not found:
                raise CodegenError(f"no parameter of cell {self.cell.name!r} has a side of length {size}; "
                                   "the generated module could not read that size from its parameters")
            sources.append((size, *found[0]))
        return sources


def _group(cell: CellSpec) -> list[tuple[Gate, ...]]:
    """The gates of ``cell`` grouped by the concatenation they read, in the cell's gate order."""
    groups: dict = {}
    for gate in cell.gates:
        groups.setdefault(gate.concat, []).append(gate)
    return [tuple(g) for g in groups.values()]


def _parents(expr: sp.Basic, out: dict) -> dict:
    """For every subexpression of ``expr``, the expressions it is an argument of (one entry per occurrence)."""
    if not isinstance(expr, MatrixSymbol):
        for arg in expr.args:
            out.setdefault(arg, []).append(expr)
            _parents(arg, out)
    return out


def _packing(cell: CellSpec, groups: list[tuple[Gate, ...]], kept: list[Var]) -> dict:
    """``{(group, block): [(W, b), …]}``: kept parameters to pack below the gates' rows (module docstring).

    ``W`` appears once in the cell, as ``W·u`` with ``u`` a block of exactly one group, and that product is a
    term of a sum with exactly one term ``b`` that is a kept k×1 parameter used nowhere else and beside no
    other packed product.  Packing happens only when every block of the group gains the same number of rows,
    so the stacked weights keep equal row counts (Cho et al.'s GRU, whose ``W_{nh}`` multiplies ``r ⊙ h``,
    packs nothing).
    """
    parents: dict = {}
    for a in cell.assignments:
        _parents(a.rhs, parents)
    owner: dict = {}
    for number, gates in enumerate(groups):
        for j, block in enumerate(gates[0].concat.blocks):
            owner.setdefault(block, []).append((number, j))
    # roles, not shapes, tell a weight from a bias: at m = 1 the weight W_{nx} is n×1 too
    vectors = {v.symbol: v for v in kept if v.shape[1] == 1 and len(parents.get(v.symbol, ())) == 1
               and isinstance(parents[v.symbol][0], MatAdd)}
    packing: dict = {}
    for var in kept:
        uses = parents.get(var.symbol, [])
        if len(uses) != 1 or not isinstance(uses[0], MatMul) or uses[0].args[:1] != (var.symbol,):
            continue
        product = uses[0]
        if len(product.args) != 2 or len(owner.get(product.args[1], ())) != 1:
            continue
        sums = parents.get(product, [])
        if len(sums) != 1 or not isinstance(sums[0], MatAdd):
            continue
        biases = [vectors[term] for term in sums[0].args if term in vectors]
        if len(biases) == 1 and biases[0].shape[0] == var.shape[0]:
            packing.setdefault(owner[product.args[1]][0], []).append((var, biases[0]))
    claims: dict = {}  # a bias beside two packed products (tanh(W_cx·x + W_ch·h + b_c)) has no one place
    for pairs in packing.values():
        for _, b in pairs:
            claims[b] = claims.get(b, 0) + 1
    packing = {key: kept_pairs for key, pairs in packing.items()
               if (kept_pairs := [(w, b) for w, b in pairs if claims[b] == 1])}
    for number, gates in enumerate(groups):
        counts = {sum((w.shape[0] for w, _ in packing.get((number, j), ())), sp.Integer(0))
                  for j in range(len(gates[0].concat.blocks))}
        if len(counts) != 1:
            for j in range(len(gates[0].concat.blocks)):
                packing.pop((number, j), None)
    return packing


def _stack(cell: CellSpec, gates: tuple[Gate, ...], tag: str, packing: dict,
           torch: bool = True) -> tuple[Stack, list[Param], dict]:
    """The stack of ``gates``, its module parameters, and the rows each internal parameter has in them.

    ``packing[j]``: the kept ``(W, b)`` packed below the gates' rows of block ``j``'s weight and bias.
    """
    first = gates[0]
    blocks = tuple(first.concat.blocks)
    inputs = {v.symbol for v in cell.inputs}
    bounds, start = [], sp.Integer(0)
    for gate in gates:
        bounds.append((start, start + gate.preactivation.shape[0]))
        start = start + gate.preactivation.shape[0]
    rows = start
    keys = "".join(g.key for g in gates)
    # module order: blocks that are inputs first (weight_ih before weight_hh, as in PyTorch)
    order = sorted(range(len(blocks)), key=lambda j: (blocks[j] not in inputs, j))
    suffixes = [stack_name(label) + tag for label in first.labels]
    if torch and len(set(suffixes)) != len(suffixes):  # labels h and hh would both give weight_hh
        raise CodegenError(f"the blocks of gates {keys} are labelled {list(first.labels)}, which give their "
                           f"weights the same name(s) {sorted({f'weight_{s}' for s in suffixes if suffixes.count(s) > 1})}"
                           "; label the blocks differently")
    inner = f"_{keys}" if packing else ""  # packed: the gates' rows get a name of their own
    weights = tuple(MatrixSymbol(f"weight_{s}{inner}", rows, b.shape[0]) for s, b in zip(suffixes, blocks))
    bias_params = tuple(f"bias_{suffixes[j]}{inner}" for j in order)
    params, parts = [], {}
    totals = {j: rows + sum((w.shape[0] for w, _ in packing.get(j, ())), sp.Integer(0)) for j in order}
    for j in order:
        extra, total = packing.get(j, []), totals[j]
        pieces = [g.weight_blocks[j].name for g in gates] + [w.symbol.name for w, _ in extra]
        doc = f"[{'; '.join(pieces)}], gates {keys} stacked" + "".join(f", then {w.doc}" for w, _ in extra)
        params.append(Param(f"weight_{suffixes[j]}", (total, blocks[j].shape[0]), doc))
        if extra:
            parts[weights[j].name] = Part(f"weight_{suffixes[j]}", sp.Integer(0), rows)
            parts[bias_params[order.index(j)]] = Part(f"bias_{suffixes[j]}", sp.Integer(0), rows)
            lo = rows
            for w, b in extra:
                parts[w.ident] = Part(f"weight_{suffixes[j]}", lo, lo + w.shape[0])
                parts[b.ident] = Part(f"bias_{suffixes[j]}", lo, lo + w.shape[0])
                lo += w.shape[0]
    total_bias = " + ".join(f"bias_{suffixes[j]}" for j in order)
    for j in order:
        extra, total = packing.get(j, []), totals[j]
        doc = f"part of [{'; '.join(g.bias.name for g in gates)}] = {total_bias}"
        if extra:
            rows_code = str(rows).replace(" ", "")
            total_rows = " + ".join(f"bias_{suffixes[i]}[:{rows_code}]" for i in order)
            doc = (f"[:{rows_code}] is part of [{'; '.join(g.bias.name for g in gates)}] = {total_rows}"
                   + "".join(f", then {b.symbol.name} ({b.doc})" for _, b in extra))
        params.append(Param(f"bias_{suffixes[j]}", (total,), doc))
    # A_t = [a_{i,t}; a_{f,t}; …]: the stack's own name must differ from every name of the cell, including
    # its gates' (a one-gate stack would otherwise be named like its gate's pre-activation, a_{f,t}).
    taken = {v.symbol.name for v in cell.variables}
    base = first.preactivation.name.split("_")[0]
    bias = first.bias.name.split("_")[0] or "b"  # a bias named _s0 has no letter before its _
    if not tag and f"{base}_t" not in taken and bias not in taken:
        name = f"{base}_t"
    else:
        name, bias = f"{base.upper()}_{{{keys},t}}", f"{bias.upper()}_{{{keys}}}"
    if {name, bias} & taken:
        used = sorted({name, bias} & taken)
        raise CodegenError(f"cannot name the stack of gates {keys}: the cell already uses {used}")
    stack = Stack(gates, MatrixSymbol(name, rows, 1), MatrixSymbol(r"\delta " + name, rows, 1), blocks, weights,
                  MatrixSymbol(bias, rows, 1), bias_params, tuple(bounds))
    return stack, params, parts


def layout(cell: CellSpec) -> Layout:
    """The module parameters of a built-in ``cell`` (PyTorch's stacks) and its stacks; other cells: :mod:`.declared`."""
    if not cell.torch_layout:
        from symlstm.codegen.declared import declared_layout  # it builds on this module
        return declared_layout(cell)
    groups = _group(cell)
    absorbed = {g.weight for g in cell.gates} | {g.bias for g in cell.gates}
    kept = [v for v in cell.params if v.symbol not in absorbed]
    packing = _packing(cell, groups, kept)
    stacks, params, parts, packed = [], [], {}, {}
    for number, gates in enumerate(groups):
        labels = gates[0].labels
        if len(set(labels)) != len(labels):
            raise CodegenError(f"the blocks of {gates[0].concat} have repeated labels {labels}")
        mine = {j: pairs for (g, j), pairs in packing.items() if g == number}
        stack, stack_params, stack_parts = _stack(cell, gates, "" if len(groups) == 1 else f"_{number}", mine)
        stacks.append(stack)
        params += stack_params
        parts.update(stack_parts)
    for var in kept:
        if var.ident in parts:
            packed.setdefault(parts[var.ident].param, []).append(var)
            continue
        rows, cols = var.shape
        params.append(Param(var.ident, (rows,) if cols == 1 else (rows, cols), var.doc))
    names = [p.name for p in params]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise CodegenError(f"cell {cell.name!r} gives two module parameters the name(s) {clashes}")
    return Layout(cell, tuple(params), tuple(stacks), tuple(kept), parts,
                  {name: tuple(vs) for name, vs in packed.items()})
