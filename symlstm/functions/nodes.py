"""Element-wise nodes: a table function applied to every entry of a matrix expression."""

from __future__ import annotations

import sympy as sp
from sympy.core.function import FunctionClass
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

#: One bound variable for every element-wise Lambda, so that ``σ(A)`` built twice is the same expression
#: (SymPy would otherwise wrap each call in a Lambda over a fresh Dummy, and ``σ(A) − σ(A)`` would not cancel).
_ENTRY = sp.Dummy("d")


class Elementwise(ElementwiseApplyFunction):
    """``σ(A)``: a table function applied to every entry of ``A`` (SymPy's node, printed as people write it).

    SymPy's own printers read it as ``σ(a_{i,t})`` (``str``), ``\\sigma\\left(a_{i,t}\\right)`` (``latex``) and
    NumPy code applying the function entry by entry (``lambdify``); symlstm's printers, which define
    ``prints_symlstm_nodes``, print it their own way.
    """

    # The same node as SymPy's own (which its ``diff`` builds): equal, same hash, same place in a sorted sum.
    def __eq__(self, other):
        if isinstance(other, ElementwiseApplyFunction):
            return self._hashable_content() == other._hashable_content()
        return super().__eq__(other)

    def __hash__(self):
        return hash(("ElementwiseApplyFunction", *self._hashable_content()))

    @classmethod
    def class_key(cls):
        return ElementwiseApplyFunction.class_key()

    def doit(self, **hints):
        """As SymPy's, except that ``φ(ψ(A))`` stays two nodes: SymPy's merges them into one
        ``Lambda(d, φ(ψ(d)))``, a function no table has (``-x``, which is ``MatMul(-1, x).doit()``, did that)."""
        expr = self.expr.doit(**hints) if hints.get("deep", True) else self.expr
        if isinstance(self.function, sp.Lambda) and self.function.is_identity:
            return expr
        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(self.function)
        return self.func(self.function, expr)

    def _table_entry(self):
        from symlstm.functions.table import entry, is_known  # the table imports the functions this module wraps

        function = scalar_function(self)
        return entry(function) if is_known(function) else None

    def _own(self, printer, stock):
        if getattr(printer, "prints_symlstm_nodes", False):
            return printer._print_ElementwiseApplyFunction(self)
        table = self._table_entry()
        return None if table is None else stock(table, printer._print(self.expr))

    def _sympystr(self, printer) -> str:
        return self._own(printer, lambda f, arg: f"{f.text()}({arg})") or printer._print_ElementwiseApplyFunction(self)

    def _latex(self, printer) -> str:
        return (self._own(printer, lambda f, arg: rf"{f.latex_label()}\left({arg}\right)")
                or printer._print_ElementwiseApplyFunction(self))

    def _numpycode(self, printer) -> str:
        if getattr(printer, "prints_symlstm_nodes", False):
            return printer._print_ElementwiseApplyFunction(self)
        table = self._table_entry()
        if table is None:
            return printer._print_not_supported(self)
        if table.numpy_ufunc:  # np.tanh, np.exp: NumPy's own, stable everywhere
            ufunc = printer._module_format(table.numpy_ufunc.replace("np.", "numpy.", 1))
            return f"{ufunc}({printer._print(self.expr)})"
        z = sp.Dummy("z")
        return f"(lambda {printer._print(z)}: {printer._print(table.definition(z))})({printer._print(self.expr)})"


def elementwise(function: FunctionClass, matrix: sp.MatrixExpr) -> ElementwiseApplyFunction:
    """``function`` applied to every entry of ``matrix`` (same shape as ``matrix``)."""
    return Elementwise(sp.Lambda(_ENTRY, function(_ENTRY)), matrix)


def scalar_function(node: ElementwiseApplyFunction) -> FunctionClass | sp.Lambda:
    """The scalar function of an element-wise node.

    SymPy wraps ``Sigmoid`` into ``Lambda(d, Sigmoid(d))``; this unwraps it back
    to ``Sigmoid`` when the body is just the function applied to the variable,
    and returns the ``Lambda`` otherwise.
    """
    lam = node.function
    if isinstance(lam, FunctionClass):
        return lam
    (var,) = lam.variables
    body = lam.expr
    if isinstance(body, sp.Function) and body.args == (var,):
        return body.func
    return lam
