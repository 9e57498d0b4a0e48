"""The Cauchy distribution (jax.scipy.stats.cauchy). Its tails are heavy, so they are
evaluated where they happen: cdf = atan2(1, -z) / pi is the tail mass itself (about
1 / (pi |z|)) instead of 1/2 + atan(z) / pi, which cancels to 0 below z = -1e16; the
quantiles use -cot(pi q) for the smaller of q and 1 - q instead of tan(pi (q - 1/2)), so
ppf(0) is -inf and tiny q keep their digits."""
from __future__ import annotations

import math

import numpy as np

from fx import numpy as jnp
from fx.scipy.stats._common import exp_of, log1p_square, promote, standardize


def logpdf(x, loc=0, scale=1):
    z, x, loc, scale = standardize("cauchy.logpdf", x, loc, scale)
    return -jnp.log(math.pi * scale) - log1p_square(z)


pdf = exp_of(logpdf, "pdf")


def cdf(x, loc=0, scale=1):
    z, *_ = standardize("cauchy.cdf", x, loc, scale)
    return jnp.arctan2(1.0, -z) / math.pi


def sf(x, loc=0, scale=1):
    z, *_ = standardize("cauchy.sf", x, loc, scale)
    return jnp.arctan2(1.0, z) / math.pi


def logcdf(x, loc=0, scale=1):
    return jnp.log(cdf(x, loc, scale))


def logsf(x, loc=0, scale=1):
    return jnp.log(sf(x, loc, scale))


def _standard_ppf(q):
    """The standard quantile: tan(pi (q - 1/2)) in the middle (q - 1/2 is exact there),
    -1 / tan(pi q) in the lower quarter and its mirror in the upper one (1 - q is exact);
    NaN outside [0, 1], as SciPy."""
    middle = (q >= 0.25) & (q <= 0.75)
    lower = q < 0.5
    tail = jnp.where(middle, 0.25, jnp.where(lower, q, 1 - q))
    tail_x = -1 / jnp.tan(math.pi * tail)
    x = jnp.where(middle, jnp.tan(math.pi * (jnp.where(middle, q, 0.5) - 0.5)),
                  jnp.where(lower, tail_x, -tail_x))
    return jnp.where((q < 0) | (q > 1), np.nan, x)


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote("cauchy.ppf", q, loc, scale)
    return _standard_ppf(q) * scale + loc


def isf(q, loc=0, scale=1):
    q, loc, scale = promote("cauchy.isf", q, loc, scale)
    return -_standard_ppf(q) * scale + loc
