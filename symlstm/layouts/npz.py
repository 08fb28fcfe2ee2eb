"""Weights in ``.npz`` files: read with ``allow_pickle=False`` (numbers only), written with ``np.savez``."""

from __future__ import annotations

import os
import zipfile

import numpy as np

from symlstm.layouts.convert import convert, notes
from symlstm.spec import CellSpec


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """``{name: array}`` from an ``.npz`` file; a pickled (object) or non-numeric array is refused by name."""
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as error:  # a .npy holding objects
        raise ValueError(f"{path}: {error}; symlstm reads numbers only (allow_pickle=False)") from None
    except (OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} cannot be read as an .npz file: {error}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} holds a single array, not an .npz archive of named tensors")
    arrays = {}
    with archive:
        for key in archive.files:
            try:
                array = archive[key]
            except ValueError:
                raise ValueError(f"{path}: array {key!r} is a pickled object array; symlstm reads numbers only "
                                 "(allow_pickle=False)") from None
            if array.dtype.kind not in "iuf":
                raise ValueError(f"{path}: array {key!r} has dtype {array.dtype}; real numbers are expected")
            arrays[key] = array
    return arrays


def save_npz(path: str | os.PathLike, params: dict[str, np.ndarray]) -> None:
    """Write ``params`` to ``path`` exactly (``np.savez`` would add ``.npz`` to a name without it)."""
    with open(path, "wb") as handle:
        np.savez(handle, **params)


def convert_file(in_path: str | os.PathLike, out_path: str | os.PathLike, src: str, dst: str,
                 cell: CellSpec) -> list[str]:
    """Convert the weights in ``in_path`` (format ``src``) to ``out_path`` (format ``dst``).

    Returns lines for the user: what was written, and what the conversion cannot carry back.
    Raises ValueError (file, tensor or format named) before writing anything.
    """
    out = convert(load_npz(in_path), src, dst, cell=cell)
    save_npz(out_path, out)
    tensors = ", ".join(f"{name} {tuple(a.shape)}" for name, a in out.items())
    return [f"{src} → {dst} ({cell.name}): wrote {tensors} to {out_path}",
            *(f"note: {line}" for line in notes(src, dst, cell))]
