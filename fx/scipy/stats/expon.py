"""The exponential distribution (jax.scipy.stats.expon). The log forms stay in log space:
logsf is -z exactly and logcdf is log(1 - exp(-z)) by log1mexp, accurate for tiny z where
JAX's log1p(-sf) cancels."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy.stats._common import exp_of, log1mexp, promote, standardize


def _z(name, x, loc, scale):
    """(z, below): z inside the support, 1 outside it (so that no unselected branch
    produces an infinite derivative), and where x < loc."""
    z, x, loc, _ = standardize(name, x, loc, scale)
    below = x < loc
    return jnp.where(below, 1.0, z), below


def logpdf(x, loc=0, scale=1):
    z, x, loc, scale = standardize("expon.logpdf", x, loc, scale)
    return jnp.where(x < loc, -np.inf, -z - jnp.log(scale))


pdf = exp_of(logpdf, "pdf")


def cdf(x, loc=0, scale=1):
    z, below = _z("expon.cdf", x, loc, scale)
    return jnp.where(below, 0.0, -jnp.expm1(-z))


def logcdf(x, loc=0, scale=1):
    z, below = _z("expon.logcdf", x, loc, scale)
    return jnp.where(below, -np.inf, log1mexp(z))


def logsf(x, loc=0, scale=1):
    z, below = _z("expon.logsf", x, loc, scale)
    return jnp.where(below, 0.0, -z)


sf = exp_of(logsf, "sf")


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote("expon.ppf", q, loc, scale)
    return jnp.where(jnp.isnan(q) | (q < 0) | (q > 1), np.nan, loc - scale * jnp.log1p(-q))
