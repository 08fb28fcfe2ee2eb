r"""LaTeX for symlstm's expressions: ``\sigma``, ``\odot``, ``bmatrix`` blocks, ``^{\top}``.

:class:`LatexPrinter` extends SymPy's printer with a ``_print_*`` method for each
node whose default rendering does not read like the mathematics (SymPy prints
``σ`` applied to a matrix as ``(d ↦ σ(d))_∘(A)`` and ``⊙`` as ``∘``).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter as _SymPyLatexPrinter
from sympy.printing.precedence import PRECEDENCE

from symlstm.functions import entry, is_known, scalar_function
from symlstm.printing.order import positive_first


class LatexPrinter(_SymPyLatexPrinter):
    """SymPy's LaTeX printer, taught symlstm's notation."""

    prints_symlstm_nodes = True  # an element-wise node (functions/nodes.py) leaves its printing to this class

    _default_settings = {
        **_SymPyLatexPrinter._default_settings,
        "mat_str": "bmatrix",
        "mat_delim": "",
    }

    def _print_MatrixSymbol(self, expr) -> str:
        # Names are chosen as LaTeX already (``h_{t-1}``, ``\delta c_t``); print them verbatim.
        return expr.name

    def _print_ElementwiseApplyFunction(self, expr) -> str:
        function = scalar_function(expr)
        if not is_known(function):
            return super()._print_ElementwiseApplyFunction(expr)
        return r"%s\left(%s\right)" % (entry(function).latex_label(), self._print(expr.expr))

    def _print_MatAdd(self, expr) -> str:
        tex = ""
        for number, term in enumerate(positive_first(self._as_ordered_terms(expr))):
            if number and term.could_extract_minus_sign():
                tex += " - "
                term = -term
            elif number:
                tex += " + "
            term_tex = self._print(term)
            tex += r"\left(%s\right)" % term_tex if self._needs_add_brackets(term) else term_tex
        return tex

    def _print_HadamardProduct(self, expr) -> str:
        # strict=False: a product or sum factor is bracketed, (W^T δh) ⊙ c, not W^T δh ⊙ c
        return r" \odot ".join(self.parenthesize(arg, PRECEDENCE["Mul"], strict=False) for arg in expr.args)

    def _print_Transpose(self, expr) -> str:
        base = self.parenthesize(expr.arg, PRECEDENCE["Pow"], strict=True)
        if "^" in base and not base.startswith(r"\left("):  # a name with its own superscript
            base = r"\left(%s\right)" % base
        return r"%s^{\top}" % base

    def _print_OneMatrix(self, expr) -> str:
        return r"\mathbf{1}"

    def _print_BlockMatrix(self, expr) -> str:
        blocks = expr.blocks
        rows = [" & ".join(self._print(blocks[i, j]) for j in range(blocks.cols)) for i in range(blocks.rows)]
        return r"\begin{bmatrix} %s \end{bmatrix}" % r" \\ ".join(rows)



def latex(expr: sp.Basic, **settings) -> str:
    """``expr`` as LaTeX in symlstm's notation."""
    return LatexPrinter(settings).doprint(expr)


def latex_equation(lhs: sp.Basic, rhs: sp.Basic, **settings) -> str:
    """``lhs = rhs`` as LaTeX (no environment around it)."""
    return f"{latex(lhs, **settings)} = {latex(rhs, **settings)}"
