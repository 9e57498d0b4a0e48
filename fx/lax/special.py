"""Special functions as primitives, with jax.lax's names: lgamma, digamma, erfc, erf_inv,
zeta (Hurwitz), bessel_i0e and bessel_i1e; polygamma is written with them.

Each is written once, with lax operations on float32 or float64 (16-bit floats compute
in float32 and round once, as XLA does). Its impl runs those operations eagerly and its
lowering inlines their jaxpr (`lowered_as`), so the interpreter and every backend compute
the same thing, fused with the neighbouring arithmetic. Derivatives are other special
functions (d lgamma = digamma, d digamma = polygamma(1, .) = zeta(2, .)), never the
derivative of the approximation.

Accuracy in float64, measured against 60-digit values (scripts/fit_special_functions.py
computes the Chebyshev coefficients below the same way): erfc within 2 ulp on [0.5, 26]
(SciPy's erfc is off by up to 62 ulp there), bessel_i0e/i1e within 6 and 10 ulp; lgamma
uses Lanczos' approximation (g = 7, 9 terms, as XLA) and digamma the asymptotic series
after shifting the argument past 10: relative error ~1e-15 except near their zeros,
where the error is absolute (~1e-16).
"""
from __future__ import annotations

import math

import numpy as np

from fx import dtypes
from fx.lax.elementwise import _FLOAT, elementwise
from fx.lax.examples import example, uniform
from fx.transforms.call import lowered_as
from fx.transforms.jvp import defjvp



# Chebyshev coefficients, from scripts/fit_special_functions.py
_ERFC_LOG = [  # on [0, 0.8]
    -0.78318707272406,
    0.5058947933173407,
    0.020165332295700413,
    -0.004150784270483714,
    -0.0006929393033131829,
    8.061304448090166e-05,
    2.5850999510766174e-05,
    -2.4532413619366538e-06,
    -1.0665628949056516e-06,
    1.0956136201272647e-07,
    4.618283721422925e-08,
    -6.305089137369667e-09,
    -1.9633309872353595e-09,
    3.979371116364933e-10,
    7.359712081538667e-11,
    -2.4619582503772172e-11,
    -1.769647748682444e-12,
    1.3810080809606214e-12,
    -4.600206617963027e-14,
    -6.380484046552098e-14,
    9.937718418245514e-15,
    1.856958347210499e-15,
    -7.707956385933372e-16,
    3.1621351296209296e-17,
    3.448945247480971e-17,
    -8.625438866510632e-18,
    -1.1313151778630992e-19,
    5.605328814696142e-19,
    -1.292351230481054e-19,
    -6.6606164277615455e-21,
    1.0942008211470387e-20,
]
_I0E_SMALL = [  # on [0, 8]
    0.33839763720473803,
    -0.3046826723431984,
    0.17162090152220877,
    -0.09490109704804764,
    0.04930528423967071,
    -0.02373741480589947,
    0.010546460394594998,
    -0.004324309995050576,
    0.0016394756169413357,
    -0.0005763755745385824,
    0.00018850288509584165,
    -5.754195010082104e-05,
    1.6448448070728896e-05,
    -4.4167383584587505e-06,
    1.1173875391201037e-06,
    -2.670793853940612e-07,
    6.046995022541919e-08,
    -1.300025009986248e-08,
    2.6598237246823866e-09,
    -5.189795601635263e-10,
    9.675809035373237e-11,
    -1.726826291441556e-11,
    2.95505266312964e-12,
    -4.856446783111929e-13,
    7.676185498604936e-14,
    -1.1685332877993451e-14,
    1.715391285555133e-15,
    -2.431279846547955e-16,
    3.3307945188222384e-17,
    -4.4153416464793395e-18,
    5.669178006921496e-19,
    -7.057100692457294e-20,
    8.524549418128701e-21,
    -1.0000528902334115e-21,
    1.140326139699786e-22,
]
_I0E_LARGE = [  # on [0, 2]
    0.4022452055070544,
    0.0033691164782556943,
    6.889758346916825e-05,
    2.8913705208347567e-06,
    2.0489185894690638e-07,
    2.266668990498178e-08,
    3.3962320257083865e-09,
    4.94060238822497e-10,
    1.1889147107846439e-11,
    -3.1499165279632416e-11,
    -1.3215811840447713e-11,
    -1.7941785315068062e-12,
    7.180124451383666e-13,
    3.8527783827421426e-13,
    1.54008621752141e-14,
    -4.150569347287222e-14,
    -9.554846698828307e-15,
    3.8116806693526224e-15,
    1.7725601330565263e-15,
    -3.425485619677219e-16,
    -2.8276239805165836e-16,
    3.461222867697461e-17,
    4.46562142029676e-17,
    -4.830504485944182e-18,
    -7.233180487874754e-18,
    9.921475412173699e-19,
    1.193650890845982e-18,
]
_I1E_SMALL = [  # on [0, 8]
    0.12629359322181682,
    -0.17641651835783406,
    0.1026436586898471,
    -0.05294598120809499,
    0.024726449030626516,
    -0.010564084894626197,
    0.004156422944312888,
    -0.0015135724506312532,
    0.0005122859561685758,
    -0.00016176081582589674,
    4.781565107550054e-05,
    -1.3273163656039436e-05,
    3.4702513081376785e-06,
    -8.568720264695455e-07,
    2.0032947535521353e-07,
    -4.445059128796328e-08,
    9.381537386495773e-09,
    -1.8872497517228294e-09,
    3.625590281552117e-10,
    -6.663489723502027e-11,
    1.1736186298890901e-11,
    -1.9839743977649436e-12,
    3.223793365945575e-13,
    -5.042185504727912e-14,
    7.600684294735408e-15,
    -1.1055969477353862e-15,
    1.5536319577362005e-16,
    -2.111421214358166e-17,
    2.7779141127610464e-18,
    -3.541581772542136e-19,
    4.379302756655071e-20,
    -5.256729982574641e-21,
    6.13032804029517e-22,
    -6.950970074145619e-23,
    7.668675024494379e-24,
]
_I1E_LARGE = [  # on [0, 2]
    0.38928811750914005,
    -0.009761097491361469,
    -0.00011058893876262371,
    -3.882564808877691e-06,
    -2.512236237870209e-07,
    -2.6314688468895196e-08,
    -3.835380385964237e-09,
    -5.589743462196584e-10,
    -1.8974958123505413e-11,
    3.2526035830154884e-11,
    1.4125807436613782e-11,
    2.0356285441470896e-12,
    -7.198551776245908e-13,
    -4.0835511110921974e-13,
    -2.1015418427726643e-14,
    4.272440016711951e-14,
    1.0420276984128802e-14,
    -3.8144030724370075e-15,
    -1.8803547755107825e-15,
    3.3082023109209285e-16,
    2.96262899764595e-16,
    -3.209525921993424e-17,
    -4.6503053684893586e-17,
    4.414348323071708e-18,
    7.517296310842105e-18,
    -9.314178867326884e-19,
    -1.242193275194891e-18,
]


def _lax():
    from fx import lax
    return lax


def _in_float32(fn):
    """fn on operands that are lax arrays (NumPy arrays in eager impls) of float32 or
    float64: 16-bit floats go through float32 and round once."""
    def run(*xs):
        lax = _lax()
        xs = [lax._as_operand(x) for x in xs]
        dtype = xs[0].dtype
        if not dtypes.is_16bit_float(dtype):
            return fn(*xs)
        out = fn(*(lax.convert_element_type(x, dtypes.float32) for x in xs))
        return lax.convert_element_type(out, dtype)
    return run


def _special(name, fn):
    """A primitive of float operands computed by `fn`, a function of lax operations."""
    computed = _in_float32(fn)
    prim = elementwise(name, lambda *xs: np.asarray(computed(*xs)), _FLOAT)
    prim.lower = lowered_as(computed, name)
    return prim


def _clenshaw(coefficients, y):
    """sum_k c_k T_k(y), by Clenshaw's recurrence."""
    b1 = b2 = _lax().full_like(y, 0.0)
    for c in coefficients[:0:-1]:
        b1, b2 = 2.0 * y * b1 - b2 + c, b1
    return y * b1 - b2 + coefficients[0]


def _sin_pi_abs(x):
    """|sin(pi x)|, exact at integers: x is reduced to [0, 1/2] before multiplying by pi."""
    lax = _lax()
    f = x - lax.floor(x)
    return lax.sin(math.pi * lax.min(f, 1.0 - f))


# ---------------------------------------------------------------------------- lgamma

_LANCZOS_G = 7.0
_LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7]


def _lgamma(x):
    """log|Gamma(x)|: Lanczos' approximation for x >= 1/2, the reflection formula
    Gamma(x) Gamma(1 - x) = pi / sin(pi x) below."""
    lax = _lax()
    reflect = x < 0.5
    z = lax.select(reflect, 1.0 - x, x) - 1.0
    series = lax.full_like(z, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], 1):
        series = series + c / (z + k)
    shift = _LANCZOS_G + 0.5
    t = z + shift
    log_t = math.log(shift) + lax.log1p(z / shift)  # log(t), exact for large z
    # (z + 1/2) log t - t in XLA's order of operations: JAX's values to a few ulp away from the zeros
    value = 0.5 * math.log(2 * math.pi) + (z + 0.5 - t / log_t) * log_t + lax.log(series)
    reflected = math.log(math.pi) - lax.log(_sin_pi_abs(x)) - value
    return lax.select(lax.abs(x) == np.inf, lax.abs(x), lax.select(reflect, reflected, value))


# ---------------------------------------------------------------------------- digamma

_DIGAMMA_SHIFT = 10
# psi(w) ~ log w - 1/(2w) - sum B_2k / (2k w^2k): these are B_2k / 2k, k = 1..7
_DIGAMMA_ASYMPTOTIC = [1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12]


def _digamma(x):
    """psi(x) = d/dx log Gamma(x): the recurrence psi(y) = psi(y + 10) - sum 1/(y + k)
    and the asymptotic series at y + 10 for y >= 1/2; reflection (psi(1 - x) - pi cot(pi x))
    below. NaN at the poles (0, -1, -2, ...), as in JAX."""
    lax = _lax()
    reflect = x < 0.5
    y = lax.select(reflect, 1.0 - x, x)
    shifted = sum(1.0 / (y + k) for k in range(_DIGAMMA_SHIFT))
    w = y + _DIGAMMA_SHIFT
    r = 1.0 / (w * w)
    tail = lax.full_like(y, 0.0)
    for c in reversed(_DIGAMMA_ASYMPTOTIC):
        tail = (tail + c) * r
    psi = lax.log(w) - 0.5 / w - tail - shifted
    g = x - lax.floor(x + 0.5)  # tan(pi x) = tan(pi g), |g| <= 1/2
    reflected = psi - math.pi / lax.tan(math.pi * g)
    pole = (x <= 0.0) & (x == lax.floor(x))
    return lax.select(pole, lax.full_like(x, np.nan), lax.select(reflect, reflected, psi))


# ---------------------------------------------------------------------------- erfc


def _erfcx_log_series(z):
    """(t, log(exp(z^2) erfc(z) / t)) for z >= 1/2, with t = 2 / (2 + z)."""
    t = 2.0 / (2.0 + z)
    return t, _clenshaw(_ERFC_LOG, t / 0.4 - 1.0)


def _erfc(x):
    """1 - erf(x) without the cancellation: 1 - erf(x) below 1/2, where erf(x) <= 0.52;
    above, t exp(-x^2 + g(t)) with t = 2 / (2 + x) and g a Chebyshev series. x^2 is split
    into an exact square and a small remainder (Veltkamp), so exp(-x^2) keeps every digit."""
    lax = _lax()
    big = 30.0 if x.dtype == np.float64 else 12.0  # erfc is 0 past this
    z = lax.clamp(0.5, x, big)
    t, g = _erfcx_log_series(z)
    split = z * (134217729.0 if x.dtype == np.float64 else 4097.0)
    head = split - (split - z)
    tail_of_square = (z - head) * (z + head)
    large = t * lax.exp(-(head * head)) * lax.exp(g - tail_of_square)
    return lax.select(x < 0.5, 1.0 - lax.erf(x), lax.select(x != x, x, large))


def _log_erfcx_large(z):
    t, g = _erfcx_log_series(z)
    return _lax().log(t) + g


log_erfcx_large = _in_float32(_log_erfcx_large)
log_erfcx_large.__doc__ = """log(exp(z^2) erfc(z)) for z >= 1/2, which never underflows: for
fx.scipy.special's erfcx and log_ndtr. Differentiable through its series."""


# ---------------------------------------------------------------------------- erf_inv

_ERFINV_CENTRAL = [2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 2.1858087e-04,
                   -1.25372503e-03, -4.17768164e-03, 2.46640727e-01, 1.50140941]
_ERFINV_TAIL = [-2.00214257e-04, 1.00950558e-04, 1.34934322e-03, -3.67342844e-03, 5.73950773e-03,
                -7.6224613e-03, 9.43887047e-03, 1.00167406, 2.83297682]


def _horner(coefficients, w):
    p = _lax().full_like(w, coefficients[0])
    for c in coefficients[1:]:
        p = p * w + c
    return p


def _erf_inv(y):
    """The inverse error function: Giles' single-precision polynomials ("Approximating the
    erfinv function", GPU Computing Gems, 2011) in w = -log(1 - y^2). float64 refines
    them by Newton's method, on erf for |y| <= 1/2 and on log erfc(|x|) = log(1 - |y|)
    above (1 - |y| is exact, and log erfc is nearly quadratic, so the steps converge from
    the asymptotic guess where 1 - |y| is below float32's reach). +-inf at +-1, NaN outside."""
    lax = _lax()
    w = -lax.log1p(-y * y)
    x = lax.select(w < 5.0, _horner(_ERFINV_CENTRAL, w - 2.5),
                   _horner(_ERFINV_TAIL, lax.sqrt(w) - 3.0)) * y
    if y.dtype == np.float64:
        x = _erf_inv_refined(y, x)
    outside = lax.select(lax.abs(y) > 1.0, lax.full_like(y, np.nan), x)
    return lax.select(lax.abs(y) == 1.0, y * np.inf, outside)


def _erf_inv_refined(y, x):
    lax = _lax()
    a = lax.abs(y)
    for _ in range(2):
        x = x - (lax.erf(x) - y) / (2 / math.sqrt(math.pi) * lax.exp(-x * x))
    tail = lax.max(1.0 - a, lax.full_like(a, 1e-300))
    log_tail = lax.log(tail)
    guess = lax.sqrt(-log_tail)  # erfc(z) ~ exp(-z^2) / (z sqrt(pi)): two fixed-point steps
    for _ in range(2):
        guess = lax.sqrt(-log_tail - lax.log(guess * math.sqrt(math.pi)))
    z = lax.max(lax.select(tail < 1e-7, guess, lax.abs(x)), lax.full_like(a, 0.5))
    for _ in range(3):
        log_erfcx = _log_erfcx_large(z)
        z = z + (log_erfcx - z * z - log_tail) * lax.exp(log_erfcx) * (math.sqrt(math.pi) / 2)
    return lax.select(a > 0.5, lax.sign(y) * z, x)


# ---------------------------------------------------------------------------- zeta

_ZETA_TERMS = 12
# Euler-Maclaurin: B_2j / (2j)!, j = 1..8
_EULER_MACLAURIN = [1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000,
                    1 / 74724249600, -3617 / 10670622842880000]


def _zeta_positive(s, q):
    """Hurwitz zeta for q > 0: twelve terms of the sum, then the Euler-Maclaurin tail."""
    lax = _lax()
    total = sum(lax.pow(q + k, -s) for k in range(_ZETA_TERMS))
    w = q + _ZETA_TERMS
    w_s = lax.pow(w, -s)
    total = total + w * w_s / (s - 1.0) + 0.5 * w_s
    factor = s * w_s / w  # s (s+1) ... (s+2j-2) w^(-s-2j+1)
    for j, c in enumerate(_EULER_MACLAURIN, 1):
        total = total + c * factor
        factor = factor * (s + 2 * j - 1) * (s + 2 * j) / (w * w)
    return total


def _zeta(s, q):
    """zeta(s, q) = sum_k (q + k)^-s for s > 1: inf at s = 1 and at the poles q = 0, -1, ...;
    for q < 0 (then s must be an integer) the terms before q + k turns positive are summed
    in closed form: with q = r - m (0 < r < 1), zeta(s, q) = zeta(s, r) +
    (-1)^s (zeta(s, 1 - r) - zeta(s, m + 1 - r)). JAX is wrong below q = -12 there."""
    lax = _lax()
    negative = q < 0.0
    r = q - lax.floor(q)
    m = -lax.floor(q)
    safe_r = lax.select(negative & (r > 0.0), r, lax.full_like(q, 0.5))
    main = _zeta_positive(s, lax.select(negative | (q == 0.0), safe_r, q))
    sign = 1.0 - 2.0 * (s - 2.0 * lax.floor(s / 2.0))  # (-1)^s for integer s
    before = _zeta_positive(s, 1.0 - safe_r) - _zeta_positive(s, m + 1.0 - safe_r)
    value = lax.select(negative, main + sign * before, main)
    pole = (s == 1.0) | ((q <= 0.0) & (q == lax.floor(q)))
    undefined = (s < 1.0) | (negative & (s != lax.floor(s)))
    return lax.select(undefined, lax.full_like(q, np.nan),
                      lax.select(pole, lax.full_like(q, np.inf), value))


# ---------------------------------------------------------------------------- Bessel I0, I1


def _bessel_i0e(x):
    """exp(-|x|) I0(x): Chebyshev series in |x| on [0, 8] and in 16/|x| above."""
    lax = _lax()
    a = lax.abs(x)
    far = lax.max(a, lax.full_like(a, 8.0))
    large = _clenshaw(_I0E_LARGE, 16.0 / far - 1.0) * lax.rsqrt(far)
    return lax.select(a <= 8.0, _clenshaw(_I0E_SMALL, a / 4.0 - 1.0), large)


def _bessel_i1e(x):
    """exp(-|x|) I1(x): x times a Chebyshev series on [0, 8], sign(x) times one in 16/|x| above."""
    lax = _lax()
    a = lax.abs(x)
    far = lax.max(a, lax.full_like(a, 8.0))
    large = lax.sign(x) * _clenshaw(_I1E_LARGE, 16.0 / far - 1.0) * lax.rsqrt(far)
    return lax.select(a <= 8.0, x * _clenshaw(_I1E_SMALL, a / 4.0 - 1.0), large)


# ---------------------------------------------------------------------------- primitives

lgamma_p = _special("lgamma", _lgamma)
digamma_p = _special("digamma", _digamma)
erfc_p = _special("erfc", _erfc)
erf_inv_p = _special("erf_inv", _erf_inv)
zeta_p = _special("zeta", _zeta)
bessel_i0e_p = _special("bessel_i0e", _bessel_i0e)
bessel_i1e_p = _special("bessel_i1e", _bessel_i1e)


def lgamma(x):
    """log|Gamma(x)|, elementwise; +inf at the poles 0, -1, -2, ..."""
    return lgamma_p.bind(_lax()._as_operand(x))


def digamma(x):
    """The digamma function psi = d/dx lgamma, elementwise; NaN at the poles."""
    return digamma_p.bind(_lax()._as_operand(x))


def erfc(x):
    """The complementary error function 1 - erf(x), accurate where it is tiny."""
    return erfc_p.bind(_lax()._as_operand(x))


def erf_inv(x):
    """The inverse of erf on (-1, 1): +-inf at +-1, NaN outside."""
    return erf_inv_p.bind(_lax()._as_operand(x))


def zeta(x, q):
    """The Hurwitz zeta function sum_k (q + k)^-x (x > 1), elementwise."""
    from fx.lax.ops import _operands
    return zeta_p.bind(*_operands(x, q))


def bessel_i0e(x):
    """The exponentially scaled modified Bessel function of order 0, exp(-|x|) I0(x)."""
    return bessel_i0e_p.bind(_lax()._as_operand(x))


def bessel_i1e(x):
    """The exponentially scaled modified Bessel function of order 1, exp(-|x|) I1(x)."""
    return bessel_i1e_p.bind(_lax()._as_operand(x))


def polygamma(m, x):
    """The m-th derivative of digamma (m a non-negative integer, of x's dtype, as in
    jax.lax): digamma for m = 0, (-1)^(m+1) m! zeta(m + 1, x) above; NaN for other m."""
    from fx.lax.ops import _operands
    lax = _lax()
    m, x = _operands(m, x)
    factorial = lax.exp(lgamma(m + 1.0))
    factorial = lax.select(m < 18.0, lax.round(factorial), factorial)  # exact while it fits
    sign = 2.0 * (m - 2.0 * lax.floor(m / 2.0)) - 1.0  # (-1)^(m+1)
    higher = sign * factorial * zeta(m + 1.0, x)
    value = lax.select(m == 0.0, digamma(x), higher)
    valid = (m >= 0.0) & (m == lax.floor(m))
    return lax.select(valid, value, lax.full_like(x, np.nan))


# ---------------------------------------------------------------------------- derivatives


def _zeta_s_derivative(g, ans, s, q):
    raise NotImplementedError("zeta: the derivative with respect to its first argument (s) is "
                              "not implemented, as in JAX; differentiate with respect to q")


def _i1e_over_x(x):
    """i1e(x) / x, 1/2 at 0."""
    lax = _lax()
    zero = x == 0.0
    return lax.select(zero, lax.full_like(x, 0.5), bessel_i1e(x) / lax.select(zero, lax.full_like(x, 1.0), x))


defjvp(lgamma_p, lambda g, ans, x: g * digamma(x))
defjvp(digamma_p, lambda g, ans, x: g * zeta(_lax().full_like(x, 2.0), x))
defjvp(erfc_p, lambda g, ans, x: g * (-2 / math.sqrt(math.pi)) * _lax().exp(-x * x))
defjvp(erf_inv_p, lambda g, ans, x: g * (math.sqrt(math.pi) / 2) * _lax().exp(ans * ans))
defjvp(zeta_p, _zeta_s_derivative, lambda g, ans, s, q: g * -s * zeta(s + 1.0, q))
defjvp(bessel_i0e_p, lambda g, ans, x: g * (bessel_i1e(x) - _lax().sign(x) * ans))
defjvp(bessel_i1e_p, lambda g, ans, x: g * (bessel_i0e(x) - _lax().sign(x) * ans - _i1e_over_x(x)))


# ---------------------------------------------------------------------------- examples

_mixed = np.array([[-2.5, -0.7, 0.3, 0.9], [1.5, 2.25, 7.5, 31.0]])
example(lgamma_p, _mixed, reference=np.vectorize(math.lgamma))
example(digamma_p, _mixed)
example(erfc_p, np.array([[-3.0, -0.4, 0.2, 0.49], [0.51, 1.7, 6.5, 20.0]]), reference=np.vectorize(math.erfc))
example(erf_inv_p, uniform(-0.99, 0.99, 2, 4, seed=3))
example(zeta_p, np.array([2.0, 3.5, 1.5, 4.0]), np.array([0.5, 3.0, 11.0, 1.25]), diff_argnums=(1,))
example(bessel_i0e_p, np.array([[-9.0, -1.5, 0.25, 3.0], [7.9, 8.1, 20.0, 400.0]]))
example(bessel_i1e_p, np.array([[-9.0, -1.5, 0.25, 3.0], [7.9, 8.1, 20.0, 400.0]]))
