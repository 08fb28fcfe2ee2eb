"""Framework weight layouts: PyTorch, Keras, ONNX, TFLite and symlstm's own, converted through one pivot.

>>> import numpy as np, symlstm
>>> from symlstm.layouts import convert
>>> keras = {"kernel": np.zeros((3, 8)), "recurrent_kernel": np.zeros((2, 8)), "bias": np.arange(8.0)}
>>> torch = convert(keras, "keras", "pytorch", cell=symlstm.cell("lstm"))
>>> sorted((k, v.shape) for k, v in torch.items())
[('bias_hh_l0', (8,)), ('bias_ih_l0', (8,)), ('weight_hh_l0', (8, 2)), ('weight_ih_l0', (8, 3))]
"""

from symlstm.layouts.claims import conversion_claim, layout_claims
from symlstm.layouts.convert import FORMATS, convert, expected_shapes, known_formats, notes
from symlstm.layouts.npz import convert_file, load_npz, save_npz
from symlstm.layouts.onnx import attributes as onnx_attributes

__all__ = [
    "FORMATS", "conversion_claim", "convert", "convert_file", "expected_shapes", "known_formats",
    "layout_claims", "load_npz", "notes", "onnx_attributes", "save_npz",
]
