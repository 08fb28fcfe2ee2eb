"""The table of element-wise functions: exact parameters, one class per value, values on numbers, names,
and each function's NumPy and kernel code against its definition (lambdified by SymPy, no shared code)."""

import math
import re
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

from symlstm.claims.functions import table_functions
from symlstm.functions import (
    ELU,
    Exp,
    HardSigmoid,
    IdentityFunction,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softsign,
    TableFunction,
    definition,
    entry,
    exact,
    keras2_hard_sigmoid,
    torch_hard_sigmoid,
)
from symlstm.printing.latex import latex
from symlstm.printing.mathtext import mathtext
from symlstm.printing.text import text

z = sp.Symbol("z", real=True)
FUNCTIONS = table_functions()
IDS = [f.text() for f in FUNCTIONS]
SAMPLES = np.array([-7.5, -3.1, -2.0, -0.7, -0.01, 0.013, 0.4, 1.6, 2.2, 2.9, 6.3])


def exact_values(expr, variable=z):
    """``expr`` of ``variable`` (a definition) evaluated by mpmath at 30 digits, rounded to float64, on arrays."""
    scalar = sp.lambdify(variable, expr, "mpmath")

    def at(values):
        with mpmath.workdps(30):
            return np.array([float(scalar(mpmath.mpf(float(v)))) for v in np.atleast_1d(values)])

    return at


def reference(function):
    """φ from its definition (SymPy's lambdify to mpmath: no code shared with the helpers)."""
    return exact_values(definition(function, z))


def run_helper(function, values, dtype=np.float64):
    name, source = function.numpy_helper()
    namespace = {"np": np}
    if source:
        exec(source, namespace)  # noqa: S102 - code printed by symlstm itself
        call = namespace[name]
    else:
        call = eval(name, namespace)  # noqa: S307 - "np.tanh", "np.exp"
    return call(np.asarray(values, dtype), out=np.empty(len(values), dtype))


def test_parameters_are_exact_decimals_and_one_class_per_value():
    assert exact(0.01) == sp.Rational(1, 100)  # not the binary 0.01000000000000000020816…
    assert exact(0.1) == sp.Rational(1, 10)
    assert LeakyReLU(0.01) is LeakyReLU(alpha=0.01) is LeakyReLU(sp.Rational(1, 100))
    assert LeakyReLU(0.01) is not LeakyReLU(0.02)
    assert LeakyReLU(0.01)(z) - LeakyReLU(alpha=0.01)(z) == 0
    assert LeakyReLU(0.01).param("alpha") == sp.Rational(1, 100)
    assert LeakyReLU(0.01).__name__ == "LeakyReLU_0p01"
    assert keras2_hard_sigmoid() is HardSigmoid()
    with pytest.raises(TypeError, match="alpha"):
        LeakyReLU("0.01")
    with pytest.raises(ValueError, match="finite"):
        ELU(float("nan"))


def test_the_three_hard_sigmoids():
    # PyTorch's and Keras 3's relu6(z + 3)/6 is hard_sigmoid[α=1/6, β=1/2]; Keras 2's clip(0.2z + 0.5, 0, 1) the default
    relu6 = sp.Min(sp.Max(z + 3, 0), 6) / 6
    keras2 = sp.Min(sp.Max(sp.Rational(1, 5) * z + sp.Rational(1, 2), 0), 1)
    for point in [sp.Rational(k, 3) for k in range(-15, 16)]:
        assert torch_hard_sigmoid()(point) == relu6.subs(z, point)
        assert keras2_hard_sigmoid()(point) == keras2.subs(z, point)


def test_onnx_names():
    expected = {"relu": "Relu", "tanh": "Tanh", "σ": "Sigmoid", "affine": "Affine", "leaky_relu": "LeakyRelu",
                "thresholded_relu": "ThresholdedRelu", "scaled_tanh": "ScaledTanh", "hard_sigmoid": "HardSigmoid",
                "elu": "Elu", "softsign": "Softsign", "softplus": "Softplus"}
    for function in FUNCTIONS:
        assert function.onnx == expected.get(function.base_text), function


@pytest.mark.parametrize("function", FUNCTIONS, ids=IDS)
def test_value_on_numbers_matches_the_definition_and_never_raises(function):
    phi = sp.lambdify(z, definition(function, z), "mpmath")
    for value in [-30, -2.5, -1, 0, 0.5, 1, 3, 40]:
        for number in (sp.Float(value, 30), sp.Rational(value)):
            got = function(number).evalf(30)
            assert got.is_number, (function, number, got)
            with mpmath.workdps(30):
                expected = phi(mpmath.mpf(value))
            assert float(got) == pytest.approx(float(expected), rel=1e-25, abs=1e-300)
    assert function(z).args == (z,) and not function(z).has(sp.exp, sp.Max, sp.Piecewise)  # opaque on a symbol
    assert function(z).evalf() == function(z)
    assert not definition(function, z).has(TableFunction)  # the oracle does not use the class


def test_piecewise_values_on_rationals_are_exact():
    assert ReLU(sp.Rational(-1, 2)) == 0
    assert LeakyReLU(0.01)(-1) == sp.Rational(-1, 100)
    assert HardSigmoid()(1) == sp.Rational(7, 10)
    assert ReLU(z).func is ReLU


@pytest.mark.parametrize("function", FUNCTIONS, ids=IDS)
def test_numpy_code_matches_the_definition(function):
    np.testing.assert_allclose(run_helper(function, SAMPLES), reference(function)(SAMPLES), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("function", FUNCTIONS, ids=IDS)
def test_derivative_code_matches_the_derivative_of_the_definition(function):
    slope = sp.diff(function(z), z)
    reference_slope = exact_values(sp.diff(definition(function, z), z))
    d = sp.Dummy("d")
    # the derivative as the code generator computes it: a table function of z, a polynomial in φ(z), or a constant
    if isinstance(slope, TableFunction):
        got = run_helper(slope.func, SAMPLES)
    else:
        stored = run_helper(function, SAMPLES)
        polynomial = slope.subs(function(z), d)
        assert not polynomial.has(z), slope
        got = sp.lambdify(d, polynomial, "numpy")(stored) * np.ones_like(SAMPLES)
    # absolute 1e-15: 1 − tanh² from the stored tanh loses digits where tanh ≈ ±1, as the generated code does
    np.testing.assert_allclose(got, reference_slope(SAMPLES) * np.ones_like(SAMPLES), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("function", FUNCTIONS, ids=IDS)
def test_float32_code_is_finite_with_no_warning_at_huge_inputs(function):
    huge = np.array([-1e4, 1e4, -1e30, 1e30] if function is not Exp else [-1e4, -1e30], np.float32)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        values = run_helper(function, huge, np.float32)
        slope = sp.diff(function(z), z)
        if isinstance(slope, TableFunction):
            run_helper(slope.func, huge, np.float32)
    assert values.dtype == np.float32 and np.all(np.isfinite(values)) or function is IdentityFunction


@pytest.mark.parametrize("function", FUNCTIONS, ids=IDS)
def test_kernel_scalar_code_matches_the_definition(function):
    from symlstm.codegen.kernels import KernelPrinter

    x = sp.Symbol("x", real=True)
    for expr in (function(x), sp.diff(function(x), x)):
        code = KernelPrinter({x: "x"}).doprint(expr)
        assert re.search(r"(?<![\w.])\d", re.sub(r"DTYPE\([-\d/]+\)", "", code)) is None, code  # numbers as DTYPE
        scalar = eval(f"lambda x: {code}", {"np": np, "DTYPE": np.float64})  # noqa: S307 - printed by symlstm
        oracle = exact_values(sp.diff(definition(function, x), x) if expr != function(x)
                              else definition(function, x), x)
        got = np.array([scalar(np.float64(value)) for value in SAMPLES])
        np.testing.assert_allclose(got, oracle(SAMPLES) * np.ones_like(SAMPLES), rtol=1e-13, atol=1e-15)


def test_names_in_text_latex_and_mathtext():
    a = sp.MatrixSymbol("a_{f,t}", 3, 1)
    from symlstm.functions import elementwise

    assert text(elementwise(ReLU, a)) == "relu(a_{f,t})"
    assert text(elementwise(LeakyReLU(0.01), a)) == "leaky_relu[α=0.01](a_{f,t})"
    assert text(ReLU(z)) == "relu(z)" and text(Sigmoid(z)) == "σ(z)"
    assert latex(elementwise(ReLU, a)) == r"\operatorname{relu}\left(a_{f,t}\right)"
    assert latex(LeakyReLU(0.01)(z)) == r"\operatorname{LeakyReLU}_{0.01}\left(z\right)"
    assert latex(torch_hard_sigmoid()(z)) == r"\operatorname{hardsigmoid}_{\frac{1}{6}, 0.5}\left(z\right)"
    assert latex(sp.diff(Softsign(z), z)) == r"\operatorname{softsign}'\left(z\right)"
    assert latex(Sigmoid(z)) == r"\sigma\left(z\right)"
    assert mathtext(elementwise(ELU(1), a)) == r"\operatorname{ELU}_{1}\left(a_{f,t}\right)"


@pytest.mark.parametrize("function", FUNCTIONS, ids=IDS)
def test_mathtext_draws_every_function(function, tmp_path):
    from matplotlib.mathtext import math_to_image

    tex = mathtext(function(z)) + " = " + mathtext(sp.diff(function(z), z))
    math_to_image(f"${tex}$", tmp_path / "f.png", format="png")


def test_entry_maps_sympy_functions_and_refuses_others():
    x = sp.Symbol("x")
    assert entry(sp.Lambda(x, x)) is IdentityFunction
    assert entry(sp.exp) is Exp and entry(sp.Lambda(x, ReLU(x))) is ReLU
    for bad in (sp.sin, sp.Lambda(x, x**2), sp.Abs):
        with pytest.raises(ValueError, match=r"knows no element-wise function .*it knows: identity, sigmoid"):
            entry(bad)


def test_math_reference_of_sigmoid_helper():
    assert run_helper(Sigmoid, np.array([-800.0]))[0] == pytest.approx(math.exp(-800), rel=1e-6, abs=1e-300)
