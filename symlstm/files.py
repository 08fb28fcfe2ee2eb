"""Every file symlstm writes: whole or not at all, and only the files it was asked to write.

A file is written to a temporary file in the same folder (``.NAME.XXXXXXXX.symlstm-tmp``), flushed to
disk and then renamed over ``NAME`` (``os.replace``, atomic on POSIX).  So a write that fails part-way
(a full disk, a file-size limit, Ctrl-C, a crash) leaves ``NAME`` as it was — the user's previous file or
nothing — and never a truncated one; the temporary file is removed on every exit Python sees (an error,
``KeyboardInterrupt``, ``SystemExit``).  Only ``SIGKILL`` or a power cut can leave a temporary file behind,
and it never carries a name symlstm was asked to write.

Errors are :class:`OSError` whose message names the path: ``cannot write out/lstm.tex: [Errno 28] No space
left on device``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

#: The suffix of symlstm's temporary files (so that a person finding one after a crash knows what it is).
TEMP_SUFFIX = ".symlstm-tmp"


class WriteError(OSError):
    """A file could not be written; the message names it and says why."""


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"[Errno {error.errno}] {error.strerror}" if error.errno else error.strerror
    return str(error) or type(error).__name__


def _mode(target: Path) -> int:
    """The permission bits ``target`` keeps (its own if it exists) or gets (0o666 less the umask)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when ``a`` and ``b`` are one file (the same inode: hard links, symlinks, ``./x`` and ``x``)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def refuse_same(output: str | os.PathLike, *inputs: str | os.PathLike) -> None:
    """Raise :class:`WriteError` when ``output`` is one of ``inputs``: writing it would destroy what is read."""
    for given in inputs:
        if same_file(output, given):
            raise WriteError(f"the output {os.fspath(output)} is the input {os.fspath(given)}; "
                             "write to another file (symlstm never replaces its own input)")


@contextlib.contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path``; when the block ends without error it is renamed to ``path``.

    Whatever the block (or a tool it runs) writes to the yielded path becomes ``path`` at once, whole.
    On any exception (``KeyboardInterrupt`` included) the temporary file is removed and ``path`` is
    untouched; an :class:`OSError` is re-raised as a :class:`WriteError` naming ``path``.
    """
    target = Path(path)
    if target.is_dir():
        raise WriteError(f"cannot write {target}: it is a folder")
    if target.exists() and not target.is_file():  # a device or a pipe (/dev/stdout): written into, not replaced
        try:
            yield target
        except OSError as error:
            raise WriteError(f"cannot write {target}: {_describe(error)}") from None
        return
    if target.is_symlink():  # write the file the link points to, and keep the link
        target = Path(os.path.realpath(target))
    folder = target.parent
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=folder)
    except OSError as error:
        raise WriteError(f"cannot write {target}: {_describe(error)}") from None
    os.close(handle)
    temp = Path(name)
    try:
        try:
            yield temp
            with open(temp, "rb") as written:
                os.fsync(written.fileno())
            os.chmod(temp, _mode(target))
            os.replace(temp, target)
        except OSError as error:
            raise WriteError(f"cannot write {target}: {_describe(error)}") from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole (see the module docstring); returns ``Path(path)``."""
    with replacing(path) as temp, open(temp, "wb") as handle:
        handle.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` whole; returns ``Path(path)``."""
    return write_bytes(path, text.encode("utf-8"))


def publish(source: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Copy ``source`` (a scratch file, e.g. a tool's output in a temporary folder) to ``path`` whole."""
    with replacing(path) as temp:
        shutil.copyfile(source, temp)
    return Path(path)


class _Failed(Exception):
    pass


def produce(path: str | os.PathLike, make: Callable[[Path], str]) -> str:
    """Let ``make(temp)`` (a tool run into a temporary path) write ``path``: ``""`` from it puts the result in
    place whole; any other text is the reason it failed, returned, and ``path`` is left untouched."""
    try:
        with replacing(path) as temp:
            reason = make(temp)
            if reason:
                raise _Failed(reason)
    except _Failed as failure:
        return str(failure)
    return ""


def make_folder(path: str | os.PathLike) -> Path:
    """``path`` as a folder (created with its parents if missing); :class:`WriteError` naming it if that fails."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WriteError(f"cannot create the folder {folder}: {_describe(error)}") from None
    return folder
