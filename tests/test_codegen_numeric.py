"""The generated LSTM module computes the right numbers: against the independent NumPy reference
(tests/reference.py), central finite differences, float64 vs float32, edge sizes and huge inputs."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest
import reference
from finite_differences import central_differences, loss_inputs, upstream_loss
from hypothesis import given, settings
from strategies import Problem, edge_sizes, lstm_problems, sizes

import symlstm
from symlstm.codegen import compile_numpy

WRT = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "xs", "h0", "c0")
MODULES = {dtype: compile_numpy(symlstm.cell("lstm"), dtype) for dtype in ("float32", "float64")}
TOLERANCE = {"float64": {"rtol": 1e-10, "atol": 1e-12}, "float32": {"rtol": 2e-4, "atol": 2e-5}}


def _run(module, problem: Problem):
    up = problem.upstream
    return module.forward_backward(problem.params, problem.xs, up.dhs, problem.h0, problem.c0,
                                   dhT=up.dhT, dcT=up.dcT)


def _reference(problem: Problem):
    """The reference in float64, whatever the problem's dtype."""
    up = problem.upstream
    cast = {k: np.asarray(v, np.float64) for k, v in problem.params.items()}

    def f64(a):
        return None if a is None else np.asarray(a, np.float64)

    return reference.forward_backward(cast, f64(problem.xs), f64(up.dhs), f64(problem.h0), f64(problem.c0),
                                      dhT=f64(up.dhT), dcT=f64(up.dcT))


def _compare(got, expected, dtype: str) -> None:
    hs, cs, grads = got
    rhs, rcs, rgrads = expected
    np.testing.assert_allclose(hs, rhs, **TOLERANCE[dtype], err_msg="hs")
    np.testing.assert_allclose(cs, rcs, **TOLERANCE[dtype], err_msg="cs")
    assert sorted(grads) == sorted(rgrads)
    for name in rgrads:
        assert grads[name].shape == rgrads[name].shape, name
        assert grads[name].flags.c_contiguous, f"{name} is not a C-ordered array"
        np.testing.assert_allclose(grads[name], rgrads[name], **TOLERANCE[dtype], err_msg=name)


@settings(max_examples=40)
@given(problem=lstm_problems(dtype=np.float64))
def test_float64_equals_the_reference(problem: Problem) -> None:
    _compare(_run(MODULES["float64"], problem), _reference(problem), "float64")


@settings(max_examples=25)
@given(problem=lstm_problems(dtype=np.float32, scale=0.5))
def test_float32_is_close_to_the_float64_reference(problem: Problem) -> None:
    got = _run(MODULES["float32"], problem)
    assert got[0].dtype == got[1].dtype == np.float32
    assert all(g.dtype == np.float32 for g in got[2].values())
    _compare(got, _reference(problem), "float32")


@settings(max_examples=10)
@given(problem=lstm_problems(dtype=np.float64, size_strategy=edge_sizes()))
def test_edge_sizes_equal_the_reference(problem: Problem) -> None:
    _compare(_run(MODULES["float64"], problem), _reference(problem), "float64")


@settings(max_examples=10)
@given(problem=lstm_problems(dtype=np.float64))
def test_forward_equals_the_forward_of_forward_backward(problem: Problem) -> None:
    hs, cs = MODULES["float64"].forward(problem.params, problem.xs, problem.h0, problem.c0)
    rhs, rcs = reference.forward(problem.params, problem.xs, problem.h0, problem.c0)
    np.testing.assert_allclose(hs, rhs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cs, rcs, rtol=1e-12, atol=1e-14)


@settings(max_examples=10)
@given(problem=lstm_problems(dtype=np.float64, size_strategy=sizes(max_T=3, max_B=2, max_n=3, max_m=3)))
def test_gradients_equal_central_differences(problem: Problem) -> None:
    module = MODULES["float64"]
    _, _, grads = _run(module, problem)
    values = loss_inputs(problem)
    numeric = central_differences(partial(upstream_loss, problem, module.forward, module.PARAMS), values, WRT)
    for name in WRT:
        np.testing.assert_allclose(grads[name], numeric[name], rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_huge_inputs_stay_finite_without_warnings(dtype):
    rng = np.random.default_rng(3)
    T, B, n, m = 3, 2, 4, 5
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in reference.param_shapes(n, m).items()}
    xs = (1e4 * rng.choice([-1.0, 1.0], size=(T, B, m))).astype(dtype)  # pre-activations of order 1e4
    dhs = rng.standard_normal((T, B, n)).astype(dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        hs, cs, grads = MODULES[dtype].forward_backward(params, xs, dhs)
    for name, array in [("hs", hs), ("cs", cs), *grads.items()]:
        assert np.all(np.isfinite(array)), name
    assert np.abs(hs).max() <= 1.0
    np.testing.assert_allclose(hs, reference.forward(params, xs.astype(np.float64))[0], atol=1e-5)


def test_an_empty_sequence_returns_the_final_gradients_for_the_initial_states():
    rng = np.random.default_rng(4)
    params = {k: rng.standard_normal(s) for k, s in reference.param_shapes(2, 3).items()}
    dhT, dcT = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    hs, cs, grads = MODULES["float64"].forward_backward(params, np.zeros((0, 2, 3)), np.zeros((0, 2, 2)),
                                                        dhT=dhT, dcT=dcT)
    assert hs.shape == cs.shape == (0, 2, 2) and grads["xs"].shape == (0, 2, 3)
    np.testing.assert_array_equal(grads["h0"], dhT)
    np.testing.assert_array_equal(grads["c0"], dcT)
    assert not np.any(grads["weight_hh"]) and not np.any(grads["bias_ih"])


def test_inputs_are_not_modified():
    rng = np.random.default_rng(5)
    T, B, n, m = 3, 2, 3, 2
    params = {k: rng.standard_normal(s) for k, s in reference.param_shapes(n, m).items()}
    arrays = {"xs": rng.standard_normal((T, B, m)), "dhs": rng.standard_normal((T, B, n)),
              "h0": rng.standard_normal((B, n)), "c0": rng.standard_normal((B, n)),
              "dhT": rng.standard_normal((B, n)), "dcT": rng.standard_normal((B, n))}
    before = {k: v.copy() for k, v in {**params, **arrays}.items()}
    MODULES["float64"].forward_backward(params, arrays["xs"], arrays["dhs"], arrays["h0"], arrays["c0"],
                                        dhT=arrays["dhT"], dcT=arrays["dcT"])
    for name, value in {**params, **arrays}.items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_results_of_one_call_survive_the_next():
    """The workspace reuses internal arrays between calls, never the arrays a call returns."""
    module = MODULES["float64"]
    rng = np.random.default_rng(6)
    T, B, n, m = 4, 3, 3, 2
    params = {k: rng.standard_normal(s) for k, s in reference.param_shapes(n, m).items()}
    first = [rng.standard_normal(s) for s in [(T, B, m), (T, B, n)]]
    hs, cs, grads = module.forward_backward(params, *first)
    saved = [hs.copy(), cs.copy(), {k: v.copy() for k, v in grads.items()}]
    module.forward_backward(params, rng.standard_normal((T, B, m)), rng.standard_normal((T, B, n)))
    module.forward(params, rng.standard_normal((T, B, m)))
    np.testing.assert_array_equal(hs, saved[0])
    np.testing.assert_array_equal(cs, saved[1])
    for name, array in grads.items():
        np.testing.assert_array_equal(array, saved[2][name], err_msg=name)
    module.release_workspace()
    again = module.forward_backward(params, *first)
    np.testing.assert_array_equal(again[0], saved[0])
