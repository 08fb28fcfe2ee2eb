"""The built-in cells, declared with :class:`~symlstm.spec.CellBuilder`.

``cell("lstm")`` is PyTorch's LSTM (``torch.nn.LSTMCell``), gates i, f, g, o::

    a_k = W_k·[h_{t-1}; x_t] + b_k        W_k: n×(n+m), b_k: n×1
    i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g)
    c_t = f ⊙ c_{t-1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)
"""

from __future__ import annotations

from symlstm.algebra import add, hadamard
from symlstm.errors import CellError
from symlstm.functions import Sigmoid, Tanh, elementwise
from symlstm.spec import CellBuilder, CellSpec

#: Gate order of the LSTM, as PyTorch stacks them: input, forget, cell candidate, output.
LSTM_GATES = ("i", "f", "g", "o")

_GATE_DOCS = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate"}


def lstm() -> CellSpec:
    """The plain LSTM at symbolic sizes n (hidden) and m (input)."""
    b = CellBuilder("lstm", "LSTM (PyTorch semantics, gates i, f, g, o)")
    n = b.size("n", "hidden")
    m = b.size("m", "input")
    x = b.input("x_t", m, "input")
    h = b.state("h", n, "hidden state")
    c = b.state("c", n, "cell state")
    weights = {k: b.param(f"W_{k}", n, n + m, f"{_GATE_DOCS[k]} weight") for k in LSTM_GATES}
    biases = {k: b.param(f"b_{k}", n, 1, f"{_GATE_DOCS[k]} bias") for k in LSTM_GATES}
    gates = {
        k: b.gate(k, weight=weights[k], concat=[h, x], bias=biases[k],
                  function=Tanh if k == "g" else Sigmoid, doc=_GATE_DOCS[k])
        for k in LSTM_GATES
    }
    c_t = b.update(c, add(hadamard(gates["f"], c), hadamard(gates["i"], gates["g"])))
    b.update(h, hadamard(gates["o"], elementwise(Tanh, c_t)))
    return b.build()


_BUILDERS = {"lstm": lstm}


def known_cells() -> list[str]:
    """Names ``cell()`` accepts."""
    return sorted(_BUILDERS)


def cell(name: str = "lstm", *, peephole: bool = False, cifg: bool = False,
         proj_size: int | None = None) -> CellSpec:
    """A built-in cell by name, at symbolic sizes.

    Parameters
    ----------
    name
        One of :func:`known_cells` (``"lstm"``).
    peephole, cifg, proj_size
        LSTM variants. Not implemented yet: asking for one raises
        :class:`~symlstm.errors.CellError` naming it, never a silently plain LSTM.
    """
    if not isinstance(name, str) or name not in _BUILDERS:
        raise CellError(f"unknown cell {name!r}; known cells: {', '.join(known_cells())}")
    asked = {"peephole": peephole, "cifg": cifg, "proj_size": proj_size}
    unsupported = [f"{k}={v!r}" for k, v in asked.items() if v not in (False, None)]
    if unsupported:
        raise CellError(f"cell {name!r} with {', '.join(unsupported)} is not available yet; "
                        f"only the plain {name!r} is built in so far")
    return _BUILDERS[name]()
