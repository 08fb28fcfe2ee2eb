"""Every claim symlstm makes about a cell, in the order ``symlstm verify`` checks them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from symlstm import claims
from symlstm.claims import variants
from symlstm.claims.base import Claim, Verdict
from symlstm.claims.generated import generated_claims
from symlstm.claims.gradients import gradient_claims
from symlstm.claims.oracle import derivative_claim, functions_in
from symlstm.layouts import layout_claims
from symlstm.parallel import default_workers
from symlstm.report import check_all, summary_table
from symlstm.spec import CellSpec, gates_form_one_stack


def forward_claims(cell: CellSpec) -> list[Claim]:
    """Claims about the forward equations: concat = split (both orders, symbolic and concrete),
    the two misreadings (refuted on purpose) and the stacked-gates layout."""
    found: list[Claim] = [
        claims.concat_split("hx"),
        claims.concat_split("xh"),
        claims.concat_split("hx", n=3, m=2),
        claims.swapped_split(),
        claims.seed_reading(),
    ]
    if gates_form_one_stack(cell):
        found.append(claims.stacked_gates(cell))
    return found


def function_claims(cell: CellSpec) -> list[Claim]:
    """``derivative[φ]`` for each element-wise function φ the cell applies: the rules' φ′ is the derivative of
    φ's definition (the gradient claims' oracle relies on these, :mod:`symlstm.claims.oracle`)."""
    return [derivative_claim(f) for f in functions_in(*(a.rhs for a in cell.assignments))]


def variant_claims(cell: CellSpec) -> list[Claim]:
    """How the cell relates to the plain one: zero peepholes, coupled gates, identity projection, GRU forms."""
    options = dict(cell.options)
    found: list[Claim] = []
    if options.get("peephole"):
        found.append(variants.peephole_zero())
    if options.get("cifg"):
        found.append(variants.cifg_is_coupled_lstm())
    if options.get("proj_size"):
        found.append(variants.projection_identity())
    if "reset_after" in options:
        found.append(variants.gru_pytorch_is_cho())
    return found


#: A size's default (a projection's p = proj_size: the user's size, for the generated module) is at most this in
#: the claims, whose proofs are symbolic or at small sizes whatever the user asks for.
CLAIM_SIZE = 2


def for_claims(cell: CellSpec) -> CellSpec:
    """``cell`` with every size default at most :data:`CLAIM_SIZE` (its equations are the same: sizes are symbols)."""
    return replace(cell, size_defaults=tuple((s, min(v, CLAIM_SIZE)) for s, v in cell.size_defaults))


class UnbuiltClaim(Claim):
    """A family of claims that could not even be stated for the cell: its exception, as an ``error`` verdict."""

    def __init__(self, family: str, error: Exception):
        self.name, self.title, self._error = f"{family}[could not be stated]", f"the {family} claims", error

    def statement(self) -> str:
        return r"\text{(not stated)}"

    def _check(self) -> Verdict:
        return Verdict.error(self._error)


#: The families of claims, in the order ``verify`` checks them.
FAMILIES = (("forward", forward_claims), ("functions", function_claims), ("variants", variant_claims),
            ("layouts", layout_claims), ("gradients", gradient_claims), ("generated", generated_claims))


def claims_for(cell: CellSpec) -> list[Claim]:
    """All claims about ``cell``: forward equations, element-wise derivatives, variants, framework layouts,
    backpropagation through time, and the generated NumPy module; checked at small sizes whatever the sizes
    ``cell`` defaults to. A family that cannot be stated for the cell is one ``error`` claim, never an abort."""
    cell = for_claims(cell)
    found: list[Claim] = []
    for family, make in FAMILIES:
        try:
            found += make(cell)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # noqa: BLE001 - reported as the family's error verdict
            found.append(UnbuiltClaim(family, error))
    return found


@dataclass
class Verification:
    """The claims about a cell, each checked: ``verdicts`` by claim name, ``ok`` when all are as expected."""

    cell: CellSpec
    claims: list[Claim]

    @property
    def verdicts(self) -> dict[str, Verdict]:
        return {claim.name: claim.check() for claim in self.claims}

    @property
    def ok(self) -> bool:
        return all(claim.as_expected for claim in self.claims)

    def __str__(self) -> str:
        return summary_table(self.claims)


def verify(cell: CellSpec, *, progress: Callable[[str], None] | None = None,
           done: Callable[[Claim], None] | None = None) -> Verification:
    """Check every claim about ``cell`` (built in, or written with :class:`~symlstm.CellBuilder`).

    >>> import symlstm
    >>> result = symlstm.verify(symlstm.cell("lstm"))      # doctest: +SKIP
    >>> result.verdicts["concat-split[hx]"].status         # doctest: +SKIP
    'proved'

    A claim that raises is an ``error`` verdict; none aborts the others. ``progress`` hears about slow claims,
    ``done`` about each one checked (as :func:`symlstm.report.check_all`); the claims are checked by as many
    forked processes as there are CPUs (:func:`symlstm.parallel.default_workers`).
    """
    if not isinstance(cell, CellSpec):
        raise TypeError(f"verify needs a CellSpec (symlstm.cell(...) or CellBuilder(...).build()), "
                        f"got {type(cell).__name__}")
    claims = claims_for(cell)
    check_all(claims, progress=progress, done=done, workers=default_workers())
    return Verification(cell, claims)
