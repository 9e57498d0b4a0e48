"""Integer functions: gcd, lcm, bitwise_count, packbits, unpackbits."""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.argcheck import check_choice, index
from fx.numpy._promote import promote_args


def _integers(name, *xs):
    xs = promote_args(*xs)
    dtype = xs[0].dtype
    if not dtypes.is_integer(dtype) and not dtypes.is_bool(dtype):
        raise ValueError(f"fx.numpy.{name}: arguments must be integers, got {dtype}")
    return xs


def gcd(x1, x2):
    """The greatest common divisor of |x1| and |x2| (0 for two zeros), by Euclid's
    algorithm in a while loop that runs until every pair is done."""
    x1, x2 = _integers("gcd", x1, x2)
    a, b = jnp.abs(x1), jnp.abs(x2)

    def step(pair):
        a, b = pair
        done = b == 0
        return jnp.where(done, a, b), jnp.where(done, b, jnp.remainder(a, jnp.where(done, 1, b)))

    return lax.while_loop(lambda pair: jnp.any(pair[1] != 0), step, (a, b))[0]


def lcm(x1, x2):
    """The least common multiple of |x1| and |x2| (0 when either is 0)."""
    x1, x2 = _integers("lcm", x1, x2)
    g = gcd(x1, x2)
    return jnp.where(g == 0, 0, jnp.abs(x1 // jnp.where(g == 0, 1, g) * x2))


def bitwise_count(x, /):
    """The number of 1 bits in |x| (NumPy's and JAX's rule for signed integers), as uint8."""
    (x,) = promote_args(x)
    dtype = x.dtype
    if not dtypes.is_integer(dtype) and not dtypes.is_bool(dtype):
        raise TypeError(f"fx.numpy.bitwise_count: x must be integers or bools, got {dtype}")
    if dtypes.is_bool(dtype):
        return x.astype(np.uint8)
    # |INT_MIN| wraps to INT_MIN, whose two's complement has the one bit |INT_MIN| has
    return lax.population_count(jnp.abs(x) if dtype.kind == "i" else x).astype(np.uint8)


def _bit_weights(bitorder):
    check_choice(bitorder, ("big", "little"), "bitorder")
    weights = 1 << np.arange(8, dtype=np.uint8)
    return weights[::-1].copy() if bitorder == "big" else weights


def packbits(a, axis=None, bitorder="big"):
    """Groups of 8 truth values along `axis` (flattened if None) as uint8 bytes, the last
    group padded with zeros."""
    a = jnp.asarray(a)
    if not dtypes.is_integer(a.dtype) and not dtypes.is_bool(a.dtype):
        raise TypeError(f"fx.numpy.packbits: a must be integers or bools, got {a.dtype}")
    weights = _bit_weights(bitorder)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    bits = jnp.moveaxis((a != 0).astype(np.uint8), axis, -1)
    n = bits.shape[-1]
    bits = jnp.pad(bits, [(0, 0)] * (bits.ndim - 1) + [(0, -n % 8)])
    groups = bits.reshape(bits.shape[:-1] + (bits.shape[-1] // 8, 8))
    packed = jnp.sum(groups * weights, axis=-1, dtype=np.uint8)
    return jnp.moveaxis(packed, -1, axis)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """Each uint8 as its 8 bits along `axis` (flattened if None); `count` keeps the first
    count bits (or drops the last -count)."""
    a = jnp.asarray(a)
    if a.dtype != np.uint8:
        raise TypeError(f"fx.numpy.unpackbits: a must be uint8, got {a.dtype}")
    weights = _bit_weights(bitorder)
    if axis is None:
        a, axis = jnp.ravel(a), 0
    moved = jnp.moveaxis(a, axis, -1)
    bits = ((moved[..., None] & weights) != 0).astype(np.uint8)
    bits = bits.reshape(moved.shape[:-1] + (moved.shape[-1] * 8,))
    if count is not None:
        bits = bits[..., :index(count, "fx.numpy.unpackbits: count")]
    return jnp.moveaxis(bits, -1, axis)
