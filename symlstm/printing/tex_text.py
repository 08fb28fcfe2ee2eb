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
_SCRIPTS = {**{chr(0x2080 + k): f"$_{{{k}}}$" for k in range(10)},
            **{c: f"$^{{{k}}}$" for k, c in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}, "⁻": "$^{-}$", "⁺": "$^{+}$"}


def tex_text(words: str) -> str:
    """Plain text (possibly with σ, ⊙, ×, φ, ∞, subscripts) made safe for LaTeX text mode: the result is ASCII.

    A character with no LaTeX spelling here is written as its decomposition when it has one (é → e, ½ → 1/2) or as
    ``[U+XXXX]``, so pdflatex never stops on an unknown Unicode character."""
    out = []
    for char in words:
        if char in _TEX_SPECIALS:
            out.append(_TEX_SPECIALS[char])
        elif char in _UNICODE_MATH:
            out.append(_UNICODE_MATH[char])
        elif char in _GREEK:
            out.append(rf"$\{_GREEK[char]}$")
        elif char in _SCRIPTS:
            out.append(_SCRIPTS[char])
        elif char.isascii():
            out.append(char)
        else:
            parts = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(tex_text(parts) if parts and parts != char else f"[U+{ord(char):04X}]")
    return "".join(out)
