"""complex64 and complex128 in native code.

A complex number is an LLVM struct {re, im} of floats or doubles, laid out as NumPy lays
it out. Loads and stores move the two parts separately (interleaved accesses, which the
loop vectoriser handles), and every operation is written in terms of real operations on
the parts, through the same real code generation (and math library) as float arrays:
`real_op(name, *args)` emits one real scalar op.

The formulas, and what they cost in accuracy (measured against NumPy in
tests/numpy/test_complex.py):
  mul          (ac - bd) + (ad + bc)i, as XLA and NumPy
  div          Smith's algorithm (scales by the larger part of the divisor: no overflow
               for large divisors, as NumPy)
  abs          hypot by scaling: max(|a|, |b|) sqrt(1 + (min/max)^2); inf if a part is inf
  exp          e^a (cos b + i sin b)
  log          log|z| + i atan2(b, a); log1p(a^2 + b^2 - 1) / 2 for |z| near 1
  sqrt         the principal root by t = sqrt((|a| + |z|) / 2), no cancellation
  sin, cos     sin a cosh b + i cos a sinh b;  cos a cosh b - i sin a sinh b
  sinh, cosh   sinh a cos b + i cosh a sin b;  cosh a cos b + i sinh a sin b
  tanh, tan    Kahan's formula (no cancellation near the poles), its limit sign(a) for
               large |a|; tan z = -i tanh(iz)
  expm1, log1p without cancellation near 0: expm1(a) cos b - 2 sin^2(b/2) + i e^a sin b;
               log1p|1 + z| from log1p(2a + a^2 + b^2) / 2
  pow          exp(w log z), with 0^0 = 1 and 0^w = 0
  asinh        log1p(z + z^2 / (1 + sqrt(z^2 + 1))) on the right half plane (odd), log 2z
               where z^2 would overflow; asin z = -i asinh(iz)
  acosh, acos  log(z + sqrt(z + 1) sqrt(z - 1)); pi/2 - asin z
  atanh, atan  (log1p(z) - log1p(-z)) / 2; atan z = -i atanh(iz)
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from fx import dtypes
from fx.backends.llvm import mathlib

F32, F64 = ir.FloatType(), ir.DoubleType()
I32 = ir.IntType(32)


def part_type(dtype):
    return F32 if np.dtype(dtype) == dtypes.complex64 else F64


def struct_type(dtype):
    t = part_type(dtype)
    return ir.LiteralStructType([t, t])


def constant(value, dtype):
    value = complex(value)
    t = part_type(dtype)
    return ir.Constant(struct_type(dtype), [ir.Constant(t, value.real), ir.Constant(t, value.imag)])


def make(b, re, im):
    z = ir.Constant(ir.LiteralStructType([re.type, re.type]), None)
    return b.insert_value(b.insert_value(z, re, 0), im, 1)


def parts(b, z):
    return b.extract_value(z, 0), b.extract_value(z, 1)


def load(b, pointer):
    """A complex number from its two parts at `pointer` (a struct pointer)."""
    zero = ir.Constant(I32, 0)
    return make(b, *(b.load(b.gep(pointer, [zero, ir.Constant(I32, k)], inbounds=True)) for k in (0, 1)))


def store(b, value, pointer):
    zero = ir.Constant(I32, 0)
    for k, part in enumerate(parts(b, value)):
        b.store(part, b.gep(pointer, [zero, ir.Constant(I32, k)], inbounds=True))


class _Parts(mathlib._Emitter):
    """Real arithmetic on one part type (mathlib's instruction helpers), for writing the
    formulas readably; `op` emits any real scalar op through the real code generator."""

    def __init__(self, b, t, real_op):
        super().__init__(b, t)
        self.op = real_op

    def neg(self, x):
        return self.b.fneg(x)

    def lt(self, x, y):
        return self.b.fcmp_ordered("<", x, y)

    def eq(self, x, y):
        return self.b.fcmp_ordered("==", x, y)

    def select(self, c, x, y):
        return self.b.select(c, x, y)

    def copysign(self, x, s):
        return self.intr("copysign", x, s)

    def hypot(self, x, y):
        ax, ay = self.abs(x), self.abs(y)
        big, small = self.op("max", ax, ay), self.op("min", ax, ay)
        ratio = self.div(small, self.select(self.eq(big, self.c(0.0)), self.c(1.0), big))
        h = self.mul(big, self.op("sqrt", self.add(self.c(1.0), self.mul(ratio, ratio))))
        inf = self.b.or_(self.eq(ax, self.c(np.inf)), self.eq(ay, self.c(np.inf)))
        return self.select(inf, self.c(np.inf), h)


def complex_op(b, name, args, arg_dtypes, dtype, real_op):
    """Scalar op `name` where an operand or the result is complex; None if it has no
    complex form here."""
    src = np.dtype(arg_dtypes[0]) if arg_dtypes else np.dtype(dtype)
    if name == "complex":
        return make(b, *args)
    if name == "convert":
        return _convert(b, args[0], src, np.dtype(dtype))
    if name == "select":
        return b.select(*args)
    p = _Parts(b, part_type(src), real_op)
    (a, bb), *rest = [parts(b, z) for z in args]
    if name == "real":
        return a
    if name == "imag":
        return bb
    if name == "conj":
        return make(b, a, p.neg(bb))
    if name == "abs":
        return p.hypot(a, bb)
    if name in ("eq", "ne"):
        c, d = rest[0]
        same = b.and_(p.eq(a, c), p.eq(bb, d))
        return same if name == "eq" else b.not_(same)
    if name in ("max", "min"):  # lexicographic, as XLA; NaN wins, as for real numbers
        c, d = rest[0]
        greater = b.or_(b.fcmp_ordered(">", a, c), b.and_(p.eq(a, c), b.fcmp_ordered(">", bb, d)))
        first = greater if name == "max" else b.not_(b.or_(greater, b.and_(p.eq(a, c), p.eq(bb, d))))
        first_nan, second_nan = (b.fcmp_unordered("uno", re, im) for re, im in ((a, bb), (c, d)))
        first = b.or_(first_nan, b.and_(first, b.not_(second_nan)))
        return b.select(first, args[0], args[1])
    fn = _BINARY.get(name) or _UNARY.get(name)
    if fn is None:
        return None
    re, im = fn(p, (a, bb), *rest) if name in _BINARY else fn(p, (a, bb))
    return make(b, re, im)


def _convert(b, v, src, dst):
    from fx.backends.llvm import codegen as cg
    if dtypes.is_complex(src) and dtypes.is_complex(dst):
        re, im = parts(b, v)
        t = part_type(dst)
        cast = (lambda x: b.fpext(x, t)) if t == F64 and re.type == F32 else \
            (lambda x: b.fptrunc(x, t)) if t == F32 and re.type == F64 else (lambda x: x)
        return make(b, cast(re), cast(im))
    if dtypes.is_complex(dst):  # a real number: imaginary part 0
        real = dtypes.real_dtype(dst)
        re = cg.convert(b, v, src, real)
        return make(b, re, ir.Constant(re.type, 0.0))
    re, im = parts(b, v)
    if dtypes.is_bool(dst):
        zero = ir.Constant(re.type, 0.0)
        return b.or_(b.fcmp_unordered("!=", re, zero), b.fcmp_unordered("!=", im, zero))
    return cg.convert(b, re, dtypes.real_dtype(src), dst)  # the real part, as JAX


# ---------------------------------------------------------------------------- formulas

def _mul(p, x, y):
    (a, b), (c, d) = x, y
    return p.sub(p.mul(a, c), p.mul(b, d)), p.add(p.mul(a, d), p.mul(b, c))


def _div(p, x, y):
    """Smith's algorithm."""
    (a, b), (c, d) = x, y
    c_big = p.b.fcmp_ordered(">=", p.abs(c), p.abs(d))
    r = p.select(c_big, p.div(d, c), p.div(c, d))             # the smaller part over the larger
    den = p.select(c_big, p.add(c, p.mul(d, r)), p.add(p.mul(c, r), d))
    re = p.select(c_big, p.add(a, p.mul(b, r)), p.add(p.mul(a, r), b))
    im = p.select(c_big, p.sub(b, p.mul(a, r)), p.sub(p.mul(b, r), a))
    return p.div(re, den), p.div(im, den)


def _exp(p, z):
    a, b = z
    e = p.op("exp", a)
    real_axis = p.eq(b, p.c(0.0))  # e^a exactly, even where e^a overflows (inf * 0)
    return p.mul(e, p.op("cos", b)), p.select(real_axis, b, p.mul(e, p.op("sin", b)))


def _log(p, z):
    """log|z| + i arg z; near |z| = 1, log|z| as log1p(a^2 + b^2 - 1) / 2, with
    a^2 - 1 = (a - 1)(a + 1) (log of a rounded |z| would lose the digits)."""
    a, b = z
    h = p.hypot(a, b)
    near_one = p.b.and_(p.lt(p.c(0.5), h), p.lt(h, p.c(2.0)))
    close = p.mul(p.c(0.5), p.op("log1p", p.add(p.mul(p.sub(a, p.c(1.0)), p.add(a, p.c(1.0))), p.mul(b, b))))
    return p.select(near_one, close, p.op("log", h)), p.op("atan2", b, a)


def _sqrt(p, z):
    a, b = z
    # scale tiny numbers up (exactly, by an even power of 2) so that (|a| + |z|) / 2 keeps
    # its digits; halve both terms first so that huge ones do not overflow
    k = 40 if p.ty == F32 else 300
    tiny = p.lt(p.op("max", p.abs(a), p.abs(b)), p.c(2.0 ** (-k // 2 - 20)))
    up, down = p.select(tiny, p.c(2.0 ** (2 * k)), p.c(1.0)), p.select(tiny, p.c(2.0 ** -k), p.c(1.0))
    sa, sb = p.mul(a, up), p.mul(b, up)
    t = p.op("sqrt", p.add(p.mul(p.abs(sa), p.c(0.5)), p.mul(p.hypot(sa, sb), p.c(0.5))))
    zero = p.eq(t, p.c(0.0))
    half = p.div(sb, p.mul(p.c(2.0), p.select(zero, p.c(1.0), t)))
    positive = p.b.fcmp_ordered(">=", a, p.c(0.0))
    re = p.mul(p.select(positive, t, p.abs(half)), down)
    im = p.mul(p.select(positive, half, p.copysign(t, b)), down)
    return p.select(zero, p.c(0.0), re), p.select(zero, b, im)


def _sin(p, z):
    a, b = z
    return p.mul(p.op("sin", a), p.op("cosh", b)), p.mul(p.op("cos", a), p.op("sinh", b))


def _cos(p, z):
    a, b = z
    return p.mul(p.op("cos", a), p.op("cosh", b)), p.neg(p.mul(p.op("sin", a), p.op("sinh", b)))


def _tanh(p, z):
    """Kahan's formula: with t = tan b, s = sinh a, beta = 1 + t^2, tanh z is
    (beta s sqrt(1 + s^2) + i t) / (1 + beta s^2), whose denominator is at least 1 (the
    textbook one, cosh 2a + cos 2b, cancels near the poles)."""
    a, b = z
    t, s = p.op("tan", b), p.op("sinh", a)
    beta = p.add(p.c(1.0), p.mul(t, t))
    rho = p.op("sqrt", p.add(p.c(1.0), p.mul(s, s)))
    den = p.add(p.c(1.0), p.mul(beta, p.mul(s, s)))
    re, im = p.div(p.mul(beta, p.mul(rho, s)), den), p.div(t, den)
    # past |a| = 20 (9 in float32) s^2 overflows first; tanh is sign(a) + 4 sin b cos b e^-2|a| i
    large = p.b.fcmp_ordered(">", p.abs(a), p.c(20.0 if p.ty == F64 else 9.0))
    tail = p.mul(p.mul(p.c(4.0), p.mul(p.op("sin", b), p.op("cos", b))),
                 p.op("exp", p.mul(p.c(-2.0), p.abs(a))))
    return p.select(large, p.copysign(p.c(1.0), a), re), p.select(large, tail, im)


def _exp2(p, z):
    ln2 = p.c(float(np.log(2)))
    return _exp(p, (p.mul(z[0], ln2), p.mul(z[1], ln2)))


def _sinh(p, z):
    a, b = z
    return p.mul(p.op("sinh", a), p.op("cos", b)), p.mul(p.op("cosh", a), p.op("sin", b))


def _cosh(p, z):
    a, b = z
    return p.mul(p.op("cosh", a), p.op("cos", b)), p.mul(p.op("sinh", a), p.op("sin", b))


def _tan(p, z):
    a, b = z
    x, y = _tanh(p, (p.neg(b), a))  # tan z = -i tanh(iz)
    return y, p.neg(x)


def _expm1(p, z):
    a, b = z
    half_sin = p.op("sin", p.mul(b, p.c(0.5)))
    re = p.sub(p.mul(p.op("expm1", a), p.op("cos", b)), p.mul(p.c(2.0), p.mul(half_sin, half_sin)))
    return re, p.mul(p.op("exp", a), p.op("sin", b))


def _log1p(p, z):
    a, b = z
    inside = p.add(p.mul(p.c(2.0), a), p.add(p.mul(a, a), p.mul(b, b)))
    small = p.b.fcmp_ordered("<", p.hypot(a, b), p.c(0.5))
    far = _log(p, (p.add(a, p.c(1.0)), b))[0]
    return p.select(small, p.mul(p.c(0.5), p.op("log1p", inside)), far), p.op("atan2", b, p.add(a, p.c(1.0)))


def _rsqrt(p, z):
    return _div(p, (p.c(1.0), p.c(0.0)), _sqrt(p, z))


def _sign(p, z):
    a, b = z
    h = p.hypot(a, b)
    zero = p.eq(h, p.c(0.0))
    h = p.select(zero, p.c(1.0), h)
    return p.select(zero, p.c(0.0), p.div(a, h)), p.select(zero, p.c(0.0), p.div(b, h))


def _pow(p, z, w):
    re, im = _exp(p, _mul(p, w, _log(p, z)))
    z_zero = p.b.and_(p.eq(z[0], p.c(0.0)), p.eq(z[1], p.c(0.0)))
    w_zero = p.b.and_(p.eq(w[0], p.c(0.0)), p.eq(w[1], p.c(0.0)))
    re = p.select(z_zero, p.select(w_zero, p.c(1.0), p.c(0.0)), re)
    return re, p.select(z_zero, p.c(0.0), im)


def _asinh(p, z):
    """log(z + sqrt(z^2 + 1)) for the z with non-negative real part (asinh is odd, so
    the sum does not cancel), as log1p(z + z^2 / (1 + sqrt(z^2 + 1))) near 0; the square
    is not formed for large |z| (it would overflow), where asinh z = log 2z."""
    a, b = z
    flip = p.lt(a, p.c(0.0))
    a = p.select(flip, p.neg(a), a)
    b = p.select(flip, p.neg(b), b)
    sq = _mul(p, (a, b), (a, b))
    root = _sqrt(p, (p.add(sq[0], p.c(1.0)), sq[1]))
    t = _div(p, sq, (p.add(root[0], p.c(1.0)), root[1]))
    small = _log1p(p, (p.add(a, t[0]), p.add(b, t[1])))
    large = _log(p, (p.mul(a, p.c(2.0)), p.mul(b, p.c(2.0))))
    huge = p.lt(p.c(2.0 ** (50 if p.ty == F32 else 500)), p.hypot(a, b))
    re, im = p.select(huge, large[0], small[0]), p.select(huge, large[1], small[1])
    return p.select(flip, p.neg(re), re), p.select(flip, p.neg(im), im)


def _acosh(p, z):
    """log(z + sqrt(z + 1) sqrt(z - 1))."""
    a, b = z
    root = _mul(p, _sqrt(p, (p.add(a, p.c(1.0)), b)), _sqrt(p, (p.sub(a, p.c(1.0)), b)))
    return _log(p, (p.add(a, root[0]), p.add(b, root[1])))


def _atanh(p, z):
    """(log1p(z) - log1p(-z)) / 2."""
    a, b = z
    plus, minus = _log1p(p, (a, b)), _log1p(p, (p.neg(a), p.neg(b)))
    half = p.c(0.5)
    return p.mul(half, p.sub(plus[0], minus[0])), p.mul(half, p.sub(plus[1], minus[1]))


def _rotated(f):
    """-i f(i z): asin from asinh, atan from atanh."""
    def g(p, z):
        x, y = f(p, (p.neg(z[1]), z[0]))
        return y, p.neg(x)
    return g


def _acos(p, z):
    """pi/2 - asin z."""
    re, im = _rotated(_asinh)(p, z)
    return p.sub(p.c(np.pi / 2), re), p.neg(im)


_UNARY = {
    "neg": lambda p, z: (p.neg(z[0]), p.neg(z[1])), "exp": _exp, "log": _log, "sqrt": _sqrt,
    "rsqrt": _rsqrt, "sin": _sin, "cos": _cos, "tanh": _tanh, "tan": _tan, "expm1": _expm1,
    "log1p": _log1p, "sign": _sign, "exp2": _exp2, "sinh": _sinh, "cosh": _cosh,
    "asinh": _asinh, "acosh": _acosh, "atanh": _atanh, "asin": _rotated(_asinh), "acos": _acos,
    "atan": _rotated(_atanh),
}
_BINARY = {
    "add": lambda p, x, y: (p.add(x[0], y[0]), p.add(x[1], y[1])),
    "sub": lambda p, x, y: (p.sub(x[0], y[0]), p.sub(x[1], y[1])),
    "mul": _mul, "div": _div, "pow": _pow,
}
