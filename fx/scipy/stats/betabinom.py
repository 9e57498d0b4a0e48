"""The beta-binomial distribution (jax.scipy.stats.betabinom): k is floored, as JAX.
-inf outside 0 <= k - loc <= n, NaN for n < 0, a <= 0 or b <= 0."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, promote


def logpmf(k, n, a, b, loc=0):
    """-log(n + 1) - betaln(n - y + 1, y + 1) + betaln(y + a, n - y + b) - betaln(a, b):
    betaln keeps its digits for large arguments, where differences of gammaln do not."""
    k, n, a, b, loc = promote("betabinom.logpmf", k, n, a, b, loc)
    y = jnp.floor(k) - loc
    outside = (y < -loc) | (y > n) | (y + a <= 0)
    y = jnp.where(outside, 0.0, y)
    log_choose = -(jnp.log1p(n) + special.betaln(n - y + 1, y + 1))
    value = log_choose + special.betaln(y + a, n - y + b) - special.betaln(a, b)
    value = jnp.where((y == 0) & (n == 0), 0.0, value)
    value = jnp.where(outside, -np.inf, value)
    return jnp.where((n < 0) | (a <= 0) | (b <= 0), np.nan, value)


pmf = exp_of(logpmf, "pmf")
