"""The beta distribution on [loc, loc + scale] (jax.scipy.stats.beta). NaN for a <= 0,
b <= 0 or scale <= 0, -inf outside the support, as JAX."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, standardize


def _invalid(a, b, scale):
    return (a <= 0) | (b <= 0) | (scale <= 0)


def logpdf(x, a, b, loc=0, scale=1):
    """(a - 1) log y + (b - 1) log1p(-y) - betaln(a, b) - log(scale) at y = (x - loc) / scale
    (xlogy and xlog1py: the end points are finite when a or b is 1)."""
    y, x, loc, scale, a, b = standardize("beta.logpdf", x, loc, scale, a, b)
    outside = (x > loc + scale) | (x < loc)
    y = jnp.where(outside, 0.5, y)
    value = (special.xlogy(a - 1, y) + special.xlog1py(b - 1, -y) - special.betaln(a, b)
             - jnp.log(scale))
    value = jnp.where(outside, -np.inf, value)
    return jnp.where(_invalid(a, b, scale), np.nan, value)


pdf = exp_of(logpdf, "pdf")


def cdf(x, a, b, loc=0, scale=1):
    y, x, loc, scale, a, b = standardize("beta.cdf", x, loc, scale, a, b)
    return special.betainc(a, b, jnp.clip(y, 0.0, 1.0))


def logcdf(x, a, b, loc=0, scale=1):
    return jnp.log(cdf(x, a, b, loc, scale))


def sf(x, a, b, loc=0, scale=1):
    """I_{1-y}(b, a): the upper tail computed as such, not as 1 - cdf."""
    y, x, loc, scale, a, b = standardize("beta.sf", x, loc, scale, a, b)
    return special.betainc(b, a, 1 - jnp.clip(y, 0.0, 1.0))


def logsf(x, a, b, loc=0, scale=1):
    return jnp.log(sf(x, a, b, loc, scale))
