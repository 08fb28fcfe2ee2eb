"""Converted weights in the real frameworks: torch.nn.LSTM (with proj_size) and nn.GRU, onnxruntime running
ONNX LSTM/GRU nodes built with onnx.helper, and Keras 3 (torch backend).  Each is skipped when not installed.

Every comparison is framework output against either another framework or the NumPy steps of
test_layouts_reference.py (written from the docs), with random, distinct weights per gate.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from test_layouts_reference import random_params, step, step_keras, step_tflite

import symlstm
from symlstm.cells import gru
from symlstm.codegen import compile_numpy
from symlstm.layouts import convert, onnx_attributes

T, B, N, M, P = 5, 2, 3, 4, 2  # steps, batch, hidden, input, projection


def run(fmt, params, xs, h0, c0, cell):
    """The NumPy steps of ``fmt`` over xs (T, B, m), one batch row at a time; returns hs (T, B, r)."""
    out = np.zeros((len(xs), xs.shape[1], h0.shape[1]))
    for b in range(xs.shape[1]):
        h, c = h0[b], (None if c0 is None else c0[b])
        for t in range(len(xs)):
            h, c = step(fmt, params, xs[t, b], h, c, cell)
            out[t, b] = h
    return out


def inputs(seed, m=M, r=N, n=N):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(T, B, m)), rng.normal(size=(B, r)), rng.normal(size=(B, n))


# -- PyTorch ---------------------------------------------------------------------------------------------

def torch_module(kind, seed, **options):
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(M, N, **options).double()
    with torch.no_grad():
        for value in module.parameters():
            value.normal_(0, 0.6)  # larger than the default init, so no gate saturates or vanishes
    return torch, module, {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("proj_size", [None, P])
def test_torch_lstm_equals_the_converted_numpy_step(proj_size):
    torch, module, state = torch_module("lstm", 1, **({"proj_size": proj_size} if proj_size else {}))
    cell = symlstm.cell("lstm", proj_size=proj_size)
    xs, h0, c0 = inputs(2, r=proj_size or N)
    with torch.no_grad():
        ys, _ = module(torch.from_numpy(xs), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    for fmt in ("tflite", "symlstm"):
        converted = convert(state, "pytorch", fmt, cell=cell)
        np.testing.assert_allclose(run(fmt, converted, xs, h0, c0, cell), ys.numpy(), rtol=1e-10, atol=1e-12)


def test_torch_gru_equals_the_converted_numpy_step():
    torch, module, state = torch_module("gru", 3)
    cell = symlstm.cell("gru")
    xs, h0, _ = inputs(4)
    with torch.no_grad():
        ys, _ = module(torch.from_numpy(xs), torch.from_numpy(h0)[None])
    for fmt in ("keras", "onnx", "symlstm"):
        converted = convert(state, "pytorch", fmt, cell=cell)
        np.testing.assert_allclose(run(fmt, converted, xs, h0, None, cell), ys.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_a_torch_cell_state_dict_converts_as_the_layer_s(kind):
    """nn.LSTMCell's state_dict (weight_ih …, no _l0) is read as nn.LSTM's: the converted Keras step equals
    the torch cell stepped over the sequence."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(8)
    module = (torch.nn.LSTMCell if kind == "lstm" else torch.nn.GRUCell)(M, N).double()
    state = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
    assert "weight_ih" in state
    xs, h0, c0 = inputs(9)
    h, c, want = torch.from_numpy(h0), torch.from_numpy(c0), []
    with torch.no_grad():
        for x in torch.from_numpy(xs):
            h, c = module(x, (h, c)) if kind == "lstm" else (module(x, h), None)
            want.append(h.numpy())
    converted = convert(state, "pytorch", "keras", cell=kind)
    got = run("keras", converted, xs, h0, c0 if kind == "lstm" else None, symlstm.cell(kind))
    np.testing.assert_allclose(got, np.array(want), rtol=1e-10, atol=1e-12)


def test_torch_autograd_gradients_convert_to_the_generated_modules():
    """∂L/∂(PyTorch tensors) rearranged as the weights are = the generated module's own gradients."""
    torch, module, state = torch_module("lstm", 5)
    cell = symlstm.cell("lstm")
    xs, h0, c0 = inputs(6)
    dhs = np.random.default_rng(7).normal(size=(T, B, N))
    ys, _ = module(torch.from_numpy(xs), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    (ys * torch.from_numpy(dhs)).sum().backward()
    torch_grads = {name: value.grad.numpy() for name, value in module.named_parameters()}
    generated = compile_numpy(cell, dtype="float64")
    hs, _, grads = generated.forward_backward(convert(state, "pytorch", "symlstm", cell=cell), xs, dhs, h0, c0)
    np.testing.assert_allclose(hs, ys.detach().numpy(), rtol=1e-10, atol=1e-12)
    for name, value in convert(torch_grads, "pytorch", "symlstm", cell=cell).items():
        np.testing.assert_allclose(grads[name], value, rtol=1e-9, atol=1e-12, err_msg=name)


# -- onnxruntime ------------------------------------------------------------------------------------------

def run_onnx(op, params, xs, h0, c0=None, **attributes):
    """An ONNX LSTM or GRU node (opset 14) over xs (T, B, m) in onnxruntime; returns Y[:, 0] (T, B, n).

    onnxruntime runs these operators in float32 only ("does not support double yet")."""
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper
    n = params["R"].shape[-1]
    initializers = [numpy_helper.from_array(params[k].astype(np.float32), k) for k in ("W", "R", "B", "P")
                    if k in params]
    names = ["X", "W", "R", "B", "", "initial_h"] + (["initial_c"] if c0 is not None else [])
    names += ["P"] if "P" in params else []
    feeds = {"X": xs, "initial_h": h0[None]} | ({"initial_c": c0[None]} if c0 is not None else {})
    feeds = {k: v.astype(np.float32) for k, v in feeds.items()}
    node = helper.make_node(op, names, ["Y"], hidden_size=n, **attributes)
    graph = helper.make_graph(
        [node], "cell", [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape) for k, v in feeds.items()],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0][:, 0].astype(np.float64)


F32 = dict(rtol=2e-5, atol=2e-6)  # onnxruntime's float32 against float64


def test_onnxruntime_lstm_with_peepholes_equals_the_converted_numpy_step():
    cell = symlstm.cell("lstm", peephole=True)
    params = random_params("onnx", cell, N, M, seed=8)
    xs, h0, c0 = inputs(9)
    ys = run_onnx("LSTM", params, xs, h0, c0)
    converted = convert(params, "onnx", "tflite", cell=cell)
    np.testing.assert_allclose(run("tflite", converted, xs, h0, c0, cell), ys, **F32)


def test_onnxruntime_input_forget_runs_tflite_cifg():
    """TFLite's CIFG (i = 1 − f) in onnxruntime's input_forget=1 (f = 1 − i) through the negated input slot."""
    cell = symlstm.cell("lstm", peephole=True, cifg=True)
    tflite = random_params("tflite", cell, N, M, seed=10)
    xs, h0, c0 = inputs(11)
    ys = run_onnx("LSTM", convert(tflite, "tflite", "onnx", cell=cell), xs, h0, c0, **onnx_attributes(cell))
    np.testing.assert_allclose(run("tflite", tflite, xs, h0, c0, cell), ys, **F32)


def test_onnxruntime_runs_torch_weights():
    torch, lstm, state = torch_module("lstm", 12)
    xs, h0, c0 = inputs(13)
    with torch.no_grad():
        expected, _ = lstm(torch.from_numpy(xs), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    ys = run_onnx("LSTM", convert(state, "pytorch", "onnx", cell=symlstm.cell("lstm")), xs, h0, c0)
    np.testing.assert_allclose(ys, expected.numpy(), **F32)
    _, gru_module, gru_state = torch_module("gru", 14)
    with torch.no_grad():
        expected, _ = gru_module(torch.from_numpy(xs), torch.from_numpy(h0)[None])
    cell = symlstm.cell("gru")
    ys = run_onnx("GRU", convert(gru_state, "pytorch", "onnx", cell=cell), xs, h0, **onnx_attributes(cell))
    np.testing.assert_allclose(ys, expected.numpy(), **F32)


def test_onnxruntime_cho_gru_equals_keras_reset_before():
    cell = gru(reset_after=False)
    keras = random_params("keras", cell, N, M, seed=15)
    xs, h0, _ = inputs(16)
    ys = run_onnx("GRU", convert(keras, "keras", "onnx", cell=cell), xs, h0, **onnx_attributes(cell))
    expected = np.stack([np.stack([_keras_sequence(keras, xs[:, b], h0[b]) for b in range(B)], 1)])[0]
    np.testing.assert_allclose(ys, expected, **F32)


def _keras_sequence(params, xs, h):
    out = []
    for x in xs:
        h, _ = step_keras(params, x, h, None, reset_after=False)
        out.append(h)
    return np.array(out)


# -- Keras 3 (torch backend) -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keras():
    if os.environ.setdefault("KERAS_BACKEND", "torch") != "torch":
        pytest.skip("these tests run Keras on its torch backend")
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


def keras_layer(keras, kind, weights, **options):
    layer = (keras.layers.LSTM if kind == "lstm" else keras.layers.GRU)(
        N, return_sequences=True, dtype="float64", **options)
    layer.build((B, T, M))
    by_name = {w.path.split("/")[-1]: w for w in layer.weights}
    assert sorted(by_name) == sorted(weights)
    for name, value in weights.items():
        by_name[name].assign(value)
    return layer


def test_keras_runs_torch_weights(keras):
    torch, lstm, state = torch_module("lstm", 17)
    xs, h0, c0 = inputs(18)
    with torch.no_grad():
        expected, _ = lstm(torch.from_numpy(xs), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    layer = keras_layer(keras, "lstm", convert(state, "pytorch", "keras", cell=symlstm.cell("lstm")))
    ys = keras.ops.convert_to_numpy(layer(xs.transpose(1, 0, 2), initial_state=[h0, c0]))
    np.testing.assert_allclose(ys.transpose(1, 0, 2), expected.numpy(), rtol=1e-10, atol=1e-12)
    _, gru_module, gru_state = torch_module("gru", 19)
    with torch.no_grad():
        expected, _ = gru_module(torch.from_numpy(xs), torch.from_numpy(h0)[None])
    layer = keras_layer(keras, "gru", convert(gru_state, "pytorch", "keras", cell=symlstm.cell("gru")))
    ys = keras.ops.convert_to_numpy(layer(xs.transpose(1, 0, 2), initial_state=[h0]))
    np.testing.assert_allclose(ys.transpose(1, 0, 2), expected.numpy(), rtol=1e-10, atol=1e-12)


def test_keras_cho_gru_equals_the_numpy_step(keras):
    cell = gru(reset_after=False)
    weights = random_params("keras", cell, N, M, seed=20)
    xs, h0, _ = inputs(21)
    layer = keras_layer(keras, "gru", weights, reset_after=False)
    ys = keras.ops.convert_to_numpy(layer(xs.transpose(1, 0, 2), initial_state=[h0])).transpose(1, 0, 2)
    # Keras's torch backend returns float32 from ops.matmul of float64 tensors on this path, hence 1e-6
    np.testing.assert_allclose(ys, run("keras", weights, xs, h0, None, cell), rtol=1e-6, atol=1e-7)
    onnx = convert(weights, "keras", "onnx", cell=cell)
    np.testing.assert_allclose(run("onnx", onnx, xs, h0, None, cell), ys, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_keras_onnx_pytorch_keras_round_trip_of_real_weights(keras, kind):
    layer = (keras.layers.LSTM if kind == "lstm" else keras.layers.GRU)(N)
    layer.build((B, T, M))  # Keras's own initialisers: orthogonal recurrent kernel, unit forget bias
    weights = {w.path.split("/")[-1]: keras.ops.convert_to_numpy(w.value) for w in layer.weights}
    weights["bias"] = np.random.default_rng(22).normal(size=weights["bias"].shape).astype(np.float32)  # not 0/1
    cell = symlstm.cell(kind)
    back = convert(convert(convert(weights, "keras", "onnx", cell=cell), "onnx", "pytorch", cell=cell),
                   "pytorch", "keras", cell=cell)
    for name in weights:
        np.testing.assert_array_equal(back[name], weights[name])
        assert back[name].dtype == weights[name].dtype


def test_tflite_reference_against_keras_lstm(keras):
    """The TFLite step (written from lstm_shared.h) on Keras weights converted to TFLite = Keras itself."""
    cell = symlstm.cell("lstm")
    weights = random_params("keras", cell, N, M, seed=23)
    xs, h0, c0 = inputs(24)
    layer = keras_layer(keras, "lstm", weights)
    ys = keras.ops.convert_to_numpy(layer(xs.transpose(1, 0, 2), initial_state=[h0, c0])).transpose(1, 0, 2)
    tflite = convert(weights, "keras", "tflite", cell=cell)
    hs = np.stack([np.stack(_tflite_sequence(tflite, xs[:, b], h0[b], c0[b])) for b in range(B)], 1)
    np.testing.assert_allclose(hs, ys, rtol=1e-10, atol=1e-12)


def _tflite_sequence(params, xs, h, c):
    out = []
    for x in xs:
        h, c = step_tflite(params, x, h, c)
        out.append(h)
    return out
