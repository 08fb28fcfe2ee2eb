"""σ and tanh as SymPy functions: derivatives, values and LaTeX, against SymPy's own exp/tanh and math."""

import math

import pytest
import sympy as sp

from symlstm.functions import Sigmoid, Tanh, elementwise, scalar_function
from symlstm.printing.latex import latex

z = sp.Symbol("z", real=True)


def test_sigmoid_derivative_matches_diff_of_the_exponential_form():
    ours = sp.diff(Sigmoid(z), z).rewrite(sp.exp)
    reference = sp.diff(1 / (1 + sp.exp(-z)), z)
    assert sp.simplify(ours - reference) == 0


def test_tanh_derivative_matches_sympys_tanh():
    ours = sp.diff(Tanh(z), z).rewrite(sp.tanh)
    assert sp.simplify(ours - sp.diff(sp.tanh(z), z)) == 0


def test_derivatives_are_written_through_the_function_itself():
    # σ' = σ(1 − σ), tanh' = 1 − tanh²: the stored activation is enough to differentiate.
    assert sp.diff(Sigmoid(z), z) == Sigmoid(z) * (1 - Sigmoid(z))
    assert sp.diff(Tanh(z), z) == 1 - Tanh(z) ** 2


@pytest.mark.parametrize("value", [-30, -2.5, 0, 0.5, 3, 40])
def test_numeric_values_match_math(value):
    assert float(Sigmoid(value).evalf(30)) == pytest.approx(1 / (1 + math.exp(-value)), rel=1e-14)
    assert float(Tanh(value).evalf(30)) == pytest.approx(math.tanh(value), rel=1e-14, abs=1e-300)


def test_nested_calls_stay_unevaluated():
    assert Sigmoid(Tanh(z)).args == (Tanh(z),)
    assert not Sigmoid(Sigmoid(z)).has(sp.exp)


def test_latex_of_the_scalar_functions():
    assert latex(Sigmoid(z)) == r"\sigma\left(z\right)"
    assert latex(Tanh(z) ** 2) == r"\tanh\left(z\right)^{2}"


def test_elementwise_node_knows_its_function():
    A = sp.MatrixSymbol("A", 3, 1)
    node = elementwise(Sigmoid, A)
    assert scalar_function(node) is Sigmoid
    assert node.shape == (3, 1)
    explicit = node.as_explicit()
    assert explicit[1, 0] == Sigmoid(A[1, 0])
