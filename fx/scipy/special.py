"""fx.scipy.special: jax.scipy.special's functions (SciPy's names and conventions), built on
the special-function primitives of fx.lax (lgamma, digamma, zeta, erfc, erf_inv, the
scaled Bessel functions) and fx.numpy, so each jits, batches and differentiates.

Integer and bool arguments become floats, as in JAX. Where a formula loses digits the
functions below take a longer way: betaln subtracts Stirling series instead of large
lgammas, log_ndtr and ndtri stay accurate far into the tails (where 1 - p or erfc
underflows), logit is log(x) - log1p(-x).
"""
from __future__ import annotations

import math
import operator

import numpy as np

from fx import lax, nn
from fx import numpy as jnp
from fx.lax.special import log_erfcx_large
from fx.numpy._promote import promote_args_inexact
from fx.transforms.custom import custom_jvp

__all__ = ["bessel_jn", "beta", "betainc", "betaln", "boxcox", "boxcox1p", "digamma", "entr", "erf", "erfc",
           "erfcx", "erfinv", "expit", "factorial", "gamma", "gammainc", "gammaincc", "gammaln", "gammasgn", "i0", "i0e", "i1",
           "i1e", "kl_div", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr",
           "ndtri", "poch", "polygamma", "rel_entr", "softmax", "xlog1py", "xlogy", "zeta"]

_LOG_2PI = math.log(2 * math.pi)


def _floats(*args, name):
    out = promote_args_inexact(*args, name=name)
    return out if len(out) > 1 else out[0]


# ---------------------------------------------------------------------------- gamma and relatives

def gammaln(x):
    """log|Gamma(x)|."""
    return lax.lgamma(_floats(x, name="gammaln"))


def gammasgn(x):
    """The sign of Gamma(x): 1 for x > 0, alternating between the poles below, the sign
    of the zero at +-0 and NaN at the poles -1, -2, ..., as SciPy and JAX."""
    x = _floats(x, name="gammasgn")
    odd_interval = jnp.floor(-x) % 2 == 0          # (-1, 0), (-3, -2), ...: negative
    sign = jnp.where((x < 0) & odd_interval, -1.0, 1.0).astype(x.dtype)
    sign = jnp.where(x == 0, jnp.copysign(1.0, x), sign)
    pole = (x < 0) & (x == jnp.floor(x))
    return jnp.where(pole | jnp.isnan(x), np.nan, sign)


def gamma(x):
    """Gamma(x), with its sign."""
    x = _floats(x, name="gamma")
    return gammasgn(x) * jnp.exp(lax.lgamma(x))


def digamma(x):
    """psi(x) = d/dx log Gamma(x); NaN at the poles."""
    return lax.digamma(_floats(x, name="digamma"))


def polygamma(n, x):
    """The n-th derivative of digamma; `n` must have an integer dtype, as in JAX."""
    if not np.issubdtype(jnp.result_type(n), np.integer):
        raise ValueError(f"polygamma: the order n must have an integer dtype, got "
                         f"{jnp.result_type(n)}")
    x = _floats(x, name="polygamma")
    return lax.polygamma(jnp.asarray(n).astype(x.dtype), x)


def zeta(x, q=None):
    """The Hurwitz zeta function sum_k (q + k)^-x; the Riemann zeta function without q."""
    if q is None:
        q = 1.0
    x, q = _floats(x, q, name="zeta")
    x, q = jnp.broadcast_arrays(x, q)
    return lax.zeta(x, q)


def betaln(a, b):
    """log|B(a, b)| = lgamma(a) + lgamma(b) - lgamma(a + b). For positive arguments of 8 or
    more the large log-gamma terms cancel analytically (Stirling's series minus its
    correction), so betaln(1e6, 1e6) keeps its relative precision."""
    a, b = _floats(a, b, name="betaln")
    small, large = jnp.minimum(a, b), jnp.maximum(a, b)
    direct = lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b)
    safe_large = jnp.where(large >= 8, large, 8.0)
    safe_small = jnp.where(small >= 8, small, 8.0)
    ratio = small / safe_large
    # lgamma(large) - lgamma(small + large), both past 8, with Stirling's terms cancelled by
    # hand: -small log(large) - (small - 1/2) log1p(r) - large (log1p(r) - r) + corrections
    difference = (-small * jnp.log(safe_large) - (small - 0.5) * jnp.log1p(ratio)
                  - safe_large * _log1p_minus(ratio)
                  + _stirling_correction(safe_large) - _stirling_correction(small + safe_large))
    one_large = lax.lgamma(small) + difference
    both_large = (0.5 * _LOG_2PI - 0.5 * jnp.log(safe_large)
                  + (safe_small - 0.5) * (jnp.log(ratio) - jnp.log1p(ratio)) - safe_large * jnp.log1p(ratio)
                  + _stirling_correction(safe_small) + _stirling_correction(safe_large)
                  - _stirling_correction(safe_small + safe_large))
    return jnp.where(small >= 8, both_large, jnp.where((large >= 8) & (small > 0), one_large, direct))


def _log1p_minus(r):
    """log1p(r) - r for 0 <= r <= 1 without cancellation: with v = r / (2 + r),
    log1p(r) = 2 atanh(v) = 2 (v + v^3/3 + v^5/5 + ...) and 2v - r = -r^2 / (2 + r)."""
    v = r / (2 + r)
    v2 = v * v
    series = 0.0
    for k in range(23, 1, -1):  # v <= 1/3: v^46 < 1e-22
        series = (series + 1 / (2 * k + 1)) * v2
    return -r * r / (2 + r) + 2 * v * (series + 1 / 3) * v2


def _stirling_correction(x):
    """lgamma(x) - ((x - 1/2) log x - x + log(2 pi)/2), for x >= 8."""
    r = 1.0 / (x * x)
    series = 0.0
    for c in (1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360):
        series = (series + c) * r
    return (series + 1 / 12) / x


def beta(a, b):
    """B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b), with its sign."""
    a, b = _floats(a, b, name="beta")
    return gammasgn(a) * gammasgn(b) * gammasgn(a + b) * jnp.exp(betaln(a, b))


def multigammaln(a, d):
    """The log of the multivariate gamma function of dimension d (a Python int)."""
    if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1:
        raise ValueError(f"multigammaln: d must be a positive Python int, got {d!r}")
    a = _floats(a, name="multigammaln")
    terms = sum(lax.lgamma(a - j / 2) for j in range(d))
    return d * (d - 1) / 4 * math.log(math.pi) + terms


def factorial(n, exact=False):
    """n! = Gamma(n + 1) for n >= 0, 0 for n < 0, as SciPy without exact."""
    if exact:
        raise NotImplementedError("factorial: exact=True is not supported (as in JAX); "
                                  "use exact=False")
    n = _floats(n, name="factorial")
    return jnp.where(n < 0, 0.0, jnp.exp(lax.lgamma(n + 1))).astype(n.dtype)


def poch(z, m):
    """The rising factorial Gamma(z + m) / Gamma(z), with its sign."""
    z, m = _floats(z, m, name="poch")
    value = jnp.exp(lax.lgamma(z + m) - lax.lgamma(z)) * gammasgn(z + m) * gammasgn(z)
    return jnp.where(m == 0, 1.0, value).astype(value.dtype)


def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x); differentiable in a and x."""
    a, x = jnp.broadcast_arrays(*_floats(a, x, name="gammainc"))
    return lax.igamma(a, x)


def gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    a, x = jnp.broadcast_arrays(*_floats(a, x, name="gammaincc"))
    return lax.igammac(a, x)


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b); differentiable in a, b and x
    (JAX's is not, in a and b)."""
    a, b, x = jnp.broadcast_arrays(*_floats(a, b, x, name="betainc"))
    return lax.betainc(a, b, x)


# ---------------------------------------------------------------------------- error function, normal

def erf(x):
    return lax.erf(_floats(x, name="erf"))


def erfc(x):
    """1 - erf(x), accurate where it is tiny (to 2 ulp in float64)."""
    return lax.erfc(_floats(x, name="erfc"))


def erfinv(x):
    return lax.erf_inv(_floats(x, name="erfinv"))


@custom_jvp
def erfcx(x):
    """exp(x^2) erfc(x), the scaled complementary error function: no underflow for large x."""
    x = _floats(x, name="erfcx")
    return jnp.where(x < 0.5, jnp.exp(x * x) * lax.erfc(x), jnp.exp(log_erfcx_large(x)))


erfcx.defjvp(lambda primals, tangents: _erfcx_jvp(*primals, *tangents))


def _erfcx_jvp(x, t):
    y = erfcx(x)
    return y, t * (2 * x * y - 2 / math.sqrt(math.pi))


def ndtr(x):
    """The standard normal CDF, 0.5 erfc(-x / sqrt 2)."""
    x = _floats(x, name="ndtr")
    return 0.5 * lax.erfc(-x / math.sqrt(2))


@custom_jvp
def log_ndtr(x, series_order=3):
    """log of the standard normal CDF, accurate for every x: log1p(-ndtr(-x)) above 0 and,
    below, log(erfc(z)/2) = log(erfcx(z)) - z^2 - log 2 with z = -x/sqrt(2), which never
    underflows (`series_order` is accepted for JAX's signature; no series is needed)."""
    x = _floats(x, name="log_ndtr")
    z = -x / math.sqrt(2)
    safe_z = jnp.maximum(z, 0.5)
    lower = jnp.where(z >= 0.5, log_erfcx_large(safe_z) - safe_z * safe_z, jnp.log(lax.erfc(z)))
    return jnp.where(x > 0, jnp.log1p(-0.5 * lax.erfc(x / math.sqrt(2))), lower - math.log(2))


def _log_ndtr_jvp(primals, tangents):
    x, t = primals[0], tangents[0]
    # d/dx log Phi(x) = phi(x) / Phi(x); below -1/sqrt(2) that is sqrt(2/pi) / erfcx(-x/sqrt 2),
    # which neither underflows nor cancels
    z = -x / math.sqrt(2)
    lower_tail = math.sqrt(2 / math.pi) * jnp.exp(-log_erfcx_large(jnp.maximum(z, 0.5)))
    safe_x = jnp.maximum(x, -1.0)
    upper = jnp.exp(-0.5 * safe_x * safe_x - 0.5 * _LOG_2PI) / ndtr(safe_x)
    return log_ndtr(*primals), t * jnp.where(z >= 0.5, lower_tail, upper)


log_ndtr.defjvp(_log_ndtr_jvp)


@custom_jvp
def ndtri(p):
    """The inverse of ndtr: the x with ndtr(x) = p (-inf at 0, inf at 1, NaN outside).
    The smaller tail q = min(p, 1 - p) starts from sqrt(2) erfinv(2q - 1) (or from the
    asymptotic x ~ -sqrt(-2 log q) when 2q - 1 rounds to -1), and three Newton steps on
    log_ndtr(x) = log q give every digit, however small q is."""
    p = _floats(p, name="ndtri")
    q = jnp.minimum(p, 1 - p)
    safe_q = jnp.clip(q, jnp.finfo(p.dtype).tiny, 0.5)
    log_q = jnp.log(safe_q)
    tail = -jnp.sqrt(-2 * log_q - jnp.log(-2 * log_q + 1e-300) - _LOG_2PI + 1e-300)
    x = jnp.where(safe_q > 1e-6, math.sqrt(2) * lax.erf_inv(2 * safe_q - 1), tail)
    x = jnp.minimum(x, 0.0)
    for _ in range(3):
        log_phi = log_ndtr(x)
        x = x - (log_phi - log_q) * jnp.exp(log_phi + 0.5 * x * x + 0.5 * _LOG_2PI)
    x = jnp.where(q == 0, -np.inf, x)
    return jnp.where((p < 0) | (p > 1) | jnp.isnan(p), np.nan, jnp.where(p > 0.5, -x, x))


def _ndtri_jvp(primals, tangents):
    x = ndtri(*primals)
    return x, tangents[0] * jnp.exp(0.5 * x * x + 0.5 * _LOG_2PI)  # 1 / phi(x)


ndtri.defjvp(_ndtri_jvp)


# ---------------------------------------------------------------------------- logs and entropies

@custom_jvp
def xlogy(x, y):
    """x log(y), 0 where x = 0 (even where y = 0)."""
    x, y = _floats(x, y, name="xlogy")
    return jnp.where(x == 0, 0.0, x * jnp.log(y)).astype(x.dtype)


@custom_jvp
def xlog1py(x, y):
    """x log(1 + y), 0 where x = 0."""
    x, y = _floats(x, y, name="xlog1py")
    return jnp.where(x == 0, 0.0, x * jnp.log1p(y)).astype(x.dtype)


def _x_log_jvp(fn, log, derivative):
    def jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        out = fn(x, y)
        return out, tx * log(y) + ty * x * derivative(y)
    return jvp


xlogy.defjvp(_x_log_jvp(xlogy, jnp.log, lambda y: 1 / y))
xlog1py.defjvp(_x_log_jvp(xlog1py, jnp.log1p, lambda y: 1 / (1 + y)))


def entr(x):
    """-x log(x): 0 at 0, -inf below."""
    x = _floats(x, name="entr")
    return jnp.where(x > 0, -xlogy(x, x), jnp.where(x == 0, 0.0, jnp.where(x < 0, -np.inf, x)))


def rel_entr(p, q):
    """p log(p / q) for p, q > 0; 0 where p = 0 <= q; inf otherwise."""
    p, q = _floats(p, q, name="rel_entr")
    both = (p > 0) & (q > 0)
    value = xlogy(p, jnp.where(both, p, 1.0) / jnp.where(both, q, 1.0))
    return jnp.where(both, value, jnp.where((p == 0) & (q >= 0), 0.0, np.inf)).astype(p.dtype)


def kl_div(p, q):
    """p log(p / q) - p + q for p, q > 0; q where p = 0 <= q; inf otherwise."""
    p, q = _floats(p, q, name="kl_div")
    both = (p > 0) & (q > 0)
    value = rel_entr(p, q) - p + q
    return jnp.where(both, value, jnp.where((p == 0) & (q >= 0), q, np.inf)).astype(p.dtype)


def expit(x):
    """The logistic sigmoid 1 / (1 + exp(-x))."""
    return lax.logistic(_floats(x, name="expit"))


def logit(x):
    """log(x / (1 - x)), as log(x) - log1p(-x) so small 1 - x keeps its digits."""
    x = _floats(x, name="logit")
    return jnp.log(x) - jnp.log1p(-x)


def boxcox(x, lmbda):
    """The Box-Cox transform (x^lmbda - 1) / lmbda, log(x) at lmbda = 0."""
    x, lmbda = _floats(x, lmbda, name="boxcox")
    safe = jnp.where(lmbda == 0, 1.0, lmbda)
    return jnp.where(lmbda == 0, jnp.log(x), jnp.expm1(safe * jnp.log(x)) / safe)


def boxcox1p(x, lmbda):
    """The Box-Cox transform of 1 + x, accurate for small x."""
    x, lmbda = _floats(x, lmbda, name="boxcox1p")
    safe = jnp.where(lmbda == 0, 1.0, lmbda)
    return jnp.where(lmbda == 0, jnp.log1p(x), jnp.expm1(safe * jnp.log1p(x)) / safe)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) over `axis` (see fx.nn.logsumexp)."""
    return nn.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign, where=where)


def softmax(x, /, *, axis=None):
    """exp(x) normalised over `axis` (every axis by default, as SciPy)."""
    return nn.softmax(x, axis=axis)


def log_softmax(x, /, *, axis=None):
    """x - logsumexp(x) over `axis` (every axis by default, as SciPy)."""
    return nn.log_softmax(x, axis=axis)


# ---------------------------------------------------------------------------- Bessel

def i0e(x):
    """exp(-|x|) I0(x)."""
    return lax.bessel_i0e(_floats(x, name="i0e"))


def i1e(x):
    """exp(-|x|) I1(x)."""
    return lax.bessel_i1e(_floats(x, name="i1e"))


def i0(x):
    """The modified Bessel function of order 0 (inf past exp's range)."""
    x = _floats(x, name="i0")
    return jnp.exp(jnp.abs(x)) * lax.bessel_i0e(x)


def i1(x):
    """The modified Bessel function of order 1."""
    x = _floats(x, name="i1")
    return jnp.exp(jnp.abs(x)) * lax.bessel_i1e(x)


def bessel_jn(z, *, v, n_iter=50):
    """J_0(z), ..., J_v(z), the Bessel functions of the first kind, stacked on a new
    leading axis: shape (v + 1, *z.shape), as jax.scipy.special.bessel_jn.

    Miller's backward recurrence (Zhang & Jin, Computation of Special Functions, 1996):
    f_{k-1} = (2k / z) f_k - f_{k+1} runs down from k = n_iter, where the start values
    matter little, and J_0 + 2 (J_2 + J_4 + ...) = 1 normalises the result. It is accurate
    when n_iter is well above |z| (JAX's rule of thumb: the smallest n with
    0.5 log10(6.28 + n) - n log10(1.36 + |z| / n) > 20). Unlike JAX's, the recurrence is
    rescaled by a power of two whenever it passes 1, so float32 and small |z| do not
    overflow to NaN, and z = 0 gives J_0 = 1, J_k = 0.
    """
    z = jnp.asarray(z)
    if jnp.issubdtype(jnp.result_type(z), np.complexfloating):
        raise ValueError("bessel_jn: complex input not supported.")
    z = _floats(z, name="bessel_jn")
    v, n_iter = operator.index(v), operator.index(n_iter)
    k = np.arange(n_iter + 1)

    def step(carry, kw):
        # carry: f_{k+1}, f_{k+2}, 2 (f_k + f_{k+2} + ...) over even k, and the power of
        # two divided out of them so far (exact, unlike a float scale)
        f1, f0, total, shift = carry
        k, weight = kw
        f = 2 * (k + 1) * f1 / z - f0
        total = total + weight * f
        e = jnp.maximum(jnp.frexp(f)[1], 0)
        return ((jnp.ldexp(f, -e), jnp.ldexp(f1, -e), jnp.ldexp(total, -e), shift + e),
                (f, shift))

    zero = jnp.zeros_like(z)
    (_, _, total, shift), (f, shifts) = lax.scan(
        step, (jnp.full_like(z, 1e-16), zero, zero, jnp.zeros(z.shape, np.int32)),
        (k.astype(z.dtype), np.where(k % 2 == 0, 2, 0).astype(z.dtype)), reverse=True)
    j = jnp.ldexp(f[:v + 1] / (total - jnp.ldexp(f[0], shifts[0] - shift)), shifts[:v + 1] - shift)
    at_zero = (k[:v + 1, None] == 0).reshape((-1,) + (1,) * z.ndim).astype(z.dtype)
    return jnp.where(z == 0, at_zero, j)
