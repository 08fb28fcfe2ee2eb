"""Conversion claims: proved for the real layouts, refuted for a wrong gate order, a missing transpose, a lost
bias or an un-negated ONNX CIFG slot; statements show the converted tensors."""

from __future__ import annotations

import pytest

import symlstm
from symlstm.cells import gru
from symlstm.layouts import conversion_claim, keras, layout_claims, onnx
from symlstm.layouts.pivot import M, Piece

LSTM, GRU = symlstm.cell("lstm"), symlstm.cell("gru")
PEEP_CIFG = symlstm.cell("lstm", peephole=True, cifg=True)
CASES = [(LSTM, c.name) for c in layout_claims(LSTM)] + [(GRU, c.name) for c in layout_claims(GRU)] + [
    (PEEP_CIFG, "symlstm→onnx"), (PEEP_CIFG, "onnx→tflite"), (PEEP_CIFG, "tflite→symlstm"),
    (symlstm.cell("lstm", proj_size=2), "pytorch→tflite"), (gru(reset_after=False), "keras→onnx"),
    (symlstm.cell("lstm", peephole=True, cifg=True, proj_size=3), "tflite→symlstm"),
]


def _claim(cell, name):
    src, dst = name.split(":")[-1].rstrip("]").split("→")
    return conversion_claim(src, dst, cell)


@pytest.mark.parametrize(("cell", "name"), CASES, ids=[f"{c.name}:{n.split(':')[-1].rstrip(']')}" for c, n in CASES])
def test_conversions_are_proved(cell, name):
    verdict = _claim(cell, name).check()
    assert verdict.holds, verdict.explanation
    assert "block algebra reduces left − right to 0 for all sizes" in verdict.explanation


def test_layout_claims_cover_the_formats_that_hold_the_cell():
    names = [c.name for c in layout_claims(symlstm.cell("lstm", peephole=True))]
    assert names == ["layout[lstm-peephole:symlstm→onnx]", "layout[lstm-peephole:onnx→symlstm]",
                     "layout[lstm-peephole:symlstm→tflite]", "layout[lstm-peephole:tflite→symlstm]"]
    assert len(layout_claims(LSTM)) == 8 and len(layout_claims(GRU)) == 6


def test_statement_shows_the_converted_tensors():
    """ONNX stacks i, o, f, c; Keras puts i, f, c, o side by side: kernel = [W₁ᵀ | W₃ᵀ | W₄ᵀ | W₂ᵀ] (by hand)."""
    statement = conversion_claim("onnx", "keras", LSTM).statement()
    assert (r"\mathtt{kernel} &= \begin{bmatrix} \mathtt{W}_{[1]}^{\top} & \mathtt{W}_{[3]}^{\top} & "
            r"\mathtt{W}_{[4]}^{\top} & \mathtt{W}_{[2]}^{\top} \end{bmatrix}") in statement
    assert r"\mathtt{B}_{[1]} + \mathtt{B}_{[5]}" in statement  # Keras's one bias = Wb_i + Rb_i
    assert r"\Longrightarrow" in statement


def test_wrong_gate_order_is_refuted(monkeypatch):
    monkeypatch.setattr(keras, "LSTM_ORDER", ("i", "g", "f", "o"))
    verdict = conversion_claim("keras", "pytorch", LSTM).check()
    assert verdict.status == "refuted"
    assert "counterexample at n = 1, m = 1" in verdict.explanation and "but right = " in verdict.explanation


def test_wrong_peephole_order_is_refuted(monkeypatch):
    monkeypatch.setattr(onnx, "PEEPHOLE_ORDER", ("i", "f", "o"))  # the spec says P = [P_i, P_o, P_f]
    assert conversion_claim("onnx", "tflite", symlstm.cell("lstm", peephole=True)).check().status == "refuted"


def test_missing_transpose_is_refuted(monkeypatch):
    monkeypatch.setattr(keras, "T", M)
    verdict = conversion_claim("symlstm", "keras", LSTM).check()
    assert verdict.status == "refuted"
    assert "cannot multiply" in verdict.explanation or "counterexample" in verdict.explanation


def test_lost_recurrent_bias_is_refuted(monkeypatch):
    monkeypatch.setattr(keras, "fold", lambda *keys: M(keys[0]))  # keep b_ik, drop b_hk
    assert conversion_claim("pytorch", "keras", LSTM).check().status == "refuted"


def test_onnx_cifg_slot_must_be_negated(monkeypatch):
    def unsigned(kind, k, template):
        piece = real(kind, k, template)
        return Piece(piece.keys, piece.transpose, False, piece.like)

    real = onnx._slot
    monkeypatch.setattr(onnx, "_slot", unsigned)
    assert conversion_claim("tflite", "onnx", PEEP_CIFG).check().status == "refuted"


def test_claim_for_a_format_that_cannot_hold_the_cell():
    with pytest.raises(ValueError, match="the 'keras' format cannot hold cell 'lstm-peephole'"):
        conversion_claim("symlstm", "keras", symlstm.cell("lstm", peephole=True))
    with pytest.raises(ValueError, match="unknown layout format"):
        conversion_claim("symlstm", "coreml", LSTM)


def test_claim_prints():
    claim = conversion_claim("pytorch", "onnx", GRU)
    assert claim.markdown().startswith("**Claim (layout[gru:pytorch→onnx]).**")
    assert r"\mathtt{weight\_ih\_l0}_{[1]}" in claim.latex()
