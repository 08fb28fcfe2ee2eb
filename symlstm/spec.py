"""A recurrent cell as a straight-line program of SymPy matrix expressions.

A :class:`CellSpec` is what every other part of symlstm reads: the LaTeX printer
prints its equations, reverse mode walks them backwards, the code generator
compiles them, the claims prove things about them.  It holds

* sizes (positive integer Symbols such as ``n`` hidden, ``m`` input),
* inputs (``x_t``), states (``h_{t-1} → h_t``), parameters (``W_f``, ``b_f``),
* assignments ``lhs = rhs`` in order, each ``lhs`` a fresh MatrixSymbol and each
  ``rhs`` built from earlier names with :mod:`symlstm.algebra`,
* gates: the assignments of the form ``a = W·[u; v; …] + b``, ``y = φ(a)``,
  recorded so that claims and the code generator can find weight blocks.

Cells are written with :class:`~symlstm.builder.CellBuilder`; see :mod:`symlstm.cells` for the LSTM.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

import sympy as sp
from sympy import BlockMatrix, MatMul, MatrixExpr, MatrixSymbol
from sympy.core.function import FunctionClass

from symlstm.errors import CellError
from symlstm.printing.latex import latex
from symlstm.printing.text import text


@dataclass(frozen=True)
class Var:
    """A named quantity of a cell: ``symbol`` (LaTeX name, shape), ``ident`` (Python name)."""

    symbol: MatrixSymbol
    ident: str
    doc: str

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.symbol.shape


@dataclass(frozen=True)
class State:
    """A recurrent state: ``previous`` (``h_{t-1}``) is read, ``current`` (``h_t``) is written."""

    name: str
    previous: Var
    current: Var


@dataclass(frozen=True)
class Assignment:
    """``lhs = rhs``; ``lhs`` is a fresh MatrixSymbol, ``rhs`` a matrix expression."""

    lhs: MatrixSymbol
    rhs: MatrixExpr
    doc: str = ""

    @property
    def equation(self) -> sp.Equality:
        return sp.Eq(self.lhs, self.rhs, evaluate=False)


@dataclass(frozen=True)
class Gate:
    """``preactivation = weight·concat + Σ extra + bias`` and ``activation = function(preactivation)``.

    ``weight_blocks[k]`` is the column block of ``weight`` that multiplies ``concat``'s
    block ``k`` (``W_f = [W_{fh} | W_{fx}]``); ``labels[k]`` names it (``"h"``, ``"x"``).
    ``extra`` holds further terms of the pre-activation, e.g. a peephole ``p_f ⊙ c_{t-1}``.
    """

    key: str
    weight: MatrixSymbol
    bias: MatrixSymbol
    concat: BlockMatrix
    preactivation: MatrixSymbol
    activation: MatrixSymbol
    function: FunctionClass
    weight_blocks: tuple[MatrixSymbol, ...]
    labels: tuple[str, ...]
    extra: tuple[MatrixExpr, ...] = ()


@dataclass(frozen=True)
class CellSpec:
    """A recurrent cell: sizes, inputs, states, parameters and its equations in order."""

    name: str
    title: str
    sizes: tuple[tuple[sp.Symbol, str], ...]
    inputs: tuple[Var, ...]
    states: tuple[State, ...]
    params: tuple[Var, ...]
    intermediates: tuple[Var, ...]
    assignments: tuple[Assignment, ...]
    gates: tuple[Gate, ...]
    options: tuple[tuple[str, object], ...] = ()
    concrete: tuple[tuple[sp.Symbol, int], ...] = field(default=())
    size_defaults: tuple[tuple[sp.Symbol, int], ...] = field(default=())
    #: A built-in cell whose generated module takes PyTorch's stacked parameters (``weight_ih`` …); any other
    #: cell's module takes the parameters as declared (:mod:`symlstm.codegen.declared`).
    torch_layout: bool = False

    # -- looking things up -------------------------------------------------
    @property
    def size_symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(symbol for symbol, _ in self.sizes)

    def size(self, name: str) -> sp.Symbol:
        """The size Symbol called ``name`` (``"n"``, ``"m"``)."""
        for symbol, _ in self.sizes:
            if symbol.name == name:
                return symbol
        raise CellError(f"cell {self.name!r} has no size {name!r}; its sizes are {[s.name for s, _ in self.sizes]}")

    def gate(self, key: str) -> Gate:
        """The gate called ``key`` (``"f"`` for the forget gate)."""
        for gate in self.gates:
            if gate.key == key:
                return gate
        raise CellError(f"cell {self.name!r} has no gate {key!r}; its gates are {[g.key for g in self.gates]}")

    @property
    def variables(self) -> tuple[Var, ...]:
        """Inputs, previous states, parameters and intermediates (including new states)."""
        previous = tuple(state.previous for state in self.states)
        return self.inputs + previous + self.params + self.intermediates

    def var(self, symbol: MatrixSymbol) -> Var:
        for var in self.variables:
            if var.symbol == symbol:
                return var
        raise CellError(f"{symbol} is not a variable of cell {self.name!r}")

    def definition(self, symbol: MatrixSymbol) -> MatrixExpr:
        """The right-hand side that defines ``symbol``."""
        for assignment in self.assignments:
            if assignment.lhs == symbol:
                return assignment.rhs
        raise CellError(f"{symbol} is not defined by an equation of cell {self.name!r}")

    # -- views ---------------------------------------------------------------
    @property
    def equations(self) -> list[sp.Equality]:
        """The cell's equations as SymPy ``Eq`` objects, in evaluation order."""
        return [assignment.equation for assignment in self.assignments]

    def expand(self, expr: MatrixExpr, keep: Iterable[MatrixSymbol] = (),
               definitions: Mapping[MatrixSymbol, MatrixExpr] | None = None) -> MatrixExpr:
        """``expr`` with every intermediate replaced by its definition (except those in ``keep``).

        ``definitions`` overrides some definitions, e.g. ``{i_t: 1 − f_t}`` to couple the input gate.
        """
        keep = set(keep)
        definitions = definitions or {}
        for _ in range(len(self.assignments) if definitions else 1):  # an override may mention later names
            before = expr
            for assignment in reversed(self.assignments):
                if assignment.lhs not in keep:
                    expr = expr.xreplace({assignment.lhs: definitions.get(assignment.lhs, assignment.rhs)})
            if expr == before:
                break
        return expr

    def at(self, **sizes: int) -> CellSpec:
        """The same cell at concrete sizes, e.g. ``cell.at(n=2, m=3)``; every shape becomes a number.

        A size with a default (a projection's ``p``) may be left out.
        """
        values = {symbol: sp.Integer(value) for symbol, value in self.size_defaults}
        for name, value in sizes.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise CellError(f"size {name} must be a positive integer, got {value!r}")
            values[self.size(name)] = sp.Integer(value)
        missing = [s.name for s in self.size_symbols if s not in values]
        if missing:
            raise CellError(f"cell {self.name!r} needs a value for every size; missing {missing}")

        def sub(obj):
            if isinstance(obj, sp.Basic):
                return obj.xreplace(values)
            if isinstance(obj, tuple):
                return tuple(sub(item) for item in obj)
            if isinstance(obj, (Var, State, Assignment, Gate)):
                return type(obj)(**{f.name: sub(getattr(obj, f.name)) for f in fields(obj)})
            return obj

        return replace(
            self,
            inputs=sub(self.inputs), states=sub(self.states), params=sub(self.params),
            intermediates=sub(self.intermediates), assignments=sub(self.assignments), gates=sub(self.gates),
            concrete=tuple((s, int(values[s])) for s in self.size_symbols),
        )

    def sized(self, values: Mapping[sp.Symbol, sp.Expr]) -> CellSpec:
        """The cell at ``values`` (size Symbol → Integer), or the cell itself when every value is its own Symbol.

        Claims build their two sides from such a mapping, symbolic or concrete; sizes the cell does not have
        are ignored.
        """
        if all(value == symbol for symbol, value in values.items()):
            return self
        by_name = {symbol.name: int(value) for symbol, value in values.items()}
        return self.at(**{s.name: by_name[s.name] for s in self.size_symbols if s.name in by_name})

    @property
    def is_concrete(self) -> bool:
        return bool(self.concrete)

    def describe(self) -> str:
        """One line naming the cell and its options, e.g. ``lstm (n hidden, m input)``."""
        sizes = ", ".join(f"{s} {doc}" for s, doc in self.sizes)
        options = ", ".join(f"{k}={v!r}" for k, v in self.options if v not in (False, None))
        concrete = ", ".join(f"{s} = {v}" for s, v in self.concrete)
        return f"{self.name} ({sizes})" + (f" [{options}]" if options else "") + (f" at {concrete}" if concrete else "")

    def latex(self) -> str:
        r"""The equations as a LaTeX ``aligned`` block (no surrounding ``$$``)."""
        lines = [f"{latex(a.lhs)} &= {latex(a.rhs)}" for a in self.assignments]
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    def __str__(self) -> str:
        return "\n".join(f"{text(a.lhs)} = {text(a.rhs)}" for a in self.assignments)

    def __repr__(self) -> str:
        states = ", ".join(s.name for s in self.states)
        return (f"<CellSpec {self.describe()}: states {states}, {len(self.params)} parameters, "
                f"{len(self.assignments)} equations>")


_IDENT_RE = re.compile(r"[^0-9a-zA-Z_]")


def identifier(latex_name: str) -> str:
    """A Python identifier for a LaTeX name: ``h_{t-1}`` → ``h_prev``, ``a_{f,t}`` → ``a_f``, ``x_t`` → ``x``."""
    name = latex_name.replace(r"\delta ", "d").replace("\\", "")
    name = name.replace("{t-1}", "prev").replace(",t}", "}").replace("{t}", "")
    name = re.sub(r"_t$", "", name)
    name = name.replace("{", "").replace("}", "").replace(",", "_").replace("-", "_")
    return _IDENT_RE.sub("", name)


def weights_beside_gates(cell: CellSpec) -> set[MatrixSymbol]:
    """Parameters outside the gates' equations that multiply one of the gates' concatenated blocks.

    The GRU's candidate ``tanh(W_nx·x_t + r_t ⊙ (W_nh·h_{t-1} + b_hn))`` is such a case: a framework
    stacks ``W_nx`` and ``W_nh`` with the gates' weights, so a claim about the gates' stack alone would not
    describe its layout. Empty when every product with ``h_{t-1}`` or ``x_t`` is a gate's.
    """
    blocks = set(cell.gates[0].concat.blocks)
    params = {v.symbol for v in cell.params}
    gate_equations = {g.preactivation for g in cell.gates}
    found: set[MatrixSymbol] = set()
    for assignment in cell.assignments:
        if assignment.lhs in gate_equations:
            continue
        for product in assignment.rhs.atoms(MatMul):
            if any(factor in blocks for factor in product.args):
                found |= {factor for factor in product.args if factor in params}
    return found


def gates_form_one_stack(cell: CellSpec) -> bool:
    """Whether the stacked-gates claim describes ``cell``'s layout (``symlstm verify`` checks it then, and
    generated code cites it): all gates read one concatenation, none has extra terms (peepholes), and no
    parameter outside the gates multiplies one of their blocks (:func:`weights_beside_gates`)."""
    if not cell.gates or not all(g.concat == cell.gates[0].concat and not g.extra for g in cell.gates):
        return False
    return not weights_beside_gates(cell)
