"""Chapter 1 — the forget gate and the concatenation: the seed question, answered by symlstm itself."""

from chapter import Chapter

from symlstm import ShapeError, cell, claims
from symlstm.cli import SEED_B, SEED_H, SEED_W, SEED_W_CORRECTED, SEED_X
from symlstm.explain import explain
from symlstm.printing.latex import latex
from symlstm.shapes_picture import shapes_svg


def chapter() -> Chapter:
    ch = Chapter("01_forget_gate", "1. The forget gate and the concatenation $[h_{t-1}; x_t]$")
    ch.say("A reader of $f_t = \\sigma(W_f \\cdot [h_{t-1}, x_t] + b_f)$ took $[h_{t-1}, x_t]$ for an $n \\times 2$ "
           "matrix, multiplied the $2 \\times 2$ matrix $W$ by it, and got a matrix where a vector belongs. "
           "symlstm states that reading as a claim and checks it:")
    ch.claim(claims.seed_reading())
    lstm = cell("lstm")
    f = lstm.gate("f")
    ch.say("The notation means something else: $[h_{t-1}; x_t]$ stacks $h_{t-1}$ (n entries) on top of $x_t$ "
           "(m entries) into one tall vector of $n + m$ entries, so $W_f$ is $n \\times (n+m)$ and the result has "
           "n entries — one per entry of $h$. In symlstm's LSTM the forget gate is")
    ch.math(f"{latex(f.activation)} = {latex(lstm.expand(f.activation))}")
    ch.say("Splitting $W_f$ into the column blocks that meet $h$ and $x$ gives the equivalent form that some papers "
           "write instead, $W_f [h; x] = W_{fh} h + W_{fx} x$. symlstm proves it for all sizes, and in the "
           "order $[x; h]$ that TensorFlow's LSTMBlockCell uses:")
    ch.claim(claims.concat_split("hx"))
    ch.claim(claims.concat_split("xh"))
    ch.say("Swapping the blocks is not a harmless rewrite — it is a different function, and when $n \\neq m$ it is "
           "not even defined:")
    ch.claim(claims.swapped_split())
    ch.say("The question's numbers: $W$ is $2 \\times 2$, $h = (-1, 2)$, $x = (3, 0)$, $b = (1, -2)$. "
           "`symlstm.explain` refuses the $2 \\times 2$ $W$ and says what is needed:")
    try:
        explain(SEED_W, SEED_H, SEED_X, SEED_B)
    except ShapeError as error:
        ch.output(f"ShapeError: {error}")
    ch.say("With a $2 \\times 4$ weight — here $W_f = [W \\mid W]$ — it walks through every step, "
           "ending in the vector that enters $\\sigma$:")
    walk = explain(SEED_W_CORRECTED, SEED_H, SEED_X, SEED_B)
    ch.output(str(walk))
    ch.say("The same numbers, drawn: one wide $W_f$ (its two column blocks $W_{fh} \\mid W_{fx}$) times one tall "
           "vector ($h$ over $x$), plus $b_f$, is the vector of n entries that enters $\\sigma$.")
    ch.picture("01_seed_shapes.svg", shapes_svg(walk).svg, "W_f times [h; x] plus b_f, with the seed's numbers")
    ch.math(walk.latex())
    return ch
