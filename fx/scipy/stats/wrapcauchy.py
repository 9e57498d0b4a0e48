"""The wrapped Cauchy distribution on [0, 2 pi] (jax.scipy.stats.wrapcauchy): -inf outside
that interval, NaN unless 0 < c < 1, as JAX."""
from __future__ import annotations

import math

import numpy as np

from fx import numpy as jnp
from fx.scipy.stats._common import exp_of, promote


def logpdf(x, c):
    x, c = promote("wrapcauchy.logpdf", x, c)
    value = jnp.log1p(-c * c) - math.log(2 * math.pi) - jnp.log(1 + c * c - 2 * c * jnp.cos(x))
    value = jnp.where((x >= 0) & (x <= 2 * math.pi), value, -np.inf)
    return jnp.where((c > 0) & (c < 1), value, np.nan)


pdf = exp_of(logpdf, "pdf")
