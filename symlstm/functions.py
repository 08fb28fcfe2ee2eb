"""Element-wise nonlinearities as SymPy functions.

``Sigmoid`` and ``Tanh`` are opaque SymPy ``Function`` subclasses: SymPy never
rewrites ``Sigmoid(Sigmoid(x))`` into nested exponentials (which is what makes
unrolled derivations explode), yet ``diff`` knows their derivatives through
``fdiff``, ``evalf`` gives numbers, and ``rewrite(exp)`` gives the textbook form.

Applied to a matrix expression they become ``ElementwiseApplyFunction`` nodes;
:func:`elementwise` builds one and :func:`scalar_function` reads it back.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import FunctionClass
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction


class Sigmoid(sp.Function):
    r"""The logistic function :math:`\sigma(z) = 1 / (1 + e^{-z})`."""

    nargs = 1
    latex_name = r"\sigma"

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return Sigmoid(self.args[0]) * (1 - Sigmoid(self.args[0]))

    def _eval_rewrite_as_exp(self, z, **kwargs) -> sp.Expr:
        return 1 / (1 + sp.exp(-z))

    def _eval_rewrite_as_tanh(self, z, **kwargs) -> sp.Expr:
        return (1 + sp.tanh(z / 2)) / 2

    def _eval_evalf(self, prec: int):
        z = self.args[0]._eval_evalf(prec)
        if z is None or not z.is_number:
            return None
        return (1 / (1 + sp.exp(-z)))._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None) -> str:
        body = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


class Tanh(sp.Function):
    r"""The hyperbolic tangent, kept opaque (``sympy.tanh`` auto-evaluates)."""

    nargs = 1
    latex_name = r"\tanh"

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return 1 - Tanh(self.args[0]) ** 2

    def _eval_rewrite_as_exp(self, z, **kwargs) -> sp.Expr:
        return (sp.exp(z) - sp.exp(-z)) / (sp.exp(z) + sp.exp(-z))

    def _eval_rewrite_as_tanh(self, z, **kwargs) -> sp.Expr:
        return sp.tanh(z)

    def _eval_evalf(self, prec: int):
        z = self.args[0]._eval_evalf(prec)
        if z is None or not z.is_number:
            return None
        return sp.tanh(z)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None) -> str:
        body = r"\tanh\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


#: The nonlinearities symlstm knows, by the name a cell specification uses.
NONLINEARITIES: dict[str, FunctionClass] = {"sigmoid": Sigmoid, "tanh": Tanh}


#: One bound variable for every element-wise Lambda, so that ``σ(A)`` built twice is the same expression
#: (SymPy would otherwise wrap each call in a Lambda over a fresh Dummy, and ``σ(A) − σ(A)`` would not cancel).
_ENTRY = sp.Dummy("d")


def elementwise(function: FunctionClass, matrix: sp.MatrixExpr) -> ElementwiseApplyFunction:
    """``function`` applied to every entry of ``matrix`` (same shape as ``matrix``)."""
    return ElementwiseApplyFunction(sp.Lambda(_ENTRY, function(_ENTRY)), matrix)


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
