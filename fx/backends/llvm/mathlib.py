"""Inline, branch-free, vectorisable transcendental functions for generated LLVM IR.

`emit(builder, name, args)` writes the instructions of one scalar function (float or
double) into the function `builder` is building and returns the result. The loop
vectoriser turns a loop body that uses it into SIMD code, which it cannot do with libm
calls (`llvm.exp.f32` & co. become scalar calls here: there is no SVML). So the code
contains no calls except intrinsics that map to vector instructions (fma, fabs, sqrt,
floor, copysign, fshl) and no branches: every path is computed and the answer chosen with `select`.
Special values (NaN, ±Inf, ±0, denormals) come out of the arithmetic itself where
possible (clamps are `fcmp`+`select`, which keep NaN) and from a few selects otherwise.
No fast-math flag is used: NaN and Inf stay IEEE.

Shared pieces: Horner evaluation with FMA, rounding to an integer with the "magic
number" trick (x + 1.5*2^p rounds x and leaves the integer in the low bits, so no
fptosi that NaN would make poison), and 2^k built in the exponent bits. Coefficients
are minimax fits (Lawson iteration in 50-digit mpmath, each coefficient rounded to the
target precision in turn and the rest refitted), made once at development time.

exp    x = k*ln2 + r, |r| <= ln2/2 (Cody-Waite: ln2 in two parts, FMA);
       e^r = 1 + expm1(r), expm1(r) = r + r^2 P(r); result (e^r * 2^(k/2)) * 2^(k-k/2),
       two factors so gradual underflow rounds once and k = 128 (f32) still fits.
exp2   x = k + r, e^(r ln2) with the exp polynomial.
expm1  same reduction; 2^k*(1+em) - 1 = 2*fma(2^(k-1), em, 2^(k-1) - 1/2): no
       cancellation for small x, and 2^(k-1) stays finite up to the overflow threshold.
log    x = 2^e * m with m in [sqrt(1/2), sqrt(2)) from the bits (denormals pre-scaled),
       f = m - 1 exactly, s = f/(2+f), log(1+f) = f - f^2/2 + s (f^2/2 + R(s^2)).
log1p  u = 1 + x with its rounding error c (Fast2Sum); f = (m_u - 1) + c*2^-e keeps
       the bits of x that 1 + x rounded away; then the log kernel.
tanh   t = expm1(2|x|), tanh = sign(x) t/(t+2); |x| clamped where tanh rounds to 1.
logistic  e = exp(-|x|) (never overflows): 1/(1+e) for x >= 0, e/(1+e) for x < 0.
sin/cos/tan  |x| = j*pi/2 + r + r_lo, |r| <= pi/4 (+ the rounding of j), r_lo the
       part of the remainder below r's ulp; sin r = r + r^3 S(r^2),
       cos r = 1 - r^2/2 + r^4 C(r^2) (both computed), picked and negated by j mod 4, with
       r_lo added to first order; tan r = r + (sin r - r cos r)/cos r and -cot r =
       -cos r/sin r share one division; the sign of x is xored back in (sin(-0) = -0).
       float32: Cody-Waite in double (pi/2 in two parts, FMA) below 2^30, and above it
       a Payne-Hanek reduction in 64-bit integers (the 96-bit window of 2/pi bits comes
       from a 224-bit constant by selects and funnel shifts): accurate for every finite
       float32. float64: Cody-Waite with pi/2 in three parts, FMA and an exact 2Sum for
       r_lo, accurate for |x| < 2^42 (4.4e12); beyond that r is clamped to
       [-0.786, 0.786] and r_lo dropped, so sin/cos stay in [-1, 1] and only Inf/NaN
       give NaN, but the values are not meaningful. Branch-free means every float32
       element pays for Payne-Hanek: float32 sin/cos/tan take ~2.5x the time of the
       Cody-Waite path alone.
erf    |x| < 1: x + x P(x^2); 1 <= |x| <= B: 1 - exp(-x^2 + Q(|x| - c)), with
       Q ~ log(erfc x) + x^2 (smooth; -x^2 + Q is one FMA); |x| clamped at B where erf
       rounds to 1.
pow    exp(y log|x|), then the C99/NumPy special cases by select (pow(x, 0) = 1,
       pow(1, y) = 1, odd integer y keeps the sign of a negative x, non-integer y of
       a negative x gives NaN, 0 and Inf bases, y = +-Inf). float32 works in double;
       float64 carries log|x| as a double-double (s = f/(2+f) with its residual, the
       s^3 term in double-double) and y*log|x| as hi+lo into exp.
sqrt   llvm.sqrt; rsqrt = 1/sqrt(x) (two correctly rounded steps).

The functions below have one float64 kernel; float32 widens, runs it and rounds once
(within ~0.5 ulp, at half the vector width of a float32 kernel).
sinh   |x| < 1: (em + em/(em+1))/2, em = expm1|x|; else h - 1/(4h), h = e^|x|/2 from exp
       with the exponent lowered by one, so values up to sinh's own overflow stay finite.
cosh   h + 1/(4h), h as for sinh.
asinh  log1p(|x| + x^2/(1 + sqrt(1 + x^2))); log|x| + ln2 above 2^28.
acosh  x < 2: log1p(t + sqrt(2t + t^2)), t = x - 1 (exact); log(x + sqrt(x^2 - 1)) up to
       2^28, log x + ln2 above; x < 1 gives NaN.
atanh  log1p(2a/(1-a))/2, a = |x|, as 2a + 2a^2/(1-a) below 1/2 (1 - a is exact above).
atan   |x| reduced to |z| <= tan(pi/8) by atan x = pi/4 + atan((x-1)/(x+1)) or
       pi/2 + atan(-1/x), the quotient's error carried (2Sum, FMA residual) to first
       order; atan z = z + z^3 P(z^2).
atan2  atan(min/max) of the magnitudes (quotient error carried), reflected by pi/2 - a
       and pi - a as head + tail; C99's zeros, infinities and NaN come out of t = 0 for
       equal zeros and t = 1 for equal infinities.
asin/acos  |x| <= 1/2: x + x^3 P(x^2); above, asin s with s = sqrt((1-|x|)/2) (its
       rounding error from an FMA residual), asin = pi/2 - 2 asin s, acos = 2 asin s or
       pi - 2 asin s.
cbrt   a guess from the exponent bits / 3, two Halley steps, one Newton step with an
       exact (FMA) residual; denormals and values above 2^600 are rescaled first.

Measured maximum errors are listed in tests/backends/llvm/test_llvm_mathlib.py; the bounds there are
4 ulp for every function and precision.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

from llvmlite import ir

F32, F64 = ir.FloatType(), ir.DoubleType()
_I32, _I64 = ir.IntType(32), ir.IntType(64)

# Coefficients, lowest order first (see the module docstring for how they were made).
# expm1(r) = r + r^2 * poly(r), |r| <= ln2/2: rel. error 2^-26.1 (f32), 2^-61.6 (f64).
_EXPM1_32 = (0.5, 0.16666549444198608, 0.04166685789823532, 0.008365970104932785,
             0.0013897862518206239)
_EXPM1_64 = (0.5, 0.16666666666666677, 0.041666666666666685, 0.008333333333321756,
             0.0013888888888890847, 0.00019841269885462776, 2.48015872884183e-05,
             2.7557245037678885e-06, 2.755731938849386e-07, 2.5108721428026438e-08,
             2.089746267602068e-09)
# log(1+f) = 2s + s*z*poly(z), z = s^2 <= 0.0295: rel. error 2^-30.2 (f32), 2^-66.6 (f64).
_LOG_32 = (0.6666677594184875, 0.3997758626937866, 0.29870691895484924)
_LOG_64 = (0.6666666666666666, 0.4000000000000492, 0.28571428569412377, 0.2222222260678251,
           0.18181778369237864, 0.1538698829593548, 0.13252159558424184, 0.13234681203946544)
# sin r = r + r^3 poly(r^2), cos r = 1 - r^2/2 + r^4 poly(r^2), |r| <= 0.8 (f32) / 0.786.
_SIN_32 = (-0.1666666716337204, 0.008333377540111542, -0.00019852070545312017,
           2.8204353839100804e-06)
_COS_32 = (0.04166664183139801, -0.0013887130189687014, 2.4412085622316226e-05)
_SIN_64 = (-0.16666666666666666, 0.008333333333333042, -0.0001984126984096241,
           2.755731907389176e-06, -2.5052070878692667e-08, 1.6054303008231887e-10,
           -7.38888626723566e-13)
_COS_64 = (0.041666666666666595, -0.0013888888888873316, 2.4801587288974347e-05,
           -2.755731420650701e-07, 2.08757036903331e-09, -1.1358649128652414e-11)
# erf x = x + x poly(x^2) on |x| < 1; log(erfc x) + x^2 = poly(x - center) on [1, B].
_ERF_P32 = (0.12837916612625122, -0.3761262595653534, 0.11283578723669052,
            -0.026853347197175026, 0.005187162198126316, -0.0007997853099368513,
            7.806903158780187e-05)
_ERF_Q32 = (-1.5444022417068481, -0.3566482961177826, 0.05726390704512596,
            -0.011162832379341125, 0.002241765847429633, -0.0004455755406524986,
            6.667683192063123e-05, -2.1758931325166486e-05)
_ERF_P64 = (0.12837916709551256, -0.37612638903183376, 0.11283791670939435,
            -0.02686617064246542, 0.005223977601464994, -0.0008548325729549496,
            0.00012055288149813112, -1.492461656206796e-05, 1.6446037423260697e-06,
            -1.6198497881360093e-07, 1.3679261748816847e-08, -7.723642249311331e-10)
_ERF_Q64 = (-1.8530829636785093, -0.2684462297775718, 0.03380212468069099,
            -0.0053497999576103085, 0.0008999184406418875, -0.0001525204075333969,
            2.5359627009189122e-05, -4.057218917948308e-06, 6.115883367394003e-07,
            -8.391149314575856e-08, 1.000372824834906e-08, -7.294252042882427e-10,
            -1.3549614618747657e-10, -6.611283552236397e-11, -4.968088085013646e-11,
            7.566905329376717e-12, 1.2979577754624142e-11, 7.098583986884827e-12,
            1.9723462072126163e-12, 3.140101613023732e-13, 2.2529520713647193e-14)
# atan z = z + z w poly(w), w = z^2 <= tan(pi/8)^2: rel. error 2^-57.5 (f64).
_ATAN_64 = (-0.333333333333332, 0.199999999999532, -0.14285714280161538, 0.11111110781896623,
            -0.0909089771762834, 0.07692059578613711, -0.06663097591675855, 0.05847847309792658,
            -0.05039135527266935, 0.03806072118089093, -0.017903460953625557)
# asin x = x + x w poly(w), w = x^2 <= 1/4: rel. error 2^-58.9 (f64).
_ASIN_64 = (0.1666666666666676, 0.07499999999970758, 0.044642857174653786, 0.03038194270569939,
            0.02237221504844374, 0.017351610884732194, 0.013980834516781993, 0.011398794381137538,
            0.010780933098636635, 0.0037037647347143896, 0.021714059072561395, -0.02100866944442707,
            0.03263478587380804)
# pi/2, pi/4 and pi as head + tail doubles.
_PI_2 = (1.5707963267948966, 6.123233995736766e-17)
_PI_4 = (0.7853981633974483, 3.061616997868383e-17)
_PI = (3.141592653589793, 1.2246467991473532e-16)
# 2/pi in binary after 8 zero bits, 64 bits a word (Payne-Hanek window for float32).
_TWO_OVER_PI_WORDS = (0x00A2F9836E4E4415, 0x29FC2757D1F534DD, 0xC0DB6295993C4390, 0x41FE5163ABDEBBC5)


# Constants of each precision (values exactly representable in it).
_P32 = SimpleNamespace(
    ty=F32, ity=_I32, bits=32, mant=23, bias=127, magic=12582912.0,  # 1.5 * 2^23
    min_normal=2.0 ** -126, sqrt_half_bits=0x3F3504F3,
    ln2=(0.6931471824645996, -1.9046542121259336e-09), log2e=1.4426950216293335,
    exp_lo=-104.0, exp_hi=89.0, exp2_lo=-151.0, exp2_hi=129.0, expm1_lo=-20.0,
    expm1=_EXPM1_32, log=_LOG_32, tiny=2.0 ** -25, tanh_tiny=2.0 ** -13, tanh_hi=10.0,
    two_over_pi=0.6366197466850281,
    pio2=(1.5707963705062866, -4.371138828673793e-08, -1.7151245100058819e-15),
    sin=_SIN_32, cos=_COS_32, cw_max=2.0 ** 17,  # Payne-Hanek above
    erf_p=_ERF_P32, erf_q=_ERF_Q32, erf_b=3.93, erf_c=2.465,
)
_P64 = SimpleNamespace(
    ty=F64, ity=_I64, bits=64, mant=52, bias=1023, magic=6755399441055744.0,  # 1.5 * 2^52
    min_normal=2.0 ** -1022, sqrt_half_bits=0x3FE6A09E667F3BCD,
    ln2=(0.6931471805599453, 2.3190468138462996e-17), log2e=1.4426950408889634,
    exp_lo=-746.0, exp_hi=710.0, exp2_lo=-1076.0, exp2_hi=1025.0, expm1_lo=-40.0,
    expm1=_EXPM1_64, log=_LOG_64, tiny=2.0 ** -54, tanh_tiny=2.0 ** -28, tanh_hi=20.0,
    two_over_pi=0.6366197723675814,
    pio2=(1.5707963267948966, 6.123233995736766e-17, -1.4973849048591698e-33),
    sin=_SIN_64, cos=_COS_64, cw_max=2.0 ** 42, r_max=0.786,
    erf_p=_ERF_P64, erf_q=_ERF_Q64, erf_b=5.93, erf_c=3.465,
)
_LN2_42 = (0.6931471805598903, 5.497923018708371e-14)  # ln2 with a 42-bit head: e*head exact


class _Emitter:
    """Instruction helpers for one floating type; `self.p` holds its constants."""

    def __init__(self, builder, ty):
        self.b, self.p = builder, (_P32 if ty == F32 else _P64)
        self.ty, self.ity = self.p.ty, self.p.ity

    # -- constants, intrinsics, arithmetic ---------------------------------------------
    def c(self, v):
        return ir.Constant(self.ty, v)

    def i(self, v):
        return ir.Constant(self.ity, v)

    def intr(self, name, *args):
        t = args[0].type
        full = f"llvm.{name}.{'f32' if t == F32 else 'f64' if t == F64 else f'i{t.width}'}"
        module = self.b.module
        fn = module.globals.get(full) or ir.Function(module, ir.FunctionType(t, [a.type for a in args]), full)
        return self.b.call(fn, args)

    def add(self, a, b):
        return self.b.fadd(a, b)

    def sub(self, a, b):
        return self.b.fsub(a, b)

    def mul(self, a, b):
        return self.b.fmul(a, b)

    def div(self, a, b):
        return self.b.fdiv(a, b)

    def fma(self, a, b, c):
        return self.intr("fma", a, b, c)

    def abs(self, x):
        return self.intr("fabs", x)

    def cmp(self, op, a, b):
        """Ordered comparison (false when either side is NaN)."""
        return self.b.fcmp_ordered(op, a, b)

    def sel(self, cond, a, b):
        return self.b.select(cond, a, b)

    def clamp(self, x, lo, hi):
        """x limited to [lo, hi]; NaN stays NaN."""
        x = self.sel(self.cmp(">", x, self.c(hi)), self.c(hi), x)
        return x if lo is None else self.sel(self.cmp("<", x, self.c(lo)), self.c(lo), x)

    def bits(self, x):
        return self.b.bitcast(x, self.ity)

    def flt(self, n):
        return self.b.bitcast(n, self.ty)

    def poly(self, x, coeffs):
        """Estrin's scheme with FMA, coefficients lowest order first: pairs c0 + c1 x, then
        pairs of those with x^2, x^4, ... The dependency chain is log2(degree) FMAs long
        instead of degree (Horner), which keeps long loop bodies from being latency bound."""
        terms = [self.fma(self.c(coeffs[i + 1]), x, self.c(coeffs[i])) if i + 1 < len(coeffs)
                 else self.c(coeffs[i]) for i in range(0, len(coeffs), 2)]
        power = x
        while len(terms) > 1:
            power = self.mul(power, power)
            terms = [self.fma(terms[i + 1], power, terms[i]) if i + 1 < len(terms) else terms[i]
                     for i in range(0, len(terms), 2)]
        return terms[0]

    def round_int(self, x, scale=None):
        """(float, int) nearest integer of x (or of x*scale, one rounding), |x| < 2^(mant-1)."""
        m = self.c(self.p.magic)
        t = self.add(x, m) if scale is None else self.fma(x, self.c(scale), m)
        return self.sub(t, m), self.b.sub(self.bits(t), self.bits(m))

    def pow2i(self, k):
        """2^k for an integer k in the normal exponent range."""
        return self.flt(self.b.shl(self.b.add(k, self.i(self.p.bias)), self.i(self.p.mant)))

    def signbit(self, x):
        return self.b.and_(self.bits(x), self.i(1 << (self.p.bits - 1)))

    def xor_sign(self, x, sign):
        return self.flt(self.b.xor(self.bits(x), sign))

    def tiny_is_identity(self, x, r, tiny):
        """x itself where |x| < tiny (keeps -0 and denormals exact), else r."""
        return self.sel(self.cmp("<", self.abs(x), self.c(tiny)), x, r)

    # -- exponentials ------------------------------------------------------------------
    def reduce_ln2(self, x):
        """x = k*ln2 + r: (k as float, k as int, r)."""
        kf, ki = self.round_int(x, self.p.log2e)
        hi, lo = self.p.ln2
        r = self.fma(kf, self.c(-hi), x)
        return kf, ki, self.fma(kf, self.c(-lo), r)

    def expm1_poly(self, r):
        return self.fma(self.mul(r, r), self.poly(r, self.p.expm1), r)

    def scale(self, v, k):
        """v * 2^k in two exact-range factors: gradual underflow rounds once."""
        k1 = self.b.ashr(k, self.i(1))
        return self.mul(self.mul(v, self.pow2i(k1)), self.pow2i(self.b.sub(k, k1)))

    def exp(self, x, lo=None, halve=False):
        """e^(x + lo); lo (optional) is a small tail added after the reduction. With
        `halve`, e^x / 2 (exact scaling, finite up to ln(2 max) as sinh and cosh need)."""
        x = self.clamp(x, self.p.exp_lo, self.p.exp_hi + halve)
        _, k, r = self.reduce_ln2(x)
        if lo is not None:
            r = self.add(r, lo)
        return self.scale(self.add(self.c(1.0), self.expm1_poly(r)), self.b.sub(k, self.i(int(halve))))

    def exp2(self, x):
        x = self.clamp(x, self.p.exp2_lo, self.p.exp2_hi)
        kf, k = self.round_int(x)
        r = self.sub(x, kf)  # exact
        hi, lo = self.p.ln2
        r = self.fma(r, self.c(hi), self.mul(r, self.c(lo)))
        return self.scale(self.add(self.c(1.0), self.expm1_poly(r)), k)

    def expm1_kernel(self, x):
        """e^x - 1 for x already clamped to [expm1_lo, exp_hi] and not tiny."""
        _, k, r = self.reduce_ln2(x)
        em = self.expm1_poly(r)
        s = self.pow2i(self.b.sub(k, self.i(1)))  # 2^(k-1)
        return self.mul(self.c(2.0), self.fma(s, em, self.sub(s, self.c(0.5))))

    def expm1(self, x):
        r = self.expm1_kernel(self.clamp(x, self.p.expm1_lo, self.p.exp_hi))
        return self.tiny_is_identity(x, r, self.p.tiny)

    def tanh(self, x):
        ax = self.clamp(self.abs(x), None, self.p.tanh_hi)
        t = self.expm1_kernel(self.add(ax, ax))
        r = self.intr("copysign", self.div(t, self.add(t, self.c(2.0))), x)
        return self.tiny_is_identity(x, r, self.p.tanh_tiny)

    def logistic(self, x):
        e = self.exp(self.b.fneg(self.abs(x)))
        num = self.sel(self.cmp("<", x, self.c(0.0)), e, self.c(1.0))
        return self.div(num, self.add(self.c(1.0), e))

    # -- logarithms --------------------------------------------------------------------
    def split_exponent(self, u):
        """u = 2^e * m, m in [sqrt(1/2), sqrt(2)), for positive normal u: (e as int, m)."""
        p, b = self.p, self.b
        iu = self.bits(u)
        e = b.ashr(b.sub(iu, self.i(p.sqrt_half_bits)), self.i(p.mant))
        return e, self.flt(b.sub(iu, b.shl(e, self.i(p.mant))))

    def log1p_kernel(self, f, e):
        """e*ln2 + log(1+f) for f in about [sqrt(1/2)-1, sqrt(2)-1], e an int."""
        ef = self.b.sitofp(e, self.ty)
        s = self.div(f, self.add(self.c(2.0), f))
        z = self.mul(s, s)
        hfsq = self.mul(self.c(0.5), self.mul(f, f))
        tail = self.fma(s, self.fma(z, self.poly(z, self.p.log), hfsq), self.mul(ef, self.c(self.p.ln2[1])))
        return self.fma(ef, self.c(self.p.ln2[0]), self.sub(f, self.sub(hfsq, tail)))

    def log_positive(self, x):
        """log x for finite x > 0 (denormals scaled into the normal range first)."""
        denormal = self.cmp("<", x, self.c(self.p.min_normal))
        x = self.sel(denormal, self.mul(x, self.c(2.0 ** 60)), x)
        e, m = self.split_exponent(x)
        e = self.b.sub(e, self.sel(denormal, self.i(60), self.i(0)))
        return self.log1p_kernel(self.sub(m, self.c(1.0)), e)

    def log(self, x):
        r = self.sel(self.cmp("==", x, self.c(math.inf)), x, self.log_positive(x))
        r = self.sel(self.cmp("==", x, self.c(0.0)), self.c(-math.inf), r)
        return self.sel(self.b.fcmp_unordered("<", x, self.c(0.0)), self.c(math.nan), r)

    def log1p(self, x):
        b, one = self.b, self.c(1.0)
        u = self.add(one, x)
        big = self.cmp(">", x, one)  # Fast2Sum needs the larger operand first
        err = self.sub(self.sel(big, one, x), self.sub(u, self.sel(big, x, one)))
        e, m = self.split_exponent(u)
        f = self.add(self.sub(m, one), self.scale(err, b.neg(e)))  # e may be max_exp: scale
        r = self.log1p_kernel(f, e)
        r = self.sel(self.cmp("==", x, self.c(math.inf)), x, r)
        r = self.sel(self.cmp("==", x, self.c(-1.0)), self.c(-math.inf), r)
        r = self.sel(b.fcmp_unordered("<", x, self.c(-1.0)), self.c(math.nan), r)
        return self.tiny_is_identity(x, r, self.p.tiny)

    # -- trigonometry ------------------------------------------------------------------
    def reduce_pio2(self, ax):
        """ax = j*pi/2 + r + r_lo for ax >= 0, |r| <= pi/4 + a little, r_lo below half
        an ulp of r: (r, r_lo, j as int; only j mod 4 is used)."""
        b, p = self.b, self.p
        jf, j = self.round_int(ax, p.two_over_pi)
        c1, c2, c3 = p.pio2
        r1 = self.fma(jf, self.c(-c1), ax)  # exact
        ph = self.mul(jf, self.c(c2))
        pl = self.fma(jf, self.c(c2), b.fneg(ph))
        r2 = self.sub(r1, ph)
        bb = self.sub(r2, r1)  # 2Sum: r2 + err = r1 - ph exactly
        err = self.add(self.sub(r1, self.sub(r2, bb)), self.sub(b.fneg(ph), bb))
        lo = self.sub(err, self.fma(jf, self.c(c3), pl))
        r = self.add(r2, lo)
        lo = self.sub(lo, self.sub(r, r2))
        if self.ty == F64:  # beyond cw_max j*pi/2 is inexact: keep r bounded, drop the tail
            ok = self.cmp("<", ax, self.c(p.cw_max))
            return self.clamp(r, -p.r_max, p.r_max), self.sel(ok, lo, self.c(0.0)), j
        big = b.and_(self.cmp(">=", ax, self.c(p.cw_max)), self.cmp("<", ax, self.c(math.inf)))
        rd, j_ph = self.payne_hanek32(ax)
        r_ph = b.fptrunc(rd, F32)
        lo_ph = b.fptrunc(b.fsub(rd, b.fpext(r_ph, F64)), F32)
        return self.sel(big, r_ph, r), self.sel(big, lo_ph, lo), b.select(big, j_ph, j)

    def payne_hanek32(self, ax):
        """Reduction of a float32 ax >= 2^17 by pi/2 in exact integer arithmetic: (r in
        double, j).

        ax = M * 2^(e-150) with a 24-bit M. Bits of 2/pi with weight above 4/(M 2^(e-150))
        only add multiples of 4 to ax*2/pi, so a 96-bit window W starting at bit e-151
        suffices: ax*2/pi = M*W / 2^94 (mod 4), error < 2^-70. The quadrant is bits 94-95
        of M*W and the fraction the next 64 bits. The window comes from 256 bits of 2/pi
        (after 8 zero bits, so that e >= 144 starts in the first two words) by one select
        per 64-bit word and funnel shifts."""
        b = self.b

        def c(v):
            return ir.Constant(_I64, v)

        ix = b.zext(self.bits(ax), _I64)
        mant = b.or_(b.and_(ix, c(0x7FFFFF)), c(0x800000))
        pos = b.sub(b.lshr(ix, c(23)), c(144))  # window start in the table, 0..110
        t, second = _TWO_OVER_PI_WORDS, b.icmp_unsigned(">=", pos, c(64))
        words = [b.select(second, c(t[k + 1]), c(t[k])) for k in range(3)]
        hi = self.intr("fshl", words[0], words[1], pos)  # window bits 0-63
        lo = self.intr("fshl", words[1], words[2], pos)  # window bits 64-127
        low32 = c(0xFFFFFFFF)
        t2 = b.mul(mant, b.lshr(lo, c(32)))
        t1 = b.add(b.mul(mant, b.and_(hi, low32)), b.lshr(t2, c(32)))
        t0 = b.add(b.mul(mant, b.lshr(hi, c(32))), b.lshr(t1, c(32)))
        frac = self.intr("fshl", t0, b.shl(t1, c(32)), c(34))  # bits 93-30 of M*W
        quadrant = b.add(b.lshr(t0, c(30)), b.lshr(frac, c(63)))  # round to nearest
        r = b.fmul(b.sitofp(frac, F64), ir.Constant(F64, 8.515303950216386e-20))  # pi/2 * 2^-64
        return r, b.trunc(quadrant, _I32)

    def sincos_parts(self, x):
        """|x| reduced: (r, r_lo, j, sin r - r, cos r - 1), both tails without r_lo."""
        r, r_lo, j = self.reduce_pio2(self.abs(x))
        z = self.mul(r, r)
        s_tail = self.mul(self.mul(r, z), self.poly(z, self.p.sin))
        c_tail = self.mul(z, self.fma(z, self.poly(z, self.p.cos), self.c(-0.5)))
        return r, r_lo, j, s_tail, c_tail

    def sin_cos(self, x, shift):
        """sin x (shift 0) or cos x (shift 1): quadrant j + shift picks +-sin r / +-cos r."""
        b = self.b
        r, r_lo, j, s_tail, c_tail = self.sincos_parts(x)
        s = self.add(r, self.add(s_tail, r_lo))  # sin(r + r_lo)
        c = self.add(self.c(1.0), self.fma(self.b.fneg(r), r_lo, c_tail))  # cos(r + r_lo)
        j = b.add(j, self.i(shift))
        negate = b.shl(b.and_(j, self.i(2)), self.i(self.p.bits - 2))
        if shift == 0:  # sin is odd
            negate = b.xor(negate, self.signbit(x))
        return self.xor_sign(self.sel(b.trunc(j, ir.IntType(1)), c, s), negate)

    def tan(self, x):
        """tan r = r + (s_tail - r c_tail)/(1 + c_tail); -cot r = -(1 + c_tail)/sin r;
        then the first-order correction for r_lo (the derivative is 1 + v^2 for both)."""
        b, one = self.b, self.c(1.0)
        r, r_lo, j, s_tail, c_tail = self.sincos_parts(x)
        odd = b.trunc(j, ir.IntType(1))
        c = self.add(one, c_tail)
        q = self.div(self.sel(odd, c, self.fma(b.fneg(r), c_tail, s_tail)),
                     self.sel(odd, self.add(r, s_tail), c))
        v = self.sel(odd, b.fneg(q), self.add(r, q))
        v = self.fma(r_lo, self.fma(v, v, one), v)
        return self.xor_sign(v, self.signbit(x))

    # -- erf ---------------------------------------------------------------------------
    def erf(self, x):
        p = self.p
        small = self.fma(x, self.poly(self.mul(x, x), p.erf_p), x)
        ax = self.clamp(self.abs(x), None, p.erf_b)
        q = self.poly(self.sub(ax, self.c(p.erf_c)), p.erf_q)
        erfc = self.exp(self.fma(self.b.fneg(ax), ax, q))
        large = self.intr("copysign", self.sub(self.c(1.0), erfc), x)
        return self.sel(self.cmp("<", self.abs(x), self.c(1.0)), small, large)

    # -- pow ---------------------------------------------------------------------------
    def log_dd(self, ax):
        """log ax as a double-double (hi, lo) for finite ax > 0 (float64 only)."""
        b, c = self.b, self.c
        denormal = self.cmp("<", ax, c(self.p.min_normal))
        ax = self.sel(denormal, self.mul(ax, c(2.0 ** 60)), ax)
        e, m = self.split_exponent(ax)
        ef = b.sitofp(b.sub(e, self.sel(denormal, self.i(60), self.i(0))), self.ty)
        f = self.sub(m, c(1.0))
        d = self.add(c(2.0), f)
        d_lo = self.sub(f, self.sub(d, c(2.0)))
        s = self.div(f, d)
        s_lo = self.div(self.sub(self.fma(self.b.fneg(s), d, f), self.mul(s, d_lo)), d)
        z = self.mul(s, s)
        z_lo = self.fma(s, s, self.b.fneg(z))
        s3 = self.mul(z, s)
        s3_lo = self.fma(z_lo, s, self.fma(z, s, self.b.fneg(s3)))
        s3_lo = self.fma(self.mul(c(3.0), z), s_lo, s3_lo)  # (s + s_lo)^3
        c0 = c(self.p.log[0])  # log(1+f) = 2s + c0 s^3 + s^3 z poly(z): c0 s^3 in double-double
        t1 = self.mul(c0, s3)
        t1_lo = self.fma(c0, s3_lo, self.fma(c0, s3, self.b.fneg(t1)))
        t2 = self.mul(self.mul(s3, z), self.poly(z, self.p.log[1:]))
        head = self.mul(ef, c(_LN2_42[0]))  # exact
        two_s = self.add(s, s)
        hi1 = self.add(head, two_s)  # Fast2Sum: |head| >= |2s| unless head == 0
        err1 = self.sub(two_s, self.sub(hi1, head))
        hi = self.add(hi1, t1)  # Fast2Sum: |hi1| >= |t1|
        err2 = self.sub(t1, self.sub(hi, hi1))
        lo = self.add(self.add(err1, err2), self.add(t1_lo, self.add(s_lo, s_lo)))
        lo = self.add(lo, self.fma(ef, c(_LN2_42[1]), t2))
        return hi, lo

    def pow(self, x, y):
        b, c = self.b, self.c
        ax = self.abs(x)
        if self.ty == F32:  # in double, y*log|x| (|.| <= 104 unless it over/underflows) is exact enough
            e64 = _Emitter(b, F64)
            ld = e64.mul(b.fpext(y, F64), e64.log_positive(b.fpext(ax, F64)))
            r = b.fptrunc(e64.exp(ld), F32)
        else:
            hi, lo = self.log_dd(ax)
            ph = self.mul(y, hi)
            pl = self.fma(y, lo, self.fma(y, hi, b.fneg(ph)))
            pl = self.sel(self.cmp("<", self.abs(ph), c(1000.0)), pl, c(0.0))  # NaN if y*hi overflowed
            r = self.exp(ph, pl)
        inf, zero, one = c(math.inf), c(0.0), c(1.0)
        y_neg, ax_inf = self.cmp("<", y, zero), self.cmp("==", ax, inf)
        # Zero or infinite base: 0 or Inf by the sign of y (Inf base flips it).
        r = self.sel(b.or_(self.cmp("==", ax, zero), ax_inf), self.sel(b.xor(y_neg, ax_inf), inf, zero), r)
        # y = +-Inf: Inf when (|x| < 1) == (y < 0), 1 when |x| == 1, else 0.
        r_yinf = self.sel(b.icmp_unsigned("==", self.cmp("<", ax, one), y_neg), inf, zero)
        r_yinf = self.sel(self.cmp("==", ax, one), one, r_yinf)
        r = self.sel(self.cmp("==", self.abs(y), inf), r_yinf, r)
        # Negative base: odd integer y keeps the sign; finite x < 0 with non-integer y is NaN.
        y_int = self.cmp("==", self.intr("floor", y), y)
        half = self.mul(y, c(0.5))
        y_odd = b.and_(y_int, self.cmp("!=", self.intr("floor", half), half))
        r = self.xor_sign(r, self.sel(y_odd, self.signbit(x), self.i(0)))
        bad = b.and_(b.and_(self.cmp("<", x, zero), self.cmp("!=", x, b.fneg(inf))), b.not_(y_int))
        r = self.sel(b.or_(bad, b.fcmp_unordered("uno", x, y)), c(math.nan), r)
        return self.sel(b.or_(self.cmp("==", y, zero), self.cmp("==", x, one)), one, r)


    # -- float64 kernels that float32 borrows (widened, rounded once at the end) ----------
    def in_double(self, kernel, *args):
        """kernel(*args) in float64: float32 arguments are widened and the result rounded
        once, which keeps these functions within ~0.5 ulp in float32 with one set of
        coefficients (at half the float32 vector width)."""
        if self.ty == F64:
            return kernel(self, *args)
        b = self.b
        return b.fptrunc(kernel(_Emitter(b, F64), *(b.fpext(a, F64) for a in args)), F32)

    def sinh64(self, x):
        """|x| < 1: (em + em/(em+1))/2 with em = expm1|x| (no cancellation); else
        h - 1/(4h) with h = e^|x|/2, finite up to sinh's own overflow."""
        ax = self.abs(x)
        em = self.expm1(ax)
        small = self.mul(self.c(0.5), self.add(em, self.div(em, self.add(em, self.c(1.0)))))
        h = self.exp(ax, halve=True)
        large = self.sub(h, self.div(self.c(0.25), h))
        return self.intr("copysign", self.sel(self.cmp("<", ax, self.c(1.0)), small, large), x)

    def cosh64(self, x):
        h = self.exp(self.abs(x), halve=True)
        return self.add(h, self.div(self.c(0.25), h))

    def log_big(self, ax):
        """log(2 ax), for ax where sqrt(ax^2 +- 1) == ax (asinh, acosh)."""
        return self.add(self.log(ax), self.c(math.log(2)))

    def asinh64(self, x):
        """log1p(|x| + x^2/(1 + sqrt(1 + x^2))): no cancellation for small |x|."""
        ax = self.abs(x)
        x2 = self.mul(ax, ax)
        mid = self.log1p(self.add(ax, self.div(x2, self.add(self.c(1.0), self.intr(
            "sqrt", self.add(self.c(1.0), x2))))))
        r = self.sel(self.cmp(">", ax, self.c(2.0 ** 28)), self.log_big(ax), mid)
        return self.intr("copysign", r, x)

    def acosh64(self, x):
        """x < 2: log1p(t + sqrt(2t + t^2)), t = x - 1 exact; then log(x + sqrt(x^2 - 1))."""
        t = self.sub(x, self.c(1.0))
        small = self.log1p(self.add(t, self.intr("sqrt", self.fma(t, t, self.add(t, t)))))
        mid = self.log(self.add(x, self.intr("sqrt", self.fma(x, x, self.c(-1.0)))))
        r = self.sel(self.cmp(">", x, self.c(2.0 ** 28)), self.log_big(x), mid)
        r = self.sel(self.cmp("<", x, self.c(2.0)), small, r)
        return self.sel(self.cmp("<", x, self.c(1.0)), self.c(math.nan), r)

    def atanh64(self, x):
        """log1p(2a/(1-a))/2, a = |x|; below 1/2 as 2a + 2a^2/(1-a) (1 - a is exact above)."""
        ax = self.abs(x)
        d = self.sub(self.c(1.0), ax)
        two_a = self.add(ax, ax)
        small = self.add(two_a, self.div(self.mul(two_a, ax), d))
        u = self.sel(self.cmp("<", ax, self.c(0.5)), small, self.div(two_a, d))
        return self.intr("copysign", self.mul(self.c(0.5), self.log1p(u)), x)

    def atan_parts(self, ax):
        """atan ax for ax >= 0 as (y0 head, y0 tail, z + z w P(w)): ax is reduced to
        |z| <= tan(pi/8) by atan ax = pi/4 + atan((ax-1)/(ax+1)) = pi/2 + atan(-1/ax)."""
        one, b = self.c(1.0), self.b
        big = self.cmp(">", ax, self.c(2.414213562373095))
        mid = self.cmp(">", ax, self.c(0.41421356237309503))
        n, n_lo = self.two_sum(ax, self.c(-1.0))
        d, d_lo = self.two_sum(ax, one)
        num, num_lo = self.sel(big, self.c(-1.0), n), self.sel(big, self.c(0.0), n_lo)
        den, den_lo = self.sel(big, ax, d), self.sel(big, self.c(0.0), d_lo)
        q = self.div(num, den)
        # the quotient's rounding error and the tails of num and den, to first order
        q_lo = self.div(self.fma(b.fneg(q), den_lo, self.add(self.fma(b.fneg(q), den, num), num_lo)), den)
        z = self.sel(b.or_(big, mid), q, ax)
        z_lo = self.sel(b.and_(b.or_(big, mid), self.finite(q_lo)), q_lo, self.c(0.0))
        w = self.mul(z, z)
        head = self.sel(big, self.c(_PI_2[0]), self.sel(mid, self.c(_PI_4[0]), self.c(0.0)))
        tail = self.sel(big, self.c(_PI_2[1]), self.sel(mid, self.c(_PI_4[1]), self.c(0.0)))
        tail = self.add(tail, self.fma(b.fneg(z_lo), w, z_lo))  # atan'(z) z_lo = z_lo/(1 + w)
        return head, tail, self.fma(self.mul(z, w), self.poly(w, _ATAN_64), z)

    def finite(self, x):
        return self.cmp("<", self.abs(x), self.c(math.inf))

    def two_sum(self, a, b):
        """a + b as a rounded sum and its exact error."""
        s = self.add(a, b)
        bb = self.sub(s, a)
        return s, self.add(self.sub(a, self.sub(s, bb)), self.sub(b, bb))

    def atan64(self, x):
        head, tail, v = self.atan_parts(self.abs(x))
        return self.intr("copysign", self.add(head, self.add(tail, v)), x)

    def atan2_64(self, y, x):
        """atan(min/max) of the magnitudes, reflected into the octant (pi/2 - a when
        |y| > |x|, pi - a when x is negative or -0), with the sign of y. Equal zeros give
        t = 0 and equal infinities t = 1, which yields C99's special values."""
        b = self.b
        ax, ay = self.abs(x), self.abs(y)
        swap = self.cmp(">", ay, ax)
        num, den = self.sel(swap, ax, ay), self.sel(swap, ay, ax)
        t = self.sel(self.cmp("==", num, self.c(math.inf)), self.c(1.0), self.div(num, den))
        t = self.sel(self.cmp("==", den, self.c(0.0)), self.c(0.0), t)
        # num/den - t to first order in atan: t_lo / (1 + t^2), zero unless finite
        t_lo = self.div(self.fma(b.fneg(t), den, num), self.mul(den, self.fma(t, t, self.c(1.0))))
        t_lo = self.sel(self.finite(t_lo), t_lo, self.c(0.0))
        head, tail, v = self.atan_parts(t)
        lo = self.add(tail, self.add(v, t_lo))
        a = self.add(head, lo)
        lo = self.sub(lo, self.sub(a, head))  # a + lo = atan t to about 2^-100
        a2 = self.sub(self.c(_PI_2[0]), a)
        lo2 = self.sub(self.c(_PI_2[1]), lo)
        a, lo = self.sel(swap, a2, a), self.sel(swap, lo2, lo)
        neg = b.icmp_unsigned("!=", self.signbit(x), self.i(0))
        a = self.sel(neg, self.add(self.sub(self.c(_PI[0]), a), self.sub(self.c(_PI[1]), lo)),
                     self.add(a, lo))
        return self.sel(b.fcmp_unordered("uno", x, y), self.c(math.nan), self.intr("copysign", a, y))

    def asin_tail(self, ax):
        """For 1/2 < ax <= 1: asin s with s = sqrt((1 - ax)/2) as (s, tail), where tail
        holds sqrt's rounding error (from an FMA residual) and the series beyond s."""
        z = self.mul(self.sub(self.c(1.0), ax), self.c(0.5))  # exact
        s = self.intr("sqrt", z)
        corr = self.div(self.fma(self.b.fneg(s), s, z), self.add(s, s))
        corr = self.sel(self.cmp(">", s, self.c(0.0)), corr, self.c(0.0))
        return s, self.fma(self.mul(s, z), self.poly(z, _ASIN_64), corr)

    def asin_small(self, x):
        """x w P(w), w = x^2: asin x - x for |x| <= 1/2."""
        w = self.mul(x, x)
        return self.mul(self.mul(x, w), self.poly(w, _ASIN_64))

    def asin64(self, x):
        """|x| <= 1/2: x + x w P(w); above: pi/2 - 2 asin(sqrt((1 - |x|)/2))."""
        ax = self.abs(x)
        s, tail = self.asin_tail(ax)
        large = self.add(self.sub(self.c(_PI_2[0]), self.add(s, s)),
                         self.sub(self.c(_PI_2[1]), self.add(tail, tail)))
        small = self.add(x, self.asin_small(x))
        return self.sel(self.cmp(">", ax, self.c(0.5)), self.intr("copysign", large, x), small)

    def acos64(self, x):
        """|x| <= 1/2: pi/2 - asin x; x > 1/2: 2 asin s; x < -1/2: pi - 2 asin s."""
        ax = self.abs(x)
        s, tail = self.asin_tail(ax)
        two_s, two_tail = self.add(s, s), self.add(tail, tail)
        pos = self.add(two_s, two_tail)
        neg = self.add(self.sub(self.c(_PI[0]), two_s), self.sub(self.c(_PI[1]), two_tail))
        small = self.sub(self.c(_PI_2[0]), self.add(x, self.sub(self.asin_small(x), self.c(_PI_2[1]))))
        large = self.sel(self.cmp(">", x, self.c(0.0)), pos, neg)
        return self.sel(self.cmp(">", ax, self.c(0.5)), large, small)

    def cbrt64(self, x):
        """A first guess from the exponent bits divided by 3, two Halley steps
        t (t^3 + 2a)/(2t^3 + a) (5 -> 15 -> 45 bits), then one Newton step with the
        residual a - t^3 computed exactly by FMAs. Denormals are scaled by 2^54 and
        values above 2^600 by 2^-600 first (so t^3 cannot overflow); 0, Inf and NaN return x."""
        b, c = self.b, self.c
        ax = self.abs(x)
        tiny, huge = self.cmp("<", ax, c(self.p.min_normal)), self.cmp(">", ax, c(2.0 ** 600))
        a = self.mul(ax, self.sel(tiny, c(2.0 ** 54), self.sel(huge, c(2.0 ** -600), c(1.0))))
        guess = self.mul(b.sitofp(self.bits(a), F64), c(1 / 3))
        t = self.flt(b.fptosi(self.add(guess, c(float(682 << 52))), _I64))
        for _ in range(2):
            t3 = self.mul(self.mul(t, t), t)
            t = self.mul(t, self.div(self.fma(a, c(2.0), t3), self.fma(t3, c(2.0), a)))
        t2 = self.mul(t, t)
        t2_lo = self.fma(t, t, b.fneg(t2))
        t3 = self.mul(t2, t)
        t3_lo = self.fma(t2_lo, t, self.fma(t2, t, b.fneg(t3)))
        res = self.sub(self.sub(a, t3), t3_lo)
        t = self.fma(t, self.div(res, self.mul(c(3.0), t3)), t)
        t = self.mul(t, self.sel(tiny, c(2.0 ** -18), self.sel(huge, c(2.0 ** 200), c(1.0))))
        special = b.or_(self.cmp("==", ax, c(0.0)), b.fcmp_unordered(">=", ax, c(math.inf)))
        return self.sel(special, x, self.intr("copysign", t, x))

def _widened(kernel):
    return lambda em, *args: em.in_double(kernel, *args)


_UNARY = {
    "exp": _Emitter.exp, "exp2": _Emitter.exp2, "expm1": _Emitter.expm1, "log": _Emitter.log,
    "log1p": _Emitter.log1p, "tanh": _Emitter.tanh, "logistic": _Emitter.logistic,
    "sin": lambda em, x: em.sin_cos(x, 0), "cos": lambda em, x: em.sin_cos(x, 1),
    "tan": _Emitter.tan, "erf": _Emitter.erf,
    "sqrt": lambda em, x: em.intr("sqrt", x),
    "rsqrt": lambda em, x: em.div(em.c(1.0), em.intr("sqrt", x)),
    **{name: _widened(getattr(_Emitter, name + "64"))
       for name in ("sinh", "cosh", "asinh", "acosh", "atanh", "atan", "asin", "acos", "cbrt")},
}
_BINARY = {"pow": _Emitter.pow, "atan2": _widened(_Emitter.atan2_64)}
NAMES = tuple(sorted([*_UNARY, *_BINARY]))


def emit(builder: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
    """Emit `name(*args)` for float or double scalars; returns the result value."""
    arity = 2 if name in _BINARY else 1
    if name not in NAMES:
        raise ValueError(f"mathlib has no function {name!r}; expected one of {NAMES}")
    if len(args) != arity:
        raise TypeError(f"mathlib {name} takes {arity} argument(s), got {len(args)}")
    ty = args[0].type
    if ty not in (F32, F64) or any(a.type != ty for a in args):
        raise TypeError(f"mathlib {name} needs float or double arguments of one type, got "
                        f"{[str(a.type) for a in args]}")
    em = _Emitter(builder, ty)
    return _BINARY[name](em, *args) if name in _BINARY else _UNARY[name](em, args[0])
