"""symlstm.files: a file is replaced whole or not at all; and claims run at small sizes whatever the user's."""

from __future__ import annotations

import os
import stat

import pytest

import symlstm
from symlstm.files import TEMP_SUFFIX, WriteError, replacing, write_text
from symlstm.spec import CellSpec
from symlstm.verification import CLAIM_SIZE, claims_for


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX)]


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit, OSError, ValueError])
def test_a_write_stopped_part_way_leaves_the_old_file_and_no_temporary(tmp_path, error):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises((error, WriteError)), replacing(target) as temp:
        temp.write_text("half of the new")
        raise error("stopped")
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_the_new_file_keeps_the_old_ones_permissions_and_a_link_stays_a_link(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_errors_name_the_path(tmp_path):
    with pytest.raises(WriteError, match=f"cannot write {tmp_path / 'missing' / 'x.txt'}: .*No such file"):
        write_text(tmp_path / "missing" / "x.txt", "x")
    with pytest.raises(WriteError, match=f"cannot write {tmp_path}: it is a folder"):
        write_text(tmp_path, "x")


def _cells(value, seen=None):
    """Every CellSpec reachable from ``value``'s attributes (claims keep the cells they check)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, CellSpec):
        return [value]
    found = []
    children = (value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple))
                else vars(value).values() if hasattr(value, "__dict__") and not isinstance(value, type) else ())
    for child in children:
        if isinstance(child, (CellSpec, dict, list, tuple)) or type(child).__module__.startswith("symlstm"):
            found += _cells(child, seen)
    return found


def test_claims_run_at_small_sizes_whatever_projection_the_user_asks_for():
    for proj in (8, 100_000):
        claims = claims_for(symlstm.cell("lstm", proj_size=proj))
        cells = [c for claim in claims for c in _cells(claim)]
        assert cells, "the claims keep no cell: this test would check nothing"
        for cell in cells:
            assert all(v <= CLAIM_SIZE for _, v in cell.size_defaults), (cell.name, cell.size_defaults)
        quick = next(c for c in claims if c.name == "bptt-step-vjp[n=1,m=1]")
        assert quick.check().status == "proved at sizes"  # p = 100000 entries would not finish in the budget
