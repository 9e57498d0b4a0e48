"""The chi-squared distribution with df degrees of freedom (jax.scipy.stats.chi2): a gamma
distribution with shape df / 2 and scale 2 scale, so every function but sf is gamma's."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats import gamma
from fx.scipy.stats._common import promote


def _as_gamma(name, x, df, loc, scale):
    x, df, loc, scale = promote(name, x, df, loc, scale)
    return x, 0.5 * df, loc, 2 * scale


def logpdf(x, df, loc=0, scale=1):
    return gamma.logpdf(*_as_gamma("chi2.logpdf", x, df, loc, scale))


def pdf(x, df, loc=0, scale=1):
    return gamma.pdf(*_as_gamma("chi2.pdf", x, df, loc, scale))


def cdf(x, df, loc=0, scale=1):
    return gamma.cdf(*_as_gamma("chi2.cdf", x, df, loc, scale))


def logcdf(x, df, loc=0, scale=1):
    return gamma.logcdf(*_as_gamma("chi2.logcdf", x, df, loc, scale))


def sf(x, df, loc=0, scale=1):
    """Q(df / 2, y / 2) at y clipped to [0, inf), as JAX: 1 below loc, NaN for df < 0."""
    x, a, loc, scale = _as_gamma("chi2.sf", x, df, loc, scale)
    return special.gammaincc(a, jnp.clip((x - loc) / scale, 0.0, np.inf))


def logsf(x, df, loc=0, scale=1):
    return jnp.log(sf(x, df, loc, scale))
