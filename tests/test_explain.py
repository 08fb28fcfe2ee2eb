"""explain: the seed example's numbers, shape errors, exact arithmetic — checked against NumPy."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import integer_matrices

from symlstm import ShapeError
from symlstm.explain import explain

SEED = dict(W=[[0, 1, 0, 1], [2, 3, 2, 3]], h=[-1, 2], x=[3, 0], b=[1, -2])


def test_seed_vector_into_sigma():
    e = explain(**SEED)
    assert list(e.preactivation) == [3, 8]
    assert list(e.concat) == [-1, 2, 3, 0]
    assert "[3, 8]" in str(e) and "enters σ" in str(e)


def test_seed_two_by_two_W_says_what_is_needed():
    with pytest.raises(ShapeError) as info:
        explain([[0, 1], [2, 3]], [-1, 2], [3, 0], [1, -2])
    message = str(info.value)
    assert "W_f is 2×2" in message and "2×4" in message
    assert "4 entries (n = 2 hidden + m = 2 input)" in message


def test_shape_error_is_a_value_error():
    assert issubclass(ShapeError, ValueError)


@pytest.mark.parametrize(("kwargs", "needle"), [
    (dict(SEED, b=[1, 2, 3]), "b_f has 3 entries, but it must have n = 2"),
    (dict(SEED, W=[[0, 1, 0, 1]]), "W_f is 1×4"),
    (dict(SEED, W=[[0, 1, 0], [1, 2]]), "rows of different lengths"),
    (dict(SEED, h=[[1, 2], [3, 4]]), "h must be a vector"),
])
def test_wrong_shapes_are_named(kwargs, needle):
    with pytest.raises(ShapeError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        explain(**kwargs)


@pytest.mark.parametrize(("value", "needle"), [("abc", "not a number"), (float("nan"), "finite"),
                                               (True, "boolean"), (None, "give a number")])
def test_bad_entries_are_named(value, needle):
    with pytest.raises(ValueError, match=needle):
        explain(**dict(SEED, x=[3, value]))


def test_unknown_gate():
    with pytest.raises(ValueError, match="unknown gate 'z'"):
        explain(**SEED, gate="z")


def test_fractions_stay_exact():
    e = explain([["1/2", Fraction(1, 3)]], [1], [3], ["-1/6"])
    assert e.preactivation[0] == sp.Rational(1, 2) + 1 - sp.Rational(1, 6)
    assert isinstance(e.preactivation[0], sp.Rational)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), n=st.integers(1, 4), m=st.integers(1, 4), gate=st.sampled_from("ifgo"))
def test_numbers_agree_with_numpy(data, n, m, gate):
    W = data.draw(integer_matrices(rows=n, cols=n + m, low=-5, high=5))
    h, x, b = (data.draw(integer_matrices(rows=rows, cols=1, low=-5, high=5))[:, 0] for rows in (n, m, n))
    e = explain(W, h, x, b, gate=gate)
    pre = W @ np.concatenate([h, x]) + b
    assert [int(v) for v in e.preactivation] == pre.tolist()
    assert e.split_sum == e.preactivation
    expected = np.tanh(pre) if gate == "g" else 1 / (1 + np.exp(-pre.astype(float)))
    np.testing.assert_allclose([float(v) for v in e.decimals(12)], expected, atol=1e-11)


def test_latex_shows_the_tall_vector():
    assert r"\begin{bmatrix}-1\\2\\3\\0\end{bmatrix}" in explain(**SEED).latex()
