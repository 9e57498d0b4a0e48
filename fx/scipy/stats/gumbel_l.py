"""The left-skewed Gumbel distribution (jax.scipy.stats.gumbel_l): the mirror image of
gumbel_r. NaN wherever scale <= 0, as JAX."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy.stats._common import exp_of, log1mexp_of_exp, promote, standardize


def _z(name, x, loc, scale):
    z, x, loc, scale = standardize(name, x, loc, scale)
    return z, scale > 0


def logpdf(x, loc=0, scale=1):
    z, x, loc, scale = standardize("gumbel_l.logpdf", x, loc, scale)
    return jnp.where(scale > 0, z - jnp.exp(z) - jnp.log(scale), np.nan)


pdf = exp_of(logpdf, "pdf")


def logcdf(x, loc=0, scale=1):
    """log(1 - exp(-exp(z))) by log1mexp_of_exp: about z where exp(z) is tiny, never -inf."""
    z, ok = _z("gumbel_l.logcdf", x, loc, scale)
    return jnp.where(ok, log1mexp_of_exp(z), np.nan)


cdf = exp_of(logcdf, "cdf")


def logsf(x, loc=0, scale=1):
    z, ok = _z("gumbel_l.logsf", x, loc, scale)
    return jnp.where(ok, -jnp.exp(z), np.nan)


sf = exp_of(logsf, "sf")


def ppf(p, loc=0, scale=1):
    """loc + scale log(-log1p(-p)) for 0 < p < 1; NaN elsewhere, the end points included
    (as JAX)."""
    p, loc, scale = promote("gumbel_l.ppf", p, loc, scale)
    ok = (p > 0) & (p < 1)
    safe = jnp.where(ok, p, 0.5)
    return jnp.where(ok, loc + scale * jnp.log(-jnp.log1p(-safe)), np.nan)
