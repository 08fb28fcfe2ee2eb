"""Writing a cell: :class:`CellBuilder` checks shapes and names as each equation is added.

It produces a :class:`~symlstm.spec.CellSpec`; :mod:`symlstm.cells` declares the built-in cells with it, and a
user declares a new cell the same way (see the README's minimal gated unit).
"""

from __future__ import annotations

import keyword
import re

import sympy as sp
from sympy import MatrixExpr, MatrixSymbol
from sympy.core.function import FunctionClass
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symlstm import algebra
from symlstm.errors import CellError, ShapeError
from symlstm.functions import elementwise, entry, scalar_function
from symlstm.printing.text import text
from symlstm.spec import Assignment, CellSpec, Gate, State, Var, identifier


def _python_name(name: str, what: str) -> str:
    """``name`` if it can name a value in generated code (an ASCII identifier, not a keyword), else CellError."""
    if not (isinstance(name, str) and name.isidentifier() and name.isascii() and not keyword.iskeyword(name)):
        raise CellError(f"{what} {str(name)[:60]!r} is not a Python identifier (ASCII letters, digits and _, "
                        "not a keyword): generated code names it")
    return name


def _one_line(text: str, what: str) -> str:
    """``text`` if it is printable (no line break or control character: it reaches generated comments)."""
    if not isinstance(text, str) or not all(c.isprintable() or c == " " for c in text):
        raise CellError(f"{what} {str(text)[:60]!r} holds a line break or control character")
    return text


def _label(label: str) -> str:
    """A weight block's label (``h`` in ``W_{fh}``): letters, digits and _ (it names a module parameter)."""
    if not (isinstance(label, str) and re.fullmatch(r"[A-Za-z0-9_]+", label)):
        raise CellError(f"the label {str(label)[:60]!r} is not letters, digits and _: it names a parameter of the "
                        "generated module")
    return label


class CellBuilder:
    """Write a cell as equations; checks shapes and names as it goes.

    An Elman RNN, ``h_t = tanh(W·[h_{t-1}; x_t] + b)``::

        b = CellBuilder("rnn", "Elman RNN")
        n, m = b.size("n", "hidden"), b.size("m", "input")
        x = b.input("x_t", m, "input")
        h = b.state("h", n, "hidden state")
        W, bias = b.param("W", n, n + m, "weight"), b.param("b", n, 1, "bias")
        b.update(h, b.gate("u", weight=W, concat=[h, x], bias=bias, function=Tanh, doc="candidate"))
        rnn = b.build()
    """

    def __init__(self, name: str, title: str, **options: object):
        self.name = name
        self.title = title
        self.options = tuple(sorted(options.items()))
        self._sizes: list[tuple[sp.Symbol, str]] = []
        self._size_defaults: list[tuple[sp.Symbol, int]] = []
        self._inputs: list[Var] = []
        self._states: list[tuple[str, Var, str]] = []
        self._updated: dict[str, Var] = {}
        self._params: list[Var] = []
        self._intermediates: list[Var] = []
        self._assignments: list[Assignment] = []
        self._gates: list[Gate] = []
        self._known: set[MatrixSymbol] = set()
        self._names: set[str] = set()

    # -- declarations --------------------------------------------------------
    def size(self, name: str, doc: str, default: int | None = None) -> sp.Symbol:
        """A symbolic size; ``default`` is used by ``CellSpec.at`` when no value is given."""
        symbol = algebra.size(_python_name(name, "size name"))
        _one_line(doc, f"the doc of size {name}")
        self._sizes.append((symbol, doc))
        if default is not None:
            self._size_defaults.append((symbol, default))
        return symbol

    def _declare(self, symbol: MatrixSymbol, ident: str | None, doc: str) -> Var:
        if symbol.name in self._names:
            raise CellError(f"cell {self.name!r} already has a variable named {symbol.name!r}")
        _one_line(symbol.name, "the name")
        ident = _python_name(ident or identifier(symbol.name), f"the identifier of {symbol.name!r}")
        self._names.add(symbol.name)
        self._known.add(symbol)
        return Var(symbol, ident, _one_line(doc, f"the doc of {symbol.name!r}"))

    def input(self, name: str, rows: algebra.Size, doc: str, ident: str | None = None) -> MatrixSymbol:
        var = self._declare(algebra.vector(name, rows), ident, doc)
        self._inputs.append(var)
        return var.symbol

    def state(self, name: str, rows: algebra.Size, doc: str) -> MatrixSymbol:
        """Declare state ``name``; returns ``name_{t-1}`` (the value read this step)."""
        _python_name(name, "state name")
        var = self._declare(algebra.vector(f"{name}_{{t-1}}", rows), f"{name}_prev", f"{doc}, previous step")
        self._states.append((name, var, doc))
        return var.symbol

    def param(self, name: str, rows: algebra.Size, cols: algebra.Size, doc: str,
              ident: str | None = None) -> MatrixSymbol:
        var = self._declare(algebra.matrix(name, rows, cols), ident, doc)
        self._params.append(var)
        return var.symbol

    # -- equations -------------------------------------------------------------
    def let(self, name: str, rhs: MatrixExpr, doc: str, ident: str | None = None) -> MatrixSymbol:
        """Define ``name = rhs``; ``rhs`` may only use names declared before."""
        unknown = algebra.matrix_symbols(rhs) - self._known
        if unknown:
            names = sorted(s.name for s in unknown)
            raise CellError(f"{name} = {text(rhs)} uses {names}, which the cell has not declared")
        rhs = self._tabled(name, rhs)
        var = self._declare(algebra.matrix(name, *rhs.shape), ident, doc)
        self._intermediates.append(var)
        self._assignments.append(Assignment(var.symbol, rhs, doc))
        return var.symbol

    def _function(self, where: str, function) -> FunctionClass:
        """The table's class for ``function`` (``sympy.exp`` → Exp, ``Lambda(x, x)`` → identity), or a CellError."""
        try:
            found = entry(function)
        except CellError as error:
            raise CellError(f"cell {self.name!r}, {where}: {error}") from None
        if found.is_derivative:
            raise CellError(f"cell {self.name!r}, {where}: {found.text()} is the derivative of {found.of.text()}, "
                            "which a cell does not apply on its own")
        return found

    def _tabled(self, name: str, rhs: MatrixExpr) -> MatrixExpr:
        """``rhs`` with every element-wise node's function replaced by its table class (or a CellError)."""
        def known(node: ElementwiseApplyFunction) -> ElementwiseApplyFunction:
            return elementwise(self._function(f"equation {name}", scalar_function(node)), node.expr)

        return rhs.replace(lambda e: isinstance(e, ElementwiseApplyFunction), known) \
            if rhs.has(ElementwiseApplyFunction) else rhs

    def gate(self, key: str, *, weight: MatrixSymbol, concat: list[MatrixExpr], bias: MatrixSymbol,
             function: FunctionClass, doc: str, name: str | None = None,
             labels: list[str] | None = None, extra: tuple[MatrixExpr, ...] = ()) -> MatrixSymbol:
        """``a_{key,t} = weight·[concat] + Σ extra + bias`` then ``key_t = function(a_{key,t})``; returns ``key_t``.

        ``labels`` name the column blocks of ``weight`` (default: the first letter of each
        concatenated name, so ``W_f = [W_{fh} | W_{fx}]``).  ``function`` is one of the table of
        :mod:`symlstm.functions` (``sympy.exp``, ``sympy.tanh`` and ``Lambda(x, x)`` stand for its exp, tanh and
        identity); any other is a :class:`CellError` naming it and listing the known ones.
        """
        function = self._function(f"gate {key!r}", function)
        stacked = algebra.concat(*concat)
        try:
            pre = algebra.add(algebra.matmul(weight, stacked), *extra, bias)
        except ShapeError as error:
            raise ShapeError(f"gate {key!r}: {error}") from None
        labels = [_label(label) for label in labels or [s.name[0] for s in concat]]
        blocks = algebra.column_blocks(weight.name, weight.shape[0], [s.shape[0] for s in concat], labels)
        a = self.let(f"a_{{{key},t}}", pre, f"{doc} pre-activation", ident=f"a_{key}")
        y = self.let(name or f"{key}_t", elementwise(function, a), doc, ident=key)
        self._gates.append(Gate(key, weight, bias, stacked, a, y, function, tuple(blocks), tuple(labels),
                                tuple(extra)))
        return y

    def update(self, state: MatrixSymbol, rhs: MatrixExpr, doc: str | None = None) -> MatrixSymbol:
        """Define the new value of ``state`` (given as its ``_{t-1}`` symbol)."""
        found = [(name, doc) for name, previous, doc in self._states if previous.symbol == state]
        if not found:
            raise CellError(f"{state} is not a state of cell {self.name!r}")
        (name, state_doc), = found
        if name in self._updated:
            raise CellError(f"state {name} of cell {self.name!r} is updated twice")
        algebra.add(state, rhs)  # same shape as the state, or a ShapeError naming both
        current = self.let(f"{name}_t", rhs, doc or f"{state_doc}, new value", ident=name)
        self._updated[name] = self._intermediates[-1]
        return current

    def build(self) -> CellSpec:
        missing = [name for name, _, _ in self._states if name not in self._updated]
        if missing:
            raise CellError(f"cell {self.name!r} never updates its state(s) {missing}")
        states = tuple(State(name, previous, self._updated[name]) for name, previous, _ in self._states)
        return CellSpec(
            name=self.name,
            title=self.title,
            sizes=tuple(self._sizes),
            inputs=tuple(self._inputs),
            states=states,
            params=tuple(self._params),
            intermediates=tuple(self._intermediates),
            assignments=tuple(self._assignments),
            gates=tuple(self._gates),
            options=self.options,
            size_defaults=tuple(self._size_defaults),
        )
