"""What the NumPy printer and its statement writer share: the kinds of values and the error they raise."""

from __future__ import annotations

import re

from symlstm.errors import CellError

#: A value holds one column (or row) vector per example, or one array for the whole batch.
COL, ROW, SHARED = "batched column", "batched row", "shared"

_ATOM = re.compile(r"^-?[A-Za-z_0-9][\w.]*(\[[^\[\]]*\])*$")


class CodegenError(CellError):
    """An expression or a cell the NumPy code generator cannot print; the message names the node."""


def atom(code: str) -> str:
    """``code`` in parentheses unless it is a name, a number, an attribute or a subscript."""
    return code if _ATOM.match(code) else f"({code})"
