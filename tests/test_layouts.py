"""symlstm.layouts.convert on numbers: every pair of formats for every built-in cell gives the same step as
NumPy steps written from each framework's documentation (test_layouts_reference.py); round trips; shapes
and gate positions written out by hand; errors that name the tensor."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_layouts_reference import random_params, random_state, step

import symlstm
from symlstm.builder import CellBuilder
from symlstm.cells import gru
from symlstm.codegen import layout
from symlstm.functions import Tanh
from symlstm.layouts import convert, expected_shapes, known_formats, notes, onnx_attributes

FORMATS = ["symlstm", "pytorch", "keras", "onnx", "tflite"]
CELLS = {  # name: (cell, formats that can hold it, sizes n, m, p)
    "lstm": (symlstm.cell("lstm"), FORMATS, (2, 3, None)),
    "lstm-peephole": (symlstm.cell("lstm", peephole=True), ["symlstm", "onnx", "tflite"], (3, 2, None)),
    "lstm-cifg": (symlstm.cell("lstm", cifg=True), ["symlstm", "onnx", "tflite"], (2, 3, None)),
    "lstm-peephole-cifg": (symlstm.cell("lstm", peephole=True, cifg=True), ["symlstm", "onnx", "tflite"],
                           (3, 1, None)),
    "lstm-proj2": (symlstm.cell("lstm", proj_size=2), ["symlstm", "pytorch", "tflite"], (3, 2, 2)),
    "lstm-peephole-cifg-proj3": (symlstm.cell("lstm", peephole=True, cifg=True, proj_size=3),
                                 ["symlstm", "tflite"], (2, 2, 3)),
    "gru": (symlstm.cell("gru"), ["symlstm", "pytorch", "keras", "onnx"], (2, 3, None)),
    "gru-cho": (gru(reset_after=False), ["symlstm", "keras", "onnx"], (3, 2, None)),
}
PAIRS = [(name, src, dst) for name, (_, formats, _) in CELLS.items()
         for src, dst in itertools.product(formats, repeat=2)]


def one_bias(fmt, name):
    """Formats with one bias per gate, by hand: Keras's LSTM and Cho GRU, TFLite."""
    return fmt == "tflite" or fmt == "keras" and name != "gru"


def lossless(name, src, dst):
    dropped = src == "onnx" and "cifg" in name  # input_forget=1 never reads ONNX's forget slot
    return not dropped and not (one_bias(dst, name) and not one_bias(src, name))


def test_known_formats():
    assert known_formats() == FORMATS


@pytest.mark.parametrize(("name", "src", "dst"), PAIRS)
def test_conversion_keeps_the_step(name, src, dst):
    cell, _, (n, m, p) = CELLS[name]
    params = random_params(src, cell, n, m, p, seed=11)
    converted = convert(params, src, dst, cell=cell)
    x, h, c = random_state(cell, n, m, p)
    for got, expected in zip(step(dst, converted, x, h, c, cell), step(src, params, x, h, c, cell)):
        if expected is not None:
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("name", "src", "dst"), PAIRS)
def test_round_trip(name, src, dst):
    cell, _, (n, m, p) = CELLS[name]
    params = random_params(src, cell, n, m, p, seed=12)
    back = convert(convert(params, src, dst, cell=cell), dst, src, cell=cell)
    assert sorted(back) == sorted(params)
    if lossless(name, src, dst):
        for key in params:
            np.testing.assert_array_equal(back[key], params[key], err_msg=key)
    else:  # what the cell computes survives: compare in a one-bias format (which keeps nothing else)
        canon = "keras" if name == "gru-cho" else "tflite"
        ref, got = convert(params, src, canon, cell=cell), convert(back, src, canon, cell=cell)
        for key in ref:
            np.testing.assert_allclose(got[key], ref[key], rtol=1e-14, err_msg=key)


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_keras_onnx_pytorch_keras_is_the_identity(name):
    cell, _, (n, m, _) = CELLS[name]
    keras = random_params("keras", cell, n, m, seed=13)
    back = convert(convert(convert(keras, "keras", "onnx", cell=cell), "onnx", "pytorch", cell=cell),
                   "pytorch", "keras", cell=cell)
    for key in keras:
        np.testing.assert_array_equal(back[key], keras[key])


SHAPES = {  # n = 2, m = 3 (p = 4), written out by hand from each framework's documentation
    ("lstm", "pytorch"): {"weight_ih_l0": (8, 3), "weight_hh_l0": (8, 2), "bias_ih_l0": (8,), "bias_hh_l0": (8,)},
    ("lstm", "symlstm"): {"weight_ih": (8, 3), "weight_hh": (8, 2), "bias_ih": (8,), "bias_hh": (8,)},
    ("lstm", "keras"): {"kernel": (3, 8), "recurrent_kernel": (2, 8), "bias": (8,)},
    ("lstm", "onnx"): {"W": (1, 8, 3), "R": (1, 8, 2), "B": (1, 16)},
    ("lstm", "tflite"): {**{f"input_to_{g}_weights": (2, 3) for g in ("input", "forget", "cell", "output")},
                         **{f"recurrent_to_{g}_weights": (2, 2) for g in ("input", "forget", "cell", "output")},
                         **{f"{g}_gate_bias": (2,) for g in ("input", "forget", "cell", "output")}},
    ("proj", "pytorch"): {"weight_ih_l0": (8, 3), "weight_hh_l0": (8, 4), "bias_ih_l0": (8,), "bias_hh_l0": (8,),
                          "weight_hr_l0": (4, 2)},
    ("proj", "tflite"): {**{f"input_to_{g}_weights": (2, 3) for g in ("input", "forget", "cell", "output")},
                         **{f"recurrent_to_{g}_weights": (2, 4) for g in ("input", "forget", "cell", "output")},
                         **{f"{g}_gate_bias": (2,) for g in ("input", "forget", "cell", "output")},
                         "projection_weights": (4, 2)},
    ("peephole-cifg", "onnx"): {"W": (1, 8, 3), "R": (1, 8, 2), "B": (1, 16), "P": (1, 6)},
    ("gru", "pytorch"): {"weight_ih_l0": (6, 3), "weight_hh_l0": (6, 2), "bias_ih_l0": (6,), "bias_hh_l0": (6,)},
    ("gru", "keras"): {"kernel": (3, 6), "recurrent_kernel": (2, 6), "bias": (2, 6)},
    ("gru", "onnx"): {"W": (1, 6, 3), "R": (1, 6, 2), "B": (1, 12)},
    ("gru-cho", "keras"): {"kernel": (3, 6), "recurrent_kernel": (2, 6), "bias": (6,)},
}
SHAPE_CELLS = {"lstm": symlstm.cell("lstm"), "proj": symlstm.cell("lstm", proj_size=4), "gru": symlstm.cell("gru"),
               "peephole-cifg": symlstm.cell("lstm", peephole=True, cifg=True), "gru-cho": gru(reset_after=False)}


@pytest.mark.parametrize(("which", "fmt"), SHAPES)
def test_shapes_by_hand(which, fmt):
    cell = SHAPE_CELLS[which]
    source = random_params("symlstm", cell, 2, 3, 4)
    out = convert(source, "symlstm", fmt, cell=cell)
    assert {k: v.shape for k, v in out.items()} == SHAPES[which, fmt]


def test_gate_positions_by_hand():
    """ONNX stacks i, o, f, c; PyTorch i, f, g, o; Keras i, f, c, o side by side (transposed)."""
    n, m = 2, 3
    cell = symlstm.cell("lstm")
    W = np.arange(4 * n * m, dtype=float).reshape(1, 4 * n, m)
    R = -np.arange(4 * n * n, dtype=float).reshape(1, 4 * n, n)
    B = np.arange(8 * n, dtype=float)[None] + 100
    onnx = {"W": W, "R": R, "B": B}
    i, o, f, c = (W[0, k * n:(k + 1) * n] for k in range(4))
    torch = convert(onnx, "onnx", "pytorch", cell=cell)
    np.testing.assert_array_equal(torch["weight_ih_l0"], np.vstack([i, f, c, o]))
    wb = [B[0, k * n:(k + 1) * n] for k in range(4)]
    rb = [B[0, 4 * n + k * n:4 * n + (k + 1) * n] for k in range(4)]
    np.testing.assert_array_equal(torch["bias_ih_l0"], np.concatenate([wb[0], wb[2], wb[3], wb[1]]))
    np.testing.assert_array_equal(torch["bias_hh_l0"], np.concatenate([rb[0], rb[2], rb[3], rb[1]]))
    keras = convert(onnx, "onnx", "keras", cell=cell)
    np.testing.assert_array_equal(keras["kernel"], np.hstack([i.T, f.T, c.T, o.T]))
    np.testing.assert_array_equal(keras["bias"], np.concatenate([wb[k] + rb[k] for k in (0, 2, 3, 1)]))
    tflite = convert(onnx, "onnx", "tflite", cell=cell)
    np.testing.assert_array_equal(tflite["input_to_output_weights"], o)
    np.testing.assert_array_equal(tflite["recurrent_to_forget_weights"], R[0, 2 * n:3 * n])


def test_one_bias_goes_to_the_input_side():
    cell = symlstm.cell("lstm")
    keras = random_params("keras", cell, 2, 3)
    torch = convert(keras, "keras", "pytorch", cell=cell)
    np.testing.assert_array_equal(torch["bias_ih_l0"], keras["bias"])  # Keras's i, f, c, o = PyTorch's i, f, g, o
    np.testing.assert_array_equal(torch["bias_hh_l0"], np.zeros(8))
    assert notes("keras", "pytorch", cell) and notes("pytorch", "keras", cell)
    assert notes("pytorch", "onnx", cell) == []


def test_gru_biases_keep_both_sides_and_reorder():
    cell = symlstm.cell("gru")
    torch = random_params("pytorch", cell, 2, 3)
    keras = convert(torch, "pytorch", "keras", cell=cell)
    r, z, n = np.split(torch["bias_ih_l0"], 3)
    np.testing.assert_array_equal(keras["bias"][0], np.concatenate([z, r, n]))
    np.testing.assert_array_equal(keras["recurrent_kernel"][:, 4:], torch["weight_hh_l0"][4:].T)


def test_symlstm_format_is_the_generated_modules_layout():
    for cell, _, _ in CELLS.values():
        params = [(p.name, p.shape) for p in layout(cell).params]
        assert list(expected_shapes("symlstm", cell)) == [name for name, _ in params]


def test_dtype_is_kept():
    cell = symlstm.cell("lstm")
    keras = {k: v.astype(np.float32) for k, v in random_params("keras", cell, 2, 3).items()}
    assert {v.dtype for v in convert(keras, "keras", "onnx", cell=cell).values()} == {np.dtype(np.float32)}
    ints = {k: np.ones(v.shape, dtype=np.int64) for k, v in keras.items()}
    assert {v.dtype for v in convert(ints, "keras", "onnx", cell=cell).values()} == {np.dtype(np.float64)}


def test_onnx_attributes():
    assert onnx_attributes(symlstm.cell("gru")) == {"linear_before_reset": 1}
    assert onnx_attributes(gru(reset_after=False)) == {"linear_before_reset": 0}
    assert onnx_attributes(symlstm.cell("lstm", cifg=True)) == {"input_forget": 1}
    assert onnx_attributes(symlstm.cell("lstm")) == {}


# -- errors ------------------------------------------------------------------------------------------


def test_unknown_format_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown layout format 'caffe'.*symlstm, pytorch, keras, onnx, tflite"):
        convert({}, "caffe", "keras", cell=symlstm.cell("lstm"))


def test_missing_tensor_is_named_with_its_shape():
    keras = random_params("keras", symlstm.cell("lstm"), 2, 3)
    del keras["recurrent_kernel"]
    with pytest.raises(ValueError, match=r"keras tensor\(s\) 'recurrent_kernel' \(n, 4n\) missing"):
        convert(keras, "keras", "pytorch", cell=symlstm.cell("lstm"))


def test_misshaped_tensor_names_given_and_expected_shapes():
    torch = random_params("pytorch", symlstm.cell("lstm"), 2, 3)
    torch["weight_hh_l0"] = np.zeros((8, 3))
    with pytest.raises(ValueError, match=r"'weight_hh_l0' has shape \(8, 3\), expected \(4n, n\) = \(8, 2\)"):
        convert(torch, "pytorch", "keras", cell=symlstm.cell("lstm"))
    torch["weight_ih_l0"] = np.zeros((9, 3))
    with pytest.raises(ValueError, match="'weight_ih_l0'.*length 9, which is not 4n"):
        convert(torch, "pytorch", "keras", cell=symlstm.cell("lstm"))


def test_unexpected_tensor_and_non_numbers():
    keras = random_params("keras", symlstm.cell("lstm"), 2, 3)
    with pytest.raises(ValueError, match=r"keras has no tensor\(s\) \['kernal'\]"):
        convert({**keras, "kernal": keras["kernel"]}, "keras", "onnx", cell=symlstm.cell("lstm"))
    with pytest.raises(ValueError, match="'bias' has dtype <U1"):
        convert({**keras, "bias": np.array(["a"] * 8)}, "keras", "onnx", cell=symlstm.cell("lstm"))
    with pytest.raises(ValueError, match="mapping"):
        convert([keras["kernel"]], "keras", "onnx", cell=symlstm.cell("lstm"))


def test_concrete_and_projection_sizes_are_checked():
    torch = random_params("pytorch", symlstm.cell("lstm"), 2, 3)
    with pytest.raises(ValueError, match=r"'weight_ih_l0' has shape \(8, 3\), expected \(4n, m\) = \(12, 3\)"):
        convert(torch, "pytorch", "keras", cell=symlstm.cell("lstm").at(n=3, m=3))
    proj = random_params("pytorch", symlstm.cell("lstm", proj_size=2), 3, 2, 2)
    with pytest.raises(ValueError, match=r"'weight_hh_l0' has shape \(12, 2\), expected \(4n, p\) = \(12, 4\)"):
        convert(proj, "pytorch", "tflite", cell=symlstm.cell("lstm", proj_size=4))


@pytest.mark.parametrize(("fmt", "options", "message"), [
    ("pytorch", dict(peephole=True), "nn.LSTM has no peephole"),
    ("pytorch", dict(cifg=True), "no coupled input-forget gate"),
    ("keras", dict(proj_size=2), "keras.layers.LSTM has no projection"),
    ("onnx", dict(proj_size=2), "ONNX LSTM operator has no projection"),
])
def test_formats_that_cannot_hold_a_variant_say_so(fmt, options, message):
    cell = symlstm.cell("lstm", **options)
    params = random_params("symlstm", cell, 2, 3, options.get("proj_size"))
    with pytest.raises(ValueError, match=f"the '{fmt}' format cannot hold cell '{cell.name}': .*({message})"):
        convert(params, "symlstm", fmt, cell=cell)


def test_gru_formats_that_cannot_hold_it():
    with pytest.raises(ValueError, match="TensorFlow Lite has no built-in GRU"):
        convert(random_params("keras", symlstm.cell("gru"), 2, 3), "keras", "tflite", cell=symlstm.cell("gru"))
    cho = gru(reset_after=False)
    with pytest.raises(ValueError, match="not Cho et al.'s"):
        convert(random_params("keras", cho, 2, 3), "keras", "pytorch", cell=cho)


def test_nonzero_projection_bias_is_refused():
    cell = symlstm.cell("lstm", proj_size=2)
    tflite = random_params("tflite", cell, 3, 2, 2)
    zero = convert({**tflite, "projection_bias": np.zeros(2)}, "tflite", "pytorch", cell=cell)
    np.testing.assert_array_equal(zero["weight_hr_l0"], tflite["projection_weights"])
    with pytest.raises(ValueError, match="'projection_bias' is not zero"):
        convert({**tflite, "projection_bias": np.ones(2)}, "tflite", "pytorch", cell=cell)


def test_custom_cell_is_refused():
    b = CellBuilder("rnn", "Elman RNN")
    n, m = b.size("n", "hidden"), b.size("m", "input")
    x, h = b.input("x_t", m, "input"), b.state("h", n, "hidden state")
    W, bias = b.param("W", n, n + m, "weight"), b.param("b", n, 1, "bias")
    b.update(h, b.gate("u", weight=W, concat=[h, x], bias=bias, function=Tanh, doc="candidate"))
    with pytest.raises(ValueError, match="built-in cells.*'rnn' is not one of them"):
        convert({}, "symlstm", "keras", cell=b.build())


def test_wrong_number_of_axes_and_other_layers_are_named():
    cell = symlstm.cell("lstm")
    onnx = random_params("onnx", cell, 2, 3)
    with pytest.raises(ValueError, match=r"'W' has shape \(8, 3\), expected \(1, 4n, m\) \(3 axes, not 2\)"):
        convert({**onnx, "W": onnx["W"][0]}, "onnx", "keras", cell=cell)
    torch = random_params("pytorch", cell, 2, 3)
    with pytest.raises(ValueError, match=r"\['weight_ih_l1'\].*one layer in one direction"):
        convert({**torch, "weight_ih_l1": torch["weight_ih_l0"]}, "pytorch", "keras", cell=cell)
