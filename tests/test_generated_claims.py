"""The checks of the generated module pass for every built-in cell and fail for a broken module."""

import types

import numpy as np
import pytest

from symlstm import cell
from symlstm.claims import generated
from symlstm.codegen import compile_numpy

CELLS = [cell("lstm"), cell("lstm", peephole=True, cifg=True), cell("lstm", proj_size=2), cell("gru")]


@pytest.mark.parametrize("spec", CELLS, ids=lambda c: c.name)
def test_generated_module_checks_pass(spec):
    for claim in generated.generated_claims(spec):
        verdict = claim.check()
        assert verdict.holds, f"{claim.name}: {verdict.explanation}"


def _sabotaged(broken_gradient):
    def compile_broken(spec, dtype="float64"):
        real = compile_numpy(spec, dtype)
        module = types.SimpleNamespace(**{k: getattr(real, k) for k in dir(real) if not k.startswith("__")})

        def forward_backward(params, xs, dhs, **states):
            *rest, grads = real.forward_backward(params, xs, dhs, **states)
            return (*rest, broken_gradient(grads))

        module.forward_backward = forward_backward
        return module

    return compile_broken


def test_a_wrong_gradient_is_refuted_and_located(monkeypatch):
    def halve_weight_hh(grads):
        return {**grads, "weight_hh": grads["weight_hh"] * 0.5}

    monkeypatch.setattr(generated, "compile_numpy", _sabotaged(halve_weight_hh))
    verdict = generated.GeneratedGradientClaim(cell("lstm")).check()
    assert verdict.status == "refuted" and "weight_hh[" in verdict.explanation


def test_a_non_finite_result_is_refuted(monkeypatch):
    def poison(grads):
        return {**grads, "xs": np.full_like(grads["xs"], np.nan)}

    monkeypatch.setattr(generated, "compile_numpy", _sabotaged(poison))
    verdict = generated.GeneratedPrecisionClaim(cell("lstm")).check()
    assert verdict.status == "refuted"
