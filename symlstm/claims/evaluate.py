"""A cell and its derived BPTT at concrete sizes, compiled entry by entry for the gradient claims.

:class:`Program` turns assignments into functions of their entries (SymPy values for exact checks, mpmath
numbers for high-precision ones); :class:`Concrete` holds a cell's forward and backward programs at given sizes;
:class:`Derivation` derives ``bptt(cell)`` once, keeping a failure as a reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath
import sympy as sp
from sympy import BlockMatrix, MatrixSymbol

from symlstm import algebra
from symlstm.adjoint import Rule
from symlstm.bptt import BPTT, bptt
from symlstm.claims.base import Verdict
from symlstm.errors import CellError, ShapeError
from symlstm.functions import Sigmoid, Tanh
from symlstm.spec import Assignment, CellSpec

Values = dict[MatrixSymbol, list]
#: lambdify modules: exact SymPy values, or mpmath numbers at high precision
SYMBOLIC = [{"Sigmoid": Sigmoid, "Tanh": Tanh}, "sympy"]
MPMATH = [{"Sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)), "Tanh": mpmath.tanh}, "mpmath"]


def entries(symbol: MatrixSymbol) -> list[sp.Symbol]:
    """One scalar Symbol per entry of a concrete-shaped ``symbol``, row by row (``W_f[0,1]``)."""
    rows, cols = (int(d) for d in symbol.shape)
    return [sp.Symbol(f"{symbol.name}[{i},{j}]") for i in range(rows) for j in range(cols)]


def entry_table(symbols) -> dict:
    """``{W[i, j]: Symbol("W[i,j]")}`` for every entry of every (concrete-shaped) symbol."""
    return {s[k // int(s.shape[1]), k % int(s.shape[1])]: e for s in symbols for k, e in enumerate(entries(s))}


def block_entries(view: BlockMatrix, value: list, width: int) -> Values:
    """Entries of the column blocks of ``W = [B_1 | B_2 | …]`` from the entries of ``W`` (``width`` columns)."""
    out, start = {}, 0
    for block in view.blocks:
        rows, cols = (int(d) for d in block.shape)
        out[block] = [value[i * width + start + j] for i in range(rows) for j in range(cols)]
        start += cols
    return out


class Program:
    """Assignments at concrete sizes, compiled entry by entry; :meth:`run` extends a dict of values.

    Values are flat row-major lists: SymPy expressions or mpmath numbers, by ``modules``.
    ``views`` (weight → column blocks) give the values of the blocks the assignments read.
    """

    def __init__(self, assignments: Sequence[Assignment], views: dict, modules: list):
        self.views = views
        self.steps = []
        for a in assignments:
            symbols = sorted(a.rhs.atoms(MatrixSymbol), key=lambda s: s.name)
            exprs = list(algebra.explicit(a.rhs).xreplace(entry_table(symbols)))
            args = [e for s in symbols for e in entries(s)]
            self.steps.append((a.lhs, symbols, sp.lambdify(args, exprs, modules=modules)))

    def run(self, values: Values) -> Values:
        values = dict(values)
        for weight, view in self.views.items():
            values.update(block_entries(view, values[weight], int(weight.shape[1])))
        for lhs, symbols, function in self.steps:
            values[lhs] = list(function(*[v for s in symbols for v in values[s]]))
        return values


class Concrete:
    """A cell and its derivation at concrete sizes, compiled forwards and backwards."""

    def __init__(self, cell: CellSpec, d: BPTT, sizes: dict[str, int], modules: list):
        self.cell = cell.at(**sizes)
        table = {s: sp.Integer(v) for s, v in self.cell.concrete}

        def sub(x):
            return x.xreplace(table)

        self.adjoint = {sub(k): sub(v) for k, v in d.adjoint_of.items()}
        self.incoming = {k: sub(v) for k, v in d.incoming.items()}
        self.outputs = set(d.upstream)
        self.views = {sub(k): sub(v) for k, v in d.views.items()}
        backward = [Assignment(sub(a.lhs), sub(a.rhs)) for a in d.step + d.parameter_step]
        self.forward = Program(self.cell.assignments, {}, modules)
        self.backward = Program(backward, self.views, modules)
        self.params = [p.symbol for p in self.cell.params]

    def step_leaves(self) -> list[MatrixSymbol]:
        return [v.symbol for v in self.cell.inputs] + [s.previous.symbol for s in self.cell.states] + self.params


class Derivation:
    """``bptt(cell, rules=rules)``, derived once when first asked for; a failure is kept as a reason."""

    def __init__(self, cell: CellSpec, rules: dict[type, Rule] | None = None):
        self.cell, self.rules = cell, rules
        self._result: BPTT | str | None = None
        self._error: Exception | None = None

    def get(self) -> BPTT | str:
        if self._result is None:
            try:
                self._result = bptt(self.cell, rules=self.rules)
            except (ShapeError, CellError) as error:
                self._result, self._error = f"the derivation itself fails: {error}", error
        return self._result

    def failure(self) -> Verdict:
        """The verdict of a failed derivation: an ill-shaped gradient refutes the rules (the shape mismatch is
        the counterexample); any other failure (a node with no rule) means the claim could not be evaluated."""
        if isinstance(self._error, ShapeError):
            return Verdict.refuted("the derived backward step is ill-shaped", counterexample=str(self._error))
        return Verdict.error(self._result)
