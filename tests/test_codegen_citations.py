"""Issue 14 finding 13: generated code cites the stacked-gates claim only for the cells ``symlstm verify`` checks
it for (not the peephole LSTM, not the GRU); otherwise the comment names the rule."""

import pytest

import symlstm
from symlstm.codegen import generate_numpy
from symlstm.spec import gates_form_one_stack
from symlstm.verification import forward_claims

CELLS = [("lstm", {}), ("gru", {}), ("lstm", {"peephole": True}), ("lstm", {"cifg": True}),
         ("lstm", {"proj_size": 2})]


def _verified(cell) -> bool:
    return any("stacked" in claim.name for claim in forward_claims(cell))


@pytest.mark.parametrize("name, options", CELLS)
def test_the_stacked_gates_claim_is_cited_where_verify_checks_it(name, options):
    cell = symlstm.cell(name, **options)
    source = generate_numpy(cell)
    assert gates_form_one_stack(cell) == _verified(cell)
    assert ("[stacked-gates claim" in source) == _verified(cell)
    assert "stacked" in source  # the rewrite is still explained
    if not _verified(cell):
        assert "stacked gates (rule" in source


def test_verify_skips_it_for_the_peephole_lstm_and_the_gru():
    assert not _verified(symlstm.cell("gru")) and not _verified(symlstm.cell("lstm", peephole=True))
    assert _verified(symlstm.cell("lstm"))
