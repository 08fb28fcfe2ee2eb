"""Issue 14, findings 9–12: verdicts that say what was established. Each test injects the fault the claim guards
against (a backend dropping a bias, an empty trial set, a derivation with no rule, a float constant, an identity
expansion cannot reduce, a pre-activation term the claim would not look at) and requires the honest verdict."""

from dataclasses import replace

import pytest
import sympy as sp
from sympy import OneMatrix

import symlstm
from symlstm import CellBuilder, Sigmoid, Tanh
from symlstm.algebra import add, hadamard
from symlstm.claims import EquivalenceClaim, stacked_gates
from symlstm.claims.gradients import StepVJPClaim, UnrolledClaim, gradient_claims
from symlstm.claims.evaluate import Derivation
from symlstm.functions import ReLU, elementwise
from symlstm.layouts.claims import conversion_claim
from symlstm.layouts.engine import NumpyBackend

N = sp.Symbol("n", integer=True, positive=True)


# -- finding 9: the layout claims run the array code convert() ships --------------------------------------------
def test_a_backend_dropping_the_recurrent_bias_refutes_the_layout_claim(monkeypatch):
    claim = conversion_claim("pytorch", "keras", symlstm.cell("lstm"))
    monkeypatch.setattr(NumpyBackend, "add", lambda self, terms: terms[0].copy())  # b_ih + b_hh -> b_ih
    verdict = claim.check()
    assert verdict.status == "refuted", verdict
    assert "convert() at n = 2, m = 3" in verdict.counterexample and "from the keras arrays" in verdict.counterexample


def test_the_layout_claim_says_it_ran_the_arrays():
    verdict = conversion_claim("pytorch", "keras", symlstm.cell("lstm")).check()
    assert verdict.status == "proved"
    assert "Run convert() on random arrays" in verdict.steps[-1].words


# -- finding 10: no trial sizes cannot prove --------------------------------------------------------------------
def test_an_equivalence_with_no_trial_values_is_unknown_and_says_why():
    a = sp.MatrixSymbol("A", N, 1)
    verdict = EquivalenceClaim("empty", "A = A", lambda s: (a.subs(N, s[N]), a.subs(N, s[N])), [N],
                               trial_values=()).check()
    assert verdict.status == "unknown" and "no trial sizes" in verdict.reason


# -- finding 11: no refutation without a counterexample; errors are errors; exact means exact ----------------
def test_tanh_as_two_sigma_is_checked_numerically_not_refuted():
    def build(sizes):
        z = sp.MatrixSymbol("z", sizes[N], 1)
        return elementwise(Tanh, z), 2 * elementwise(Sigmoid, 2 * z) - OneMatrix(sizes[N], 1)

    verdict = EquivalenceClaim("tanh-sigma", "tanh z = 2σ(2z) − 1", build, [N], trial_values=(1, 2)).check()
    assert verdict.status == "checked" and verdict.points == 40 and verdict.deviation <= verdict.tolerance


def test_a_false_identity_expansion_cannot_reduce_is_refuted_with_numbers():
    def build(sizes):
        z = sp.MatrixSymbol("z", sizes[N], 1)
        return elementwise(Tanh, z), 2 * elementwise(Sigmoid, z) - OneMatrix(sizes[N], 1)  # σ(z), not σ(2z)

    verdict = EquivalenceClaim("tanh-sigma-wrong", "", build, [N], trial_values=(1,)).check()
    assert verdict.status == "refuted" and "counterexample at n = 1 with z =" in verdict.counterexample


def test_a_derivation_with_no_rule_is_an_error_not_a_refutation():
    cell = symlstm.cell("lstm")
    for claim in gradient_claims(cell, rules={}, quick=True):
        assert claim.check().status == "error", claim.name
        assert "MissingRuleError" in claim.check().reason or "no" in claim.check().reason


def lstm_with_float_forget_bias():
    """An LSTM whose forget gate adds the float 1.0 (Jozefowicz et al.), written with the builder."""
    b = CellBuilder("lstm-fb", "LSTM with forget bias 1.0")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x = b.input("x_t", m, "input")
    h = b.state("h", n, "hidden state")
    c = b.state("c", n, "cell state")
    gates = {}
    for key, function in (("i", Sigmoid), ("f", Sigmoid), ("g", Tanh), ("o", Sigmoid)):
        extra = (1.0 * OneMatrix(n, 1),) if key == "f" else ()
        gates[key] = b.gate(key, weight=b.param(f"W_{key}", n, n + m, "weight"), concat=[h, x],
                            bias=b.param(f"b_{key}", n, 1, "bias"), function=function, doc=key, extra=extra)
    c_t = b.update(c, add(hadamard(gates["f"], c), hadamard(gates["i"], gates["g"])))
    b.update(h, hadamard(gates["o"], elementwise(Tanh, c_t)))
    return b.build()


def test_a_float_forget_bias_is_compared_exactly_as_a_rational():
    cell = lstm_with_float_forget_bias()
    for claim in gradient_claims(cell, quick=True):
        verdict = claim.check()
        assert verdict.holds, f"{claim.name}: {verdict.status} {verdict.explanation}"
    diff = UnrolledClaim(cell, 2, {"n": 1, "m": 1})
    assert diff.check().status == "checked" and diff.check().tolerance == 0.0  # exact, not Float == Float


@pytest.mark.parametrize("half", [sp.Rational(1, 2), 0.5], ids=["rational", "float"])
def test_constants_stay_exact_in_exact_claims(half):
    """h' = ½·(h ⊙ σ(W·[h; x] + b + 1.0)) + ⅓·h. Before, the unrolled-diff claim said "refuted: BPTT gives
    0.0394504859399 but SymPy's diff gives 0.0394504859399" (lambdify's 0.5, Float against Float)."""
    b = CellBuilder("half", "a cell with constants")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h = b.input("x_t", m, "input"), b.state("h", n, "hidden")
    u = b.gate("u", weight=b.param("W", n, n + m, "weight"), concat=[h, x], bias=b.param("b", n, 1, "bias"),
               function=Sigmoid, doc="candidate", extra=(1.0 * OneMatrix(n, 1),))
    b.update(h, half * hadamard(h, u) + sp.Rational(1, 3) * h)
    cell = b.build()
    for sizes in ({"n": 1, "m": 1}, {"n": 2, "m": 1}):
        diff = UnrolledClaim(cell, 2, sizes).check()
        assert diff.status == "checked" and diff.tolerance == 0.0, diff
        assert StepVJPClaim(cell, sizes).check().status == "proved at sizes"


def relu_cell():
    b = CellBuilder("relu-rnn", "ReLU RNN")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h = b.input("x_t", m, "input"), b.state("h", n, "hidden")
    b.update(h, b.gate("u", weight=b.param("W", n, n + m, "weight"), concat=[h, x],
                       bias=b.param("b", n, 1, "bias"), function=ReLU, doc="candidate"))
    return b.build()


def test_relu_gradient_claims_hold_and_never_end_in_a_sympy_error():
    for claim in gradient_claims(relu_cell(), quick=True):
        verdict = claim.check()
        assert verdict.holds, f"{claim.name}: {verdict.status} {verdict.explanation}"


def test_an_equivalence_with_relu_avoids_the_kink():
    """relu(z) = z ⊙ relu'(z) holds away from 0; integer points (z = 0) used to make SymPy fail."""
    def build(sizes):
        z = sp.MatrixSymbol("z", sizes[N], 1)
        slope = ReLU(sp.Symbol("t")).diff(sp.Symbol("t")).func
        return elementwise(ReLU, z), hadamard(z, elementwise(slope, z))

    verdict = EquivalenceClaim("relu-slope", "", build, [N], trial_values=(1, 2)).check()
    assert verdict.holds, verdict


# -- finding 12: the stacked-gates claim looks at the whole pre-activation -------------------------------------
def test_stacked_gates_of_the_peephole_lstm_states_its_peephole_terms():
    claim = stacked_gates(symlstm.cell("lstm", peephole=True))
    assert "p_{i}" in claim.statement() or "p_i" in claim.statement()
    assert claim.check().status == "proved"


def test_stacked_gates_reads_the_cells_equations_not_only_its_gate_records():
    """The fault: gate records that forget the peephole terms (what the old claim read). The claim compares the
    cell's own equations, so the forgotten terms refute it."""
    cell = symlstm.cell("lstm", peephole=True)
    forgetful = replace(cell, gates=tuple(replace(g, extra=()) for g in cell.gates))
    verdict = stacked_gates(forgetful).check()
    assert verdict.status == "refuted" and "counterexample" in verdict.counterexample


def test_stacked_gates_of_the_projection_at_concrete_sizes():
    verdict = stacked_gates(symlstm.cell("lstm", proj_size=2), n=2, m=3).check()
    assert verdict.status == "proved at sizes" and "p = 2" in verdict.sizes
