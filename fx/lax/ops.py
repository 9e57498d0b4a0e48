"""The user-facing lax wrappers: check and convert operands, then bind a primitive.

Kept apart from fx/lax/__init__.py so that the package only re-exports, and so that lax's
own modules can import these helpers (`_as_operand`, `_convert_weak`) without importing the
package that re-exports them.
"""
from __future__ import annotations

import builtins
import enum

import numpy as np

from fx import dtypes, tree_util
from fx.array import ArrayImpl
from fx.core import Tracer, get_aval
from fx.argcheck import canonicalize_shape as _canonicalize_shape, index as _index, describe
from fx.argcheck import scalar_value as _scalar_value
from fx.lax.elementwise import (ROUND_AWAY_FROM_ZERO, ROUND_TO_NEAREST_EVEN, abs_p, acos_p, acosh_p,
                                add_p, and_p, asin_p, asinh_p, atan2_p, atan_p, atanh_p, cbrt_p,
                                ceil_p, convert_element_type_p, cos_p, cosh_p, div_p, eq_p, erf_p,
                                exp2_p, exp_p, expm1_p, floor_p, ge_p, gt_p, integer_pow_p,
                                is_finite_p, le_p, log1p_p, log_p, logistic_p, lt_p, max_p, min_p,
                                mul_p, ne_p, neg_p, not_p, or_p, pow_p, rem_p, round_p, rsqrt_p,
                                select_n_p, shift_left_p, shift_right_arithmetic_p,
                                shift_right_logical_p, sign_p, sin_p, sinh_p, sqrt_p, square_p,
                                stop_gradient_p, sub_p, tan_p, tanh_p, xor_p)
from fx.lax.shape import broadcast_in_dim, reshape as _reshape, transpose


class RoundingMethod(enum.IntEnum):
    """lax.round's rounding (JAX's enum; the primitive takes its int value)."""
    AWAY_FROM_ZERO = ROUND_AWAY_FROM_ZERO
    TO_NEAREST_EVEN = ROUND_TO_NEAREST_EVEN


def _is_python_scalar(x):
    return isinstance(x, (bool, int, float, complex))


def _const(value, dtype, weak_type=False):
    """A concrete scalar of `dtype` (inlined as a literal when staged)."""
    value = _scalar_value(value, dtype, "a scalar argument")
    return ArrayImpl._wrap(value, get_aval(value).update(dtype=dtype, weak_type=weak_type))


def _as_operand(x, like=None):
    if _is_python_scalar(x):
        if like is not None:
            like_aval = get_aval(like)
            return _const(x, like_aval.dtype, like_aval.weak_type)
        aval = get_aval(x)
        return _const(x, aval.dtype, aval.weak_type)
    if isinstance(x, (ArrayImpl, Tracer)):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return ArrayImpl(np.asarray(x, get_aval(x).dtype))
    raise TypeError(f"fx.lax expected an array or a Python scalar, got {describe(x)}")


def _operands(*xs):
    """Scalars adopt the dtype of the array operands; 0-d operands broadcast."""
    like = next((x for x in xs if not _is_python_scalar(x)), None)
    xs = [_as_operand(x, like) for x in xs]
    shapes = {get_aval(x).shape for x in xs}
    if len(shapes) > 1:
        full = builtins.max(shapes, key=len)  # this module defines lax.max
        if any(s not in ((), full) for s in shapes):
            raise TypeError(f"lax operands must have equal shapes (or be scalars), got "
                            f"{[get_aval(x).str_short() for x in xs]}")
        xs = [broadcast_in_dim(x, full, ()) if get_aval(x).shape == () else x for x in xs]
    return xs


def _binary(prim):
    def op(x, y):
        return prim.bind(*_operands(x, y))
    op.__name__ = prim.name
    op.primitive = prim   # for callers that have already checked their operands
    op.__doc__ = f"Elementwise {prim.name} (the `{prim.name}` primitive)."
    return op


def _unary(prim):
    def op(x):
        return prim.bind(_as_operand(x))
    op.__name__ = prim.name
    op.__doc__ = f"Elementwise {prim.name} (the `{prim.name}` primitive)."
    return op


add, sub, mul, div, rem, pow = map(_binary, [add_p, sub_p, mul_p, div_p, rem_p, pow_p])
max, min = _binary(max_p), _binary(min_p)
eq, ne, lt, le, gt, ge = map(_binary, [eq_p, ne_p, lt_p, le_p, gt_p, ge_p])
bitwise_and, bitwise_or, bitwise_xor = map(_binary, [and_p, or_p, xor_p])
bitwise_not = _unary(not_p)
shift_left, shift_right_logical, shift_right_arithmetic = map(
    _binary, [shift_left_p, shift_right_logical_p, shift_right_arithmetic_p])
neg, abs, sign, floor, ceil = map(_unary, [neg_p, abs_p, sign_p, floor_p, ceil_p])
exp, exp2, log, log1p, expm1 = map(_unary, [exp_p, exp2_p, log_p, log1p_p, expm1_p])
sqrt, rsqrt, tanh, logistic = map(_unary, [sqrt_p, rsqrt_p, tanh_p, logistic_p])
sin, cos, tan, erf = map(_unary, [sin_p, cos_p, tan_p, erf_p])
asin, acos, atan, atan2 = _unary(asin_p), _unary(acos_p), _unary(atan_p), _binary(atan2_p)
sinh, cosh, asinh, acosh, atanh = map(_unary, [sinh_p, cosh_p, asinh_p, acosh_p, atanh_p])
cbrt, is_finite, square = map(_unary, [cbrt_p, is_finite_p, square_p])


def clamp(min, x, max):
    """x limited to [min, max] elementwise (JAX's lax.clamp): `min` and `max` are scalars
    or of x's shape and dtype. Complex numbers order lexicographically, as in max and min
    (XLA's CPU clamp compares only their real parts)."""
    low, operand, high = _operands(min, x, max)
    return min_p.bind(max_p.bind(operand, low), high)


def integer_pow(x, y: int):
    return integer_pow_p.bind(_as_operand(x), y=_index(y, "integer_pow exponent"))


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):
    return round_p.bind(_as_operand(x), rounding_method=_index(rounding_method, "rounding_method"))


def select_n(which, *cases):
    cases = _operands(*cases)
    return select_n_p.bind(_as_operand(which), *cases)


def select(pred, on_true, on_false):
    """on_true where pred, else on_false (JAX's lax.select)."""
    return select_n(pred, on_false, on_true)


def convert_element_type(operand, new_dtype):
    new_dtype = dtypes.canonicalize_dtype(new_dtype)
    operand = _as_operand(operand)
    aval = get_aval(operand)
    if aval.dtype == new_dtype and not aval.weak_type:
        return operand
    return convert_element_type_p.bind(operand, new_dtype=new_dtype, weak_type=False)


def _convert_weak(x, new_dtype, weak_type):
    """Convert keeping a weak type (what jnp's promotion of Python scalars needs)."""
    x = _as_operand(x)
    aval = get_aval(x)
    if aval.dtype == new_dtype and aval.weak_type == weak_type:
        return x
    if not isinstance(x, Tracer):
        return ArrayImpl._wrap(np.asarray(x, new_dtype), aval.update(dtype=new_dtype, weak_type=weak_type))
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)


def stop_gradient(x):
    return tree_util.tree_map(lambda leaf: stop_gradient_p.bind(_as_operand(leaf)), x)


def reshape(operand, new_sizes, dimensions=None):
    operand = _as_operand(operand)
    if dimensions is not None:
        operand = transpose(operand, dimensions)
    new_sizes = _canonicalize_shape(new_sizes, "reshape new_sizes")
    if new_sizes == get_aval(operand).shape:
        return operand
    return _reshape(operand, new_sizes)


def broadcast(operand, sizes):
    """Add leading axes of the given sizes."""
    operand = _as_operand(operand)
    ndim = get_aval(operand).ndim
    sizes = _canonicalize_shape(sizes, "broadcast sizes")
    return broadcast_in_dim(operand, sizes + get_aval(operand).shape,
                            tuple(range(len(sizes), len(sizes) + ndim)))


def full(shape, fill_value, dtype=None):
    """An array of `shape` filled with `fill_value` (JAX's lax.full)."""
    shape = _canonicalize_shape(shape)
    weak = dtype is None and dtypes.is_weakly_typed(fill_value)
    dtype = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.dtype_of(fill_value)
    if isinstance(fill_value, Tracer):
        scalar = _convert_weak(fill_value, dtype, weak)
    else:
        scalar = _const(np.asarray(fill_value), dtype, weak)
    return scalar if shape == () else broadcast_in_dim(scalar, shape, ())


def full_like(x, fill_value, dtype=None, shape=None):
    aval = get_aval(x)
    weak = dtype is None and aval.weak_type
    dtype = aval.dtype if dtype is None else dtypes.canonicalize_dtype(dtype)
    out = full(aval.shape if shape is None else shape, fill_value, dtype)
    return _convert_weak(out, dtype, weak) if weak else out


def zeros_like_array(x):
    return full_like(x, 0)
