"""Element-wise functions as opaque SymPy functions, in one table the printers, the rules and the code share.

``Sigmoid``, ``Tanh``, ``ReLU``, … are SymPy ``Function`` subclasses that SymPy never rewrites (``σ(σ(x))``
stays small, which keeps unrolled derivations from exploding), yet ``diff`` knows their derivatives through
``fdiff``, ``evalf`` gives numbers and :func:`definition` their textbook form.  Parametrised ones are made by
factories: ``LeakyReLU(alpha=0.01)`` is a class, the same class for the same α.  Applied to a matrix
expression they become ``ElementwiseApplyFunction`` nodes; :func:`elementwise` builds one and
:func:`scalar_function` reads it back; :func:`entry` finds a function's table class (or says it has none).
"""

from __future__ import annotations

import sympy as sp

from symlstm.functions.base import Derivative, TableFunction, exact
from symlstm.functions.nodes import elementwise, scalar_function
from symlstm.functions.piecewise import (
    ELU,
    HardSigmoid,
    LeakyReLU,
    ReLU,
    ThresholdedReLU,
    keras2_hard_sigmoid,
    torch_hard_sigmoid,
)
from symlstm.functions.smooth import Affine, Exp, IdentityFunction, ScaledTanh, Sigmoid, Softplus, Softsign, Tanh
from symlstm.functions.table import FAMILIES, NONLINEARITIES, entry, is_known, known


def definition(function_class, z: sp.Expr) -> sp.Expr:
    """``function_class`` at ``z`` in primitives (exp, log, Max/Min, Piecewise), not through the class."""
    return entry(function_class).definition(z)


__all__ = [
    "ELU", "FAMILIES", "NONLINEARITIES", "Affine", "Derivative", "Exp", "HardSigmoid", "IdentityFunction", "LeakyReLU",
    "ReLU", "ScaledTanh", "Sigmoid", "Softplus", "Softsign", "TableFunction", "Tanh", "ThresholdedReLU",
    "definition", "elementwise", "entry", "exact", "is_known", "keras2_hard_sigmoid", "known", "scalar_function",
    "torch_hard_sigmoid",
]
