"""Chapter 3 — backpropagation through time, derived by reverse mode and proved against SymPy's diff."""

from chapter import Chapter

from symlstm import bptt, cell
from symlstm.claims.gradients import gradient_claims


def chapter() -> Chapter:
    ch = Chapter("03_bptt", "3. Backpropagation through time")
    lstm = cell("lstm")
    ch.say("Hand-derived LSTM gradients are a classic source of silent bugs. symlstm does not contain them: "
           "it walks the forward equations of chapter 2 backwards with one adjoint rule per kind of node, and "
           "SymPy differentiates $\\sigma$ and $\\tanh$. What comes out is below, then the proofs that it is right.")
    ch.say(bptt(lstm).markdown().replace("## Backpropagation through time\n", ""))
    ch.say("## The proofs",
           "Per step, the matrix-level backward step equals SymPy's element-wise Jacobian-transpose product at "
           "concrete sizes; across time, the recurrence equals SymPy's `diff` of the loss unrolled over two steps "
           "and a 40-digit numerical derivative for up to six steps.")
    for claim in gradient_claims(lstm):
        ch.claim(claim)
    return ch
