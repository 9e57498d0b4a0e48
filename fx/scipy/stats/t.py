"""Student's t distribution (jax.scipy.stats.t). The normaliser is written with betaln,
log(sqrt(df) B(df/2, 1/2)), whose large-argument form keeps the digits that
lgamma(df/2) - lgamma((df + 1)/2) loses for large df."""
from __future__ import annotations

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, log1p_square, standardize


def logpdf(x, df, loc=0, scale=1):
    z, x, loc, scale, df = standardize("t.logpdf", x, loc, scale, df)
    normaliser = 0.5 * jnp.log(df) + jnp.log(jnp.abs(scale)) + special.betaln(0.5 * df, 0.5)
    return -normaliser - 0.5 * (df + 1) * log1p_square(z / jnp.sqrt(df))


pdf = exp_of(logpdf, "pdf")

