"""Elementwise functions with NumPy's names: promotion and broadcasting, then one lax op."""
from __future__ import annotations

import functools

import numpy as np

from fx import dtypes, lax
from fx.array import Array
from fx.core import get_aval
from fx.argcheck import index
from fx.numpy._reductions import _check_out
from fx.numpy._promote import (broadcast_arrays, promote_args, promote_args_inexact, promote_args_numeric,
                               promote_dtypes)
from fx.transforms.custom import custom_jvp


def _binary(lax_op, inexact=False, name=None, ordered=False, on_bools=None):
    """NumPy's `name` from a binary lax op. An `ordered` one (a comparison) compares
    complex numbers lexicographically, and `on_bools` (if given) computes it for two
    bools, as jax.numpy does (lax neither orders complex numbers nor adds bools)."""
    promote = promote_args_inexact if inexact else promote_args
    prim = getattr(lax_op, "primitive", None)
    # dtype kinds that op_for sends elsewhere (checked on the fast path without a call)
    special_kinds = ("c" if ordered else "") + ("b" if on_bools is not None else "")

    def op_for(dtype):
        if ordered and dtypes.is_complex(dtype):
            return functools.partial(_lexicographic, lax_op)
        return on_bools if on_bools is not None and dtypes.is_bool(dtype) else lax_op

    def ufunc(x, y, /):
        # Fast path: two fx arrays of one type (shape, dtype, weak type) need neither
        # promotion nor broadcasting; eager code (optimizer updates) is mostly this.
        if prim is not None and isinstance(x, Array) and isinstance(y, Array) and x.aval == y.aval and (
                dtypes.is_floating(x.aval.dtype) if inexact else x.aval.dtype.kind not in special_kinds):
            return prim.bind(x, y)
        # ... and a float array with a Python number keeps the array's dtype (the number
        # is weakly typed): lax turns the number into a scalar of that dtype.
        if prim is not None and (_float_array_and_number(x, y) or _float_array_and_number(y, x)):
            return lax_op(x, y)
        x, y = promote(x, y, name=ufunc.__name__)
        return op_for(get_aval(x).dtype)(x, y)
    ufunc.__name__ = name or lax_op.__name__
    return ufunc


def _lexicographic(compare, x, y):
    x_re, y_re = lax.real(x), lax.real(y)
    return lax.select(lax.eq(x_re, y_re), compare(lax.imag(x), lax.imag(y)), compare(x_re, y_re))


def _float_array_and_number(a, b):
    return isinstance(a, Array) and type(b) in (int, float) and dtypes.is_floating(a.aval.dtype)


def _unary(lax_op, inexact=False, name=None):
    promote = promote_args_inexact if inexact else promote_args

    def ufunc(x, /):
        return lax_op(*promote(x))
    ufunc.__name__ = name or lax_op.__name__
    return ufunc


add = _binary(lax.add, name="add", on_bools=lax.bitwise_or)
subtract = _binary(lax.sub, name="subtract")
multiply = _binary(lax.mul, name="multiply", on_bools=lax.bitwise_and)
true_divide = divide = _binary(lax.div, inexact=True, name="divide")
maximum = _binary(lax.max, name="maximum")
minimum = _binary(lax.min, name="minimum")
equal = _binary(lax.eq, name="equal")
not_equal = _binary(lax.ne, name="not_equal")
less = _binary(lax.lt, name="less", ordered=True)
less_equal = _binary(lax.le, name="less_equal", ordered=True)
greater = _binary(lax.gt, name="greater", ordered=True)
greater_equal = _binary(lax.ge, name="greater_equal", ordered=True)
logical_and = _binary(lambda x, y: lax.bitwise_and(_bool(x), _bool(y)), name="logical_and")
logical_or = _binary(lambda x, y: lax.bitwise_or(_bool(x), _bool(y)), name="logical_or")
logical_xor = _binary(lambda x, y: lax.bitwise_xor(_bool(x), _bool(y)), name="logical_xor")
bitwise_and = _binary(lax.bitwise_and, name="bitwise_and")
bitwise_or = _binary(lax.bitwise_or, name="bitwise_or")
bitwise_xor = _binary(lax.bitwise_xor, name="bitwise_xor")


def _bool(x):
    return lax.ne(x, lax.full_like(x, 0)) if get_aval(x).dtype != dtypes.bool_ else x


negative = _unary(lax.neg, name="negative")
absolute = abs = _unary(lambda x: x if dtypes.is_bool(get_aval(x).dtype) else lax.abs(x), name="abs")
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


def _float_only_or_identity(lax_op, name, on_parts=False):
    """lax_op on floats, the identity on integers; on complex numbers lax_op of each part
    (on_parts) or, as in JAX, a TypeError."""
    def ufunc(x, /):
        (x,) = promote_args(x)
        dtype = get_aval(x).dtype
        if dtypes.is_complex(dtype):
            if not on_parts:
                raise TypeError(f"{name} does not accept dtype {dtype.name}: it needs real numbers")
            return lax.complex(lax_op(lax.real(x)), lax_op(lax.imag(x)))
        return lax_op(x) if dtypes.is_floating(dtype) else x
    ufunc.__name__ = name
    return ufunc


floor = _float_only_or_identity(lax.floor, "floor")
ceil = _float_only_or_identity(lax.ceil, "ceil")
rint = _float_only_or_identity(lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), "rint",
                               on_parts=True)


def round(a, decimals=0, out=None):
    _check_out("round", out)
    decimals = index(decimals, "round decimals")
    (a,) = promote_args(a)
    if dtypes.is_complex(get_aval(a).dtype):  # each part, as JAX
        return lax.complex(round(lax.real(a), decimals), round(lax.imag(a), decimals))
    if not dtypes.is_floating(get_aval(a).dtype):
        return a
    if decimals == 0:
        return rint(a)
    factor = lax.full_like(a, 10.0 ** decimals)
    return lax.div(rint(lax.mul(a, factor)), factor)


def square(x, /):
    (x,) = promote_args_numeric(x)
    return lax.square(x)


def reciprocal(x, /):
    (x,) = promote_args_inexact(x)
    return lax.div(lax.full_like(x, 1), x)


def power(x, y, /):
    """x ** y. A static integer exponent (a Python int or a NumPy integer scalar) uses
    integer_pow, exact and cheap, which refuses negative powers of integers as JAX does."""
    if isinstance(y, (int, np.integer)) and not isinstance(y, (bool, np.bool_)):
        (x,) = promote_args_numeric(x)
        return lax.integer_pow(x, int(y))
    x, y = promote_args_numeric(x, y)
    if dtypes.is_inexact(get_aval(x).dtype):
        return lax.pow(x, y)
    return _integer_power(x, y)


def _integer_power(x, y):
    """Integer x ** y for array y: binary exponentiation over the bits of y. A negative
    exponent gives the integer part of the true power: 1 for x = 1, ±1 for x = -1, else 0."""
    bits = np.iinfo(get_aval(y).dtype).bits
    one, zero = lax.full_like(x, 1), lax.full_like(x, 0)
    negative = lax.lt(y, lax.full_like(y, 0))
    odd_y = lax.ne(lax.bitwise_and(y, lax.full_like(y, 1)), lax.full_like(y, 0))
    reciprocal = lax.select(lax.eq(x, one), one,
                            lax.select(lax.eq(x, lax.neg(one)), lax.select(odd_y, x, one), zero))
    acc = one
    for _ in range(bits):
        odd = lax.ne(lax.bitwise_and(y, lax.full_like(y, 1)), lax.full_like(y, 0))
        acc = lax.select(odd, lax.mul(acc, x), acc)
        x = lax.mul(x, x)
        y = lax.div(y, lax.full_like(y, 2))
    return lax.select(negative, reciprocal, acc)


def floor_divide(x, y, /):
    """x // y, rounded down. Integer x // 0 is JAX's: lax.div's -1, stepped down to -2 where
    x != 0 (the signs of x and 0 differ and the remainder x is not 0)."""
    x, y = promote_args_numeric(x, y)
    if dtypes.is_floating(get_aval(x).dtype):
        return _float_floor_divide(x, y)
    q = lax.div(x, y)  # rounds toward zero; step down where the signs differ and it was inexact
    if get_aval(x).dtype.kind == "u":
        return q
    fix = lax.bitwise_and(lax.ne(lax.sign(x), lax.sign(y)), lax.ne(lax.rem(x, y), lax.full_like(x, 0)))
    return lax.select(fix, lax.sub(q, lax.full_like(q, 1)), q)


def _float_floor_divide(x, y):
    """CPython's float // (as JAX's and NumPy's): (x - fmod(x, y)) / y, one less where the
    remainder's sign is not y's, rounded. Not floor(x / y), which the rounding of x / y
    can put a whole unit off (1.0 // 0.1 is 9.0, not 10.0)."""
    mod = lax.rem(x, y)
    zero = lax.full_like(x, 0)
    q = lax.div(lax.select(lax.eq(y, zero), x, lax.sub(x, mod)), y)
    step_down = lax.bitwise_and(lax.ne(mod, zero), lax.ne(lax.sign(y), lax.sign(mod)))
    return lax.round(lax.select(step_down, lax.sub(q, lax.full_like(q, 1)), q))


def _nonzero_divisor(x, y):
    """y with integer zeros replaced by 1, so that x % 0 is 0 (NumPy's and JAX's value)
    rather than lax.rem's x."""
    if _is_float(x):
        return y
    return lax.select(lax.eq(y, lax.full_like(y, 0)), lax.full_like(y, 1), y)


def remainder(x, y, /):
    """x mod y with the sign of y (NumPy's %); integer x % 0 is 0, as in JAX."""
    x, y = promote_args_numeric(x, y)
    y = _nonzero_divisor(x, y)
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


def clip(a, min=None, max=None, *, a_min=None, a_max=None):
    """a limited to [min, max] (either may be None); NumPy's a_min/a_max keywords too."""
    if (a_min is not None and min is not None) or (a_max is not None and max is not None):
        raise TypeError("clip: give the bounds as min/max or as a_min/a_max, not both")
    lo, hi = a_min if min is None else min, a_max if max is None else max
    if any(dtypes.is_complex(dtypes.result_type(v)) for v in (a, lo, hi) if v is not None):
        raise ValueError("clip: complex numbers have no order and cannot be clipped (as in "
                         "JAX); clip their real and imaginary parts separately")
    if lo is not None:
        a = maximum(a, lo)
    if hi is not None:
        a = minimum(a, hi)
    return a


def isnan(x, /):
    (x,) = promote_args(x)
    return lax.ne(x, x)


left_shift = _binary(lax.shift_left, name="left_shift")


def right_shift(x1, x2, /):
    """x1 >> x2 as NumPy: arithmetic (sign-filling) for signed integers, logical for unsigned."""
    x1, x2 = promote_args(x1, x2)
    if not dtypes.is_integer(get_aval(x1).dtype):
        raise TypeError(f"right_shift requires integer operands, got {get_aval(x1).str_short()}")
    unsigned = np.dtype(get_aval(x1).dtype).kind == "u"
    return (lax.shift_right_logical if unsigned else lax.shift_right_arithmetic)(x1, x2)


# ---------------------------------------------------------------------------- more float math

arcsin = _unary(lax.asin, True, "arcsin")
arccos = _unary(lax.acos, True, "arccos")
arctan = _unary(lax.atan, True, "arctan")
arctan2 = _binary(lax.atan2, True, "arctan2")
sinh = _unary(lax.sinh, True, "sinh")
cosh = _unary(lax.cosh, True, "cosh")
arcsinh = _unary(lax.asinh, True, "arcsinh")
arccosh = _unary(lax.acosh, True, "arccosh")
arctanh = _unary(lax.atanh, True, "arctanh")
cbrt = _unary(lax.cbrt, True, "cbrt")
log2 = _unary(lambda x: lax.div(lax.log(x), lax.full_like(x, np.log(2))), True, "log2")
log10 = _unary(lambda x: lax.div(lax.log(x), lax.full_like(x, np.log(10))), True, "log10")
deg2rad = radians = _unary(lambda x: lax.mul(x, lax.full_like(x, np.pi / 180)), True, "deg2rad")
rad2deg = degrees = _unary(lambda x: lax.mul(x, lax.full_like(x, 180 / np.pi)), True, "rad2deg")
positive = _unary(lambda x: x, name="positive")
def _on_complex(complex_op, real_op, name):
    """A function of complex numbers with its own meaning for real inputs (real(x) = x)."""
    def ufunc(x, /):
        (x,) = promote_args(x)
        return (complex_op if dtypes.is_complex(get_aval(x).dtype) else real_op)(x)
    ufunc.__name__ = name
    return ufunc


real = _on_complex(lax.real, lambda x: x, "real")
imag = _on_complex(lax.imag, lambda x: lax.full_like(x, 0), "imag")
conjugate = conj = _on_complex(lax.conj, lambda x: x, "conjugate")


def angle(z, deg=False):
    """The argument of z, atan2(imag z, real z) (in degrees with deg=True); 0 or pi for reals."""
    (z,) = promote_args_inexact(z)
    re, im = (lax.real(z), lax.imag(z)) if dtypes.is_complex(get_aval(z).dtype) else (z, lax.full_like(z, 0))
    a = lax.atan2(im, re)
    return lax.mul(a, lax.full_like(a, 180 / np.pi)) if deg else a
fix = _float_only_or_identity(
    lambda x: lax.select(lax.lt(x, lax.full_like(x, 0)), lax.ceil(x), lax.floor(x)), "trunc")


def trunc(x):
    """Rounded toward zero (JAX's trunc, unlike its other ufuncs, takes x by keyword too)."""
    return fix(x)
around = round


def _is_float(x):
    return dtypes.is_floating(get_aval(x).dtype)


def _float_predicate(float_test, int_value, name, join_parts=None):
    """A float test; integers and booleans are never NaN or infinite. A complex number
    passes when its parts pass, joined by `join_parts` (lax.bitwise_and or _or); without
    one, complex numbers are refused, as in NumPy and JAX."""
    def ufunc(x, /):
        (x,) = promote_args(x)
        if dtypes.is_complex(get_aval(x).dtype):
            if join_parts is None:
                raise TypeError(f"{name} is not defined for {get_aval(x).dtype.name}")
            return join_parts(float_test(lax.real(x)), float_test(lax.imag(x)))
        return float_test(x) if _is_float(x) else lax.full_like(x, int_value, dtypes.bool_)
    ufunc.__name__ = name
    return ufunc


isfinite = _float_predicate(lax.is_finite, True, "isfinite", lax.bitwise_and)
isinf = _float_predicate(lambda x: lax.eq(lax.abs(x), lax.full_like(x, np.inf)), False, "isinf",
                         lax.bitwise_or)
_isposinf = _float_predicate(lambda x: lax.eq(x, lax.full_like(x, np.inf)), False, "isposinf")
_isneginf = _float_predicate(lambda x: lax.eq(x, lax.full_like(x, -np.inf)), False, "isneginf")


def isposinf(x, /, out=None):
    _check_out("isposinf", out)
    return _isposinf(x)


def isneginf(x, /, out=None):
    _check_out("isneginf", out)
    return _isneginf(x)


def signbit(x, /):
    """Whether the sign bit is set: for -0.0 and negative NaNs too, as in JAX."""
    (x,) = promote_args(x)
    dtype = get_aval(x).dtype
    if dtypes.is_complex(dtype):
        raise ValueError(f"signbit is not well defined for {dtype.name}")
    if not _is_float(x):
        return lax.lt(x, lax.full_like(x, 0))
    bits = lax.bitcast_convert_type(x, np.dtype(f"i{dtype.itemsize}"))
    return lax.lt(bits, lax.full_like(bits, 0))


def copysign(x1, x2, /):
    x1, x2 = promote_args_inexact(x1, x2)
    magnitude = lax.abs(x1)
    return lax.select(signbit(x2), lax.neg(magnitude), magnitude)


def heaviside(x1, x2, /):
    """0 below zero, 1 above, x2 at zero."""
    x1, x2 = promote_args_inexact(x1, x2)
    zero = lax.full_like(x1, 0)
    return lax.select(lax.lt(x1, zero), zero,
                      lax.select(lax.gt(x1, zero), lax.full_like(x1, 1), x2))


def fmax(x1, x2):
    """The larger, ignoring a NaN (JAX's: ties pick x2)."""
    x1, x2 = promote_args(x1, x2)
    return lax.select(lax.bitwise_or(lax.gt(x1, x2), lax.ne(x2, x2)), x1, x2)


def fmin(x1, x2):
    x1, x2 = promote_args(x1, x2)
    return lax.select(lax.bitwise_or(lax.lt(x1, x2), lax.ne(x2, x2)), x1, x2)


def fmod(x1, x2, /):
    """Remainder with the sign of x1 (C's fmod); integer x % 0 is 0, as in JAX."""
    x1, x2 = promote_args_numeric(x1, x2)
    return lax.rem(x1, _nonzero_divisor(x1, x2))


def divmod(x1, x2, /):
    return floor_divide(x1, x2), remainder(x1, x2)


def modf(x, /, out=None):
    """(fractional part, integral part), both with x's sign."""
    _check_out("modf", out)
    (x,) = promote_args_inexact(x)
    whole = trunc(x)
    return lax.sub(x, whole), whole


def float_power(x, y, /):
    """x ** y in floating point (integers promote to the default float)."""
    return lax.pow(*promote_args_inexact(x, y))


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN -> nan, +-Inf -> posinf/neginf (default: the dtype's largest finite values)."""
    del copy  # arrays are immutable
    (x,) = promote_args(x)
    if not _is_float(x):
        return x
    info = dtypes.finfo(get_aval(x).dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    x = lax.select(lax.ne(x, x), lax.full_like(x, nan), x)
    x = lax.select(lax.eq(x, lax.full_like(x, np.inf)), lax.full_like(x, posinf), x)
    return lax.select(lax.eq(x, lax.full_like(x, -np.inf)), lax.full_like(x, neginf), x)


def hypot(x1, x2, /):
    """sqrt(x1^2 + x2^2) as max * sqrt(1 + (min/max)^2): no overflow or underflow of the
    squares; Inf if either is infinite, even with a NaN."""
    x1, x2 = promote_args_inexact(x1, x2)
    if dtypes.is_complex(get_aval(x1).dtype):
        raise TypeError(f"hypot does not accept complex inputs, got {get_aval(x1).str_short()}")
    a, b = lax.abs(x1), lax.abs(x2)
    big, small = lax.max(a, b), lax.min(a, b)
    zero = lax.full_like(big, 0)
    is_zero = lax.eq(big, zero)
    ratio = lax.div(small, lax.select(is_zero, lax.full_like(big, 1), big))
    out = lax.select(is_zero, zero, lax.mul(big, lax.sqrt(lax.add(lax.full_like(big, 1), lax.square(ratio)))))
    inf = lax.full_like(big, np.inf)
    return lax.select(lax.bitwise_or(lax.eq(a, inf), lax.eq(b, inf)), inf, out)


def _logaddexp_in(log_of_one_plus, slope):
    """log(b^x1 + b^x2) as max + log_b(1 + b^-|x1 - x2|), with a custom JVP whose weights are
    logistic(slope (x1 - x2)): 1/2 each at equal arguments, infinities included, where
    the difference is NaN."""
    @custom_jvp
    def impl(x1, x2):
        delta = lax.sub(x1, x2)
        both_inf = lax.ne(delta, delta)  # equal infinities (or a NaN: then x1 + x2 is NaN)
        out = lax.add(lax.max(x1, x2), log_of_one_plus(lax.neg(lax.abs(delta))))
        return lax.select(both_inf, lax.add(x1, x2), out)

    @impl.defjvp
    def _jvp(primals, tangents):
        (x1, x2), (t1, t2) = primals, tangents
        delta = lax.sub(x1, x2)
        # Only equal infinities need the 1/2 by hand: selecting it at every x1 == x2 would
        # cut the weight's own derivative there (softplus''(0) came out 0, not 1/4).
        same_inf = lax.bitwise_and(lax.eq(x1, x2), lax.ne(delta, delta))
        w1 = lax.select(same_inf, lax.full_like(x1, 0.5),
                        lax.logistic(lax.mul(delta, lax.full_like(delta, slope))))
        w2 = lax.sub(lax.full_like(w1, 1), w1)
        return impl(x1, x2), lax.add(lax.mul(t1, w1), lax.mul(t2, w2))

    def ufunc(x1, x2, /):
        return impl(*promote_args_inexact(x1, x2))
    return ufunc


logaddexp = _logaddexp_in(lambda d: lax.log1p(lax.exp(d)), 1.0)
logaddexp2 = _logaddexp_in(lambda d: lax.div(lax.log1p(lax.exp2(d)), lax.full_like(d, np.log(2))),
                           np.log(2))
logaddexp.__name__, logaddexp2.__name__ = "logaddexp", "logaddexp2"


@functools.cache
def _sinc_at_zero(k):
    """sinc's k-th derivative at 0 as a function of x (for x = 0 only), whose JVP is the
    (k+1)-th: so every derivative of sinc at 0 is right, not NaN from sin(0)/0."""
    @custom_jvp
    def f(x):
        value = 0.0 if k % 2 else (-1.0) ** (k // 2) * np.pi ** k / (k + 1)
        return lax.full_like(x, value)

    f.defjvps(lambda g, ans, x: lax.mul(g, _sinc_at_zero(k + 1)(x)))
    return f


def sinc(x, /):
    """sin(pi x) / (pi x), 1 at 0."""
    (x,) = promote_args_inexact(x)
    zero = lax.full_like(x, 0)
    at_zero = lax.eq(x, zero)
    pi_x = lax.mul(lax.select(at_zero, lax.full_like(x, 1), x), lax.full_like(x, np.pi))
    return lax.select(at_zero, _sinc_at_zero(0)(x), lax.div(lax.sin(pi_x), pi_x))
