r"""Matrix expressions of the mathematics printed as batched, row-major NumPy.

The mathematics works with column vectors: ``a = W·v + b`` with ``v`` n×1.  The generated
code works on a batch of B such vectors at once, stored row-major, so that every GEMM
is one BLAS call:

=======================================  ============================  ===================
mathematics                              NumPy                         kind of the result
=======================================  ============================  ===================
``v`` (k×1, one per example)             ``v`` of shape (B, k)         batched column
``vᵀ`` (1×k, one per example)            the same array (B, k)         batched row
``W`` (r×c, a parameter)                 ``W`` of shape (r, c)         shared
``b`` (k×1, a parameter)                 ``b`` of shape (k,)           shared (broadcasts)
``W·v``                                  ``v @ W.T``                   batched column
``vᵀ·W``                                 ``v @ W``                     batched row
``u·vᵀ`` (u, v batched)                  ``(v.T @ u).T``, C-ordered    shared: Σ over the batch
``u ⊙ v``, ``u + v``, ``1 - u``          ``u * v``, ``u + v``, ``1 - u``  broadcast
``φ(u)`` element-wise                    ``np.tanh(u)``, ``_sigmoid(u)``, ``_relu(u)`` (the table's)
=======================================  ============================  ===================

A parameter's gradient is the sum over the batch of the per-example gradients, which is
what ``uᵀ·v`` computes; the code generator also flattens time into the batch
(``(T, B, k)`` → ``(T·B, k)``), so that ``Σ_t δa_t·v_tᵀ`` is the single GEMM ``δAᵀ·V``.  It is
printed as ``(Vᵀ·δA)ᵀ`` — the same sums; OpenBLAS runs this orientation of the long (T·B) reduction
up to 1.6× faster in float64 (``(Vᵀ·δA)`` is (k, rows) with the wide ``δA`` on the right) — and copied
once to a C-ordered array (the result is only rows × k).

:class:`BatchedNumPyPrinter` prints expressions (``doprint``) and, with :meth:`~BatchedNumPyPrinter.assign`,
statements that write an expression into an existing array with ``out=`` and in-place operators, so
that a loop body allocates nothing.  SymPy's own NumPy printer prints ``⊙`` wrongly (sympy#17138)
and knows nothing of batches; every node it meets here has its own ``_print_*`` method, and a
node without one is named in a :class:`CodegenError`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import sympy as sp
from sympy import (
    BlockMatrix,
    HadamardPower,
    HadamardProduct,
    Identity,
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
from sympy.printing.numpy import NumPyPrinter

from symlstm.codegen.inplace import InPlaceStatements
from symlstm.codegen.kinds import COL, ROW, SHARED, CodegenError, atom
from symlstm.functions import Sigmoid, entry, is_known, scalar_function
from symlstm.printing.text import text

#: The helper the printed code calls for σ (from the table of element-wise functions).
SIGMOID_HELPER = Sigmoid.numpy_helper()[1]


class BatchedNumPyPrinter(InPlaceStatements, NumPyPrinter):
    """Print matrix expressions as NumPy on batched row-major arrays (see the module docstring).

    Parameters
    ----------
    names
        The Python expression that holds each MatrixSymbol (``h_{t-1}`` → ``"h_prev"``,
        ``a_{f,t}`` → ``"a[:, n:2*n]"``), and optionally the transpose of a shared one
        (``Wᵀ`` → ``"W_T"``, a contiguous copy).  A symbol missing here is a :class:`CodegenError`.
    batched
        The symbols that hold one column vector per example (inputs, states, intermediates and
        their adjoints); every other symbol is shared by the batch (parameters).
    """

    printmethod = "_symlstm_numpy"
    prints_symlstm_nodes = True  # an element-wise node (functions/nodes.py) leaves its printing to this class

    def __init__(self, names: Mapping[MatrixExpr, str], batched: Collection[MatrixSymbol],
                 settings: dict | None = None, matrices: Collection[MatrixSymbol] = ()):
        super().__init__(settings or {})
        self.names = dict(names)
        self.batched = frozenset(batched)
        #: Shared k×1 symbols stored as (k, 1) arrays (a stack's weight for the block 𝟏 of ``[h; x; 𝟏]``,
        #: where ``W·𝟏`` is W); printed as their column ``W[:, 0]``, as every other k×1 one is a (k,) array.
        self.matrices = frozenset(matrices)
        #: Every name of :attr:`names` the printed code reads or writes (liveness of the caller's bindings).
        self.used: set[str] = set()
        #: Scratch arrays the statements of :meth:`assign` write to: name → rows (each is (B, rows)).
        self.scratch: dict[str, sp.Expr] = {}
        self.scratch_prefix = "_s"
        #: Helper definitions the printed code calls (``_sigmoid``), by name.
        self.helpers: dict[str, str] = {}
        self._busy: set[str] = set()

    # -- kinds ----------------------------------------------------------------------
    def kind(self, expr: MatrixExpr) -> str:
        """``COL``, ``ROW`` (one vector per example) or ``SHARED`` (one array for the batch)."""
        if isinstance(expr, MatrixSymbol):
            return COL if expr in self.batched else SHARED
        if isinstance(expr, Transpose):
            return {COL: ROW, ROW: COL, SHARED: SHARED}[self.kind(expr.arg)]
        if isinstance(expr, MatMul):
            return self._product(expr)[1]
        if isinstance(expr, (MatAdd, HadamardProduct, BlockMatrix)):
            parts = expr.blocks if isinstance(expr, BlockMatrix) else expr.args
            kinds = {self.kind(a) for a in parts if isinstance(a, MatrixExpr)} - {SHARED}
            if len(kinds) > 1:
                raise CodegenError(f"cannot combine a batched column and a batched row in {text(expr)}")
            return kinds.pop() if kinds else SHARED
        if isinstance(expr, ElementwiseApplyFunction):
            return self.kind(expr.expr)
        if isinstance(expr, HadamardPower):
            return self.kind(expr.base)
        if isinstance(expr, MatrixSlice):
            return self.kind(expr.parent)
        if isinstance(expr, (OneMatrix, ZeroMatrix, Identity)):
            return SHARED
        raise CodegenError(f"the NumPy printer has no rule for {type(expr).__name__} node {text(expr)}")

    # -- expressions ------------------------------------------------------------------
    def _print_MatrixSymbol(self, expr: MatrixSymbol) -> str:
        if expr not in self.names:
            raise CodegenError(f"no NumPy name for the symbol {expr.name} ({text(expr)}) in this part of the code")
        self.used.add(self.names[expr])
        if expr in self.matrices and expr.shape[1] == 1:
            return f"{atom(self.names[expr])}[:, 0]"
        return self.names[expr]

    def _transposed(self, expr: MatrixExpr) -> str:
        """The array of ``exprᵀ`` for a shared ``expr`` (``W.T``; ``(Wᵀ)ᵀ`` is ``W``; or a name for ``Wᵀ``)."""
        if isinstance(expr, Transpose):
            return self._print(expr.arg)
        if Transpose(expr) in self.names:
            self.used.add(self.names[Transpose(expr)])
            return self.names[Transpose(expr)]
        return atom(self._print(expr)) + ".T"


    def _product(self, expr: MatMul) -> tuple[str, str]:
        """Code and kind of a product of matrices, folded left to right (table in the module docstring).

        A factor 𝟏 sums: ``W·𝟏`` is the row sums of W (``np.sum(W, axis=1)``; a (k,) column times the 1×1
        𝟏 is itself), ``𝟏ᵀ·v`` (1×k times a batched column) the sum of v's entries, ``(B, 1)``."""
        coeff, factors = expr.as_coeff_matrices()
        factors = [OneMatrix(*f.shape) if isinstance(f, Transpose) and isinstance(f.arg, OneMatrix) else f
                   for f in factors]  # 𝟏ᵀ is 𝟏
        code, kind = self._print(factors[0]), self.kind(factors[0])
        left = factors[0]
        for right in factors[1:]:
            rkind = self.kind(right)
            if isinstance(right, OneMatrix) and right.shape[1] == 1 and kind in (SHARED, ROW):
                if kind == ROW:  # vᵀ·𝟏 = Σ_k v_k, one number per example
                    code, kind = f"np.sum({code}, axis=1, keepdims=True)", COL
                elif not (left is not None and left.shape[1] == 1 and right.shape[0] == 1):
                    code = f"np.sum({atom(code)}, axis=1)"
                left = None
                continue
            if isinstance(left, OneMatrix) and rkind == COL:  # 𝟏·v: Σ_k v_k in every row, (B, 1) broadcasting
                one = left.shape[1] == 1  # 𝟏_{r×1}·s with s 1×1 is s in every row
                code = self._print(right) if one else f"np.sum({self._print(right)}, axis=1, keepdims=True)"
                kind, left = COL, None
                continue
            if isinstance(right, OneMatrix) and kind == COL and right.shape == (1, 1):
                left = None
                continue
            if (kind, rkind) == (SHARED, SHARED) or (kind, rkind) == (ROW, SHARED):
                code = f"{atom(code)} @ {atom(self._print(right))}"
            elif (kind, rkind) == (SHARED, COL):
                shared = self._transposed(left) if left is not None else atom(code) + ".T"
                code, kind = f"{atom(self._print(right))} @ {shared}", COL
            elif (kind, rkind) == (COL, ROW):
                code = f"np.ascontiguousarray(({atom(self._print(right))}.T @ {atom(code)}).T)"
                kind = SHARED
            else:
                raise CodegenError(f"cannot print the product {text(expr)}: a {kind} times a {rkind}")
            left = None
        if coeff != 1 and code == "1":  # c·𝟏: the number c, which broadcasts
            code = self._print(coeff)
        elif coeff != 1:
            code = f"-{atom(code)}" if coeff == -1 else f"{self._print(coeff)} * {atom(code)}"
        return code, kind

    def _print_MatMul(self, expr: MatMul) -> str:
        return self._product(expr)[0]

    def _print_Transpose(self, expr: Transpose) -> str:
        if self.kind(expr.arg) == SHARED:
            return self._transposed(expr)
        return self._print(expr.arg)  # a batched vector and its transpose are the same (B, k) array

    def _print_MatAdd(self, expr: MatAdd) -> str:
        code = ""
        for term in sorted(expr.args, key=lambda a: a.could_extract_minus_sign()):
            if code and term.could_extract_minus_sign():
                code += f" - {atom(self._print(-term))}"
            else:
                code += (" + " if code else "") + self._print(term)
        return code

    def _print_HadamardProduct(self, expr: HadamardProduct) -> str:
        return " * ".join(atom(self._print(a)) for a in expr.args)

    def _print_HadamardPower(self, expr: HadamardPower) -> str:
        base = atom(self._print(expr.base))
        return f"{base} * {base}" if expr.exp == 2 else f"{base} ** {self.exponent(expr.exp)}"

    def exponent(self, exp: sp.Expr) -> str:
        """A power's exponent as one Python operand: ``3``, ``(3/2)``, ``(-1/2)``, ``2.5`` (not ``q ** 3/2``)."""
        if not exp.is_number:
            raise CodegenError(f"the NumPy printer needs a number as exponent, not {text(exp)}")
        if exp.is_Integer:
            return f"({exp})" if exp < 0 else str(exp)
        if exp.is_Rational:
            return f"({exp.p}/{exp.q})"
        return f"({float(exp)!r})"

    def function(self, expr: ElementwiseApplyFunction) -> str:
        """The NumPy callable for the element-wise function of ``expr`` (registers its helper)."""
        function = scalar_function(expr)
        if not is_known(function):
            raise CodegenError(f"the NumPy printer knows no element-wise function {function} in {text(expr)}; "
                               "it prints those of symlstm.functions' table")
        name, helper = entry(function).numpy_helper()
        if helper:
            self.helpers[name] = helper
        return name

    def _print_ElementwiseApplyFunction(self, expr: ElementwiseApplyFunction) -> str:
        return f"{self.function(expr)}({self._print(expr.expr)})"

    def _print_MatrixSlice(self, expr: MatrixSlice) -> str:
        """Rows ``lo:hi`` of a batched column are columns of its (B, k) array (``u[:, lo:hi]``: the feature
        axis, never the batch's); a shared matrix is sliced as it is stored."""
        def bounds(s) -> str:
            lo, hi, step = s
            if step != 1:
                raise CodegenError(f"the NumPy printer slices with step 1 only, not {text(expr)}")
            return f"{'' if lo == 0 else self._print(lo)}:{self._print(hi)}"
        kind = self.kind(expr.parent)
        base = atom(self._print(expr.parent))
        if kind == COL and tuple(expr.colslice) == (0, 1, 1):
            return f"{base}[:, {bounds(expr.rowslice)}]"
        if kind == SHARED and expr.parent.shape[1] != 1:
            return f"{base}[{bounds(expr.rowslice)}, {bounds(expr.colslice)}]"
        if kind == SHARED and tuple(expr.colslice) == (0, 1, 1):
            return f"{base}[{bounds(expr.rowslice)}]"
        raise CodegenError(f"the NumPy printer cannot slice {text(expr)}")

    def _print_OneMatrix(self, expr: OneMatrix) -> str:
        return "1"

    def _print_ZeroMatrix(self, expr: ZeroMatrix) -> str:
        return "0"

    def _print_BlockMatrix(self, expr: BlockMatrix) -> str:
        """``[u; v]``: batched columns side by side in a row (axis 1); shared blocks one above the other."""
        if expr.blocks.cols != 1 or self.kind(expr) == ROW:
            raise CodegenError(f"the NumPy printer only stacks blocks vertically, not {text(expr)}")
        if len(expr.blocks) == 1:
            return self._print(expr.blocks[0])
        parts = ", ".join(self._print(b) for b in expr.blocks)
        return f"np.concatenate(({parts}), axis={1 if self.kind(expr) == COL else 0})"

    def emptyPrinter(self, expr) -> str:
        raise CodegenError(f"the NumPy printer has no rule for {type(expr).__name__} node {text(expr)}")

    def value(self, expr: MatrixExpr, shared: bool = False) -> str:
        """``expr`` as a NumPy expression; ``shared=True`` sums a batched column over the batch."""
        code = self._print(expr)
        if shared and self.kind(expr) == COL:
            return f"np.sum({code}, axis=0)"
        return code
