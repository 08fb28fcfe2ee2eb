"""User text in generated source: escaped where it is prose, refused where it would be code.

A cell's title, names and docs reach the generated module's header comments, its docstring, the comments
of its body and the ``PARAMS``/``SIZES`` literals.  A line break in any of them (``\\n``, ``\\r``, ``\\f``,
``\\v``, U+0085, U+2028, U+2029) would end a comment and make the rest code that ``compile_numpy`` runs; a
``\"\"\"`` or a backslash would end or bend the docstring.  So:

* :func:`safe_comment` writes every character that is not printable as its escape (``\\n``, ``\\u2028``);
* :func:`safe_docstring` does the same and also escapes backslashes and double quotes;
* :func:`check_source_strings` refuses a cell whose names, Python identifiers or docs (which also reach
  comments printed elsewhere) hold a character that is not printable, or whose identifiers are not Python
  identifiers — naming the string.  Literals (``PARAMS``, ``SIZES``) are printed with ``repr``, which is safe.
"""

from __future__ import annotations

import keyword
import re

from symlstm.codegen.printer import CodegenError
from symlstm.spec import CellSpec


def _escaped(char: str) -> str:
    return char if char.isprintable() or char == " " else char.encode("unicode_escape").decode("ascii")


def safe_comment(text: str) -> str:
    """``text`` with every non-printable character (line breaks above all) written as its escape."""
    return "".join(_escaped(char) for char in str(text))


def safe_docstring(text: str) -> str:
    """``text`` for the inside of a ``\"\"\"`` docstring: backslashes, double quotes and non-printables escaped."""
    return "".join("\\\\" if c == "\\" else '\\"' if c == '"' else _escaped(c) for c in str(text))


def _printable(text: str, what: str, cell: CellSpec) -> None:
    bad = next((c for c in text if not (c.isprintable() or c == " ")), None)
    if bad is not None:
        raise CodegenError(f"cell {safe_comment(cell.name)!r}: {what} {safe_comment(text)!r} holds the character "
                           f"{bad.encode('unicode_escape').decode('ascii')}, which generated code cannot carry")


def _identifier(name: str, what: str, cell: CellSpec) -> None:
    if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii():
        raise CodegenError(f"cell {safe_comment(cell.name)!r}: {what} {safe_comment(name)!r} is not a Python "
                           "identifier (letters, digits and _, not a keyword)")


def check_parameter_names(names: list[str], cell: CellSpec) -> None:
    """The module's parameter names (printed as ``"weight_ih"`` keys) are letters, digits and ``_`` only."""
    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise CodegenError(f"cell {safe_comment(cell.name)!r}: the module parameter name {safe_comment(name)!r} "
                               "is not letters, digits and _ (it is printed as a key in generated code)")


def check_source_strings(cell: CellSpec) -> None:
    """Raise :class:`CodegenError` naming the first string of ``cell`` that generated source cannot carry."""
    _printable(cell.name, "the name", cell)
    for symbol, doc in cell.sizes:
        _identifier(symbol.name, "the size", cell)
        _printable(doc, f"the doc of size {symbol.name}", cell)
    for var in cell.variables:
        _printable(var.symbol.name, "the name", cell)
        _identifier(var.ident, f"the identifier of {var.symbol.name}", cell)
        _printable(var.doc, f"the doc of {var.symbol.name}", cell)
    for state in cell.states:
        _identifier(state.name, "the state", cell)
    for gate in cell.gates:
        _printable(gate.key, "the gate key", cell)
        for block in gate.weight_blocks:
            _printable(block.name, "the weight block", cell)
    for assignment in cell.assignments:
        _printable(assignment.doc or "", f"the doc of {assignment.lhs.name}", cell)
