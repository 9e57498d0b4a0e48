"""int8, int16, uint8, uint16, uint64, float16 and bfloat16 as first-class dtypes: JAX's
result types, wraparound, 16-bit float rounding (jit gives eager's bits, or with excess
precision those of the float32 computation rounded once), reductions that accumulate wider, and JAX's random streams (golden values from jax 0.10.2)."""
import ml_dtypes
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import dtypes

SMALL_INTS = [jnp.int8, jnp.int16, jnp.uint8, jnp.uint16]
HALF = [jnp.float16, jnp.bfloat16]
NEW = SMALL_INTS + [jnp.uint32] + HALF


def _data(dtype, n=33, seed=0):
    rng = np.random.default_rng(seed)
    if dtypes.is_floating(dtype.dtype):
        return (rng.standard_normal(n) * 3).astype(np.float32).astype(dtype.dtype)
    info = np.iinfo(dtype.dtype)
    return rng.integers(max(info.min, -100), min(info.max, 100), n).astype(dtype.dtype)


def test_names_and_scalar_types():
    assert jnp.bfloat16.dtype == ml_dtypes.bfloat16 and jnp.float16.dtype == np.float16
    for t in NEW:
        assert jnp.zeros(3, t).dtype == t.dtype
        assert jnp.asarray([1, 2], dtype=t).dtype == t.dtype
        assert t(1).dtype == t.dtype
    assert jnp.arange(3, dtype=jnp.uint8).dtype == np.uint8
    assert jnp.finfo(jnp.bfloat16).eps == 2.0 ** -7 and jnp.iinfo(jnp.int8).min == -128


# every op below is exact, or one rounding of an exact result, for these dtypes: jit
# rounding every op (excess precision off) must give eager's bits
OPS = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "max": jnp.maximum, "neg": lambda x, y: -x, "abs": lambda x, y: jnp.abs(x),
    "lt": lambda x, y: x < y, "where": lambda x, y: jnp.where(x > y, x, y),
    "chain": lambda x, y: (x * y + x) * y - x, "scalar": lambda x, y: x * 3 + 1,
    "sort": lambda x, y: jnp.sort(x), "argmax": lambda x, y: jnp.argmax(x),
    "slice": lambda x, y: x[3:20:2], "scatter": lambda x, y: x.at[2].set(y[0]),
    "max_r": lambda x, y: jnp.max(x), "to_f32": lambda x, y: x.astype(jnp.float32),
    "to_i8": lambda x, y: x.astype(jnp.int8), "to_bf16": lambda x, y: x.astype(jnp.bfloat16),
    "to_f16": lambda x, y: x.astype(jnp.float16), "cumsum_ints": lambda x, y: jnp.cumsum(x[:6]),
}


# (a float cumsum's order of additions is the backend's)
CASES = [(op, t) for op in OPS for t in NEW if not (op == "cumsum_ints" and t in HALF)]


@pytest.mark.parametrize("op,dtype", CASES, ids=[f"{op}-{t.__name__}" for op, t in CASES])
def test_jit_gives_eagers_bits(op, dtype):
    x, y = _data(dtype), _data(dtype, seed=1)
    want = OPS[op](jnp.asarray(x), jnp.asarray(y))
    with fx.config.override("allow_excess_precision", False):
        got = fx.jit(OPS[op])(x, y)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(_bits(got), _bits(want))


def _bits(a):
    a = np.asarray(a)
    return a.view(f"u{a.dtype.itemsize}") if a.dtype.itemsize > 1 else a


def _gelu(x):  # tanh-GELU with constants exact in 16 bits (the float32 reference's too)
    return 0.5 * x * (1.0 + jnp.tanh(0.796875 * (x + 0.046875 * x ** 3)))


@pytest.mark.parametrize("dtype", HALF, ids=lambda t: t.__name__)
@pytest.mark.parametrize("f", [OPS["chain"], OPS["scalar"], lambda x, y: _gelu(x) * y,
                               lambda x, y: jnp.exp(x * y).astype(jnp.float32) + 1],
                         ids=["chain", "scalar", "gelu", "through_convert"])
def test_excess_precision_rounds_once_when_stored(f, dtype):
    """By default a fused chain of 16-bit ops keeps float32 and rounds once, when stored
    or converted: the bits of the same chain computed in float32 and rounded. Those differ
    from rounding after every op (eager), which `allow_excess_precision` off restores."""
    x, y = _data(dtype, n=4096), _data(dtype, n=4096, seed=1)
    jitted = fx.jit(f)  # one function: the option is part of its cache key
    got = jitted(x, y)
    in_f32 = fx.jit(lambda a, b: f(a.astype(jnp.float32), b.astype(jnp.float32)).astype(got.dtype))
    want = in_f32(x, y) if got.dtype != np.float32 else \
        fx.jit(lambda a, b: f(a, b).astype(jnp.float32))(x, y)
    np.testing.assert_array_equal(_bits(got), _bits(want))
    with fx.config.override("allow_excess_precision", False):
        per_op = jitted(x, y)
    np.testing.assert_array_equal(_bits(per_op), _bits(f(jnp.asarray(x), jnp.asarray(y))))
    assert (_bits(per_op) != _bits(got)).any()


@pytest.mark.parametrize("dtype", HALF, ids=lambda t: t.__name__)
@pytest.mark.parametrize("fn", ["exp", "tanh", "log1p", "sin", "sqrt"])
def test_16bit_transcendentals_round_float32_results(fn, dtype):
    """Computed in float32 and rounded: NumPy/ml_dtypes' float32 function, rounded, up to
    a tie that fx's float32 approximation breaks the other way (1 in thousands)."""
    x = np.abs(_data(dtype, n=4096))
    with np.errstate(over="ignore"):
        want = getattr(np, fn)(x.astype(np.float32)).astype(dtype.dtype)
    for f in (getattr(jnp, fn), fx.jit(getattr(jnp, fn))):
        got = np.asarray(f(x))
        assert got.dtype == dtype.dtype
        assert (got != want).mean() < 2e-3
        np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32),
                                   rtol=float(dtypes.finfo(dtype.dtype).eps))


@pytest.mark.parametrize("f", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: -a],
                         ids=["add", "sub", "mul", "neg"])
def test_small_integers_wrap(f):
    cases = {np.int8: (127, -128), np.int16: (32767, -32768), np.uint8: (255, 0), np.uint16: (65535, 0)}
    for t, (hi, lo) in cases.items():
        a, b = np.array([hi, lo, hi, lo], t), np.array([1, 1, hi, 255 % (hi + 1)], t)
        with np.errstate(over="ignore"):
            want = f(a, b)
        for g in (f, fx.jit(f)):
            got = g(jnp.asarray(a), jnp.asarray(b))
            assert got.dtype == t
            np.testing.assert_array_equal(got, want)


def test_uint64_keeps_every_bit(x64):
    big = np.array([2 ** 64 - 1, 2 ** 63, 3, 2 ** 63 + 12345], np.uint64)
    other = np.array([1, 2 ** 63, 7, 10], np.uint64)
    for g in (lambda a, b: (a // b, a % b, a > b, jnp.max(a), a + b, a >> 60),
              fx.jit(lambda a, b: (a // b, a % b, a > b, jnp.max(a), a + b, a >> 60))):
        q, r, gt, m, s, sh = g(big, other)
        assert q.dtype == np.uint64
        np.testing.assert_array_equal(q, big // other)
        np.testing.assert_array_equal(r, big % other)
        np.testing.assert_array_equal(gt, big > other)
        assert int(m) == 2 ** 64 - 1
        np.testing.assert_array_equal(s, big + other)
        np.testing.assert_array_equal(sh, big >> np.uint64(60))
    assert jnp.asarray(big).astype(jnp.float32).dtype == np.float32


@pytest.mark.parametrize("dtype,want", [(jnp.int8, np.int32), (jnp.int16, np.int32), (jnp.uint8, np.uint32),
                                        (jnp.uint16, np.uint32), (jnp.bool_, np.int32)],
                         ids=lambda t: getattr(t, "__name__", str(t)))
def test_sums_of_small_integers_widen_as_in_jax(dtype, want):
    x = np.full(300, 100).astype(dtype.dtype)  # 30,000: past int8/uint8/int16 ranges
    for f in (jnp.sum, fx.jit(jnp.sum)):
        total = f(x)
        assert total.dtype == want and int(total) == int(np.sum(x, dtype=np.int64))
    assert jnp.prod(x[:2]).dtype == want
    assert jnp.cumsum(x).dtype == (np.int32 if dtype is jnp.bool_ else dtype.dtype)


@pytest.mark.parametrize("dtype", HALF, ids=lambda t: t.__name__)
def test_16bit_sums_and_means_accumulate_in_float32(dtype):
    # in float16 a running sum of ones stops at 2048, and in bfloat16 at 256
    ones = jnp.ones(10_000, dtype)
    for f in (jnp.sum, fx.jit(jnp.sum), jnp.mean, fx.jit(jnp.mean)):
        assert f(ones).dtype == dtype.dtype
    assert float(jnp.sum(ones)) == float(fx.jit(jnp.sum)(ones)) == float(np.float32(10_000).astype(dtype.dtype))
    assert float(jnp.mean(ones)) == float(fx.jit(jnp.mean)(ones)) == 1.0
    x = _data(dtype, n=1000)
    np.testing.assert_allclose(float(jnp.var(x)), np.var(x.astype(np.float64)), rtol=1e-2)
    assert jnp.sum(x, dtype=jnp.float32).dtype == np.float32


@pytest.mark.parametrize("dtype", HALF, ids=lambda t: t.__name__)
def test_16bit_matmul_is_a_float32_product_rounded_once(dtype):
    a, b = _data(dtype, 64 * 48).reshape(64, 48), _data(dtype, 48 * 32, seed=1).reshape(48, 32)
    want = (a.astype(np.float32) @ b.astype(np.float32)).astype(dtype.dtype)
    for f in (jnp.matmul, fx.jit(jnp.matmul)):
        got = np.asarray(f(a, b))
        assert got.dtype == dtype.dtype
        np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32),
                                   rtol=float(dtypes.finfo(dtype.dtype).eps), atol=1e-3)
    wide = fx.jit(lambda x, y: fx.lax.dot_general(x, y, (((1,), (0,)), ((), ())),
                                                  preferred_element_type=jnp.float32))(a, b)
    assert wide.dtype == np.float32
    np.testing.assert_allclose(wide, a.astype(np.float32) @ b.astype(np.float32), rtol=1e-5, atol=1e-5)


def test_promotion_with_python_scalars_keeps_narrow_types():
    assert (jnp.ones(2, jnp.int8) + 1).dtype == np.int8
    assert (jnp.ones(2, jnp.uint8) * 2).dtype == np.uint8
    assert (jnp.ones(2, jnp.bfloat16) + 1.5).dtype == ml_dtypes.bfloat16
    assert (jnp.ones(2, jnp.int8) + 1.5).dtype == np.float32
    assert (jnp.ones(2, jnp.float16) + jnp.ones(2, jnp.bfloat16)).dtype == np.float32
    assert (jnp.ones(2, jnp.uint8) + jnp.ones(2, jnp.int8)).dtype == np.int16


# ---------------------------------------------------------------------------- random

KEY = fx.random.PRNGKey(0)


@pytest.mark.parametrize("sampler,dtype,bits", [
    ("normal", jnp.float16, [47078, 47709, 48741, 13938, 47575, 45867]),
    ("uniform", jnp.float16, [13560, 13008, 11008, 14656, 13168, 13972]),
    ("normal", jnp.bfloat16, [16070, 15931, 49024, 48979, 16144, 48933]),
    ("uniform", jnp.bfloat16, [16166, 16146, 15904, 15952, 16182, 16004]),
])
def test_16bit_samplers_give_jaxs_values(sampler, dtype, bits):
    """JAX's bits eagerly and under jit rounding every op (as XLA on the CPU does); with
    excess precision, jit's values are within a few units in the last place of them."""
    jitted = fx.jit(getattr(fx.random, sampler), static_argnums=(1, 2))
    with fx.config.override("allow_excess_precision", False):
        strict = jitted(KEY, (6,), dtype)
    for out in (getattr(fx.random, sampler)(KEY, (6,), dtype), strict):
        assert out.dtype == dtype.dtype
        assert np.asarray(out).view(np.uint16).tolist() == bits
    want = np.array(bits, np.uint16).view(dtype.dtype).astype(np.float32)
    np.testing.assert_allclose(np.asarray(jitted(KEY, (6,), dtype)).astype(np.float32), want,
                               rtol=4 * float(dtypes.finfo(dtype.dtype).eps))


@pytest.mark.parametrize("dtype,values", [
    (jnp.int8, [89, 61, 40, 80, -1, 117]), (jnp.uint8, [101, 80, 200, 61, 3, 211]),
    (jnp.int16, [49, 6, 104, 247, 26, 159]), (jnp.uint16, [289, 0, 212, 73, 71, 147]),
])
def test_randint_of_small_integers_gives_jaxs_values(dtype, values):
    low = -3 if np.iinfo(dtype.dtype).min < 0 else 0
    out = fx.random.randint(KEY, (6,), low, 300, dtype)  # 300 is past int8/uint8: clipped, as JAX
    assert out.dtype == dtype.dtype and out.tolist() == values
