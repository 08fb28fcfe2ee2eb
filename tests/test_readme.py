"""The README is a test fixture: every code block in it runs, and what it shows is what the tool prints.

Blocks, by their fence:

- ```` ```python ````: run as written in a fresh interpreter, in an empty temporary folder, with this checkout
  importable; it must exit 0.
- ```` ```text ```` starting with ``$ symlstm …``: the command runs in an empty temporary folder; the rest of the
  block is its output, in full (``explain``) or an excerpt (``verify``: the lines shown, their times aside, a
  line ending ``…`` as a prefix, and the ``N more claims`` count).
- ```` ```bash ````: each command of each line (split at ``&&``; ``#`` starts a comment) is one of
    * the two set-up commands ``pip install .`` and ``pip install '.[test]'`` (not run: they install the
      checkout being tested) followed by the main job or ``pytest``, which ``.ci/run`` runs exactly so
      (the main job there, with its files checked against the README's table; ``pytest`` is this run);
    * ``python benchmarks/….py [options]``: the script exists and its ``--help`` names every option (the
      benchmarks themselves are ``tests/test_benchmark_smoke.py``'s).
  Any other command fails the test, so a new block cannot go untested.

The tables are checked against the code: the verdict words, the element-wise functions, the layout.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```$", README, re.S | re.M)
SETUP = {("pip", "install", "."): ("symlstm", "derive", "--out", "out/"), ("pip", "install", ".[test]"): ("pytest",)}


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCKS if lang == language]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def run(command: list[str], folder: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=folder, env=environment(), capture_output=True, text=True, timeout=timeout)


def table(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after ``heading`` in the README, without its header."""
    section = README[README.index(heading):]
    lines = re.search(r"^\|.*?(?=\n[^|])", section, re.S | re.M).group(0).splitlines()
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]] for line in lines[2:]]


def test_every_block_is_of_a_kind_this_file_runs():
    kinds = [lang for lang, _ in BLOCKS]
    assert set(kinds) <= {"python", "bash", "text"}, kinds
    for body in blocks("text"):
        assert body.startswith("$ symlstm "), body[:80]
    assert len(blocks("python")) >= 3 and len(blocks("text")) >= 2


@pytest.mark.parametrize("number", range(len(blocks("python"))))
def test_python_block_runs(number, tmp_path):
    source = blocks("python")[number]
    (tmp_path / "block.py").write_text(source, encoding="utf-8")
    done = run([sys.executable, "block.py"], tmp_path)
    assert done.returncode == 0, f"README python block {number + 1} failed:\n{source}\n{done.stderr[-3000:]}"


def _commands(body: str) -> list[tuple[str, ...]]:
    commands = []
    for line in body.splitlines():
        line = line.split(" #")[0].strip()
        commands += [tuple(shlex.split(part)) for part in line.split("&&") if part.strip()]
    return commands


def test_bash_blocks_are_the_set_up_commands_and_the_benchmarks(tmp_path):
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = {tuple(line.split()) for line in ci.splitlines()}  # the commands of .ci/run, one a line
    seen_setup = set()
    for body in blocks("bash"):
        commands = _commands(body)
        if commands[0] in SETUP:
            assert len(commands) == 2 and commands[1] == SETUP[commands[0]], body
            assert commands[1] in ci_commands, f"{' '.join(commands[1])} is not run by .ci/run"
            seen_setup.add(commands[0])
            continue
        for command in commands:
            assert command[0] == "python" and command[1].startswith("benchmarks/"), f"untested command {command}"
            assert (ROOT / command[1]).is_file()
            shown = run([sys.executable, str(ROOT / command[1]), "--help"], tmp_path)
            assert shown.returncode == 0, shown.stderr
            for option in command[2:]:
                assert option in shown.stdout, f"{command[1]} has no option {option}"
    assert seen_setup == set(SETUP), "the README's set-up is the two commands"


def _shown(name: str) -> tuple[str, list[str]]:
    (body,) = [b for b in blocks("text") if b.startswith(f"$ symlstm {name}\n")]
    command, *output = body.rstrip("\n").split("\n")
    return command, output


def test_explain_prints_what_the_readme_shows(tmp_path):
    command, output = _shown("explain")
    done = run([sys.executable, "-m", "symlstm", *shlex.split(command[2:])[1:]], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip("\n").split("\n") == output


def _untimed(line: str) -> str:
    return re.sub(r" \[\d+\.\d\ds\]", "", line)


def test_verify_prints_what_the_readme_excerpt_shows(tmp_path):
    command, output = _shown("verify")
    done = run([sys.executable, "-m", "symlstm", *shlex.split(command[2:])[1:]], tmp_path)
    assert done.returncode == 0, done.stderr
    printed = [line for line in done.stdout.splitlines() if re.match(r"(ok  |FAIL) ", line)]
    *lines, more = output
    for shown, actual in zip(lines, printed):
        shown, actual = _untimed(shown), _untimed(actual)
        assert actual.startswith(shown[:-1].rstrip()) if shown.endswith("…") else actual == shown
    count = re.search(r": (\d+) more claims\)$", more)
    assert more.startswith("…") and count, more
    assert len(lines) + int(count.group(1)) == len(printed), f"verify printed {len(printed)} claims"


def test_the_verdict_table_has_the_six_words():
    from symlstm.claims.base import STATUSES

    assert [row[0].strip("`") for row in table("## What the verdicts mean")] == list(STATUSES)


def test_the_function_table_lists_every_function_a_cell_may_use():
    import inspect

    from symlstm.functions import FAMILIES, NONLINEARITIES

    rows = table("The element-wise functions a cell may use")
    assert [row[0].strip("`") for row in rows] == [*NONLINEARITIES, *FAMILIES]
    for name, factory in FAMILIES.items():
        (row,) = [r for r in rows if r[0] == f"`{name}`"]
        defaults = ", ".join(f"{p.name}={p.default}" for p in inspect.signature(factory).parameters.values())
        assert f"({defaults})`" in row[1], (name, row[1], defaults)


def _tree() -> set[str]:
    """Every module and sub-package of ``symlstm/`` as the layout table names them."""
    package = ROOT / "symlstm"
    names = {f"symlstm/{p.name}" for p in package.glob("*.py")}
    names |= {f"symlstm/{p.name}/" for p in package.iterdir() if (p / "__init__.py").is_file()}
    return names


def test_the_layout_table_matches_the_tree():
    named = set()
    for row in table("## Layout"):
        paths = re.findall(r"`([^`]+)`", row[0])
        first = paths[0].rstrip("/")
        folder = first.rsplit("/", 1)[0] + "/" if "/" in first else ""  # the others are the first one's siblings
        for path in paths:
            full = path if "/" in path.rstrip("/") else folder + path
            assert (ROOT / full).exists(), f"the README's layout names {full}, which does not exist"
            named.add(full)
    symlstm_named = {p for p in named if p.startswith("symlstm/")}
    assert symlstm_named == _tree(), (
        f"not in the layout table: {sorted(_tree() - symlstm_named)}; no longer in the tree: "
        f"{sorted(symlstm_named - _tree())}")


def test_ci_checks_every_file_of_the_readme_table():
    """.ci/run's main job must write each file the README's table lists (``NN`` is the first page, 01)."""
    listed = set()
    for row in table("## What the main job writes"):
        first, *others = re.findall(r"`([^`]+)`", row[0])
        listed.add(first.replace("NN", "01"))
        for other in others:  # ".svg": the first file's name with this suffix
            listed.add(re.sub(r"\.[a-z]+$", other, first).replace("NN", "01") if other.startswith(".") else other)
    loop = re.search(r"for f in (.*?); do", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.S).group(1)
    assert {f"out/{name}" for name in loop.replace("\\\n", " ").split()} == listed
