"""Statements that write a matrix expression into an existing array: ``out=`` and in-place operators.

A loop body must allocate nothing, so ``y = a ⊙ c ⊙ (1 − c∘c) + h`` is not printed as one NumPy
expression (which makes a temporary array per operator) but as::

    np.multiply(a, c, out=y)
    np.multiply(c, c, out=_s0)
    np.subtract(1, _s0, out=_s0)
    y *= _s0
    y += h

with sub-expressions in scratch arrays (``_s0``) the caller allocates once, before the loop.
:class:`InPlaceStatements` is a mixin of :class:`~symlstm.codegen.printer.BatchedNumPyPrinter`.
"""

from __future__ import annotations

from sympy import (
    BlockMatrix,
    HadamardPower,
    HadamardProduct,
    MatAdd,
    MatMul,
    MatrixExpr,
    MatrixSlice,
    MatrixSymbol,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symlstm.codegen.kinds import COL, ROW, SHARED, CodegenError, atom
from symlstm.printing.text import text


class InPlaceStatements:
    """``assign(target, expr)``: the statements writing ``expr`` into ``target`` (see the module docstring)."""

    def _simple(self, expr: MatrixExpr) -> str | None:
        """The code of ``expr`` if it needs no computation (a name, a shared transpose, a constant)."""
        if isinstance(expr, MatrixSymbol):
            return self._print(expr)
        if isinstance(expr, Transpose) and isinstance(expr.arg, MatrixSymbol):
            return self._print(expr)
        if isinstance(expr, OneMatrix):
            return "1"
        if isinstance(expr, MatrixSlice) and self._simple(expr.parent) is not None:  # δz_t[:n, :]: a view
            return self._print(expr)
        if isinstance(expr, ZeroMatrix):  # δh_{t-1} = 0 for a state its own update does not read
            return "0"
        if self.kind(expr) == SHARED and not expr.atoms(MatrixSymbol) & self.batched:  # W·𝟏, c·𝟏: no batch
            return self._print(expr)
        return None

    def _into_scratch(self, expr: MatrixExpr, lines: list[str]) -> str:
        """Append the statements computing ``expr`` into a scratch array to ``lines``; return its name.

        A scratch array is busy until the end of the statement that asked for it, then free again.
        """
        if self.kind(expr) != COL:
            raise CodegenError(f"no scratch array for the {self.kind(expr)} value {text(expr)}")
        rows = expr.shape[0]
        free = [name for name, r in self.scratch.items() if r == rows and name not in self._busy]
        name = free[0] if free else f"{self.scratch_prefix}{len(self.scratch)}"
        self.scratch[name] = rows
        self._busy.add(name)
        lines += self._assign(name, expr)
        return name

    def assign(self, target: str, expr: MatrixExpr) -> list[str]:
        """Statements writing ``expr`` into the existing array ``target`` (B, k): ``out=`` and in-place only.

        Sub-expressions that are not names go to scratch arrays (listed in :attr:`scratch`), so
        the statements allocate nothing.  A sum that contains ``target`` itself adds to it in
        place (``a = a + W·h`` becomes ``a += …``).  ``target`` must not share memory with
        anything ``expr`` reads, except as such an in-place term or factor.
        """
        self._busy = {target}
        try:
            return self._assign(target, expr)
        finally:
            self._busy = set()

    def _assign(self, target: str, expr: MatrixExpr) -> list[str]:
        simple = self._simple(expr)
        if simple is not None:
            return [f"np.copyto({target}, {simple})"]
        if isinstance(expr, ElementwiseApplyFunction):
            call, lines = self.function(expr), []
            arg = self._operand(expr.expr, lines)
            return lines + [f"{call}({arg}, out={target})"]
        if isinstance(expr, HadamardPower):
            lines = []
            base = self._operand(expr.base, lines)
            if expr.exp == 2:
                return lines + [f"np.multiply({base}, {base}, out={target})"]
            return lines + [f"np.power({base}, {self.exponent(expr.exp)}, out={target})"]
        if isinstance(expr, HadamardProduct):
            return self._assign_product_chain(target, expr)
        if isinstance(expr, MatAdd):
            return self._assign_sum(target, expr)
        if isinstance(expr, MatMul):
            return self._assign_product(target, expr)
        if isinstance(expr, BlockMatrix) and expr.blocks.cols == 1 and self.kind(expr) == COL:
            lines = []  # z = [h; x]: the blocks side by side in target's columns
            parts = [self._operand(block, lines) for block in expr.blocks]
            return lines + [f"np.concatenate(({', '.join(parts)}), axis=1, out={target})"]
        raise CodegenError(f"the NumPy printer cannot assign {type(expr).__name__} node {text(expr)}")

    def _operand(self, expr: MatrixExpr, lines: list[str]) -> str:
        """The code of ``expr`` as an operand; if it needs computing, the statements go to ``lines``."""
        simple = self._simple(expr)
        return simple if simple is not None else self._into_scratch(expr, lines)

    def _assign_product_chain(self, target: str, expr: HadamardProduct) -> list[str]:
        """``target = f_1 ⊙ f_2 ⊙ …``: one ``np.multiply`` of two names, then ``*=`` for the rest."""
        args = list(expr.args)
        names = [self._simple(a) for a in args]
        lines: list[str] = []
        if target in names:  # target = target ⊙ …: in place
            args = [a for a, s in zip(args, names) if s != target]
        elif sum(s is not None for s in names) >= 2:
            first, second = [a for a, s in zip(args, names) if s is not None][:2]
            lines.append(f"np.multiply({self._simple(first)}, {self._simple(second)}, out={target})")
            args.remove(first)
            args.remove(second)
        else:
            first = next(a for a, s in zip(args, names) if s is None)
            lines += self._assign(target, first)
            args.remove(first)
        for arg in args:
            code = self._operand(arg, lines)
            lines.append(f"{target} *= {code}")
        return lines

    def _assign_sum(self, target: str, expr: MatAdd) -> list[str]:
        """``target = t_1 + t_2 − t_3 …``: the first term (a compound one if any) into ``target``,
        then ``+=`` / ``-=`` for the rest; ``c − u`` with a constant ``c`` as ``np.subtract(c, u)``."""
        positive = [a for a in expr.args if not a.could_extract_minus_sign()]
        negative = [-a for a in expr.args if a.could_extract_minus_sign()]
        lines: list[str] = []
        names = [self._simple(a) for a in positive]
        if target in names:  # target = target + …: in place
            positive = [a for a, s in zip(positive, names) if s != target]
        elif negative and len(positive) == 1 and names[0] is not None:
            first = negative.pop(0)
            code = self._simple(first)
            if code is None:  # c − u: u into target first (target is read by nothing else)
                lines += self._assign(target, first)
                code = target
            lines.append(f"np.subtract({names[0]}, {code}, out={target})")
            positive = []
        elif len(positive) >= 2 and None not in names:
            lines.append(f"np.add({names[0]}, {names[1]}, out={target})")
            positive = positive[2:]
        elif positive:
            first = next((a for a, s in zip(positive, names) if s is None), positive[0])
            positive.remove(first)
            lines += self._assign(target, first)
        else:
            lines += self._assign(target, negative.pop(0))
            lines.append(f"np.negative({target}, out={target})")
        for terms, op in ((positive, "+="), (negative, "-=")):
            for term in terms:
                code = self._operand(term, lines)
                lines.append(f"{target} {op} {code}")
        return lines

    def _assign_product(self, target: str, expr: MatMul) -> list[str]:
        coeff, factors = expr.as_coeff_matrices()
        if len(factors) == 1 and coeff != 1 and self._simple(factors[0]) is not None:
            return [f"np.multiply({self._simple(factors[0])}, {self._print(coeff)}, out={target})"]
        if len(factors) == 1:
            lines = self._assign(target, factors[0])
        elif len(factors) == 2 and all(self._gemm_operand(f) is not None for f in factors):
            left, right = factors
            lines = []
            codes = [self._simple(f) or self._into_scratch(self._gemm_operand(f), lines) for f in factors]
            kinds = (self.kind(left), self.kind(right))
            if kinds == (SHARED, COL):  # W·v → v @ W.T
                operands = (codes[1], self._transposed(left))
            elif kinds == (COL, ROW):  # u·vᵀ → u.T @ v
                operands = (atom(codes[0]) + ".T", codes[1])
            else:
                operands = tuple(codes)
            lines.append(f"np.matmul({operands[0]}, {operands[1]}, out={target})")
        else:
            lines = [f"np.copyto({target}, {self._print(MatMul(*factors))})"]
        if coeff != 1:
            lines.append(f"{target} *= {self._print(coeff)}")
        return lines

    def _gemm_operand(self, factor: MatrixExpr) -> MatrixExpr | None:
        """What a GEMM operand needs computed first: nothing for a name (returns it), a batched
        vector for a compound batched factor (``(δa ⊙ r)ᵀ`` → ``δa ⊙ r`` in scratch), None if neither."""
        if isinstance(factor, OneMatrix) or isinstance(factor, Transpose) and isinstance(factor.arg, OneMatrix):
            return None  # 𝟏ᵀ·v and W·𝟏 are sums (see the printer), not GEMMs
        if self._simple(factor) is not None:
            return factor
        inner = factor.arg if isinstance(factor, Transpose) else factor
        return inner if self.kind(inner) == COL else None
