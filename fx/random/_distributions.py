"""Samplers built on random bits, with JAX's formulas so that the streams are JAX's:
uniform floats fill the mantissa with the top bits, and the other distributions transform
uniform draws (normal by the inverse error function, gumbel, exponential, laplace and
logistic by their inverse CDFs). uniform, bits and randint match JAX bit for bit; normal
and its kin match to the last few ulp of fx's transcendental functions.
"""
from __future__ import annotations


import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.core import Tracer
from fx.numpy._promote import _operand
from fx.random._threefry import UNSIGNED, canonical_axis, canonical_shape, check_key, random_bits, split


def _float_dtype(name, dtype):
    dt = dtypes.canonicalize_dtype(dtype)  # None: the default float, float64 under x64
    if not dtypes.is_floating(dt):
        raise TypeError(f"{name}: dtype must be a floating type, got {np.dtype(dt).name}")
    return dt


def _uniform(key, shape, dtype, minval, maxval):
    """Random mantissa bits scaled to [0, 1) (the same value as JAX's bit-cast to [1, 2)
    minus 1), then affinely to [minval, maxval). As in JAX, a type of fewer than 8
    mantissa bits (bfloat16) draws 8 random bits."""
    info = dtypes.finfo(dtype)
    width = 8 if info.nmant < 8 else info.bits
    rng_bits = random_bits(key, width, shape)
    mantissa = lax.shift_right_logical(rng_bits, np.array(width - info.nmant, rng_bits.dtype))
    unit = lax.mul(lax.convert_element_type(mantissa, dtype), 2.0 ** -info.nmant)
    minval, maxval = (lax.convert_element_type(v, dtype) for v in (minval, maxval))
    return jnp.maximum(minval, unit * (maxval - minval) + minval)


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    """Floats uniform on [minval, maxval) (bounds broadcast against `shape`)."""
    key = check_key("uniform", key)
    dtype = _float_dtype("uniform", dtype)
    shape = canonical_shape("uniform", shape, np.shape(minval), np.shape(maxval))
    return _uniform(key, shape, dtype, minval, maxval)


def normal(key, shape=(), dtype=None):
    """Standard normal floats: sqrt(2) erfinv(u) for u uniform on (-1, 1). Complex dtypes
    get JAX's complex normal: independent real and imaginary parts of variance 1/2."""
    key = check_key("normal", key)
    if dtype is not None and dtypes.is_complex(dtypes.canonicalize_dtype(dtype)):
        complex_dtype = dtypes.canonicalize_dtype(dtype)
        real = dtypes.real_dtype(complex_dtype)
        key_re, key_im = split(key)
        parts = lax.complex(normal(key_re, shape, real), normal(key_im, shape, real))
        return lax.div(parts, lax.full_like(parts, np.sqrt(2)))
    dtype = _float_dtype("normal", dtype)
    shape = canonical_shape("normal", shape)
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    return lax.erf_inv(_uniform(key, shape, dtype, lo, 1.0)) * np.array(np.sqrt(2), dtype)


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Standard normal floats conditioned on lower < x < upper, by inverting the CDF on
    [erf(lower/sqrt 2), erf(upper/sqrt 2)). Concrete bounds give the open interval, as in
    JAX; traced bounds clamp to the closed one."""
    key = check_key("truncated_normal", key)
    dtype = _float_dtype("truncated_normal", dtype)
    bound_shapes = np.shape(lower), np.shape(upper)
    shape = np.broadcast_shapes(*bound_shapes) if shape is None else \
        canonical_shape("truncated_normal", shape, *bound_shapes)
    sqrt2 = np.array(np.sqrt(2), dtype)
    lo, hi = (lax.convert_element_type(b, dtype) for b in (lower, upper))
    u = _uniform(key, shape, dtype, lax.erf(lo / sqrt2), lax.erf(hi / sqrt2))
    inner = [lax.stop_gradient(b) if isinstance(b, Tracer) else
             np.nextafter(np.asarray(b, dtype), np.array(toward, dtype))
             for b, toward in ((lower, np.inf), (upper, -np.inf))]
    return jnp.clip(lax.erf_inv(u) * sqrt2, *inner)


def bernoulli(key, p=np.float32(0.5), shape=None):
    """Booleans, True with probability p (p's floating dtype sets the draw's precision)."""
    key = check_key("bernoulli", key)
    dtype = dtypes.dtype_of(p)
    if not dtypes.is_floating(dtype):
        raise TypeError(f"bernoulli: p must have a floating dtype, got {np.dtype(dtype).name}")
    shape = np.shape(p) if shape is None else canonical_shape("bernoulli", shape, np.shape(p))
    return jnp.less(_uniform(key, shape, dtype, 0.0, 1.0), lax.convert_element_type(p, dtype))


def gumbel(key, shape=(), dtype=None):
    """Standard Gumbel floats: -log(-log(u))."""
    key = check_key("gumbel", key)
    dtype = _float_dtype("gumbel", dtype)
    shape = canonical_shape("gumbel", shape)
    return -jnp.log(-jnp.log(_uniform(key, shape, dtype, dtypes.finfo(dtype).tiny, 1.0)))


def exponential(key, shape=(), dtype=None):
    """Standard exponential floats: -log(1 - u)."""
    key = check_key("exponential", key)
    dtype = _float_dtype("exponential", dtype)
    shape = canonical_shape("exponential", shape)
    return -jnp.log1p(-_uniform(key, shape, dtype, 0.0, 1.0))


def laplace(key, shape=(), dtype=None):
    """Standard Laplace floats: sign(u) log(1 - |u|) for u uniform on (-1, 1)."""
    key = check_key("laplace", key)
    dtype = _float_dtype("laplace", dtype)
    shape = canonical_shape("laplace", shape)
    u = _uniform(key, shape, dtype, -1.0 + dtypes.finfo(dtype).epsneg, 1.0)
    return jnp.sign(u) * jnp.log1p(-jnp.abs(u))


def logistic(key, shape=(), dtype=None):
    """Standard logistic floats: log(u) - log1p(-u), u uniform on [tiny, 1), as JAX."""
    key = check_key("logistic", key)
    dtype = _float_dtype("logistic", dtype)
    shape = canonical_shape("logistic", shape)
    u = _uniform(key, shape, dtype, dtypes.finfo(dtype).tiny, 1.0)
    return lax.sub(lax.log(u), lax.log1p(lax.neg(u)))


def categorical(key, logits, axis=-1, shape=None):
    """Category indices drawn with probabilities softmax(logits) along `axis` (the Gumbel-max
    trick); `shape` may add leading sample dimensions to the batch shape."""
    key = check_key("categorical", key)
    logits = jnp.asarray(_operand(logits))
    if not dtypes.is_floating(logits.dtype):
        logits = logits.astype(dtypes.default_float_dtype())
    if logits.ndim == 0:
        raise ValueError("categorical: logits must have at least one dimension")
    axis = canonical_axis("categorical", axis, logits.ndim) - logits.ndim  # from the end: prefixes come first
    batch_shape = tuple(np.delete(logits.shape, axis))
    shape = batch_shape if shape is None else canonical_shape("categorical", shape, batch_shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    noise_shape = list(shape[len(prefix):])
    noise_shape.insert(axis % logits.ndim, logits.shape[axis])
    noise = gumbel(key, (*prefix, *noise_shape), logits.dtype)
    return jnp.argmax(noise + jnp.reshape(logits, (1,) * len(prefix) + logits.shape), axis=axis)


# ---------------------------------------------------------------------------- randint

def _as_int_array(x):
    x = jnp.asarray(_operand(x))
    return x if dtypes.is_integer(x.dtype) else x.astype(dtypes.default_int_dtype())


def _clip_to(x, dtype):
    """x converted to `dtype` after clipping to the range both types share."""
    have, want = np.iinfo(x.dtype), np.iinfo(dtype)
    return lax.convert_element_type(jnp.clip(x, max(have.min, want.min), min(have.max, want.max)),
                                    dtype)


def randint(key, shape, minval, maxval, dtype=None):
    """Integers uniform on [minval, maxval) (minval where maxval <= minval), from twice the
    dtype's bits to keep the modulo bias small; maxval past the dtype's range is allowed.
    As in JAX, 8- and 16-bit integers are drawn as int32 and converted."""
    key = check_key("randint", key)
    dtype = dtypes.canonicalize_dtype(dtype if dtype is not None else int)
    if not dtypes.is_integer(dtype):
        raise TypeError(f"randint: dtype must be an integer type, got {np.dtype(dtype).name}")
    info = np.iinfo(dtype)
    if info.bits < 32:
        minval = jnp.clip(jnp.asarray(minval).astype(dtypes.int32), info.min, info.max)
        maxval = jnp.clip(jnp.asarray(maxval).astype(dtypes.int32), info.min, info.max + 1)
        return randint(key, shape, minval, maxval, dtypes.int32).astype(dtype)
    shape = canonical_shape("randint", shape, np.shape(minval), np.shape(maxval))
    minval, maxval = _as_int_array(minval), _as_int_array(maxval)
    if np.iinfo(maxval.dtype).max > np.iinfo(dtype).max:
        beyond = lax.gt(maxval, lax.full_like(maxval, np.iinfo(dtype).max))
    else:
        beyond = lax.full_like(maxval, False, dtypes.bool_)
    minval, maxval, beyond = (jnp.broadcast_to(v, shape) for v in
                              (_clip_to(minval, dtype), _clip_to(maxval, dtype), beyond))
    nbits = np.iinfo(dtype).bits
    unsigned, rem = UNSIGNED[nbits], lax.rem
    k1, k2 = split(key)
    higher, lower = random_bits(k1, nbits, shape), random_bits(k2, nbits, shape)

    empty = lax.le(maxval, minval)
    span = lax.convert_element_type(lax.sub(maxval, minval), unsigned)
    span = lax.select(empty, lax.full_like(span, 1), span)
    span = lax.select(lax.bitwise_and(beyond, lax.bitwise_not(empty)), lax.add(span, 1), span)
    # (a * 2**nbits + b) mod span, as ((a mod span) (2**nbits mod span) + b mod span) mod span
    multiplier = rem(lax.full_like(span, 2 ** (nbits // 2)), span)
    multiplier = rem(lax.mul(multiplier, multiplier), span)
    offset = rem(lax.add(lax.mul(rem(higher, span), multiplier), rem(lower, span)), span)
    return lax.add(minval, lax.convert_element_type(offset, dtype))
