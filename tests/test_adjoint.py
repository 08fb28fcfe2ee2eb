"""The adjoint rules, each checked against SymPy's element-wise Jacobian at concrete sizes."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import HadamardPower, Inverse, MatMul, MatPow, MatrixSymbol, OneMatrix, Transpose, ZeroMatrix
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symlstm.adjoint import RULES, MissingRuleError, lift, reverse, rule_for
from symlstm.algebra import concat, explicit, hadamard, matmul, side_by_side
from symlstm.errors import ShapeError
from symlstm.functions import Sigmoid, Tanh, elementwise
from symlstm.printing.latex import latex
from symlstm.readable import adjoints_first, by_name
from symlstm.spec import Assignment


def sym(name: str, rows: int, cols: int = 1) -> MatrixSymbol:
    return MatrixSymbol(name, rows, cols)


def jacobian_vjp(node, child: MatrixSymbol, seed: MatrixSymbol) -> sp.Matrix:
    """(∂ node / ∂ child)ᵀ · seed with every entry written out (the independent reference)."""
    outputs = sp.Matrix(list(explicit(node)))
    variables = list(explicit(child))
    flat = outputs.jacobian(variables).T * sp.Matrix(list(explicit(seed)))
    return sp.Matrix(child.shape[0], child.shape[1], list(flat))


def assert_rule_matches_jacobian(node, seed: MatrixSymbol) -> None:
    """Reverse mode over ``out = node`` gives every symbol in ``node`` its Jacobianᵀ·seed."""
    out = MatrixSymbol("out", *node.shape)
    found = reverse([Assignment(out, node)], {out: seed}, lambda s: sym("d" + s.name, *s.shape))
    leaves = node.atoms(MatrixSymbol)
    assert set(found.leaves) == leaves
    for leaf in leaves:
        difference = explicit(found.leaves[leaf]) - jacobian_vjp(node, leaf, seed)
        assert all(sp.expand(e) == 0 for e in difference), f"wrong adjoint of {leaf}"


A, B, C = sym("A", 2, 3), sym("B", 3, 4), sym("C", 4, 2)
v, u, w = sym("v", 3), sym("u", 3), sym("w", 3)


@pytest.mark.parametrize("node, seed", [
    (MatMul(A, v), sym("z", 2)),
    (MatMul(A, B, C), sym("Z", 2, 2)),
    (MatMul(-2, A, v), sym("z", 2)),
    (Transpose(A) * sym("y", 2), sym("z", 3)),
    (v + u + w, sym("z", 3)),
    (hadamard(v, u, w), sym("z", 3)),
    (HadamardPower(v, 3), sym("z", 3)),
    (Transpose(A), sym("Z", 3, 2)),
    (elementwise(Sigmoid, v), sym("z", 3)),
    (elementwise(Tanh, v), sym("z", 3)),
    (elementwise(sp.Lambda(sp.Symbol("q"), sp.Symbol("q") ** 3 + 2 * Sigmoid(sp.Symbol("q"))), v), sym("z", 3)),
])
def test_rule_matches_elementwise_jacobian(node, seed):
    assert_rule_matches_jacobian(node, seed)


def test_concatenation_adjoint_is_split_through_the_weight_blocks():
    h, x, z = sym("h", 2), sym("x", 3), sym("z", 2)
    W_h, W_x = sym("W_h", 2, 2), sym("W_x", 2, 3)
    node = concat(h, x)
    parts = dict(rule_for(node)(node, Transpose(side_by_side(W_h, W_x)) * z))
    assert latex(parts[h]) == r"W_h^{\top} z"
    assert latex(parts[x]) == r"W_x^{\top} z"


def test_concatenation_adjoint_without_blocks_is_sliced_and_correct():
    h, x, g = sym("h", 2), sym("x", 3), sym("g", 5)
    node = concat(h, x)
    for child, contribution in rule_for(node)(node, g):
        assert explicit(contribution) == jacobian_vjp(node, child, g)


def test_side_by_side_adjoint_gives_column_blocks():
    P, Q, Z = sym("P", 2, 2), sym("Q", 2, 3), sym("Z", 2, 5)
    node = side_by_side(P, Q)
    for child, contribution in rule_for(node)(node, Z):
        assert explicit(contribution) == jacobian_vjp(node, child, Z)


@pytest.mark.parametrize("node", [Inverse(sym("S", 2, 2)), MatPow(sym("S", 2, 2), 3)])
def test_node_without_rule_fails_by_name(node):
    with pytest.raises(MissingRuleError, match=type(node).__name__):
        rule_for(node)


def test_driver_fails_by_name_on_a_node_without_rule():
    S, y = sym("S", 2, 2), sym("y", 2)
    program = [Assignment(y, matmul(Inverse(S), sym("r", 2)))]
    with pytest.raises(MissingRuleError, match="no adjoint rule for Inverse"):
        reverse(program, {y: sym("dy", 2)}, lambda s: sym("d" + s.name, *s.shape))


def test_a_missing_transpose_fails_with_the_shapes_named():
    def forgets_transpose(node, seed):
        coeff, factors = node.as_coeff_matrices()
        return [(f, matmul(*factors[:j], seed)) for j, f in enumerate(factors)]

    with pytest.raises(ShapeError, match="cannot multiply W"):
        forgets_transpose(MatMul(sym("W", 2, 5), sym("k", 5)), sym("z", 2))


def test_lift_turns_the_scalar_derivative_into_matrix_algebra():
    d, a = sp.Dummy("d"), sym("a", 3)
    slope = lift(sp.diff(Sigmoid(d), d), d, a)
    assert not slope.atoms(sp.Lambda) - {n.function for n in slope.atoms(ElementwiseApplyFunction)}
    assert OneMatrix(3, 1) in slope.atoms(OneMatrix)
    expected = sp.Matrix([Sigmoid(a[i, 0]) * (1 - Sigmoid(a[i, 0])) for i in range(3)])
    assert all(sp.expand(e) == 0 for e in explicit(slope) - expected)


def test_lift_constants():
    d, a = sp.Dummy("d"), sym("a", 2)
    assert lift(sp.Integer(0), d, a) == ZeroMatrix(2, 1)
    assert lift(sp.Integer(1), d, a) == OneMatrix(2, 1)
    assert explicit(lift(sp.Integer(3), d, a)) == sp.Matrix([3, 3])


def test_reverse_adds_up_every_use_of_a_quantity():
    W, x, b, y, z = sym("W", 2, 2), sym("x", 2), sym("b", 2), sym("y", 2), sym("z", 2)
    program = [Assignment(y, matmul(W, x) + b), Assignment(z, hadamard(y, elementwise(Tanh, y)) + x)]
    seed = sym("g", 2)
    found = reverse(program, {z: seed}, lambda s: sym("d" + s.name, *s.shape))
    whole = (hadamard(matmul(W, x) + b, elementwise(Tanh, matmul(W, x) + b)) + x)
    for leaf in (W, x, b):
        total = found.leaves[leaf].xreplace({sym("dy", 2): found.equations[0].rhs}).xreplace({y: program[0].rhs})
        assert all(sp.expand(e) == 0 for e in explicit(total) - jacobian_vjp(whole, leaf, seed))


def test_by_name_names_what_the_forward_pass_computed():
    a, o, g = sym("a", 3), sym("o", 3), sym("g", 3)
    forward = [Assignment(o, elementwise(Sigmoid, a))]
    e = sp.Dummy("e")
    rebuilt = ElementwiseApplyFunction(sp.Lambda(e, Sigmoid(e)), a)  # another bound variable than the cell's
    renamed = by_name(hadamard(g, rebuilt, OneMatrix(3, 1) - ElementwiseApplyFunction(Sigmoid, a)), forward)
    assert renamed.atoms(ElementwiseApplyFunction) == set()
    assert latex(adjoints_first(renamed, {g}), order="none") == r"g \odot o \odot \left(\mathbf{1} - o\right)"
    assert by_name(elementwise(Tanh, a), forward) == elementwise(Tanh, a)


def test_every_table_entry_is_a_rule_with_the_common_signature():
    a, z = sym("a", 2), sym("z", 2)
    for kind in RULES:
        assert callable(RULES[kind])
    assert rule_for(a)(a, z) == []


_d = sp.Symbol("d")


@st.composite
def scalar_functions(draw):
    c = [draw(st.integers(-3, 3)) for _ in range(3)]
    k, j = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    return sp.Lambda(_d, c[0] * _d ** k + c[1] * Sigmoid(_d) * Tanh(_d) ** j + Tanh(c[2] * _d))


@settings(deadline=None, max_examples=20)
@given(function=scalar_functions())
def test_elementwise_rule_matches_diff_for_generated_functions(function):
    assert_rule_matches_jacobian(ElementwiseApplyFunction(function, sym("a", 2)), sym("z", 2))
