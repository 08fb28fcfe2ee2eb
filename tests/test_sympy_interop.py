"""symlstm's expressions in SymPy's own hands: ``str``, ``latex``, ``lambdify`` (issue 16 #9, item 5).

The references are written here with NumPy, not taken from symlstm's printers or code generator.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symlstm
from symlstm import functions as F
from symlstm.functions import elementwise

A = sp.MatrixSymbol("A", 3, 1)
Z = np.array([[-2.5], [0.25], [3.0]])
LARGE = np.array([[-1e4], [0.0], [1e4]])

#: Every table function with a NumPy reference written from its textbook definition.
REFERENCES = [
    (F.Sigmoid, lambda z: 1 / (1 + np.exp(-z))),
    (F.Tanh, np.tanh),
    (F.IdentityFunction, lambda z: z),
    (F.ReLU, lambda z: np.maximum(z, 0)),
    (F.Softplus, lambda z: np.log1p(np.exp(z))),
    (F.Softsign, lambda z: z / (1 + np.abs(z))),
    (F.Exp, np.exp),
    (F.LeakyReLU(alpha=0.01), lambda z: np.where(z > 0, z, 0.01 * z)),
    (F.ELU(alpha=1), lambda z: np.where(z > 0, z, np.expm1(z))),
    (F.ThresholdedReLU(alpha=1), lambda z: np.where(z > 1, z, 0)),
    (F.ScaledTanh(alpha=2, beta=0.5), lambda z: 2 * np.tanh(0.5 * z)),
    (F.HardSigmoid(alpha=0.2, beta=0.5), lambda z: np.clip(0.2 * z + 0.5, 0, 1)),
    (F.Affine(alpha=2, beta=1), lambda z: 2 * z + 1),
]


def test_str_and_latex_of_an_equation_read_like_the_mathematics():
    eq = symlstm.cell("lstm").equations[1]
    assert str(eq) == "Eq(i_t, σ(a_{i,t}))"
    assert sp.latex(eq) == r"i_{t} = \sigma\left(a_{i,t}\right)"
    assert str(elementwise(F.LeakyReLU(alpha=0.01), A)) == "leaky_relu[α=0.01](A)"
    assert "mapsto" not in sp.latex(elementwise(F.Softplus, A))


def test_a_cell_spec_repr_is_one_short_line():
    text = repr(symlstm.cell("lstm", peephole=True))
    assert "\n" not in text and len(text) <= 120 and text.startswith("<CellSpec lstm")


@pytest.mark.parametrize(("function", "reference"), REFERENCES, ids=lambda f: getattr(f, "__name__", ""))
def test_sympy_lambdify_applies_every_table_function_entry_by_entry(function, reference):
    compiled = sp.lambdify(A, elementwise(function, A), "numpy")
    np.testing.assert_allclose(compiled(Z), reference(Z), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("function", [F.Tanh, F.Exp])
def test_lambdify_uses_numpys_own_function_where_it_has_one(function):
    with np.errstate(over="ignore"):
        values = sp.lambdify(A, elementwise(function, A), "numpy")(LARGE)
    assert not np.isnan(values).any()


def test_sympy_lambdify_fails_on_latex_names_and_symlstm_lambdify_does_not():
    cell = symlstm.cell("lstm").at(n=2, m=3)
    rhs = cell.equations[0].rhs  # a_{i,t} = W_i·[h_{t-1}; x_t] + b_i
    args = sorted(rhs.free_symbols, key=lambda s: s.name)
    with pytest.raises(ValueError):  # sympy/sympy#20883: a scalar Dummy replaces a_{i,t}
        sp.lambdify(args, rhs, "numpy")
    rng = np.random.default_rng(0)
    values = {s.name: rng.standard_normal(s.shape) for s in args}
    got = symlstm.lambdify(args, rhs)(*(values[s.name] for s in args))
    W, b = values["W_i"], values["b_i"]
    expected = W @ np.vstack([values["h_{t-1}"], values["x_t"]]) + b
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_one_whole_lstm_step_through_lambdify_matches_a_hand_written_step():
    cell = symlstm.cell("lstm").at(n=2, m=3)
    rng = np.random.default_rng(1)
    env = {}
    for s in sorted(set().union(*(eq.rhs.free_symbols for eq in cell.equations)), key=lambda s: s.name):
        env.setdefault(s.name, rng.standard_normal(s.shape))
    given = dict(env)
    for eq in cell.equations:  # in order: every right-hand side reads what came before
        args = sorted(eq.rhs.free_symbols, key=lambda s: s.name)
        env[eq.lhs.name] = symlstm.lambdify(args, eq.rhs)(*(env[s.name] for s in args))
    h, c, x = given["h_{t-1}"], given["c_{t-1}"], given["x_t"]
    hx = np.vstack([h, x])
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    i, f = sig(given["W_i"] @ hx + given["b_i"]), sig(given["W_f"] @ hx + given["b_f"])
    g, o = np.tanh(given["W_g"] @ hx + given["b_g"]), sig(given["W_o"] @ hx + given["b_o"])
    c_next = f * c + i * g
    np.testing.assert_allclose(env["c_t"], c_next, rtol=1e-13)
    np.testing.assert_allclose(env["h_t"], o * np.tanh(c_next), rtol=1e-13)


def test_a_derivative_node_lambdifies_too():
    z = sp.Symbol("z")
    slope = sp.diff(F.LeakyReLU(alpha=0.25)(z), z).func  # a table function of its own, leaky_relu′
    compiled = sp.lambdify(A, elementwise(slope, A), "numpy")
    np.testing.assert_allclose(compiled(Z), np.where(Z > 0, 1.0, 0.25))


def test_symlstms_node_is_sympys_node_for_equality_hashing_and_order():
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    from symlstm.functions.nodes import _ENTRY

    ours = elementwise(F.Sigmoid, A)
    sympys = ElementwiseApplyFunction(sp.Lambda(_ENTRY, F.Sigmoid(_ENTRY)), A)  # as SymPy's diff builds one
    assert ours == sympys and sympys == ours and hash(ours) == hash(sympys)
    assert sp.default_sort_key(ours) == sp.default_sort_key(sympys)
    assert ours - sympys == sp.ZeroMatrix(3, 1)
    nested = elementwise(F.Tanh, elementwise(F.Sigmoid, A))
    assert (-nested).doit() == -nested and str(-nested) == "-tanh(σ(A))"  # F1: two nodes, not one Lambda
