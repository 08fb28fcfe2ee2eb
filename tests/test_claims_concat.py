"""concat = split and its misreadings, stacked gates: verdicts, reasons, and the sides' numbers against NumPy."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import integer_matrices

from symlstm import cell, claims
from symlstm.algebra import concat, explicit, matmul, side_by_side
from symlstm.claims import EquivalenceClaim
from symlstm.claims.stacking import stacked_gates

LSTM = cell("lstm")


@pytest.mark.parametrize("order", ["hx", "xh"])
def test_concat_split_holds_for_symbolic_sizes(order):
    verdict = claims.concat_split(order).check()
    assert verdict.holds, verdict.explanation
    assert "block algebra" in verdict.explanation


@settings(max_examples=25, deadline=None)
@given(data=st.data(), n=st.integers(1, 6), m=st.integers(1, 6), order=st.sampled_from(["hx", "xh"]))
def test_concat_split_exact_at_concrete_sizes(data, n, m, order):
    claim = claims.concat_split(order, n=n, m=m)
    assert claim.check().holds
    W_h, W_x = data.draw(integer_matrices(rows=n, cols=n)), data.draw(integer_matrices(rows=n, cols=m))
    h, x, b = (data.draw(integer_matrices(rows=rows, cols=1)) for rows in (n, m, n))
    stacked = np.vstack([h, x]) if order == "hx" else np.vstack([x, h])
    W = np.hstack([W_h, W_x]) if order == "hx" else np.hstack([W_x, W_h])
    expected = W @ stacked + b  # NumPy's own product of the concatenated form
    left, right = claim.sides()
    numbers = {}
    for symbol in left.atoms(sp.MatrixSymbol) | right.atoms(sp.MatrixSymbol):
        numbers[symbol] = sp.Matrix({"W_h": W_h, "W_x": W_x, "h_{t-1}": h, "x_t": x, "b": b}[symbol.name])
    for side in (left, right):
        assert np.array(explicit(side.xreplace(numbers)), dtype=np.int64).tolist() == expected.tolist()


def test_swapped_split_is_refuted_with_the_shape_condition_and_a_counterexample():
    verdict = claims.swapped_split().check()
    assert verdict.status == "refuted"
    assert "W_x (n×m" in verdict.explanation and "m = n" in verdict.explanation
    assert "counterexample" in verdict.explanation


def test_swapped_split_at_square_sizes_gives_numbers():
    verdict = claims.swapped_split(n=2, m=2).check()
    assert verdict.status == "refuted"
    assert "counterexample at n = 2, m = 2" in verdict.explanation


def test_swapped_split_at_unequal_sizes_names_the_mismatch():
    verdict = claims.swapped_split(n=2, m=3).check()
    assert verdict.status == "refuted"
    assert "cannot multiply W_x (2×3" in verdict.explanation


def test_seed_reading_is_a_matrix_not_a_vector():
    verdict = claims.seed_reading().check()
    assert verdict.status == "refuted"
    assert "(n×2, a matrix)" in verdict.explanation and "(n×1, a column vector)" in verdict.explanation


def test_seed_reading_at_the_questions_size():
    verdict = claims.seed_reading(n=2).check()
    assert "2×2, a matrix" in verdict.explanation


def test_stacked_gates_holds_symbolically_and_at_concrete_sizes():
    assert stacked_gates(LSTM).check().holds
    assert stacked_gates(LSTM, n=2, m=3).check().holds


def test_a_wrong_gate_order_is_refuted():
    """The same statement with f and g swapped in the stack must fail: the checker can say no."""
    n, m = LSTM.size("n"), LSTM.size("m")

    def build(sizes):
        gates = LSTM.sized(sizes).gates
        left = concat(*(matmul(side_by_side(*g.weight_blocks), g.concat) for g in gates))
        wrong = [gates[0], gates[2], gates[1], gates[3]]
        h, x = gates[0].concat.blocks
        right = (matmul(concat(*(g.weight_blocks[0] for g in wrong)), h)
                 + matmul(concat(*(g.weight_blocks[1] for g in wrong)), x))
        return left, right

    verdict = EquivalenceClaim("wrong-order", "i, g, f, o", build, (n, m)).check()
    assert verdict.status == "refuted"
    assert "counterexample" in verdict.explanation


def test_claim_prints_statement_verdict_and_steps():
    claim = claims.concat_split()
    tex = claim.latex()
    assert r"\begin{bmatrix} W_h & W_x \end{bmatrix}" in tex
    assert r"\textbf{Verdict: proved.}" in tex
    assert r"\begin{enumerate}" in tex
    assert "**Verdict: proved.**" in claim.markdown()


def test_partial_sizes_are_an_error():
    with pytest.raises(ValueError, match="both sizes"):
        claims.concat_split(n=2)


def test_stacked_gates_claim_only_when_the_gates_hold_every_product_with_a_block():
    """The GRU's candidate multiplies x_t and h_{t-1} outside its gates (PyTorch stacks those weights too);
    so does this cell's V·x_t, whatever its name; the LSTM and its projection variant have no such product."""
    from symlstm import CellBuilder, Sigmoid, Tanh
    from symlstm.algebra import hadamard, matmul
    from symlstm.cells import cell
    from symlstm.functions import elementwise
    from symlstm.spec import weights_beside_gates
    from symlstm.verification import forward_claims

    b = CellBuilder("gated-v", "a gate beside a product V·x_t")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h = b.input("x_t", m, "input"), b.state("h", n, "hidden state")
    W_f, b_f = b.param("W_f", n, n + m, "gate weight"), b.param("b_f", n, 1, "gate bias")
    V = b.param("V", n, m, "input weight beside the gate")
    f = b.gate("f", weight=W_f, concat=[h, x], bias=b_f, function=Sigmoid, doc="gate")
    b.update(h, hadamard(f, elementwise(Tanh, matmul(V, x))))
    beside = b.build()

    def names(c):
        return sorted(s.name for s in weights_beside_gates(c))

    def stacked(c):
        return any(claim.name.startswith("stacked-gates") for claim in forward_claims(c))

    assert names(beside) == ["V"] and not stacked(beside)
    assert names(cell("gru")) == ["W_{nh}", "W_{nx}"] and not stacked(cell("gru"))
    assert names(LSTM) == [] and stacked(LSTM)
    assert names(cell("lstm", proj_size=3)) == [] and stacked(cell("lstm", proj_size=3))
