r"""How the parameters of a generated module hold the cell's symbolic parameters.

A PyTorch user has ``torch.nn.LSTMCell``'s ``state_dict``: ``weight_ih`` (4n, m), ``weight_hh``
(4n, n), ``bias_ih`` and ``bias_hh`` (4n,), the gates stacked i, f, g, o.  The stacked-gates
claim (:func:`symlstm.claims.stacked_gates`) says exactly how those hold the mathematics: gates
that read the same concatenation ``[u_1; u_2; …]`` are stacked in the cell's gate order, and

* ``A_t = [a_{i,t}; a_{f,t}; …]`` (the stacked pre-activations) ``= Σ_L W_L·u_L + b``,
* ``W_L = [W_{iL}; W_{fL}; …]`` for each block label ``L`` — the module parameter
  ``weight_ih`` for the block ``x`` and ``weight_hh`` for the block ``h``,
* ``b = [b_i; b_f; …] = bias_ih + bias_hh`` (PyTorch splits each ``b_k`` in two).

Nothing here names the LSTM: gates, blocks, labels and order come from the cell's
:class:`~symlstm.spec.Gate` records.  A parameter of the cell that belongs to no gate keeps its
own name (its identifier) and shape.  A shared k×1 parameter is a 1-D array (k,).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy import MatrixSymbol

from symlstm.claims.stacking import stack_name
from symlstm.codegen.printer import CodegenError
from symlstm.spec import CellSpec, Gate, Var


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
class Layout:
    """The module parameters of ``cell``, its gate stacks, and the cell parameters kept as they are."""

    cell: CellSpec
    params: tuple[Param, ...]
    stacks: tuple[Stack, ...]
    kept: tuple[Var, ...]

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


def _stack(cell: CellSpec, gates: tuple[Gate, ...], tag: str) -> tuple[Stack, list[Param]]:
    first = gates[0]
    blocks = tuple(first.concat.blocks)
    inputs = {v.symbol for v in cell.inputs}
    bounds, start = [], sp.Integer(0)
    for gate in gates:
        bounds.append((start, start + gate.preactivation.shape[0]))
        start = start + gate.preactivation.shape[0]
    rows = start
    # module order: blocks that are inputs first (weight_ih before weight_hh, as in PyTorch)
    order = sorted(range(len(blocks)), key=lambda j: (blocks[j] not in inputs, j))
    suffixes = [stack_name(label) + tag for label in first.labels]
    weights = tuple(MatrixSymbol(f"weight_{s}", rows, b.shape[0]) for s, b in zip(suffixes, blocks))
    keys = "".join(g.key for g in gates)
    params = [Param(weights[j].name, (rows, blocks[j].shape[0]),
                    f"[{'; '.join(g.weight_blocks[j].name for g in gates)}], gates {keys} stacked")
              for j in order]
    bias_params = tuple(f"bias_{suffixes[j]}" for j in order)
    params += [Param(name, (rows,), f"part of [{'; '.join(g.bias.name for g in gates)}] = "
                                    f"{' + '.join(bias_params)}") for name in bias_params]
    # A_t = [a_{i,t}; a_{f,t}; …]: the stack's own name must differ from every name of the cell, including
    # its gates' (a one-gate stack would otherwise be named like its gate's pre-activation, a_{f,t}).
    taken = {v.symbol.name for v in cell.variables}
    base = first.preactivation.name.split("_")[0]
    bias = first.bias.name.split("_")[0]
    if not tag and f"{base}_t" not in taken and bias not in taken:
        name = f"{base}_t"
    else:
        name, bias = f"{base.upper()}_{{{keys},t}}", f"{bias.upper()}_{{{keys}}}"
    if {name, bias} & taken:
        used = sorted({name, bias} & taken)
        raise CodegenError(f"cannot name the stack of gates {keys}: the cell already uses {used}")
    stack = Stack(gates, MatrixSymbol(name, rows, 1), MatrixSymbol(r"\delta " + name, rows, 1), blocks, weights,
                  MatrixSymbol(bias, rows, 1), bias_params, tuple(bounds))
    return stack, params


def layout(cell: CellSpec) -> Layout:
    """The module parameters for ``cell`` (stacked gates in PyTorch's naming) and its stacks."""
    groups = _group(cell)
    stacks, params = [], []
    for number, gates in enumerate(groups):
        labels = gates[0].labels
        if len(set(labels)) != len(labels):
            raise CodegenError(f"the blocks of {gates[0].concat} have repeated labels {labels}")
        stack, stack_params = _stack(cell, gates, "" if len(groups) == 1 else f"_{number}")
        stacks.append(stack)
        params += stack_params
    absorbed = {g.weight for g in cell.gates} | {g.bias for g in cell.gates}
    kept = tuple(v for v in cell.params if v.symbol not in absorbed)
    for var in kept:
        rows, cols = var.shape
        params.append(Param(var.ident, (rows,) if cols == 1 else (rows, cols), var.doc))
    names = [p.name for p in params]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise CodegenError(f"cell {cell.name!r} gives two module parameters the name(s) {clashes}")
    return Layout(cell, tuple(params), tuple(stacks), kept)
