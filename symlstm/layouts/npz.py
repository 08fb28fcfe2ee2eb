"""Weights in ``.npz`` files: numbers only, every header checked before any data is read.

:func:`load_npz` reads an ``.npz`` (a zip of ``.npy`` members) without NumPy's loader: for each member it
parses the ``.npy`` header (``numpy.lib.format.read_magic``, ``read_array_header_1_0``/``2_0``) and checks
the shape, dtype and byte counts it declares against the archive — and, through ``check``, against what the
caller expects (``convert_file`` passes the layout's own checks) — before reading any data; then it reads
exactly the bytes that shape needs, so a member that inflates to gigabytes costs no more memory than its
declared (and accepted) shape.  Every refusal names the file and the member and says what is wrong: not a
zip, empty, truncated or damaged, pickled, not numbers, a header declaring more data than the file holds.

:func:`save_npz` writes with ``np.savez`` through :mod:`symlstm.files` (whole or not at all).
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy

from symlstm.arrays import kind_problem
from symlstm.files import refuse_same, replacing
from symlstm.layouts.convert import check_tensors, convert, notes
from symlstm.spec import CellSpec

#: The longest ``.npy`` header accepted (NumPy's own default limit).
MAX_HEADER = 10_000
#: Deflate cannot expand data by more than this factor (RFC 1951's longest match, 258 bytes from 2 bits).
DEFLATE_RATIO = 1032
_CHUNK = 1 << 24


@dataclass(frozen=True)
class Member:
    """One ``.npy`` member: its key (``bias``), zip entry, declared ``shape``, ``dtype`` and data size."""

    key: str
    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran: bool
    offset: int  # bytes of magic and header before the data

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def _size(count: int) -> str:
    """``96 bytes``, ``4.0 GiB``, ``8.0 TiB``."""
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} byte" + ("" if count == 1 else "s")


def _short(text: object, limit: int = 80) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def _open(path: Path) -> zipfile.ZipFile:
    if not path.exists():
        raise ValueError(f"{path} cannot be read: no such file")
    if not path.is_file():
        raise ValueError(f"{path} is not a regular file (an .npz file is expected)")
    try:
        with open(path, "rb") as handle:
            start = handle.read(6)
    except OSError as error:
        raise ValueError(f"{path} cannot be read: {error.strerror or error}") from None
    if not start:
        raise ValueError(f"{path} is empty (0 bytes), not an .npz archive")
    if start == b"\x93NUMPY":
        raise ValueError(f"{path} holds a single array (.npy), not an .npz archive of named tensors")
    if not start.startswith(b"PK"):
        raise ValueError(f"{path} is not a zip archive (an .npz file is one: np.savez writes it)")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ValueError(f"{path} is truncated or damaged: it is not a readable zip archive ({error})") from None


def _member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Member:
    name = info.filename
    where = f"{path}: member {_short(name)}"
    if not name.endswith(".npy"):
        raise ValueError(f"{where} is not a .npy array (an .npz holds only NAME.npy members)")
    key = name[:-4]
    if info.compress_type == zipfile.ZIP_STORED:
        limit = info.compress_size
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        limit = info.compress_size * DEFLATE_RATIO + 1024
    else:
        raise ValueError(f"{where} uses zip compression method {info.compress_type}; np.savez writes stored "
                         "or deflated members")
    if info.file_size > limit:
        raise ValueError(f"{where} declares {_size(info.file_size)} from {_size(info.compress_size)} of "
                         "compressed data, more than its compression can produce: the file is damaged")
    try:
        with archive.open(info) as stream:
            version = npy.read_magic(stream)
            if version == (1, 0):
                shape, fortran, dtype = npy.read_array_header_1_0(stream, max_header_size=MAX_HEADER)
            elif version == (2, 0):
                shape, fortran, dtype = npy.read_array_header_2_0(stream, max_header_size=MAX_HEADER)
            else:
                raise ValueError(f".npy format version {version[0]}.{version[1]} (symlstm reads 1.0 and 2.0)")
            offset = stream.tell()
    except (ValueError, EOFError, zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{where} has no valid .npy header: {' '.join(str(error).split())[:200]}") from None
    if dtype.hasobject:
        raise ValueError(f"{path}: array {_short(key)} is a pickled object array; symlstm reads numbers only "
                         "(allow_pickle=False)")
    problem = kind_problem(dtype)
    if problem:
        raise ValueError(f"{path}: array {_short(key)} has dtype {dtype}: {problem}; real numbers are expected")
    member = Member(key, info, tuple(int(d) for d in shape), dtype, bool(fortran), offset)
    held = info.file_size - offset
    if member.nbytes != held:
        declared = f"its header declares shape {member.shape} of {dtype} = {_size(member.nbytes)} of data"
        state = "truncated" if held < member.nbytes else "longer than its header says"
        raise ValueError(f"{path}: array {_short(key)} is {state}: {declared}, the archive holds {_size(held)}")
    return member


def read_headers(path: str | os.PathLike) -> dict[str, Member]:
    """``{key: Member}``: every member's ``.npy`` header, checked; no data is read."""
    path = Path(path)
    with _open(path) as archive:
        infos = archive.infolist()
        if not infos:
            raise ValueError(f"{path} is an empty archive: it holds no arrays")
        members: dict[str, Member] = {}
        for info in infos:
            member = _member(path, archive, info)
            if member.key in members:
                raise ValueError(f"{path} holds the array {_short(member.key)} twice")
            members[member.key] = member
    return members


def _data(path: Path, archive: zipfile.ZipFile, member: Member) -> np.ndarray:
    """The member's array, reading exactly the bytes its (checked) header declares."""
    buffer = bytearray(member.nbytes)
    view, done = memoryview(buffer), 0
    try:
        with archive.open(member.info) as stream:
            stream.read(member.offset)
            while done < member.nbytes:
                got = stream.readinto(view[done:done + _CHUNK])
                if not got:
                    raise ValueError(f"the data ends after {_size(done)} of {_size(member.nbytes)}")
                done += got
            if stream.read(1):
                raise ValueError("there is more data than its header declares")
    except (ValueError, EOFError, zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{path}: array {_short(member.key)} is truncated or damaged: "
                         f"{' '.join(str(error).split())[:200]}") from None
    array = np.frombuffer(buffer, dtype=member.dtype)
    return array.reshape(member.shape, order="F" if member.fortran else "C")


def load_npz(path: str | os.PathLike,
             check: Callable[[Mapping[str, np.ndarray]], object] | None = None) -> dict[str, np.ndarray]:
    """``{name: array}`` from an ``.npz`` file (real numbers only; anything else refused by file and name).

    ``check``, when given, is called with stand-ins of the right shape and dtype (no data: zero-strided
    views) before any data is read; an error it raises stops the read.
    """
    path = Path(path)
    members = read_headers(path)
    if check is not None:
        check({k: np.broadcast_to(np.zeros((), m.dtype), m.shape) for k, m in members.items()})
    with _open(path) as archive:
        return {key: _data(path, archive, member) for key, member in members.items()}


def save_npz(path: str | os.PathLike, params: dict[str, np.ndarray]) -> None:
    """Write ``params`` to ``path`` exactly (``np.savez`` would add ``.npz`` to a name without it), whole or
    not at all (:mod:`symlstm.files`)."""
    with replacing(path) as temp, open(temp, "wb") as handle:
        np.savez(handle, **params)


def convert_file(in_path: str | os.PathLike, out_path: str | os.PathLike, src: str, dst: str,
                 cell: CellSpec) -> list[str]:
    """Convert the weights in ``in_path`` (format ``src``) to ``out_path`` (format ``dst``).

    Returns lines for the user: what was written, and what the conversion cannot carry back.
    Raises ValueError (file, tensor or format named) before writing anything; refuses an ``out_path`` that is
    ``in_path``; the tensors' names and shapes are checked from the file's headers before its data is read.
    """
    refuse_same(out_path, in_path)
    out = convert(load_npz(in_path, check=lambda stubs: check_tensors(stubs, src, cell)), src, dst, cell=cell)
    replaced = Path(out_path).exists()
    save_npz(out_path, out)
    tensors = ", ".join(f"{name} {tuple(a.shape)}" for name, a in out.items())
    return [f"{src} → {dst} ({cell.name}): wrote {tensors} to {out_path}"
            + (" (replacing the file that was there)" if replaced else ""),
            *(f"note: {line}" for line in notes(src, dst, cell))]
