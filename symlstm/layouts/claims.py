r"""Each conversion is a claim: the converted tensors give the same gate pre-activations.

For a conversion ``src → dst`` of a cell, the ``src`` tensors are symbolic block matrices whose blocks
are named by *position* only (``\mathtt{kernel}_{[2]}``: the second n-column block of Keras's kernel),
so nothing about which gate sits where is assumed.  The left side is what ``src``'s documented equations
compute from them, the right side what ``dst``'s equations compute from the tensors :mod:`.engine`
builds — the same code :func:`~symlstm.layouts.convert` runs on arrays.  Both are stacked in the
order of :attr:`~.pivot.Kind.rows` (gates; the GRU's candidate as its input and recurrent parts; the
projection ``W_hr·(o_t ⊙ tanh c_t)``) and proved equal by :class:`~symlstm.claims.EquivalenceClaim`:
block algebra at symbolic n, m (p), and every entry written out at small sizes.

A format's gate order is written twice, independently: as the order its tensors are built in (data)
and in its equations (``i, o, f, c = blocks(gates, 4)``, as its documentation and source write them).
The claim checks one against the other; the tests against torch, onnxruntime and Keras check the equations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

import sympy as sp
from sympy import BlockMatrix, HadamardProduct, MatMul, MatrixSymbol

from symlstm.algebra import concat, explicit, hadamard, simplify
from symlstm.claims.base import REFUTED, Claim, Step, Verdict
from symlstm.claims.equivalence import EquivalenceClaim
from symlstm.functions import Tanh, elementwise
from symlstm.layouts.convert import FORMATS, get_format, known_formats, specs_for, symbolic_sizes
from symlstm.layouts.engine import Dims, SymbolicBackend, pack, unpack
from symlstm.layouts.pivot import Kind, Sizes, TensorSpec, Vars
from symlstm.printing.latex import latex
from symlstm.spec import CellSpec


def _tex(name: str) -> str:
    return r"\mathtt{" + name.replace("_", r"\_") + "}"


def symbolic_tensors(specs: list[TensorSpec], dims: Dims) -> dict[str, sp.MatrixExpr]:
    """Each tensor as a block matrix of fresh symbols named by tensor and block position (optional ones left out)."""
    out = {}
    for spec in specs:
        if spec.optional:
            continue
        rows, cols = len(spec.grid), len(spec.grid[0])
        if rows == cols == 1:
            out[spec.name] = MatrixSymbol(_tex(spec.name), *dims.piece(spec.grid[0][0]))
            continue
        grid = []
        for i, row in enumerate(spec.grid):
            grid.append([])
            for j, piece in enumerate(row):
                where = f"{i + 1}" if cols == 1 else f"{j + 1}" if rows == 1 else f"{i + 1},{j + 1}"
                grid[-1].append(MatrixSymbol(f"{_tex(spec.name)}_{{[{where}]}}", *dims.piece(piece)))
        out[spec.name] = BlockMatrix(grid)
    return out


def _signs_out(expr: sp.MatrixExpr) -> sp.MatrixExpr:
    """``(−A) ⊙ B`` → ``−(A ⊙ B)``, which SymPy does not do (ONNX's negated CIFG slot needs it)."""

    def pull(product: HadamardProduct) -> sp.MatrixExpr:
        coeff, factors = sp.Integer(1), []
        for factor in product.args:
            c, rest = factor.as_coeff_mmul() if isinstance(factor, MatMul) else (1, factor)
            coeff *= c
            factors.append(rest.args[0] if isinstance(rest, MatMul) and len(rest.args) == 1 else rest)
        return MatMul(coeff, HadamardProduct(*factors)).doit(deep=False) if coeff != 1 else product

    return expr.replace(lambda e: isinstance(e, HadamardProduct), pull)


def cell_vars(cell: CellSpec, kind: Kind) -> Vars:
    """x, h_{t-1}, c_{t-1}, c_t and the projection's or Cho's inner vectors, as the cell names them."""
    states = {state.name: state for state in cell.states}
    h = states["h"].previous.symbol
    if kind.family == "gru":
        return Vars(cell, cell.inputs[0].symbol, h, rh=hadamard(cell.gate("r").activation, h))
    c_prev, c_t = states["c"].previous.symbol, states["c"].current.symbol
    u = hadamard(cell.gate("o").activation, elementwise(Tanh, c_t)) if kind.proj else None
    return Vars(cell, cell.inputs[0].symbol, h, c_prev, c_t, u=u)


class ConversionClaim(EquivalenceClaim):
    """An :class:`EquivalenceClaim` whose statement also shows the converted tensors in the source's blocks, and
    whose check also runs the shipped array code (:func:`~symlstm.layouts.convert`) on random arrays."""

    def __init__(self, name: str, title: str, build, sizes, conversion, arrays=None):
        super().__init__(name, title, build, sizes, trial_values=(1, 2))
        self._conversion = conversion
        self._arrays = arrays

    def _check(self) -> Verdict:
        verdict = super()._check()
        if self._arrays is None or verdict.status == REFUTED:
            return verdict
        where, mismatch = self._arrays()
        if mismatch:
            return Verdict.refuted("the plan holds, but the array code convert() runs does not compute it",
                                   verdict.steps, counterexample=f"{where}: {mismatch}")
        step = Step(f"Run convert() on random arrays ({where}): the pre-activations computed from the source "
                    "arrays and from the converted ones agree exactly (rational arithmetic).")
        return replace(verdict, steps=verdict.steps + (step,))

    def statement(self) -> str:
        lines = [f"{_tex(name)} &= {latex(expr)}" for name, expr in self._conversion().items()]
        return ("\\begin{aligned}" + " \\\\ ".join(lines) + "\\end{aligned}"
                + r" \;\Longrightarrow\; " + super().statement())


def conversion_claim(src: str, dst: str, cell: CellSpec) -> EquivalenceClaim:
    """``src``'s pre-activations from its tensors = ``dst``'s from the converted tensors, for ``cell``.

    ValueError if either format cannot hold the cell (the same error :func:`convert` gives).
    """
    source, target = get_format(src), get_format(dst)
    kind, src_specs = specs_for(src, cell)
    _, dst_specs = specs_for(dst, cell)
    symbols = symbolic_sizes(cell, kind)
    backend = SymbolicBackend()

    def build(values: Mapping[sp.Symbol, sp.Expr]):
        sized = cell.sized(values)
        sizes = Sizes(*(None if s is None else values[s] for s in (symbols.n, symbols.m, symbols.p)))
        dims = Dims(kind, sizes)
        tensors = symbolic_tensors(src_specs, dims)
        converted = pack(dst_specs, unpack(src_specs, tensors, dims, backend), dims, backend)
        v = cell_vars(sized, kind)
        left = source.preactivations(tensors, kind, v)
        right = target.preactivations(converted, kind, v)
        return tuple(_signs_out(simplify(concat(*(side[row] for row in kind.rows)))) for side in (left, right))

    sizes = [s for s in (symbols.n, symbols.m, symbols.p) if s is not None]
    def conversion() -> dict[str, sp.MatrixExpr]:
        dims = Dims(kind, symbols)
        return pack(dst_specs, unpack(src_specs, symbolic_tensors(src_specs, dims), dims, backend), dims, backend)

    def arrays() -> tuple[str, str]:
        return run_convert(src, dst, cell, kind, src_specs, dst_specs, symbols)

    return ConversionClaim(
        f"layout[{cell.name}:{src}→{dst}]",
        f"{src} → {dst}: the converted tensors give {cell.name}'s pre-activations "
        f"({', '.join(kind.rows)}) unchanged",
        build, sizes, conversion, arrays)


#: The sizes of the array check (a projection's p is the cell's own default).
ARRAY_SIZES = {"n": 2, "m": 3}


def _blocks_of(matrix: np.ndarray, spec: TensorSpec, dims: Dims, symbolic) -> dict:
    """``{block symbol: exact matrix}`` for the blocks of a tensor in matrix form (sliced here, not by the engine)."""
    heights, widths = (list(map(int, axis)) for axis in dims.splits(spec))
    rows, cols = np.cumsum([0, *heights]), np.cumsum([0, *widths])
    grid = symbolic.blocks if isinstance(symbolic, BlockMatrix) else [[symbolic]]
    return {grid[i, j] if isinstance(symbolic, BlockMatrix) else grid[0][0]:
            sp.ImmutableMatrix([[sp.Rational(float(v)) for v in row]
                                for row in matrix[rows[i]:rows[i + 1], cols[j]:cols[j + 1]]])
            for i in range(len(heights)) for j in range(len(widths))}


def run_convert(src: str, dst: str, cell: CellSpec, kind: Kind, src_specs, dst_specs, symbols: Sizes
                ) -> tuple[str, str]:
    """Random arrays (multiples of 1/8, exact in binary) in ``src``'s layout, converted by :func:`convert`;
    both formats' pre-activations evaluated exactly from the arrays. Returns where, and a mismatch or ""."""
    from symlstm.layouts.convert import convert  # the shipped array code

    defaults = dict(cell.size_defaults) | dict(cell.concrete)
    values = {symbols.n: ARRAY_SIZES["n"], symbols.m: ARRAY_SIZES["m"]}
    if symbols.p is not None:
        values[symbols.p] = int(defaults.get(symbols.p, 2))
    sizes = Sizes(*(None if s is None else values[s] for s in (symbols.n, symbols.m, symbols.p)))
    dims = Dims(kind, sizes)
    where = "convert() at " + ", ".join(f"{s} = {v}" for s, v in values.items())
    rng = np.random.default_rng(14)
    given = {spec.name: rng.integers(-16, 17, size=tuple(int(d) for d in dims.array(spec))) / 8.0
             for spec in src_specs if not spec.optional}
    converted = convert(given, src, dst, cell=cell)
    sized = cell.sized({s: sp.Integer(v) for s, v in values.items()})
    v = cell_vars(sized, kind)
    sides = []
    for fmt, specs, arrays in ((src, src_specs, given), (dst, dst_specs, converted)):
        tensors = symbolic_tensors(specs, dims)
        numbers = {}
        for spec in specs:
            if spec.name in tensors:
                matrix = np.asarray(arrays[spec.name], dtype=np.float64).reshape(
                    tuple(int(d) for d in dims.matrix(spec)))
                numbers |= _blocks_of(matrix, spec, dims, tensors[spec.name])
        pre = get_format(fmt).preactivations(tensors, kind, v)
        sides.append((fmt, [explicit(simplify(pre[row]).xreplace(numbers)) for row in kind.rows]))
    others = set().union(*(m.atoms(MatrixSymbol) for _, rows in sides for m in rows))  # x, h, c, …: the arrays are in
    point = {}
    for symbol in sorted(others, key=lambda s: s.name):
        rows, cols = (int(d) for d in symbol.shape)
        point[symbol] = sp.ImmutableMatrix(rows, cols, [sp.Rational(int(k), 8) for k in rng.integers(-16, 17, rows * cols)])
    (left_fmt, left), (right_fmt, right) = sides
    for row, a, b in zip(kind.rows, left, right):
        a, b = explicit(a.xreplace(point)), explicit(b.xreplace(point))
        for k, (x, y) in enumerate(zip(a, b)):
            if sp.expand(x - y) != 0:
                return where, (f"pre-activation {row}[{k}] is {sp.N(x, 12)} from the {left_fmt} arrays but "
                               f"{sp.N(y, 12)} from the {right_fmt} arrays convert() returned")
    return where, ""


def layout_claims(cell: CellSpec) -> list[Claim]:
    """For every framework format that can hold ``cell``: the conversions to and from ``"symlstm"``.

    Every other pair is a composition of these two (through the same pivot), so these cover all pairs.
    """
    claims = []
    for name in known_formats():
        if name == "symlstm":
            continue
        try:
            specs_for(name, cell)
        except ValueError:
            continue
        claims += [conversion_claim("symlstm", name, cell), conversion_claim(name, "symlstm", cell)]
    return claims


__all__ = ["FORMATS", "cell_vars", "conversion_claim", "layout_claims", "symbolic_tensors"]
