"""The example notebook runs top to bottom and its objects render as mathematics and pictures."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "derivations" / "tour.ipynb"


def test_tour_notebook_executes_and_renders():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    kinds = {kind for o in outputs for kind in o.get("data", {})}
    assert {"text/latex", "text/markdown", "image/svg+xml"} <= kinds
    markdown = [o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {})]
    assert any("**Verdict: refuted.**" in m for m in markdown)
    assert any("**Verdict: proved.**" in m for m in markdown)
    latex = [o["data"]["text/latex"] for o in outputs if "text/latex" in o.get("data", {})]
    assert any(r"h_t &= o_t \odot \tanh\left(c_t\right)" in t for t in latex)
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert r"\delta h_{t-1} = " in printed
