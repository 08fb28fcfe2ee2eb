"""symlstm: derive, prove, print and compile the mathematics of LSTM cells.

>>> import symlstm
>>> lstm = symlstm.cell("lstm")
>>> print(lstm.equations[3])
Eq(f_t, Lambda(_d, Sigmoid(_d)).(a_{f,t}))
"""

from symlstm.cells import cell, known_cells
from symlstm.errors import CellError, ShapeError
from symlstm.functions import Sigmoid, Tanh

__version__ = "0.1.0"

__all__ = ["CellError", "ShapeError", "Sigmoid", "Tanh", "__version__", "cell", "known_cells"]
