"""The Laplace distribution (jax.scipy.stats.laplace)."""
from __future__ import annotations

from fx import numpy as jnp
from fx.scipy.stats._common import exp_of, standardize


def logpdf(x, loc=0, scale=1):
    z, x, loc, scale = standardize("laplace.logpdf", x, loc, scale)
    return -jnp.abs(z) - jnp.log(2 * scale)


pdf = exp_of(logpdf, "pdf")


def cdf(x, loc=0, scale=1):
    """exp(-|z|) / 2 is the mass beyond x on its side: one exponential that never
    overflows, whichever side is taken."""
    z, *_ = standardize("laplace.cdf", x, loc, scale)
    tail = 0.5 * jnp.exp(-jnp.abs(z))
    return jnp.where(z <= 0, tail, 1 - tail)
