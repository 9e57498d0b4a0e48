"""Scalar arithmetic where a naive implementation goes wrong: huge static exponents
(square-and-multiply, small kernels) and integer division by zero (JAX's values, no trap),
eager, compiled by each backend (the `backend` fixture) and in the reference interpreter alike."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax
from fx.ir import kernels as K
from fx.ir.lower import lower_jaxpr
from fx.ir.passes import optimize


pytestmark = pytest.mark.usefixtures("x64")


def three_ways(backend, f, *args):
    """f's results eager, compiled by `backend` and run by the interpreter."""
    return [np.asarray(f(*map(jnp.asarray, args))), np.asarray(fx.jit(f, backend=backend)(*args)),
            np.asarray(fx.jit(f, backend="interpreter")(*args))]


# ---------------------------------------------------------------------------- x ** n

EXPONENTS = [0, 1, 2, 3, 7, 31, 1000, 2**31 - 1, 2**31, 2**63, 2**64 + 1]


@pytest.mark.parametrize("n", EXPONENTS + [-1, -7, -(2**31 - 1), -(2**63)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_power_matches_numpy(n, dtype, backend):
    x = np.array([1.0, -1.0, 0.999999, 1.0000001, 0.5, -2.0, 0.0, -0.0, np.inf, np.nan], dtype)
    # x**n amplifies a relative error in x (or in x*x) n times: its condition number
    rtol = min(abs(n) * np.finfo(dtype).eps, 0.5)
    with np.errstate(all="ignore"):  # float(n) may round n, not its parity
        magnitude = np.power(np.abs(x).astype(np.float64), float(n))
        want = np.where(np.signbit(x) & (n % 2 == 1), -magnitude, magnitude).astype(dtype)
    for got in three_ways(backend, lambda a: a ** n, x):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=0)
        assert np.array_equal(np.signbit(got[got == 0]), np.signbit(want[want == 0]))


@pytest.mark.parametrize("n", EXPONENTS)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32])  # fx's integers
def test_integer_power_wraps_like_numpy(n, dtype, backend):
    x = np.array([3, 2, 1, 0, 5, 7, np.iinfo(dtype).max]).astype(dtype)
    if np.iinfo(dtype).min:
        x[:2] = -x[:2]
    want = np.array([pow(int(v), n, 2 ** (8 * x.itemsize)) for v in x], np.uint64)
    want = want.astype(np.dtype(dtype).str.replace("i", "u")).view(dtype)
    for got in three_ways(backend, lambda a: a ** n, x):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == dtype


def test_integer_power_rejects_negative_exponents_as_jax_does():
    for f in (lambda a: a ** -1, lambda a: lax.integer_pow(a, -3), fx.jit(lambda a: a ** -1)):
        with pytest.raises(TypeError, match="integers cannot be raised to negative powers"):
            f(jnp.arange(3))


@pytest.mark.parametrize("n", [2**31 - 1, 2**63, -(2**64 + 1)])
def test_huge_exponents_lower_to_small_kernels(n):
    closed = fx.make_jaxpr(lambda a: a ** n)(np.ones(8, np.float32))
    kernels = [s for s in lower_jaxpr(optimize(closed)).body if isinstance(s, K.Kernel)]
    sizes = [K.tree_size(expr) for k in kernels for _, expr in k.outputs]  # as passes walk them
    assert len(kernels) <= 20 and max(sizes) < 3000, sizes


@pytest.mark.parametrize("n", [2**31 - 1, -(2**63)])
def test_huge_exponent_derivative(n):
    """d/dx x**n = n x**(n-1): itself an integer_pow of a huge exponent."""
    x = np.array([1.0, -1.0])
    grad = fx.jit(fx.vmap(fx.grad(lambda a: a ** n)))(x)
    np.testing.assert_array_equal(np.asarray(grad), [float(n), float(n) * (-1.0) ** ((n - 1) % 2)])


def test_norm_of_a_huge_order_compiles():
    x = np.array([0.5, -1.0, 0.25])
    assert float(fx.jit(lambda a: jnp.linalg.norm(a, ord=2**63))(x)) == 1.0


# ---------------------------------------------------------------------------- x / 0, x % 0
# JAX 0.10.2's values on CPU (checked there; tests never import jax). Signed operands are
# x = [7, 7, -7, -7, 0, 0, MIN, MIN, MAX, MAX] over y = [0, -1, 0, -1, ...]; unsigned ones
# x = [7, 0, MAX] over y = 0.

SIGNED_X = ["7", "7", "-7", "-7", "0", "0", "MIN", "MIN", "MAX", "MAX"]
SIGNED = {
    "lax.rem": ["7", "0", "-7", "0", "0", "0", "MIN", "0", "MAX", "0"],
    "lax.div": ["-1", "-7", "-1", "7", "-1", "0", "-1", "MIN", "-1", "-MAX"],
    "floor_divide": ["-2", "-7", "-2", "7", "-1", "0", "-2", "MIN", "-2", "-MAX"],
    "remainder": ["0"] * 10,
    "fmod": ["0"] * 10,
}
UNSIGNED = {"lax.rem": ["7", "0", "MAX"], "lax.div": ["MAX"] * 3, "floor_divide": ["MAX"] * 3,
            "remainder": ["0"] * 3, "fmod": ["0"] * 3}
OPS = {"lax.rem": lax.rem, "lax.div": lax.div, "floor_divide": jnp.floor_divide,
       "remainder": jnp.remainder, "fmod": jnp.fmod}
SPELLINGS = {"floor_divide": [lambda a, b: a // b, lambda a, b: jnp.divmod(a, b)[0]],
             "remainder": [lambda a, b: a % b, jnp.mod, lambda a, b: jnp.divmod(a, b)[1]]}


def division_case(dtype, op):
    info = np.iinfo(dtype)
    names = {"MIN": info.min, "MAX": info.max, "-MAX": -info.max}
    value = lambda s: names[s] if s in names else int(s)  # noqa: E731
    if info.min:
        x, y, want = SIGNED_X, [0, -1] * 5, SIGNED[op]
    else:
        x, y, want = ["7", "0", "MAX"], [0] * 3, UNSIGNED[op]
    return (np.array([value(s) for s in x], dtype), np.array(y, dtype),
            np.array([value(s) for s in want], dtype))


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32])
def test_integer_division_by_zero_and_overflow_give_jax_values(op, dtype, backend):
    x, y, want = division_case(dtype, op)
    for f in [OPS[op], *SPELLINGS.get(op, [])]:
        for got in three_ways(backend, f, x, y):
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32])
def test_integer_division_matches_numpy_away_from_zero(dtype, rng, backend):
    lo = np.iinfo(dtype).min // 2 if np.iinfo(dtype).min else 0
    x = rng.integers(lo, np.iinfo(dtype).max // 2, 500, dtype=dtype)
    y = rng.integers(lo // 2**8, np.iinfo(dtype).max // 2**8, 500, dtype=dtype)
    y[y == 0] = 3
    for f, reference in [(jnp.floor_divide, np.floor_divide), (jnp.remainder, np.remainder),
                         (jnp.fmod, np.fmod)]:
        for got in three_ways(backend, f, x, y):
            np.testing.assert_array_equal(got, reference(x, y))


def test_float_floor_divide_is_pythons_as_in_jax(backend):
    """Not floor(x / y): 1.0 / 0.1 rounds up to 10.0, but 1.0 // 0.1 is 9.0 (JAX's values)."""
    x = np.array([1.0, -1.0, 7.0, 1.0, -1.0, 0.0, np.inf, 1.0, -1.0, 5.5, -0.0, 0.3], np.float32)
    y = np.array([0.1, 0.1, -2.0, 0.0, 0.0, 0.0, 1.0, np.inf, np.inf, 0.5, 3.0, 0.1], np.float32)
    want = np.array([9.0, -10.0, -4.0, np.inf, -np.inf, np.nan, np.nan, 0.0, -1.0, 11.0, 0.0, 3.0],
                    np.float32)
    for f in (jnp.floor_divide, lambda a, b: a // b, lambda a, b: jnp.divmod(a, b)[0]):
        for got in three_ways(backend, f, x, y):
            np.testing.assert_array_equal(got, want)
            assert not np.signbit(got[got == 0]).any()
    assert float(fx.grad(lambda a: jnp.floor_divide(a, 0.1))(1.0)) == 0.0
