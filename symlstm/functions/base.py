r"""The base of every element-wise function in symlstm's table, and exact parameters.

A :class:`TableFunction` is an opaque SymPy ``Function`` of one argument that knows, beside its value:

============================  =====================================================================
``definition(z)``             the function in primitives (``exp``, ``log``, ``Max``/``Min``, ``Piecewise``),
                              never through the class itself: an independent oracle for tests and claims
``slope(z)``                  its derivative, written with table functions (``fdiff`` returns it)
``numpy_lines``               NumPy statements computing ``out`` from ``z`` (a helper ``_name(z, out=None)``),
                              or ``numpy_ufunc``, a NumPy function taking ``out=`` (``np.tanh``)
``scalar_code(x)``            the scalar code of a numba kernel, every number as ``DTYPE(…)``
``text_name``, ``latex_name``  how people write it: ``relu``, ``\operatorname{relu}``
``onnx``                      its ONNX activation name (``Relu``, ``LeakyRelu``, …), None if ONNX has none
============================  =====================================================================

A parametrised family (leaky ReLU's α) is one subclass per parameter value, made and cached by
:func:`parametrised`: parameters are exact rationals (a float by its decimal repr, ``0.01`` → ``1/100``),
and two calls with equal parameters return the same class, so expressions built with them compare equal.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import ClassVar

import sympy as sp
from sympy.core.function import FunctionClass


def exact(value, name: str = "parameter") -> sp.Rational:
    """``value`` as an exact rational; a float by its shortest decimal repr (``0.01`` → ``1/100``, not binary)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, sp.Rational)):
        raise TypeError(f"{name} must be a number (int, float, Fraction or SymPy Rational), got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return sp.Rational(repr(value))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    return sp.Rational(value)


def decimal(value: sp.Rational) -> str:
    """``1/100`` → ``"0.01"``, ``-2`` → ``"-2"``; a rational with no finite decimal as ``"1/6"``."""
    q = int(value.q)
    for prime in (2, 5):
        while q % prime == 0:
            q //= prime
    if q != 1:
        return f"{value.p}/{value.q}"
    with localcontext() as context:
        context.prec = 100
        return format((Decimal(int(value.p)) / Decimal(int(value.q))).normalize(), "f")


def ident(value: sp.Rational) -> str:
    """A parameter in a Python identifier: ``0.01`` → ``0p01``, ``-1/6`` → ``m1_6``."""
    return decimal(value).replace("-", "m").replace(".", "p").replace("/", "_")


def number(value: sp.Rational) -> str:
    """A parameter as a Python float literal for NumPy code (``0.01``; ``1/6`` → ``0.16666666666666666``)."""
    return repr(float(value))


#: Parameter names as people write them in messages.
GREEK = {"alpha": "α", "beta": "β"}


class TableFunction(sp.Function):
    """An element-wise function of symlstm's table (see the module docstring)."""

    nargs = 1
    #: The family's key in the table (``"leaky_relu"``), its words and notation, its ONNX name.
    key: ClassVar[str] = ""
    base_text: ClassVar[str] = ""
    base_latex: ClassVar[str] = ""
    onnx: ClassVar[str | None] = None
    #: ``((name, value), …)``: the parameters of this member of its family, exact.
    parameters: ClassVar[tuple[tuple[str, sp.Rational], ...]] = ()
    #: How the derivative is taken at a kink ("" for a smooth function).
    kink: ClassVar[str] = ""
    #: A NumPy function taking ``out=`` (``"np.tanh"``), or None: a helper from :attr:`numpy_lines`.
    numpy_ufunc: ClassVar[str | None] = None
    #: True for the derivative of a table function (not accepted by the cell builder on its own).
    is_derivative: ClassVar[bool] = False

    # -- what a family defines -------------------------------------------------------------
    @classmethod
    def definition(cls, z: sp.Expr) -> sp.Expr:
        """The function in primitives (exp, log, Max/Min, Piecewise), not through the class."""
        raise NotImplementedError(cls.__name__)

    @classmethod
    def slope(cls, z: sp.Expr) -> sp.Expr:
        """The derivative at ``z``, written with table functions."""
        raise NotImplementedError(cls.__name__)

    @classmethod
    def numpy_lines(cls) -> list[str]:
        """Statements computing ``out`` (allocated by the caller) from ``z``, both NumPy arrays."""
        raise NotImplementedError(cls.__name__)

    @classmethod
    def scalar_code(cls, x: str) -> str:
        """Scalar code of the value at ``x`` (an atom: a name or a parenthesised expression) for a kernel."""
        raise NotImplementedError(cls.__name__)

    # -- derived from the above ----------------------------------------------------------
    @classmethod
    def param(cls, name: str) -> sp.Rational:
        return dict(cls.parameters)[name]

    @classmethod
    def _suffix(cls, separator: str = ", ") -> str:
        return separator.join(f"{GREEK.get(name, name)}={decimal(value)}" for name, value in cls.parameters)

    @classmethod
    def text(cls) -> str:
        """The name in messages: ``relu``, ``leaky_relu[α=0.01]``."""
        return f"{cls.base_text}[{cls._suffix()}]" if cls.parameters else cls.base_text

    @classmethod
    def latex_label(cls) -> str:
        r"""The name in LaTeX: ``\operatorname{relu}``, ``\operatorname{LeakyReLU}_{0.01}``."""
        if not cls.parameters:
            return cls.base_latex
        values = ", ".join(_latex_number(v) for _, v in cls.parameters)
        return rf"{cls.base_latex}_{{{values}}}"

    @classmethod
    def numpy_helper(cls) -> tuple[str, str]:
        """``(callable, helper source or "")``: the NumPy code of ``out = φ(z)``."""
        if cls.numpy_ufunc:
            return cls.numpy_ufunc, ""
        name = f"_{cls.__name__.lower()}"
        doc = f'    """{cls.text()}(z) element-wise into out (a new array when None); out must not be z."""'
        body = [f"    {line}" for line in cls.numpy_lines()]
        source = "\n".join([f"def {name}(z, out=None):", doc, "    if out is None:",
                            "        out = np.empty_like(z)", *body, "    return out"]) + "\n"
        return name, source

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return self.slope(self.args[0])

    def _eval_evalf(self, prec: int):
        z = self.args[0].evalf(prec)
        if not z.is_number or z.is_extended_real is not True:
            return None
        return sp.sympify(self.definition(z)).evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None) -> str:
        body = r"%s\left(%s\right)" % (self.latex_label(), printer._print(self.args[0]))
        return body if exp is None else r"%s^{%s}" % (body, exp)


def _latex_number(value: sp.Rational) -> str:
    text = decimal(value)
    return rf"\frac{{{value.p}}}{{{value.q}}}" if "/" in text else text


_FAMILY_CACHE: dict[tuple, FunctionClass] = {}


def parametrised(family: type[TableFunction], **parameters) -> FunctionClass:
    """The member of ``family`` with these parameters (exact), one class per value (cached)."""
    values = tuple((name, exact(value, f"{family.base_text}'s {name}")) for name, value in parameters.items())
    key = (family, values)
    if key not in _FAMILY_CACHE:
        suffix = "_".join(ident(v) for _, v in values)
        base = family.__name__.removesuffix("Function")
        _FAMILY_CACHE[key] = type(f"{base}_{suffix}", (family,),
                                  {"parameters": values, "__module__": family.__module__})
    return _FAMILY_CACHE[key]


class Derivative(TableFunction):
    """The derivative ``φ'`` of a piecewise table function ``φ`` (:attr:`of`), as a table function itself.

    Its :meth:`definition` is written by hand, piece by piece, so that the claims can compare it with
    SymPy's ``diff`` of ``φ``'s definition.
    """

    of: ClassVar[type[TableFunction]]
    is_derivative = True

    @classmethod
    def text(cls) -> str:
        return cls.of.text() + "′"

    @classmethod
    def latex_label(cls) -> str:
        return cls.of.latex_label() + "'"

    @classmethod
    def slope(cls, z):
        return sp.diff(cls.definition(z), z)


def derivative_of(function: type[TableFunction], definition, numpy_lines, scalar_code) -> FunctionClass:
    """The :class:`Derivative` of ``function`` (cached on it): ``definition(z)``, NumPy lines, ``scalar_code(x)``."""
    cached = function.__dict__.get("_derivative")
    if cached is None:
        cached = type(f"{function.__name__}_prime", (Derivative,), {
            "of": function, "key": function.key + "_prime", "parameters": function.parameters,
            "definition": classmethod(lambda cls, z: definition(z)),
            "numpy_lines": classmethod(lambda cls: numpy_lines()),
            "scalar_code": classmethod(lambda cls, x: scalar_code(x)),
            "__module__": function.__module__})
        function._derivative = cached
    return cached


def kernel_number(value: sp.Rational) -> str:
    """A number in a numba kernel: ``DTYPE(1/100)``, so that a float32 kernel computes in float32."""
    return f"DTYPE({value.p})" if value.q == 1 else f"DTYPE({value.p}/{value.q})"
