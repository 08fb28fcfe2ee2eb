"""Faults injected into real runs of the command line (subprocesses): nothing the user had is lost or torn.

Writes that fail part-way (a file-size limit, ``RLIMIT_FSIZE``), a full device (``/dev/full``), a folder the
process may not write (run as an unprivileged user where the tests run as root), and SIGINT / SIGKILL at
seeded random moments of ``derive`` and ``convert``.  After each, every file under a name symlstm writes is
either the user's previous file, byte for byte, or the complete new one (equal to a reference run's); no
temporary file survives anything but SIGKILL.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
OLD = b"the user's previous file\n"
#: derive with three quick claims (the claims are verify's business; here the files are): the same files.
#: Ctrl-C while it imports is handled as ``python -m symlstm`` (symlstm/__main__.py) handles it.
DERIVE = ("import signal, sys\n"
          "noted = []\n"
          "previous = signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))\n"
          "try:\n"
          "    import symlstm.derivation as d, symlstm.verification as v\n"
          "    from symlstm.cli import main\n"
          "finally:\n"
          "    signal.signal(signal.SIGINT, previous)\n"
          "if noted:\n"
          "    print('symlstm: interrupted (nothing was written)', file=sys.stderr)\n"
          "    raise SystemExit(130)\n"
          "d.claims_for = lambda cell: v.forward_claims(cell)[:3]\n"
          "raise SystemExit(main(sys.argv[1:]))\n")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


def _limit(size: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return apply


def symlstm(*argv: str, derive: bool = False, preexec=None, **kwargs) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", DERIVE, *argv] if derive else [sys.executable, "-m", "symlstm", *argv]
    return subprocess.run(command, capture_output=True, text=True, env=_env(), preexec_fn=preexec, timeout=300,
                          **kwargs)


def start(*argv: str, derive: bool = False) -> subprocess.Popen:
    command = [sys.executable, "-c", DERIVE, *argv] if derive else [sys.executable, "-m", "symlstm", *argv]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".symlstm-tmp"))


def keras_npz(path: Path, n: int = 16, m: int = 16) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    params = {"kernel": rng.normal(size=(m, 4 * n)), "recurrent_kernel": rng.normal(size=(n, 4 * n)),
              "bias": rng.normal(size=4 * n)}
    np.savez(path, **params)
    return params


def one_error_line(done: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit 2 and the error as stderr's last line (``derive``'s progress lines may come before it)."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("symlstm: error: ") and done.stderr.endswith(last + "\n"), done.stderr
    assert not any(line.startswith("symlstm: error: ") for line in done.stderr.splitlines()[:-1])
    for needle in needles:
        assert needle in last


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """A complete derive of the GRU (pictures included), to compare interrupted runs with."""
    out = tmp_path_factory.mktemp("reference")
    done = symlstm("derive", "gru", "--out", str(out), derive=True)
    assert done.returncode == 0, done.stderr
    return out


def _torn(folder: Path, reference: Path) -> list[str]:
    """Files in ``folder`` that are neither the user's old file nor equal to the reference run's."""
    torn = []
    for path in sorted(p for p in folder.iterdir() if not p.name.endswith(".symlstm-tmp")):
        if not (reference / path.name).exists():  # a LaTeX log after a failed compilation: new, not the user's
            assert path.suffix == ".log", path
            continue
        data, want = path.read_bytes(), (reference / path.name).read_bytes()
        if path.name.endswith("-verification.md"):  # holds the claims' timings: complete when it ends its table
            whole = data.endswith(b"\n") and b"claims as expected" in data and data.count(b"\n- **") == 3
        else:
            whole = data == want
        if data != OLD and not whole:
            torn.append(f"{path.name} ({len(data)} of {len(want)} bytes)")
    return torn


# -- writes that fail part-way ------------------------------------------------------------------------------

def test_convert_past_a_file_size_limit_keeps_the_previous_output(tmp_path):
    keras_npz(tmp_path / "in.npz", n=32, m=32)
    out = tmp_path / "out.npz"
    out.write_bytes(OLD)
    done = symlstm("convert", "--from", "keras", "--to", "pytorch", str(tmp_path / "in.npz"), str(out),
                   preexec=_limit(4096))
    one_error_line(done, f"cannot write {out}", "File too large")
    assert out.read_bytes() == OLD
    assert temporaries(tmp_path) == []


def test_codegen_past_a_file_size_limit_keeps_the_previous_module(tmp_path):
    out = tmp_path / "lstm.py"
    out.write_bytes(OLD)
    done = symlstm("codegen", "-o", str(out), preexec=_limit(4096))
    one_error_line(done, f"cannot write {out}", "File too large")
    assert out.read_bytes() == OLD
    assert temporaries(tmp_path) == []


@pytest.mark.parametrize("limit", [2_000, 30_000, 120_000])
def test_derive_past_a_file_size_limit_tears_no_file(tmp_path, reference, limit):
    for name in ("gru.tex", "gru_numpy.py", "gru-1.png", "gru.pdf", "gru-graph.svg"):
        (tmp_path / name).write_bytes(OLD)
    done = symlstm("derive", "gru", "--out", str(tmp_path), derive=True, preexec=_limit(limit))
    assert "Traceback" not in done.stderr
    if limit < (reference / "gru.tex").stat().st_size:  # the first file fails: an error naming it
        one_error_line(done, f"cannot write {tmp_path / 'gru.tex'}", "File too large")
    else:  # some files fit; a tool that cannot write its output is a note (a missing picture), never a torn file
        assert done.returncode in (0, 2)
    assert _torn(tmp_path, reference) == []
    assert temporaries(tmp_path) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_device_is_an_error_naming_it_and_stays_a_device():
    done = symlstm("codegen", "-o", "/dev/full")
    one_error_line(done, "cannot write /dev/full", "No space left on device")
    assert Path("/dev/full").is_char_device()


def _read_only(folder: Path) -> list[str]:
    """Make ``folder`` read-only; returns the command undoing it. Root ignores permission bits, so for root the
    folder is made immutable (``chattr +i``); the test skips where neither works."""
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        return ["chmod", "755", str(folder)]
    try:
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    except OSError:
        pytest.skip("chattr is not installed (root writes folders whatever their permissions)")
    if done.returncode != 0:
        pytest.skip("this file system cannot make a folder immutable")
    return ["chattr", "-i", str(folder)]


def test_a_folder_that_cannot_be_written_is_an_error_and_keeps_its_files(tmp_path):
    folder = tmp_path / "readonly"
    folder.mkdir()
    keras_npz(folder / "in.npz")
    (folder / "out.npz").write_bytes(OLD)
    undo = _read_only(folder)
    try:
        done = symlstm("convert", "--from", "keras", "--to", "pytorch", str(folder / "in.npz"),
                       str(folder / "out.npz"))
        one_error_line(done, f"cannot write {folder / 'out.npz'}")
        assert (folder / "out.npz").read_bytes() == OLD
        assert sorted(p.name for p in folder.iterdir()) == ["in.npz", "out.npz"]
        derived = symlstm("derive", "gru", "--no-pictures", "--out", str(folder / "sub"), derive=True)
        one_error_line(derived, f"cannot create the folder {folder / 'sub'}")
    finally:
        subprocess.run(undo, check=True)


# -- signals at random moments ----------------------------------------------------------------------------

def _interrupt(process: subprocess.Popen, after: float, signum: int) -> tuple[int, str]:
    time.sleep(after)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    return process.returncode, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_derive_stopped_at_random_moments_tears_no_file(tmp_path, reference, signum):
    rng = random.Random(20261202 + signum)
    names = sorted(p.name for p in reference.iterdir())
    for attempt in range(3):
        out = tmp_path / f"run{attempt}"
        out.mkdir()
        for name in names:
            (out / name).write_bytes(OLD)
        process = start("derive", "gru", "--out", str(out), derive=True)
        status, err = _interrupt(process, rng.uniform(0.5, 3.5), signum)
        assert "Traceback" not in err
        if signum == signal.SIGINT and status != 0:
            assert status in (130, -signal.SIGINT), err
            if status == 130:
                assert err.rstrip().splitlines()[-1].startswith("symlstm: interrupted (nothing was")
        assert _torn(out, reference) == []
        if signum == signal.SIGINT:
            assert temporaries(out) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_convert_stopped_at_random_moments_tears_no_file(tmp_path, signum):
    rng = random.Random(7 + signum)
    keras_npz(tmp_path / "in.npz", n=64, m=64)
    source = (tmp_path / "in.npz").read_bytes()
    reference = tmp_path / "reference.npz"
    assert symlstm("convert", "--from", "keras", "--to", "pytorch", str(tmp_path / "in.npz"),
                   str(reference)).returncode == 0
    for attempt in range(3):
        out = tmp_path / f"out{attempt}.npz"
        out.write_bytes(OLD)
        process = start("convert", "--from", "keras", "--to", "pytorch", str(tmp_path / "in.npz"), str(out))
        _interrupt(process, rng.uniform(0.05, 1.5), signum)
        assert out.read_bytes() in (OLD, reference.read_bytes())
        assert (tmp_path / "in.npz").read_bytes() == source
    if signum == signal.SIGINT:
        assert temporaries(tmp_path) == []


@pytest.mark.parametrize("after", [0.15, 0.3, 0.6])
def test_ctrl_c_while_the_modules_load_is_one_line(tmp_path, after):
    """An interrupt inside NumPy's import once surfaced as ImportError with a traceback (CI, under load); the
    window is narrow and was not hit again here, so this guards the one-line contract at fixed moments."""
    process = start("derive", "gru", "--out", str(tmp_path), derive=True)
    status, err = _interrupt(process, after, signal.SIGINT)
    assert "Traceback" not in err and status in (130, -signal.SIGINT), err
    assert not any(tmp_path.iterdir())


def test_sigterm_is_one_line_and_leaves_no_temporary_file(tmp_path, reference):
    process = start("derive", "gru", "--out", str(tmp_path), derive=True)
    status, err = _interrupt(process, 1.5, signal.SIGTERM)
    assert "Traceback" not in err
    assert status in (0, 143, -signal.SIGTERM)
    assert _torn(tmp_path, reference) == []
    if status == 143:
        assert temporaries(tmp_path) == []


def test_killing_verify_leaves_no_worker_running():
    """Claims are checked by forked workers: a SIGKILL of the parent must end them too (they held its pipes open,
    so a caller waiting for its output waited for the orphans)."""
    env = {**_env(), "SYMLSTM_WORKERS": "2"}
    process = subprocess.Popen([sys.executable, "-m", "symlstm", "verify"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    deadline, workers = time.monotonic() + 60, []
    while not workers and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)  # until the claims are being checked by the workers
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(process.pid)], capture_output=True, text=True)
        workers = [int(p) for p in children.stdout.split()]
    process.kill()
    process.communicate(timeout=30)  # no orphan holds the pipes
    time.sleep(0.5)
    alive = [p for p in workers if Path(f"/proc/{p}").exists() and "Z" not in
             Path(f"/proc/{p}/stat").read_text().split(")")[-1][:3]]
    assert workers and alive == []
