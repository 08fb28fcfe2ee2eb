"""Errors raised by symlstm.

Every error names the offending shape, name or value, so that a user can act on
the message alone.
"""

from __future__ import annotations


class ShapeError(ValueError):
    """Shapes that cannot be combined as the mathematics asks.

    Raised, for example, when ``W_f`` is 2×2 but ``[h; x]`` has four entries.
    """


class CellError(ValueError):
    """A cell specification that is unknown or inconsistent."""


class KindError(TypeError, ValueError):
    """An array that does not hold real numbers (complex, dates, text, objects), named with its dtype.

    A TypeError (the kind of value is wrong) and a ValueError (as every other bad input), so either catches it.
    """
