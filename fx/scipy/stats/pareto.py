"""The Pareto distribution (jax.scipy.stats.pareto), supported on x >= loc + scale. Every
function works with log z: cdf = -expm1(-b log z) keeps its digits just above the lower
end, where 1 - z^-b cancels."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy.stats._common import exp_of, log1mexp, promote, standardize


def _log_z(name, x, b, loc, scale):
    """(log z, b, scale, below): log z inside the support, log 2 below it (away from the
    lower end, so that the branch `where` drops has no infinite derivative)."""
    z, x, loc, scale, b = standardize(name, x, loc, scale, b)
    below = x < loc + scale
    return jnp.log(jnp.where(below, 2.0, z)), b, scale, below


def logpdf(x, b, loc=0, scale=1):
    log_z, b, scale, below = _log_z("pareto.logpdf", x, b, loc, scale)
    return jnp.where(below, -np.inf, -jnp.log(scale / b) - (b + 1) * log_z)


pdf = exp_of(logpdf, "pdf")


def cdf(x, b, loc=0, scale=1):
    log_z, b, _, below = _log_z("pareto.cdf", x, b, loc, scale)
    return jnp.where(below, 0.0, -jnp.expm1(-b * log_z))


def logcdf(x, b, loc=0, scale=1):
    log_z, b, _, below = _log_z("pareto.logcdf", x, b, loc, scale)
    return jnp.where(below, -np.inf, log1mexp(b * log_z))


def logsf(x, b, loc=0, scale=1):
    log_z, b, _, below = _log_z("pareto.logsf", x, b, loc, scale)
    return jnp.where(below, 0.0, -b * log_z)


sf = exp_of(logsf, "sf")


def ppf(q, b, loc=0, scale=1):
    """loc + scale (1 - q)^(-1/b), as exp(-log1p(-q) / b); NaN outside [0, 1]."""
    q, b, loc, scale = promote("pareto.ppf", q, b, loc, scale)
    value = loc + scale * jnp.exp(-jnp.log1p(-q) / b)
    return jnp.where(jnp.isnan(q) | (q < 0) | (q > 1), np.nan, value)
