"""Every validation error of a generated module names the array, the shape given and the shape expected."""

from __future__ import annotations

import numpy as np
import pytest

import symlstm
from symlstm.codegen import compile_numpy

MODULE = compile_numpy(symlstm.cell("lstm"), "float64")
T, B, N, M = 3, 2, 4, 5


def good() -> dict:
    rng = np.random.default_rng(0)
    params = {"weight_ih": rng.standard_normal((4 * N, M)), "weight_hh": rng.standard_normal((4 * N, N)),
              "bias_ih": rng.standard_normal(4 * N), "bias_hh": rng.standard_normal(4 * N)}
    return {"params": params, "xs": rng.standard_normal((T, B, M)), "dhs": rng.standard_normal((T, B, N))}


def call(params=None, xs=None, dhs=None, **kwargs):
    g = good()
    return MODULE.forward_backward(g["params"] if params is None else params, g["xs"] if xs is None else xs,
                                   g["dhs"] if dhs is None else dhs, **kwargs)


def test_the_good_call_works():
    hs, cs, grads = call()
    assert hs.shape == cs.shape == (T, B, N)


@pytest.mark.parametrize("name", ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
def test_a_missing_parameter_is_a_key_error_naming_it(name):
    params = good()["params"]
    del params[name]
    with pytest.raises(KeyError, match=rf"missing parameter\(s\) \['{name}'\]"):
        call(params)
    with pytest.raises(KeyError, match=name):
        MODULE.forward(params, good()["xs"])


def test_pytorch_lstm_names_are_reported_as_unexpected():
    params = {f"{k}_l0": v for k, v in good()["params"].items()}
    names = r"\['bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0'\]"
    with pytest.raises(KeyError, match=r"missing parameter.*got unexpected " + names):
        call(params)


def test_an_extra_parameter_is_a_value_error_naming_it():
    params = {**good()["params"], "weight_hr": np.zeros((4, 4))}
    with pytest.raises(ValueError, match=r"unexpected parameter\(s\) \['weight_hr'\]"):
        call(params)


def test_params_must_be_a_mapping():
    with pytest.raises(ValueError, match="params must be a mapping"):
        call([1, 2, 3])


@pytest.mark.parametrize(("name", "shape", "expected"), [
    ("weight_ih", (4 * N, M + 1), r"xs has shape \(3, 2, 5\) but weight_ih has shape \(16, 6\): xs.shape\[-1\] = 5 "
                                  r"and weight_ih.shape\[1\] = 6 are both m \(input; xs is \(T, B, m\)\), so one"),
    ("weight_ih", (4 * N, M - 1), r"xs has shape \(3, 2, 5\) but weight_ih has shape \(16, 4\)"),  # issue 16 #5
    ("weight_ih", (4 * N + 1, M), r"weight_ih has shape \(17, 5\), expected \(4\*n, m\) = \(16, 5\) "
                                  r"\(n = 4 from weight_hh.shape\[1\], m = 5 from weight_ih.shape\[1\]\)"),
    ("weight_hh", (4 * N, N + 1), r"weight_ih has shape \(16, 5\), expected \(4\*n, m\) = \(20, 5\) \(n = 5 from"),
    ("weight_hh", (4 * N,), r"weight_hh has shape \(16,\), expected \(4\*n, n\)"),
    ("bias_ih", (4 * N, 1), r"bias_ih has shape \(16, 1\), expected \(4\*n,\) = \(16,\)"),
    ("bias_hh", (N,), r"bias_hh has shape \(4,\), expected \(4\*n,\) = \(16,\)"),
])
def test_a_parameter_of_the_wrong_shape_is_named_with_both_shapes(name, shape, expected):
    params = good()["params"]
    params[name] = np.zeros(shape)
    with pytest.raises(ValueError, match=expected):
        call(params)


def test_a_size_of_zero_is_refused():
    params = good()["params"]
    params["weight_hh"] = np.zeros((0, 0))
    with pytest.raises(ValueError, match=r"weight_hh has shape \(0, 0\), so n = 0"):
        call(params)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"xs": np.zeros((T, B, M + 1))}, r"xs has shape \(3, 2, 6\) but weight_ih has shape \(16, 5\)"),
    ({"xs": np.zeros((B, M))}, r"xs has shape \(2, 5\), expected \(T, B, m\)"),
    ({"dhs": np.zeros((T, B, N + 1))}, r"dhs has shape \(3, 2, 5\), expected \(T, B, n\) = \(3, 2, 4\)"),
    ({"dhs": np.zeros((T + 1, B, N))}, r"dhs has shape \(4, 2, 4\), expected \(T, B, n\) = \(3, 2, 4\)"),
    ({"h0": np.zeros((B + 1, N))}, r"h0 has shape \(3, 4\), expected \(B, n\) = \(2, 4\)"),
    ({"c0": np.zeros((N,))}, r"c0 has shape \(4,\), expected \(B, n\) = \(2, 4\)"),
    ({"dhT": np.zeros((B, N, 1))}, r"dhT has shape \(2, 4, 1\), expected \(B, n\) = \(2, 4\)"),
    ({"dcT": np.zeros((1, N))}, r"dcT has shape \(1, 4\), expected \(B, n\) = \(2, 4\)"),
    ({"xs": [["a"]]}, r"xs has dtype <U1: text; real numbers are expected"),
    ({"xs": [[1, [2]]]}, r"xs cannot be read as an array of float64"),
])
def test_a_wrong_array_is_named_with_both_shapes(kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        call(**kwargs)


def test_forward_checks_its_arrays_too():
    g = good()
    with pytest.raises(ValueError, match=r"h0 has shape \(2, 3\), expected \(B, n\) = \(2, 4\)"):
        MODULE.forward(g["params"], g["xs"], h0=np.zeros((B, N - 1)))


def test_lists_and_other_dtypes_are_accepted_and_cast():
    g = good()
    params = {k: v.astype(np.float32).tolist() for k, v in g["params"].items()}
    hs, _, grads = MODULE.forward_backward(params, g["xs"].tolist(), g["dhs"].astype(np.float16))
    assert hs.dtype == np.float64 and grads["weight_ih"].dtype == np.float64
