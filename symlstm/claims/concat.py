"""Claims about the concatenation ``[h; x]`` — the seed question's subject.

* :func:`concat_split`: ``W·[h; x] + b = W_h·h + W_x·x + b`` where ``W = [W_h | W_x]`` (holds);
* :func:`swapped_split`: ``W·[h; x] + b = W_x·h + W_h·x + b`` (refuted: shapes, or numbers when m = n);
* :func:`seed_reading`: reading ``[h_{t-1}, x_t]`` as the n×2 matrix ``[h x]`` (refuted: a matrix, not a vector).
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from symlstm.algebra import add, concat, matmul, matrix, side_by_side, size, vector
from symlstm.claims.equivalence import EquivalenceClaim
from symlstm.errors import CellError

_N, _M = size("n"), size("m")


def sizes_at(n: int | None, m: int | None) -> dict[sp.Symbol, int] | None:
    """``{n: n, m: m}`` for a claim at concrete sizes, None for symbolic ones; both or neither must be given."""
    if (n is None) != (m is None):
        raise CellError(f"give both sizes or neither: n = {n!r}, m = {m!r}")
    if n is None:
        return None
    for name, value in (("n", n), ("m", m)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise CellError(f"size {name} must be a positive integer, got {value!r}")
    return {_N: n, _M: m}


def _parts(sizes: Mapping[sp.Symbol, sp.Expr]):
    n, m = sizes[_N], sizes[_M]
    return (vector("h_{t-1}", n), vector("x_t", m), matrix("W_h", n, n), matrix("W_x", n, m), vector("b", n))


def concat_split(order: str = "hx", n: int | None = None, m: int | None = None) -> EquivalenceClaim:
    """``W·[h; x] + b = W_h·h + W_x·x + b`` with ``W = [W_h | W_x]`` (``order="xh"``: ``[x; h]``, ``W = [W_x | W_h]``).

    Symbolic sizes unless both ``n`` and ``m`` are given.
    """
    if order not in ("hx", "xh"):
        raise CellError(f"order must be 'hx' or 'xh', got {order!r}")

    def build(sizes):
        h, x, W_h, W_x, b = _parts(sizes)
        if order == "hx":
            left = add(matmul(side_by_side(W_h, W_x), concat(h, x)), b)
        else:
            left = add(matmul(side_by_side(W_x, W_h), concat(x, h)), b)
        return left, add(matmul(W_h, h), matmul(W_x, x), b)

    stacked = "[h; x]" if order == "hx" else "[x; h]"
    blocks = "[W_h | W_x]" if order == "hx" else "[W_x | W_h]"
    return EquivalenceClaim(f"concat-split[{order}]", f"W·{stacked} + b = W_h·h + W_x·x + b, where W = {blocks}",
                            build, (_N, _M), at=sizes_at(n, m))


def swapped_split(n: int | None = None, m: int | None = None) -> EquivalenceClaim:
    """The wrong split ``W·[h; x] + b = W_x·h + W_h·x + b`` — refuted."""

    def build(sizes):
        h, x, W_h, W_x, b = _parts(sizes)
        return add(matmul(side_by_side(W_h, W_x), concat(h, x)), b), add(matmul(W_x, h), matmul(W_h, x), b)

    display = (r"\begin{bmatrix} W_h & W_x \end{bmatrix} \begin{bmatrix} h_{t-1} \\ x_t \end{bmatrix} + b"
               r" = W_x h_{t-1} + W_h x_t + b")
    return EquivalenceClaim("swapped-split", "W·[h; x] + b = W_x·h + W_h·x + b (blocks swapped)",
                            build, (_N, _M), at=sizes_at(n, m), display=display, expected=False)


def seed_reading(n: int | None = None) -> EquivalenceClaim:
    """The seed question's reading: ``[h_{t-1}, x_t]`` as the n×2 matrix ``[h x]`` and ``W`` as n×n — refuted.

    As in the question, ``x`` has as many entries as ``h`` (m = n), so ``[h x]`` can be formed at all.
    """

    def build(sizes):
        h, x, W_h, W_x, b = _parts({_N: sizes[_N], _M: sizes[_N]})
        W = matrix("W", sizes[_N], sizes[_N])
        return add(matmul(W, side_by_side(h, x)), b), add(matmul(W_h, h), matmul(W_x, x), b)

    display = r"W \begin{bmatrix} h_{t-1} & x_t \end{bmatrix} + b = W_h h_{t-1} + W_x x_t + b"
    at = None if n is None else {_N: n}
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise CellError(f"size n must be a positive integer, got {n!r}")
    return EquivalenceClaim("seed-reading", "reading the seed's [hₜ₋₁, xₜ] as the n×2 matrix [h x], with W n×n",
                            build, (_N,), at=at, display=display, expected=False)
