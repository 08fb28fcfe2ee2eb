"""The test oracle is itself tested: by hand, by central finite differences, and against PyTorch."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
import reference
from finite_differences import central_differences, loss_inputs, upstream_loss
from hypothesis import given, settings
from strategies import Problem, lstm_problems

WRT = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "xs", "h0", "c0")


@settings(max_examples=25)
@given(problem=lstm_problems())
def test_gradients_equal_central_differences(problem: Problem) -> None:
    up = problem.upstream
    _, _, grads = reference.forward_backward(
        problem.params, problem.xs, up.dhs, problem.h0, problem.c0, dhT=up.dhT, dcT=up.dcT
    )
    values = loss_inputs(problem)
    loss = partial(upstream_loss, problem, reference.forward, reference.PARAM_NAMES)
    numeric = central_differences(loss, values, WRT)
    for name in WRT:
        np.testing.assert_allclose(grads[name], numeric[name], rtol=1e-5, atol=1e-7, err_msg=name)


def _sigma(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_scalar_lstm_by_hand() -> None:
    """n = m = B = 1, two steps, distinct gate weights: the recurrence and gate order i, f, g, o by hand."""
    w_ih, w_hh = [0.5, -0.4, 0.3, 0.8], [0.2, 0.7, -0.6, 0.1]
    b_ih, b_hh = [0.1, 0.2, -0.3, 0.05], [-0.2, 0.3, 0.1, 0.0]
    xs, h, c = [1.5, -0.7], 0.25, -0.5
    expected_h, expected_c = [], []
    for x in xs:
        a = [w_ih[k] * x + b_ih[k] + w_hh[k] * h + b_hh[k] for k in range(4)]
        i, f, g, o = _sigma(a[0]), _sigma(a[1]), math.tanh(a[2]), _sigma(a[3])
        c = f * c + i * g
        h = o * math.tanh(c)
        expected_h.append(h)
        expected_c.append(c)
    params = {
        "weight_ih": np.array(w_ih).reshape(4, 1),
        "weight_hh": np.array(w_hh).reshape(4, 1),
        "bias_ih": np.array(b_ih),
        "bias_hh": np.array(b_hh),
    }
    hs, cs = reference.forward(params, np.array(xs).reshape(2, 1, 1), np.array([[0.25]]), np.array([[-0.5]]))
    np.testing.assert_allclose(hs.ravel(), expected_h, rtol=1e-14)
    np.testing.assert_allclose(cs.ravel(), expected_c, rtol=1e-14)


def _wide(a: np.ndarray | None) -> np.ndarray | None:
    return None if a is None else a.astype(np.float64)


@settings(max_examples=10)
@given(problem=lstm_problems(dtype=np.float32))
def test_float32_stays_float32_and_near_float64(problem: Problem) -> None:
    up = problem.upstream
    hs, cs, grads = reference.forward_backward(
        problem.params, problem.xs, up.dhs, problem.h0, problem.c0, dhT=up.dhT, dcT=up.dcT
    )
    hs64, _, grads64 = reference.forward_backward(
        {k: _wide(v) for k, v in problem.params.items()},
        *map(_wide, (problem.xs, up.dhs, problem.h0, problem.c0)),
        dhT=_wide(up.dhT),
        dcT=_wide(up.dcT),
    )
    assert hs.dtype == cs.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    np.testing.assert_allclose(hs, hs64, rtol=1e-4, atol=1e-5)
    for name in WRT:
        np.testing.assert_allclose(grads[name], grads64[name], rtol=1e-3, atol=1e-4, err_msg=name)


@settings(max_examples=10)
@given(problem=lstm_problems(scale=1e4))
def test_huge_inputs_stay_finite_without_warnings(problem: Problem) -> None:
    up = problem.upstream
    with np.errstate(all="raise"):
        hs, cs, grads = reference.forward_backward(
            problem.params, problem.xs, up.dhs, problem.h0, problem.c0, dhT=up.dhT, dcT=up.dcT
        )
    assert np.isfinite(hs).all() and np.isfinite(cs).all()
    assert all(np.isfinite(g).all() for g in grads.values())


def _params(n: int = 3, m: int = 2) -> dict[str, np.ndarray]:
    return {k: np.zeros(shape) for k, shape in reference.param_shapes(n, m).items()}


def test_missing_parameter_is_named() -> None:
    params = _params()
    del params["bias_hh"]
    with pytest.raises(KeyError, match="bias_hh"):
        reference.forward(params, np.zeros((2, 1, 2)))


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("weight_ih", np.zeros((12, 5)), r"weight_ih has shape \(12, 5\), expected \(12, 2\)"),
        ("bias_ih", np.zeros((3,)), r"bias_ih has shape \(3,\), expected \(12,\)"),
        ("h0", np.zeros((4, 3)), r"h0 has shape \(4, 3\), expected \(1, 3\)"),
        ("dhs", np.zeros((2, 1, 4)), r"dhs has shape \(2, 1, 4\), expected \(2, 1, 3\)"),
    ],
)
def test_wrong_shape_is_named(name: str, bad: np.ndarray, message: str) -> None:
    params, args = _params(), {"h0": None, "c0": None, "dhs": np.zeros((2, 1, 3))}
    (params if name in params else args)[name] = bad
    with pytest.raises(ValueError, match=message):
        reference.forward_backward(params, np.zeros((2, 1, 2)), args["dhs"], args["h0"], args["c0"])


# --- against PyTorch (skipped when torch is not installed) -------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _torch_run(torch, problem: Problem):
    """torch.nn.LSTM (float64) forward and autograd on the same loss; per-step c_t from torch.nn.LSTMCell."""
    (T, _, n, m), up = problem.sizes, problem.upstream
    values = {k: torch.tensor(v, requires_grad=True) for k, v in loss_inputs(problem).items()}
    lstm = torch.nn.LSTM(m, n, dtype=torch.float64)
    lstm.load_state_dict({f"{k}_l0": torch.tensor(problem.params[k]) for k in reference.PARAM_NAMES})
    out, (h_n, c_n) = lstm(values["xs"], (values["h0"][None], values["c0"][None]))
    loss = (out * torch.tensor(up.dhs)).sum()
    if up.dhT is not None:
        loss = loss + (h_n[0] * torch.tensor(up.dhT)).sum()
    if up.dcT is not None:
        loss = loss + (c_n[0] * torch.tensor(up.dcT)).sum()
    loss.backward()
    grads = {k: getattr(lstm, f"{k}_l0").grad.numpy() for k in reference.PARAM_NAMES}
    grads.update({k: values[k].grad.numpy() for k in ("xs", "h0", "c0")})

    cell = torch.nn.LSTMCell(m, n, dtype=torch.float64)
    cell.load_state_dict({k: torch.tensor(v) for k, v in problem.params.items()})
    h, c, cs = values["h0"].detach(), values["c0"].detach(), []
    with torch.no_grad():
        for t in range(T):
            h, c = cell(values["xs"][t].detach(), (h, c))
            cs.append(c.numpy())
    return out.detach().numpy(), np.stack(cs), c_n[0].detach().numpy(), grads


@settings(max_examples=20)
@given(problem=lstm_problems())
def test_forward_and_gradients_equal_torch(torch, problem: Problem) -> None:
    up = problem.upstream
    hs, cs, grads = reference.forward_backward(
        problem.params, problem.xs, up.dhs, problem.h0, problem.c0, dhT=up.dhT, dcT=up.dcT
    )
    t_hs, t_cs, t_cT, t_grads = _torch_run(torch, problem)
    np.testing.assert_allclose(hs, t_hs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cs, t_cs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cs[-1], t_cT, rtol=1e-12, atol=1e-12)
    for name in WRT:
        np.testing.assert_allclose(grads[name], t_grads[name], rtol=1e-10, atol=1e-12, err_msg=name)


def test_default_zero_states_at_edge_size_equal_torch(torch) -> None:
    """T = B = n = m = 1 with default (zero) states: same forward as torch.nn.LSTM."""
    rng = np.random.default_rng(0)
    params = {k: rng.standard_normal(s) for k, s in reference.param_shapes(1, 1).items()}
    xs = rng.standard_normal((1, 1, 1))
    lstm = torch.nn.LSTM(1, 1, dtype=torch.float64)
    lstm.load_state_dict({f"{k}_l0": torch.tensor(v) for k, v in params.items()})
    with torch.no_grad():
        out, _ = lstm(torch.tensor(xs))
    np.testing.assert_allclose(reference.forward(params, xs)[0], out.numpy(), rtol=1e-12)
