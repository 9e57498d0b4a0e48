"""The logistic distribution (jax.scipy.stats.logistic): expit and logit of the
standardised argument (the upper tail is expit(-z), not 1 - expit(z))."""
from __future__ import annotations

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, promote, standardize


def logpdf(x, loc=0, scale=1):
    """-2 log(exp(z/2) + exp(-z/2)) - log(scale): symmetric, and no exp(|z|) overflow."""
    z, x, loc, scale = standardize("logistic.logpdf", x, loc, scale)
    return -2 * jnp.logaddexp(0.5 * z, -0.5 * z) - jnp.log(scale)


pdf = exp_of(logpdf, "pdf")


def cdf(x, loc=0, scale=1):
    z, *_ = standardize("logistic.cdf", x, loc, scale)
    return special.expit(z)


def sf(x, loc=0, scale=1):
    z, *_ = standardize("logistic.sf", x, loc, scale)
    return special.expit(-z)


def ppf(x, loc=0, scale=1):
    x, loc, scale = promote("logistic.ppf", x, loc, scale)
    return special.logit(x) * scale + loc


def isf(x, loc=0, scale=1):
    x, loc, scale = promote("logistic.isf", x, loc, scale)
    return -special.logit(x) * scale + loc
