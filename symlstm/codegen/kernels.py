r"""Runs of element-wise statements of a time step fused into one compiled loop (numba).

NumPy runs every operator of ``δa_{o,t} = δh_t ⊙ tanh(c_t) ⊙ o_t ⊙ (1 − o_t)`` as its own pass over a
(B, k) array, through memory; a step of the LSTM's backward pass is 23 such passes. Element-wise
statements are independent from element to element, and the batch's rows from each other, so
consecutive ones can run as one loop over (row r, element j), reading each input once and keeping
values nothing outside the loop reads in registers::

    @numba.njit(error_model="numpy", boundscheck=False)
    def _backward_kernel_0(B, n, a, da, dh, ...):
        for _r in range(B):
            for _j in range(n):
                do = dh[_r, _j]*tanh_c[_r, _j]
                da[_r, 3*n + _j] = do*a[_r, 3*n + _j]*(DTYPE(1) - a[_r, 3*n + _j])
                ...

Element-wise functions (``tanh``, ``σ``) stay NumPy calls between the kernels: NumPy's are vectorised
(SIMD), numba's are scalar libm calls, measured 2.2× slower for the whole pass in float32.

Fusing does not change what is computed: each statement of a run reads only the element of its own
(r, j), and a run's statements have the same number of rows, so the loop runs them in order for
each element as NumPy runs them in order for all elements. Only the rounding may differ, as
``x·(1 − x)`` is not evaluated by the same sequence of operations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp
from sympy import (
    HadamardPower,
    HadamardProduct,
    MatAdd,
    MatMul,
    MatrixExpr,
    MatrixSymbol,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)
from sympy.printing.pycode import PythonCodePrinter

from symlstm.codegen.kinds import CodegenError
from symlstm.functions import TableFunction
from symlstm.printing.text import text

DECORATOR = '@numba.njit(error_model="numpy", boundscheck=False)'
IMPORT = '''\
try:
    import numba
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("this module was generated with fused kernels (fuse=True), which need numba: "
                      "pip install numba") from error'''


def elementwise(expr: MatrixExpr, vector: Callable[[MatrixSymbol], bool]) -> bool:
    """Whether ``expr`` is computed element by element with no function call: names, constants, ``+``,
    ``⊙``, Hadamard powers and scalar multiples. ``vector(s)`` says whether a symbol is a (B, k) array
    or a shared k-vector (so one element per (r, j)); a shared matrix is not element-wise."""
    if isinstance(expr, MatrixSymbol):
        return vector(expr)
    if isinstance(expr, (OneMatrix, ZeroMatrix)):
        return True
    if isinstance(expr, Transpose):
        return isinstance(expr.arg, MatrixSymbol) and vector(expr.arg)
    if isinstance(expr, (MatAdd, HadamardProduct)):
        return all(elementwise(a, vector) for a in expr.args)
    if isinstance(expr, HadamardPower):
        return expr.exp.is_Integer and elementwise(expr.base, vector)
    if isinstance(expr, MatMul):
        _, factors = expr.as_coeff_matrices()
        if len(factors) == 2 and isinstance(factors[1], OneMatrix) and factors[1].shape == (1, 1):
            factors = factors[:1]
        return len(factors) == 1 and elementwise(factors[0], vector)
    return False


def scalar(expr: MatrixExpr, leaf: Callable[[MatrixSymbol], sp.Symbol]) -> sp.Expr:
    """The element (r, j) of the element-wise ``expr`` as a scalar SymPy expression (``leaf`` names each symbol's)."""
    if isinstance(expr, MatrixSymbol):
        return leaf(expr)
    if isinstance(expr, Transpose):
        return scalar(expr.arg, leaf)
    if isinstance(expr, OneMatrix):
        return sp.Integer(1)
    if isinstance(expr, ZeroMatrix):
        return sp.Integer(0)
    if isinstance(expr, MatAdd):
        return sp.Add(*(scalar(a, leaf) for a in expr.args))
    if isinstance(expr, HadamardProduct):
        return sp.Mul(*(scalar(a, leaf) for a in expr.args))
    if isinstance(expr, HadamardPower):
        return sp.Pow(scalar(expr.base, leaf), expr.exp)
    if isinstance(expr, MatMul):
        coeff, factors = expr.as_coeff_matrices()
        return coeff * scalar(factors[0], leaf)
    raise CodegenError(f"no element-wise kernel rule for {type(expr).__name__} node {text(expr)}")


class KernelPrinter(PythonCodePrinter):
    """Scalar expressions for a kernel's body: symbols as the element they stand for (``a[_r, n + _j]``),
    numbers as ``DTYPE(…)`` (a bare ``0.5`` would make numba compute a float32 kernel in float64), and
    small integer powers as products."""

    def __init__(self, access: Mapping[sp.Symbol, str]):
        super().__init__({"fully_qualified_modules": False})
        self.access = dict(access)

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self.access[expr]

    def _print_Integer(self, expr: sp.Integer) -> str:
        return f"DTYPE({expr.p})"

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"DTYPE({expr.p}/{expr.q})"

    def _print_Float(self, expr: sp.Float) -> str:
        return f"DTYPE({float(expr)!r})"

    def _print_Function(self, expr) -> str:
        """A function of the table as its scalar code (``np.tanh(x)``, ``(x if x > DTYPE(0) else DTYPE(0))``)."""
        if isinstance(expr, TableFunction):
            return f"({expr.scalar_code(self.parenthesize(expr.args[0], 1000, strict=True))})"
        return super()._print_Function(expr)

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exp = expr.args
        if exp.is_Integer and 1 <= abs(exp) <= 4:
            product = "*".join([self.parenthesize(base, 1000, strict=True)] * int(abs(exp)))
            return product if exp > 0 else f"DTYPE(1)/({product})"
        return f"{self.parenthesize(base, 1000, strict=True)}**{self._print(exp)}"


class Kernel:
    """One fused run: its statements in groups of equal rows, printed as a numba function.

    Parameters
    ----------
    name
        The function's name (``_backward_kernel_0``).
    groups
        ``(rows, [(lhs, rhs, comment), …])``: consecutive statements with ``rows`` (code) rows each.
    element
        Where a symbol's element (r, j) is: its (B, k) array and the code of the offset of its rows
        there (``("a", "3*n")`` for ``a[_r, 3*n + _j]``), or a shared k-vector's code (``b[n:2*n]``) and None.
    local
        The symbols held in locals of their group (nothing outside the group reads them).
    ident
        Python names for the locals.
    """

    def __init__(self, name: str, groups, element: Callable[[MatrixSymbol], tuple[str, str | None]],
                 local: set[MatrixSymbol], ident: Mapping[MatrixSymbol, str], sizes: list[str]):
        self.name = name
        self.arrays: list[str] = []
        self.vectors: dict[str, str] = {}  # code of a shared vector (p_i, b[n:2*n]) → its name in the kernel
        body = []
        for rows, statements in groups:
            body.append(f"        for _j in range({rows}):")
            assigned: set[MatrixSymbol] = set()
            for lhs, rhs, comment in statements:
                leaves: dict[MatrixSymbol, sp.Symbol] = {}
                value = scalar(rhs, lambda s, leaves=leaves: leaves.setdefault(s, sp.Symbol(f"_x{len(leaves)}")))
                access = {key: (ident[s] if s in local and s in assigned else self._element(element, s))
                          for s, key in leaves.items()}
                target = ident[lhs] if lhs in local else self._element(element, lhs)
                assigned.add(lhs)
                body += [f"            # {comment}", f"            {target} = {KernelPrinter(access).doprint(value)}"]
        self.params = ["B", *sizes, *self.arrays, *self.vectors.values()]
        self.args = ["B", *sizes, *self.arrays, *self.vectors]
        count = sum(len(g) for _, g in groups)
        self.source = "\n".join([DECORATOR, f"def {name}({', '.join(self.params)}):",
                                 f'    """{count} element-wise statements of a step fused: one pass per row of '
                                 'the batch."""', "    for _r in range(B):", *body]) + "\n"

    def _element(self, element, symbol: MatrixSymbol) -> str:
        array, offset = element(symbol)
        if offset is None:
            name = self.vectors.setdefault(array, array if array.isidentifier() else f"_v{len(self.vectors)}")
            return f"{name}[_j]"
        if array not in self.arrays:
            self.arrays.append(array)
        return f"{array}[_r, _j]" if offset == "0" else f"{array}[_r, {offset} + _j]"

    def call(self) -> str:
        return f"{self.name}({', '.join(self.args)})"
