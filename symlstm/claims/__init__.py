"""Claims about cells: first-class statements with ``check()`` (a :class:`Verdict`) and ``latex()``.

>>> from symlstm import claims
>>> claims.concat_split().check().holds
True
>>> claims.swapped_split().check().status
'refuted'
"""

from symlstm.claims.base import CHECKED, ERROR, PROVED, PROVED_AT, REFUTED, STATUSES, UNKNOWN, Claim, Step, Verdict
from symlstm.claims.concat import concat_split, seed_reading, swapped_split
from symlstm.claims.equivalence import EquivalenceClaim
from symlstm.claims.stacking import stacked_gates

__all__ = [
    "CHECKED", "ERROR", "PROVED", "PROVED_AT", "REFUTED", "STATUSES", "UNKNOWN", "Claim", "EquivalenceClaim", "Step",
    "Verdict", "concat_split", "seed_reading", "stacked_gates", "swapped_split",
]
