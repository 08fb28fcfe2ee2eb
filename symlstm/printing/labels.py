r"""Names such as ``h_{t-1}``, ``W_{fh}``, ``\delta c_t`` as labels in pictures (Graphviz HTML, SVG).

:func:`name_parts` splits a symlstm name (written as LaTeX) into base, subscript and superscript
with Greek letters as Unicode; :func:`html_label` and :func:`svg_label` write them for Graphviz's
HTML-like labels and for SVG ``<tspan>`` text.  Names that are not of that simple form are shown
as their text with the braces removed.
"""

from __future__ import annotations

import re
from html import escape

#: LaTeX commands and the Unicode characters pictures show for them.
SYMBOLS = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "theta": "θ",
           "lambda": "λ", "mu": "μ", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "psi": "ψ",
           "omega": "ω", "Delta": "Δ", "odot": "⊙", "top": "ᵀ"}

_NAME = re.compile(r"([^_^{}]+)(?:_(\{[^{}]*\}|[^{}]))?(?:\^(\{[^{}]*\}|[^{}]))?")


def unicode_name(latex: str) -> str:
    r"""``\sigma`` → ``σ``, ``\tanh`` → ``tanh``: commands as Unicode (or their bare name)."""
    return re.sub(r"\\([a-zA-Z]+)\s?", lambda m: SYMBOLS.get(m.group(1), m.group(1)), latex)


def name_parts(name: str) -> tuple[str, str, str] | None:
    """``h_{t-1}`` → ``("h", "t−1", "")``; None when ``name`` is not base_sub^sup."""
    found = _NAME.fullmatch(unicode_name(name))
    if not found:
        return None
    base, sub, sup = (g[1:-1] if g and g.startswith("{") else g or "" for g in found.groups())
    return base, sub.replace("-", "−"), sup.replace("-", "−")


def _italic(base: str) -> bool:
    return base.isalpha() and len(base) <= 2


def html_label(name: str) -> str:
    """A name as a Graphviz HTML label: ``h_{t-1}`` → ``<I>h</I><SUB>t−1</SUB>``."""
    parts = name_parts(name)
    if parts is None:
        return escape(unicode_name(name).replace("{", "").replace("}", ""))
    base, sub, sup = (escape(p) for p in parts)
    base = f"<I>{base}</I>" if _italic(parts[0]) else base
    return base + (f"<SUB>{sub}</SUB>" if sub else "") + (f"<SUP>{sup}</SUP>" if sup else "")


def svg_label(name: str, size: float) -> str:
    """A name as SVG text content (``<tspan>`` for the subscript), for a font of ``size`` px."""
    parts = name_parts(name)
    if parts is None:
        return escape(unicode_name(name).replace("{", "").replace("}", ""))
    base, sub, sup = (escape(p) for p in parts)
    out = f'<tspan font-style="italic">{base}</tspan>' if _italic(parts[0]) else base
    small, shift = round(0.7 * size, 1), round(0.3 * size, 1)
    if sub:
        out += f'<tspan font-size="{small}" dy="{shift}">{sub}</tspan><tspan dy="{-shift}">\u200b</tspan>'
    if sup:
        out += f'<tspan font-size="{small}" dy="{-shift}">{sup}</tspan><tspan dy="{shift}">\u200b</tspan>'
    return out
