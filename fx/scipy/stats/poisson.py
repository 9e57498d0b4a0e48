"""The Poisson distribution (jax.scipy.stats.poisson)."""
from __future__ import annotations

import math

import numpy as np

from fx import numpy as jnp
from fx.numpy._promote import promote_dtypes_inexact
from fx.scipy import special
from fx.scipy.stats._common import exp_of, promote


def logpmf(k, mu, loc=0):
    """x log(mu) - log(x!) - mu at x = k - loc; -inf below 0 and at non-integer k (as
    JAX)."""
    k, mu, loc = promote("poisson.logpmf", k, mu, loc)
    x = k - loc
    outside = (x < 0) | (jnp.round(k) != k)
    x = jnp.where(outside, 0.0, x)
    value = special.xlogy(x, mu) - special.gammaln(x + 1) - mu
    return jnp.where(outside, -np.inf, value)


pmf = exp_of(logpmf, "pmf")


def cdf(k, mu, loc=0):
    """P(X <= k) = Q(floor(k - loc) + 1, mu), the regularised upper incomplete gamma
    function; 0 below loc."""
    k, mu, loc = promote("poisson.cdf", k, mu, loc)
    x = k - loc
    below = x < 0
    value = special.gammaincc(jnp.floor(1 + jnp.where(below, 0.0, x)), mu)
    return jnp.where(below, 0.0, value)


def entropy(mu, loc=0):
    """-sum_k pmf(k) log pmf(k), summed directly below mu = 100 (over k < mu + 10 sqrt(mu)
    + 20, past which the terms are below 1e-20 of the total) and from the asymptotic
    series log(2 pi e mu) / 2 - 1 / (12 mu) above, as JAX; 0 at mu = 0. The result has the
    broadcast shape of mu and loc (loc does not change the entropy); NaN for mu < 0."""
    mu, loc = promote_dtypes_inexact(mu, loc)
    shape = jnp.broadcast_shapes(mu.shape, loc.shape)
    flat = jnp.ravel(mu)
    k = jnp.arange(250, dtype=flat.dtype)[:, None]
    small = flat < 10
    bound = jnp.where(small, jnp.ceil(flat + 20), jnp.ceil(flat + 10 * jnp.sqrt(flat) + 20))
    safe = jnp.where((flat > 0) & (flat < 100), flat, 1.0)
    terms = special.entr(jnp.where(k < bound, pmf(k, safe), 0.0))
    summed = jnp.sum(terms, axis=0)
    large = 0.5 * jnp.log(2 * math.pi * math.e * flat) - 1 / (12 * flat)
    value = jnp.where(flat == 0, 0.0, jnp.where(flat < 100, summed, large))
    value = jnp.where(flat < 0, np.nan, value)
    return jnp.broadcast_to(jnp.reshape(value, mu.shape), shape)
