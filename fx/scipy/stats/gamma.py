"""The gamma distribution with shape a (jax.scipy.stats.gamma)."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, standardize


def logpdf(x, a, loc=0, scale=1):
    """(a - 1) log y - y - lgamma(a) - log(scale) at y = (x - loc) / scale >= 0 (xlogy:
    log(1/scale) at y = 0 when a = 1, +inf when a < 1); -inf below loc."""
    y, x, loc, scale, a = standardize("gamma.logpdf", x, loc, scale, a)
    below = x < loc
    y = jnp.where(below, 1.0, y)
    value = special.xlogy(a - 1, y) - y - special.gammaln(a) - jnp.log(scale)
    return jnp.where(below, -np.inf, value)


pdf = exp_of(logpdf, "pdf")


def cdf(x, a, loc=0, scale=1):
    """P(a, y), the regularised lower incomplete gamma function."""
    y, x, loc, scale, a = standardize("gamma.cdf", x, loc, scale, a)
    return special.gammainc(a, jnp.clip(y, 0.0, np.inf))


def logcdf(x, a, loc=0, scale=1):
    return jnp.log(cdf(x, a, loc, scale))


def sf(x, a, loc=0, scale=1):
    """Q(a, y), the upper incomplete gamma function itself (not 1 - P): accurate in the
    upper tail."""
    y, x, loc, scale, a = standardize("gamma.sf", x, loc, scale, a)
    return jnp.where(y < 0, 1.0, special.gammaincc(a, jnp.clip(y, 0.0, np.inf)))


def logsf(x, a, loc=0, scale=1):
    return jnp.log(sf(x, a, loc, scale))
