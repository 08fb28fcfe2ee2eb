"""The seed question's worked example, for any numbers: what enters σ in ``f_t = σ(W_f·[h; x] + b_f)``.

:func:`explain` takes ``W, h, x, b`` (nested lists, NumPy arrays or SymPy matrices of integers, fractions,
decimal strings or floats), checks the shapes against the LSTM's gate equation and returns an
:class:`Explanation` that walks a person through the concatenation, the product, the vector that enters the
nonlinearity, its value, and the split form ``W_h·h + W_x·x + b`` giving the same numbers.

The numbers are computed from the cell's own equations (``cell("lstm").at(n=…, m=…)``), so the explanation
is of exactly the expression symlstm derives, not of a second copy of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Real

import numpy as np
import sympy as sp

from symlstm.algebra import add, explicit, matmul
from symlstm.arrays import kind_problem
from symlstm.cells import cell as make_cell
from symlstm.entries import MAX_DIGITS, Typed, excerpt, number
from symlstm.errors import KindError, ShapeError
from symlstm.functions import elementwise, entry
from symlstm.printing.latex import latex
from symlstm.printing.text import text
from symlstm.spec import CellSpec

_GATE_NAMES = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate"}


def _number(value: object, where: str) -> sp.Expr:
    """An exact Rational for ints, Fractions and decimal/fraction strings; a Float for floats."""
    if isinstance(value, bool):
        raise ValueError(f"{where} is a boolean ({value!r}); give a number")
    if isinstance(value, (str, Typed)):
        return number(value, where)
    if isinstance(value, sp.Basic):
        if value.is_number and value.is_real and value.is_finite:
            return value
        raise ValueError(f"{where} is {value!r}, not a finite real number")
    if isinstance(value, Integral):
        if int(value).bit_length() > 3.33 * MAX_DIGITS:
            raise ValueError(f"{where} has more than {MAX_DIGITS} digits; explain takes at most {MAX_DIGITS}")
        return sp.Integer(int(value))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, Real):
        if not math.isfinite(float(value)):
            raise ValueError(f"{where} is {value!r}; entries must be finite")
        return sp.Float(float(value))
    raise ValueError(f"{where} is {excerpt(value)} of type {type(value).__name__}; give a number")


def _as_matrix(name: str, value: object, *, vector: bool) -> sp.ImmutableMatrix:
    """``value`` as a SymPy matrix; vectors become columns (a 1-D list, a row or a column are all accepted)."""
    if isinstance(value, sp.MatrixBase):
        rows = value.tolist()
    elif hasattr(value, "tolist"):  # NumPy arrays, torch tensors
        problem = kind_problem(value.dtype) if isinstance(getattr(value, "dtype", None), np.dtype) else None
        if problem:
            raise KindError(f"{name} has dtype {value.dtype}: {problem}; real numbers are expected")
        rows = value.tolist()
    else:
        rows = value
    if not isinstance(rows, Sequence) or isinstance(rows, str) or len(rows) == 0:
        raise ValueError(f"{name} must be a non-empty list of numbers" + ("" if vector else " (rows of a matrix)")
                         + f", got {excerpt(value)}")
    nested = [isinstance(r, Sequence) and not isinstance(r, str) for r in rows]
    if vector:
        if all(nested) and all(len(r) == 1 for r in rows):  # a column [[a], [b]]
            rows = [r[0] for r in rows]
        elif all(nested) and len(rows) == 1:  # a row [[a, b]]
            rows = list(rows[0])
        elif any(nested):
            raise ShapeError(f"{name} must be a vector (a flat list of numbers), got a nested list {excerpt(value)}")
        return sp.ImmutableMatrix([[_number(v, f"{name}[{i}]")] for i, v in enumerate(rows)])
    if not all(nested):
        raise ShapeError(f"{name} must be a matrix (a list of rows), got {excerpt(value)}")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ShapeError(f"{name} has rows of different lengths: row 0 has {width} entries, row {i} has {len(row)}")
    if width == 0:
        raise ShapeError(f"{name} has rows with no entries")
    return sp.ImmutableMatrix([[_number(v, f"{name}[{i}][{j}]") for j, v in enumerate(row)]
                               for i, row in enumerate(rows)])


def check_gate_shapes(W: sp.MatrixBase, h: sp.MatrixBase, x: sp.MatrixBase, b: sp.MatrixBase, key: str) -> None:
    """Raise :class:`ShapeError` saying exactly what is wrong when ``W, h, x, b`` cannot form the gate."""
    n, m = h.rows, x.rows
    name = f"W_{key}"
    if W.shape != (n, n + m):
        cols = (f"[h; x] has {n + m} entries (n = {n} hidden + m = {m} input), so {name} needs {n + m} columns"
                if W.cols != n + m else f"its {W.cols} columns fit [h; x]")
        rows = (f"the gate has n = {n} outputs (one per entry of h), so {name} needs {n} rows"
                if W.rows != n else (f"its {W.rows} row fits h" if W.rows == 1 else f"its {W.rows} rows fit h"))
        raise ShapeError(f"{name} is {W.rows}×{W.cols}, but it must be n×(n+m) = {n}×{n + m}: {cols}; {rows}")
    if b.rows != n:
        raise ShapeError(f"b_{key} has {b.rows} entries, but it must have n = {n} (one per row of {name})")


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


@dataclass(frozen=True)
class Explanation:
    """The steps from ``W, h, x, b`` to the gate's value; every field is an exact SymPy matrix where possible.

    Shapes: ``W`` n×(n+m), ``h`` n×1, ``x`` m×1, ``b`` n×1, ``concat`` (n+m)×1, every other vector n×1.
    """

    gate: str
    cell: CellSpec
    W: sp.ImmutableMatrix
    h: sp.ImmutableMatrix
    x: sp.ImmutableMatrix
    b: sp.ImmutableMatrix
    concat: sp.ImmutableMatrix
    product: sp.ImmutableMatrix
    preactivation: sp.ImmutableMatrix
    activation: sp.ImmutableMatrix
    W_h: sp.ImmutableMatrix
    W_x: sp.ImmutableMatrix
    split_h: sp.ImmutableMatrix
    split_x: sp.ImmutableMatrix
    split_sum: sp.ImmutableMatrix

    @property
    def n(self) -> int:
        return self.h.rows

    @property
    def m(self) -> int:
        return self.x.rows

    @property
    def function_name(self) -> str:
        return entry(self.cell.gate(self.gate).function).text()  # σ, tanh, relu, … (the table's name)

    def decimals(self, places: int = 6) -> list[str]:
        """The gate's value entry by entry, to ``places`` decimals."""
        return [f"{float(sp.N(v, places + 10)):.{places}f}" for v in self.activation]

    def __str__(self) -> str:
        k, n, m, fn = self.gate, self.n, self.m, self.function_name
        v = text
        out = [
            f"{_GATE_NAMES.get(k, k)}: {k}_t = {fn}(W_{k}·[h_{{t-1}}; x_t] + b_{k})",
            "",
            f"1. Shapes: h has n = {_entries(n)}, x has m = {_entries(m)}, so [h; x] has n + m = {_entries(n + m)};"
            f" W_{k} is {n}×{n + m} (n×(n+m)) and b_{k} has {_entries(n)}.",
            f"2. Concatenate: [h; x] = {v(self.concat)}  (one tall vector, not an n×2 matrix)",
            f"3. Multiply: W_{k}·[h; x] = {v(self.product)}",
            f"4. Add the bias: W_{k}·[h; x] + b_{k} = {v(self.preactivation)}  <- the vector that enters {fn}",
            f"5. Apply {fn} to each entry: {k}_t = [{', '.join(self.decimals())}]",
            f"6. Split form, W_{k} = [W_{k}h | W_{k}x]: W_{k}h·h = {v(self.split_h)}, W_{k}x·x = {v(self.split_x)};"
            f" W_{k}h·h + W_{k}x·x + b_{k} = {v(self.split_sum)}"
            + ("  (the same vector)" if self.split_sum == self.preactivation else "  (DIFFERENT: a bug)"),
        ]
        return "\n".join(out)

    def latex(self) -> str:
        r"""The walk-through as LaTeX ``align*`` lines."""
        k, fn = self.gate, (r"\sigma" if self.function_name == "σ" else r"\tanh")
        L = latex
        lines = [
            rf"\begin{{bmatrix}} h_{{t-1}} \\ x_t \end{{bmatrix}} &= {L(self.concat)}",
            rf"W_{k} \begin{{bmatrix}} h_{{t-1}} \\ x_t \end{{bmatrix}} + b_{k} &= {L(self.W)} {L(self.concat)}"
            rf" + {L(self.b)} = {L(self.preactivation)}",
            rf"{k}_t &= {fn}\left({L(self.preactivation)}\right) \approx "
            + r"\begin{bmatrix}" + r" \\ ".join(self.decimals()) + r"\end{bmatrix}",
            rf"W_{{{k}h}} h_{{t-1}} + W_{{{k}x}} x_t + b_{k} &= {L(self.W_h)} {L(self.h)} + {L(self.W_x)} {L(self.x)}"
            rf" + {L(self.b)} = {L(self.split_sum)}",
        ]
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"


def explain(W: object, h: object, x: object, b: object, *, gate: str = "f") -> Explanation:
    """Walk through ``gate_t = φ(W·[h; x] + b)`` for concrete numbers.

    Parameters
    ----------
    W
        n×(n+m) matrix (list of rows).
    h, x, b
        Vectors with n, m and n entries.
    gate
        ``"i"``, ``"f"``, ``"g"`` or ``"o"`` (φ is tanh for ``"g"``, σ otherwise).

    Raises
    ------
    ShapeError
        When the shapes do not fit, saying which and what is needed.
    """
    lstm = make_cell("lstm")
    if gate not in {g.key for g in lstm.gates}:
        raise ValueError(f"unknown gate {gate!r}; the LSTM's gates are {', '.join(g.key for g in lstm.gates)}")
    Wm, hm, xm, bm = (_as_matrix("W", W, vector=False), _as_matrix("h", h, vector=True),
                      _as_matrix("x", x, vector=True), _as_matrix("b", b, vector=True))
    check_gate_shapes(Wm, hm, xm, bm, gate)
    concrete = lstm.at(n=hm.rows, m=xm.rows)
    g = concrete.gate(gate)
    (h_symbol, x_symbol) = (block for block in g.concat.blocks)
    W_h_symbol, W_x_symbol = g.weight_blocks
    n = hm.rows
    W_h, W_x = Wm[:, :n], Wm[:, n:]
    values = {g.weight: Wm, g.bias: bm, h_symbol: hm, x_symbol: xm, W_h_symbol: W_h, W_x_symbol: W_x}

    def evaluate(expr: sp.MatrixExpr) -> sp.ImmutableMatrix:
        return explicit(expr.xreplace(values))

    pre_expr = concrete.definition(g.preactivation)
    pre = evaluate(pre_expr)
    split = add(matmul(W_h_symbol, h_symbol), matmul(W_x_symbol, x_symbol), g.bias)
    return Explanation(
        gate=gate, cell=concrete, W=Wm, h=hm, x=xm, b=bm,
        concat=evaluate(g.concat),
        product=evaluate(matmul(g.weight, g.concat)),
        preactivation=pre,
        activation=explicit(elementwise(g.function, g.preactivation).xreplace({g.preactivation: pre})),
        W_h=W_h, W_x=W_x,
        split_h=evaluate(matmul(W_h_symbol, h_symbol)),
        split_x=evaluate(matmul(W_x_symbol, x_symbol)),
        split_sum=evaluate(split),
    )
