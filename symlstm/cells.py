"""The built-in cells, declared with :class:`~symlstm.spec.CellBuilder`.

``cell("lstm")`` is PyTorch's LSTM (``torch.nn.LSTMCell``), gates i, f, g, o::

    a_k = W_k·[h_{t-1}; x_t] + b_k        W_k: n×(n+m), b_k: n×1
    i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g)
    c_t = f ⊙ c_{t-1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)

Variants (each an option of ``cell("lstm", …)``):

* ``peephole=True`` — as ONNX and TFLite define it: ``a_i``, ``a_f`` gain ``p_i ⊙ c_{t-1}``, ``p_f ⊙ c_{t-1}``
  and ``a_o`` gains ``p_o ⊙ c_t`` (so o is computed after the new cell state); ``p_k`` are n-vectors;
* ``cifg=True`` — coupled input and forget gate, ``i_t = 1 − f_t`` (TFLite's CIFG; ONNX's ``input_forget``
  couples the other way round, ``f = 1 − i``, so symlstm.layouts stores the forget weights negated in its
  input slot);
* ``proj_size=p`` — PyTorch's projection: ``h_t = W_hr·(o_t ⊙ tanh(c_t))`` has p entries, ``W_k`` is n×(p+m).

``cell("gru")`` is PyTorch's GRU (``torch.nn.GRUCell``), gates r, z and the candidate n::

    r = σ(W_r·[h; x] + b_r),  z = σ(W_z·[h; x] + b_z)
    n_t = tanh(W_nx·x + b_in + r ⊙ (W_nh·h + b_hn))
    h_t = (1 − z) ⊙ n_t + z ⊙ h_{t-1}

``gru(reset_after=False)`` is the original GRU of Cho et al. (2014), with ``W_nh·(r ⊙ h)`` instead.
"""

from __future__ import annotations

from dataclasses import replace
from numbers import Integral

import numpy as np
from sympy import OneMatrix

from symlstm.algebra import add, hadamard, matmul
from symlstm.builder import CellBuilder
from symlstm.errors import CellError
from symlstm.functions import Sigmoid, Tanh, elementwise
from symlstm.spec import CellSpec

#: Gate order of the LSTM, as PyTorch stacks them: input, forget, cell candidate, output.
LSTM_GATES = ("i", "f", "g", "o")
#: Gate order of the GRU, as PyTorch stacks them: reset, update, new (candidate).
GRU_GATES = ("r", "z", "n")

_GATE_DOCS = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate",
              "r": "reset gate", "z": "update gate", "n": "candidate"}


def _lstm_name(peephole: bool, cifg: bool, proj_size: int | None) -> str:
    return "lstm" + ("-peephole" if peephole else "") + ("-cifg" if cifg else "") + (
        f"-proj{proj_size}" if proj_size else "")


def lstm(*, peephole: bool = False, cifg: bool = False, proj_size: int | None = None) -> CellSpec:
    """The LSTM at symbolic sizes n (hidden), m (input) and, with a projection, p (its default ``proj_size``)."""
    if proj_size is not None and (not isinstance(proj_size, Integral) or isinstance(proj_size, (bool, np.bool_))
                                  or proj_size < 1):
        raise CellError(f"proj_size must be a positive integer, got {proj_size!r}")
    proj_size = None if proj_size is None else int(proj_size)  # NumPy's integers too
    features = [text for flag, text in ((peephole, "peepholes"), (cifg, "coupled input-forget gate"),
                                        (proj_size, f"projection to p = {proj_size}")) if flag]
    title = "LSTM (PyTorch semantics, gates i, f, g, o)" + (" with " + ", ".join(features) if features else "")
    b = CellBuilder(_lstm_name(peephole, cifg, proj_size), title,
                    peephole=peephole, cifg=cifg, proj_size=proj_size)
    n = b.size("n", "hidden")
    m = b.size("m", "input")
    r = b.size("p", "projection", default=proj_size) if proj_size else n
    x = b.input("x_t", m, "input")
    h = b.state("h", r, "hidden state")
    c = b.state("c", n, "cell state")
    keys = [k for k in LSTM_GATES if not (cifg and k == "i")]
    weights = {k: b.param(f"W_{k}", n, r + m, f"{_GATE_DOCS[k]} weight") for k in keys}
    biases = {k: b.param(f"b_{k}", n, 1, f"{_GATE_DOCS[k]} bias") for k in keys}
    peep = {k: b.param(f"p_{k}", n, 1, f"{_GATE_DOCS[k]} peephole") for k in keys if peephole and k != "g"}

    def gate(k: str, state=None):
        extra = (hadamard(peep[k], state),) if k in peep else ()
        return b.gate(k, weight=weights[k], concat=[h, x], bias=biases[k], extra=extra,
                      function=Tanh if k == "g" else Sigmoid, doc=_GATE_DOCS[k])

    if cifg:
        f = gate("f", c)
        i = b.let("i_t", add(OneMatrix(n, 1), -f), "input gate, coupled: 1 − f")
    else:
        i, f = gate("i", c), gate("f", c)
    g = gate("g")
    c_t = b.update(c, add(hadamard(f, c), hadamard(i, g)))
    o = gate("o", c_t)
    gated = hadamard(o, elementwise(Tanh, c_t))
    if proj_size:
        W_hr = b.param("W_{hr}", r, n, "projection weight", ident="weight_hr")  # nn.LSTM's weight_hr_l0
        gated = matmul(W_hr, gated)
    b.update(h, gated)
    return replace(b.build(), torch_layout=True)  # the module takes nn.LSTMCell's state_dict


def gru(*, reset_after: bool = True) -> CellSpec:
    """The GRU at symbolic sizes n, m; ``reset_after=False`` gives Cho et al.'s original candidate."""
    name, title = (("gru", "GRU (PyTorch semantics, gates r, z, n)") if reset_after
                   else ("gru-cho", "GRU (Cho et al. 2014: reset before the recurrent product)"))
    b = CellBuilder(name, title, reset_after=reset_after)
    n = b.size("n", "hidden")
    m = b.size("m", "input")
    x = b.input("x_t", m, "input")
    h = b.state("h", n, "hidden state")
    W = {k: b.param(f"W_{k}", n, n + m, f"{_GATE_DOCS[k]} weight") for k in ("r", "z")}
    bias = {k: b.param(f"b_{k}", n, 1, f"{_GATE_DOCS[k]} bias") for k in ("r", "z")}
    r, z = (b.gate(k, weight=W[k], concat=[h, x], bias=bias[k], function=Sigmoid, doc=_GATE_DOCS[k])
            for k in ("r", "z"))
    W_nx = b.param("W_{nx}", n, m, "candidate input weight", ident="W_nx")
    W_nh = b.param("W_{nh}", n, n, "candidate recurrent weight", ident="W_nh")
    b_in = b.param("b_{in}", n, 1, "candidate input bias", ident="b_in")
    b_hn = b.param("b_{hn}", n, 1, "candidate recurrent bias", ident="b_hn")
    recurrent = (hadamard(r, add(matmul(W_nh, h), b_hn)) if reset_after
                 else add(matmul(W_nh, hadamard(r, h)), b_hn))
    a_n = b.let("a_{n,t}", add(matmul(W_nx, x), b_in, recurrent), "candidate pre-activation", ident="a_n")
    n_t = b.let("n_t", elementwise(Tanh, a_n), "candidate", ident="n_new")
    b.update(h, add(hadamard(add(OneMatrix(n, 1), -z), n_t), hadamard(z, h)))
    return replace(b.build(), torch_layout=True)  # the module takes nn.GRUCell's state_dict


_BUILDERS = {"lstm": lstm, "gru": gru}


def known_cells() -> list[str]:
    """Names ``cell()`` accepts."""
    return sorted(_BUILDERS)


def cell(name: str = "lstm", *, peephole: bool = False, cifg: bool = False,
         proj_size: int | None = None) -> CellSpec:
    """A built-in cell by name, at symbolic sizes.

    Parameters
    ----------
    name
        One of :func:`known_cells`: ``"lstm"`` or ``"gru"``.
    peephole, cifg, proj_size
        LSTM variants (see the module docstring); combinable. The GRU takes none of them.
    """
    if not isinstance(name, str) or name not in _BUILDERS:
        raise CellError(f"unknown cell {name!r}; known cells: {', '.join(known_cells())}")
    if name == "lstm":
        return lstm(peephole=peephole, cifg=cifg, proj_size=proj_size)
    asked = {"peephole": peephole, "cifg": cifg, "proj_size": proj_size}
    unsupported = [f"{k}={v!r}" for k, v in asked.items() if v not in (False, None)]
    if unsupported:
        raise CellError(f"cell {name!r} takes no {', '.join(unsupported)}; those are LSTM variants")
    return _BUILDERS[name]()
