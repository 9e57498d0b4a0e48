"""The normal distribution truncated to [a, b] in standard units (jax.scipy.stats.truncnorm).

Everything rests on the log of the normal mass between two points, taken in log space:
log(Phi(b) - Phi(a)) = log_sub_exp(log_ndtr(b), log_ndtr(a)) when the interval lies in
one tail, after mirroring it into the lower tail when a > 0 (Phi(b) - Phi(a) =
Phi(-a) - Phi(-b)), so that a = 30, b = 31 keeps its mass of about 1e-197 instead of
0 = 1 - 1. An interval across 0 takes log1p(-Phi(a) - Phi(-b)), as JAX (it loses
relative digits only for intervals narrower than about 1e-8). NaN where a >= b, as JAX."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats import norm
from fx.scipy.stats._common import exp_of, log_sub_exp, promote, standardize


def _log_mass(a, b):
    """log(Phi(b) - Phi(a)) for a < b. Each case sees only inputs of its own kind, so
    neither branch's derivative is infinite where `where` drops it."""
    right = a > 0
    central = (a <= 0) & (b > 0)
    low = jnp.where(right, -b, a)          # the interval mirrored into the lower tail
    high = jnp.where(right, -a, b)
    low, high = jnp.where(central, -2.0, low), jnp.where(central, -1.0, high)
    tail = log_sub_exp(special.log_ndtr(high), special.log_ndtr(low))
    ca, cb = jnp.where(central, a, -1.0), jnp.where(central, b, 1.0)
    middle = jnp.log1p(-special.ndtr(ca) - special.ndtr(-cb))
    return jnp.where(central, middle, tail)


def _interior(x, a, b):
    """x where a < x < b, else a point inside (a, b) (any finite or infinite a < b)."""
    mid = jnp.where(jnp.isfinite(a) & jnp.isfinite(b), 0.5 * (a + b),
                    jnp.where(jnp.isfinite(a), a + 1, jnp.where(jnp.isfinite(b), b - 1, 0.0)))
    return jnp.where((x > a) & (x < b), x, mid)


def logpdf(x, a, b, loc=0, scale=1):
    z, x, loc, scale, a, b = standardize("truncnorm.logpdf", x, loc, scale, a, b)
    valid = a < b
    safe_a, safe_b = jnp.where(valid, a, -1.0), jnp.where(valid, b, 1.0)
    value = norm.logpdf(x, loc, scale) - _log_mass(safe_a, safe_b)
    value = jnp.where((z < a) | (z > b), -np.inf, value)
    return jnp.where(a >= b, np.nan, value)


pdf = exp_of(logpdf, "pdf")


def logcdf(x, a, b, loc=0, scale=1):
    """log of the mass in [a, x] over the mass in [a, b]; where that is close to 0 (above
    -0.1) it is log1p(-exp(log of the mass in [x, b] over the mass in [a, b])) instead, which
    does not round the small upper mass away."""
    z, x, loc, scale, a, b = standardize("truncnorm.logcdf", x, loc, scale, a, b)
    valid = a < b
    safe_a, safe_b = jnp.where(valid, a, -1.0), jnp.where(valid, b, 1.0)
    inside = _interior(z, safe_a, safe_b)
    total = _log_mass(safe_a, safe_b)
    lower = _log_mass(safe_a, inside) - total
    upper = _log_mass(inside, safe_b) - total
    value = jnp.where(lower > -0.1, jnp.log1p(-jnp.exp(upper)), lower)
    value = jnp.where(z >= b, 0.0, jnp.where(z <= a, -np.inf, value))
    return jnp.where(valid & ~jnp.isnan(z), value, np.nan)


cdf = exp_of(logcdf, "cdf")


def logsf(x, a, b, loc=0, scale=1):
    """logcdf of the mirrored distribution: P(X > x) = P(-X < -x), -X ~ truncnorm(-b, -a)."""
    x, a, b, loc, scale = promote("truncnorm.logsf", x, a, b, loc, scale)
    return logcdf(-x, -b, -a, -loc, scale)


sf = exp_of(logsf, "sf")
