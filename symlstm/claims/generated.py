"""Claims about the generated NumPy module of a cell, checked by running it.

* its gradients (forward + BPTT) equal central finite differences of its own forward pass (float64);
* its float32 module agrees with its float64 module, and stays finite without warnings at |z| = 1e4.

The property tests compare the module with an independent NumPy LSTM, with PyTorch and with the symbolic
equations evaluated by SymPy; these claims are the quick version that ``symlstm verify`` and the main job run.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from symlstm.claims.base import Claim, Verdict
from symlstm.codegen import compile_numpy
from symlstm.spec import CellSpec

#: Small sizes for the checks: T steps, a batch of B, and 3 (hidden), 2 (input), 2 (projection).
T, B = 3, 2
SIZES = {"n": 3, "m": 2, "p": 2}


def _problem(module, seed: int = 0, scale: float = 0.5) -> tuple[dict, np.ndarray, np.ndarray, dict]:
    """Random parameters, inputs, upstream gradients and initial states at the module's sizes."""
    rng = np.random.default_rng(seed)
    sizes = {name: SIZES[name] for name in module.SIZES}
    params = {k: scale * rng.standard_normal(shape) for k, shape in module.param_shapes(**sizes).items()}
    n, m = sizes["n"], sizes["m"]
    width = sizes.get("p", n)  # the hidden state has p entries under a projection
    xs = scale * rng.standard_normal((T, B, m))
    dhs = rng.standard_normal((T, B, width))
    states = {"h0": scale * rng.standard_normal((B, width))}
    if "c0" in inspect.signature(module.forward).parameters:
        states["c0"] = scale * rng.standard_normal((B, n))
    return params, xs, dhs, states


def _loss(module, params: dict, xs: np.ndarray, dhs: np.ndarray, states: dict) -> float:
    out = module.forward(params, xs, **states)
    hs = out[0] if isinstance(out, tuple) else out
    return float(np.sum(hs * dhs))


class GeneratedGradientClaim(Claim):
    """The generated forward_backward's gradients = central finite differences of its forward (float64)."""

    expected = True

    def __init__(self, cell: CellSpec):
        self.cell = cell
        self.name = f"generated-gradients[{cell.name}]"
        self.title = "the generated module's BPTT gradients equal finite differences of its forward pass"

    def statement(self) -> str:
        return (r"\frac{\partial L}{\partial \theta_k} = \frac{L(\theta + \epsilon e_k) - L(\theta - \epsilon e_k)}"
                r"{2\epsilon} + O(\epsilon^2), \quad L = \sum_t \bar{h}_t \cdot h_t")

    def _check(self) -> Verdict:
        module = compile_numpy(self.cell, "float64")
        params, xs, dhs, states = _problem(module)
        grads = module.forward_backward(params, xs, dhs, **states)[-1]
        arrays = {**params, "xs": xs, **states}
        worst, where, eps = 0.0, "", 1e-6
        for name, array in arrays.items():
            for index in np.ndindex(array.shape):
                saved = array[index]
                array[index] = saved + eps
                up = _loss(module, params, xs, dhs, states)
                array[index] = saved - eps
                down = _loss(module, params, xs, dhs, states)
                array[index] = saved
                numeric = (up - down) / (2 * eps)
                error = abs(grads[name][index] - numeric) / max(1.0, abs(numeric))
                if not error <= worst:  # NaN counts as the worst
                    worst, where = error, f"{name}{list(index)}"
        count = sum(a.size for a in arrays.values())
        sizes = ", ".join(f"{k} = {v}" for k, v in SIZES.items() if k in module.SIZES)
        if not worst <= 1e-6:
            return Verdict.refuted("a gradient differs from central finite differences",
                                   counterexample=f"the gradient of {where} is off by {worst:.2e} (relative) "
                                                  f"from finite differences (T = {T}, B = {B}, {sizes})")
        return Verdict.checked(f"all {count} gradient entries agree with central finite differences to "
                               f"{worst:.1e}, within 1e-6 relative (T = {T}, B = {B}, {sizes})",
                               points=count, tolerance=1e-6, deviation=worst)


class GeneratedPrecisionClaim(Claim):
    """float32 agrees with float64, and huge pre-activations stay finite without a warning."""

    expected = True

    def __init__(self, cell: CellSpec):
        self.cell = cell
        self.name = f"generated-float32[{cell.name}]"
        self.title = "the float32 module agrees with the float64 one, and |z| = 1e4 stays finite with no warning"

    def statement(self) -> str:
        return r"\max |y_{\mathrm{f32}} - y_{\mathrm{f64}}| \leq 10^{-4}, \quad |y(10^4)| < \infty"

    def _check(self) -> Verdict:
        wide, narrow = compile_numpy(self.cell, "float64"), compile_numpy(self.cell, "float32")
        params, xs, dhs, states = _problem(wide)
        exact = wide.forward_backward(params, xs, dhs, **states)
        rough = narrow.forward_backward(params, xs, dhs, **states)
        gap = max(float(np.max(np.abs(np.asarray(a, dtype=np.float64) - b)))
                  for a, b in zip(_flatten(rough), _flatten(exact)))
        if not gap <= 1e-4:  # also catches NaN
            return Verdict.refuted("float32 and float64 disagree",
                                   counterexample=f"float32 differs from float64 by {gap:.2e}")
        huge = {k: 1e4 * np.sign(v) for k, v in params.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                for module in (wide, narrow):
                    out = module.forward_backward(huge, 1e4 * np.ones_like(xs), dhs, **states)
                    if not all(np.all(np.isfinite(a)) for a in _flatten(out)):
                        return Verdict.refuted("huge inputs overflow", counterexample=f"{module.DTYPE.__name__}: "
                                               "weights of ±1e4 give a non-finite value")
            except (RuntimeWarning, FloatingPointError) as warning:
                return Verdict.refuted("huge inputs warn", counterexample=f"weights of ±1e4 raise a warning: {warning}")
        return Verdict.checked(f"float32 is within {gap:.1e} of float64 on every state and gradient (tolerance "
                               "1e-4); weights and inputs of ±1e4 stay finite in both, with no warning",
                               points=1, tolerance=1e-4, deviation=gap)


def _flatten(result) -> list[np.ndarray]:
    arrays = []
    for part in result if isinstance(result, tuple) else (result,):
        arrays += [part[k] for k in sorted(part)] if isinstance(part, dict) else [part]
    return arrays


def generated_claims(cell: CellSpec) -> list[Claim]:
    """The checks of the cell's generated module."""
    return [GeneratedGradientClaim(cell), GeneratedPrecisionClaim(cell)]
