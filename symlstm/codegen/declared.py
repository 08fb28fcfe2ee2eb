r"""The module parameters of a cell that is not a built-in: its own parameters, as declared.

A custom cell's module takes ``PARAMS`` = the cell's parameters under their identifiers with their declared
shapes (``W_f`` (n, n+m); a column (k, 1) as a 1-D (k,) array).  Stacking the gates that read one
concatenation into one GEMM (:mod:`.layout`) stays an internal step of every call:

* each stack weight ``W_L = [W_{iL}; W_{fL}; …]`` (rows, |u_L|) is gate k's columns of block L,
  ``W_k[:, c_L:c_L + |u_L|]``, the gates' rows one below the other (a view for a single gate);
* the stack bias ``b = [b_i; b_f; …]`` (rows,) is the gates' biases one below the other — one bias, not
  PyTorch's two;
* the gradient of ``W_k`` (rows_k, Σ|u_L|) is gate k's rows of each stack weight's gradient side by side, that
  of ``b_k`` (rows_k,) gate k's rows of the stack bias's gradient.

The internal arrays' names come from a :class:`~.names.Namespace` holding every name of the cell, so none is
ever one of the user's.  A size no parameter has as a side may be read as a side less other sizes
(``m = W_f.shape[1] - n``): :func:`size_sources`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp

from symlstm.codegen.layout import Layout, Param, _group, _stack
from symlstm.codegen.names import Namespace
from symlstm.codegen.printer import CodegenError
from symlstm.spec import CellSpec, identifier
from sympy import MatrixSymbol


@dataclass(frozen=True)
class Piece:
    """Columns (assembling) or rows (scattering) ``lo:hi`` of the array ``name``; ``None``: all of it."""

    name: str
    lo: sp.Expr | None = None
    hi: sp.Expr | None = None
    total: sp.Expr | None = None  # the length of that axis, to print ``[n:]`` rather than ``[n:n+m]``


@dataclass(frozen=True)
class Assembly:
    """An internal array of ``shape`` (a stack weight or bias) made of ``pieces`` placed one below the other."""

    shape: tuple[sp.Expr, ...]
    pieces: tuple[Piece, ...]


def declared_layout(cell: CellSpec) -> Layout:
    """``cell``'s own parameters as the module's, its gate stacks internal (see the module docstring)."""
    absorbed = {g.weight for g in cell.gates} | {g.bias for g in cell.gates}
    ident = {v.symbol: v.ident for v in cell.params}
    owners = [g.weight for g in cell.gates] + [g.bias for g in cell.gates]
    shared = sorted({ident[s] for s in owners if owners.count(s) > 1})
    if shared:
        raise CodegenError(f"cell {cell.name!r}: {shared} belong to more than one gate; a gate's weight and bias "
                           "are its own")
    kept = tuple(v for v in cell.params if v.symbol not in absorbed)
    params = tuple(Param(v.ident, (v.shape[0],) if v.shape[1] == 1 else tuple(v.shape), v.doc) for v in cell.params)
    namespace = Namespace({v.ident for v in cell.variables} | {s.name for s in cell.size_symbols})
    groups = _group(cell)
    stacks, assembled, scattered = [], {}, {}
    for number, gates in enumerate(groups):
        labels = gates[0].labels
        if len(set(labels)) != len(labels):
            raise CodegenError(f"the blocks of {gates[0].concat} have repeated labels {labels}")
        stack, _, _ = _stack(cell, gates, "" if len(groups) == 1 else f"_{number}", {}, torch=False)
        width = sum((b.shape[0] for b in stack.blocks), sp.Integer(0))
        weights, start = [], sp.Integer(0)
        for block, label in zip(stack.blocks, labels):
            name = namespace.fresh(identifier(f"{stack.keys}_weight_{label}"))
            weights.append(MatrixSymbol(name, stack.rows, block.shape[0]))
            whole = len(stack.blocks) == 1
            assembled[name] = Assembly((stack.rows, block.shape[0]), tuple(
                Piece(ident[g.weight]) if whole else Piece(ident[g.weight], start, start + block.shape[0], width)
                for g in gates))
            start += block.shape[0]
        bias = namespace.fresh(identifier(f"{stack.keys}_bias"))
        assembled[bias] = Assembly((stack.rows,), tuple(Piece(ident[g.bias]) for g in gates))
        for gate, (lo, hi) in zip(gates, stack.bounds):
            rows = () if len(gates) == 1 else (lo, hi, stack.rows)
            scattered[ident[gate.weight]] = tuple(Piece(w.name, *rows) for w in weights)
            scattered[ident[gate.bias]] = (Piece(bias, *rows),)
        stacks.append(replace(stack, weights=tuple(weights), bias_params=(bias,)))
    return Layout(cell, params, tuple(stacks), kept, {}, {}, assembled, scattered)


def _size(expr: sp.Expr) -> str:
    return str(expr).replace(" ", "")


def _cut(piece: Piece, columns: bool) -> str:
    """``[:, n:]`` or ``[:n]``: the slice of ``piece`` (empty for all of it)."""
    if piece.lo is None:
        return ""
    lo = "" if piece.lo == 0 else _size(piece.lo)
    hi = "" if piece.hi == piece.total else _size(piece.hi)
    return f"[:, {lo}:{hi}]" if columns else f"[{lo}:{hi}]"


def assemble(layout: Layout, name: str, mapping: str) -> str:
    """Code building the internal array ``name`` from the declared parameters in ``mapping`` (``weights``)."""
    codes = [f'{mapping}["{p.name}"]{_cut(p, True)}' for p in layout.assembled[name].pieces]
    return codes[0] if len(codes) == 1 else f"np.concatenate(({', '.join(codes)}))"


def scatter(layout: Layout, param: str, grads: dict[str, str]) -> str | None:
    """Code for the gradient of the declared ``param`` from the internal gradients ``grads`` (name → local);
    ``None`` if nothing the loss depends on reads it; zeros for a missing piece."""
    pieces = layout.scattered[param]
    if not any(p.name in grads for p in pieces):
        return None
    codes = []
    for p in pieces:
        shape = layout.assembled[p.name].shape
        rows = shape[0] if p.lo is None else p.hi - p.lo
        codes.append(f"{grads[p.name]}{_cut(p, False)}" if p.name in grads else
                     f"np.zeros(({_size(rows)}{', ' + _size(shape[1]) if len(shape) == 2 else ','}), DTYPE)")
    return codes[0] if len(codes) == 1 else f"np.concatenate(({', '.join(codes)}), axis=1)"


def size_sources(layout: Layout) -> list[tuple]:
    """For every size, ``(size, param, axis)`` whose length is it, or ``(size, param, axis, less)``: that length
    minus the sizes named in ``less`` and its numbers (``(m, "W_f", 1, ("n",))`` for a side n + m); in an order that reads every
    size in ``less`` first."""
    found: dict = {}
    sides = [(p.name, axis, side) for p in layout.params for axis, side in enumerate(p.shape)]
    for size in layout.cell.size_symbols:
        direct = [(name, axis) for name, axis, side in sides if side == size]
        if direct:
            found[size] = (size, *direct[0])
    while len(found) < len(layout.cell.size_symbols):
        more = {}
        for size in (s for s in layout.cell.size_symbols if s not in found):
            for name, axis, side in sides:
                less = _less(sp.expand(side - size), set(found)) if sp.expand(side).coeff(size) == 1 else None
                if less is not None:
                    more[size] = (size, name, axis, less)
                    break
        if not more:
            missing = [s for s in layout.cell.size_symbols if s not in found][0]
            raise CodegenError(f"no parameter of cell {layout.cell.name!r} has a side of length {missing} (or "
                               f"{missing} plus sizes read elsewhere); the generated module could not read that size "
                               "from its parameters")
        found.update(more)
    return list(found.values())


def _less(rest: sp.Expr, known: set) -> tuple[str, ...] | None:
    """``rest`` as the names of known sizes, each as often as its coefficient, then its constant (``2*n + p + 1``
    → n, n, p, 1), or None."""
    if rest == 0 or not rest.free_symbols <= known:
        return None
    const = rest.as_coeff_Add()[0]
    poly = sp.Poly(rest - const, *sorted(rest.free_symbols, key=str)) if rest != const else None
    if poly is not None and poly.total_degree() != 1 or not (const.is_Integer and const >= 0):
        return None
    names = []
    for symbol in sorted(rest.free_symbols, key=str):
        coeff = rest.coeff(symbol)
        if not (coeff.is_Integer and coeff > 0):
            return None
        names += [symbol.name] * int(coeff)
    return tuple(names) + ((int(const),) if const else ())
