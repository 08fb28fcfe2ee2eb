"""Issue 14, findings 6 and 8: every claim family works for a builder cell whose states and sizes are not
h/c and n/m/p, a claim family that cannot be stated is an ``error`` verdict (never an abort), and the gradient
claims' oracle differentiates each element-wise function's definition, so a wrong σ′ is refuted by every
gradient claim that depends on it."""

import pytest
from sympy import OneMatrix

import symlstm
from symlstm import CellBuilder, Sigmoid, Tanh
from symlstm.algebra import add, hadamard
from symlstm.claims.gradients import StepVJPClaim, UnrolledClaim, gradient_claims
from symlstm.claims.oracle import derivative_claim
from symlstm.functions import ReLU, Softplus
from symlstm.verification import claims_for, for_claims, forward_claims, function_claims
from symlstm.claims.generated import generated_claims


def odd_cell(function=Tanh):
    """Two states s, q of size k; an input u_t of size d; a σ gate and a candidate with ``function``."""
    b = CellBuilder("odd", "a cell with other names")
    k, d = b.size("k", "hidden"), b.size("d", "input")
    u = b.input("u_t", d, "input")
    s = b.state("s", k, "first state")
    q = b.state("q", k, "second state")
    W, bw = b.param("W_g", k, k + d, "gate weight"), b.param("b_g", k, 1, "gate bias")
    V, bv = b.param("V", k, k + d, "candidate weight"), b.param("b_v", k, 1, "candidate bias")
    g = b.gate("g", weight=W, concat=[s, u], bias=bw, function=Sigmoid, doc="gate")
    v = b.gate("v", weight=V, concat=[s, u], bias=bv, function=function, doc="candidate")
    b.update(q, add(hadamard(g, q), hadamard(add(OneMatrix(k, 1), -g), v)))
    b.update(s, hadamard(g, v))
    return b.build()


@pytest.mark.parametrize("function", [Tanh, ReLU, Softplus], ids=lambda f: f.__name__)
def test_every_claim_family_holds_for_a_cell_named_otherwise(function):
    cell = for_claims(odd_cell(function))
    claims = (forward_claims(cell) + function_claims(cell) + gradient_claims(cell, quick=True)
              + generated_claims(cell))
    names = {c.name for c in claims}
    assert "bptt-step-vjp[k=2,d=3]" in names and f"derivative[{function.text()}]" in names
    for claim in claims:
        verdict = claim.check()
        assert verdict.status != "error" and claim.as_expected, f"{claim.name}: {verdict.status} {verdict.explanation}"


def test_a_family_that_cannot_be_stated_is_an_error_verdict(monkeypatch):
    from symlstm import verification

    def broken(cell):
        raise KeyError("n")

    monkeypatch.setattr(verification, "FAMILIES", (("forward", verification.forward_claims), ("gradients", broken)))
    claims = claims_for(symlstm.cell("lstm"))
    assert claims[-1].check().status == "error" and "KeyError" in claims[-1].check().reason
    assert all(c.check().status != "error" for c in claims[:-1])


def test_write_derivation_goes_on_when_a_claim_raises(monkeypatch, tmp_path):
    from symlstm.claims import generated

    def explode(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(generated.GeneratedPrecisionClaim, "_check", explode)
    cell = odd_cell()
    monkeypatch.setattr("symlstm.derivation.claims_for", lambda c: generated_claims(for_claims(c)))
    derivation = symlstm.write_derivation(cell, tmp_path, pictures=False)
    assert not derivation.ok
    assert [c.check().status for c in derivation.claims] == ["checked", "error"]
    assert "RuntimeError: boom" in (tmp_path / "odd-verification.md").read_text()


def test_sigma_prime_patched_is_refuted_by_every_gradient_claim_that_depends_on_it(monkeypatch):
    """The fault: σ′ = σ(1 + σ) in the table (rules and fdiff alike). The oracle takes σ′ from
    σ = 1/(1 + e^{−z}), so nothing shares the wrong derivative."""
    monkeypatch.setattr(Sigmoid, "slope", classmethod(lambda cls, z: Sigmoid(z) * (1 + Sigmoid(z))))
    derivative = derivative_claim(Sigmoid).check()
    assert derivative.status == "refuted" and derivative.counterexample
    cell = symlstm.cell("lstm")
    claims = [c for c in gradient_claims(cell, quick=True) if isinstance(c, (StepVJPClaim, UnrolledClaim))]
    assert len(claims) == 4
    for claim in claims:
        verdict = claim.check()
        assert verdict.status == "refuted", f"{claim.name}: {verdict.status} {verdict.explanation}"
        assert "BPTT gives" in verdict.counterexample


def test_the_oracle_cites_the_derivative_claims():
    verdict = StepVJPClaim(symlstm.cell("lstm"), {"n": 1, "m": 1}).check()
    assert verdict.status == "proved at sizes"
    assert "derivative[σ]: proved" in verdict.steps[0].words and "derivative[tanh]: proved" in verdict.steps[0].words


def test_verify_is_public_and_takes_a_builder_cell(monkeypatch):
    from symlstm import verification
    monkeypatch.setattr(verification, "FAMILIES", (("forward", verification.forward_claims),
                                                   ("functions", verification.function_claims)))
    result = symlstm.verify(odd_cell(ReLU))
    assert result.ok and result.verdicts["derivative[relu]"].status == "proved"
    assert "claims as expected" in str(result)
    with pytest.raises(TypeError, match="CellSpec"):
        symlstm.verify("lstm")


def test_write_derivation_goes_on_when_the_backward_pass_cannot_be_derived(monkeypatch, tmp_path):
    """The fault: bptt raises (a node with no rule). The document, report and module are still written."""
    from symlstm import derivation as module
    from symlstm.adjoint import MissingRuleError

    def no_rule(cell, **kwargs):
        raise MissingRuleError("no adjoint rule for Frobnicate")

    monkeypatch.setattr(module, "bptt", no_rule)
    monkeypatch.setattr(module, "claims_for", lambda c: forward_claims(for_claims(c))[:1])
    result = symlstm.write_derivation(odd_cell(), tmp_path, pictures=False)
    assert result.gradients is None and any("no adjoint rule for Frobnicate" in n for n in result.notes)
    assert "could not be derived: MissingRuleError" in (tmp_path / "odd.md").read_text()


def test_check_all_survives_a_claim_whose_check_raises():
    from symlstm import report
    from symlstm.claims.base import Claim

    class Rude(Claim):
        name = title = "rude"

        def statement(self):
            return "x"

        def _check(self):
            raise AssertionError("unused")

        def check(self):
            raise RuntimeError("overrode check")

    claims = [Rude(), forward_claims(symlstm.cell("lstm"))[3]]
    verdicts = report.check_all(claims)
    assert [v.status for v in verdicts] == ["error", "refuted"]
    assert "error" in report.summary_table(claims)
