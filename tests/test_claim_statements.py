"""Every claim symlstm states about every built-in cell prints as LaTeX that pdflatex compiles and that
matplotlib's mathtext (the fallback renderer) parses."""

import shutil
import subprocess

import pytest

from symlstm import cell
from symlstm.claims.base import display_math
from symlstm.document import TEX_PREAMBLE
from symlstm.printing.mathtext import mathtext_lines
from symlstm.verification import claims_for

CELLS = [cell("lstm"), cell("lstm", peephole=True, cifg=True), cell("lstm", proj_size=2), cell("gru")]
STATEMENTS = sorted({(c.name, c.statement()) for spec in CELLS for c in claims_for(spec)})


@pytest.mark.parametrize(("name", "statement"), STATEMENTS, ids=[name for name, _ in STATEMENTS])
def test_statement_parses_in_mathtext(name, statement):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    for line in mathtext_lines(statement):
        parser.parse(f"${line}$")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX engine installed")
def test_all_statements_compile_under_latex(tmp_path):
    body = "\n".join(display_math(statement) for _, statement in STATEMENTS)
    (tmp_path / "claims.tex").write_text(TEX_PREAMBLE + "\\begin{document}\n" + body + "\n\\end{document}\n")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "claims.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    errors = [line for line in done.stdout.splitlines() if line.startswith("!")]
    assert done.returncode == 0, errors
