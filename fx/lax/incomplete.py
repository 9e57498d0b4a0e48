"""The regularized incomplete gamma and beta functions, as primitives with jax.lax's names:
igamma (P(a, x)), igammac (Q(a, x) = 1 - P), igamma_grad_a, random_gamma_grad and
betainc (regularized_incomplete_beta).

Each is a while loop of lax operations that stops when every element has converged:
P's power series below x = a + 1 and Q's continued fraction (modified Lentz) above, as
in Numerical Recipes; I_x(a, b)'s continued fraction on the side of the mean where it
converges fast, with I_x(a, b) = 1 - I_{1-x}(b, a) on the other. The derivatives with
respect to x are closed forms; those with respect to the shape parameters (a, b) are the
forward-mode derivatives of the same loops, run to convergence (JAX has no betainc
gradient for a and b). Loops stop after 10,000 terms, enough for shape parameters up to
about 1e6; the prefactor x^a e^-x / Gamma(a) is computed in logs, so the relative error
grows like eps * a for very large a.
"""
from __future__ import annotations

import numpy as np

from fx.lax.examples import example
from fx.lax.special import _in_float32, _special, lgamma
from fx.transforms.jvp import defjvp, jvp_flat

_MAX_TERMS = 10_000


def _lax():
    from fx import lax
    return lax


def _eps(x):
    return float(np.finfo(x.dtype).eps)


def _until_converged(step, state, x):
    """Run `state = step(n, state)` (state[0] the correction factor or term, state[1] the
    total) from n = 1 until every element's relative correction is below eps."""
    lax = _lax()
    eps = _eps(x)

    def unconverged(carry):
        n, change, total = carry[0], carry[1], carry[2]
        return (n < _MAX_TERMS) & lax.reduce_max(
            lax.convert_element_type(lax.abs(change) > eps * lax.abs(total), np.int32),
            tuple(range(x.ndim))).astype(bool)

    def body(carry):
        return (carry[0] + 1, *step(carry[0], carry[1:]))
    return lax.while_loop(unconverged, body, (np.int32(1), *state))


def _log_prefactor(a, x):
    """log(x^a e^-x / Gamma(a))."""
    return a * _lax().log(x) - x - lgamma(a)


def _lower_series(a, x):
    """P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n))."""
    lax = _lax()

    def step(n, carry):
        term, total, _ = carry
        term = term * x / (a + n)
        return term, total + term, term
    ones = lax.full_like(x, 1.0)
    _, _, total, _ = _until_converged(lambda n, c: step(lax.convert_element_type(n, x.dtype), c),
                                      (ones, ones, ones), x)
    return lax.exp(_log_prefactor(a, x) - lax.log(a)) * total


def _upper_fraction(a, x):
    """Q(a, x) = x^a e^-x / Gamma(a) / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / ...)),
    by the modified Lentz algorithm."""
    lax = _lax()
    tiny = float(np.finfo(x.dtype).tiny) * 1e10

    def guard(v):
        return lax.select(lax.abs(v) < tiny, lax.full_like(v, tiny), v)
    b0 = guard(x + 1.0 - a)

    def step(n, carry):
        delta, f, c, d = carry
        n = lax.convert_element_type(n, x.dtype)
        an, bn = -n * (n - a), x + 2.0 * n + 1.0 - a
        d = 1.0 / guard(bn + an * d)
        c = guard(bn + an / c)
        delta = c * d
        return delta - 1.0, f * delta, c, d

    _, _, f, _, _ = _until_converged(step, (lax.full_like(x, 1.0), b0, b0, lax.full_like(x, 0.0)), x)
    return lax.exp(_log_prefactor(a, x)) / f


def _domain(a, x, value, at_zero, at_infinity):
    """NaN for a < 0, x < 0 or NaN (JAX's choices), the limits at x = 0 and x = inf, and
    a = 0 (a point mass at 0)."""
    lax = _lax()
    nan = lax.full_like(x, np.nan)
    value = lax.select(x == 0.0, lax.full_like(x, at_zero), value)
    value = lax.select(x == np.inf, lax.full_like(x, at_infinity), value)
    value = lax.select(a == 0.0, lax.full_like(x, at_infinity), value)
    invalid = (a < 0.0) | (x < 0.0) | (a == np.inf) | (a != a) | (x != x) | ((a == 0.0) & (x == 0.0))
    return lax.select(invalid, nan, value)


def _series_side(a, x):
    return x < a + 1.0


def _safe_inputs(a, x):
    """a and x moved where each branch converges, so the branch not taken stays finite."""
    lax = _lax()
    ok = (a > 0.0) & (x > 0.0) & (x < np.inf) & (a < np.inf)
    return lax.select(ok, a, lax.full_like(a, 1.0)), lax.select(ok, x, lax.full_like(x, 1.0))


def _both_sides(a, x):
    """(where the series is used, P from the series, Q from the fraction), each branch
    computed where it converges."""
    lax = _lax()
    sa, sx = _safe_inputs(a, x)
    series = _series_side(sa, sx)
    lower = _lower_series(sa, lax.select(series, sx, lax.full_like(sx, 0.5) * sa))
    upper = _upper_fraction(sa, lax.select(series, sa + 1.0, sx))
    return series, lower, upper


def _igamma(a, x):
    series, lower, upper = _both_sides(a, x)
    return _domain(a, x, _lax().select(series, lower, 1.0 - upper), 0.0, 1.0)


def _igammac(a, x):
    series, lower, upper = _both_sides(a, x)
    return _domain(a, x, _lax().select(series, 1.0 - lower, upper), 1.0, 0.0)


def _partial(fn, argnum):
    """d fn / d (its argument `argnum`), by forward mode through its loops."""
    def derivative(*args):
        lax = _lax()
        tangents = [lax.full_like(v, 1.0 if i == argnum else 0.0) for i, v in enumerate(args)]
        _, (tangent,) = jvp_flat(lambda *xs: [fn(*xs)], list(args), tangents)
        return tangent
    return derivative


def _derivative_primitive(name, fn, argnum, nargs):
    """A primitive for d fn / d (argument argnum). Its own derivatives are forward mode
    through the loops again, inlined: they stay outside what reverse mode transposes, so
    Hessians work (a loop itself cannot be run backwards: its trip count is data)."""
    derivative = _partial(fn, argnum)
    prim = _special(name, derivative)
    second = [_in_float32(_partial(derivative, j)) for j in range(nargs)]
    defjvp(prim, *(lambda g, ans, *args, d=d: g * d(*args) for d in second))
    return prim


# ---------------------------------------------------------------------------- betainc

def _beta_fraction(a, b, x):
    """I_x(a, b) for x below the mean-ish point (a + 1) / (a + b + 2): x^a (1-x)^b /
    (a B(a, b)) / (1 + d1 / (1 + d2 / (1 + ...))), by the modified Lentz algorithm."""
    lax = _lax()
    tiny = float(np.finfo(x.dtype).tiny) * 1e10

    def guard(v):
        return lax.select(lax.abs(v) < tiny, lax.full_like(v, tiny), v)

    def step(n, carry):
        delta, f, c, d = carry
        m = lax.convert_element_type(n // 2, x.dtype)
        odd = lax.full_like(x, 1.0) * lax.convert_element_type(n % 2, x.dtype)
        even_coef = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
        odd_coef = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
        coef = lax.select(odd == 1.0, odd_coef, even_coef)
        d = 1.0 / guard(1.0 + coef * d)
        c = guard(1.0 + coef / c)
        delta = c * d
        return delta - 1.0, f * delta, c, d

    d1 = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0))
    _, _, f, _, _ = _until_converged(lambda n, carry: step(n + 1, carry),
                                     (lax.full_like(x, 1.0), d1, lax.full_like(x, 1.0), d1), x)
    log_front = a * lax.log(x) + b * lax.log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b)) - lax.log(a)
    return lax.exp(log_front) * f


def _betainc(a, b, x):
    lax = _lax()
    ok = (a > 0.0) & (b > 0.0) & (x > 0.0) & (x < 1.0) & (a < np.inf) & (b < np.inf)
    sa = lax.select(ok, a, lax.full_like(a, 1.0))
    sb = lax.select(ok, b, lax.full_like(b, 1.0))
    sx = lax.select(ok, x, lax.full_like(x, 0.5))
    flip = sx > (sa + 1.0) / (sa + sb + 2.0)
    value = lax.select(flip, 1.0 - _beta_fraction(sb, sa, 1.0 - sx), _beta_fraction(sa, sb, sx))
    one, zero, nan = (lax.full_like(x, v) for v in (1.0, 0.0, np.nan))
    value = lax.select(a == 0.0, one, lax.select(b == 0.0, zero, value))   # point masses at 0 and 1
    value = lax.select(x == 0.0, zero, lax.select(x == 1.0, one, value))
    invalid = ((a < 0.0) | (b < 0.0) | (x < 0.0) | (x > 1.0) | ((a == 0.0) & (b == 0.0))
               | (x != x) | (a != a) | (b != b))
    return lax.select(invalid, nan, value)


# ---------------------------------------------------------------------------- primitives

igamma_p = _special("igamma", _igamma)
igammac_p = _special("igammac", _igammac)
igamma_grad_a_p = _derivative_primitive("igamma_grad_a", _igamma, 0, 2)
regularized_incomplete_beta_p = _special("regularized_incomplete_beta", _betainc)
betainc_grad_a_p = _derivative_primitive("betainc_grad_a", _betainc, 0, 3)
betainc_grad_b_p = _derivative_primitive("betainc_grad_b", _betainc, 1, 3)


def _operands(*args):
    from fx.lax.ops import _operands
    return _operands(*args)


def igamma(a, x):
    """The regularized lower incomplete gamma function P(a, x), elementwise."""
    return igamma_p.bind(*_operands(a, x))


def igammac(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), elementwise."""
    return igammac_p.bind(*_operands(a, x))


def igamma_grad_a(a, x):
    """d/da of igamma(a, x), elementwise."""
    return igamma_grad_a_p.bind(*_operands(a, x))


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b), elementwise."""
    return regularized_incomplete_beta_p.bind(*_operands(a, b, x))


def random_gamma_grad(a, x):
    """d x / d a for x ~ Gamma(a, 1) held at its quantile (the implicit reparameterisation
    gradient): -(d P / d a) / (d P / d x)."""
    lax = _lax()
    return -igamma_grad_a(a, x) / lax.exp((a - 1.0) * lax.log(x) - x - lgamma(a))


def _gamma_density(g, ans, a, x):
    lax = _lax()
    return g * lax.exp((a - 1.0) * lax.log(x) - x - lgamma(a))


def _beta_density(g, ans, a, b, x):
    lax = _lax()
    return g * lax.exp((a - 1.0) * lax.log(x) + (b - 1.0) * lax.log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b)))


defjvp(igamma_p, lambda g, ans, a, x: g * igamma_grad_a(a, x), _gamma_density)
defjvp(igammac_p, lambda g, ans, a, x: -(g * igamma_grad_a(a, x)), lambda g, ans, a, x: -_gamma_density(g, ans, a, x))
defjvp(regularized_incomplete_beta_p, lambda g, ans, a, b, x: g * betainc_grad_a_p.bind(a, b, x),
       lambda g, ans, a, b, x: g * betainc_grad_b_p.bind(a, b, x), _beta_density)

_shape = np.array([0.5, 1.5, 3.0, 12.0])
_at = np.array([0.3, 2.5, 1.0, 15.0])
example(igamma_p, _shape, _at)
example(igammac_p, _shape, _at)
example(igamma_grad_a_p, _shape, _at)
_beta_args = (np.array([0.5, 2.0, 3.0, 7.5]), np.array([1.5, 0.7, 3.0, 2.0]), np.array([0.2, 0.9, 0.5, 0.6]))
for _prim in (regularized_incomplete_beta_p, betainc_grad_a_p, betainc_grad_b_p):
    example(_prim, *_beta_args)
