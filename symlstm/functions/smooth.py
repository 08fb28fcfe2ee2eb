r"""The smooth functions of the table: identity, σ, tanh, exp, softplus, softsign, scaled tanh, affine.

Each derivative is written through the function itself where it can be (``σ' = σ(1 − σ)``,
``tanh' = 1 − tanh²``, ``exp' = exp``, scaled tanh's ``αβ − (β/α)·y²``), so that the code generator
computes it from the stored activation; softplus' is σ, softsign' its own :class:`Derivative`.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import FunctionClass

from symlstm.functions.base import TableFunction, derivative_of, kernel_number, number, parametrised


class IdentityFunction(TableFunction):
    r"""The identity ``z ↦ z`` (Greff et al.'s NIAF: no input activation function)."""

    key, base_text, base_latex = "identity", "id", r"\operatorname{id}"

    @classmethod
    def definition(cls, z):
        return z

    @classmethod
    def slope(cls, z):
        return sp.Integer(1)

    @classmethod
    def numpy_lines(cls):
        return ["np.copyto(out, z)"]

    @classmethod
    def scalar_code(cls, x):
        return x


class Sigmoid(TableFunction):
    r"""The logistic function :math:`\sigma(z) = 1 / (1 + e^{-z})`."""

    key, base_text, base_latex, onnx = "sigmoid", "σ", r"\sigma", "Sigmoid"
    latex_name = r"\sigma"

    @classmethod
    def definition(cls, z):
        return 1 / (1 + sp.exp(-z))

    @classmethod
    def slope(cls, z):
        return Sigmoid(z) * (1 - Sigmoid(z))

    @classmethod
    def numpy_helper(cls):
        return "_sigmoid", '''\
def _sigmoid(z, out=None):
    """σ(z) = (1 + tanh(z/2))/2, the rewrite of σ through tanh: exact, and finite with no
    overflow for every finite z (1/(1 + exp(-z)) overflows in exp for z < -89 in float32)."""
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out
'''

    @classmethod
    def scalar_code(cls, x):
        return f"DTYPE(1/2) + DTYPE(1/2)*np.tanh(DTYPE(1/2)*{x})"

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + sp.exp(-z))

    def _eval_rewrite_as_tanh(self, z, **kwargs):
        return (1 + sp.tanh(z / 2)) / 2

    def _eval_is_positive(self):
        return self.args[0].is_real


class Tanh(TableFunction):
    r"""The hyperbolic tangent, kept opaque (``sympy.tanh`` auto-evaluates)."""

    key, base_text, base_latex, onnx = "tanh", "tanh", r"\tanh", "Tanh"
    latex_name = r"\tanh"
    numpy_ufunc = "np.tanh"

    @classmethod
    def definition(cls, z):
        return (sp.exp(z) - sp.exp(-z)) / (sp.exp(z) + sp.exp(-z))

    @classmethod
    def slope(cls, z):
        return 1 - Tanh(z) ** 2

    @classmethod
    def scalar_code(cls, x):
        return f"np.tanh({x})"

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return self.definition(z)

    def _eval_rewrite_as_tanh(self, z, **kwargs):
        return sp.tanh(z)

    def _eval_evalf(self, prec):
        z = self.args[0].evalf(prec)
        return sp.tanh(z).evalf(prec) if z.is_number else None  # e^z overflows nothing in mpmath, but is slower


class Exp(TableFunction):
    r"""The exponential, opaque (``sympy.exp`` in a cell is taken as this one)."""

    key, base_text, base_latex = "exp", "exp", r"\exp"
    numpy_ufunc = "np.exp"

    @classmethod
    def definition(cls, z):
        return sp.exp(z)

    @classmethod
    def slope(cls, z):
        return Exp(z)

    @classmethod
    def scalar_code(cls, x):
        return f"np.exp({x})"


class Softplus(TableFunction):
    r"""``log(1 + e^z)``; its derivative is σ."""

    key, base_text, base_latex, onnx = "softplus", "softplus", r"\operatorname{softplus}", "Softplus"

    @classmethod
    def definition(cls, z):
        return sp.log(1 + sp.exp(z))

    @classmethod
    def slope(cls, z):
        return Sigmoid(z)

    @classmethod
    def numpy_lines(cls):
        return ["np.logaddexp(z, 0, out=out)  # max(z, 0) + log1p(exp(-|z|)): no overflow"]

    @classmethod
    def scalar_code(cls, x):
        return f"max({x}, DTYPE(0)) + np.log1p(np.exp(-abs({x})))"


def _softsign_prime_lines():
    # 1/(1 + |z|), then squared: no overflow where (1 + |z|)² would overflow
    return ["np.abs(z, out=out)", "out += 1", "np.reciprocal(out, out=out)", "np.multiply(out, out, out=out)"]


class Softsign(TableFunction):
    r"""``z / (1 + |z|)``; its derivative ``1 / (1 + |z|)²`` is its own :class:`Derivative`."""

    key, base_text, base_latex, onnx = "softsign", "softsign", r"\operatorname{softsign}", "Softsign"

    @classmethod
    def definition(cls, z):
        return z / (1 + sp.Abs(z))

    @classmethod
    def slope(cls, z):
        prime = derivative_of(Softsign, lambda u: 1 / (1 + sp.Abs(u)) ** 2, _softsign_prime_lines,
                              lambda x: f"(DTYPE(1)/(DTYPE(1) + abs({x})))*(DTYPE(1)/(DTYPE(1) + abs({x})))")
        return prime(z)

    @classmethod
    def numpy_lines(cls):
        return ["np.abs(z, out=out)", "out += 1", "np.divide(z, out, out=out)"]

    @classmethod
    def scalar_code(cls, x):
        return f"{x}/(DTYPE(1) + abs({x}))"


class ScaledTanhFunction(TableFunction):
    r"""``α·tanh(β·z)`` (ONNX ScaledTanh; LeCun's 1.7159·tanh(2z/3))."""

    key, base_text, base_latex, onnx = "scaled_tanh", "scaled_tanh", r"\operatorname{stanh}", "ScaledTanh"

    @classmethod
    def definition(cls, z):
        return cls.param("alpha") * sp.tanh(cls.param("beta") * z)

    @classmethod
    def slope(cls, z):
        alpha, beta = cls.param("alpha"), cls.param("beta")
        return alpha * beta - beta / alpha * cls(z) ** 2  # αβ(1 − tanh²) from the stored activation

    @classmethod
    def numpy_lines(cls):
        return [f"np.multiply(z, {number(cls.param('beta'))}, out=out)", "np.tanh(out, out=out)",
                f"out *= {number(cls.param('alpha'))}"]

    @classmethod
    def scalar_code(cls, x):
        return f"{kernel_number(cls.param('alpha'))}*np.tanh({kernel_number(cls.param('beta'))}*{x})"

    def _eval_rewrite_as_tanh(self, z, **kwargs):
        return self.definition(z)


def ScaledTanh(alpha=1, beta=1) -> FunctionClass:  # noqa: N802 - a class factory, named like the class
    """``α·tanh(β·z)``; α ≠ 0."""
    if float(alpha) == 0:
        raise ValueError("scaled tanh needs alpha ≠ 0, got 0")
    return parametrised(ScaledTanhFunction, alpha=alpha, beta=beta)


class AffineFunction(TableFunction):
    r"""``α·z + β`` (ONNX Affine)."""

    key, base_text, base_latex, onnx = "affine", "affine", r"\operatorname{affine}", "Affine"

    @classmethod
    def definition(cls, z):
        return cls.param("alpha") * z + cls.param("beta")

    @classmethod
    def slope(cls, z):
        return cls.param("alpha")

    @classmethod
    def numpy_lines(cls):
        return [f"np.multiply(z, {number(cls.param('alpha'))}, out=out)", f"out += {number(cls.param('beta'))}"]

    @classmethod
    def scalar_code(cls, x):
        return f"{kernel_number(cls.param('alpha'))}*{x} + {kernel_number(cls.param('beta'))}"


def Affine(alpha=1, beta=0) -> FunctionClass:  # noqa: N802
    """``α·z + β``."""
    return parametrised(AffineFunction, alpha=alpha, beta=beta)
