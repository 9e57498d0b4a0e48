"""JAX's vector and matrix samplers: multivariate normal (a factor of the covariance
applied to standard normals), Haar-random orthogonal matrices (Mezzadri's sign-corrected QR
of a Gaussian matrix, "How to generate random matrices from the classical compact groups",
2007) and points uniform in an Lp ball (Barthe, Guedon, Mendelson and Naor, "A
probabilistic approach to the geometry of the lp^n-ball", 2005). Same keys, same draws
as JAX; the linear algebra is fx's own, so the values agree with JAX's to rounding.
"""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import lax
from fx.argcheck import check_choice, index
from fx.numpy._promote import _operand, promote_dtypes_inexact
from fx.random._distributions import exponential, normal
from fx.random._samplers import generalized_normal, sampler_dtype, split2
from fx.random._threefry import canonical_shape, check_key


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """Normal vectors with the given mean (..., n) and covariance (..., n, n): mean + A z for
    A A^T = cov, A the Cholesky factor, or U sqrt(s) from an eigendecomposition ("eigh") or
    an SVD ("svd"), which also allow singular covariances. `shape` is the batch shape, which
    must hold the broadcast of mean's and cov's batch shapes."""
    key = check_key("multivariate_normal", key)
    mean, cov = promote_dtypes_inexact(_operand(mean), _operand(cov))
    check_choice(method, ("svd", "eigh", "cholesky"), "multivariate_normal: method")
    dtype = sampler_dtype("multivariate_normal", mean.dtype if dtype is None else dtype)
    if mean.ndim < 1:
        raise ValueError(f"multivariate_normal: mean must have at least one dimension, got "
                         f"shape {mean.shape}")
    n = mean.shape[-1]
    if cov.shape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal: cov must have shape (..., {n}, {n}) to match "
                         f"mean's {mean.shape}, got {cov.shape}")
    batch = (mean.shape[:-1], cov.shape[:-2])
    shape = np.broadcast_shapes(*batch) if shape is None else \
        canonical_shape("multivariate_normal", shape, *batch)
    if method == "svd":
        u, s, _ = jnp.linalg.svd(cov)
        factor = u * jnp.sqrt(s[..., None, :])
    elif method == "eigh":
        w, v = jnp.linalg.eigh(cov)
        factor = v * jnp.sqrt(w[..., None, :])
    else:
        factor = jnp.linalg.cholesky(cov)
    z = normal(key, (*shape, n), dtype)
    return mean + jnp.einsum("...ij,...j->...i", factor, z)


def orthogonal(key, n, shape=(), dtype=None, m=None):
    """Matrices (shape + (n, m), m = n by default) with orthonormal columns (n >= m) or rows,
    Haar-distributed: the QR factor Q of a Gaussian matrix with each column's sign set by
    diag(R), which makes the factorisation unique."""
    key = check_key("orthogonal", key)
    dtype = sampler_dtype("orthogonal", dtype)
    shape = canonical_shape("orthogonal", shape)
    n = index(n, "orthogonal: n", minimum=0)
    m = n if m is None else index(m, "orthogonal: m", minimum=0)
    q, r = jnp.linalg.qr(normal(key, (*shape, max(n, m), min(n, m)), dtype))
    x = q * jnp.expand_dims(jnp.sign(jnp.diagonal(r, axis1=-2, axis2=-1)), -2)
    return jnp.swapaxes(x, -1, -2) if n < m else x


def ball(key, d, p=2, shape=(), dtype=None):
    """Points uniform in the unit Lp ball of dimension d (shape + (d,)): g / (|g|_p^p + e)^(1/p)
    for generalised-normal coordinates g and an exponential e."""
    key = check_key("ball", key)
    dtype = sampler_dtype("ball", dtype)
    shape = canonical_shape("ball", shape)
    d = index(d, "ball: d", minimum=0)
    key_g, key_e = split2(key)
    g = generalized_normal(key_g, p, (*shape, d), dtype)
    e = exponential(key_e, shape, dtype)
    inv_p = lax.div(lax.full((), 1, dtype), lax.convert_element_type(_operand(p), dtype))
    return g / (((jnp.abs(g) ** p).sum(-1) + e) ** inv_p)[..., None]
