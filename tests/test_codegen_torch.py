"""The generated LSTM and GRU against torch.nn.LSTM and nn.GRUCell: forward states and autograd gradients
(skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest

import symlstm
from symlstm.codegen import compile_numpy

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("proj_size", [None, 3])
@pytest.mark.parametrize(("dtype", "tol"), [("float64", 1e-10), ("float32", 2e-5)])
def test_forward_and_gradients_equal_torch_autograd(dtype, tol, proj_size):
    """nn.LSTM's state_dict, `_l0` dropped, drops in (with proj_size: weight_hr (p, n) too)."""
    module = compile_numpy(symlstm.cell("lstm", proj_size=proj_size), dtype)
    torch_dtype = getattr(torch, dtype)
    T, B, n, m = 5, 3, 4, 6
    r = proj_size or n
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(m, n, proj_size=proj_size or 0).to(torch_dtype)
    params = {k[:-3]: v.detach().numpy().copy() for k, v in lstm.state_dict().items()}  # weight_ih_l0 → weight_ih
    rng = np.random.default_rng(1)
    xs, h0, c0 = (rng.standard_normal(s).astype(dtype) for s in [(T, B, m), (B, r), (B, n)])
    dhs, dhT, dcT = (rng.standard_normal(s).astype(dtype) for s in [(T, B, r), (B, r), (B, n)])

    x, h, c = (torch.tensor(a, requires_grad=True) for a in (xs, h0, c0))
    out, (hT, cT) = lstm(x, (h[None], c[None]))
    loss = (out * torch.tensor(dhs)).sum() + (hT[0] * torch.tensor(dhT)).sum() + (cT[0] * torch.tensor(dcT)).sum()
    loss.backward()

    hs, cs, grads = module.forward_backward(params, xs, dhs, h0, c0, dhT=dhT, dcT=dcT)
    np.testing.assert_allclose(hs, out.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(cs[-1], cT[0].detach().numpy(), rtol=tol, atol=tol)
    expected = {k[:-3]: v.grad.numpy() for k, v in lstm.named_parameters()}
    expected.update(xs=x.grad.numpy(), h0=h.grad.numpy(), c0=c.grad.numpy())
    assert sorted(grads) == sorted(expected)
    for name, array in expected.items():
        np.testing.assert_allclose(grads[name], array, rtol=tol, atol=tol, err_msg=name)
    fh, fc = module.forward(params, xs, h0, c0)
    np.testing.assert_allclose(fh, out.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize(("dtype", "tol"), [("float64", 1e-10), ("float32", 2e-5)])
def test_generated_gru_takes_a_torch_gru_cell_state_dict_as_it_is(dtype, tol):
    """nn.GRUCell's state_dict drops in (weight_ih = [W_ir; W_iz; W_in] …); forward and autograd agree."""
    module = compile_numpy(symlstm.cell("gru"), dtype)
    torch_dtype = getattr(torch, dtype)
    T, B, n, m = 5, 3, 4, 6
    torch.manual_seed(2)
    cell = torch.nn.GRUCell(m, n).to(torch_dtype)
    params = {k: v.detach().numpy().copy() for k, v in cell.state_dict().items()}
    rng = np.random.default_rng(3)
    xs, h0 = (rng.standard_normal(s).astype(dtype) for s in [(T, B, m), (B, n)])
    dhs, dhT = (rng.standard_normal(s).astype(dtype) for s in [(T, B, n), (B, n)])

    x, h = (torch.tensor(a, requires_grad=True) for a in (xs, h0))
    states, state = [], h
    for t in range(T):
        state = cell(x[t], state)
        states.append(state)
    out = torch.stack(states)
    loss = (out * torch.tensor(dhs)).sum() + (state * torch.tensor(dhT)).sum()
    loss.backward()

    hs, grads = module.forward_backward(params, xs, dhs, h0, dhT=dhT)
    np.testing.assert_allclose(hs, out.detach().numpy(), rtol=tol, atol=tol)
    expected = {k: v.grad.numpy() for k, v in cell.named_parameters()}
    expected.update(xs=x.grad.numpy(), h0=h.grad.numpy())
    assert sorted(grads) == sorted(expected)
    for name, array in expected.items():
        assert grads[name].dtype == np.dtype(dtype), name
        np.testing.assert_allclose(grads[name], array, rtol=tol, atol=tol, err_msg=name)
    np.testing.assert_allclose(module.forward(params, xs, h0), out.detach().numpy(), rtol=tol, atol=tol)
