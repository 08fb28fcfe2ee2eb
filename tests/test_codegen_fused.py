"""Modules generated with ``fuse=True``: each step's element-wise statements run as numba kernels.

The fused module is checked the way the NumPy one is — against the independent reference
(tests/reference.py), central finite differences, and for every built-in cell against the unfused
module printed from the same equations — and its source is checked for what fusing promises.
"""

from __future__ import annotations

import builtins
import io
import re
import sys
import warnings
from functools import partial

import numpy as np
import pytest

numba = pytest.importorskip("numba")

import reference  # noqa: E402
from finite_differences import central_differences, loss_inputs, upstream_loss  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from strategies import Problem, edge_sizes, lstm_problems, sizes  # noqa: E402
from test_codegen_cells import CELLS  # noqa: E402
from test_codegen_numeric import WRT, _compare, _reference, _run  # noqa: E402

import symlstm  # noqa: E402
from symlstm.cli import main  # noqa: E402
from symlstm.codegen import compile_numpy, generate_numpy  # noqa: E402

FUSED = {dtype: compile_numpy(symlstm.cell("lstm"), dtype, fuse=True) for dtype in ("float32", "float64")}


@settings(max_examples=25)
@given(problem=lstm_problems(dtype=np.float64))
def test_fused_float64_equals_the_reference(problem: Problem) -> None:
    _compare(_run(FUSED["float64"], problem), _reference(problem), "float64")


@settings(max_examples=15)
@given(problem=lstm_problems(dtype=np.float32, scale=0.5))
def test_fused_float32_is_close_to_the_float64_reference(problem: Problem) -> None:
    got = _run(FUSED["float32"], problem)
    assert all(a.dtype == np.float32 for a in (got[0], got[1], *got[2].values()))
    _compare(got, _reference(problem), "float32")


@settings(max_examples=10)
@given(problem=lstm_problems(dtype=np.float64, size_strategy=edge_sizes()))
def test_fused_edge_sizes_equal_the_reference(problem: Problem) -> None:
    _compare(_run(FUSED["float64"], problem), _reference(problem), "float64")


@settings(max_examples=8)
@given(problem=lstm_problems(dtype=np.float64, size_strategy=sizes(max_T=3, max_B=2, max_n=3, max_m=3)))
def test_fused_gradients_equal_central_differences(problem: Problem) -> None:
    module = FUSED["float64"]
    _, _, grads = _run(module, problem)
    numeric = central_differences(partial(upstream_loss, problem, module.forward, module.PARAMS),
                                  loss_inputs(problem), WRT)
    for name in WRT:
        np.testing.assert_allclose(grads[name], numeric[name], rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_cell_fused_equals_unfused(name, dtype):
    """Fusing changes how, not what: forward and every gradient as the NumPy module's, for every cell."""
    cell = CELLS[name]()
    fused, plain = compile_numpy(cell, dtype, fuse=True), compile_numpy(cell, dtype)
    assert "@numba.njit" in fused.__source__
    sizes_ = {s.name: 2 if s.name == "p" else (4 if s.name == "n" else 3) for s in cell.size_symbols}
    rng = np.random.default_rng(11)
    params = {k: 0.7 * rng.standard_normal(shape) for k, shape in plain.param_shapes(**sizes_).items()}
    xs = rng.standard_normal((5, 3, sizes_["m"]))
    out = plain.forward(params, xs)
    hs = out[0] if isinstance(out, tuple) else out  # a cell of one state returns hs alone
    dhs = rng.standard_normal(hs.shape)
    got, expected = fused.forward_backward(params, xs, dhs), plain.forward_backward(params, xs, dhs)
    tol = {"rtol": 1e-12, "atol": 1e-14} if dtype == "float64" else {"rtol": 1e-5, "atol": 1e-6}
    for k, (a, b) in enumerate(zip(got[:-1], expected[:-1])):
        np.testing.assert_allclose(a, b, **tol, err_msg=f"{name}: state {k}")
    assert sorted(got[-1]) == sorted(expected[-1])
    for key in expected[-1]:
        np.testing.assert_allclose(got[-1][key], expected[-1][key], **tol, err_msg=f"{name}: {key}")


def test_strided_arrays_give_what_contiguous_ones_give():
    """A kernel is compiled again for arrays that are not C-ordered; the results do not change."""
    module = FUSED["float64"]
    rng = np.random.default_rng(12)
    T, B, n, m = 4, 3, 5, 2
    params = {k: rng.standard_normal(s) for k, s in reference.param_shapes(n, m).items()}
    xs = np.asfortranarray(rng.standard_normal((T, B, m)))
    dhs = rng.standard_normal((T, 2 * B, n))[:, ::2]  # every other row: strided
    h0 = np.asfortranarray(rng.standard_normal((B, n)))
    got = module.forward_backward(params, xs, dhs, h0)
    expected = module.forward_backward(params, xs.copy(order="C"), dhs.copy(), h0.copy(order="C"))
    for a, b in zip(got[:2], expected[:2]):
        np.testing.assert_array_equal(a, b)
    for key in expected[2]:
        np.testing.assert_array_equal(got[2][key], expected[2][key], err_msg=key)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_huge_inputs_stay_finite_without_warnings(dtype):
    rng = np.random.default_rng(3)
    T, B, n, m = 3, 2, 4, 5
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in reference.param_shapes(n, m).items()}
    xs = (1e4 * rng.choice([-1.0, 1.0], size=(T, B, m))).astype(dtype)
    dhs = rng.standard_normal((T, B, n)).astype(dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        hs, cs, grads = FUSED[dtype].forward_backward(params, xs, dhs)
    for name, array in [("hs", hs), ("cs", cs), *grads.items()]:
        assert np.all(np.isfinite(array)), name
    np.testing.assert_allclose(hs, reference.forward(params, xs.astype(np.float64))[0], atol=1e-5)


def _loop(source: str, header: str) -> str:
    return re.search(re.escape(header) + r"\n((?:        .*\n)+)", source).group(1)


def test_the_lstm_backward_step_is_one_kernel_and_one_product():
    """All 11 element-wise statements of the backward step, δc_{t-1} = δc_t ⊙ f_t included (it commutes
    with the product δh_{t-1} = W_hhᵀ·δa_t before it), run in one kernel; the values only it reads are locals."""
    source = FUSED["float32"].__source__
    code = [line.strip() for line in _loop(source, "    for t in range(T - 1, -1, -1):").splitlines()
            if not line.strip().startswith("#") and " = " not in line]
    assert [re.sub(r"\(.*", "", line) for line in code] == ["_backward_kernel_0", "np.matmul"]
    kernel = re.search(r"def _backward_kernel_0\(.*?\n\n", source, re.S).group(0)
    assert kernel.count("            # ") == 11
    for local in ("do", "dg", "df", "di", "dc"):  # per-step values read only inside the kernel
        assert re.search(rf"^            {local} = ", kernel, re.M), local
        assert f" {local}," not in kernel.splitlines()[1]  # not an array parameter
    assert "dc_in[_r, _j] = dc*a[_r, n + _j]" in kernel


def test_float32_kernels_compute_in_float32():
    """A bare 0.5 in a kernel would make numba compute a float32 kernel in float64 (numbers are DTYPE(...)):
    numba's own typing of the kernels of the float32 module gives no value float64."""
    module = FUSED["float32"]
    kernels = sorted(name for name in vars(module) if "_kernel_" in name)
    assert kernels == ["_backward_kernel_0", "_forward_kernel_0"]
    for name in kernels:
        typed = io.StringIO()
        getattr(module, name).inspect_types(file=typed)
        values = [line for line in typed.getvalue().splitlines() if " :: " in line and "const(" not in line]
        assert any(line.endswith(":: float32") for line in values), name
        assert not [line for line in values if line.endswith(":: float64")], name  # DTYPE(0.5)'s 0.5 aside


def test_fused_source_is_deterministic_and_says_so():
    cell = symlstm.cell("lstm", peephole=True)
    first, second = generate_numpy(cell, "float64", fuse=True), generate_numpy(cell, "float64", fuse=True)
    assert first == second
    assert "element-wise statements fused into numba kernels" in first.splitlines()[0]
    assert "import numba" in first and "import numba" not in generate_numpy(cell, "float64")


def test_without_numba_the_fused_module_says_what_it_needs(monkeypatch):
    real_import = builtins.__import__

    def no_numba(name, *args, **kwargs):
        if name == "numba":
            raise ImportError("No module named 'numba'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numba)
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    with pytest.raises(ImportError, match=r"fused kernels \(fuse=True\), which need numba"):
        compile_numpy(symlstm.cell("lstm"), "float64", fuse=True)


def test_cli_codegen_fuse_writes_a_fused_module(tmp_path, capsys):
    out = tmp_path / "lstm_fused.py"
    assert main(["codegen", "lstm", "--fuse", "--dtype", "float32", "-o", str(out)]) == 0
    assert "fused into numba kernels" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8") == generate_numpy(symlstm.cell("lstm"), "float32", fuse=True)
