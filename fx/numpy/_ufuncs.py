"""Elementwise functions with NumPy's names: promotion and broadcasting, then one lax op."""
from __future__ import annotations

import numpy as np

from fx import dtypes, lax
from fx.core import get_aval
from fx.numpy._promote import (broadcast_arrays, promote_args, promote_args_inexact,
                               promote_dtypes)


def _binary(lax_op, inexact=False, name=None):
    promote = promote_args_inexact if inexact else promote_args

    def ufunc(x, y):
        return lax_op(*promote(x, y))
    ufunc.__name__ = name or lax_op.__name__
    return ufunc


def _unary(lax_op, inexact=False, name=None):
    promote = promote_args_inexact if inexact else promote_args

    def ufunc(x):
        return lax_op(*promote(x))
    ufunc.__name__ = name or lax_op.__name__
    return ufunc


add = _binary(lax.add, name="add")
subtract = _binary(lax.sub, name="subtract")
multiply = _binary(lax.mul, name="multiply")
true_divide = divide = _binary(lax.div, inexact=True, name="divide")
maximum = _binary(lax.max, name="maximum")
minimum = _binary(lax.min, name="minimum")
equal = _binary(lax.eq, name="equal")
not_equal = _binary(lax.ne, name="not_equal")
less = _binary(lax.lt, name="less")
less_equal = _binary(lax.le, name="less_equal")
greater = _binary(lax.gt, name="greater")
greater_equal = _binary(lax.ge, name="greater_equal")
logical_and = _binary(lambda x, y: lax.bitwise_and(_bool(x), _bool(y)), name="logical_and")
logical_or = _binary(lambda x, y: lax.bitwise_or(_bool(x), _bool(y)), name="logical_or")
logical_xor = _binary(lambda x, y: lax.bitwise_xor(_bool(x), _bool(y)), name="logical_xor")
bitwise_and = _binary(lax.bitwise_and, name="bitwise_and")
bitwise_or = _binary(lax.bitwise_or, name="bitwise_or")
bitwise_xor = _binary(lax.bitwise_xor, name="bitwise_xor")


def _bool(x):
    return lax.ne(x, lax.full_like(x, 0)) if get_aval(x).dtype != dtypes.bool_ else x


negative = _unary(lax.neg, name="negative")
absolute = abs = _unary(lax.abs, name="abs")
sign = _unary(lax.sign, name="sign")
exp = _unary(lax.exp, True, "exp")
exp2 = _unary(lax.exp2, True, "exp2")
log = _unary(lax.log, True, "log")
log1p = _unary(lax.log1p, True, "log1p")
expm1 = _unary(lax.expm1, True, "expm1")
sqrt = _unary(lax.sqrt, True, "sqrt")
tanh = _unary(lax.tanh, True, "tanh")
sin = _unary(lax.sin, True, "sin")
cos = _unary(lax.cos, True, "cos")
tan = _unary(lax.tan, True, "tan")
logical_not = _unary(lambda x: lax.bitwise_not(_bool(x)), name="logical_not")
bitwise_not = invert = _unary(lax.bitwise_not, name="invert")


def _float_only_or_identity(lax_op, name):
    def ufunc(x):
        (x,) = promote_args(x)
        return x if not dtypes.is_floating(get_aval(x).dtype) else lax_op(x)
    ufunc.__name__ = name
    return ufunc


floor = _float_only_or_identity(lax.floor, "floor")
ceil = _float_only_or_identity(lax.ceil, "ceil")
rint = _float_only_or_identity(lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), "rint")


def round(a, decimals=0):
    (a,) = promote_args(a)
    if not dtypes.is_floating(get_aval(a).dtype):
        return a
    if decimals == 0:
        return rint(a)
    factor = lax.full_like(a, 10.0 ** decimals)
    return lax.div(rint(lax.mul(a, factor)), factor)


def square(x):
    (x,) = promote_args(x)
    return lax.integer_pow(x, 2)


def reciprocal(x):
    (x,) = promote_args_inexact(x)
    return lax.div(lax.full_like(x, 1), x)


def power(x, y):
    """x ** y: integer exponents that are Python ints use integer_pow (exact, cheap)."""
    if isinstance(y, int) and not isinstance(y, bool):
        (x,) = promote_args(x)
        if y >= 0 or dtypes.is_floating(get_aval(x).dtype):
            return lax.integer_pow(x, y)
    x, y = promote_args(x, y)
    if dtypes.is_floating(get_aval(x).dtype):
        return lax.pow(x, y)
    return _integer_power(x, y)


def _integer_power(x, y):
    """Integer x ** y for traced integer y: binary exponentiation over the bits of y."""
    bits = np.iinfo(get_aval(y).dtype).bits
    acc = lax.full_like(x, 1)
    for _ in range(bits):
        odd = lax.ne(lax.bitwise_and(y, lax.full_like(y, 1)), lax.full_like(y, 0))
        acc = lax.select(odd, lax.mul(acc, x), acc)
        x = lax.mul(x, x)
        y = lax.div(y, lax.full_like(y, 2))
    return acc


def floor_divide(x, y):
    x, y = promote_args(x, y)
    if dtypes.is_floating(get_aval(x).dtype):
        return lax.floor(lax.div(x, y))
    q = lax.div(x, y)  # rounds toward zero; step down where the signs differ and it was inexact
    fix = lax.bitwise_and(lax.ne(lax.lt(x, lax.full_like(x, 0)), lax.lt(y, lax.full_like(y, 0))),
                          lax.ne(lax.rem(x, y), lax.full_like(x, 0)))
    return lax.select(fix, lax.sub(q, lax.full_like(q, 1)), q)


def remainder(x, y):
    """x mod y with the sign of y (NumPy's %)."""
    x, y = promote_args(x, y)
    r = lax.rem(x, y)
    zero = lax.full_like(r, 0)
    fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zero)))
    return lax.select(fix, lax.add(r, y), r)


mod = remainder


def where(condition, x=None, y=None):
    """Elementwise choice (jnp.where); the one-argument form is not traceable, as in JAX."""
    if x is None or y is None:
        raise ValueError("fx.numpy.where needs three arguments under fx: the one-argument form has "
                         "a data-dependent shape (use jnp.nonzero with size=...)")
    x, y = promote_dtypes(x, y)
    condition, x, y = broadcast_arrays(condition, x, y)
    return lax.select(_bool(condition), x, y)


def clip(a, a_min=None, a_max=None):
    if a_min is not None:
        a = maximum(a, a_min)
    if a_max is not None:
        a = minimum(a, a_max)
    return a


def isnan(x):
    (x,) = promote_args(x)
    return lax.ne(x, x)
