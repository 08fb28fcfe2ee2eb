"""Property tests of the variants' generated modules against the plain LSTM's: a variant whose extra
weights are neutral is the plain cell, and every variant's gradients are finite differences of its forward."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import gaussian_arrays, lstm_params, sizes

from symlstm import cell, compile_numpy

PLAIN = compile_numpy(cell("lstm"))
PEEPHOLE = compile_numpy(cell("lstm", peephole=True))
CIFG = compile_numpy(cell("lstm", cifg=True))


def draw_problem(data, *, max_n=4):
    s = data.draw(sizes(max_T=3, max_B=2, max_n=max_n, max_m=3), label="sizes")
    params = data.draw(lstm_params(n=s.n, m=s.m), label="params")
    xs = data.draw(gaussian_arrays(shape=(s.T, s.B, s.m)), label="xs")
    h0 = data.draw(gaussian_arrays(shape=(s.B, s.n)), label="h0")
    c0 = data.draw(gaussian_arrays(shape=(s.B, s.n)), label="c0")
    dhs = data.draw(gaussian_arrays(shape=(s.T, s.B, s.n), scale=1.0), label="dhs")
    return s, params, xs, h0, c0, dhs


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_zero_peepholes_are_the_plain_lstm(data):
    s, params, xs, h0, c0, dhs = draw_problem(data)
    zeros = {f"p_{k}": np.zeros(s.n) for k in "ifo"}
    plain = PLAIN.forward_backward(params, xs, dhs, h0, c0)
    peep = PEEPHOLE.forward_backward({**params, **zeros}, xs, dhs, h0, c0)
    np.testing.assert_allclose(peep[0], plain[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(peep[1], plain[1], rtol=1e-12, atol=1e-14)
    for name, grad in plain[2].items():
        np.testing.assert_allclose(peep[2][name], grad, rtol=1e-10, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_cifg_is_the_plain_lstm_with_the_input_gate_mirroring_the_forget_gate(data):
    """1 − σ(z) = σ(−z): the plain LSTM with W_i = −W_f and b_i = −b_f computes i = 1 − f."""
    s, params, xs, h0, c0, dhs = draw_problem(data)
    n = s.n
    mirrored = {k: v.copy() for k, v in params.items()}
    for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        mirrored[k][:n] = -params[k][n:2 * n]
    coupled = {k: v[n:] for k, v in mirrored.items()}  # CIFG stacks f, g, o
    plain_hs, plain_cs = PLAIN.forward(mirrored, xs, h0, c0)
    cifg_hs, cifg_cs = CIFG.forward(coupled, xs, h0, c0)
    np.testing.assert_allclose(cifg_hs, plain_hs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cifg_cs, plain_cs, rtol=1e-12, atol=1e-14)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_identity_projection_is_the_plain_lstm(data):
    s, params, xs, h0, c0, dhs = draw_problem(data)
    projected = compile_numpy(cell("lstm", proj_size=s.n))
    out = projected.forward_backward({**params, "weight_hr": np.eye(s.n)}, xs, dhs, h0, c0)
    plain = PLAIN.forward_backward(params, xs, dhs, h0, c0)
    np.testing.assert_allclose(out[0], plain[0], rtol=1e-12, atol=1e-14)
    for name, grad in plain[2].items():
        np.testing.assert_allclose(out[2][name], grad, rtol=1e-10, atol=1e-12)


VARIANTS = [dict(peephole=True), dict(cifg=True), dict(proj_size=2), dict(peephole=True, cifg=True, proj_size=3)]


@settings(max_examples=12, deadline=None)
@given(data=st.data(), options=st.sampled_from(VARIANTS))
def test_variant_gradients_are_finite_differences(data, options):
    module = compile_numpy(cell("lstm", **options))
    s = data.draw(sizes(max_T=3, max_B=2, max_n=3, max_m=2), label="sizes")
    dims = {"n": s.n, "m": s.m, "p": options.get("proj_size", s.n)}
    shapes = module.param_shapes(**{k: dims[k] for k in module.SIZES})
    params = {k: data.draw(gaussian_arrays(shape=shape), label=k) for k, shape in shapes.items()}
    width = dims["p"] if "proj_size" in options else s.n
    xs = data.draw(gaussian_arrays(shape=(s.T, s.B, s.m)), label="xs")
    dhs = data.draw(gaussian_arrays(shape=(s.T, s.B, width), scale=1.0), label="dhs")
    grads = module.forward_backward(params, xs, dhs)[2]

    def loss():
        return float(np.sum(module.forward(params, xs)[0] * dhs))

    for name, array in (*params.items(), ("xs", xs)):
        index = tuple(data.draw(st.integers(0, d - 1), label=f"{name} index") for d in array.shape)
        saved = array[index]
        array[index] = saved + 1e-6
        up = loss()
        array[index] = saved - 1e-6
        down = loss()
        array[index] = saved
        assert abs(grads[name][index] - (up - down) / 2e-6) <= 1e-6 * max(1.0, abs(grads[name][index]))
