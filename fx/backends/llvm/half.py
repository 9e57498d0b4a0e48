"""float16 and bfloat16 in native code: stored as 16 bits, computed in float32.

A 16-bit float is loaded into a float32 (exactly: both formats are subsets of float32)
and every operation on it runs in float32. With excess precision (the program's
`excess_precision`, from config.allow_excess_precision) a result stays in float32 until
it is stored or converted, which round it once: a fused chain of ops is as fast as in
float32 on half the bytes. Without, every op rounds its result back to the 16-bit format,
as XLA does on the CPU (it keeps a convert pair around every bfloat16 operation of a
fusion), so a fused kernel gives the bits of the same ops run one at a time; ops exact on
16-bit values (EXACT_OPS) skip that rounding. Rounding is to nearest, ties to even, with
subnormals kept and NaN kept a (quiet) NaN of the same sign, as in NumPy and ml_dtypes.
Reductions accumulate in float32 and round once at the end.

float16 uses the F16C instructions (vcvtph2ps / vcvtps2ph) where the host has them,
through LLVM's `half` type, and integer code otherwise: without F16C, LLVM would lower
`half` conversions to compiler-rt calls that fx's JIT does not link. bfloat16 always
uses integer code (four vectorisable integer operations per value): the AVX-512 BF16
instruction vcvtneps2bf16 flushes subnormals to zero, which ml_dtypes and JAX do not.
"""
from __future__ import annotations

import functools

import numpy as np
from llvmlite import ir

from fx import dtypes
from fx.backends.llvm import mathlib

I16, I32 = ir.IntType(16), ir.IntType(32)
F32, F64 = ir.FloatType(), ir.DoubleType()
HALF = ir.HalfType()

HALF_FLOATS = (dtypes.float16, dtypes.bfloat16)
# scalar ops whose float32 result is a 16-bit value when their operands are (convert
# rounds by itself)
EXACT_OPS = frozenset({"select", "neg", "abs", "max", "min", "sign", "floor", "ceil", "round_even",
                       "round_away", "convert"})


def is_half(dtype):
    return np.dtype(dtype) in HALF_FLOATS


@functools.cache
def native_float16():
    """Whether the host converts float16 in hardware (F16C, on every AVX2-era x86)."""
    import llvmlite.binding as llvm
    return bool(llvm.get_host_cpu_features().get("f16c", False))


def _i32(v):
    return ir.Constant(I32, v)


# ---------------------------------------------------------------------------- loading

def widen(b, bits, dtype, native=None):
    """The float32 value of 16 bits `bits` (an i16) holding a `dtype`."""
    if np.dtype(dtype) == dtypes.bfloat16:
        return b.bitcast(b.shl(b.zext(bits, I32), _i32(16)), F32)
    if native_float16() if native is None else native:
        return b.fpext(b.bitcast(bits, HALF), F32)
    return float16_to_float32(b, bits)


def float16_to_float32(b, h):
    """Integer float16 -> float32: move the exponent and mantissa into place and rebias;
    infinities and NaN take the maximum exponent, subnormals are renormalised by one
    float subtraction (exact)."""
    h = b.zext(h, I32)
    shifted = b.shl(b.and_(h, _i32(0x7FFF)), _i32(13))
    exponent = b.and_(shifted, _i32(0x7C00 << 13))
    normal = b.add(shifted, _i32((127 - 15) << 23))
    inf_or_nan = b.add(normal, _i32((128 - 16) << 23))
    # a subnormal m * 2**-24: add 2**-14's exponent and subtract 2**-14
    subnormal = b.fsub(b.bitcast(b.add(normal, _i32(1 << 23)), F32), ir.Constant(F32, 2.0 ** -14))
    magnitude = b.select(b.icmp_unsigned("==", exponent, _i32(0x7C00 << 13)), inf_or_nan, normal)
    magnitude = b.select(b.icmp_unsigned("==", exponent, _i32(0)), b.bitcast(subnormal, I32), magnitude)
    sign = b.shl(b.and_(h, _i32(0x8000)), _i32(16))
    return b.bitcast(b.or_(magnitude, sign), F32)


# ---------------------------------------------------------------------------- storing

def narrow(b, value, dtype, native=None):
    """The 16 bits (an i16) of the float32 `value` rounded to `dtype`."""
    if np.dtype(dtype) == dtypes.bfloat16:
        return float32_to_bfloat16(b, value)
    if native_float16() if native is None else native:
        return b.bitcast(b.fptrunc(value, HALF), I16)
    return float32_to_float16(b, value)


def float32_to_bfloat16(b, value):
    """Round to nearest even by adding 0x7FFF plus the kept part's lowest bit and dropping
    the low 16 bits; a NaN keeps its sign and top mantissa bits and is made quiet."""
    bits = b.bitcast(value, I32)
    odd = b.and_(b.lshr(bits, _i32(16)), _i32(1))
    rounded = b.lshr(b.add(bits, b.add(_i32(0x7FFF), odd)), _i32(16))
    nan = b.or_(b.lshr(bits, _i32(16)), _i32(0x40))
    return b.trunc(b.select(b.fcmp_unordered("uno", value, value), nan, rounded), I16)


def float32_to_float16(b, value):
    """Integer float32 -> float16, round to nearest even. Normal results round by integer
    addition on the bits; subnormal ones by a float addition that aligns the mantissa
    (the FPU rounds it); overflow gives infinity, NaN a quiet NaN."""
    bits = b.bitcast(value, I32)
    sign = b.and_(bits, _i32(0x80000000))
    magnitude = b.xor(bits, sign)
    # normal: rebias, then add 0xFFF plus the kept part's lowest bit, drop 13 bits
    odd = b.and_(b.lshr(magnitude, _i32(13)), _i32(1))
    normal = b.lshr(b.add(b.add(magnitude, _i32(((15 - 127) << 23) + 0xFFF)), odd), _i32(13))
    # subnormal or zero: 0.5 (exponent 126) aligns the mantissa to float16's 2**-24 steps
    aligned = b.fadd(b.bitcast(magnitude, F32), ir.Constant(F32, 0.5))
    subnormal = b.sub(b.bitcast(aligned, I32), _i32(126 << 23))
    nan = b.or_(_i32(0x7E00), b.and_(b.lshr(magnitude, _i32(13)), _i32(0x3FF)))
    overflow = b.select(b.icmp_unsigned(">", magnitude, _i32(0x7F800000)), nan, _i32(0x7C00))
    result = b.select(b.icmp_unsigned("<", magnitude, _i32(113 << 23)), subnormal, normal)
    result = b.select(b.icmp_unsigned(">=", magnitude, _i32((127 + 16) << 23)), overflow, result)
    return b.trunc(b.or_(result, b.lshr(sign, _i32(16))), I16)


# ---------------------------------------------------------------------------- rounding

def round_to(b, value, dtype):
    """A float32 `value` rounded to the 16-bit `dtype`, as a float32."""
    if np.dtype(dtype) == dtypes.bfloat16:
        # float32_to_bfloat16 without leaving 32 bits: clear the low half instead of
        # shifting it out and back in
        bits = b.bitcast(value, I32)
        odd = b.and_(b.lshr(bits, _i32(16)), _i32(1))
        rounded = b.add(bits, b.add(_i32(0x7FFF), odd))
        nan = b.or_(bits, _i32(0x400000))
        chosen = b.select(b.fcmp_unordered("uno", value, value), nan, rounded)
        return b.bitcast(b.and_(chosen, _i32(-65536)), F32)
    return widen(b, narrow(b, value, dtype), dtype)


def float64_to_float32_odd(b, value):
    """float64 -> float32 rounded to odd: truncate, and set the last bit when inexact. A
    second rounding (to 16 bits) of a value rounded to odd with more than two extra bits
    is then correct, where rounding to nearest twice is not."""
    nearest = b.fptrunc(value, F32)
    bits = b.bitcast(nearest, I32)
    inexact = b.fcmp_ordered("!=", b.fpext(nearest, F64), value)
    even = b.icmp_unsigned("==", b.and_(bits, _i32(1)), _i32(0))
    # nearest's magnitude went past value's: step back one unit, else forward one
    f64 = mathlib._Emitter(b, F64)
    overshot = b.fcmp_ordered(">", f64.abs(b.fpext(nearest, F64)), f64.abs(value))
    odd = b.select(overshot, b.sub(bits, _i32(1)), b.add(bits, _i32(1)))
    return b.bitcast(b.select(b.and_(inexact, even), odd, bits), F32)

