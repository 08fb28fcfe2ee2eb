"""Build a format's tensors from the pivot (:func:`pack`) and read the pivot back (:func:`unpack`).

One engine, two backends: NumPy arrays (what :func:`symlstm.layouts.convert` moves) and SymPy
block matrices (what the conversion claims prove things about).  Tensors here are in matrix form
(vectors as k×1 columns); :func:`to_matrix` and :func:`to_array` convert at the edge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import sympy as sp
from sympy import BlockMatrix, MatAdd, ZeroMatrix

from symlstm.layouts.pivot import Kind, Piece, Sizes, TensorSpec, pivot_shapes


class Dims:
    """Shapes of pieces and tensors for one kind of cell at some sizes (symbolic or numbers)."""

    def __init__(self, kind: Kind, sizes: Sizes):
        self.sizes = sizes
        self.shapes = pivot_shapes(kind, sizes)

    def piece(self, piece: Piece) -> tuple:
        source = piece.keys[0] if piece.keys else piece.like
        rows, cols = (self.shapes[source] if isinstance(source, str)
                      else tuple(self.sizes.value(s) for s in source))
        return (cols, rows) if piece.transpose else (rows, cols)

    def splits(self, spec: TensorSpec) -> tuple[list, list]:
        """The heights of the grid's rows and the widths of its columns."""
        return [self.piece(row[0])[0] for row in spec.grid], [self.piece(p)[1] for p in spec.grid[0]]

    def matrix(self, spec: TensorSpec) -> tuple:
        heights, widths = self.splits(spec)
        return sum(heights[1:], heights[0]), sum(widths[1:], widths[0])

    def array(self, spec: TensorSpec) -> tuple:
        """The shape the format stores ``spec`` in."""
        rows, cols = self.matrix(spec)
        return {"matrix": (rows, cols), "vector": (rows,), "onnx": (1, rows, cols),
                "onnx-vector": (1, rows)}[spec.form]


class NumpyBackend:
    """Arrays of one dtype."""

    def __init__(self, dtype: np.dtype):
        self.dtype = dtype

    def zeros(self, shape: tuple) -> np.ndarray:
        return np.zeros(tuple(int(s) for s in shape), dtype=self.dtype)

    def transpose(self, a: np.ndarray) -> np.ndarray:
        return a.T

    def negate(self, a: np.ndarray) -> np.ndarray:
        return -a

    def add(self, terms: Sequence[np.ndarray]) -> np.ndarray:
        return sum(terms[1:], terms[0].copy())

    def block(self, grid: list[list[np.ndarray]]) -> np.ndarray:
        return np.block(grid).astype(self.dtype, copy=False)

    def split(self, a: np.ndarray, heights: list, widths: list) -> list[list[np.ndarray]]:
        rows = np.cumsum([0, *(int(h) for h in heights)])
        cols = np.cumsum([0, *(int(w) for w in widths)])
        return [[a[rows[i]:rows[i + 1], cols[j]:cols[j + 1]] for j in range(len(widths))]
                for i in range(len(heights))]


class SymbolicBackend:
    """SymPy matrix expressions; a tensor with several pieces is a BlockMatrix of them."""

    def zeros(self, shape: tuple) -> ZeroMatrix:
        return ZeroMatrix(*shape)

    def transpose(self, a):
        return a.T

    def negate(self, a):
        return -a

    def add(self, terms):
        return MatAdd(*terms).doit(deep=False) if len(terms) > 1 else terms[0]

    def block(self, grid):
        return grid[0][0] if len(grid) == 1 and len(grid[0]) == 1 else BlockMatrix(grid)

    def split(self, a, heights: list, widths: list):
        if len(heights) == 1 and len(widths) == 1:
            return [[a]]
        if not isinstance(a, BlockMatrix) or a.blocks.shape != (len(heights), len(widths)):
            raise ValueError(f"{a} is not a block matrix of {len(heights)}×{len(widths)} blocks")
        return [[a.blocks[i, j] for j in range(len(widths))] for i in range(len(heights))]


def _value(piece: Piece, pivot: Mapping, dims: Dims, backend):
    if not piece.keys:
        return backend.zeros(dims.piece(piece))
    value = backend.add([pivot[key] for key in piece.keys])
    value = backend.negate(value) if piece.negate else value
    return backend.transpose(value) if piece.transpose else value


def pack(specs: Sequence[TensorSpec], pivot: Mapping, dims: Dims, backend) -> dict:
    """The tensors ``specs`` (matrix form) built from the pivot; optional tensors are not written."""
    return {spec.name: backend.block([[_value(p, pivot, dims, backend) for p in row] for row in spec.grid])
            for spec in specs if not spec.optional}


def unpack(specs: Sequence[TensorSpec], tensors: Mapping, dims: Dims, backend) -> dict:
    """The pivot read from ``tensors`` (matrix form; optional tensors may be absent)."""
    pivot = {}
    for spec in specs:
        if spec.name not in tensors:
            continue
        cells = backend.split(tensors[spec.name], *dims.splits(spec))
        for row, cell_row in zip(spec.grid, cells):
            for piece, cell in zip(row, cell_row):
                if not piece.keys:
                    continue
                value = backend.transpose(cell) if piece.transpose else cell
                pivot[piece.keys[0]] = backend.negate(value) if piece.negate else value
                for key in piece.keys[1:]:
                    pivot[key] = backend.zeros(dims.shapes[key])
    missing = sorted(set(dims.shapes) - set(pivot))
    if missing:
        raise AssertionError(f"the tensors {[s.name for s in specs]} leave {missing} unset")
    return pivot


def to_matrix(array: np.ndarray, spec: TensorSpec, dims: Dims) -> np.ndarray:
    """A stored array (already checked to have ``dims.array(spec)``) in matrix form."""
    return array.reshape(tuple(int(s) for s in dims.matrix(spec)))


def to_array(matrix: np.ndarray, spec: TensorSpec, dims: Dims) -> np.ndarray:
    return np.ascontiguousarray(matrix.reshape(tuple(int(s) for s in dims.array(spec))))


def shape_text(shape: tuple) -> str:
    """``(4n, m)`` for a symbolic shape, ``(8, 3)`` for numbers; 1-D shapes get a trailing comma."""
    parts = [str(s).replace("*", "") for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def infer_sizes(fmt: str, specs: Sequence[TensorSpec], arrays: Mapping[str, np.ndarray], symbolic: Dims,
                symbols: Sizes, fixed: Mapping[str, int]) -> tuple[Sizes, str]:
    """Sizes read off the arrays (``fixed`` ones given by the cell) and text saying where each came from."""
    names = [name for name in ("n", "m", "p") if getattr(symbols, name) is not None]
    values = dict(fixed)
    source = {name: "the cell" for name in fixed}
    by_symbol = {getattr(symbols, name): name for name in names}
    for spec in specs:
        if spec.name not in arrays or arrays[spec.name].ndim != len(symbolic.array(spec)):
            continue
        for axis, (expected, length) in enumerate(zip(symbolic.array(spec), arrays[spec.name].shape)):
            coeff, rest = sp.sympify(expected).as_coeff_Mul()
            name = by_symbol.get(rest)
            if name is None or name in values:
                continue
            if length == 0 or length % int(coeff):
                pattern = str(expected).replace("*", "")
                raise ValueError(f"{fmt} tensor {spec.name!r} has shape {tuple(arrays[spec.name].shape)}: "
                                 f"axis {axis} has length {length}, which is not {pattern} for any {name} ≥ 1 "
                                 f"(expected shape {shape_text(symbolic.array(spec))})")
            values[name] = length // int(coeff)
            source[name] = f"{spec.name} axis {axis}"
    unknown = [name for name in names if name not in values]
    if unknown:
        raise ValueError(f"cannot read the size(s) {unknown} from the {fmt} tensors {sorted(arrays)}")
    sizes = Sizes(values["n"], values["m"], values.get("p"))
    return sizes, ", ".join(f"{name} = {values[name]} from {source[name]}" for name in names)
