"""Shape-checked block-matrix algebra on SymPy matrix expressions.

SymPy checks shapes when it builds ``A*B`` or ``A + B`` only when it can decide
them; with symbolic sizes it lets ``W_x·h`` through even though ``W_x`` is n×m
and ``h`` is n×1.  The constructors here decide every shape question
explicitly: a product or sum whose shapes can never agree raises
:class:`~symlstm.errors.ShapeError` naming both operands, and one whose shapes
agree only under a condition (``m = n``) raises it with that condition attached,
so that a claim can report "defined only when m = n" and look for a
counterexample where it is defined.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import sympy as sp
from sympy import BlockMatrix, HadamardProduct, MatAdd, MatMul, MatrixExpr, MatrixSymbol

from symlstm.errors import ShapeError
from symlstm.printing.text import text

Size = sp.Expr | int


class ConditionalShapeError(ShapeError):
    """Shapes that agree only when ``condition`` (a SymPy relation) holds."""

    def __init__(self, message: str, condition: sp.Basic):
        super().__init__(message)
        self.condition = condition


def size(name: str) -> sp.Symbol:
    """A symbolic dimension: a positive integer Symbol."""
    return sp.Symbol(name, integer=True, positive=True)


def vector(name: str, rows: Size) -> MatrixSymbol:
    """A column vector ``name`` with ``rows`` entries (shape rows×1)."""
    return MatrixSymbol(name, rows, 1)


def matrix(name: str, rows: Size, cols: Size) -> MatrixSymbol:
    """A matrix ``name`` of shape rows×cols."""
    return MatrixSymbol(name, rows, cols)


def same_size(a: Size, b: Size) -> bool | None:
    """True if ``a = b`` for every value of the size symbols, False if never, None if sometimes."""
    difference = sp.simplify(sp.sympify(a) - sp.sympify(b))
    if difference == 0:
        return True
    if difference.is_nonzero:
        return False
    return None


def shape_text(shape: tuple[Size, Size]) -> str:
    """``n×(m + n)``-style text for a shape."""

    def part(s: Size) -> str:
        text = str(s)
        return text if sp.sympify(s).is_Atom else f"({text})"

    return f"{part(shape[0])}×{part(shape[1])}"


def describe(expr: MatrixExpr) -> str:
    """Name and shape of an operand, e.g. ``W_f (n×(m + n))``; says vector or matrix."""
    rows, cols = expr.shape
    kind = "a column vector" if cols == 1 else "a matrix"
    return f"{text(expr)} ({shape_text(expr.shape)}, {kind})"


def _require_equal(a: Size, b: Size, message: str) -> None:
    verdict = same_size(a, b)
    if verdict is True:
        return
    if verdict is False:
        raise ShapeError(message)
    condition = sp.Eq(sp.sympify(a), sp.sympify(b))
    raise ConditionalShapeError(f"{message}; they agree only when {condition.lhs} = {condition.rhs}", condition)


def matmul(*factors: MatrixExpr) -> MatrixExpr:
    """The product ``factors[0]·factors[1]·…`` after checking every inner dimension."""
    for left, right in zip(factors, factors[1:]):
        _require_equal(
            left.shape[1],
            right.shape[0],
            f"cannot multiply {describe(left)} by {describe(right)}: "
            f"{text(left)} has {left.shape[1]} columns but {text(right)} has {right.shape[0]} rows",
        )
    return MatMul(*factors).doit(deep=False) if len(factors) > 1 else factors[0]


def _require_same_shape(terms: Sequence[MatrixExpr], verb: str) -> None:
    first = terms[0]
    for other in terms[1:]:
        message = f"cannot {verb} {describe(first)} and {describe(other)}: their shapes differ"
        _require_equal(first.shape[0], other.shape[0], message)
        _require_equal(first.shape[1], other.shape[1], message)


def add(*terms: MatrixExpr) -> MatrixExpr:
    """The sum of same-shaped ``terms`` (nested sums are flattened)."""
    _require_same_shape(terms, "add")
    return MatAdd(*(part for term in terms for part in (term.args if isinstance(term, MatAdd) else (term,))))


def hadamard(*factors: MatrixExpr) -> MatrixExpr:
    """The element-wise (Hadamard) product ``a ⊙ b ⊙ …`` of same-shaped ``factors``."""
    _require_same_shape(factors, "multiply element-wise")
    return HadamardProduct(*factors)


def concat(*blocks: MatrixExpr) -> BlockMatrix:
    """The tall vector ``[b_1; b_2; …]`` stacking column vectors (or blocks of equal width)."""
    for block in blocks[1:]:
        _require_equal(
            blocks[0].shape[1],
            block.shape[1],
            f"cannot stack {describe(blocks[0])} on top of {describe(block)}: their widths differ",
        )
    return BlockMatrix([[block] for block in blocks])


def side_by_side(*blocks: MatrixExpr) -> BlockMatrix:
    """The wide matrix ``[B_1 | B_2 | …]`` of blocks with equal heights."""
    for block in blocks[1:]:
        _require_equal(
            blocks[0].shape[0],
            block.shape[0],
            f"cannot put {describe(blocks[0])} beside {describe(block)}: their heights differ",
        )
    return BlockMatrix([list(blocks)])


def column_blocks(name: str, rows: Size, widths: Sequence[Size], labels: Sequence[str]) -> list[MatrixSymbol]:
    """Symbols for the column blocks of a matrix ``name``: ``name = [B_1 | B_2 | …]``.

    Block ``k`` is named by appending ``labels[k]`` to ``name``'s subscript, so
    ``column_blocks("W_f", n, [n, m], ["h", "x"])`` gives ``W_{fh}`` (n×n) and ``W_{fx}`` (n×m).
    """
    return [matrix(subscripted(name, label), rows, width) for width, label in zip(widths, labels)]


def subscripted(name: str, suffix: str) -> str:
    """``W_f`` + ``h`` → ``W_{fh}``; ``W_{f}`` + ``h`` → ``W_{fh}``; ``W`` + ``h`` → ``W_{h}``."""
    if "_" not in name:
        return f"{name}_{{{suffix}}}"
    base, sub = name.split("_", 1)
    sub = sub[1:-1] if sub.startswith("{") and sub.endswith("}") else sub
    return f"{base}_{{{sub}{suffix}}}"


def explicit(expr: MatrixExpr, sizes: dict[sp.Symbol, int] | None = None) -> sp.ImmutableMatrix:
    """``expr`` at concrete sizes, with every entry written out (``W[0, 1]`` etc.).

    The entries are SymPy's own (``as_explicit``), but a product ``A·B`` of two factors is written out as
    ``Σ_k A[i, k]·B[k, j]`` directly from the factors' written-out entries instead of through ``Sum(…).doit()``
    over dummy indices, which gives the same expressions and is what made written-out claims slow."""
    concrete = expr.xreplace(sizes) if sizes else expr
    return sp.ImmutableMatrix(_written_out(concrete))


def _written_out(expr: sp.Basic) -> sp.ImmutableMatrix:
    """``expr.as_explicit()``, each two-factor product inside it by :func:`_product_of_two`."""
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix(expr)
    if isinstance(expr, MatMul):
        coeff, factors = expr.as_coeff_matrices()
        if len(factors) == 2 and all(sp.sympify(d).is_Integer for f in factors for d in f.shape):
            return _product_of_two(coeff, *(_written_out(f) for f in factors))
    products = [node for node in _outermost_products(expr) if node is not expr]
    if products:
        expr = expr.xreplace({node: _written_out(node) for node in products})
    return expr.as_explicit()


def _outermost_products(expr: sp.Basic) -> list[MatMul]:
    """The matrix products in ``expr`` that are not inside another matrix product."""
    if isinstance(expr, MatMul):
        return [expr]
    return [node for arg in expr.args for node in _outermost_products(arg)]


def _product_of_two(coeff: sp.Expr, left: sp.ImmutableMatrix, right: sp.ImmutableMatrix) -> sp.ImmutableMatrix:
    """``coeff·left·right`` entry by entry: ``coeff·(Σ_k left[i, k]·right[k, j])``, as SymPy's ``MatMul`` writes it."""
    inner = left.cols

    def entry(i: int, j: int) -> sp.Expr:
        return coeff * sp.Add(*[left[i, k] * right[k, j] for k in range(inner)])

    return sp.ImmutableMatrix(left.rows, right.cols, entry)


def matrix_symbols(expr: sp.Basic) -> set[MatrixSymbol]:
    """Every MatrixSymbol that ``expr`` mentions."""
    return set(expr.atoms(MatrixSymbol))


def random_values(symbols: set[MatrixSymbol], seed: int = 0, low: int = -3, high: int = 3
                  ) -> dict[MatrixSymbol, sp.ImmutableMatrix]:
    """Random integer matrices (entries in ``low..high``) for concrete-shaped ``symbols``, in name order."""
    rng = random.Random(seed)
    values = {}
    for symbol in sorted(symbols, key=lambda s: s.name):
        rows, cols = (int(d) for d in symbol.shape)
        values[symbol] = sp.ImmutableMatrix(rows, cols, [rng.randint(low, high) for _ in range(rows * cols)])
    return values


def simplify(expr: sp.Basic) -> sp.Basic:
    """Bottom-up removal of zeros and identities that SymPy leaves inside matrix expressions.

    ``0 ⊙ c`` → 0, ``A + 0`` → ``A``, ``I·A`` → ``A``, ``0·A`` → 0, also inside element-wise functions
    (which SymPy does not look into). Returns an expression equal to ``expr`` with the same shape.
    """
    if not isinstance(expr, MatrixExpr) or isinstance(expr, MatrixSymbol) or not expr.args:
        return expr
    if isinstance(expr, BlockMatrix):
        blocks = expr.blocks
        return BlockMatrix([[simplify(blocks[i, j]) for j in range(blocks.cols)] for i in range(blocks.rows)])
    args = [simplify(arg) for arg in expr.args]
    if isinstance(expr, HadamardProduct):
        if any(isinstance(a, sp.ZeroMatrix) for a in args):
            return sp.ZeroMatrix(*expr.shape)
        return HadamardProduct(*args)
    if isinstance(expr, MatAdd):
        kept = [a for a in args if not isinstance(a, sp.ZeroMatrix)]
        return MatAdd(*kept) if len(kept) > 1 else (kept[0] if kept else sp.ZeroMatrix(*expr.shape))
    if isinstance(expr, MatMul):
        if any(isinstance(a, sp.ZeroMatrix) for a in args):
            return sp.ZeroMatrix(*expr.shape)
        kept = [a for a in args if not isinstance(a, sp.Identity)]
        return MatMul(*kept).doit(deep=False) if len(kept) > 1 else kept[0]
    return expr.func(*args)
