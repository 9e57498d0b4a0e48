"""The uniform distribution on [loc, loc + scale] (jax.scipy.stats.uniform)."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy.stats._common import exp_of, promote, standardize


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote("uniform.logpdf", x, loc, scale)
    outside = (x > loc + scale) | (x < loc)
    return jnp.where(outside, -np.inf, -jnp.log(scale))


pdf = exp_of(logpdf, "pdf")


def cdf(x, loc=0, scale=1):
    """0 below loc, 1 above loc + scale (in that order, as JAX, for a negative scale), and
    NaN for a NaN argument (JAX gives 0)."""
    z, x, loc, scale = standardize("uniform.cdf", x, loc, scale)
    return jnp.where(x < loc, 0.0, jnp.where(x > loc + scale, 1.0, z))


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote("uniform.ppf", q, loc, scale)
    return jnp.where(jnp.isnan(q) | (q < 0) | (q > 1), np.nan, loc + scale * q)
