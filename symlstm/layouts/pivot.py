r"""What every layout shares: the pivot, tensors as grids of pivot pieces, and a format's record.

**The pivot.** Every format converts to and from one dictionary of per-gate matrices, named as
:mod:`symlstm.cells` names the cell's parameters.  For each gate ``k`` (LSTM: i, f, g, o — no i under
CIFG; GRU: r, z and the candidate n), with ``r = p`` under a projection and ``r = n`` otherwise::

    W_kx (n×m), W_kh (n×r)   the column blocks of W_k = [W_kh | W_kx]
    b_ik, b_hk (n×1)         the input-side and recurrent-side bias, b_k = b_ik + b_hk (PyTorch's b_ii, b_hi)
    p_k (n×1)                a peephole weight (k = i, f, o with peephole=True)
    W_hr (p×n)               the projection weight (proj_size=p)

The GRU's candidate has ``W_nx, W_nh, b_in, b_hn`` — exactly the cell's own names.  Vectors are
n×1 columns in the pivot; a format's 1-D arrays are reshaped at the edge (:class:`TensorSpec.form`).

**Tensors.** A format's tensor is a grid of :class:`Piece`\ s: a pivot matrix, its transpose or
negation, a sum of pivot matrices (a folded bias) or zeros (rows a format has and the cell does not
use).  :mod:`.engine` builds tensors from the pivot and reads the pivot back from tensors.

**Equations.** Each format also states, as its documentation writes them, the gate pre-activations
it computes from its own tensors (:attr:`Format.preactivations`); the conversion claims compare
those between formats (:mod:`.claims`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp
from sympy import BlockMatrix, MatrixExpr, block_collapse

from symlstm.spec import CellSpec

#: The LSTM's and GRU's gates in the pivot (the cell's order; the GRU's candidate n comes last).
LSTM_GATES = ("i", "f", "g", "o")
GRU_GATES = ("r", "z", "n")


@dataclass(frozen=True)
class Kind:
    """What a layout needs to know about a built-in cell."""

    family: str                   # "lstm" or "gru"
    gates: tuple[str, ...]        # the gates in the pivot
    peephole: bool = False
    cifg: bool = False
    proj: bool = False
    reset_after: bool = True      # GRU: PyTorch's r ⊙ (W_nh·h + b_hn); False: Cho et al.'s W_nh·(r ⊙ h)

    @property
    def peepholes(self) -> tuple[str, ...]:
        return tuple(k for k in ("i", "f", "o") if self.peephole and k in self.gates)

    @property
    def rows(self) -> tuple[str, ...]:
        """The pre-activations a conversion must keep, in order (see :func:`Format.preactivations`)."""
        if self.family == "gru":
            return ("r", "z", "nx", "nh") if self.reset_after else ("r", "z", "n")
        return self.gates + (("h",) if self.proj else ())


def kind_of(cell: CellSpec) -> Kind:
    """The :class:`Kind` of a built-in cell; ValueError for a custom cell."""
    options = dict(cell.options)
    keys = tuple(g.key for g in cell.gates)
    if cell.name.startswith("lstm") and set(options) == {"peephole", "cifg", "proj_size"}:
        cifg = bool(options["cifg"])
        kind = Kind("lstm", tuple(k for k in LSTM_GATES if not (cifg and k == "i")),
                    peephole=bool(options["peephole"]), cifg=cifg, proj=bool(options["proj_size"]))
        if keys == kind.gates:
            return kind
    if cell.name in ("gru", "gru-cho") and set(options) == {"reset_after"} and keys == ("r", "z"):
        return Kind("gru", GRU_GATES, reset_after=bool(options["reset_after"]))
    raise ValueError(f"framework layouts know the built-in cells (lstm and its variants, gru); "
                     f"cell {cell.name!r} is not one of them")


@dataclass(frozen=True)
class Sizes:
    """n hidden, m input, p projection (None without one): SymPy Symbols or ints."""

    n: sp.Expr | int
    m: sp.Expr | int
    p: sp.Expr | int | None = None

    @property
    def r(self) -> sp.Expr | int:
        """The length of h: p with a projection, else n."""
        return self.n if self.p is None else self.p

    def value(self, name: str | int) -> sp.Expr | int:
        return name if isinstance(name, int) else getattr(self, name)


def pivot_shapes(kind: Kind, sizes: Sizes) -> dict[str, tuple]:
    """Every pivot matrix of ``kind`` and its (rows, cols)."""
    n, m, r = sizes.n, sizes.m, sizes.r
    shapes: dict[str, tuple] = {}
    for k in kind.gates:
        shapes.update({f"W_{k}x": (n, m), f"W_{k}h": (n, r), f"b_i{k}": (n, 1), f"b_h{k}": (n, 1)})
    for k in kind.peepholes:
        shapes[f"p_{k}"] = (n, 1)
    if kind.proj:
        shapes["W_hr"] = (sizes.p, n)
    return shapes


@dataclass(frozen=True)
class Piece:
    """One block of a tensor: the sum of pivot matrices ``keys``, transposed and/or negated.

    Several keys: a folded bias, read back wholly into the first key (the others become zeros).
    No keys: zeros of the shape of pivot matrix ``like`` (or of sizes such as ``("p", 1)``),
    written as zeros and dropped when read.
    """

    keys: tuple[str, ...]
    transpose: bool = False
    negate: bool = False
    like: str | tuple = ""


def M(key: str) -> Piece:
    """The pivot matrix ``key`` as it is."""
    return Piece((key,))


def T(key: str) -> Piece:
    """The pivot matrix ``key`` transposed (Keras stores x·W, so its kernel holds W_kxᵀ)."""
    return Piece((key,), transpose=True)


def fold(*keys: str) -> Piece:
    """One bias standing for the sum of two (``b_ik + b_hk``); read back as ``b_ik``, with ``b_hk = 0``."""
    return Piece(tuple(keys))


def zeros(like: str | tuple) -> Piece:
    """Rows the format has and the cell does not use: written as zeros, dropped when read."""
    return Piece((), like=like)


def stack(pieces: list[Piece]) -> tuple[tuple[Piece, ...], ...]:
    """A grid with the pieces on top of each other."""
    return tuple((piece,) for piece in pieces)


@dataclass(frozen=True)
class TensorSpec:
    """A named tensor of a format, as a grid of pieces.

    ``form`` says how the grid's matrix is stored: ``"matrix"`` as it is, ``"vector"`` a k×1 matrix as
    shape (k,), ``"onnx"`` with a leading axis of 1 (1, R, C), ``"onnx-vector"`` a k×1 matrix as (1, k).
    ``optional``: never written; when read, it must be all zeros (the cell has nothing to hold it).
    """

    name: str
    grid: tuple[tuple[Piece, ...], ...]
    form: str = "matrix"
    optional: bool = False


@dataclass(frozen=True)
class Vars:
    """The vectors pre-activations are computed from (the cell's own symbols, at some sizes)."""

    cell: CellSpec
    x: MatrixExpr
    h: MatrixExpr
    c_prev: MatrixExpr | None = None
    c_t: MatrixExpr | None = None
    u: MatrixExpr | None = None    # the projection's input o_t ⊙ tanh(c_t)
    rh: MatrixExpr | None = None   # Cho's GRU: r_t ⊙ h_{t-1}


#: ``tensors(cell, kind)`` → the format's tensors for that cell, or ValueError if it cannot hold it.
Tensors = Callable[[CellSpec, Kind], list[TensorSpec]]
#: ``preactivations(tensors, kind, v)`` → ``{row: expression}`` for every row of ``kind.rows``.
Preactivations = Callable[[Mapping[str, MatrixExpr], Kind, Vars], dict[str, MatrixExpr]]


@dataclass(frozen=True)
class Format:
    """A framework's layout: its name, what it is, its tensors, and its documented equations."""

    name: str
    doc: str
    tensors: Tensors
    preactivations: Preactivations


def cannot(fmt: str, cell: CellSpec, why: str) -> ValueError:
    """The error for a format that cannot hold a cell."""
    return ValueError(f"the {fmt!r} format cannot hold cell {cell.name!r}: {why}")


def blocks(expr: MatrixExpr, count: int) -> list[MatrixExpr]:
    """``expr`` (a stacked tensor, or a product or sum of them) split into ``count`` equal row blocks.

    Used by the formats' equations: ``i, f, c, o = blocks(z, 4)``.
    """
    if count == 1:
        return [expr]
    collapsed = block_collapse(expr) if not isinstance(expr, BlockMatrix) else expr
    if not isinstance(collapsed, BlockMatrix) or collapsed.blocks.rows % count:
        raise ValueError(f"cannot split {expr} into {count} row blocks")
    grid = collapsed.blocks
    step = grid.rows // count
    out = []
    for start in range(0, grid.rows, step):
        rows = [list(grid.row(i)) for i in range(start, start + step)]
        out.append(rows[0][0] if step == 1 and grid.cols == 1 else BlockMatrix(rows))
    return out
