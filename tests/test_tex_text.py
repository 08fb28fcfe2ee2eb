"""tex_text: claims' words in LaTeX text mode — ASCII out, and pdflatex compiles what the claims say.

The main job's PDF was once lost because a derivative claim's reason said φ′ (``Unicode character φ``)."""

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symlstm.claims.base import tex_text

WORDS = ("φ′(z) − d/dz definition; σ(1 + σ) ≠ σ′; α = 0.2, β ≥ ½; ∞ · 𝟏ᵀ; x₁ … x₂; δa ⊙ u; [hₜ₋₁; xₜ]; "
         "Σ_t; ‖e‖ ≈ 10⁻⁶; naïve café; 中; 100% & $5 #1 {a_b} ~ ^ \\")


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_the_result_is_ascii(words):
    assert tex_text(words).isascii()


def test_letters_and_symbols_have_their_latex_names():
    assert tex_text("φ") == r"$\varphi$"
    assert tex_text("α β ∞") == r"$\alpha$ $\beta$ $\infty$"
    assert tex_text("a_b & 5%") == r"a\_b \& 5\%"
    assert tex_text("中") == "[U+4E2D]"
    assert tex_text("é") == "e"
    assert tex_text("½") == "1/2"
    assert tex_text("$5") == r"\$5"


def test_a_run_of_subscripts_is_one_subscript():
    assert tex_text("[hₜ₋₁, xₜ]") == r"[h$_{t-1}$, x$_{t}$]"
    assert tex_text("y⁻¹ Wᵀ a₁₂") == r"y$^{-1}$ W$^{\top}$ a$_{12}$"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (CI installs texlive-latex-base)")
def test_pdflatex_compiles_the_words(tmp_path):
    source = ("\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amsmath,amssymb}\n"
              "\\begin{document}\n" + tex_text(WORDS) + "\n\\end{document}\n")
    (tmp_path / "t.tex").write_text(source, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "t.pdf").stat().st_size > 0
