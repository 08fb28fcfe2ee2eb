"""render: every equation symlstm prints compiles under LaTeX and draws under mathtext; pictures have the
sizes worked out by hand; missing tools give a note, never an exception."""

import importlib.util
import shutil
import struct
import sys
import xml.etree.ElementTree as ET

import pytest
import sympy as sp

from symlstm.bptt import bptt
from symlstm.cells import cell, gru, known_cells
from symlstm.explain import explain
from symlstm.mathtext_picture import document_lines
from symlstm.printing.latex import latex
from symlstm.printing.mathtext import mathtext, mathtext_lines, stack
from symlstm.render import MARGIN_PT, equations_document, latex_engine, render_equations, render_tex

HAVE_POPPLER = all(shutil.which(t) for t in ("pdftocairo", "pdftoppm", "pdfinfo"))
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
needs_latex = pytest.mark.skipif(latex_engine() is None or not HAVE_POPPLER,
                                 reason="no LaTeX engine or poppler-utils installed")
needs_matplotlib = pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="matplotlib is not installed")
SEED = dict(W=[[0, 1, 0, 1], [2, 3, 2, 3]], h=[-1, 2], x=[3, 0], b=[1, -2])
STRUT = r"\phantom{|}"


def built_in_cells():
    """Every cell symlstm builds: each named cell and each LSTM variant (alone and all together)."""
    variants = [dict(peephole=True), dict(cifg=True), dict(proj_size=2), dict(peephole=True, cifg=True, proj_size=2)]
    return [cell(name) for name in known_cells()] + [cell("lstm", **v) for v in variants] + [gru(reset_after=False)]


def printed_equations():
    """Each ``latex(lhs) = latex(rhs)`` of every built-in cell — forward equations, the backward step and the
    per-step weight-gradient contributions — and the seed's explain walk-through."""
    equations = []
    for spec in built_in_cells():
        gradients = bptt(spec)
        for a in (*spec.assignments, *gradients.step, *gradients.parameter_step):
            equations.append(f"{latex(a.lhs)} = {latex(a.rhs, order='none')}")
    return equations + [explain(**SEED).latex(), explain(**SEED, gate="g").latex()]


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


# -- the mathtext printer: exact strings written by hand -------------------------------------------
def test_concat_prints_as_a_stack_of_two_rows():
    h, x = sp.MatrixSymbol("h_{t-1}", 3, 1), sp.MatrixSymbol("x_t", 2, 1)
    expected = (r"\left[\genfrac{}{}{0}{0}{" + STRUT + "{h_{t-1}}" + STRUT + "}{" + STRUT + "{x_t}" + STRUT
                + r"}\right]")
    assert mathtext(sp.BlockMatrix([[h], [x]])) == expected


def test_matrix_columns_are_padded_to_line_up():
    # column 0: "1" and "20" -> width 2; column 1: "-10" and "3" -> width 3
    row0 = STRUT + r"{\phantom{0}1}\quad {-10}" + STRUT
    row1 = STRUT + r"{20}\quad {\phantom{00}3}" + STRUT
    expected = r"\left[\genfrac{}{}{0}{0}{" + row0 + "}{" + row1 + r"}\right]"
    assert mathtext(sp.ImmutableMatrix([[1, -10], [20, 3]])) == expected


def test_three_rows_nest_as_two_over_one():
    a, b, c = (STRUT + "{%s}" % v + STRUT for v in "abc")
    expected = r"\left[\genfrac{}{}{0}{0}{\genfrac{}{}{0}{0}{%s}{%s}}{%s}\right]" % (a, b, c)
    assert stack([["a"], ["b"], ["c"]]) == expected
    assert stack([["a", "b"]]) == r"\left[{a}\quad {b}\right]"


def test_mathtext_lines_rewrites_environments_and_boxes():
    source = (r"\begin{aligned} a_t &= \begin{pmatrix} 1 \\ 2 \end{pmatrix} \label{e} \\ "
              r"b &= \resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{$\displaystyle c \implies d$}"
              r"\end{aligned}")
    column = r"\left(\genfrac{}{}{0}{0}{" + STRUT + "{1}" + STRUT + "}{" + STRUT + "{2}" + STRUT + r"}\right)"
    assert mathtext_lines(source) == [f"a_t &= {column}", r"b &= c \Rightarrow d"]


def test_document_lines_finds_headings_and_display_math():
    tex = (r"\documentclass{article}\begin{document}\section{Forward} text $x$ % \[ ignored \]"
           "\n" r"\[ a = b \] \begin{align*} c &= d \\ e &= f \end{align*} $$g = h$$ \end{document}")
    lines = [(line.kind, line.text) for line in document_lines(tex)]
    assert lines == [("heading", "Forward"), ("math", "a = b"), ("math", "c &= d"), ("math", "e &= f"),
                     ("math", "g = h")]


# -- every printed equation: LaTeX engine and mathtext ---------------------------------------------
@needs_matplotlib
@pytest.mark.parametrize("equation", printed_equations(), ids=lambda e: e.split("=")[0].strip()[:30])
def test_every_printed_equation_parses_in_mathtext(equation):
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    for line in mathtext_lines(equation):
        parser.parse("$" + line.replace("&", "") + "$")  # raises ValueError when mathtext cannot draw it


@needs_matplotlib
def test_every_cell_prints_mathtext_directly():
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    for spec in built_in_cells():
        for a in spec.assignments:
            parser.parse(f"${mathtext(a.lhs)} = {mathtext(a.rhs)}$")


@needs_latex
def test_every_printed_equation_compiles_under_latex(tmp_path):
    result = render_equations(printed_equations(), tmp_path, "all", formats=("pdf",))
    assert result.ok and result.engine == latex_engine(), result.note
    assert (tmp_path / "all.pdf").read_bytes()[:5] == b"%PDF-"


@needs_latex
def test_latex_picture_is_cropped_to_its_content(tmp_path):
    # A 144 pt × 72 pt black box: at 100 dpi it is 200 × 100 px, plus the margin on each side.
    tex = ("\\documentclass{article}\\pagestyle{empty}\\begin{document}\n"
           "\\noindent\\rule{144pt}{72pt}\n\\end{document}\n")
    result = render_tex(tex, tmp_path, "box", dpi=100)
    assert [p.name for p in result.files] == ["box.pdf", "box.png", "box.svg"] and result.note == ""
    width, height = png_size(tmp_path / "box.png")
    margin = 2 * MARGIN_PT * 100 / 72
    assert abs(width - (200 + margin)) <= 3 and abs(height - (100 + margin)) <= 3
    svg = ET.parse(tmp_path / "box.svg").getroot()
    assert abs(float(svg.attrib["width"].removesuffix("pt")) - (144 + 2 * MARGIN_PT)) <= 2
    assert abs(float(svg.attrib["height"].removesuffix("pt")) - (72 + 2 * MARGIN_PT)) <= 2


@needs_latex
def test_pages_become_numbered_pictures_and_are_reproducible(tmp_path):
    tex = "\\documentclass{article}\\begin{document}\n$a$\\newpage $b$\\newpage $c$\n\\end{document}\n"
    first = render_tex(tex, tmp_path / "1", "doc", formats=("pdf", "png"))
    assert [p.name for p in first.files] == ["doc.pdf", "doc-1.png", "doc-2.png", "doc-3.png"]
    again = render_tex(tex, tmp_path / "2", "doc", formats=("pdf", "png"))
    assert [p.read_bytes() for p in first.files] == [p.read_bytes() for p in again.files]


@needs_latex
def test_a_relative_folder_gets_its_pictures_too(tmp_path, monkeypatch):
    # pdftoppm and pdftocairo run in another folder: a relative out_dir once gave the PDF and no pictures
    monkeypatch.chdir(tmp_path)
    tex = "\\documentclass{article}\\begin{document}\n$a$\\newpage $b$\n\\end{document}\n"
    result = render_tex(tex, "out", "doc", formats=("pdf", "png", "svg"))
    assert result.note == ""
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["doc-1.png", "doc-1.svg", "doc-2.png", "doc-2.svg", "doc.pdf"]
    assert all((tmp_path / "out" / name).stat().st_size > 0 for name in names)


@needs_latex
def test_a_latex_error_is_reported_in_one_line(tmp_path):
    tex = "\\documentclass{article}\\begin{document}\n$a \\nosuchcommand b$\n\\end{document}\n"
    result = render_tex(tex, tmp_path, "broken")
    assert not result.ok and "\n" not in result.note
    assert "Undefined control sequence" in result.note and "nosuchcommand" in result.note
    assert (tmp_path / "broken.log").exists()


# -- the fallbacks ---------------------------------------------------------------------------------
@needs_matplotlib
def test_mathtext_picture_of_the_lstm(tmp_path):
    lstm = cell("lstm")
    result = render_equations([lstm.latex()], tmp_path, "lstm", engine="mathtext", formats=("png", "svg"), dpi=100)
    assert result.engine == "mathtext" and [p.name for p in result.files] == ["lstm.png", "lstm.svg"]
    assert "mathtext" in result.note and "could not parse" not in result.note
    width, height = png_size(tmp_path / "lstm.png")
    assert width > 200 and height > 10 * 20  # ten equations, each at least 20 px tall at 15 pt and 100 dpi


@needs_matplotlib
def test_no_latex_engine_falls_back_to_mathtext(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = render_tex(equations_document(["a_t = b", "c = d"]), tmp_path, "eq", formats=("png",))
    assert result.engine == "mathtext" and result.ok
    assert result.note.startswith("no LaTeX engine") and "2 equation line(s)" in result.note


def test_nothing_installed_gives_a_note(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = render_tex(equations_document(["a = b"]), tmp_path, "eq")
    assert result.files == () and result.engine == "none" and not result.ok
    assert "matplotlib is not installed" in result.note and "\n" not in result.note


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="stem"):
        render_tex("", tmp_path, "../x")
    with pytest.raises(ValueError, match="jpg"):
        render_tex("", tmp_path, "x", formats=("jpg",))
    with pytest.raises(ValueError, match="engine"):
        render_tex("", tmp_path, "x", engine="word")
