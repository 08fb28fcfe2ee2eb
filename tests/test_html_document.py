"""The HTML derivation (``out/<cell>.html``): self-contained, its math MathML that a real browser lays out.

The layout is measured in headless Chromium (Debian's ``chromium``): the test copies the page into its own
folder, appends a measuring script to the copy (the page itself has none), and reads the boxes the browser
computed from ``--dump-dom``.  A fraction laid out as MathML has its numerator above its denominator and a
table's rows stacked; the same elements not recognised as MathML sit side by side on one line, and
``test_the_measurement_sees_math_that_did_not_lay_out`` shows that the check then fails.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

import symlstm
from symlstm import derivation as derivation_module
from symlstm.document import Section
from symlstm.html_document import html_document, unconverted
from symlstm.render import RenderResult
from symlstm.verification import forward_claims

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)

# MathML Core's elements (https://w3c.github.io/mathml-core/): anything else Chromium does not lay out
MATHML_CORE = {"math", "annotation", "annotation-xml", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo",
               "mover", "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle",
               "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder", "munderover", "semantics",
               "none"}

MEASURE = """
<script>
const boxes = (e) => e.getBoundingClientRect();
const maths = [...document.querySelectorAll("math")];
const inside = [...document.querySelectorAll("math *")];
const fractions = [...document.querySelectorAll("mfrac")].map((f) => {
  const [top, bottom] = [boxes(f.children[0]), boxes(f.children[1])];
  return top.bottom <= bottom.top + 0.5 && top.width > 0 && bottom.width > 0;
});
const tables = [...document.querySelectorAll("mtable")].filter((t) => t.children.length > 1).map((t) => {
  const rows = [...t.children].map(boxes);
  return rows.every((r, k) => k === 0 || r.top >= rows[k - 1].bottom - 0.5);
});
const result = {
  maths: maths.length,
  empty: maths.filter((m) => { const b = boxes(m); return !(b.width > 0 && b.height > 0); }).length,
  displays: [...new Set(maths.map((m) => getComputedStyle(m).display))],
  not_mathml: inside.filter((e) => e.namespaceURI !== "http://www.w3.org/1998/Math/MathML").length,
  names: [...new Set(inside.map((e) => e.localName))],
  errors: document.querySelectorAll("merror").length,
  fractions: fractions.length, fractions_stacked: fractions.filter(Boolean).length,
  tables: tables.length, tables_stacked: tables.filter(Boolean).length,
  svgs: [...document.querySelectorAll("svg")].map((s) => { const b = boxes(s); return [b.width, b.height]; }),
  scripts: document.scripts.length,
};
const out = document.createElement("pre");
out.id = "symlstm-layout";
out.textContent = JSON.stringify(result);
document.body.appendChild(out);
</script>
"""


def measure(page: str, folder) -> dict:
    """The layout Chromium computes for ``page``, measured by a script appended to a copy of it."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    assert "<script" not in page, "the page itself must need no JavaScript"
    copy = folder / "measured.html"
    copy.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-extensions", "--virtual-time-budget=10000", "--dump-dom", copy.as_uri()],
                          capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="symlstm-layout">(.*?)</pre>', done.stdout, re.S)
    assert found, f"Chromium printed no measurement (status {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def assert_laid_out(layout: dict) -> None:
    """Every formula is a non-empty MathML box, its fractions stacked and its tables' rows one under another."""
    assert layout["maths"] > 0
    assert layout["empty"] == 0, f"{layout['empty']} of {layout['maths']} <math> elements have an empty box"
    assert set(layout["displays"]) <= {"block math", "inline math", "math"}, layout["displays"]
    assert layout["not_mathml"] == 0 and layout["errors"] == 0
    assert set(layout["names"]) <= MATHML_CORE, set(layout["names"]) - MATHML_CORE
    assert layout["fractions"] > 0 and layout["fractions_stacked"] == layout["fractions"]
    assert layout["tables"] > 0 and layout["tables_stacked"] == layout["tables"]


@pytest.fixture(scope="module")
def derived(tmp_path_factory):
    """``write_derivation`` of the LSTM with its forward claims, the drawn cell but not the LaTeX pictures."""
    folder = tmp_path_factory.mktemp("derived")
    patch = pytest.MonkeyPatch()
    patch.setattr(derivation_module, "claims_for", forward_claims)
    nothing = RenderResult((), "none", "")
    patch.setattr(derivation_module, "render_tex", lambda *args, **kwargs: nothing)
    patch.setattr(derivation_module, "render_equations", lambda *args, **kwargs: nothing)
    try:
        result = symlstm.write_derivation(symlstm.cell("lstm"), folder)
    finally:
        patch.undo()
    return folder, result


def test_derive_writes_a_self_contained_html_page(derived):
    folder, result = derived
    page = (folder / "lstm.html").read_text(encoding="utf-8")
    assert folder / "lstm.html" in result.files
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)""", page), "the page must load nothing"
    assert "http://" not in page.replace('xmlns="http://www.w3.org/', "").replace(
        'xmlns:xlink="http://www.w3.org/', "").replace("http://www.w3.org/1998/Math/MathML", "")
    assert unconverted(page) == []
    assert "$" not in re.sub(r"<svg.*?</svg>", "", page, flags=re.S), "LaTeX left unconverted"
    assert page.count("<math") > 50
    # the drawn cell, inline, and the claims with their verdict words
    assert page.count("<svg") == 1 and "The LSTM" in page
    for claim in result.claims:
        assert f"Claim ({claim.name})" in page
        verdict = claim.check().status
        assert f'<span class="verdict-{verdict.replace(" ", "-")}">Verdict: {verdict}.</span>' in page


def test_the_same_input_gives_the_same_page(derived):
    folder, result = derived
    sections = derivation_module.document_sections(result.cell, result.gradients, result.claims)
    first = html_document("t", sections, [("p", (folder / "lstm-graph.svg").read_text())])
    assert first == html_document("t", sections, [("p", (folder / "lstm-graph.svg").read_text())])


def test_the_math_lays_out_in_chromium(derived, tmp_path):
    folder, _ = derived
    layout = measure((folder / "lstm.html").read_text(encoding="utf-8"), tmp_path)
    assert_laid_out(layout)
    assert layout["scripts"] == 1  # only the test's measuring script
    assert len(layout["svgs"]) == 1 and all(side > 100 for side in layout["svgs"][0])


def test_the_measurement_sees_math_that_did_not_lay_out(tmp_path):
    """The fault the browser check guards against: math the browser does not lay out as MathML."""
    page = html_document("t", [Section("s", "", r"$$\frac{a}{b} + \begin{matrix} 1 \\ 2 \end{matrix}$$")])
    assert_laid_out(measure(page, tmp_path))
    not_mathml = page.replace("<math", "<span").replace("</math>", "</span>")
    with pytest.raises(AssertionError):
        assert_laid_out(measure(not_mathml, tmp_path))
    flattened = page.replace("</style>", "math, math * { display: inline !important; }</style>")
    layout = measure(flattened, tmp_path)
    assert layout["fractions_stacked"] == 0 and layout["tables_stacked"] == 0


def test_a_formula_that_does_not_convert_is_shown_as_latex_and_named():
    page = html_document("t", [Section("s", "", r"$\left( x$, $\unknowncommand y$ and $x$")])
    assert unconverted(page) == [r"\left( x", r"\unknowncommand y"]
    assert page.count("<math") == 1
