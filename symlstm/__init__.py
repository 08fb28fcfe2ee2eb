"""symlstm: derive, prove, print and compile the mathematics of LSTM cells.

>>> import symlstm
>>> lstm = symlstm.cell("lstm")
>>> print(lstm.equations[3])
Eq(f_t, Lambda(_d, Sigmoid(_d)).(a_{f,t}))
"""

from symlstm.bptt import bptt
from symlstm.cells import cell, known_cells
from symlstm.derivation import write_derivation
from symlstm.errors import CellError, ShapeError
from symlstm.explain import explain
from symlstm.functions import Sigmoid, Tanh
from symlstm.graph import cell_graph
from symlstm.layouts import convert
from symlstm.spec import CellBuilder, CellSpec

__version__ = "0.1.0"

__all__ = [
    "CellBuilder", "CellError", "CellSpec", "ShapeError", "Sigmoid", "Tanh", "__version__", "bptt", "cell",
    "cell_graph", "convert", "explain", "known_cells", "write_derivation",
]
