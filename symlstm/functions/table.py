"""The table: every element-wise function a cell may use, looked up by class, SymPy function or Lambda.

:func:`entry` is the one look-up the builder, the printers and the code generator share: it returns the
table's class for ``function`` (``sympy.exp`` → :class:`Exp`, ``sympy.tanh`` → :class:`Tanh`, a
``Lambda(x, x)`` → :class:`IdentityFunction`) or raises :class:`~symlstm.errors.CellError` naming the function
and listing the known ones.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import FunctionClass

from symlstm.errors import CellError
from symlstm.functions.base import TableFunction
from symlstm.functions.piecewise import ELU, HardSigmoid, LeakyReLU, ReLU, ThresholdedReLU
from symlstm.functions.smooth import Affine, Exp, IdentityFunction, ScaledTanh, Sigmoid, Softplus, Softsign, Tanh

#: The functions without parameters, by the name a cell specification uses.
NONLINEARITIES: dict[str, FunctionClass] = {
    "identity": IdentityFunction, "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "softplus": Softplus,
    "softsign": Softsign, "exp": Exp,
}
#: The parametrised families: name → factory (``LeakyReLU(alpha=0.01)`` returns a class).
FAMILIES = {"leaky_relu": LeakyReLU, "elu": ELU, "thresholded_relu": ThresholdedReLU, "scaled_tanh": ScaledTanh,
            "hard_sigmoid": HardSigmoid, "affine": Affine}
#: SymPy's own functions a cell may use, and the table's opaque class each stands for.
SYMPY_ALIASES: dict[FunctionClass, FunctionClass] = {sp.exp: Exp, sp.tanh: Tanh}


def known() -> str:
    """The known functions, for messages."""
    families = [f"{name}(…)" for name in FAMILIES]
    return ", ".join([*NONLINEARITIES, *families, "sympy.exp", "sympy.tanh", "Lambda(x, x)"])


def is_identity(function) -> bool:
    return isinstance(function, sp.Lambda) and len(function.variables) == 1 and function.expr == function.variables[0]


def entry(function) -> type[TableFunction]:
    """The table's class for ``function`` (a class, ``sympy.exp``/``sympy.tanh``, ``Lambda(x, F(x))``)."""
    if isinstance(function, sp.Lambda) and len(function.variables) == 1:
        (variable,) = function.variables
        body = function.expr
        if body == variable:
            return IdentityFunction
        if isinstance(body, sp.Function) and body.args == (variable,):
            function = body.func
    if isinstance(function, type) and issubclass(function, TableFunction):
        return function
    if function in SYMPY_ALIASES:
        return SYMPY_ALIASES[function]
    name = getattr(function, "__name__", None) or str(function)
    raise CellError(f"symlstm knows no element-wise function {name}; it knows: {known()}")


def is_known(function) -> bool:
    try:
        entry(function)
    except CellError:
        return False
    return True
