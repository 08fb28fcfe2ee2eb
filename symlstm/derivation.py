"""The main job for one cell: derive, prove, print and draw it, writing the files ``symlstm derive`` writes.

This is the one place besides the CLI that writes files; everything it writes is made by the pure modules
(:mod:`symlstm.document`, :mod:`symlstm.render`, :mod:`symlstm.graph`).  It works for any
:class:`~symlstm.spec.CellSpec`, built in or written by a user with :class:`~symlstm.spec.CellBuilder`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from symlstm.bptt import BPTT, bptt
from symlstm.claims.base import MEANINGS, Claim, tex_text
from symlstm.codegen import generate_numpy
from symlstm.document import Section, claims_section, equations_section, markdown_document, shapes_section, tex_document
from symlstm.files import make_folder, write_text
from symlstm.graph import write_graph
from symlstm.html_document import html_document
from symlstm.printing.latex import latex
from symlstm.parallel import default_workers
from symlstm.render import RenderResult, render_equations, render_tex
from symlstm.report import check_all, summary_table
from symlstm.spec import CellSpec
from symlstm.verification import claims_for


@dataclass
class Derivation:
    """What :func:`write_derivation` did: the claims it checked, the gradients, the files and any notes."""

    cell: CellSpec
    claims: list[Claim]
    gradients: BPTT | None  # None when the backward pass could not be derived (a note says why)
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every claim came out as expected."""
        return all(claim.as_expected for claim in self.claims)

    def _add(self, result: RenderResult) -> None:
        self.files += list(result.files)
        if result.note:
            self.notes.append(result.note)


#: The claims section's introduction: what each verdict word means.
CLAIMS_INTRO = ("Each claim is checked by symlstm, and its verdict says what was established: "
                + "; ".join(f"{word} — {meaning}" for word, meaning in MEANINGS.items()) + ".")


def document_sections(cell: CellSpec, gradients: BPTT | str, claims: list[Claim]) -> list[Section]:
    """The sections of a cell's derivation document, in order (``gradients``: why they could not be derived)."""
    if isinstance(gradients, str):
        words = f"The backward pass could not be derived: {gradients}"
        backward = Section("Backpropagation through time", tex_text(words), words)
    else:
        backward = Section("", gradients.latex(), gradients.markdown())  # the section brings its own heading
    return [shapes_section(cell), equations_section(cell), backward,
            claims_section("Claims and proofs", CLAIMS_INTRO, claims)]


def backward_latex(gradients: BPTT) -> str:
    """One backward step as a LaTeX ``aligned`` block."""
    lines = [f"{latex(a.lhs)} &= {latex(a.rhs, order='none')}" for a in gradients.step]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def verification_report(cell: CellSpec, claims: list[Claim]) -> str:
    """Every claim's verdict and reason, and the summary table, as Markdown."""
    lines = [f"# Verification of {cell.describe()}", "", "```text", summary_table(claims), "```", ""]
    for claim in claims:
        verdict = claim.check()
        mark = "as expected" if claim.as_expected else "NOT as expected"
        lines.append(f"- **{claim.name}** — {verdict.status} ({mark}): {verdict.explanation}")
    return "\n".join(lines) + "\n"


def write_derivation(cell: CellSpec, out: str | Path, *, pictures: bool = True,
                     progress: Callable[[str], None] | None = None) -> Derivation:
    """Check every claim about ``cell`` and write ``out/<cell>.tex``, ``.md``, ``.html`` (MathML, the drawn cell
    inline), the generated NumPy modules (``<cell>_numpy.py`` in float64, ``<cell>_numpy_float32.py``), the
    verification report (``<cell>-verification.md``) and (``pictures``) the PDF, PNG/SVG pages, an equations
    picture and the drawn cell.  Missing optional tools become notes."""
    folder = make_folder(out)  # before any work: an --out that cannot be a folder fails at once
    claims = claims_for(cell)
    check_all(claims, progress=progress, workers=default_workers())
    try:
        gradients: BPTT | str = bptt(cell)
    except Exception as error:  # noqa: BLE001 - the claims already say so as error verdicts; the rest is written
        gradients = f"{type(error).__name__}: {error}"
    derivation = Derivation(cell, claims, None if isinstance(gradients, str) else gradients)
    if isinstance(gradients, str):
        derivation.notes.append(f"no backward pass: {gradients}")
    sections = document_sections(cell, gradients, claims)
    title = f"symlstm: the {cell.title}"
    tex = tex_document(title, sections)
    for suffix, text in ((".tex", tex), (".md", markdown_document(title, sections))):
        derivation.files.append(write_text(folder / f"{cell.name}{suffix}", text))
    for dtype, suffix in (("float64", ""), ("float32", "_float32")):
        module = folder / f"{cell.name.replace('-', '_')}_numpy{suffix}.py"
        try:
            source = generate_numpy(cell, dtype)
        except Exception as error:  # noqa: BLE001 - a cell the generator refuses still gets its document
            derivation.notes.append(f"{module.name} not written: {type(error).__name__}: {error}")
            continue
        derivation.files.append(write_text(module, source))
    report = folder / f"{cell.name}-verification.md"
    derivation.files.append(write_text(report, verification_report(cell, claims)))
    if pictures:
        derivation._add(render_tex(tex, folder, cell.name))
        backward = [] if derivation.gradients is None else [backward_latex(derivation.gradients)]
        derivation._add(render_equations([cell.latex(), *backward], folder,
                                         f"{cell.name}-equations", title=cell.title))
        derivation._add(write_graph(cell, folder, f"{cell.name}-graph"))
    drawn = [(f"The {cell.title}, drawn from its equations", path.read_text(encoding="utf-8"))
             for path in derivation.files if path.name == f"{cell.name}-graph.svg"]
    derivation.files.append(write_text(folder / f"{cell.name}.html", html_document(title, sections, drawn)))
    return derivation
