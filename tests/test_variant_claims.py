"""Claims between the variants and the plain cells: the true ones are proved, the false ones say why."""

import re

import pytest
import sympy as sp

from symlstm import cell
from symlstm.claims import EquivalenceClaim, variants
from symlstm.verification import claims_for


@pytest.mark.parametrize("make", [variants.peephole_zero, variants.cifg_is_coupled_lstm,
                                  variants.projection_identity])
def test_true_variant_claims_are_proved(make):
    verdict = make().check()
    assert verdict.holds, verdict.explanation


def test_pytorch_gru_is_not_cho_gru_and_the_numbers_show_it():
    verdict = variants.gru_pytorch_is_cho().check()
    assert verdict.status == "refuted"
    left, right = re.search(r"left = \[([-\d.e]+)\] but right = \[([-\d.e]+)\]", verdict.explanation).groups()
    assert abs(float(left) - float(right)) > 1e-3


def test_a_peephole_cell_with_nonzero_peepholes_is_not_the_plain_lstm():
    """The same comparison without zeroing the peepholes must fail: the check can say no."""
    peephole, plain = cell("lstm", peephole=True), cell("lstm")

    def build(sizes):
        left, right = peephole.sized(sizes), plain.sized(sizes)
        return variants.new_states(left), variants.new_states(right)

    verdict = EquivalenceClaim("peephole-nonzero", "", build, plain.size_symbols, trial_values=(1,)).check()
    assert verdict.status == "refuted" and "counterexample" in verdict.explanation


@pytest.mark.parametrize(("options", "name"), [(dict(peephole=True), "peephole-zero"),
                                               (dict(cifg=True), "cifg-coupled"),
                                               (dict(proj_size=2), "projection-identity")])
def test_verify_includes_each_variants_claim(options, name):
    assert name in [c.name for c in claims_for(cell("lstm", **options))]


def test_expand_with_an_override_reaches_every_intermediate():
    plain = cell("lstm")
    f = plain.gate("f").activation
    coupled = plain.expand(plain.states[1].current.symbol,
                           definitions={plain.gate("i").activation: sp.OneMatrix(*f.shape) - f})
    names = {s.name for s in coupled.atoms(sp.MatrixSymbol)}
    assert "W_i" not in names and "f_t" not in names and "W_f" in names
