"""Hypothesis strategies for LSTM tests, all in one place.

Every strategy is a module-level function taking keyword-only arguments and returning a
``SearchStrategy``. Strategies whose shapes depend on earlier draws take the concrete sizes, so a test
can chain them with ``st.data()``::

    @given(data=st.data())
    def test_something(data):
        s = data.draw(sizes(), label="sizes")
        params = data.draw(lstm_params(n=s.n, m=s.m), label="params")
        xs = data.draw(input_sequences(T=s.T, B=s.B, m=s.m), label="xs")

or draw a whole problem at once with :func:`lstm_problems`.

Array entries come from a NumPy generator seeded by Hypothesis rather than from element-wise
Hypothesis arrays: those fill most entries with one repeated value, and weights that are equal across
gates cannot reveal a gate-order bug. Hypothesis still chooses the sizes, the scale and the seed, so a
failure reproduces (and ``derandomize=True`` in CI makes runs deterministic).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
DTYPES = (np.float32, np.float64)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
#: Scales for weights and inputs: small (near-linear), moderate, and large enough to saturate gates.
SCALES = st.sampled_from([0.1, 0.5, 1.0, 2.0])


class Sizes(NamedTuple):
    """Sequence length ``T``, batch ``B``, hidden size ``n``, input size ``m``."""

    T: int
    B: int
    n: int
    m: int


class Upstream(NamedTuple):
    """Upstream gradients: ``dhs`` (T, B, n); ``dhT``, ``dcT`` (B, n) or None."""

    dhs: np.ndarray
    dhT: np.ndarray | None
    dcT: np.ndarray | None


class Problem(NamedTuple):
    """A complete forward + backward input for the LSTM contract."""

    sizes: Sizes
    params: dict[str, np.ndarray]
    xs: np.ndarray
    h0: np.ndarray | None
    c0: np.ndarray | None
    upstream: Upstream


def sizes(*, max_T: int = 4, max_B: int = 3, max_n: int = 4, max_m: int = 4) -> SearchStrategy[Sizes]:
    """Small sizes, each at least 1; Hypothesis tries the edge size 1 early and shrinks towards it."""
    return st.builds(
        Sizes,
        T=st.integers(1, max_T),
        B=st.integers(1, max_B),
        n=st.integers(1, max_n),
        m=st.integers(1, max_m),
    )


def edge_sizes() -> SearchStrategy[Sizes]:
    """The edge case T = B = n = m = 1."""
    return st.just(Sizes(1, 1, 1, 1))


def gaussian_arrays(
    *, shape: tuple[int, ...], dtype: npt.DTypeLike = np.float64, scale: float | SearchStrategy[float] = SCALES
) -> SearchStrategy[np.ndarray]:
    """Arrays of the given shape with i.i.d. normal entries times ``scale`` (a number or a strategy)."""
    scales = scale if isinstance(scale, SearchStrategy) else st.just(float(scale))

    def build(seed: int, s: float) -> np.ndarray:
        return (s * np.random.default_rng(seed).standard_normal(shape)).astype(dtype)

    return st.builds(build, SEEDS, scales)


@st.composite
def _distinct_params(draw: st.DrawFn, n: int, m: int, dtype: npt.DTypeLike, scale: SearchStrategy[float]) -> dict:
    params = {
        "weight_ih": draw(gaussian_arrays(shape=(4 * n, m), dtype=dtype, scale=scale), label="weight_ih"),
        "weight_hh": draw(gaussian_arrays(shape=(4 * n, n), dtype=dtype, scale=scale), label="weight_hh"),
        "bias_ih": draw(gaussian_arrays(shape=(4 * n,), dtype=dtype, scale=scale), label="bias_ih"),
        "bias_hh": draw(gaussian_arrays(shape=(4 * n,), dtype=dtype, scale=scale), label="bias_hh"),
    }
    # Gate blocks i, f, g, o must differ pairwise, or a permutation of the gates would go unnoticed.
    blocks = [np.concatenate([params[k].reshape(4, n, -1)[q].ravel() for k in PARAM_NAMES]) for q in range(4)]
    for q in range(4):
        for r in range(q + 1, 4):
            assert not np.array_equal(blocks[q], blocks[r]), "gate blocks drawn equal"
    return params


def lstm_params(
    *, n: int, m: int, dtype: npt.DTypeLike = np.float64, scale: float | SearchStrategy[float] = SCALES
) -> SearchStrategy[dict[str, np.ndarray]]:
    """Parameter dicts in torch.nn.LSTMCell layout (gates stacked i, f, g, o), distinct per gate.

    Shapes: ``weight_ih`` (4n, m), ``weight_hh`` (4n, n), ``bias_ih`` (4n,), ``bias_hh`` (4n,).
    """
    scales = scale if isinstance(scale, SearchStrategy) else st.just(float(scale))
    return _distinct_params(n, m, dtype, scales)


def input_sequences(
    *, T: int, B: int, m: int, dtype: npt.DTypeLike = np.float64, scale: float | SearchStrategy[float] = SCALES
) -> SearchStrategy[np.ndarray]:
    """Input sequences ``xs`` of shape (T, B, m)."""
    return gaussian_arrays(shape=(T, B, m), dtype=dtype, scale=scale)


def initial_states(
    *, B: int, n: int, dtype: npt.DTypeLike = np.float64, allow_none: bool = True
) -> SearchStrategy[np.ndarray | None]:
    """An initial ``h0`` or ``c0`` of shape (B, n), or None (meaning zeros) when ``allow_none``."""
    arrays = gaussian_arrays(shape=(B, n), dtype=dtype, scale=SCALES)
    return st.one_of(st.none(), arrays) if allow_none else arrays


def upstream_gradients(
    *, T: int, B: int, n: int, dtype: npt.DTypeLike = np.float64, final: bool = True
) -> SearchStrategy[Upstream]:
    """Upstream gradients ``dhs`` (T, B, n) and, when ``final``, optional ``dhT``, ``dcT`` (B, n)."""
    extra = initial_states(B=B, n=n, dtype=dtype) if final else st.none()
    return st.builds(Upstream, gaussian_arrays(shape=(T, B, n), dtype=dtype, scale=1.0), extra, extra)


@st.composite
def lstm_problems(
    draw: st.DrawFn,
    *,
    dtype: npt.DTypeLike = np.float64,
    size_strategy: SearchStrategy[Sizes] | None = None,
    scale: float | SearchStrategy[float] = SCALES,
) -> Problem:
    """A whole problem: sizes, then parameters, inputs, initial states and upstream gradients to fit."""
    s = draw(size_strategy if size_strategy is not None else sizes(), label="sizes")
    return Problem(
        sizes=s,
        params=draw(lstm_params(n=s.n, m=s.m, dtype=dtype, scale=scale), label="params"),
        xs=draw(input_sequences(T=s.T, B=s.B, m=s.m, dtype=dtype, scale=scale), label="xs"),
        h0=draw(initial_states(B=s.B, n=s.n, dtype=dtype), label="h0"),
        c0=draw(initial_states(B=s.B, n=s.n, dtype=dtype), label="c0"),
        upstream=draw(upstream_gradients(T=s.T, B=s.B, n=s.n, dtype=dtype), label="upstream"),
    )


def integer_matrices(*, rows: int, cols: int, low: int = -9, high: int = 9) -> SearchStrategy[np.ndarray]:
    """Integer matrices (rows, cols) with entries in ``low..high``, for exact (rational) checks."""
    count = rows * cols
    return st.lists(st.integers(low, high), min_size=count, max_size=count).map(
        lambda entries: np.array(entries, dtype=np.int64).reshape(rows, cols))
