"""The multinomial distribution (jax.scipy.stats.multinomial): counts x (..., k) of an
integer dtype, n trials, probabilities p (..., k); -inf where the counts do not add up
to n."""
from __future__ import annotations

import numpy as np

from fx import dtypes
from fx import numpy as jnp
from fx.numpy._promote import promote_dtypes_inexact, promote_dtypes_numeric
from fx.scipy import special


def logpmf(x, n, p):
    (p,) = promote_dtypes_inexact(p)
    x, n = promote_dtypes_numeric(x, n)
    if not dtypes.is_integer(x.dtype):
        raise ValueError(f"multinomial.logpmf: x and n must have an integer dtype; got "
                         f"x.dtype={x.dtype}, n.dtype={n.dtype}")
    x, n = x.astype(p.dtype), n.astype(p.dtype)
    value = special.gammaln(n + 1) + jnp.sum(special.xlogy(x, p) - special.gammaln(x + 1), axis=-1)
    return jnp.where(jnp.sum(x, axis=-1) == n, value, -np.inf)


def pmf(x, n, p):
    return jnp.exp(logpmf(x, n, p))
