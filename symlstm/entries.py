"""Numbers a person types for ``explain``: parsed with stated limits, before any big-number arithmetic.

Limits (each error names the argument and the entry and quotes at most :data:`EXCERPT` characters):

* an argument is at most :data:`MAX_ARGUMENT` characters and nests lists at most :data:`MAX_DEPTH` deep;
* a number has at most :data:`MAX_DIGITS` digits, and a decimal exponent within ±:data:`MAX_EXPONENT`;
* a number is an integer (``3``), a decimal (``-0.25``, ``1e-3``) or a fraction (``"1/2"``, a JSON string).

So ``1e100000000`` is refused at once (Python's ``Fraction`` would compute 10^100000000) and a 5000-digit
integer is refused by name (Python's own message, "Exceeds the limit (4300 digits)", names nothing).
Nothing typed is evaluated: the text is matched against the patterns below and converted by ``int``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import sympy as sp

MAX_ARGUMENT = 100_000
MAX_DEPTH = 8
MAX_DIGITS = 100
MAX_EXPONENT = 100
EXCERPT = 40

_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_FRACTION = re.compile(r"([+-]?\d+)\s*/\s*([+-]?\d+)")


def excerpt(text: object, limit: int = EXCERPT) -> str:
    """``repr(text)``, cut to ``limit`` characters with ``…`` (so a 50 MB argument is not echoed whole)."""
    shown = text if isinstance(text, str) else repr(text)
    shown = repr(shown[:limit]) if len(shown) <= limit else repr(shown[:limit]) + f"… ({len(shown)} characters)"
    return shown


@dataclass(frozen=True)
class Typed:
    """A number as typed in JSON (``text``), ``kind`` ``"int"`` or ``"float"``; converted by :func:`number`."""

    text: str
    kind: str


def _decimal(text: str, where: str) -> sp.Rational:
    found = _DECIMAL.fullmatch(text)
    if not found or not (found.group(2) or found.group(3)):
        raise ValueError(f"{where} is the text {excerpt(text)}, which is not a number like 3, -1/2 or 0.25")
    sign, whole, fraction, exponent = found.group(1), found.group(2), found.group(3) or "", found.group(4) or "0"
    significant = (whole + fraction).lstrip("0")
    if len(significant) > MAX_DIGITS:
        raise ValueError(f"{where} has {len(significant)} digits; explain takes at most {MAX_DIGITS}")
    if len(exponent.lstrip("+-").lstrip("0")) > len(str(MAX_EXPONENT)) + 1:
        raise ValueError(f"{where} ({excerpt(text)}) has an exponent outside ±{MAX_EXPONENT}")
    power = int(exponent) - len(fraction)
    lead = len(significant) - 1 + power  # the number is about 10^lead
    if significant and not -MAX_EXPONENT <= lead <= MAX_EXPONENT:
        raise ValueError(f"{where} ({excerpt(text)}) is about 10^{lead}, outside 10^±{MAX_EXPONENT}")
    mantissa = int(significant or "0")
    value = sp.Integer(mantissa * 10 ** power) if power >= 0 else sp.Rational(mantissa, 10 ** -power)
    return -value if sign == "-" else value


def number(value: str | Typed, where: str) -> sp.Expr:
    """An exact Rational for integer, decimal or fraction text; a Float for a JSON decimal (within limits)."""
    text = (value.text if isinstance(value, Typed) else value).strip()
    if len(text) > 2 * MAX_DIGITS + 20:
        raise ValueError(f"{where} is {len(text)} characters long ({excerpt(text)}); a number has at most "
                         f"{MAX_DIGITS} digits")
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        top, bottom = (_decimal(part, where) for part in fraction.groups())
        if bottom == 0:
            raise ValueError(f"{where} is {excerpt(text)}, a fraction with denominator 0")
        return top / bottom
    exact = _decimal(text, where)
    if isinstance(value, Typed) and value.kind == "float":
        return sp.Float(float(exact))
    return exact


def _depth(text: str) -> int:
    """How deeply ``text`` nests ``[`` and ``{`` (outside JSON strings)."""
    deepest = depth = 0
    quoted = escaped = False
    for char in text:
        if quoted:
            quoted = not (char == '"' and not escaped)
            escaped = char == "\\" and not escaped
        elif char == '"':
            quoted = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _constant(name: str) -> None:
    raise ValueError(f"{name} is not a finite number")


def json_argument(name: str, text: str) -> object:
    """The JSON of ``--name``, numbers kept as :class:`Typed` text (converted later, entry by entry)."""
    if len(text) > MAX_ARGUMENT:
        raise ValueError(f"--{name} is {len(text)} characters long; explain takes at most {MAX_ARGUMENT}")
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise ValueError(f"--{name} nests lists {depth} deep; a matrix needs 2 (at most {MAX_DEPTH} is read)")
    try:
        return json.loads(text, parse_int=lambda t: Typed(t, "int"), parse_float=lambda t: Typed(t, "float"),
                          parse_constant=_constant)
    except json.JSONDecodeError as error:
        raise ValueError(f"--{name} is not valid JSON ({error.msg} at character {error.pos}): "
                         f"{excerpt(text)}") from None
    except ValueError as error:
        raise ValueError(f"--{name}: {error}") from None
