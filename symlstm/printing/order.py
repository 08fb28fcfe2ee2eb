"""Term order shared by the printers: a sum prints its positive terms first (``1 − f``, not ``−f + 1``)."""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp


def positive_first(terms: Sequence[sp.Basic]) -> list[sp.Basic]:
    """``terms`` with those carrying a minus sign moved to the end, otherwise in the given order."""
    return sorted(terms, key=lambda term: term.could_extract_minus_sign())
