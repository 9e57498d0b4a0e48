"""The generalised normal distribution with shape beta (jax.scipy.stats.gennorm): density
beta / (2 Gamma(1/beta)) exp(-|x|^beta); beta = 2 is a normal, beta = 1 a Laplace."""
from __future__ import annotations

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, promote


def logpdf(x, beta):
    x, beta = promote("gennorm.logpdf", x, beta)
    return jnp.log(0.5 * beta) - special.gammaln(1 / beta) - jnp.abs(x) ** beta


pdf = exp_of(logpdf, "pdf")


def cdf(x, beta):
    """1/2 + sign(x) P(1/beta, |x|^beta) / 2, P the regularised lower incomplete gamma
    function; for x < 0 it is Q(1/beta, |x|^beta) / 2, which does not cancel in the tail."""
    x, beta = promote("gennorm.cdf", x, beta)
    power = jnp.abs(x) ** beta
    a = 1 / beta
    return jnp.where(x < 0, 0.5 * special.gammaincc(a, power), 0.5 + 0.5 * special.gammainc(a, power))
