"""NumPy code generation: a cell's forward pass and BPTT printed from its derived equations.

>>> import symlstm
>>> from symlstm.codegen import compile_numpy
>>> module = compile_numpy(symlstm.cell("lstm"), dtype="float32")
>>> sorted(module.PARAMS)
['bias_hh', 'bias_ih', 'weight_hh', 'weight_ih']
"""

from symlstm.codegen.layout import Layout, Param, Stack, layout
from symlstm.codegen.module import compile_numpy, generate_numpy
from symlstm.codegen.printer import BatchedNumPyPrinter, CodegenError
from symlstm.codegen.program import Program, schedule

__all__ = [
    "BatchedNumPyPrinter", "CodegenError", "Layout", "Param", "Program", "Stack",
    "compile_numpy", "generate_numpy", "layout", "schedule",
]
