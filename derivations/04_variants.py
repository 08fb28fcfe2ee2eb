"""Chapter 4 — variants: peepholes, coupled gates, projection and the GRU, related to the plain cells by claims."""

from chapter import Chapter

from symlstm import cell
from symlstm.claims import variants
from symlstm.document import equations_section
from symlstm.layouts import conversion_claim


def chapter() -> Chapter:
    ch = Chapter("04_variants", "4. Variants: peepholes, CIFG, projection, GRU")
    ch.say("Every framework writes the LSTM a little differently. symlstm declares each variant with the same "
           "building blocks as the plain cell, so each goes through the same derivation, gradients and claims.")
    cases = [
        (cell("lstm", peephole=True), variants.peephole_zero(),
         "Peepholes as ONNX and TFLite define them: the input and forget gates see $c_{t-1}$, the output gate "
         "sees the new $c_t$, element-wise."),
        (cell("lstm", cifg=True), variants.cifg_is_coupled_lstm(),
         "Coupled input and forget gates (TFLite's CIFG, ONNX's `input_forget`): $i_t = 1 - f_t$."),
        (cell("lstm", proj_size=2), variants.projection_identity(),
         "PyTorch's projection: the hidden state is $W_{hr}$ times the gated cell output, p entries long."),
        (cell("gru"), variants.gru_pytorch_is_cho(),
         "PyTorch's GRU applies the reset gate after the recurrent product; the original GRU of Cho et al. "
         "applies it before. They are different functions:"),
    ]
    for spec, claim, words in cases:
        ch.say(f"## {spec.title}", words, equations_section(spec).markdown)
        ch.claim(claim)
    ch.say("## Framework layouts",
           "PyTorch stacks the gates i, f, g, o; Keras stores i, f, c, o with transposed kernels and one bias; "
           "ONNX stacks i, o, f, c and keeps two biases end to end; TFLite keeps one tensor per gate. "
           "`symlstm.convert` moves weights between them, and each conversion is a claim: the source's own "
           "equations on its tensors equal the destination's on the converted ones, gate by gate.")
    lstm = cell("lstm")
    for src, dst in (("keras", "pytorch"), ("onnx", "pytorch"), ("tflite", "keras")):
        ch.claim(conversion_claim(src, dst, lstm))
    return ch
