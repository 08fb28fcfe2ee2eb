"""The claim per element-wise function (fdiff = d/dz of its definition) holds for every function of the table,
and is refuted, with a counterexample, when a derivative is wrong."""

import pytest
import sympy as sp

from symlstm.claims.functions import DerivativeClaim, function_claims, table_functions
from symlstm.functions import ELU, LeakyReLU, ReLU, Sigmoid, Softsign


@pytest.mark.parametrize("claim", function_claims(), ids=lambda c: c.name)
def test_every_function_claim_holds(claim):
    verdict = claim.check()
    assert verdict.status == "proved", verdict.explanation
    if claim.function.kink:
        assert "piece by piece" in verdict.reason and claim.function.kink in verdict.reason
    assert claim.statement() and claim.markdown()


def test_one_claim_per_function_of_the_table():
    assert [c.function for c in function_claims()] == table_functions()


def test_a_wrong_sigmoid_derivative_is_refuted(monkeypatch):
    monkeypatch.setattr(Sigmoid, "slope", classmethod(lambda cls, z: Sigmoid(z) * (1 + Sigmoid(z))))
    verdict = DerivativeClaim(Sigmoid).check()
    assert verdict.status == "refuted", verdict.explanation
    assert "at z = " in verdict.counterexample


def test_a_wrong_value_at_one_side_of_a_kink_is_refuted(monkeypatch):
    # leaky_relu' = 1 below 0 instead of α: the symbolic comparison on (−∞, 0) fails, the points refute it
    leaky = LeakyReLU(0.25)
    monkeypatch.setattr(leaky, "prime_definition", classmethod(lambda cls, z: sp.Piecewise((1, z > 0), (1, True))))
    verdict = DerivativeClaim(leaky).check()
    assert verdict.status == "refuted" and "z = -" in verdict.counterexample, verdict.explanation


def test_a_derivative_shifted_off_the_kink_is_refuted(monkeypatch):
    monkeypatch.setattr(ReLU, "prime_definition", staticmethod(lambda z: sp.Piecewise((1, z > 1), (0, True))))
    verdict = DerivativeClaim(ReLU).check()
    assert verdict.status == "refuted", verdict.explanation


def test_a_claim_that_sympy_cannot_simplify_is_checked_numerically(monkeypatch):
    import symlstm.claims.functions as claims

    monkeypatch.setattr(claims, "_is_zero", lambda expr: False)
    for function in (Softsign, ELU(1)):
        verdict = DerivativeClaim(function).check()
        assert verdict.status == "checked" and verdict.points > 20 and verdict.deviation <= verdict.tolerance


def test_lambdify_namespaces_evaluate_every_function_and_derivative():
    import mpmath

    from symlstm.functions import definition
    from symlstm.functions.numeric import namespace

    x = sp.Symbol("x", real=True)
    for function in table_functions():
        expr = function(x) + sp.diff(function(x), x)
        reference = definition(function, x) + sp.diff(definition(function, x), x)
        for point in (sp.Rational(-7, 3), sp.Rational(5, 4)):
            exact = sp.lambdify(x, expr, [namespace(expr, "sympy"), "sympy"])(point)
            with mpmath.workdps(30):
                numeric = sp.lambdify(x, expr, [namespace(expr, "mpmath"), "mpmath"])(mpmath.mpf(point.p) / point.q)
            expected = reference.subs(x, point).evalf(30)
            # lambdify's "sympy" printer writes a rational coefficient as a float division: 1e-12, not 1e-25
            assert abs(sp.N(exact, 30) - expected) < 1e-12 and abs(numeric - expected) < 1e-25, function
