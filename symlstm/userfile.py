"""A cell from the user's own Python file: ``FILE.py:NAME`` on the command line.

``symlstm verify my_cells.py:mgu`` runs ``my_cells.py`` (with :func:`runpy.run_path`, as ``python my_cells.py``
would, except that ``__name__`` is not ``"__main__"``) and takes ``mgu`` from it: a
:class:`~symlstm.spec.CellSpec`, or a function of no arguments returning one. Running the file runs the user's
own code, with the user's own rights — symlstm reads no other file this way and never evaluates text from
anywhere else. Every problem is a :class:`UserFileError` naming the file, the name or the type found.
"""

from __future__ import annotations

import inspect
import runpy
import sys
from pathlib import Path

from symlstm.spec import CellSpec


class UserFileError(ValueError):
    """``FILE.py:NAME`` that does not lead to a cell: the message names the file, the name or the type."""


def is_user_cell(argument: str) -> bool:
    """Whether a command-line cell argument names a file (``cells.py:mgu``) rather than a built-in cell."""
    return isinstance(argument, str) and ":" in argument and argument.rsplit(":", 1)[0].endswith(".py")


def split(argument: str) -> tuple[Path, str]:
    """``"cells.py:mgu"`` → ``(Path("cells.py"), "mgu")``; a UserFileError when either part is missing."""
    path, _, name = argument.rpartition(":")
    if not path or not name:
        raise UserFileError(f"expected FILE.py:NAME (a cell in your own file), got {argument!r}")
    if not name.isidentifier():
        raise UserFileError(f"{name!r} in {argument!r} is not a Python name")
    return Path(path), name


def load_cell(argument: str) -> CellSpec:
    """The cell ``NAME`` of the user's file ``FILE.py`` (``argument`` is ``"FILE.py:NAME"``).

    ``NAME`` is a :class:`CellSpec`, or a function taking no arguments that returns one.
    """
    path, name = split(argument)
    if not path.is_file():
        where = "is a directory" if path.is_dir() else "does not exist"
        raise UserFileError(f"cell file {str(path)!r} {where}")
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # as `python FILE.py` does: the file may import its neighbours
    try:
        namespace = runpy.run_path(str(path), run_name="symlstm_user_cells")
    except SyntaxError as error:
        raise UserFileError(f"cell file {str(path)!r} has a syntax error at line {error.lineno}: {error.msg}") from None
    except Exception as error:  # noqa: BLE001 - the user's code failed; say where, in one line
        raise UserFileError(f"running cell file {str(path)!r} failed: {type(error).__name__}: {error}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    if name not in namespace:
        found = sorted(k for k, v in namespace.items() if not k.startswith("_") and _cell_like(v))
        hint = f"; it defines {', '.join(found)}" if found else "; it defines no cell or function"
        raise UserFileError(f"cell file {str(path)!r} has no {name!r}{hint}")
    value = namespace[name]
    if callable(value) and not isinstance(value, CellSpec):
        if not _takes_no_arguments(value):
            raise UserFileError(f"{name} in {str(path)!r} must take no arguments to be called for a cell")
        try:
            value = value()
        except Exception as error:  # noqa: BLE001 - the user's function failed
            raise UserFileError(f"{name}() in {str(path)!r} failed: {type(error).__name__}: {error}") from None
        if not isinstance(value, CellSpec):
            raise UserFileError(f"{name}() in {str(path)!r} returned {type(value).__name__}, not a CellSpec "
                                "(end it with CellBuilder(...).build())")
        return value
    if not isinstance(value, CellSpec):
        raise UserFileError(f"{name} in {str(path)!r} is of type {type(value).__name__}, not a CellSpec or a function "
                            "returning one")
    return value


def _cell_like(value) -> bool:
    return isinstance(value, CellSpec) or (inspect.isfunction(value) and _takes_no_arguments(value))


def _takes_no_arguments(function) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in signature.parameters.values())
