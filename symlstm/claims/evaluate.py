"""A cell and its derived BPTT at concrete sizes, compiled entry by entry for the gradient claims.

:class:`Program` turns assignments into functions of their entries (SymPy values for exact checks, mpmath
numbers for high-precision ones); :class:`Concrete` holds a cell's forward and backward programs at given sizes;
:class:`Derivation` derives ``bptt(cell)`` once, keeping a failure as a reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import random

import mpmath
import sympy as sp
from sympy import BlockMatrix, MatrixSymbol

from symlstm import algebra
from symlstm.adjoint import Rule
from symlstm.bptt import BPTT, bptt
from symlstm.claims.base import Verdict
from symlstm.errors import CellError, ShapeError
from symlstm.functions import TableFunction
from symlstm.spec import Assignment, CellSpec

Values = dict[MatrixSymbol, list]
#: How a Program evaluates: exactly with SymPy numbers (substitution, never floats), or with mpmath numbers.
SYMBOLIC = "sympy"
MPMATH = "mpmath"


def exact_numbers(expr: sp.Basic) -> sp.Basic:
    """``expr`` with every Float written as the rational of its decimal digits (``1.0`` → 1, ``0.1`` → 1/10):
    an exact claim compares rationals, never Floats."""
    floats = expr.atoms(sp.Float)
    return expr.xreplace({f: sp.Rational(str(f)) for f in floats}) if floats else expr


def mpmath_namespace(exprs) -> dict:
    """``{class name: mpmath function}`` for every table function in ``exprs``, from its definition."""
    z = sp.Symbol("z", real=True)
    found = {type(a) for e in exprs for a in sp.sympify(e).atoms(TableFunction)}
    return {f.__name__: sp.lambdify(z, f.definition(z), "mpmath") for f in found}


def random_point(symbols, seed: int, avoid: Sequence[sp.Expr] = (), digits: int = 6) -> dict[sp.Symbol, sp.Rational]:
    """A random rational with ``digits`` decimals in (−1, 1) for each Symbol, in name order; a point where an
    argument of a function with a kink (ReLU at 0, …) lies within 10⁻⁴ of the kink is drawn again."""
    arguments = [(a.args[0], type(a).kinks()) for e in avoid for a in sp.sympify(e).atoms(TableFunction)
                 if getattr(type(a), "kinks", None)]
    ordered = sorted(symbols, key=str)
    for attempt in range(50):
        rng = random.Random(1000 * seed + attempt)
        point = {s: sp.Rational(rng.randint(-10**digits + 1, 10**digits - 1), 10**digits) for s in ordered}
        if all(abs(float(sp.N(argument.xreplace(point), 15)) - float(k)) > 1e-4
               for argument, kinks in arguments for k in kinks if argument.free_symbols <= set(point)):
            return point
    return point


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
    """Assignments at concrete sizes, entry by entry; :meth:`run` extends a dict of values.

    Values are flat row-major lists: SymPy expressions (``SYMBOLIC``: substituted, so ½ stays ½) or mpmath
    numbers (``MPMATH``: compiled with each table function from its definition).
    ``views`` (weight → column blocks) give the values of the blocks the assignments read.
    """

    def __init__(self, assignments: Sequence[Assignment], views: dict, how: str):
        self.views, self.how = views, how
        self.steps = []
        for a in assignments:
            symbols = sorted(a.rhs.atoms(MatrixSymbol), key=lambda s: s.name)
            exprs = list(exact_numbers(algebra.explicit(a.rhs).xreplace(entry_table(symbols))))
            args = [e for s in symbols for e in entries(s)]
            if how == MPMATH:
                function = sp.lambdify(args, exprs, modules=[mpmath_namespace(exprs), "mpmath"])
            else:
                function = _substitution(args, exprs)
            self.steps.append((a.lhs, symbols, function))

    def run(self, values: Values) -> Values:
        values = dict(values)
        for weight, view in self.views.items():
            values.update(block_entries(view, values[weight], int(weight.shape[1])))
        for lhs, symbols, function in self.steps:
            values[lhs] = list(function(*[v for s in symbols for v in values[s]]))
        return values


def _substitution(args: list[sp.Symbol], exprs: list[sp.Expr]):
    def run(*values):
        table = {a: v for a, v in zip(args, values) if a is not v and a != v}
        return [e.xreplace(table) for e in exprs] if table else list(exprs)
    return run


class Concrete:
    """A cell and its derivation at concrete sizes, compiled forwards and backwards."""

    def __init__(self, cell: CellSpec, d: BPTT, sizes: dict[str, int], how: str):
        self.cell = cell.at(**sizes)
        table = {s: sp.Integer(v) for s, v in self.cell.concrete}

        def sub(x):
            return x.xreplace(table)

        self.adjoint = {sub(k): sub(v) for k, v in d.adjoint_of.items()}
        self.incoming = {k: sub(v) for k, v in d.incoming.items()}
        self.outputs = set(d.upstream)
        self.views = {sub(k): sub(v) for k, v in d.views.items()}
        backward = [Assignment(sub(a.lhs), sub(a.rhs)) for a in d.step + d.parameter_step]
        self.forward = Program(self.cell.assignments, {}, how)
        self.backward = Program(backward, self.views, how)
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


# -- words and numeric comparison shared by the gradient claims ------------------------------------------------
#: Digits and relative tolerance of a numeric comparison (when an exact one is not available).
DIGITS, TOLERANCE = 30, 1e-20


def sizes_key(sizes: dict[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in sizes.items())


def sizes_text(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())


def mismatch(name: str, k: int, shape, got, want, how: str) -> str:
    cols = int(shape[1])
    return f"{name}[{k // cols}, {k % cols}]: BPTT gives {sp.N(got, 15)} but {how} gives {sp.N(want, 15)}"


def numeric_comparison(pairs: list, seeds: Sequence[int]) -> tuple[float, tuple | None, int]:
    """``pairs`` of (label, got, want) expressions compared at random rational points (one per seed, kinks
    avoided), evaluated with mpmath at :data:`DIGITS` digits (each table function from its definition).
    Returns the largest relative deviation, the first pair beyond :data:`TOLERANCE` as
    ``(label, got value, want value, seed)`` (None if all agree), and the number of comparisons."""
    exprs = [e for _, g, w in pairs for e in (g, w)]
    symbols = sorted(set().union(*(e.free_symbols for e in exprs)), key=str) if exprs else []
    function = sp.lambdify(symbols, exprs, modules=[mpmath_namespace(exprs), "mpmath"], cse=True)
    worst, count = 0.0, 0
    for seed in seeds:
        point = random_point(symbols, seed, avoid=exprs)
        with mpmath.workdps(DIGITS):
            values = function(*[mpmath.mpf(v.p) / v.q for v in (point[s] for s in symbols)])
            for (label, _, _), g, w in zip(pairs, values[0::2], values[1::2]):
                if isinstance(g, mpmath.mpc) or isinstance(w, mpmath.mpc):
                    raise ValueError(f"{label}: not a real number ({g} and {w})")
                deviation = float(abs(g - w) / max(1, abs(w)))
                count += 1
                if not deviation <= TOLERANCE:
                    return deviation, (label, sp.Float(g, 15), sp.Float(w, 15), seed), count
                worst = max(worst, deviation)
    return worst, None, count
