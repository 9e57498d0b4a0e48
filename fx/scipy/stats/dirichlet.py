"""The Dirichlet distribution (jax.scipy.stats.dirichlet), components along axis 0 of x
(SciPy's convention; further axes are a batch). x may omit its last component, which is
then 1 - sum(x). Off the simplex (a component <= 0, or a sum more than 1e-6 from 1, JAX's
tolerance) the log density is -inf."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.numpy._promote import promote_dtypes_inexact
from fx.scipy import special


def logpdf(x, alpha):
    x, alpha = promote_dtypes_inexact(x, alpha)
    if alpha.ndim != 1:
        raise ValueError(f"dirichlet.logpdf: alpha must be one-dimensional; got shape {alpha.shape}")
    if x.ndim == 0 or x.shape[0] not in (alpha.shape[0], alpha.shape[0] - 1):
        raise ValueError(f"dirichlet.logpdf: x must have as many entries as alpha along axis 0, "
                         f"or one fewer; got x.shape={x.shape}, alpha.shape={alpha.shape}")
    if x.shape[0] != alpha.shape[0]:
        x = jnp.concatenate([x, 1 - jnp.sum(x, axis=0, keepdims=True)], axis=0)
    normaliser = jnp.sum(special.gammaln(alpha)) - special.gammaln(jnp.sum(alpha))
    alpha = jnp.reshape(alpha, alpha.shape + (1,) * (x.ndim - 1))
    value = jnp.sum(special.xlogy(alpha - 1, x), axis=0) - normaliser
    on_simplex = jnp.all(x > 0, axis=0) & (jnp.abs(jnp.sum(x, axis=0) - 1) < 1e-6)
    return jnp.where(on_simplex, value, -np.inf)


def pdf(x, alpha):
    return jnp.exp(logpdf(x, alpha))
