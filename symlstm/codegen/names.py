"""One namespace for a generated module: every Python name in it comes from a :class:`Namespace`.

A generated module holds names of three kinds:

* fixed names of the module itself (``np``, ``DTYPE``, ``T``, ``B``, ``weights``, ``_forward``, the
  validation helpers), Python's keywords and builtins;
* private names the printers make up as they go (scratch arrays ``_s0``, ``_q0``, kernel leaves ``_x0``,
  vectors ``_v0``, loop indices ``_r``, ``_j``, kernels ``_forward_kernel_0``, helpers ``_sigmoid``): every
  name that starts with ``_`` is the generator's (a cell's ``_u`` is given ``cell_u``);
* names for the cell's values: the cell's own names first (its parameters, inputs, states and
  intermediates, as the user declared them), then the names the generator invents (``a`` for a stack,
  ``da`` for its adjoint, ``h_all``, ``x_seq``, ``weight_hh_T``, ``cse0``, ``tanh_c``).

:meth:`Namespace.fresh` hands out the wanted name if nobody holds it and ``<name>_2``, ``<name>_3``, … if
somebody does, so no name is handed out twice and an invented name never shadows one of the cell's.
A cell whose names all differ from the generator's gets exactly the names it had before.
"""

from __future__ import annotations

import builtins
import keyword

#: Names the module's own code uses (see :mod:`.module` and :mod:`.runtime`).
FIXED = frozenset({
    "np", "numba", "DTYPE", "SIZES", "PARAMS", "SIZE_SOURCES", "OUTPUTS", "param_shapes", "weights", "params",
    "grads", "sizes", "t", "T", "B", "forward", "forward_backward", "release_workspace", "_inputs", "_forward",
    "_array", "_check", "_disagree", "_read", "_parameters", "_workspace", "_keep", "_pattern", "_WORKSPACE",
    "_REFUSED", "ArrayKindError",
})


def is_reserved(name: str) -> bool:
    """Whether ``name`` belongs to the module or Python: fixed, a keyword, a builtin, or of a private form."""
    return (name in FIXED or keyword.iskeyword(name) or keyword.issoftkeyword(name) or hasattr(builtins, name)
            or name.startswith("_"))


class Namespace:
    """The Python names of one generated module (see the module docstring)."""

    def __init__(self, taken: set[str] | frozenset[str] = frozenset()):
        self.taken: set[str] = set(taken)

    def __contains__(self, name: str) -> bool:
        return name in self.taken or is_reserved(name)

    def fresh(self, want: str) -> str:
        """``want`` if it is free, else the first free ``want_2``, ``want_3``, …; the name is then taken."""
        want = f"cell{want}" if want.startswith("_") else want
        name, k = want, 2
        while name in self:
            name, k = f"{want}_{k}", k + 1
        self.taken.add(name)
        return name
