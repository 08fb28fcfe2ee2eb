"""Plain text made safe for LaTeX text mode (claims' reasons, titles, docs): every character ASCII LaTeX."""

from __future__ import annotations

import unicodedata

_TEX_SPECIALS = {"|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}", "&": r"\&", "$": r"\$",
                 "%": r"\%", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
                 "^": r"\textasciicircum{}", "{": r"\{", "}": r"\}", "\\": r"\textbackslash{}"}
_UNICODE_MATH = {"σ": r"$\sigma$", "⊙": r"$\odot$", "·": r"$\cdot$", "×": r"$\times$", "ᵀ": r"$^{\top}$",
                 "≠": r"$\neq$", "−": "-", "—": "---", "–": "--", "∘": r"$\circ$", "∂": r"$\partial$",
                 "≤": r"$\leq$", "≥": r"$\geq$", "→": r"$\to$", "↦": r"$\mapsto$", "′": "'", "∞": r"$\infty$",
                 "𝟏": r"$\mathbf{1}$", "≈": r"$\approx$", "∈": r"$\in$", "±": r"$\pm$", "√": r"$\surd$",
                 "…": r"\dots{}", "⋯": r"$\cdots$", "∑": r"$\sum$", "∏": r"$\prod$", "∀": r"$\forall$",
                 "⊤": r"$\top$", "⊕": r"$\oplus$", "∅": r"$\emptyset$", "‖": r"$\|$", "⌈": r"$\lceil$",
                 "⌉": r"$\rceil$", "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "°": r"$^{\circ}$", "‘": "`", "’": "'",
                 "“": "``", "”": "''", "\u00a0": "~", "⁄": "/"}
#: Greek letters by their LaTeX names (φ is \varphi, as the documents' math prints it).
_GREEK = dict(zip("αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩϵϑϕ",
                  ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
                   "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "varphi", "chi", "psi", "omega",
                   "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
                   "epsilon", "vartheta", "phi"]))


def _script(char: str) -> tuple[str, str] | None:
    """``("_", "t")`` for ``ₜ``, ``("^", "2")`` for ``²``, None for a character that is neither."""
    if char in _UNICODE_MATH:  # ᵀ is \top, not a superscript T
        return None
    tag, _, code = unicodedata.decomposition(char).partition(" ")
    if tag in ("<sub>", "<super>") and code:
        return ("_" if tag == "<sub>" else "^"), chr(int(code.split()[0], 16))
    return None


def tex_text(words: str) -> str:
    """Plain text (possibly with σ, ⊙, ×, φ, ∞, subscripts) made safe for LaTeX text mode: the result is ASCII.

    A character with no LaTeX spelling here is written as its decomposition when it has one (é → e, ½ → 1/2) or as
    ``[U+XXXX]``, so pdflatex never stops on an unknown Unicode character."""
    out = []
    for k, char in enumerate(words):
        script = _script(char)
        if script:  # a run of sub- or superscripts is one: hₜ₋₁ → h$_{t-1}$
            before = _script(words[k - 1]) if k else None
            after = _script(words[k + 1]) if k + 1 < len(words) else None
            body = tex_text(script[1]).replace("$", "")
            opened = f"${script[0]}{{" if not before or before[0] != script[0] else ""
            closed = "}$" if not after or after[0] != script[0] else ""
            out.append(opened + body + closed)
        elif char in _TEX_SPECIALS:
            out.append(_TEX_SPECIALS[char])
        elif char in _UNICODE_MATH:
            out.append(_UNICODE_MATH[char])
        elif char in _GREEK:
            out.append(rf"$\{_GREEK[char]}$")
        elif char.isascii():
            out.append(char)
        else:
            parts = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(tex_text(parts) if parts and parts != char else f"[U+{ord(char):04X}]")
    return "".join(out)
