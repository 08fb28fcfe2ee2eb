"""``convert(params, src, dst, cell=...)``: a cell's weights from one framework's layout to another's.

Every conversion goes through the pivot (:mod:`.pivot`): ``src`` tensors → per-gate matrices → ``dst``
tensors, so each format needs one description (:class:`~.pivot.TensorSpec`) and no pair is special.
It only moves, transposes and (where a format has one bias per gate) adds numbers; the conversion
claims (:mod:`.claims`) prove that the gate pre-activations are unchanged.

Bias convention: a format with one bias per gate (Keras LSTM, TFLite) gets ``b_ik + b_hk``; going the
other way the whole bias goes to the input side (``bias_ih_l0``, ONNX ``Wb``, ``bias_ih``) and the
recurrent side is zero.  That direction is lossy — the split of a sum cannot be recovered — but the
sum, the only thing the cell uses, is exact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from symlstm.arrays import real_array
from symlstm.cells import cell as builtin_cell
from symlstm.layouts import keras, module, onnx, pytorch, tflite
from symlstm.layouts.engine import Dims, NumpyBackend, infer_sizes, pack, shape_text, to_array, to_matrix, unpack
from symlstm.layouts.pivot import Format, Kind, Sizes, TensorSpec, kind_of
from symlstm.spec import CellSpec

FORMATS: dict[str, Format] = {f.name: f for f in (module.FORMAT, pytorch.FORMAT, keras.FORMAT, onnx.FORMAT,
                                                  tflite.FORMAT)}


def known_formats() -> list[str]:
    """The format names :func:`convert` accepts."""
    return list(FORMATS)


def get_format(name: str) -> Format:
    if not isinstance(name, str) or name not in FORMATS:
        raise ValueError(f"unknown layout format {name!r}; known formats: {', '.join(FORMATS)}")
    return FORMATS[name]


def symbolic_sizes(cell: CellSpec, kind: Kind) -> Sizes:
    """The cell's own size Symbols."""
    return Sizes(cell.size("n"), cell.size("m"), cell.size("p") if kind.proj else None)


def specs_for(fmt: str, cell: CellSpec) -> tuple[Kind, list[TensorSpec]]:
    """The kind of ``cell`` and the tensors format ``fmt`` holds it in (ValueError if it cannot)."""
    kind = kind_of(cell)
    return kind, get_format(fmt).tensors(cell, kind)


def expected_shapes(fmt: str, cell: CellSpec) -> dict[str, str]:
    """``{tensor: "(4n, m)"}``: what format ``fmt`` stores ``cell`` as (optional tensors included)."""
    kind, specs = specs_for(fmt, cell)
    dims = Dims(kind, symbolic_sizes(cell, kind))
    return {spec.name: shape_text(dims.array(spec)) for spec in specs}


def _arrays(params: Mapping, fmt: str) -> dict[str, np.ndarray]:
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a mapping from {fmt} tensor names to arrays, got {type(params).__name__}")
    return {str(name): real_array(value, f"{fmt} tensor {str(name)[:80]!r}") for name, value in params.items()}


def _check_names(fmt: str, cell: CellSpec, specs: list[TensorSpec], arrays: Mapping, dims: Dims) -> None:
    expected = ", ".join(f"{s.name} {shape_text(dims.array(s))}" for s in specs)
    missing = [s for s in specs if s.name not in arrays and not s.optional]
    if missing:
        names = ", ".join(f"{s.name!r} {shape_text(dims.array(s))}" for s in missing)
        raise ValueError(f"{fmt} tensor(s) {names} missing for cell {cell.name!r}; "
                         f"given {sorted(arrays)}; expected {expected}")
    unexpected = sorted(set(arrays) - {s.name for s in specs})
    if unexpected:
        more = (" (symlstm converts one layer in one direction)"
                if any(re.search(r"_l[1-9]|_reverse", name) for name in unexpected) else "")
        raise ValueError(f"{fmt} has no tensor(s) {unexpected} for cell {cell.name!r}{more}; expected {expected}")
    for spec in specs:
        given, pattern = arrays.get(spec.name), dims.array(spec)
        if given is not None and given.ndim != len(pattern):
            raise ValueError(f"{fmt} tensor {spec.name!r} has shape {tuple(given.shape)}, expected "
                             f"{shape_text(pattern)} ({len(pattern)} axes, not {given.ndim})")


def _check_shapes(fmt: str, specs: list[TensorSpec], arrays: Mapping, symbolic: Dims, dims: Dims,
                  where: str) -> None:
    for spec in specs:
        if spec.name not in arrays:
            continue
        given, expected = tuple(arrays[spec.name].shape), tuple(int(s) for s in dims.array(spec))
        if given != expected:
            raise ValueError(f"{fmt} tensor {spec.name!r} has shape {given}, expected "
                             f"{shape_text(symbolic.array(spec))} = {expected} ({where})")
        if spec.optional and np.any(arrays[spec.name]):
            raise ValueError(f"{fmt} tensor {spec.name!r} is not zero, and the cell has nothing to hold it "
                             f"(symlstm's projection has no bias)")


#: ``torch.nn.LSTMCell`` / ``GRUCell`` names the ``state_dict`` of ``nn.LSTM`` / ``nn.GRU`` suffixes with ``_l0``.
_TORCH_CELL_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")


def _torch_layer_names(params: Mapping) -> Mapping:
    """``params`` with an ``nn.LSTMCell``-style ``state_dict`` (``weight_ih`` …) renamed to ``nn.LSTM``'s
    (``weight_ih_l0`` …), the layout's names; any other mapping as it is."""
    if isinstance(params, Mapping) and params and all(k in _TORCH_CELL_NAMES for k in params):
        return {f"{k}_l0": v for k, v in params.items()}
    return params


def check_tensors(params: Mapping, src: str, cell: CellSpec
                  ) -> tuple[Kind, list[TensorSpec], dict[str, np.ndarray], Dims]:
    """``src`` tensors checked against ``cell``'s layout: names, kinds, sizes and shapes (ValueError naming one).

    Only the arrays' ``shape`` and ``dtype`` are read, so stand-ins built from file headers (e.g.
    ``np.broadcast_to(np.zeros((), dtype), shape)``) are checked before any data is read.
    """
    kind, specs = specs_for(src, cell)
    symbols = symbolic_sizes(cell, kind)
    symbolic = Dims(kind, symbols)
    arrays = _arrays(_torch_layer_names(params) if src == "pytorch" else params, src)
    _check_names(src, cell, specs, arrays, symbolic)
    fixed = {s.name: v for s, v in cell.concrete} | {s.name: v for s, v in cell.size_defaults}
    sizes, where = infer_sizes(src, specs, arrays, symbolic, symbols, fixed)
    dims = Dims(kind, sizes)
    _check_shapes(src, specs, arrays, symbolic, dims, where)
    return kind, specs, arrays, dims


def read_pivot(params: Mapping, src: str, cell: CellSpec) -> tuple[dict[str, np.ndarray], Kind, Dims]:
    """The pivot (per-gate matrices, vectors as n×1) read from ``src`` tensors, with the sizes found."""
    kind, specs, arrays, dims = check_tensors(params, src, cell)
    floats = [a.dtype for a in arrays.values() if a.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats and len(floats) == len(arrays) else np.dtype(np.float64)
    backend = NumpyBackend(dtype)
    matrices = {s.name: to_matrix(arrays[s.name].astype(dtype, copy=False), s, dims)
                for s in specs if s.name in arrays}
    return unpack(specs, matrices, dims, backend), kind, dims


def convert(params: Mapping[str, np.ndarray], src: str, dst: str, *,
            cell: CellSpec | str) -> dict[str, np.ndarray]:
    """``cell``'s weights in layout ``src`` rewritten in layout ``dst``.

    Parameters
    ----------
    params
        ``{tensor name: array}`` in format ``src`` (see :func:`expected_shapes`), e.g. for the plain LSTM
        in ``"keras"``: ``kernel`` (m, 4n), ``recurrent_kernel`` (n, 4n), ``bias`` (4n,).
    src, dst
        Names from :func:`known_formats`: ``"symlstm"``, ``"pytorch"``, ``"keras"``, ``"onnx"``, ``"tflite"``.
    cell
        A built-in cell (``symlstm.cell("lstm", peephole=True)``, ``symlstm.cell("gru")``, …) or its name
        (``"lstm"``); symbolic sizes are read from the tensors, a concrete cell's sizes are checked against them.

    ``src="pytorch"`` reads ``torch.nn.LSTM``'s names (``weight_ih_l0`` …) and ``torch.nn.LSTMCell``'s
    (``weight_ih`` …) alike; ``dst="pytorch"`` writes ``nn.LSTM``'s.

    Returns
    -------
    dict
        ``{tensor name: array}`` in format ``dst``, new arrays of the source dtype (float64 for integers).

    Raises
    ------
    ValueError
        An unknown format; a format that cannot hold the cell (PyTorch has no peepholes, …); a missing,
        unexpected or mis-shaped tensor (named, with the shape given and the shape expected).
    """
    for name in (src, dst):
        get_format(name)
    if isinstance(cell, str):
        cell = builtin_cell(cell)
    pivot, kind, dims = read_pivot(params, src, cell)
    _, specs = specs_for(dst, cell)
    dtype = next(iter(pivot.values())).dtype
    tensors = pack(specs, pivot, dims, NumpyBackend(dtype))
    by_name = {s.name: s for s in specs}
    return {name: to_array(matrix, by_name[name], dims) for name, matrix in tensors.items()}


def notes(src: str, dst: str, cell: CellSpec) -> list[str]:
    """What a conversion cannot carry back: one line per lossy step (empty when it is exact both ways)."""
    kind = kind_of(cell)
    single = {"tflite"} | ({"keras"} if kind.family == "lstm" or not kind.reset_after else set())
    out = []
    if dst in single and src not in single:
        out.append(f"{dst} has one bias per gate: it holds the sum of {src}'s two biases, "
                   "which cannot be split again")
    if src in single and dst not in single:
        out.append(f"{src} has one bias per gate: {dst}'s input-side bias holds it and its recurrent-side "
                   "bias is zero")
    if src == "onnx" and kind.cifg:
        out.append("onnx with input_forget=1 does not read the forget-gate slot; it was dropped")
    if dst == "onnx" and onnx.attributes(cell):
        attributes = ", ".join(f"{k}={v}" for k, v in onnx.attributes(cell).items())
        out.append(f"build the ONNX node with {attributes}")
    return out
