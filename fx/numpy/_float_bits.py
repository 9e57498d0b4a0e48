"""Functions of a float's representation: frexp, ldexp, nextafter, spacing.

They read and build the sign, exponent and mantissa fields with bitcasts and integer
arithmetic (exact, and correct for subnormals, zeros, infinities and NaN). Values that
carry a derivative (frexp's mantissa, ldexp's result) are products of the input with
exact powers of two, so they differentiate like the multiplication they are.
"""
from __future__ import annotations

import numpy as np

from fx import dtypes, lax
from fx.core import get_aval
from fx.numpy._promote import promote_args_inexact, promote_dtypes_inexact, broadcast_arrays, _operand


def _layout(dtype):
    """(mantissa bits, exponent bias, exponent field mask, the same-width int dtype)."""
    info = dtypes.finfo(dtype)
    exponent_bits = dtype.itemsize * 8 - 1 - info.nmant
    return info.nmant, (1 << (exponent_bits - 1)) - 1, (1 << exponent_bits) - 1, \
        np.dtype(f"i{dtype.itemsize}")


def _real_float(x, name):
    (x,) = promote_args_inexact(x)
    if dtypes.is_complex(get_aval(x).dtype):
        raise TypeError(f"fx.numpy.{name} needs real numbers, got {get_aval(x).str_short()}")
    return x


def _power_of_two(k, dtype):
    """2**k for int arrays k within the normal exponents of `dtype`, built from its bits."""
    nmant, bias, _, int_dtype = _layout(dtype)
    k = lax.convert_element_type(k, int_dtype)
    field = lax.shift_left(lax.add(k, lax.full_like(k, bias)), lax.full_like(k, nmant))
    return lax.bitcast_convert_type(field, dtype)


def ldexp(x1, x2, /):
    """x1 * 2**x2 for integer x2, exact, overflowing to inf and underflowing through the
    subnormals as the true product does. The power is applied in three factors, each a
    normal float, so that no intermediate power of two overflows."""
    x2 = _operand(x2)
    if not dtypes.is_integer(dtypes.result_type(x2)):
        raise ValueError(f"fx.numpy.ldexp: the exponent x2 must be an integer array, got "
                         f"{dtypes.result_type(x2)}")
    (x1,) = promote_dtypes_inexact(x1)
    x1, x2 = broadcast_arrays(x1, x2)
    if dtypes.is_complex(get_aval(x1).dtype):
        raise TypeError(f"fx.numpy.ldexp needs a real x1, got {get_aval(x1).str_short()}")
    dtype = get_aval(x1).dtype
    nmant, bias, _, int_dtype = _layout(dtype)
    limit = 2 * bias + nmant + 1  # beyond it every finite nonzero x1 overflows or vanishes
    n = lax.convert_element_type(x2, dtypes.default_int_dtype())
    n = lax.clamp(lax.full_like(n, -limit), n, lax.full_like(n, limit))
    n = lax.convert_element_type(n, int_dtype)
    third = lax.div(n, lax.full_like(n, 3))
    out = x1
    for part in (third, third, lax.sub(n, lax.add(third, third))):
        out = lax.mul(out, _power_of_two(part, dtype))
    return out


def frexp(x, /):
    """(mantissa, exponent) with x = mantissa * 2**exponent and 0.5 <= |mantissa| < 1;
    (x, 0) for zeros, infinities and NaN, as NumPy and JAX."""
    x = _real_float(x, "frexp")
    dtype = get_aval(x).dtype
    nmant, bias, mask, int_dtype = _layout(dtype)
    # subnormals are scaled up by 2**(nmant + 1) first, so their exponent field is read
    subnormal = lax.lt(lax.abs(x), lax.full_like(x, float(dtypes.finfo(dtype).tiny)))
    scaled = lax.select(subnormal, lax.mul(x, lax.full_like(x, 2.0 ** (nmant + 1))), x)
    bits = lax.bitcast_convert_type(scaled, int_dtype)
    field = lax.bitwise_and(lax.shift_right_logical(bits, lax.full_like(bits, nmant)),
                            lax.full_like(bits, mask))
    exponent = lax.sub(field, lax.full_like(field, bias - 1))
    exponent = lax.select(subnormal, lax.sub(exponent, lax.full_like(exponent, nmant + 1)), exponent)
    special = lax.bitwise_or(lax.eq(x, lax.full_like(x, 0)), lax.bitwise_not(lax.is_finite(x)))
    exponent = lax.select(special, lax.full_like(exponent, 0), exponent)
    mantissa = ldexp(x, lax.neg(exponent))
    return mantissa, lax.convert_element_type(exponent, np.int32)


def nextafter(x, y, /):
    """The next representable float after x in the direction of y (y when they are equal;
    NaN if either is): lax.nextafter after NumPy's promotion."""
    x, y = promote_args_inexact(x, y)
    if dtypes.is_complex(get_aval(x).dtype):
        raise TypeError(f"fx.numpy.nextafter needs real numbers, got {get_aval(x).str_short()}")
    return lax.nextafter(x, y)


def spacing(x, /):
    """The distance from x to the next float away from zero (negative for negative x)."""
    x = _real_float(x, "spacing")
    away = lax.select(lax.lt(x, lax.full_like(x, 0)), lax.full_like(x, -np.inf), lax.full_like(x, np.inf))
    return lax.sub(nextafter(x, away), x)
