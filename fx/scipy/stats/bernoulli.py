"""The Bernoulli distribution (jax.scipy.stats.bernoulli)."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, promote


def logpmf(k, p, loc=0):
    """k log p + (1 - k) log(1 - p) at k - loc in [0, 1] (non-integers between are not
    refused, as JAX), -inf elsewhere."""
    k, p, loc = promote("bernoulli.logpmf", k, p, loc)
    x = k - loc
    value = special.xlogy(x, p) + special.xlog1py(1 - x, -p)
    return jnp.where((x < 0) | (x > 1), -np.inf, value)


pmf = exp_of(logpmf, "pmf")


def _invalid(p, *args):
    bad = jnp.isnan(p) | (p < 0) | (p > 1)
    for a in args:
        bad = bad | jnp.isnan(a)
    return bad


def cdf(k, p):
    k, p = promote("bernoulli.cdf", k, p)
    value = jnp.where(k < 0, 0.0, jnp.where(k < 1, 1 - p, 1.0))
    return jnp.where(_invalid(p, k), np.nan, value)


def ppf(q, p):
    q, p = promote("bernoulli.ppf", q, p)
    return jnp.where(_invalid(p, q) | (q < 0) | (q > 1), np.nan, jnp.where(q <= 1 - p, 0.0, 1.0))
