r"""The piecewise functions of the table: ReLU, leaky ReLU, ELU, thresholded ReLU, hard sigmoid.

Their derivatives are :class:`~symlstm.functions.base.Derivative` functions of the pre-activation, with
PyTorch's value at a kink (its autograd formulas, ``tools/autograd/derivatives.yaml``):

==================  ================================  ==========================================
function            derivative                         at the kink (PyTorch's convention)
==================  ================================  ==========================================
relu                1 if z > 0 else 0                  0 at z = 0 (``threshold_backward``)
leaky_relu[α]       1 if z > 0 else α                  α at z = 0 (``leaky_relu_backward``: self > 0)
elu[α]              1 if z > 0 else α·eᶻ               α at z = 0 (``elu_backward``: x <= 0 branch)
thresholded_relu    1 if z > α else 0                  0 at z = α (``threshold_backward``)
hard_sigmoid[α,β]   α if 0 < αz + β < 1 else 0         0 at both kinks (``hardsigmoid_backward``)
==================  ================================  ==========================================

A value on a number is exact: ``ReLU(Rational(-1, 2))`` is 0, ``LeakyReLU(0.01)(-1)`` is ``-1/100``.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import FunctionClass

from symlstm.functions.base import TableFunction, derivative_of, kernel_number, number, parametrised


class _Piecewise(TableFunction):
    """A piecewise function: exact on rational numbers, unevaluated on symbols."""

    @classmethod
    def eval(cls, z):
        if isinstance(z, sp.Rational):
            return cls.definition(z)
        return None

    @classmethod
    def prime(cls) -> FunctionClass:
        # looked up when called, not when the derivative class is made (so a patched definition is seen)
        return derivative_of(cls, lambda z: cls.prime_definition(z), lambda: cls.prime_lines(),
                             lambda x: cls.prime_code(x))

    @classmethod
    def slope(cls, z):
        return cls.prime()(z)

    @classmethod
    def kinks(cls) -> tuple[sp.Rational, ...]:
        """The points where the function is not differentiable."""
        return ()


class ReLU(_Piecewise):
    r"""``max(z, 0)``."""

    key, base_text, base_latex, onnx = "relu", "relu", r"\operatorname{relu}", "Relu"
    kink = "relu'(0) = 0, as PyTorch"

    @classmethod
    def definition(cls, z):
        return sp.Max(z, 0)

    @classmethod
    def kinks(cls):
        return (sp.Integer(0),)

    @classmethod
    def numpy_lines(cls):
        return ["np.maximum(z, 0, out=out)"]

    @classmethod
    def scalar_code(cls, x):
        return f"({x} if {x} > DTYPE(0) else DTYPE(0))"

    @staticmethod
    def prime_definition(z):
        return sp.Piecewise((1, z > 0), (0, True))

    @staticmethod
    def prime_lines():
        return ["np.greater(z, 0, out=out)"]

    @staticmethod
    def prime_code(x):
        return f"(DTYPE(1) if {x} > DTYPE(0) else DTYPE(0))"


class LeakyReLUFunction(_Piecewise):
    r"""``z if z > 0 else α·z``."""

    key, base_text, base_latex, onnx = "leaky_relu", "leaky_relu", r"\operatorname{LeakyReLU}", "LeakyRelu"
    kink = "leaky_relu'(0) = α, as PyTorch"

    @classmethod
    def definition(cls, z):
        return sp.Piecewise((z, z > 0), (cls.param("alpha") * z, True))

    @classmethod
    def kinks(cls):
        return (sp.Integer(0),)

    @classmethod
    def numpy_lines(cls):
        alpha = number(cls.param("alpha"))
        return [f"np.multiply(z, {alpha}, out=out)", "np.copyto(out, z, where=z > 0)"]

    @classmethod
    def scalar_code(cls, x):
        return f"({x} if {x} > DTYPE(0) else {kernel_number(cls.param('alpha'))}*{x})"

    @classmethod
    def prime_definition(cls, z):
        return sp.Piecewise((1, z > 0), (cls.param("alpha"), True))

    @classmethod
    def prime_lines(cls):
        return [f"out.fill({number(cls.param('alpha'))})", "np.copyto(out, 1, where=z > 0)"]

    @classmethod
    def prime_code(cls, x):
        return f"(DTYPE(1) if {x} > DTYPE(0) else {kernel_number(cls.param('alpha'))})"


def LeakyReLU(alpha=0.01) -> FunctionClass:  # noqa: N802 - a class factory, named like the class
    """Leaky ReLU with slope ``alpha`` below 0 (PyTorch's default 0.01; ONNX's and Keras 2's 0.01 and 0.3)."""
    return parametrised(LeakyReLUFunction, alpha=alpha)


class ELUFunction(_Piecewise):
    r"""``z if z > 0 else α·(eᶻ − 1)``."""

    key, base_text, base_latex, onnx = "elu", "elu", r"\operatorname{ELU}", "Elu"
    kink = "elu'(0) = α, as PyTorch"

    @classmethod
    def eval(cls, z):
        return cls.definition(z) if isinstance(z, sp.Rational) and z >= 0 else None  # e^z is not rational

    @classmethod
    def definition(cls, z):
        return sp.Piecewise((z, z > 0), (cls.param("alpha") * (sp.exp(z) - 1), True))

    @classmethod
    def kinks(cls):
        return (sp.Integer(0),)

    @classmethod
    def numpy_lines(cls):
        return ["np.minimum(z, 0, out=out)", "np.expm1(out, out=out)  # no overflow: exp of min(z, 0) only",
                f"out *= {number(cls.param('alpha'))}", "np.copyto(out, z, where=z > 0)"]

    @classmethod
    def scalar_code(cls, x):
        return f"({x} if {x} > DTYPE(0) else {kernel_number(cls.param('alpha'))}*np.expm1({x}))"

    @classmethod
    def prime_definition(cls, z):
        return sp.Piecewise((1, z > 0), (cls.param("alpha") * sp.exp(z), True))

    @classmethod
    def prime_lines(cls):
        return ["np.minimum(z, 0, out=out)", "np.exp(out, out=out)", f"out *= {number(cls.param('alpha'))}",
                "np.copyto(out, 1, where=z > 0)"]

    @classmethod
    def prime_code(cls, x):
        return f"(DTYPE(1) if {x} > DTYPE(0) else {kernel_number(cls.param('alpha'))}*np.exp({x}))"


def ELU(alpha=1) -> FunctionClass:  # noqa: N802
    """ELU with ``alpha`` (the value approached as z → −∞ is −α)."""
    return parametrised(ELUFunction, alpha=alpha)


class ThresholdedReLUFunction(_Piecewise):
    r"""``z if z > α else 0`` (ONNX ThresholdedRelu, α = 1 by default)."""

    key, base_text, base_latex, onnx = ("thresholded_relu", "thresholded_relu", r"\operatorname{ThresholdedReLU}",
                                        "ThresholdedRelu")
    kink = "thresholded_relu'(α) = 0, as PyTorch's Threshold"

    @classmethod
    def definition(cls, z):
        return sp.Piecewise((z, z > cls.param("alpha")), (0, True))

    @classmethod
    def kinks(cls):
        return (cls.param("alpha"),)

    @classmethod
    def numpy_lines(cls):
        return ["np.copyto(out, z)", f"np.copyto(out, 0, where=z <= {number(cls.param('alpha'))})"]

    @classmethod
    def scalar_code(cls, x):
        return f"({x} if {x} > {kernel_number(cls.param('alpha'))} else DTYPE(0))"

    @classmethod
    def prime_definition(cls, z):
        return sp.Piecewise((1, z > cls.param("alpha")), (0, True))

    @classmethod
    def prime_lines(cls):
        return [f"np.greater(z, {number(cls.param('alpha'))}, out=out)"]

    @classmethod
    def prime_code(cls, x):
        return f"(DTYPE(1) if {x} > {kernel_number(cls.param('alpha'))} else DTYPE(0))"


def ThresholdedReLU(alpha=1) -> FunctionClass:  # noqa: N802
    """``z if z > alpha else 0``."""
    return parametrised(ThresholdedReLUFunction, alpha=alpha)


class HardSigmoidFunction(_Piecewise):
    r"""``clip(α·z + β, 0, 1)`` (ONNX HardSigmoid; Keras 2's α = 0.2, β = 0.5; PyTorch's and Keras 3's
    ``relu6(z + 3)/6`` is α = 1/6, β = 1/2)."""

    key, base_text, base_latex, onnx = "hard_sigmoid", "hard_sigmoid", r"\operatorname{hardsigmoid}", "HardSigmoid"
    kink = "hard_sigmoid' = 0 at both kinks, as PyTorch"

    @classmethod
    def definition(cls, z):
        return sp.Min(sp.Max(cls.param("alpha") * z + cls.param("beta"), 0), 1)

    @classmethod
    def kinks(cls):
        alpha, beta = cls.param("alpha"), cls.param("beta")
        return tuple(sorted(((0 - beta) / alpha, (1 - beta) / alpha)))

    @classmethod
    def numpy_lines(cls):
        return [f"np.multiply(z, {number(cls.param('alpha'))}, out=out)", f"out += {number(cls.param('beta'))}",
                "np.clip(out, 0, 1, out=out)"]

    @classmethod
    def scalar_code(cls, x):
        alpha, beta = kernel_number(cls.param("alpha")), kernel_number(cls.param("beta"))
        return f"min(max({alpha}*{x} + {beta}, DTYPE(0)), DTYPE(1))"

    @classmethod
    def prime_definition(cls, z):
        inside = cls.param("alpha") * z + cls.param("beta")
        return sp.Piecewise((cls.param("alpha"), sp.And(inside > 0, inside < 1)), (0, True))

    @classmethod
    def prime_lines(cls):
        alpha, beta = number(cls.param("alpha")), number(cls.param("beta"))
        return [f"np.multiply(z, {alpha}, out=out)", f"out += {beta}",
                f"np.copyto(out, {alpha} * ((out > 0) & (out < 1)))"]

    @classmethod
    def prime_code(cls, x):
        alpha, beta = kernel_number(cls.param("alpha")), kernel_number(cls.param("beta"))
        inside = f"({alpha}*{x} + {beta})"
        return f"({alpha} if DTYPE(0) < {inside} < DTYPE(1) else DTYPE(0))"


def HardSigmoid(alpha=0.2, beta=0.5) -> FunctionClass:  # noqa: N802
    """``clip(α·z + β, 0, 1)``, α > 0; the defaults are ONNX's and Keras 2's."""
    if float(alpha) <= 0:
        raise ValueError(f"hard sigmoid needs alpha > 0, got {alpha!r}")
    return parametrised(HardSigmoidFunction, alpha=alpha, beta=beta)


#: The three hard sigmoids: Keras 2's ``clip(0.2z + 0.5, 0, 1)`` (= ONNX's default), and PyTorch's and Keras 3's
#: ``relu6(z + 3)/6`` = ``clip(z/6 + 1/2, 0, 1)``.
def keras2_hard_sigmoid() -> FunctionClass:
    return HardSigmoid(0.2, 0.5)


def torch_hard_sigmoid() -> FunctionClass:
    return HardSigmoid(sp.Rational(1, 6), sp.Rational(1, 2))
