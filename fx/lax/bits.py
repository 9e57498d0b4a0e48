"""Primitives on the bits of numbers: `bitcast_convert_type` (reinterpret the bits as
another type of the same width) and `reduce_precision` (round a float to fewer exponent
and mantissa bits while keeping its type, as XLA does: the way to emulate bfloat16 or
float8 arithmetic in float32).

reduce_precision is written once, with lax operations on the bits; its impl runs them
eagerly and its lowering inlines their jaxpr, so both backends compute the same thing.
As in JAX it is linear for differentiation (its JVP rounds the tangent too, and it is its
own transpose), so gradients flow through emulated low precision.
"""
from __future__ import annotations

import numpy as np

from fx import dtypes
from fx.core import Primitive, ShapedArray
from fx.lax.examples import example, randn
from fx.transforms.batching import broadcast_batcher
from fx.transforms.call import lowered_as
from fx.transforms.jvp import deflinear, defjvp_zero

# ---------------------------------------------------------------------------- bitcast

bitcast_convert_type_p = Primitive("bitcast_convert_type")


def _bitcast_aval(x, *, new_dtype):
    new_dtype = np.dtype(new_dtype)
    if dtypes.is_bool(x.dtype) or dtypes.is_bool(new_dtype):
        raise TypeError(f"bitcast_convert_type does not convert bools (got {x.str_short()} to "
                        f"{new_dtype.name})")
    if x.dtype.itemsize != new_dtype.itemsize:
        raise TypeError(f"bitcast_convert_type needs types of one width: {x.dtype.name} has "
                        f"{8 * x.dtype.itemsize} bits, {new_dtype.name} {8 * new_dtype.itemsize} "
                        "(bitcasts that change the shape are not supported yet)")
    return ShapedArray(x.shape, new_dtype)


bitcast_convert_type_p.impl = lambda x, *, new_dtype: np.asarray(x).view(new_dtype)
bitcast_convert_type_p.abstract_eval = _bitcast_aval
defjvp_zero(bitcast_convert_type_p)
broadcast_batcher(bitcast_convert_type_p)
bitcast_convert_type_p.lower = lambda ctx, x, *, new_dtype: ctx.elementwise("bitcast", [x], new_dtype)


def bitcast_convert_type(operand, new_dtype):
    """The bits of `operand` read as `new_dtype`, a type of the same width."""
    from fx.lax.ops import _as_operand
    return bitcast_convert_type_p.bind(_as_operand(operand), new_dtype=dtypes.canonicalize_dtype(new_dtype))


example(bitcast_convert_type_p, np.array([1.0, -0.0, np.inf, 3.5e-40], np.float32),
        params=dict(new_dtype=np.dtype(np.int32)), reference=lambda x, new_dtype: x.view(new_dtype),
        name="float32_to_int32")
example(bitcast_convert_type_p, np.array([0, -1, 0x3F800000, 0x7FC00000], np.int32),
        params=dict(new_dtype=np.dtype(np.float32)), reference=lambda x, new_dtype: x.view(new_dtype),
        name="int32_to_float32")


# ---------------------------------------------------------------------------- reduce_precision

reduce_precision_p = Primitive("reduce_precision")


def _reduce_precision_aval(x, *, exponent_bits, mantissa_bits):
    if not dtypes.is_floating(x.dtype):
        raise TypeError(f"reduce_precision requires a floating operand, got {x.str_short()}")
    if exponent_bits < 1 or mantissa_bits < 0:
        raise ValueError(f"reduce_precision needs exponent_bits >= 1 and mantissa_bits >= 0, got "
                         f"{exponent_bits} and {mantissa_bits}")
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _on_bits(x, exponent_bits, mantissa_bits):
    """XLA's algorithm on the bits of x (float32 or float64; 16-bit floats go through
    float32, exactly): round the mantissa to nearest even, then send what the narrower
    exponent cannot hold to ±inf (too large) or ±0 (too small, subnormals included).
    NaN stays NaN unless no mantissa bits are left."""
    from fx import lax
    narrow = dtypes.is_16bit_float(x.dtype)
    wide = lax.convert_element_type(x, dtypes.float32) if narrow else x
    info = dtypes.finfo(wide.dtype)
    uint = dtypes.uint32 if info.bits == 32 else dtypes.uint64
    nexp, nmant = info.nexp, info.nmant

    def const(v):
        return lax.full_like(bits, v)
    bits = lax.bitcast_convert_type(wide, uint)
    if mantissa_bits < nmant:
        dropped = nmant - mantissa_bits
        last_kept = lax.bitwise_and(lax.shift_right_logical(bits, const(dropped)), const(1))
        bits = lax.add(bits, lax.add(const((1 << (dropped - 1)) - 1), last_kept))
        bits = lax.bitwise_and(bits, const(~((1 << dropped) - 1) & ((1 << info.bits) - 1)))
    if exponent_bits < nexp:
        sign = lax.bitwise_and(bits, const(1 << (info.bits - 1)))
        exponent = lax.bitwise_and(bits, const(((1 << nexp) - 1) << nmant))
        bias, reduced_max = (1 << (nexp - 1)) - 1, (1 << (exponent_bits - 1)) - 1
        overflow = lax.gt(exponent, const((bias + reduced_max) << nmant))
        underflow = lax.le(exponent, const((bias - reduced_max) << nmant))
        infinity = lax.bitwise_or(sign, const(((1 << nexp) - 1) << nmant))
        bits = lax.select(overflow, infinity, lax.select(underflow, sign, bits))
    out = lax.bitcast_convert_type(bits, wide.dtype)
    # NaN's mantissa rounding may carry anywhere: NaN stays NaN, or with no mantissa bits
    # to hold one, becomes an infinity of its sign
    nan = lax.ne(wide, wide)
    if mantissa_bits == 0:
        wide = lax.select(lax.lt(lax.bitcast_convert_type(wide, _signed(uint)), lax.full_like(bits, 0, _signed(uint))),
                          lax.full_like(wide, -np.inf), lax.full_like(wide, np.inf))
    out = lax.select(nan, wide, out)
    return lax.convert_element_type(out, x.dtype) if narrow else out


def _signed(uint):
    return dtypes.int32 if uint == dtypes.uint32 else dtypes.int64


reduce_precision_p.impl = lambda x, **p: np.asarray(_on_bits(x, **p))
reduce_precision_p.abstract_eval = _reduce_precision_aval
deflinear(reduce_precision_p, lambda ct, x, **p: [reduce_precision_p.bind(ct, **p)])
broadcast_batcher(reduce_precision_p)
reduce_precision_p.lower = lowered_as(_on_bits, "reduce_precision")


def reduce_precision(operand, exponent_bits, mantissa_bits):
    """`operand` rounded to a float of `exponent_bits` and `mantissa_bits` bits (to nearest
    even; overflow to ±inf, underflow to ±0), keeping its dtype: (8, 7) is bfloat16's
    rounding, (5, 10) float16's (without its subnormals), (4, 3) float8_e4m3's range aside."""
    from fx.lax.ops import _as_operand
    return reduce_precision_p.bind(_as_operand(operand), exponent_bits=int(exponent_bits),
                                   mantissa_bits=int(mantissa_bits))


def _reduce_precision_reference(x, *, exponent_bits, mantissa_bits):
    """The oracle: NumPy's own float16 (5, 10) and ml_dtypes' bfloat16 (8, 7), where the
    result is normal (reduce_precision flushes subnormals)."""
    narrow = {(8, 7): dtypes.bfloat16, (5, 10): dtypes.float16}[exponent_bits, mantissa_bits]
    return x.astype(narrow).astype(x.dtype)


# Piecewise constant, so no finite-difference JVP check (diff_argnums=()), and linear
# only up to rounding, so no dot-product transpose check (tests/lax/test_bits.py checks
# both rules exactly), except at float64's own precision, where it is the identity.
example(reduce_precision_p, randn(3, 4, seed=41), params=dict(exponent_bits=11, mantissa_bits=52),
        reference=lambda x, **_: x, linear_argnums=(0,), name="identity")
for _bits in [(8, 7), (5, 10)]:
    example(reduce_precision_p, randn(3, 4, seed=40) * 100,
            params=dict(exponent_bits=_bits[0], mantissa_bits=_bits[1]),
            reference=_reduce_precision_reference, diff_argnums=(), name=f"e{_bits[0]}m{_bits[1]}")
