"""Derivation documents: a cell's shapes, equations and claims as standalone LaTeX and as Markdown.

Pure functions from cells and claims to strings; writing files is the CLI's job.  A document is a
list of :class:`Section` objects, so later parts (BPTT, generated code, verification) add sections
without this module knowing about them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from symlstm.claims.base import Claim, tex_text
from symlstm.printing.latex import latex
from symlstm.spec import CellSpec, Var

TEX_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\usepackage[margin=2cm]{geometry}
\allowdisplaybreaks
\pagestyle{empty}
"""


@dataclass(frozen=True)
class Section:
    """A titled part of a document, in both output languages (an empty title: the part brings its own)."""

    title: str
    tex: str
    markdown: str


def _size_latex(size) -> str:
    text = latex(size, order="rev-lex")  # n + m, as people write it
    return text if size.is_Atom else f"({text})"


def _shape_latex(var: Var) -> str:
    rows, cols = var.shape
    return rf"{_size_latex(rows)} \times {_size_latex(cols)}"


def shapes_section(cell: CellSpec) -> Section:
    """Every variable of ``cell`` with its shape and meaning."""
    groups = [("input", cell.inputs), ("previous state", tuple(s.previous for s in cell.states)),
              ("parameter", cell.params), ("computed", cell.intermediates)]
    tex_rows, md_rows = [], ["| symbol | shape | kind | meaning |", "|---|---|---|---|"]
    for kind, variables in groups:
        for var in variables:
            symbol, shape = latex(var.symbol), _shape_latex(var)
            tex_rows.append(rf"${symbol}$ & ${shape}$ & {kind} & {tex_text(var.doc)} \\")
            md_rows.append(f"| ${symbol}$ | ${shape}$ | {kind} | {var.doc} |")
    sizes = ", ".join(f"${latex(s)}$ ({doc})" for s, doc in cell.sizes)
    tex = (f"Sizes: {sizes}. A vector of $k$ entries is a $k \\times 1$ column.\n\n"
           "\\begin{center}\\begin{tabular}{llll}\n\\textbf{symbol} & \\textbf{shape} & \\textbf{kind} & "
           "\\textbf{meaning} \\\\ \\hline\n" + "\n".join(tex_rows) + "\n\\end{tabular}\\end{center}")
    md = f"Sizes: {sizes}. A vector of $k$ entries is a $k \\times 1$ column.\n\n" + "\n".join(md_rows)
    return Section("Shapes", tex, md)


def equations_section(cell: CellSpec) -> Section:
    """The forward equations in evaluation order, and each gate written out in one line."""
    body = cell.latex()
    gates = []
    for gate in cell.gates:
        rhs = cell.expand(gate.activation, keep=[s.previous.symbol for s in cell.states])
        gates.append(f"{latex(gate.activation)} &= {latex(rhs)}")
    intro = (f"The {tex_text(cell.title)} in evaluation order; $\\odot$ is the element-wise product and "
             "$\\sigma$, $\\tanh$ act on each entry.")
    tex = intro + "\n\\[\n" + body + "\n\\]\n"
    md = intro + "\n\n$$\n" + body + "\n$$\n"
    if gates:
        inline = "\\begin{aligned}\n" + " \\\\\n".join(gates) + "\n\\end{aligned}"
        words = ("Each gate reads one tall vector: $[h_{t-1}; x_t]$ stacks $h_{t-1}$ on top of $x_t$, "
                 "so it has $n + m$ entries and every $W_k$ is $n \\times (n+m)$.")
        tex += words + "\n\\[\n" + inline + "\n\\]\n"
        md += "\n" + words + "\n\n$$\n" + inline + "\n$$\n"
    return Section("Forward equations", tex, md)


def claims_section(title: str, intro: str, claims: Sequence[Claim]) -> Section:
    """Each claim with its statement, verdict and proof steps."""
    tex = tex_text(intro) + "\n\n" + "\n\n".join(claim.latex() for claim in claims)
    md = intro + "\n\n" + "\n".join(claim.markdown() for claim in claims)
    return Section(title, tex, md)


def tex_document(title: str, sections: Sequence[Section]) -> str:
    """A standalone, compilable LaTeX document."""
    parts = [TEX_PREAMBLE, f"\\title{{{tex_text(title)}}}", "\\date{}", "\\begin{document}", "\\maketitle"]
    for section in sections:
        heading = [f"\\section{{{tex_text(section.title)}}}"] if section.title else []
        parts += [*heading, section.tex.strip(), ""]
    parts.append("\\end{document}")
    return "\n".join(parts) + "\n"


def markdown_document(title: str, sections: Sequence[Section]) -> str:
    """The same document as Markdown with ``$$`` math."""
    parts = [f"# {title}", ""]
    for section in sections:
        heading = [f"## {section.title}", ""] if section.title else []
        parts += [*heading, section.markdown.strip(), ""]
    return "\n".join(parts).rstrip() + "\n"
