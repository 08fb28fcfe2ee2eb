"""The BPTT claims hold for the built-in cells, and refute derivations made with wrong rules."""

from __future__ import annotations

import dataclasses

import pytest
from sympy import MatMul
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

import symlstm
from symlstm import adjoint
from symlstm.algebra import add, matmul
from symlstm.bptt import bptt
from symlstm.builder import CellBuilder
from symlstm.claims.evaluate import Derivation
from symlstm.claims.gradients import StepVJPClaim, UnrolledClaim, gradient_claims, split_gradient_claims
from symlstm.errors import CellError
from symlstm.functions import Tanh, elementwise

#: σ' = σ (and tanh' = tanh): the derivative of the scalar function replaced by the function itself.
SIGMA_PRIME_IS_SIGMA = {**adjoint.RULES, ElementwiseApplyFunction: adjoint.elementwise_rule(lambda f, d: f(d))}


def forgets_transpose(node, seed):
    """The product rule with the left factors not transposed: F̄_j += F_1…F_{j-1}·z̄·(F_{j+1}…)ᵀ."""
    coeff, factors = node.as_coeff_matrices()
    right = [[adjoint.transpose(f) for f in reversed(factors[j + 1:])] for j in range(len(factors))]
    return [(f, adjoint.scale(coeff, matmul(*factors[:j], seed, *right[j]))) for j, f in enumerate(factors)]


MISSING_TRANSPOSE = {**adjoint.RULES, MatMul: forgets_transpose}


def square_rnn():
    """An Elman RNN whose input has as many entries as the state: every weight is square."""
    b = CellBuilder("square-rnn", "Elman RNN, square weights")
    n = b.size("n", "hidden")
    x = b.input("x_t", n, "input")
    h = b.state("h", n, "hidden state")
    W, U, bias = b.param("W", n, n, "recurrent weight"), b.param("U", n, n, "input weight"), b.param("b", n, 1, "b")
    b.update(h, elementwise(Tanh, b.let("a_t", add(matmul(W, h), matmul(U, x), bias), "pre-activation")))
    return b.build()


def test_lstm_claims_hold():
    claims = gradient_claims(symlstm.cell("lstm"), quick=True)
    kinds = {c.name.split("[")[0] for c in claims}
    assert kinds == {"bptt-step-vjp", "bptt-unrolled-diff", "bptt-unrolled-numeric", "split-gradient"}
    for claim in claims:
        assert claim.check().holds, str(claim)


@pytest.mark.parametrize("options", [{"peephole": True}, {"cifg": True}, {"proj_size": 2}])
def test_lstm_variant_claims_hold(options):
    cell = symlstm.cell("lstm", **options)
    derivation = Derivation(cell)
    claims = (StepVJPClaim(cell, {"n": 2, "m": 1}, derivation),
              UnrolledClaim(cell, 3, {"n": 1, "m": 2}, method="numeric", derivation=derivation))
    for claim in claims:
        assert claim.check().holds, str(claim)


def test_gru_claims_hold():
    cell = symlstm.cell("gru")
    derivation = Derivation(cell)
    claims = (StepVJPClaim(cell, {"n": 2, "m": 1}, derivation),
              UnrolledClaim(cell, 2, {"n": 1, "m": 1}, derivation=derivation))
    for claim in claims:
        assert claim.check().holds, str(claim)


@pytest.mark.parametrize("method", ["diff", "numeric"])
def test_sigma_prime_equal_to_sigma_is_refuted_across_time(method):
    derivation = Derivation(symlstm.cell("lstm"), SIGMA_PRIME_IS_SIGMA)
    verdict = UnrolledClaim(derivation.cell, 2, {"n": 1, "m": 1}, method=method, derivation=derivation).check()
    assert verdict.status == "refuted"
    assert "BPTT gives" in verdict.explanation and "T = 2" in verdict.explanation


def test_sigma_prime_equal_to_sigma_is_refuted_per_step():
    cell = symlstm.cell("lstm")
    verdict = StepVJPClaim(cell, {"n": 1, "m": 1}, Derivation(cell, SIGMA_PRIME_IS_SIGMA)).check()
    assert verdict.status == "refuted"
    assert "SymPy's Jacobianᵀ·v gives" in verdict.explanation


def test_missing_transpose_is_refuted_by_the_shapes_when_they_differ():
    cell = symlstm.cell("lstm")
    verdict = StepVJPClaim(cell, {"n": 2, "m": 2}, Derivation(cell, MISSING_TRANSPOSE)).check()
    assert verdict.status == "refuted"
    assert "cannot multiply" in verdict.explanation and "columns" in verdict.explanation


def test_missing_transpose_is_refuted_by_numbers_when_the_shapes_fit():
    cell = square_rnn()
    derivation = Derivation(cell, MISSING_TRANSPOSE)
    assert not isinstance(derivation.get(), str)  # square weights: the wrong rule derives something
    step = StepVJPClaim(cell, {"n": 2}, derivation).check()
    assert step.status == "refuted" and "BPTT gives" in step.explanation
    assert UnrolledClaim(cell, 3, {"n": 2}, method="numeric", derivation=derivation).check().status == "refuted"
    assert StepVJPClaim(cell, {"n": 2}).check().holds


def test_split_gradient_claim_refutes_swapped_blocks():
    d = bptt(symlstm.cell("lstm"))
    W_f = d.cell.gate("f").weight
    gradient = d.weight_gradients[W_f]
    h_block, x_block = gradient.blocks
    swapped = dataclasses.replace(gradient, blocks=(dataclasses.replace(h_block, per_step=x_block.per_step),
                                                    dataclasses.replace(x_block, per_step=h_block.per_step)))
    wrong = dataclasses.replace(d, weight_gradients={W_f: swapped})
    (claim,) = split_gradient_claims(wrong)
    assert claim.check().status == "refuted"


def test_claims_print():
    cell = symlstm.cell("lstm")
    step = StepVJPClaim(cell, {"n": 1, "m": 1})
    unrolled = UnrolledClaim(cell, 2, {"n": 1, "m": 1}, method="numeric")
    assert r"\frac{\partial (h_t, c_t)}{\partial u}" in step.statement()
    assert r"\left\langle \bar{h}_t, h_t \right\rangle" in unrolled.statement() and r"\approx" in unrolled.statement()
    assert "**Verdict: proved at sizes.**" in step.markdown()
    assert r"\textbf{Verdict: checked.}" in unrolled.latex()


def test_bad_arguments_are_named():
    with pytest.raises(CellError, match="method"):
        UnrolledClaim(symlstm.cell("lstm"), 2, {"n": 1, "m": 1}, method="guess")
    with pytest.raises(CellError, match="T must be"):
        UnrolledClaim(symlstm.cell("lstm"), 0, {"n": 1, "m": 1})
