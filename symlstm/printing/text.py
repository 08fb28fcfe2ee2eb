"""Plain-text printing for messages: ``W_f·[h_{t-1}; x_t] + b_f``, ``σ(a)``, ``f ⊙ c``.

Used wherever a person reads an expression outside LaTeX: error messages, claim
verdicts, the command line.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

from symlstm.functions import TableFunction, entry, is_known, scalar_function
from symlstm.printing.order import positive_first


class TextPrinter(StrPrinter):
    """StrPrinter with block matrices, ⊙, · and σ written as people write them."""

    prints_symlstm_nodes = True  # an element-wise node (functions/nodes.py) leaves its printing to this class

    def _print_BlockMatrix(self, expr) -> str:
        rows = expr.blocks.rows
        cols = expr.blocks.cols
        if cols == 1:
            return "[" + "; ".join(self._print(expr.blocks[i, 0]) for i in range(rows)) + "]"
        lines = [" | ".join(self._print(expr.blocks[i, j]) for j in range(cols)) for i in range(rows)]
        return "[" + "; ".join(lines) + "]"

    def _print_MatAdd(self, expr) -> str:
        out = ""
        for number, term in enumerate(positive_first(self._as_ordered_terms(expr))):
            if number and term.could_extract_minus_sign():
                out += " - "
                term = -term
            elif number:
                out += " + "
            out += self.parenthesize(term, sp.printing.precedence.PRECEDENCE["Add"], strict=True)
        return out

    def _print_MatMul(self, expr) -> str:
        c, factors = expr.as_coeff_mmul()
        parts = [self.parenthesize(f, sp.printing.precedence.PRECEDENCE["Mul"]) for f in factors.args]
        body = "·".join(parts)
        if c == 1:
            return body
        if c == -1:
            return "-" + body
        return f"{self._print(c)}*{body}"

    def _print_HadamardProduct(self, expr) -> str:
        return " ⊙ ".join(self.parenthesize(a, sp.printing.precedence.PRECEDENCE["Mul"]) for a in expr.args)

    def _print_ElementwiseApplyFunction(self, expr) -> str:
        function = scalar_function(expr)
        if not is_known(function):
            return f"({self._print(function)})∘({self._print(expr.expr)})"
        return f"{entry(function).text()}({self._print(expr.expr)})"

    def _print_Function(self, expr) -> str:
        if isinstance(expr, TableFunction):  # σ(z), relu(z), leaky_relu[α=0.01](z)
            return f"{expr.text()}({self._print(expr.args[0])})"
        return super()._print_Function(expr)

    def _print_Transpose(self, expr) -> str:
        return self.parenthesize(expr.arg, sp.printing.precedence.PRECEDENCE["Pow"]) + "ᵀ"

    def _print_OneMatrix(self, expr) -> str:
        return "1"

    def _print_ImmutableDenseMatrix(self, expr) -> str:
        if expr.cols == 1:
            return "[" + ", ".join(self._print(e) for e in expr) + "]"
        rows = ("[" + ", ".join(self._print(e) for e in expr.row(i)) + "]" for i in range(expr.rows))
        return "[" + ", ".join(rows) + "]"

    _print_MutableDenseMatrix = _print_ImmutableDenseMatrix


def text(expr: sp.Basic) -> str:
    """``expr`` as one line of plain text."""
    return TextPrinter().doprint(expr)
