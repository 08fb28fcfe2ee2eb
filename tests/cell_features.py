"""What the random-cell strategy draws: the table functions, the named features, the features OFF (each for a
recorded bug with a strict-xfail regression test in ``test_random_cells.py``), the name pools, and :class:`Drawn`."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from symlstm.functions import (ELU, Affine, Exp, HardSigmoid, IdentityFunction, LeakyReLU, ReLU, ScaledTanh,
                               Sigmoid, Softplus, Softsign, Tanh, ThresholdedReLU)


#: Every table function, by the feature that draws it.
FUNCTIONS = {
    "fn_identity": IdentityFunction, "fn_sigmoid": Sigmoid, "fn_tanh": Tanh, "fn_relu": ReLU,
    "fn_softplus": Softplus, "fn_softsign": Softsign, "fn_exp": Exp, "fn_leaky_relu": LeakyReLU(0.01),
    "fn_elu": ELU(1), "fn_thresholded_relu": ThresholdedReLU(0.5), "fn_scaled_tanh": ScaledTanh(1.7159, 2 / 3),
    "fn_hard_sigmoid_keras2": HardSigmoid(0.2, 0.5), "fn_hard_sigmoid_torch": HardSigmoid(sp.Rational(1, 6), 0.5),
    "fn_hard_sigmoid_onnx": HardSigmoid(0.3, 0.4), "fn_affine": Affine(0.5, 0.25),
    "fn_sympy_tanh": sp.tanh, "fn_sympy_exp": sp.exp, "fn_lambda_identity": "lambda",
}

FEATURES = {
    "matmul": "W·v, a weight times one vector",
    "concat": "W·[v1; v2; …], a product with a concatenation of 2–3 blocks in any order",
    "concat_single": "W·[v], a concatenation of one block",
    "bias_fold": "W·[…; 𝟏], a ones block folding a bias into the weight",
    "bias": "+ b, a (k, 1) parameter",
    "sum": "e1 + e2",
    "hadamard": "e1 ⊙ e2",
    "power_int": "e^∘k, k = 2 or 3, of a positive base",
    "power_rational": "e^∘q, q = 3/2, 1/2 or −1, of a positive base",
    "const_scale": "c·e, c rational (−1, 2, 1/2)",
    "const_scale_float": "c·e, c a Float (0.5)",
    "ones": "e + 𝟏",
    "const_ones_rational": "e + c·𝟏, c rational ≠ 1 (3/2)",
    "const_ones_float": "e + c·𝟏, c a Float (1.0, a forget bias)",
    "diag": "u ⊙ v, a diagonal (element-wise) weight u (k, 1)",
    "gate": "b.gate(...): a gate with weight, concatenation, bias and function",
    "gate_one_block": "b.gate(...) over one block (concat=[x] or [h])",
    "intermediate": "b.let(...): a named intermediate",
    "states_2": "two states",
    "states_3": "three states",
    "names_collide": "names drawn to collide with the generator's invented ones",
    "names_underscore": "a parameter named like the generator's scratch arrays (_s0)",
    "fn_nested": "φ(ψ(e)): an element-wise function applied to another in one equation",
    "state_unread": "a state whose update does not read its previous value",
    "value_unused": "an intermediate (or gate) no state update reads, so its parameters do not matter",
    **{name: f"the element-wise function {name[3:]}" for name in FUNCTIONS},
}

#: Features filtered out of the CI test, each for a recorded bug (tests/FINDINGS-fuzz.md) — empty when all pass.
OFF: dict[str, str] = {
    "concat": "F3: W·[h; x] twice in one equation outside a gate: raw ValueError from sympy.cse "
              "('The dimension specification _x0 should be a nonnegative integer'); otherwise refused "
              "('cannot assign BlockMatrix node', issue 14 #14)",
    "concat_single": "F3 (as concat): a concatenation outside a gate",
    "bias_fold": "F3 (as concat): W·[…; 𝟏] is a concatenation outside a gate",
}

PLAIN = {"size": ["n", "k", "p"], "state": ["h", "c", "s"], "param": ["W", "U", "V", "b", "u", "w", "R"],
         "let": ["z", "y", "r"]}
#: Names the generator invents (or Python/NumPy names a module uses) — drawn when names_collide is on.
COLLIDING = {
    "size": ["T", "B", "q"],
    "state": ["a", "da", "dh", "out", "np", "h_bar", "cse0", "tanh_0", "grads", "t"],
    "param": ["a", "da", "dh", "h_all", "x_seq", "tanh_0", "cse0", "W_T", "h_bar", "np", "out", "params",
              "weights", "grads", "t", "DTYPE", "xs", "h0", "dhs", "sizes", "B_u", "W_scaled"],
    "let": ["a_t", "dh_t", "da_t", "h_all", "cse1", "out", "tanh_1", "x_seq", "np", "grads", "h_prev", "dx"],
}


@dataclass
class Drawn:
    """A drawn cell: the CellSpec, concrete sizes {name: int}, the features used, and reproducing code."""

    cell: object
    sizes: dict
    features: set = field(default_factory=set)
    code: list = field(default_factory=list)
    refused: str = ""

    def source(self) -> str:
        return "\n".join(self.code)
