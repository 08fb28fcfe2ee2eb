"""shapes_picture: W is drawn as one n × (n+m) matrix split W_h | W_x, [h; x] as one tall vector of n + m
entries (h over x), with the seed's numbers and the vector that enters σ (worked out by hand)."""

import math
import shutil
import struct
import xml.etree.ElementTree as ET

import pytest
import sympy as sp

from symlstm.explain import explain
from symlstm.shapes_picture import PNG_ZOOM, number, shapes_svg, write_shapes_picture

SVG = "{http://www.w3.org/2000/svg}"
SEED = dict(W=[[0, 1, 0, 1], [2, 3, 2, 3]], h=[-1, 2], x=[3, 0], b=[1, -2])


def parse(picture):
    root = ET.fromstring(picture.svg)
    groups = {g.attrib["id"]: g for g in root.iter(f"{SVG}g")}
    return root, groups


def cells(group):
    """(x, y, part, text) of each cell of a group, in reading order."""
    rects = [r for r in group.iter(f"{SVG}rect") if r.attrib.get("class", "").startswith("cell")]
    texts = ["".join(t.itertext()) for t in group.iter(f"{SVG}text")]
    out = [(float(r.attrib["x"]), float(r.attrib["y"]), r.attrib["class"].split()[1], t) for r, t in zip(rects, texts)]
    return sorted(out, key=lambda c: (c[1], c[0]))


def outline(group):
    rect = next(r for r in group.iter(f"{SVG}rect") if r.attrib.get("class") == "outline")
    return float(rect.attrib["width"]), float(rect.attrib["height"])


@pytest.fixture(scope="module")
def seed():
    return shapes_svg(explain(**SEED))


def test_seed_numbers_are_filled_in(seed):
    _, groups = parse(seed)
    assert [c[3] for c in cells(groups["W"])] == ["0", "1", "0", "1", "2", "3", "2", "3"]
    assert [c[3] for c in cells(groups["concat"])] == ["−1", "2", "3", "0"]  # [h; x] = [-1, 2, 3, 0]
    assert [c[3] for c in cells(groups["b"])] == ["1", "−2"]
    # W·[h; x] + b: row 1 = 0·(−1) + 1·2 + 0·3 + 1·0 + 1 = 3; row 2 = 2·(−1) + 3·2 + 2·3 + 3·0 − 2 = 8
    assert [c[3] for c in cells(groups["a"])] == ["3", "8"]
    assert [c[3] for c in cells(groups["y"])] == [f"{1 / (1 + math.exp(-v)):.4f}" for v in (3, 8)]


def test_W_is_one_wide_matrix_split_into_h_and_x_columns(seed):
    _, groups = parse(seed)
    grid = cells(groups["W"])
    assert len(grid) == 2 * 4 and len({c[1] for c in grid}) == 2 and len({c[0] for c in grid}) == 4
    h_cols = {c[0] for c in grid if c[2] == "h"}
    x_cols = {c[0] for c in grid if c[2] == "x"}
    assert len(h_cols) == 2 and len(x_cols) == 2 and max(h_cols) < min(x_cols)  # W_fh | W_fx
    width, height = outline(groups["W"])
    assert width > height


def test_concat_is_one_tall_vector_h_over_x(seed):
    _, groups = parse(seed)
    column = cells(groups["concat"])
    assert len(column) == 4 and len({c[0] for c in column}) == 1
    assert [c[2] for c in column] == ["h", "h", "x", "x"]  # h on top of x
    w_width, w_height = outline(groups["W"])
    v_width, v_height = outline(groups["concat"])
    assert v_height > v_width and v_height == pytest.approx(w_height * (2 + 2) / 2)  # n + m rows against n


def test_labels_read_like_the_math(seed):
    root, _ = parse(seed)
    shown = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    for words in ("What enters σ in ft = σ(Wf·[ht−1; xt] + bf)", "n×(n+m) = 2×4", "(n+m)×1 = 4×1",
                  "one wide matrix", "one tall vector", "enters σ"):
        assert words in shown.replace("\u200b", ""), words


def test_other_sizes_gate_and_exact_numbers():
    picture = shapes_svg(explain([[1, -2, 3, 0.5, 1], [0, 1, 1, 1, 1], [2, 2, 2, "-1/2", 1]], [1, 2, 3], [4, 5],
                                 [0, 1, 2], gate="g"))
    _, groups = parse(picture)
    grid = cells(groups["W"])
    assert len(grid) == 3 * 5 and [c[2] for c in grid].count("h") == 9 and [c[2] for c in grid].count("x") == 6
    assert "−1/2" in [c[3] for c in grid] and "0.5" in [c[3] for c in grid]
    assert [c[2] for c in cells(groups["concat"])] == ["h"] * 3 + ["x"] * 2
    assert "tanh" in picture.svg and "σ" not in picture.svg
    assert picture.width > 0 and picture.height > 0


def test_picture_is_deterministic_and_shows_in_notebooks(seed):
    again = shapes_svg(explain(**SEED))
    assert again.svg == seed.svg and seed._repr_svg_() == seed.svg
    root, _ = parse(seed)
    assert (int(root.attrib["width"]), int(root.attrib["height"])) == (seed.width, seed.height)


def test_number_formats():
    assert [number(v) for v in (sp.Integer(-3), sp.Rational(-1, 2), sp.Float(0.123456))] == ["−3", "−1/2", "0.1235"]


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_write_svg(tmp_path, seed):
    result = write_shapes_picture(explain(**SEED), tmp_path / "seed.svg")
    assert result.files == (tmp_path / "seed.svg",) and result.note == ""
    assert (tmp_path / "seed.svg").read_text() == seed.svg


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="rsvg-convert (librsvg2-bin) is not installed")
def test_write_png_has_the_svg_size_times_the_zoom(tmp_path, seed):
    result = write_shapes_picture(explain(**SEED), tmp_path / "seed.png")
    assert [p.name for p in result.files] == ["seed.png"] and result.note == ""  # the PNG only: no seed.svg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.png"]
    assert png_size(tmp_path / "seed.png") == (seed.width * PNG_ZOOM, seed.height * PNG_ZOOM)


def test_png_without_a_converter_writes_nothing_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    (tmp_path / "seed.svg").write_text("the user's own seed.svg")
    result = write_shapes_picture(explain(**SEED), tmp_path / "seed.png")
    assert result.files == () and "rsvg-convert" in result.note and "seed.svg instead" in result.note
    assert (tmp_path / "seed.svg").read_text() == "the user's own seed.svg"
    assert not (tmp_path / "seed.png").exists()
    with pytest.raises(ValueError, match="svg or .png"):
        write_shapes_picture(explain(**SEED), tmp_path / "seed.pdf")
