r"""Pictures of a derivation: a .tex document compiled to PDF, PNG and SVG, or drawn with mathtext.

:func:`render_tex` compiles a standalone LaTeX document with ``pdflatex`` (Debian:
``texlive-latex-base``, which has amsmath and amssymb) and turns each page into a PNG and an SVG
cropped to its content with ``pdftoppm``/``pdftocairo`` (Debian: ``poppler-utils``).  Where no LaTeX
engine is installed it draws the document's display math with matplotlib's mathtext instead
(matrices written by :mod:`symlstm.printing.mathtext`), and where matplotlib is missing too it
returns a note.  Missing tools never raise: every function returns a :class:`RenderResult` whose
one-line ``note`` says what was left out and why.

:func:`render_equations` does the same for a list of equations, through :func:`equations_document`.
The mathtext drawing itself lives in :mod:`symlstm.mathtext_picture`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from symlstm.files import make_folder, publish, write_text
from symlstm.mathtext_picture import Line, document_lines, draw_lines, have_matplotlib
from symlstm.parallel import default_workers

#: LaTeX engines tried in order; all of them compile amsmath documents.
ENGINES = ("pdflatex", "lualatex", "xelatex")
FORMATS = ("pdf", "png", "svg")
#: Seconds one external tool may run before it is given up on.
TIMEOUT = 120
#: White space kept around the content of a cropped page, in points.
MARGIN_PT = 6
#: Fixed dates make the PDFs byte-for-byte reproducible (pdfTeX reads these).
_REPRODUCIBLE = {"SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote: ``files`` (in order), the ``engine`` that drew them, a one-line ``note``.

    ``engine`` is ``"pdflatex"`` (or another LaTeX engine), ``"mathtext"``, ``"dot"``, ``"svg"`` (symlstm's own
    SVG) or ``"none"``;
    ``note`` is empty when everything asked for was written.
    """

    files: tuple[Path, ...]
    engine: str
    note: str = ""

    @property
    def ok(self) -> bool:
        """True when at least one picture was written."""
        return bool(self.files)


def which(tool: str) -> str | None:
    """The path of ``tool`` on ``PATH``, or None."""
    return shutil.which(tool)


def latex_engine() -> str | None:
    """The first LaTeX engine of :data:`ENGINES` that is installed, or None."""
    return next((engine for engine in ENGINES if which(engine)), None)


def equations_document(equations: Sequence[str], title: str | None = None) -> str:
    r"""A standalone document showing each equation in its own ``\[ … \]`` (an ``aligned`` block is fine).

    The page is wide (60 cm) so that long matrix products are not cut; :func:`render_tex` crops
    the PNG and SVG to the content.
    """
    body = "\n".join(rf"\[ {equation} \]" for equation in equations)
    lines = sum(1 + equation.count(r"\\") for equation in equations)
    heading = rf"\section*{{{title}}}" + "\n" if title else ""
    return (
        "\\documentclass[11pt,fleqn]{article}\n"
        "\\usepackage{amsmath,amssymb}\n"
        "\\usepackage[paperwidth=60cm,paperheight=%dcm,margin=1cm]{geometry}\n"
        "\\pagestyle{empty}\n\\begin{document}\n%s%s\n\\end{document}\n"
    ) % (min(500, 4 + len(equations) + lines), heading, body)


def _check_stem(stem: str) -> None:
    if not stem or "/" in stem or "\\" in stem or stem in (".", ".."):
        raise ValueError(f"stem must be a plain file name without directories, got {stem!r}")


def _check_formats(formats: Sequence[str]) -> None:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown picture format(s) {unknown}; choose from {list(FORMATS)}")


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess | str:
    """Run ``command``; the finished process, or a one-line reason it could not run."""
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT,
                              stdin=subprocess.DEVNULL, env={**os.environ, **_REPRODUCIBLE})
    except subprocess.TimeoutExpired:
        return f"{command[0]} took longer than {TIMEOUT} s and was stopped"
    except OSError as error:
        return f"{command[0]} could not run: {error}"


def run_tool(command: list[str]) -> str:
    """Run ``command``; ``""`` when it succeeded, else why not (one line)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except (subprocess.TimeoutExpired, OSError) as error:
        return str(error)
    return "" if done.returncode == 0 else " ".join(done.stderr.split()) or f"exit status {done.returncode}"


def _latex_error(log: str, name: str) -> str:
    """The first error of a LaTeX log as one line, e.g. ``doc.tex:4: Undefined control sequence (l.4 $a \\foo)``."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^\./.*?:\d+: ", line) or line.startswith("! "):
            context = next((c.strip() for c in lines[i + 1:i + 4] if re.match(r"^l\.\d+", c)), "")
            return line.lstrip("./!").strip() + (f" ({context})" if context else "")
    return f"{name} failed; see its log"


def page_count(pdf: Path) -> int | None:
    """Pages of ``pdf`` according to ``pdfinfo``, or None when it cannot tell."""
    if not which("pdfinfo"):
        return None
    done = _run(["pdfinfo", str(pdf)], pdf.parent)
    if isinstance(done, str) or done.returncode != 0:
        return None
    found = re.search(r"^Pages:\s+(\d+)", done.stdout, re.M)
    return int(found.group(1)) if found else None


def _pgm_box(data: bytes) -> tuple[int, int, int, int] | None:
    """Bounding box ``(x0, y0, x1, y1)`` of the non-white pixels of a binary 8-bit PGM, or None if blank."""
    fields, position = [], 0
    while len(fields) < 4:
        found = re.compile(rb"\s*(\S+)").match(data, position)
        fields.append(found.group(1))
        position = found.end()
    width, height = int(fields[1]), int(fields[2])
    pixels = data[position + 1:position + 1 + width * height]
    rows = [y for y in range(height) if pixels[y * width:(y + 1) * width].count(255) != width]
    if not rows:
        return None
    left, right = width, 0
    for y in rows:
        row = pixels[y * width:(y + 1) * width]
        first = next(x for x, v in enumerate(row) if v != 255)
        last = width - 1 - next(x for x, v in enumerate(reversed(row)) if v != 255)
        left, right = min(left, first), max(right, last)
    return left, rows[0], right + 1, rows[-1] + 1


def content_box(pdf: Path, page: int) -> tuple[float, float, float, float] | None:
    """``(x, y, width, height)`` in points of what is drawn on ``page`` (1-based), with a margin."""
    with tempfile.TemporaryDirectory() as scratch:
        done = _run(["pdftoppm", "-gray", "-r", "72", "-f", str(page), "-l", str(page), "-singlefile",
                     str(pdf), str(Path(scratch) / "page")], Path(scratch))
        picture = Path(scratch) / "page.pgm"
        if isinstance(done, str) or done.returncode != 0 or not picture.exists():
            return None
        box = _pgm_box(picture.read_bytes())
    if box is None:
        return None
    x0, y0, x1, y1 = box
    x, y = max(0, x0 - MARGIN_PT), max(0, y0 - MARGIN_PT)
    return x, y, x1 + MARGIN_PT - x, y1 + MARGIN_PT - y


def _crop_svg(svg: str, box: tuple[float, float, float, float]) -> str:
    """The SVG ``pdftocairo`` wrote, showing only ``box`` (points) on a white ground."""
    x, y, w, h = box
    head = re.search(r"<svg\b[^>]*>", svg)
    tag = re.sub(r'\s(width|height|viewBox)="[^"]*"', "", head.group(0))
    tag = tag.replace("<svg", f'<svg width="{w}pt" height="{h}pt" viewBox="{x} {y} {w} {h}"', 1)
    ground = f'\n<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="white"/>'
    return svg[:head.start()] + tag + ground + svg[head.end():]


def _draw_page(pdf: Path, scratch: Path, page: int, name: str, wanted: Sequence[str], dpi: int
               ) -> tuple[list[tuple[str, Path | str]], str] | None:
    """Page ``page`` drawn in ``scratch``: ``[(format, the PNG file or the cropped SVG text)]`` and why the next
    format could not be drawn (empty when all were); None for a blank page."""
    box = content_box(pdf, page)
    if box is None:
        return None
    span, drawn = ["-f", str(page), "-l", str(page)], []
    if "png" in wanted:
        crop = [str(round(v * dpi / 72)) for v in box]
        done = _run(["pdftocairo", "-png", "-singlefile", "-r", str(dpi), *span, "-x", crop[0], "-y", crop[1],
                     "-W", crop[2], "-H", crop[3], str(pdf), str(scratch / name)], scratch)
        if isinstance(done, str) or done.returncode != 0:
            return drawn, f"pdftocairo could not make {name}.png: {done if isinstance(done, str) else done.stderr}"
        drawn.append(("png", scratch / f"{name}.png"))
    if "svg" in wanted:
        done = _run(["pdftocairo", "-svg", *span, str(pdf), str(scratch / f"{name}.svg")], scratch)
        if isinstance(done, str) or done.returncode != 0:
            return drawn, f"pdftocairo could not make {name}.svg: {done if isinstance(done, str) else done.stderr}"
        drawn.append(("svg", _crop_svg((scratch / f"{name}.svg").read_text(encoding="utf-8"), box)))
    return drawn, ""


def _pages_to_pictures(pdf: Path, scratch: Path, out_dir: Path, stem: str, formats: Sequence[str], dpi: int
                       ) -> tuple[list[Path], str]:
    """PNG/SVG files of every page of ``pdf``, cropped to content; and a note (empty when all went well).

    The pages are drawn in ``scratch`` by as many poppler processes at once as there are CPUs, then put in
    ``out_dir`` whole (:func:`symlstm.files.publish`) in page order, up to the first picture that failed.
    """
    wanted = [f for f in formats if f in ("png", "svg")]
    if not wanted:
        return [], ""
    if not (which("pdftocairo") and which("pdftoppm")):
        return [], "poppler-utils (pdftocairo, pdftoppm) is not installed: wrote the PDF only"
    pages = page_count(pdf) or 1
    names = [stem if pages == 1 else f"{stem}-{page:0{len(str(pages))}d}" for page in range(1, pages + 1)]
    with ThreadPoolExecutor(default_workers()) as pool:
        drawn = list(pool.map(lambda page: _draw_page(pdf, scratch, page, names[page - 1], wanted, dpi),
                              range(1, pages + 1)))
    files: list[Path] = []
    for name, (pictures, note) in ((n, p) for n, p in zip(names, drawn) if p is not None):
        for kind, picture in pictures:
            files.append(publish(picture, out_dir / f"{name}.png") if kind == "png"
                         else write_text(out_dir / f"{name}.svg", picture))
        if note:
            return files, note
    return files, ""


def _compile(tex: str, out_dir: Path, stem: str, engine: str, formats: Sequence[str], dpi: int) -> RenderResult:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / f"{stem}.tex").write_text(tex, encoding="utf-8")
        done = _run([engine, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape",
                     f"{stem}.tex"], work)
        log = work / f"{stem}.log"
        if isinstance(done, str) or done.returncode != 0 or not (work / f"{stem}.pdf").exists():
            text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            if log.exists():
                publish(log, out_dir / f"{stem}.log")
            reason = done if isinstance(done, str) else _latex_error(text, engine)
            return RenderResult((), engine, f"{engine} could not compile {stem}.tex: {reason}")
        compiled = work / f"{stem}.pdf"
        files = [publish(compiled, out_dir / f"{stem}.pdf")] if "pdf" in formats else []
        pictures, note = _pages_to_pictures(compiled, work, out_dir, stem, formats, dpi)
    return RenderResult(tuple(files + pictures), engine, note)


def _fallback(lines: list[Line], out_dir: Path, stem: str, formats: Sequence[str], dpi: int,
              why: str) -> RenderResult:
    if not have_matplotlib():
        return RenderResult((), "none", f"{why} and matplotlib is not installed: no picture written "
                            "(install texlive-latex-base and poppler-utils, or pip install 'symlstm[render]')")
    files, failed = draw_lines(lines, out_dir, stem, formats, dpi)
    count = sum(1 for line in lines if line.kind == "math")
    shown = f"; {failed} of them mathtext could not parse, shown as source" if failed else ""
    return RenderResult(tuple(files), "mathtext", f"{why}: drew the {count} equation line(s) with matplotlib "
                        f"mathtext instead (no prose){shown}")


def render_tex(tex: str, out_dir: str | Path, stem: str, *, formats: Sequence[str] = FORMATS,
               dpi: int = 150, engine: str = "auto") -> RenderResult:
    """Compile the LaTeX document ``tex`` to ``out_dir/stem.pdf`` and cropped ``stem.png``/``stem.svg``.

    A document of several pages gives ``stem-1.png``, ``stem-2.png``, … .  ``engine="auto"`` uses
    :func:`latex_engine` and falls back to mathtext (PNG/SVG/PDF of the display math only) when
    none is installed; ``engine="mathtext"`` always uses the fallback.  Never raises for a missing
    tool or a failed compilation: see ``RenderResult.note`` (a failed compilation leaves
    ``stem.log`` in ``out_dir``).
    """
    _check_stem(stem)
    _check_formats(formats)
    if engine not in ("auto", "mathtext", *ENGINES):
        raise ValueError(f"unknown engine {engine!r}; use 'auto', 'mathtext' or one of {list(ENGINES)}")
    out = make_folder(out_dir).resolve()  # the tools run in other folders: a relative path would point elsewhere
    chosen = latex_engine() if engine == "auto" else (engine if engine != "mathtext" and which(engine) else None)
    if chosen:
        result = _compile(tex, out, stem, chosen, formats, dpi)
        return replace(result, files=tuple(Path(out_dir) / f.name for f in result.files))  # as the caller named it
    why = "mathtext asked for" if engine == "mathtext" else f"no LaTeX engine ({'/'.join(ENGINES)}) is installed"
    if engine not in ("auto", "mathtext"):
        why = f"{engine} is not installed"
    return _fallback(document_lines(tex), out, stem, formats, dpi, why)


def render_equations(equations: Sequence[str], out_dir: str | Path, stem: str, *, title: str | None = None,
                     formats: Sequence[str] = FORMATS, dpi: int = 150, engine: str = "auto") -> RenderResult:
    """Draw ``equations`` (LaTeX display math each, e.g. ``a_{f,t} = W_f …`` or an ``aligned`` block).

    Same outputs and fallbacks as :func:`render_tex`, on :func:`equations_document`.
    """
    return render_tex(equations_document(equations, title), out_dir, stem, formats=formats, dpi=dpi, engine=engine)
