"""The table's functions against PyTorch: values, and derivatives by autograd — at the kinks too, where symlstm
says it takes PyTorch's convention (relu'(0) = 0, leaky_relu'(0) = α, elu'(0) = α, threshold'(α) = 0,
hardsigmoid' = 0 at ±3)."""

import numpy as np
import pytest
import sympy as sp

from symlstm.functions import (
    ELU,
    Exp,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softplus,
    Softsign,
    TableFunction,
    Tanh,
    ThresholdedReLU,
    torch_hard_sigmoid,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

CASES = [
    (ReLU, F.relu, (0.0,)),
    (LeakyReLU(0.01), lambda t: F.leaky_relu(t, 0.01), (0.0,)),
    (LeakyReLU(0.2), lambda t: F.leaky_relu(t, 0.2), (0.0,)),
    (ELU(1), F.elu, (0.0,)),
    (ELU(0.5), lambda t: F.elu(t, 0.5), (0.0,)),
    (ThresholdedReLU(1), lambda t: F.threshold(t, 1.0, 0.0), (1.0,)),
    (torch_hard_sigmoid(), F.hardsigmoid, (-3.0, 3.0)),
    (Softplus, F.softplus, ()),
    (Softsign, F.softsign, ()),
    (Sigmoid, torch.sigmoid, ()),
    (Tanh, torch.tanh, ()),
    (Exp, torch.exp, ()),
]
POINTS = [-6.5, -2.9, -1.0, -0.3, 0.2, 0.9, 1.7, 2.95, 5.0]


def helper(function, values):
    name, source = function.numpy_helper()
    namespace = {"np": np}
    if source:
        exec(source, namespace)  # noqa: S102 - code printed by symlstm
        return namespace[name](values)
    return eval(name, namespace)(values)  # noqa: S307


def slope_values(function, values):
    """φ'(values) as the generated code computes it (the derivative's helper, or a polynomial in φ)."""
    z, d = sp.Symbol("z", real=True), sp.Dummy("d")
    slope = sp.diff(function(z), z)
    if isinstance(slope, TableFunction):
        return helper(slope.func, values)
    return sp.lambdify(d, slope.subs(function(z), d), "numpy")(helper(function, values)) * np.ones_like(values)


@pytest.mark.parametrize(("function", "reference", "kinks"), CASES, ids=[c[0].text() for c in CASES])
def test_values_and_derivatives_equal_torch_autograd(function, reference, kinks):
    values = np.array(POINTS + list(kinks), np.float64)
    t = torch.tensor(values, requires_grad=True)
    y = reference(t)
    (grad,) = torch.autograd.grad(y.sum(), t)
    np.testing.assert_allclose(helper(function, values), y.detach().numpy(), rtol=1e-12, atol=1e-14)
    rtol = 1e-7 if function is torch_hard_sigmoid() else 1e-10  # torch's hardsigmoid_backward: 1/6 in float32
    np.testing.assert_allclose(slope_values(function, values), grad.numpy(), rtol=rtol, atol=1e-14)
    z = sp.Symbol("z", real=True)
    for kink, expected in zip(kinks, grad.numpy()[len(POINTS):]):  # the symbolic derivative at a kink too
        assert float(sp.diff(function(z), z).subs(z, sp.Rational(kink)).evalf()) == pytest.approx(expected)
