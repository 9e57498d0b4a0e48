"""bitcast_convert_type, reduce_precision and the mixed-precision options of products
(precision=, preferred_element_type=)."""
import ml_dtypes
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax


def _bits(x):
    x = np.asarray(x)
    return x.view(f"u{x.dtype.itemsize}")


def _probe_floats():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(2000) * 10.0 ** rng.integers(-45, 39, 2000),
                        [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 65504, 65520, 1e-5, 6e-5,
                         3.4e38, -3.4e38, 1.0 + 2 ** -8, 1.0 + 3 * 2 ** -8]])
    with np.errstate(over="ignore"):
        return x.astype(np.float32)


@pytest.mark.parametrize("exponent_bits,mantissa_bits,narrow", [(8, 7, ml_dtypes.bfloat16), (5, 10, np.float16)])
def test_reduce_precision_rounds_like_the_narrow_type(exponent_bits, mantissa_bits, narrow):
    x = _probe_floats()
    with np.errstate(over="ignore"):
        want = x.astype(narrow).astype(np.float32)
    if exponent_bits < 8:  # a narrower exponent keeps no subnormals: they become signed zeros
        tiny = float(ml_dtypes.finfo(narrow).smallest_normal)
        want = np.where(np.abs(want) < tiny, np.copysign(0, x), want).astype(np.float32)
    for f in (lambda a: lax.reduce_precision(a, exponent_bits, mantissa_bits),
              fx.jit(lambda a: lax.reduce_precision(a, exponent_bits, mantissa_bits))):
        got = np.asarray(f(x))
        nan = np.isnan(x)
        assert got.dtype == np.float32 and np.isnan(got[nan]).all()
        np.testing.assert_array_equal(_bits(got[~nan]), _bits(want[~nan]))


def test_reduce_precision_of_float64_and_bfloat16(x64):
    x = np.random.default_rng(1).standard_normal(500) * 1e3
    got = fx.jit(lambda a: lax.reduce_precision(a, 8, 7))(x)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, x.astype(ml_dtypes.bfloat16).astype(np.float64))
    b = x.astype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(_bits(lax.reduce_precision(b, 8, 7)), _bits(b))  # already bf16
    np.testing.assert_array_equal(_bits(fx.jit(lambda a: lax.reduce_precision(a, 5, 2))(b)),
                                  _bits(lax.reduce_precision(b, 5, 2)))
    # no mantissa bits: a NaN becomes an infinity of its sign
    np.testing.assert_array_equal(lax.reduce_precision(np.array([np.nan, -np.nan], np.float32), 8, 0),
                                  [np.inf, -np.inf])


def test_reduce_precision_differentiates_as_a_linear_map():
    x = np.linspace(-3, 3, 7).astype(np.float32) + np.float32(1e-3)
    t = np.linspace(1, 2, 7).astype(np.float32) * np.float32(1.001)
    rp = lambda a: lax.reduce_precision(a, 5, 2)  # noqa: E731
    out, tangent = fx.jvp(rp, (x,), (t,))
    np.testing.assert_array_equal(out, rp(x))
    np.testing.assert_array_equal(tangent, rp(t))  # the tangent is rounded too, as in JAX
    _, vjp = fx.vjp(rp, x)
    np.testing.assert_array_equal(vjp(t)[0], rp(t))  # its own transpose
    np.testing.assert_array_equal(fx.grad(lambda a: jnp.sum(rp(a) * t))(x), rp(t))
    np.testing.assert_array_equal(fx.jit(fx.vmap(rp))(x.reshape(7, 1)), rp(x).reshape(7, 1))


def test_reduce_precision_refuses_bad_arguments():
    with pytest.raises(TypeError, match="floating"):
        lax.reduce_precision(np.arange(3), 8, 7)
    with pytest.raises(ValueError, match="exponent_bits >= 1"):
        lax.reduce_precision(np.ones(3, np.float32), 0, 7)


@pytest.mark.parametrize("src,dst", [(np.float32, np.int32), (np.int32, np.float32), (np.float32, np.uint32),
                                     (ml_dtypes.bfloat16, np.uint16), (np.uint16, np.float16),
                                     (np.float16, ml_dtypes.bfloat16), (np.int8, np.uint8)])
def test_bitcast_reads_the_same_bits(src, dst):
    raw = np.random.default_rng(2).integers(0, 256, 64, dtype=np.uint8)
    x = raw.view(src)
    if np.dtype(dst).kind == "f" or dst is ml_dtypes.bfloat16:
        x = x[~np.isnan(x.view(dst).astype(np.float32))]  # a NaN's payload is the backend's
    want = x.view(dst)
    for f in (lambda a: lax.bitcast_convert_type(a, dst), fx.jit(lambda a: lax.bitcast_convert_type(a, dst))):
        got = np.asarray(f(x))
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(_bits(got), _bits(want))
    assert lax.bitcast_convert_type(np.float32(1), np.int32).shape == ()


def test_bitcast_of_64_bit_types(x64):
    x = np.array([1.0, -2.5, np.inf, 5e-324])
    np.testing.assert_array_equal(fx.jit(lambda a: lax.bitcast_convert_type(a, jnp.uint64))(x), x.view(np.uint64))
    np.testing.assert_array_equal(fx.jit(lambda a: lax.bitcast_convert_type(a, jnp.int64))(x), x.view(np.int64))


def test_bitcast_refuses_other_widths_and_has_no_gradient():
    with pytest.raises(TypeError, match="one width"):
        lax.bitcast_convert_type(np.ones(3, np.float32), np.int16)
    with pytest.raises(TypeError, match="bools"):
        lax.bitcast_convert_type(np.ones(3, bool), np.int8)
    g = fx.grad(lambda a: jnp.sum(lax.bitcast_convert_type(a, jnp.int32).astype(jnp.float32)))(np.ones(3, np.float32))
    np.testing.assert_array_equal(g, 0)


# ---------------------------------------------------------------------------- products

def test_products_take_preferred_element_type_and_precision():
    a = jnp.asarray(np.linspace(-1, 1, 12).reshape(3, 4), jnp.bfloat16)
    b = jnp.asarray(np.linspace(0, 2, 8).reshape(4, 2), jnp.bfloat16)
    exact = np.asarray(a).astype(np.float32) @ np.asarray(b).astype(np.float32)
    for f in (jnp.dot, jnp.matmul, fx.jit(jnp.matmul, static_argnames=("preferred_element_type",))):
        out = f(a, b, preferred_element_type=jnp.float32)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, exact, rtol=1e-6)
    assert jnp.einsum("ij,jk->ik", a, b, preferred_element_type=jnp.float32).dtype == np.float32
    assert jnp.vdot(a, a, preferred_element_type=jnp.float32).dtype == np.float32
    assert jnp.inner(a, a, preferred_element_type=jnp.float32).dtype == np.float32
    assert jnp.dot(a, 2, preferred_element_type=jnp.float32).dtype == np.float32
    for precision in (None, "highest", "default", "bfloat16", lax.Precision.HIGH, ("high", "highest")):
        np.testing.assert_array_equal(jnp.matmul(a, b, precision=precision), a @ b)
    for bad in ("best", 3, ("high",)):
        with pytest.raises(ValueError, match="precision must be"):
            jnp.dot(a, b, precision=bad)


def test_bfloat16_products_differentiate_into_bfloat16_gradients():
    a = jnp.ones((3, 4), jnp.bfloat16)
    b = jnp.full((4, 2), 0.5, jnp.bfloat16)
    loss = lambda a, b: jnp.sum(jnp.matmul(a, b, preferred_element_type=jnp.float32))  # noqa: E731
    assert loss(a, b).dtype == np.float32
    for g in (fx.grad(loss, (0, 1)), fx.jit(fx.grad(loss, (0, 1)))):
        ga, gb = g(a, b)
        assert ga.dtype == gb.dtype == ml_dtypes.bfloat16
        np.testing.assert_array_equal(np.asarray(ga, np.float32), np.full((3, 4), 1.0))
        np.testing.assert_array_equal(np.asarray(gb, np.float32), np.full((4, 2), 3.0))
