"""Elementwise primitives: arithmetic, transcendental functions, comparisons, logic,
select_n, convert_element_type and stop_gradient.

Operands of one primitive share shape and dtype (the fx.lax and fx.numpy wrappers
broadcast and promote before binding), so every batching rule is the same one and every
JVP is a sum of per-operand partial derivatives.
"""
from __future__ import annotations

import builtins
import functools
import math

import numpy as np

from fx import dtypes
from fx.core import Primitive, ShapedArray, UndefinedPrimal, Zero, get_aval
from fx.lax.examples import example, randn, uniform
from fx.transforms.batching import axis_size_of, bdim_at_front, broadcast_batcher
from fx.transforms.jvp import deflinear, defjvp, defjvp_zero, instantiate

_FLOAT = "floating"
_NUMBER = "numeric"
_INT_OR_BOOL = "integer or boolean"
_INT = "integer"
_ANY = "any"
_INEXACT = "floating or complex"

_ACCEPTS = {
    _FLOAT: dtypes.is_floating,
    _NUMBER: lambda d: not dtypes.is_bool(d),
    _INT_OR_BOOL: lambda d: dtypes.is_integer(d) or dtypes.is_bool(d),
    _INT: dtypes.is_integer,
    _INEXACT: dtypes.is_inexact,
    _ANY: lambda d: True,
}


def elementwise_aval(name, avals, kind=_ANY, out_dtype=None):
    """The shared shape/dtype rule: equal shapes, equal dtypes, weak iff all weak."""
    first = avals[0]
    if any(a.shape != first.shape for a in avals):
        raise TypeError(f"{name} requires operands of equal shapes, got "
                        f"{', '.join(a.str_short() for a in avals)}")
    if any(a.dtype != first.dtype for a in avals):
        raise TypeError(f"{name} requires operands of equal dtypes, got "
                        f"{', '.join(a.str_short() for a in avals)}")
    if not _ACCEPTS[kind](first.dtype):
        raise TypeError(f"{name} requires {kind} operands, got {first.str_short()}")
    weak = all(a.weak_type for a in avals) if out_dtype is None else False
    return ShapedArray(first.shape, out_dtype or first.dtype, weak)


def elementwise(name, impl, kind=_ANY, out_dtype=None):
    prim = Primitive(name)
    prim.impl = _quiet(impl)
    # memoised: eager code asks the same question (these avals?) for every operation
    cached_aval = functools.lru_cache(maxsize=512)(
        lambda avals: elementwise_aval(name, avals, kind, out_dtype))
    prim.abstract_eval = lambda *avals, **_: cached_aval(avals)
    broadcast_batcher(prim)
    return prim


def _quiet(impl):
    """NaN and infinity are results here, as in JAX and in native code, not warnings."""
    def quiet_impl(*args, **params):
        with np.errstate(all="ignore"):
            return impl(*args, **params)
    quiet_impl.__name__ = getattr(impl, "__name__", "impl")
    return quiet_impl


def _lax():
    from fx import lax
    return lax


# ---------------------------------------------------------------------------- arithmetic

neg_p = elementwise("neg", np.negative, _NUMBER)
defjvp(neg_p, lambda g, ans, x: neg(g))
neg_p.transpose = lambda ct, x: [neg(ct)]

add_p = elementwise("add", np.add, _NUMBER)
defjvp(add_p, lambda g, ans, x, y: g, lambda g, ans, x, y: g)
add_p.transpose = lambda ct, x, y: [ct, ct]

sub_p = elementwise("sub", np.subtract, _NUMBER)
defjvp(sub_p, lambda g, ans, x, y: g, lambda g, ans, x, y: neg(g))
sub_p.transpose = lambda ct, x, y: [ct, neg(ct)]

mul_p = elementwise("mul", np.multiply, _NUMBER)
defjvp(mul_p, lambda g, ans, x, y: mul(g, y), lambda g, ans, x, y: mul(x, g))


def _mul_transpose(ct, x, y):
    if isinstance(x, UndefinedPrimal):
        return [mul(ct, y), None]
    return [None, mul(x, ct)]


mul_p.transpose = _mul_transpose


def _div_impl(x, y):
    """x / y; for integers, C's truncating division with XLA's values where C has none:
    x / 0 = -1 (all bits set, so the maximum for unsigned types) and INT_MIN / -1 wraps to
    INT_MIN. Never traps."""
    if dtypes.is_integer(x.dtype):
        with np.errstate(all="ignore"):
            safe = np.where((y == 0) | (y == -1) if x.dtype.kind == "i" else y == 0, 1, y)
            q = (x - np.fmod(x, safe)) // safe  # exact: the remainder is taken off first
            if x.dtype.kind == "i":
                q = np.where(y == -1, -x, q)
        return np.where(y == 0, np.invert(x.dtype.type(0)), q).astype(x.dtype)
    with np.errstate(all="ignore"):
        return np.divide(x, y)


div_p = elementwise("div", _div_impl, _NUMBER)
defjvp(div_p, lambda g, ans, x, y: div(g, y),
       lambda g, ans, x, y: mul(neg(g), div(ans, y)))
div_p.transpose = lambda ct, x, y: [div(ct, y), None]


def _rem_impl(x, y):
    """x % y with the sign of x (C's %, C's fmod for floats); for integers, XLA's values
    where C has none: x % 0 = x and INT_MIN % -1 = 0. Never traps. (fx.numpy's `%`,
    remainder and fmod give 0 for x % 0, as JAX's do: they replace a zero divisor first.)"""
    if dtypes.is_integer(x.dtype):
        with np.errstate(all="ignore"):
            r = np.fmod(x, np.where(y == 0, 1, y))
        return np.where(y == 0, x, r).astype(x.dtype)
    with np.errstate(all="ignore"):
        return np.fmod(x, y)


rem_p = elementwise("rem", _rem_impl, _NUMBER)
defjvp(rem_p, lambda g, ans, x, y: g,
       lambda g, ans, x, y: mul(neg(g), _trunc(div(x, y))))


def _trunc(x):
    return mul(sign(x), floor(abs(x)))


def _pow_impl(x, y):
    with np.errstate(all="ignore"):
        return np.power(x, y)


pow_p = elementwise("pow", _pow_impl, _INEXACT)


def _pow_jvp_x(g, ans, x, y):
    lax = _lax()
    return mul(g, lax.select(eq(y, _zeros_like(y)), _zeros_like(y),
                             mul(y, pow(x, sub(y, _ones_like(y))))))


def _pow_jvp_y(g, ans, x, y):
    lax = _lax()
    safe_x = lax.select(eq(x, _zeros_like(x)), _ones_like(x), x)
    return mul(g, mul(ans, log(safe_x)))


defjvp(pow_p, _pow_jvp_x, _pow_jvp_y)


def _power_by_squaring(x, n, mul, shared=lambda v: v):
    """x**n for an int n >= 1 in O(log n) multiplications, in JAX's order (so eager and
    compiled results agree bit for bit). `shared` is applied to each square that is
    squared again (it is used twice: lowering bounds the expression tree with it)."""
    result = None
    while True:
        if n & 1:
            result = x if result is None else mul(result, x)
        n >>= 1
        if not n:
            return result
        x = mul(x, x)
        if n > 1:
            x = shared(x)


def _integer_pow_impl(x, *, y):
    if y == 0:
        return np.ones_like(x)
    p = _power_by_squaring(x, builtins.abs(y), np.multiply)
    return p if y > 0 else np.divide(np.ones_like(p), p)


def _integer_pow_aval(x, *, y):
    if not isinstance(y, int) or isinstance(y, bool):
        raise TypeError(f"integer_pow: the exponent must be a Python int, got {y!r} "
                        f"of type {type(y).__name__}")
    if y < 0 and not dtypes.is_floating(x.dtype):
        raise TypeError(f"integer_pow: integers cannot be raised to negative powers, got "
                        f"integer_pow({x.str_short()}, {y})")
    return elementwise_aval("integer_pow", [x], _NUMBER)


integer_pow_p = Primitive("integer_pow")
integer_pow_p.impl = _quiet(_integer_pow_impl)
integer_pow_p.abstract_eval = _integer_pow_aval
broadcast_batcher(integer_pow_p)


def _integer_pow_jvp(g, ans, x, *, y):
    if y == 0:
        return _zeros_like(g)
    if y == 1:
        return g
    return mul(g, mul(_full_like(x, y), x if y == 2 else integer_pow(x, y - 1)))


defjvp(integer_pow_p, _integer_pow_jvp)


def _balanced_eq(x, z, y):
    """1 where x is the extremum z alone, 1/2 where x and y tie, else 0 (JAX's choice)."""
    lax = _lax()
    return lax.select(eq(x, z), lax.select(eq(y, z), _full_like(z, 0.5), _ones_like(z)),
                      _zeros_like(z))


def _extremum(np_op, zero_pick):
    """np.maximum/np.minimum with IEEE's choice between equal zeros (max(-0, +0) = +0),
    which NumPy leaves to the platform."""
    def impl(x, y):
        out = np_op(x, y)
        if x.dtype.kind != "f":
            return out
        return np.where((x == y) & (x == 0), zero_pick(x, y), out)
    return impl


# max and min take bools too, as in JAX (or / and)
max_p = elementwise("max", _extremum(np.maximum, lambda x, y: np.where(np.signbit(x), y, x)), _ANY)
defjvp(max_p, lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
       lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))
min_p = elementwise("min", _extremum(np.minimum, lambda x, y: np.where(np.signbit(x), x, y)), _ANY)
defjvp(min_p, lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
       lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))

abs_p = elementwise("abs", np.abs, _NUMBER)
abs_p.abstract_eval = lambda x: ShapedArray(x.shape, dtypes.real_dtype(x.dtype), x.weak_type) \
    if dtypes.is_complex(x.dtype) else elementwise_aval("abs", [x], _NUMBER)


def _abs_jvp(g, ans, x):
    """sign(x) g for reals; for complex x, d|x| = re(conj(x / |x|) dx), with x / |x| built
    from x and |x| (not from sign, whose derivative is zero) so that it differentiates
    again (0 at x = 0)."""
    if not dtypes.is_complex(get_aval(x).dtype):
        return mul(g, sign(x))
    lax = _lax()
    nonzero = lax.select(eq(ans, lax.full_like(ans, 0)), lax.full_like(ans, 1), ans)
    unit = div(x, lax.convert_element_type(nonzero, get_aval(x).dtype))
    return lax.real(mul(lax.conj(unit), g))


defjvp(abs_p, _abs_jvp)
sign_p = elementwise("sign", lambda x: np.sign(x) + np.zeros((), x.dtype), _NUMBER)  # sign(-0) = +0
defjvp_zero(sign_p)


# ---------------------------------------------------------------------------- transcendental

def _float_unary(name, impl, kind=_INEXACT):
    """A unary function of floats, and of complex numbers unless kind=_FLOAT."""
    def safe(x):
        with np.errstate(all="ignore"):
            return impl(x)
    return elementwise(name, safe, kind)


exp_p = _float_unary("exp", np.exp)
defjvp(exp_p, lambda g, ans, x: mul(g, ans))
exp2_p = _float_unary("exp2", np.exp2)
defjvp(exp2_p, lambda g, ans, x: mul(g, mul(ans, _full_like(ans, math.log(2)))))
log_p = _float_unary("log", np.log)
defjvp(log_p, lambda g, ans, x: div(g, x))
log1p_p = _float_unary("log1p", np.log1p)
defjvp(log1p_p, lambda g, ans, x: div(g, add(x, _ones_like(x))))
expm1_p = _float_unary("expm1", np.expm1)
defjvp(expm1_p, lambda g, ans, x: mul(g, add(ans, _ones_like(ans))))
sqrt_p = _float_unary("sqrt", np.sqrt)
defjvp(sqrt_p, lambda g, ans, x: div(g, mul(_full_like(ans, 2), ans)))
rsqrt_p = _float_unary("rsqrt", lambda x: 1 / np.sqrt(x))
defjvp(rsqrt_p, lambda g, ans, x: mul(g, mul(_full_like(x, -0.5), div(ans, x))))
tanh_p = _float_unary("tanh", np.tanh)
defjvp(tanh_p, lambda g, ans, x: mul(g, sub(_ones_like(ans), mul(ans, ans))))


def _logistic_impl(x):
    # exp(-|x|) never overflows; pick the algebraically equal form by sign.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


logistic_p = _float_unary("logistic", _logistic_impl, _FLOAT)
defjvp(logistic_p, lambda g, ans, x: mul(g, mul(ans, sub(_ones_like(ans), ans))))
sin_p = _float_unary("sin", np.sin)
defjvp(sin_p, lambda g, ans, x: mul(g, cos(x)))
cos_p = _float_unary("cos", np.cos)
defjvp(cos_p, lambda g, ans, x: neg(mul(g, sin(x))))
tan_p = _float_unary("tan", np.tan)
defjvp(tan_p, lambda g, ans, x: mul(g, add(_ones_like(ans), mul(ans, ans))))

_erf_scalar = np.frompyfunc(math.erf, 1, 1)
erf_p = _float_unary("erf", lambda x: np.asarray(_erf_scalar(x), x.dtype), _FLOAT)  # 0-d: a Python float
defjvp(erf_p, lambda g, ans, x: mul(g, mul(_full_like(x, 2 / math.sqrt(math.pi)),
                                           exp(neg(mul(x, x))))))

floor_p = _float_unary("floor", np.floor, _FLOAT)
defjvp_zero(floor_p)
ceil_p = _float_unary("ceil", np.ceil, _FLOAT)
defjvp_zero(ceil_p)

ROUND_AWAY_FROM_ZERO, ROUND_TO_NEAREST_EVEN = 0, 1


def _round_impl(x, *, rounding_method=ROUND_AWAY_FROM_ZERO):
    if rounding_method == ROUND_TO_NEAREST_EVEN:
        return np.round(x)
    t = np.trunc(x)  # halves away from zero; exact (no x + 0.5 rounding), keeps -0
    return np.copysign(np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t), x)


round_p = Primitive("round")
round_p.impl = _quiet(_round_impl)
round_p.abstract_eval = lambda x, **_: elementwise_aval("round", [x], _FLOAT)
broadcast_batcher(round_p)
defjvp_zero(round_p)


# ---------------------------------------------------------------------------- comparisons, logic

def _comparison(name, impl):
    prim = elementwise(name, impl, _ANY, out_dtype=dtypes.bool_)
    defjvp_zero(prim)
    return prim


eq_p = _comparison("eq", np.equal)
ne_p = _comparison("ne", np.not_equal)
lt_p = _comparison("lt", np.less)
le_p = _comparison("le", np.less_equal)
gt_p = _comparison("gt", np.greater)
ge_p = _comparison("ge", np.greater_equal)


def _logical(name, bool_impl, int_impl):
    prim = elementwise(name, lambda *xs: (bool_impl if xs[0].dtype == np.bool_ else int_impl)(*xs),
                       _INT_OR_BOOL)
    defjvp_zero(prim)
    return prim


and_p = _logical("and", np.logical_and, np.bitwise_and)
or_p = _logical("or", np.logical_or, np.bitwise_or)
xor_p = _logical("xor", np.logical_xor, np.bitwise_xor)
not_p = _logical("not", np.logical_not, np.invert)


def _shift_impl(kind):
    """NumPy shifts with XLA's semantics: the amount is read as unsigned, and amounts of at
    least the bit width give 0 (left, logical) or the sign fill (arithmetic)."""
    def impl(x, y):
        bits = x.dtype.itemsize * 8
        unsigned = np.dtype(f"u{x.dtype.itemsize}")
        signed = np.dtype(f"i{x.dtype.itemsize}")
        too_far = y.astype(unsigned) >= bits
        amount = np.where(too_far, bits - 1 if kind == "arithmetic" else 0, y).astype(x.dtype)
        if kind == "left":
            out = np.left_shift(x, amount)
        else:  # shift the bit pattern as the type whose >> is the wanted one
            pattern = x.view(unsigned if kind == "logical" else signed)
            out = np.right_shift(pattern, amount.view(pattern.dtype)).view(x.dtype)
        return out if kind == "arithmetic" else np.where(too_far, 0, out).astype(x.dtype)
    return impl


def _shift(name, kind):
    prim = elementwise(name, _shift_impl(kind), _INT)
    defjvp_zero(prim)
    return prim


shift_left_p = _shift("shift_left", "left")
shift_right_logical_p = _shift("shift_right_logical", "logical")
shift_right_arithmetic_p = _shift("shift_right_arithmetic", "arithmetic")


# ---------------------------------------------------------------------------- select_n

select_n_p = Primitive("select_n")


def _select_n_impl(which, *cases):
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0]) if len(cases) == 2 else cases[0]
    return np.choose(np.clip(which, 0, len(cases) - 1), cases)


def _select_n_abstract_eval(which, *cases):
    if not cases:
        raise TypeError("select_n requires at least one case")
    out = elementwise_aval("select_n", cases)
    if which.dtype != dtypes.bool_ and not dtypes.is_integer(which.dtype):
        raise TypeError(f"select_n predicate must be boolean or integer, got {which.str_short()}")
    if which.dtype == dtypes.bool_ and len(cases) > 2:
        raise TypeError("select_n with a boolean predicate takes at most two cases")
    if which.shape not in ((), out.shape):
        raise TypeError(f"select_n predicate shape {which.shape} must be () or {out.shape}")
    return out


def _select_n_jvp(primals, tangents):
    which, cases = primals[0], primals[1:]
    out = select_n(which, *cases)
    case_tangents = tangents[1:]
    if all(type(t) is Zero for t in case_tangents):
        return out, Zero(case_tangents[0].aval)
    return out, select_n(which, *map(instantiate, case_tangents))


def _select_n_transpose(ct, which, *cases):
    zeros = _zeros_like(ct)
    return [None] + [select_n(which, *(ct if j == i else zeros for j in range(len(cases))))
                     if isinstance(case, UndefinedPrimal) else None
                     for i, case in enumerate(cases)]


def _select_n_batch(args, dims):
    from fx.transforms.batching import axis_size_of, bdim_at_front
    which, wdim = args[0], dims[0]
    size = axis_size_of(args, dims)
    cases = [bdim_at_front(c, d, size) for c, d in zip(args[1:], dims[1:])]
    if np.ndim(which) == 0 and wdim is None:
        return select_n(which, *cases), 0
    which = bdim_at_front(which, wdim, size)
    if len(which.shape) < len(cases[0].shape):  # scalar predicate per example
        which = _lax().broadcast_in_dim(which, cases[0].shape, (0,))
    return select_n(which, *cases), 0


select_n_p.impl = _select_n_impl
select_n_p.abstract_eval = _select_n_abstract_eval
select_n_p.jvp = _select_n_jvp
select_n_p.transpose = _select_n_transpose
select_n_p.batch = _select_n_batch


# ---------------------------------------------------------------------------- conversions

convert_element_type_p = Primitive("convert_element_type")


def _convert_impl(x, *, new_dtype, weak_type):
    if dtypes.is_complex(x.dtype) and not dtypes.is_complex(new_dtype):
        x = x.real  # the real part, as JAX
    if dtypes.is_integer(new_dtype) and dtypes.is_floating(x.dtype):
        # saturate, NaN -> 0 (C leaves out-of-range conversions undefined)
        info = np.iinfo(new_dtype)
        x = np.nan_to_num(x.astype(np.float64), nan=0.0, posinf=np.inf, neginf=-np.inf)
        too_big, too_small = x >= float(info.max) + 1, x < float(info.min)
        inside = np.where(too_big | too_small, 0, x).astype(new_dtype)
        return np.where(too_big, info.max, np.where(too_small, info.min, inside)).astype(new_dtype)
    return x.astype(new_dtype)


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if not (dtypes.is_inexact(new_dtype) and dtypes.is_inexact(x.dtype)):
        return out, Zero(ShapedArray(out.shape, new_dtype))
    return out, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=False)


def _convert_transpose(ct, x, *, new_dtype, weak_type):
    return [convert_element_type_p.bind(ct, new_dtype=x.aval.dtype, weak_type=False)]


convert_element_type_p.impl = _convert_impl
convert_element_type_p.abstract_eval = \
    lambda x, *, new_dtype, weak_type: ShapedArray(x.shape, new_dtype, weak_type)
convert_element_type_p.jvp = _convert_jvp
convert_element_type_p.transpose = _convert_transpose
convert_element_type_p.batch = lambda args, dims, **p: (convert_element_type_p.bind(*args, **p), dims[0])

stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.impl = lambda x: x
stop_gradient_p.abstract_eval = lambda x: x
defjvp_zero(stop_gradient_p)
stop_gradient_p.batch = lambda args, dims: (stop_gradient_p.bind(*args), dims[0])


# ---------------------------------------------------------------------------- lowering

def _lower_as(opname):
    return lambda ctx, *xs, **_: ctx.elementwise(opname, xs, ctx.out_avals[0].dtype)


for _prim, _opname in [(neg_p, "neg"), (add_p, "add"), (sub_p, "sub"), (mul_p, "mul"), (div_p, "div"),
                       (rem_p, "rem"), (pow_p, "pow"), (max_p, "max"), (min_p, "min"), (abs_p, "abs"),
                       (sign_p, "sign"), (exp_p, "exp"), (exp2_p, "exp2"), (log_p, "log"),
                       (log1p_p, "log1p"), (expm1_p, "expm1"), (sqrt_p, "sqrt"), (rsqrt_p, "rsqrt"),
                       (tanh_p, "tanh"), (logistic_p, "logistic"), (sin_p, "sin"), (cos_p, "cos"),
                       (tan_p, "tan"), (erf_p, "erf"), (floor_p, "floor"), (ceil_p, "ceil"),
                       (eq_p, "eq"), (ne_p, "ne"), (lt_p, "lt"), (le_p, "le"), (gt_p, "gt"),
                       (ge_p, "ge"), (and_p, "and"), (or_p, "or"), (xor_p, "xor"), (not_p, "not"),
                       (shift_left_p, "shift_left"), (shift_right_logical_p, "shift_right_logical"),
                       (shift_right_arithmetic_p, "shift_right_arithmetic")]:
    _prim.lower = _lower_as(_opname)
round_p.lower = lambda ctx, x, *, rounding_method=ROUND_AWAY_FROM_ZERO: ctx.elementwise(
    "round_even" if rounding_method == ROUND_TO_NEAREST_EVEN else "round_away", [x], x.dtype)
convert_element_type_p.lower = lambda ctx, x, *, new_dtype, weak_type: ctx.elementwise(
    "convert", [x], new_dtype)
stop_gradient_p.lower = lambda ctx, x: x


def _lower_integer_pow(ctx, x, *, y):
    """x**y by square-and-multiply. A square uses its base twice, so its expression tree
    doubles with each squaring: x**(2**31 - 1) takes 30 of them. A square past the kernel
    bounds (`ctx.oversized`) is materialised, so kernels stay small and compile time is
    O(log y)."""
    from fx.ir import kernels as K

    if y == 0:
        return ctx.inline(x.shape, x.dtype, lambda idx: K.const(1, x.dtype))

    def mul(a, b):
        return ctx.elementwise("mul", [a, b], x.dtype)

    def shared(square):
        return ctx.materialize(square) if ctx.oversized(square) else square

    p = _power_by_squaring(x, builtins.abs(y), mul, shared)
    return p if y > 0 else ctx.elementwise("div", [ctx.inline(
        x.shape, x.dtype, lambda idx: K.const(1, x.dtype)), p], x.dtype)


integer_pow_p.lower = _lower_integer_pow


def _lower_select_n(ctx, which, *cases):
    from fx.ir import kernels as K

    def fn(idx):
        w = which.at(idx if which.shape else ())
        values = [c.at(idx) for c in cases]
        if w.dtype == np.bool_:
            return values[0] if len(values) == 1 else K.op("select", w, values[1], values[0])
        out = values[-1]
        for i in range(len(values) - 2, -1, -1):  # which <= i picks case i (clamped like impl)
            out = K.op("select", K.op("le", w, K.const(i, w.dtype), dtype=np.bool_), values[i], out)
        return out
    return ctx.inline(cases[0].shape, cases[0].dtype, fn, [which, *cases])


select_n_p.lower = _lower_select_n


# ---------------------------------------------------------------------------- binders

def neg(x): return neg_p.bind(x)
def add(x, y): return add_p.bind(x, y)
def sub(x, y): return sub_p.bind(x, y)
def mul(x, y): return mul_p.bind(x, y)
def div(x, y): return div_p.bind(x, y)
def pow(x, y): return pow_p.bind(x, y)
def integer_pow(x, y): return integer_pow_p.bind(x, y=y)
def abs(x): return abs_p.bind(x)
def sign(x): return sign_p.bind(x)
def floor(x): return floor_p.bind(x)
def exp(x): return exp_p.bind(x)
def log(x): return log_p.bind(x)
def sin(x): return sin_p.bind(x)
def cos(x): return cos_p.bind(x)
def eq(x, y): return eq_p.bind(x, y)
def select_n(which, *cases): return select_n_p.bind(which, *cases)


def _full_like(x, value):
    return _lax().full_like(x, value)


def _zeros_like(x):
    return _full_like(x, 0)


def _ones_like(x):
    return _full_like(x, 1)


# ---------------------------------------------------------------------------- examples

_x, _y = randn(3, 4, seed=1), randn(3, 4, seed=2)
_pos = uniform(0.5, 2.0, 3, 4, seed=3)
_i, _j = np.array([[7, -7, 3], [0, 5, -9]], np.int32), np.array([[2, 2, -4], [3, 0, 5]], np.int32)

example(neg_p, _x, reference=np.negative, linear_argnums=(0,))
example(add_p, _x, _y, reference=np.add, linear_argnums=(0, 1))
example(sub_p, _x, _y, reference=np.subtract, linear_argnums=(0, 1))
example(mul_p, _x, _y, reference=np.multiply, linear_argnums=(0,))
example(mul_p, _x, _y, reference=np.multiply, linear_argnums=(1,))
example(div_p, _x, _pos, reference=np.divide, linear_argnums=(0,))
example(div_p, _i, _j, reference=lambda x, y: np.where(
    y == 0, -1, np.trunc(x / np.where(y == 0, 1, y))).astype(np.int32), name="int_by_zero")
example(rem_p, _x, _pos, reference=np.fmod)
example(rem_p, _i, _j, reference=lambda x, y: np.where(y == 0, x, np.fmod(x, np.where(y == 0, 1, y))),
        name="int_by_zero")
example(pow_p, _pos, _y, reference=np.power)
example(integer_pow_p, _x, params=dict(y=3), reference=lambda x, y: x ** y)
example(integer_pow_p, _pos, params=dict(y=-2), reference=lambda x, y: x ** float(y))
example(max_p, _x, _y, reference=np.maximum)
example(min_p, _x, _y, reference=np.minimum)
example(abs_p, _x, reference=np.abs)
example(sign_p, _x, reference=np.sign)
example(exp_p, _x, reference=np.exp)
example(exp2_p, _x, reference=np.exp2)
example(log_p, _pos, reference=np.log)
example(log1p_p, _pos, reference=np.log1p)
example(expm1_p, _x, reference=np.expm1)
example(sqrt_p, _pos, reference=np.sqrt)
example(rsqrt_p, _pos, reference=lambda x: 1 / np.sqrt(x))
example(tanh_p, _x, reference=np.tanh)
example(logistic_p, _x * 10, reference=lambda x: 1 / (1 + np.exp(-x)))
example(sin_p, _x, reference=np.sin)
example(cos_p, _x, reference=np.cos)
example(tan_p, _x, reference=np.tan)
example(erf_p, _x, reference=np.vectorize(math.erf))
example(floor_p, _x * 3, reference=np.floor)
example(ceil_p, _x * 3, reference=np.ceil)
example(round_p, np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.4]), reference=lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5))
example(round_p, np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.4]), params=dict(rounding_method=1),
        reference=lambda x, rounding_method: np.round(x))
for _p, _ref in [(eq_p, np.equal), (ne_p, np.not_equal), (lt_p, np.less), (le_p, np.less_equal),
                 (gt_p, np.greater), (ge_p, np.greater_equal)]:
    example(_p, _x, np.where(_y > 0, _x, _y), reference=_ref)
_a, _b = randn(6, seed=4) > 0, randn(6, seed=5) > 0
example(and_p, _a, _b, reference=np.logical_and)
example(or_p, _a, _b, reference=np.logical_or)
example(xor_p, _a, _b, reference=np.logical_xor)
example(not_p, _a, reference=np.logical_not)
example(and_p, _i, _j, reference=np.bitwise_and)
example(not_p, _i, reference=np.invert)


def _shift_reference(kind):
    """Python-int shifts of each element's bit pattern: the oracle for the shift examples."""
    def scalar(x, y, bits):
        u, s = x % 2 ** bits, y % 2 ** bits  # the patterns; the amount reads as unsigned
        if kind == "arithmetic":
            return (u - (u >> (bits - 1) << bits)) >> builtins.min(s, bits - 1)
        if s >= bits:
            return 0
        return u << s if kind == "left" else u >> s

    def reference(x, y):
        bits = 8 * x.itemsize
        out = [scalar(int(a), int(b), bits) % 2 ** bits for a, b in zip(x.ravel(), y.ravel())]
        return np.array(out, np.uint64).astype(x.dtype).reshape(x.shape)
    return reference


_shift_x = np.array([1, -1, 0x7FFFFFFF, -0x80000000, 0x12345678, -5, 6, 1, -1, 3], np.int32)
_shift_y = np.array([0, 1, 31, 31, 4, 32, 33, -1, 100, 2], np.int32)  # amounts >= 32 and < 0 too
for _dt in (np.int32, np.uint32, np.int64):
    for _p, _kind in [(shift_left_p, "left"), (shift_right_logical_p, "logical"),
                      (shift_right_arithmetic_p, "arithmetic")]:
        example(_p, _shift_x.astype(_dt), _shift_y.astype(_dt), reference=_shift_reference(_kind),
                name=np.dtype(_dt).name)
example(select_n_p, _x > 0, _x, _y, reference=lambda w, a, b: np.where(w, b, a), linear_argnums=(1, 2))
example(select_n_p, np.array([[0, 1, 2, 1], [2, 0, 1, 0], [1, 1, 0, 2]], np.int32), _x, _y, _x * 2,
        reference=lambda w, *cs: np.choose(w, cs), linear_argnums=(1, 2, 3))
example(convert_element_type_p, _x, params=dict(new_dtype=np.dtype("float32"), weak_type=False),
        reference=lambda x, **_: x.astype(np.float32), linear_argnums=(0,))
example(convert_element_type_p, _x * 5, params=dict(new_dtype=np.dtype("int32"), weak_type=False),
        reference=lambda x, **_: x.astype(np.int32))
example(stop_gradient_p, _x, reference=lambda x: x)


# ---------------------------------------------------------------------------- inverse trig, hyperbolic, cbrt
# Defined after the examples above so that the shared inputs (_x, _pos) exist; each has
# its native code in fx/backends/llvm/mathlib.py.

asin_p = _float_unary("asin", np.arcsin)
acos_p = _float_unary("acos", np.arccos)
atan_p = _float_unary("atan", np.arctan)
sinh_p = _float_unary("sinh", np.sinh)
cosh_p = _float_unary("cosh", np.cosh)
asinh_p = _float_unary("asinh", np.arcsinh)
acosh_p = _float_unary("acosh", np.arccosh)
atanh_p = _float_unary("atanh", np.arctanh)
cbrt_p = _float_unary("cbrt", np.cbrt, _FLOAT)
atan2_p = elementwise("atan2", np.arctan2, _FLOAT)
square_p = elementwise("square", np.square, _NUMBER)
is_finite_p = elementwise("is_finite", np.isfinite, _FLOAT, out_dtype=dtypes.bool_)
defjvp_zero(is_finite_p)


def _one_minus_square(x):
    return sub(_ones_like(x), square(x))


defjvp(asin_p, lambda g, ans, x: mul(g, rsqrt_p.bind(_one_minus_square(x))))
defjvp(acos_p, lambda g, ans, x: neg(mul(g, rsqrt_p.bind(_one_minus_square(x)))))
defjvp(atan_p, lambda g, ans, x: div(g, add(_ones_like(x), square(x))))
defjvp(sinh_p, lambda g, ans, x: mul(g, cosh_p.bind(x)))
defjvp(cosh_p, lambda g, ans, x: mul(g, sinh_p.bind(x)))
defjvp(asinh_p, lambda g, ans, x: mul(g, rsqrt_p.bind(add(square(x), _ones_like(x)))))
defjvp(acosh_p, lambda g, ans, x: mul(g, rsqrt_p.bind(mul(sub(x, _ones_like(x)), add(x, _ones_like(x))))))
defjvp(atanh_p, lambda g, ans, x: div(g, _one_minus_square(x)))
defjvp(cbrt_p, lambda g, ans, x: mul(g, mul(_full_like(x, 1 / 3), integer_pow(ans, -2))))
defjvp(atan2_p, lambda g, ans, x, y: mul(g, div(y, add(square(x), square(y)))),
       lambda g, ans, x, y: mul(g, div(neg(x), add(square(x), square(y)))))
defjvp(square_p, lambda g, ans, x: mul(g, mul(_full_like(x, 2), x)))

for _prim in (asin_p, acos_p, atan_p, sinh_p, cosh_p, asinh_p, acosh_p, atanh_p, cbrt_p, atan2_p,
              is_finite_p):
    _prim.lower = _lower_as(_prim.name)
square_p.lower = lambda ctx, x: _lower_integer_pow(ctx, x, y=2)


def square(x): return square_p.bind(x)


_unit = uniform(-0.95, 0.95, 3, 4, seed=6)
example(asin_p, _unit, reference=np.arcsin)
example(acos_p, _unit, reference=np.arccos)
example(atan_p, _x * 3, reference=np.arctan)
example(sinh_p, _x * 3, reference=np.sinh)
example(cosh_p, _x * 3, reference=np.cosh)
example(asinh_p, _x * 3, reference=np.arcsinh)
example(acosh_p, _pos + 1, reference=np.arccosh)
example(atanh_p, _unit, reference=np.arctanh)
example(cbrt_p, _x * 3, reference=np.cbrt)
example(atan2_p, _x, _y, reference=np.arctan2)
example(square_p, _x, reference=np.square)
example(square_p, _i, reference=np.square, name="int")
example(is_finite_p, np.array([0.0, -1.5, np.inf, -np.inf, np.nan, 1e308]), reference=np.isfinite)


# ---------------------------------------------------------------------------- add_any
# The sum of two tangents: jvp's add_tangents binds it by name from core.primitives, so
# that fx.transforms need not import lax.

add_any_p = Primitive("add_any")
add_any_p.impl = np.add


def _add_any_abstract_eval(x, y):
    if x.shape != y.shape or x.dtype != y.dtype:
        raise TypeError(f"add_any: tangents must have equal types, got {x.str_short()} "
                        f"and {y.str_short()}")
    return x.strip_weak_type() if x.weak_type != y.weak_type else x


add_any_p.abstract_eval = _add_any_abstract_eval
deflinear(add_any_p, lambda ct, x, y: [ct, ct])


def _add_any_batch(args, dims):
    if dims[0] == dims[1]:
        return add_any_p.bind(*args), dims[0]
    size = axis_size_of(args, dims)
    return add_any_p.bind(*(bdim_at_front(x, d, size) for x, d in zip(args, dims))), 0


add_any_p.batch = _add_any_batch
add_any_p.lower = lambda ctx, x, y: ctx.elementwise("add", [x, y], x.dtype)

example(add_any_p, randn(3, 4, seed=20), randn(3, 4, seed=21), reference=np.add,
        linear_argnums=(0, 1))
