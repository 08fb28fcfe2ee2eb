"""Weights in .npz files: numbers only (allow_pickle=False), exact round trips, convert_file for the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from test_layouts_reference import random_params

import symlstm
from symlstm.layouts import convert, convert_file, load_npz, save_npz


def test_save_and_load_keep_names_shapes_and_values(tmp_path):
    params = random_params("onnx", symlstm.cell("lstm", peephole=True), 2, 3)
    path = tmp_path / "weights.bin"  # no .npz suffix: written under exactly this name
    save_npz(path, params)
    assert path.exists()
    loaded = load_npz(path)
    assert sorted(loaded) == sorted(params)
    for key in params:
        np.testing.assert_array_equal(loaded[key], params[key])


def test_pickled_object_array_is_refused_by_file_and_key(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, kernel=np.zeros((3, 8)), bias=np.array([{"not": "numbers"}], dtype=object))
    with pytest.raises(ValueError, match=r"evil\.npz: array 'bias' is a pickled object array.*allow_pickle=False"):
        load_npz(path)


def test_non_numeric_and_non_archive_files_are_refused(tmp_path):
    strings = tmp_path / "strings.npz"
    np.savez(strings, bias=np.array(["a", "b"]))
    with pytest.raises(ValueError, match="strings.npz: array 'bias' has dtype <U1"):
        load_npz(strings)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="single.npy holds a single array"):
        load_npz(single)
    text = tmp_path / "text.npz"
    text.write_text("not an archive")
    with pytest.raises(ValueError, match="text.npz"):
        load_npz(text)
    with pytest.raises(ValueError, match="missing.npz"):
        load_npz(tmp_path / "missing.npz")


def test_convert_file_writes_the_conversion_and_says_what_is_lossy(tmp_path):
    cell = symlstm.cell("lstm")
    keras = random_params("keras", cell, 2, 3, seed=21)
    source, target = tmp_path / "keras.npz", tmp_path / "torch.npz"
    save_npz(source, keras)
    lines = convert_file(source, target, "keras", "pytorch", cell)
    written = load_npz(target)
    expected = convert(keras, "keras", "pytorch", cell=cell)
    assert sorted(written) == sorted(expected)
    for key in expected:
        np.testing.assert_array_equal(written[key], expected[key])
    assert lines[0].startswith("keras → pytorch (lstm): wrote weight_ih_l0 (8, 3)")
    assert any("input-side bias holds it" in line for line in lines[1:])


def test_convert_file_writes_nothing_on_error(tmp_path):
    source, target = tmp_path / "in.npz", tmp_path / "out.npz"
    save_npz(source, {"kernel": np.zeros((3, 8))})
    with pytest.raises(ValueError, match="'recurrent_kernel' \\(n, 4n\\)"):
        convert_file(source, target, "keras", "onnx", symlstm.cell("lstm"))
    assert not target.exists()


def test_a_torch_cell_state_dict_file_converts_like_the_layer_s(tmp_path):
    """torch.nn.LSTMCell's names (weight_ih …) in a file: the same result as nn.LSTM's (weight_ih_l0 …)."""
    rng = np.random.default_rng(3)
    cell_names = {"weight_ih": rng.normal(size=(8, 3)), "weight_hh": rng.normal(size=(8, 2)),
                  "bias_ih": rng.normal(size=8), "bias_hh": rng.normal(size=8)}
    np.savez(tmp_path / "cell.npz", **cell_names)
    np.savez(tmp_path / "layer.npz", **{f"{k}_l0": v for k, v in cell_names.items()})
    for stem in ("cell", "layer"):
        convert_file(tmp_path / f"{stem}.npz", tmp_path / f"{stem}-keras.npz", "pytorch", "keras", symlstm.cell("lstm"))
    got, want = load_npz(tmp_path / "cell-keras.npz"), load_npz(tmp_path / "layer-keras.npz")
    assert sorted(got) == ["bias", "kernel", "recurrent_kernel"]
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])
