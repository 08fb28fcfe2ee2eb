"""A derivation document as one self-contained HTML page: the math as MathML, the pictures as inline SVG.

Pure functions from the document's :class:`~symlstm.document.Section` objects (their Markdown with ``$…$`` and
``$$…$$`` math) to a string.  The page needs no network and no JavaScript: the math is MathML (converted from
the sections' LaTeX by ``latex2mathml``), the pictures are ``<svg>`` elements written into the page, and the
style sheet is inline.  A formula ``latex2mathml`` cannot convert (an error, or a command it copies through
as text) is shown as its LaTeX source in ``<code>``
and named by :func:`unconverted` (the tests require there be none).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from latex2mathml.converter import convert as latex_to_mathml

from symlstm.document import Section

STYLE = """
body { max-width: 60em; margin: 2em auto; padding: 0 1em; font-family: serif; line-height: 1.45; }
math[display="block"] { margin: 0.6em 0; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border-bottom: 1px solid #ccc; padding: 0.15em 0.6em; text-align: left; }
.step { margin-left: 1.5em; }
.verdict-proved, .verdict-proved-at-sizes, .verdict-checked { color: #1a6a1a; }
.verdict-refuted, .verdict-error { color: #a01818; }
.verdict-unknown { color: #8a6a00; }
figure svg { max-width: 100%; height: auto; }
"""

UNCONVERTED = "symlstm-unconverted"
VERDICT = re.compile(r"Verdict: (proved at sizes|proved|checked|refuted|unknown|error)\.")
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE = re.compile(r"\$([^$\n]+?)\$")


def mathml(tex: str, *, display: bool) -> str:
    """One formula as a ``<math>`` element (block or inline); on a conversion failure its LaTeX in ``<code>``."""
    try:
        element = latex_to_mathml(tex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds; the page still shows the formula's source
        element = ""
    if not element or re.search(r">[^<]*\\[^<]*<", element):  # failed, or a command copied through as text
        return f'<code class="{UNCONVERTED}">{html.escape(tex.strip())}</code>'
    return element


def unconverted(page: str) -> list[str]:
    """The LaTeX of every formula of ``page`` that was not converted to MathML."""
    return [html.unescape(s) for s in re.findall(rf'<code class="{UNCONVERTED}">(.*?)</code>', page, re.S)]


def inline_html(text: str) -> str:
    """One line or paragraph of the sections' Markdown: ``$…$`` math, ``**bold**``, ```code```, verdict words."""
    formulas: list[str] = []

    def keep(match: re.Match) -> str:
        formulas.append(mathml(match.group(1), display=False))
        return f"\x00{len(formulas) - 1}\x00"

    text = html.escape(INLINE.sub(keep, text), quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = VERDICT.sub(lambda m: f'<span class="verdict-{m.group(1).replace(" ", "-")}">{m.group(0)}</span>', text)
    return re.sub("\x00(\\d+)\x00", lambda m: formulas[int(m.group(1))], text)


def _table(lines: list[str]) -> str:
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    head, body = rows[0], [r for r in rows[1:] if not all(set(c) <= set("-: ") for c in r)]
    out = ["<table>", "<tr>" + "".join(f"<th>{inline_html(c)}</th>" for c in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>" for row in body]
    return "\n".join(out + ["</table>"])


def block_html(block: str) -> str:
    """One blank-line separated block of Markdown: a heading, a table, display math, a list item or a paragraph."""
    stripped = block.strip()
    heading = re.match(r"(#{1,4}) (.*)", stripped)
    if heading and "\n" not in stripped:
        level = len(heading.group(1))
        return f"<h{level}>{inline_html(heading.group(2))}</h{level}>"
    if stripped.startswith("|"):
        return _table(stripped.splitlines())
    display = DISPLAY.fullmatch(stripped)
    if display:
        element = mathml(display.group(1), display=True)
        return f'<div class="step">{element}</div>' if block.startswith(" ") else element
    item = re.match(r"(\d+\.|-) (.*)", stripped, re.S)
    if item:
        marker = "" if item.group(1) == "-" else item.group(1) + " "
        return f'<p class="step">{marker}{inline_html(item.group(2))}</p>'
    parts = DISPLAY.split(stripped)  # a paragraph with display math inside it
    out = [mathml(p, display=True) if i % 2 else inline_html(p.strip()) for i, p in enumerate(parts) if p.strip()]
    return "<p>" + "\n".join(out) + "</p>"


def markdown_html(markdown: str) -> str:
    """A section's Markdown as HTML."""
    blocks = re.split(r"\n\s*\n", markdown.strip("\n"))
    return "\n".join(block_html(block) for block in blocks if block.strip())


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG file's text as an element for an HTML page: no XML declaration or DOCTYPE, and every ``id`` (and
    reference to one) prefixed so that two pictures on one page cannot share an id."""
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", svg, flags=re.S).strip()
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r'(href=")#([^"]+)"', rf'\1#{prefix}-\2"', svg)
    return re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)


def html_document(title: str, sections: Sequence[Section], pictures: Sequence[tuple[str, str]] = ()) -> str:
    """A standalone HTML page: the title, each picture (``(caption, svg text)``) as an inline ``<svg>``, then
    the sections.  Deterministic: the same input gives the same bytes."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{html.escape(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
             f"<h1>{html.escape(title)}</h1>"]
    for number, (caption, svg) in enumerate(pictures, start=1):
        parts.append(f"<figure>{inline_svg(svg, f'picture{number}')}"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    for section in sections:
        if section.title:
            parts.append(f"<h2>{inline_html(section.title)}</h2>")
        parts.append(markdown_html(section.markdown))
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
