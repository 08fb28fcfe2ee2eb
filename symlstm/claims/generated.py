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
import sympy as sp

from symlstm.claims.base import Claim, Verdict
from symlstm.codegen import compile_numpy
from symlstm.spec import CellSpec

#: Small sizes for the checks: T steps, a batch of B, and 3 (hidden), 2 (input), 2 (projection); a size with
#: another name takes the value of its position (first 3, then 2).
T, B = 3, 2
SIZES = {"n": 3, "m": 2, "p": 2}
BY_POSITION = (3, 2)


def module_sizes(module) -> dict[str, int]:
    """``{size name: value}`` for every size the module declares (its ``SIZES``), in its order."""
    return {name: SIZES.get(name, BY_POSITION[k] if k < len(BY_POSITION) else 2)
            for k, name in enumerate(module.SIZES)}


def _rows(symbol, cell: CellSpec, sizes: dict[str, int]) -> int:
    table = dict(cell.size_defaults) | dict(cell.concrete)
    table |= {s: sizes[s.name] for s in cell.size_symbols if s.name in sizes}
    return int(sp.sympify(symbol.shape[0]).xreplace(table))


def _arguments(module) -> tuple[str, str | None, list[str]]:
    """The forward pass's argument names: parameters, the input sequence (None without one), initial states."""
    names = list(inspect.signature(module.forward).parameters)
    parameters = inspect.signature(module.forward).parameters
    states = [n for n in names[1:] if parameters[n].default is None]
    inputs = [n for n in names[1:] if n not in states]
    return names[0], (inputs[0] if inputs else None), states


def _problem(module, cell: CellSpec, seed: int = 0, scale: float = 0.5
             ) -> tuple[dict, np.ndarray, np.ndarray, dict]:
    """Random parameters, inputs, upstream gradients and initial states at the module's sizes (any names)."""
    rng = np.random.default_rng(seed)
    sizes = module_sizes(module)
    params = {k: scale * rng.standard_normal(shape) for k, shape in module.param_shapes(**sizes).items()}
    _, sequence, state_names = _arguments(module)
    width = _rows(cell.inputs[0].symbol, cell, sizes) if cell.inputs else 0
    xs = scale * rng.standard_normal((T, B, width))
    by_name = {f"{s.name}0": s for s in cell.states}
    output = by_name.get(state_names[0]) if state_names else cell.states[0]
    dhs = rng.standard_normal((T, B, _rows(output.current.symbol, cell, sizes)))
    states = {name: scale * rng.standard_normal((B, _rows(by_name[name].current.symbol, cell, sizes)))
              for name in state_names if name in by_name}
    return params, xs, dhs, states


def _sequence_name(module) -> str:
    return _arguments(module)[1] or "xs"


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
        params, xs, dhs, states = _problem(module, self.cell)
        grads = module.forward_backward(params, xs, dhs, **states)[-1]
        arrays = {**params, _sequence_name(module): xs, **states}
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
        sizes = ", ".join(f"{k} = {v}" for k, v in module_sizes(module).items())
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
        params, xs, dhs, states = _problem(wide, self.cell)
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
