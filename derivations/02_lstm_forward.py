"""Chapter 2 — the full LSTM forward pass, its shapes, and PyTorch's stacked weights."""

from chapter import Chapter

from symlstm import cell
from symlstm.claims.stacking import stacked_gates
from symlstm.document import equations_section, shapes_section


def chapter() -> Chapter:
    ch = Chapter("02_lstm_forward", "2. The LSTM forward pass")
    lstm = cell("lstm")
    ch.say("symlstm's LSTM follows PyTorch (`torch.nn.LSTMCell`): four gates i, f, g, o each read "
           "$[h_{t-1}; x_t]$; the cell state mixes the old state and the candidate; the hidden state is "
           "the squashed cell state, gated.")
    ch.say(equations_section(lstm).markdown)
    ch.say("Every quantity with its shape:", shapes_section(lstm).markdown)
    ch.say("PyTorch stores the four gates' weights as two stacked matrices, `weight_ih` ($4n \\times m$) and "
           "`weight_hh` ($4n \\times n$), with two biases. That layout is a claim about block matrices:")
    ch.claim(stacked_gates(lstm))
    return ch
