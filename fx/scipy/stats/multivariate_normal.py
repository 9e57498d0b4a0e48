"""The multivariate normal distribution (jax.scipy.stats.multivariate_normal). With a
covariance matrix, the quadratic form is |L^-1 (x - mean)|^2 for the Cholesky factor L
(one triangular solve, no inverse) and log det cov = 2 sum(log diag L). x and mean are
(..., n), cov (n, n) or (..., n, n): their leading dimensions broadcast. A scalar mean
makes it univariate; a scalar cov with a vector mean is cov times the identity."""
from __future__ import annotations

import math

from fx import lax
from fx import numpy as jnp
from fx.numpy._promote import promote_dtypes_inexact

_LOG_2PI = math.log(2 * math.pi)


def logpdf(x, mean, cov, allow_singular=None):
    """allow_singular: None or False (a singular cov gives NaN, through the Cholesky
    factor); True (SciPy's pseudo-determinant) is not implemented, as in JAX."""
    if allow_singular:
        raise NotImplementedError("multivariate_normal.logpdf: allow_singular=True is not "
                                  "implemented (as in JAX); pass a positive definite cov")
    x, mean, cov = promote_dtypes_inexact(x, mean, cov)
    if mean.ndim == 0:
        return -0.5 * jnp.square(x - mean) / cov - 0.5 * (_LOG_2PI + jnp.log(cov))
    n = mean.shape[-1]
    if cov.ndim == 0:
        y = x - mean
        return -0.5 * jnp.sum(y * y, axis=-1) / cov - 0.5 * n * (_LOG_2PI + jnp.log(cov))
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal.logpdf: cov must be (..., {n}, {n}) for a mean "
                         f"of shape {mean.shape}, got shape {cov.shape}")
    factor = lax.linalg.cholesky(cov)
    d = x - mean
    batch = jnp.broadcast_shapes(factor.shape[:-2], d.shape[:-1])
    factor = jnp.broadcast_to(factor, batch + (n, n))
    d = jnp.broadcast_to(d, batch + (n,))
    y = lax.linalg.triangular_solve(factor, d[..., None], left_side=True, lower=True)[..., 0]
    log_det_half = jnp.sum(jnp.log(jnp.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * jnp.sum(y * y, axis=-1) - 0.5 * n * _LOG_2PI - log_det_half


def pdf(x, mean, cov):
    return jnp.exp(logpdf(x, mean, cov))


