"""Claims relating the variants to the plain cells: one step of each gives the same new states, or not.

* peephole with zero peephole weights = the plain LSTM;
* CIFG = the plain LSTM with ``i := 1 − f``;
* projection with ``W_hr = I`` (p = n) = the plain LSTM;
* PyTorch's GRU = Cho et al.'s GRU — refuted with numbers (``r ⊙ (W_nh·h + b_hn)`` is not ``W_nh·(r ⊙ h) + b_hn``).

Both sides are the cells' new states, every intermediate expanded, stacked into one vector.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy import Identity, MatrixExpr, OneMatrix, ZeroMatrix

from symlstm.algebra import add, concat
from symlstm.cells import cell, gru
from symlstm.claims.equivalence import EquivalenceClaim
from symlstm.spec import CellSpec


def new_states(spec: CellSpec, definitions: Mapping[sp.MatrixSymbol, MatrixExpr] | None = None) -> MatrixExpr:
    """``[h_t; c_t; …]`` with every intermediate expanded (``definitions`` overriding some of them)."""
    return concat(*(spec.expand(state.current.symbol, definitions=definitions) for state in spec.states))


def _symbol(spec: CellSpec, name: str) -> sp.MatrixSymbol:
    return next(v.symbol for v in spec.variables if v.symbol.name == name)


def peephole_zero() -> EquivalenceClaim:
    """An LSTM with peephole weights p_i = p_f = p_o = 0 is the plain LSTM."""
    peephole, plain = cell("lstm", peephole=True), cell("lstm")

    def build(sizes):
        left_cell, right_cell = peephole.sized(sizes), plain.sized(sizes)
        zeros = {_symbol(left_cell, f"p_{k}"): ZeroMatrix(*_symbol(left_cell, f"p_{k}").shape) for k in "ifo"}
        return new_states(left_cell).xreplace(zeros), new_states(right_cell)

    return EquivalenceClaim("peephole-zero", "an LSTM with zero peephole weights is the plain LSTM",
                            build, plain.size_symbols, trial_values=(1, 2))


def cifg_is_coupled_lstm() -> EquivalenceClaim:
    """CIFG = the plain LSTM with its input gate replaced by 1 − f."""
    coupled, plain = cell("lstm", cifg=True), cell("lstm")

    def build(sizes):
        right_cell = plain.sized(sizes)
        f = right_cell.gate("f").activation
        coupling = {right_cell.gate("i").activation: add(OneMatrix(*f.shape), -f)}
        return new_states(coupled.sized(sizes)), new_states(right_cell, coupling)

    return EquivalenceClaim("cifg-coupled", "CIFG is the plain LSTM with i_t := 1 − f_t",
                            build, plain.size_symbols, trial_values=(1, 2))


def projection_identity() -> EquivalenceClaim:
    """Projection with W_hr = I (so p = n) is the plain LSTM."""
    projected, plain = cell("lstm", proj_size=1), cell("lstm")
    n, p = projected.size("n"), projected.size("p")

    def build(sizes):
        right_cell = plain.sized(sizes)
        if sizes[n] == n:  # symbolic: p = n
            left_cell = projected
        else:
            left_cell = projected.at(n=int(sizes[n]), m=int(sizes[projected.size("m")]), p=int(sizes[n]))
        W_hr = _symbol(left_cell, "W_{hr}")
        left = new_states(left_cell).xreplace({W_hr: Identity(W_hr.shape[1])}).xreplace({p: sizes[n]})
        return left, new_states(right_cell)

    return EquivalenceClaim("projection-identity", "an LSTM projected by W_hr = I (p = n) is the plain LSTM",
                            build, plain.size_symbols, trial_values=(1, 2))


def gru_pytorch_is_cho() -> EquivalenceClaim:
    """PyTorch's GRU (reset after the recurrent product) = Cho et al.'s (reset before) — refuted."""
    pytorch, cho = gru(reset_after=True), gru(reset_after=False)

    def build(sizes):
        return new_states(pytorch.sized(sizes)), new_states(cho.sized(sizes))

    return EquivalenceClaim("gru-pytorch-is-cho",
                            "PyTorch's GRU, r ⊙ (W_nh·h + b_hn), is Cho et al.'s, W_nh·(r ⊙ h) + b_hn",
                            build, pytorch.size_symbols, expected=False, trial_values=(1, 2))
