"""The right-skewed Gumbel distribution (jax.scipy.stats.gumbel_r). NaN wherever
scale <= 0, as JAX. The upper tail is computed as such: sf = -expm1(-exp(-z)), where
JAX's 1 - exp(-exp(-z)) rounds to 0 past z = 37, and logsf = log1mexp_of_exp(-z), about
-z far out instead of log(0)."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy.stats._common import exp_of, log1mexp_of_exp, promote, standardize


def _z(name, x, loc, scale):
    z, x, loc, scale = standardize(name, x, loc, scale)
    return z, scale > 0


def logpdf(x, loc=0, scale=1):
    z, x, loc, scale = standardize("gumbel_r.logpdf", x, loc, scale)
    return jnp.where(scale > 0, -(z + jnp.exp(-z)) - jnp.log(scale), np.nan)


pdf = exp_of(logpdf, "pdf")


def logcdf(x, loc=0, scale=1):
    z, ok = _z("gumbel_r.logcdf", x, loc, scale)
    return jnp.where(ok, -jnp.exp(-z), np.nan)


cdf = exp_of(logcdf, "cdf")


def sf(x, loc=0, scale=1):
    z, ok = _z("gumbel_r.sf", x, loc, scale)
    return jnp.where(ok, -jnp.expm1(-jnp.exp(-z)), np.nan)


def logsf(x, loc=0, scale=1):
    z, ok = _z("gumbel_r.logsf", x, loc, scale)
    return jnp.where(ok, log1mexp_of_exp(-z), np.nan)


def ppf(p, loc=0, scale=1):
    """loc - scale log(-log p) for 0 < p < 1; NaN elsewhere, the end points included (as
    JAX)."""
    p, loc, scale = promote("gumbel_r.ppf", p, loc, scale)
    ok = (p > 0) & (p < 1)
    safe = jnp.where(ok, p, 0.5)
    return jnp.where(ok, loc - scale * jnp.log(-jnp.log(safe)), np.nan)
