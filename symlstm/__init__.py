"""symlstm: derive, prove, print and compile the mathematics of LSTM cells.

>>> import symlstm
>>> lstm = symlstm.cell("lstm")
>>> print(lstm.equations[3])
Eq(f_t, Lambda(_d, Sigmoid(_d)).(a_{f,t}))
"""

from symlstm._version import __version__
from symlstm.bptt import bptt
from symlstm.builder import CellBuilder
from symlstm.cells import cell, known_cells
from symlstm.codegen import compile_numpy, generate_numpy
from symlstm.derivation import write_derivation
from symlstm.errors import CellError, ShapeError
from symlstm.explain import explain
from symlstm.functions import Sigmoid, Tanh
from symlstm.graph import cell_graph
from symlstm.layouts import convert
from symlstm.printing.lambdify import lambdify
from symlstm.spec import CellSpec
from symlstm.verification import verify

__all__ = [
    "CellBuilder", "CellError", "CellSpec", "ShapeError", "Sigmoid", "Tanh", "__version__", "bptt", "cell",
    "cell_graph", "compile_numpy", "convert", "explain", "generate_numpy", "known_cells", "lambdify", "verify",
    "write_derivation",
]
