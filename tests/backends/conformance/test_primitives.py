"""Primitives on every backend against the reference interpreter: each registered
primitive's examples, and the edge values (NaN, infinities, signed zeros, subnormals,
integer extremes) where a compiler's shortcuts go wrong."""
import numpy as np
import pytest

import fx
from fx.core import Primitive, primitives
from fx.lax import incomplete as lax_incomplete
from fx.lax import special as lax_special
from fx.ir.kernel_passes import CPU
from tests.backends.conformance import assert_same, run_both

LINALG = ("cholesky", "triangular_solve", "lu", "qr", "eigh", "svd")  # fx/lax/linalg.py
HIGHER_ORDER = {"jit", "custom_jvp_call", "custom_vjp_call", "custom_lin"}  # tested via programs
# special functions written with lax operations (fx/lax/special.py, incomplete.py): their
# series and loops compound the few-ulp differences of exp, log and pow
COMPOSITE = {p.name for module in (lax_special, lax_incomplete) for p in vars(module).values()
             if isinstance(p, Primitive)}
CASES = [(name, k) for name, prim in sorted(primitives.items()) if name not in HIGHER_ORDER
         for k in range(len(prim.examples))]


pytestmark = pytest.mark.usefixtures("x64")


@pytest.mark.parametrize("name,k", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_every_primitive_matches_the_interpreter(backend, name, k):
    prim = primitives[name]
    ex = prim.examples[k]
    f = lambda *a: prim.bind(*a, **ex.params)  # noqa: E731
    avals = fx.make_jaxpr(f)(*ex.args).in_avals + fx.make_jaxpr(f)(*ex.args).out_avals
    if not all(fx.backends.get_backend(backend).supports_dtype(a.dtype) for a in avals):
        with pytest.raises(TypeError, match=f"does not support .*in {name}"):  # refused clearly
            fx.jit(f, backend=backend)(*ex.args)
        return
    got, want = run_both(backend, f, *ex.args)
    assert_same(got, want, rtol=_tolerance(name))


def _tolerance(name):
    """Bit-exact, except: sums may be reassociated (vectorised reductions, matrix products,
    scatter-adds made of atomic adds on a GPU, LAPACK's blocked factorisations against
    NumPy's, fx's FFT against pocketfft), transcendental functions are fx's own approximations (within a few ulp), and
    composite special functions compound them."""
    if name in COMPOSITE:
        return 1e-12
    if name.startswith("reduce") or name in ("dot_general", "conv_general_dilated", "scatter_add",
                                             "fft", *LINALG):
        return 1e-12
    if CPU.cost.expensive_ops & {name, name.replace("integer_", "")} - {"div", "rem", "sqrt"}:
        return 4 * np.finfo(np.float64).eps
    return 0.0


FLOAT_EDGES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 2.2e-308, 1e-300,
                        1e300, -1e300, 1.0, -1.0, 0.5, 88.7, -88.7, 710.0, -745.2, 1e5, 3.0])
UNARY_FLOAT = ["neg", "abs", "sign", "floor", "ceil", "round", "exp", "exp2", "log", "log1p",
               "expm1", "sqrt", "rsqrt", "tanh", "logistic", "sin", "cos", "tan", "erf"]


TRIG_F64_ACCURATE = 2.0 ** 40  # fx's float64 sin/cos/tan reduction is exact below this


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", UNARY_FLOAT)
def test_unary_float_edge_values(backend, name, dtype):
    with np.errstate(all="ignore"):  # 1e300 overflows to inf in float32, as intended
        x = FLOAT_EDGES.astype(dtype)
        huge = (np.abs(x) >= TRIG_F64_ACCURATE) & np.isfinite(x) & (dtype == np.float64) & (
            name in ("sin", "cos", "tan"))
        got, want = run_both(backend, lambda a: primitives[name].bind(a), x[~huge])
        assert_same(got, want, rtol=4 * np.finfo(dtype).eps)
        if huge.any():  # beyond the documented range: still finite and bounded, never NaN
            (beyond,) = run_both(backend, lambda a: primitives[name].bind(a), x[huge])[0]
            assert np.all(np.isfinite(beyond))
            if name != "tan":
                assert np.all(np.abs(beyond) <= 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "rem", "pow", "max", "min", "eq", "ne",
                                  "lt", "le", "gt", "ge"])
def test_binary_float_edge_values(backend, name, dtype):
    x, y = np.meshgrid(FLOAT_EDGES[:12], FLOAT_EDGES[:12])
    with np.errstate(all="ignore"):
        x, y = x.astype(dtype), y.astype(dtype)
        got, want = run_both(backend, lambda a, b: primitives[name].bind(a, b), x, y)
    assert_same(got, want, rtol=4 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32])
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "rem", "max", "min", "neg", "abs",
                                  "sign"])
def test_integer_extremes_never_trap(backend, name, dtype):
    info = np.iinfo(dtype)
    edges = np.array([info.min, info.min + 1, -1 if info.min else 1, 0, 1, 7, info.max], dtype)
    x, y = np.meshgrid(edges, edges)
    prim = primitives[name]
    with np.errstate(all="ignore"):
        if name in ("neg", "abs", "sign"):
            got, want = run_both(backend, lambda a: prim.bind(a), x)
        else:
            got, want = run_both(backend, lambda a, b: prim.bind(a, b), x, y)
    assert_same(got, want)


def test_float_to_int_conversion_saturates(backend):
    x = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, 2.7, -2.7], np.float32)
    for dtype in (np.int32, np.uint32):
        got, want = run_both(backend, lambda a: fx.lax.convert_element_type(a, dtype), x)
        assert_same(got, want)
