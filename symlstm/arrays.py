"""Arrays a user gives symlstm: real numbers only, refused by name otherwise.

Accepted: real floating point, integers and booleans (NumPy kinds ``f``, ``i``, ``u``, ``b``), and torch
tensors (detached and copied to the CPU first, so one that requires grad is fine).  Refused, naming the
array: complex numbers (their imaginary part would be dropped), dates and durations (``datetime64``,
``timedelta64``: not numbers), text, bytes, structured records and Python objects (pickles).

The generated modules carry their own copy of this check (:mod:`symlstm.codegen.runtime`): they import
nothing but NumPy.
"""

from __future__ import annotations

import numpy as np

from symlstm.errors import KindError

#: NumPy dtype kinds accepted as numbers.
REAL_KINDS = "biuf"
#: What each refused kind is, for the message.
REFUSED_KINDS = {
    "c": "complex numbers (the imaginary part would be lost)",
    "M": "dates (datetime64), not numbers",
    "m": "durations (timedelta64), not numbers",
    "U": "text", "S": "bytes", "V": "structured records or raw bytes",
    "O": "Python objects (a pickle)",
}


def is_torch_tensor(value: object) -> bool:
    """True for a ``torch.Tensor`` (checked by its type's module, without importing torch)."""
    kind = type(value)
    return kind.__module__.split(".")[0] == "torch" and hasattr(value, "detach") and hasattr(value, "numpy")


def kind_problem(dtype: np.dtype) -> str | None:
    """Why ``dtype`` is not real numbers (one phrase), or None when it is."""
    dtype = np.dtype(dtype)
    if dtype.kind in REAL_KINDS and not dtype.fields:
        return None
    return REFUSED_KINDS.get(dtype.kind, f"dtype kind {dtype.kind!r}")


def real_array(value: object, what: str) -> np.ndarray:
    """``value`` as a NumPy array of real numbers; :class:`~symlstm.errors.KindError` naming ``what`` when it
    is not one, ValueError when it is no array at all."""
    if is_torch_tensor(value):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{what} cannot be read as an array: {' '.join(str(error).split())[:200]}") from None
    problem = kind_problem(array.dtype)
    if problem:
        raise KindError(f"{what} has dtype {array.dtype}: {problem}; real numbers are expected")
    return array
