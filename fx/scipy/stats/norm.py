"""The normal distribution (jax.scipy.stats.norm). The log forms use log_ndtr, which
stays accurate in both tails (logcdf(-40) is -804.6, not log(0)); sf and logsf are cdf and
logcdf mirrored (x -> -x), so the upper tail is as accurate as the lower."""
from __future__ import annotations

import math

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, promote, standardize

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def logpdf(x, loc=0, scale=1):
    z, x, loc, scale = standardize("norm.logpdf", x, loc, scale)
    # log|scale|, as JAX's log(2 pi scale^2) / 2 (a negative scale is not refused), without
    # squaring a huge scale into inf
    return -0.5 * z * z - _HALF_LOG_2PI - jnp.log(jnp.abs(scale))


pdf = exp_of(logpdf, "pdf")


def cdf(x, loc=0, scale=1):
    z, *_ = standardize("norm.cdf", x, loc, scale)
    return special.ndtr(z)


def logcdf(x, loc=0, scale=1):
    z, *_ = standardize("norm.logcdf", x, loc, scale)
    return special.log_ndtr(z)


def sf(x, loc=0, scale=1):
    z, *_ = standardize("norm.sf", x, loc, scale)
    return special.ndtr(-z)


def logsf(x, loc=0, scale=1):
    z, *_ = standardize("norm.logsf", x, loc, scale)
    return special.log_ndtr(-z)


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote("norm.ppf", q, loc, scale)
    return special.ndtri(q) * scale + loc


def isf(q, loc=0, scale=1):
    """The quantile of 1 - q, as -ndtri(q): no rounding of 1 - q for tiny q."""
    q, loc, scale = promote("norm.isf", q, loc, scale)
    return -special.ndtri(q) * scale + loc
