"""The binomial distribution (jax.scipy.stats.binom), with n real as in JAX: the support
is loc <= k < loc + n + 1."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, promote


def logpmf(k, n, p, loc=0):
    """log C(n, y) + y log p + (n - y) log(1 - p) with y = k - loc, by gammaln, xlogy and
    xlog1py (so that p = 0 or 1 gives 0 or -inf, not NaN)."""
    k, n, p, loc = promote("binom.logpmf", k, n, p, loc)
    inside = (k >= loc) & (k < loc + n + 1)
    y = jnp.where(inside, k - loc, 0.0)
    log_choose = special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)
    log_linear = special.xlogy(y, p) + special.xlog1py(n - y, -p)
    value = jnp.where(((y == 0) & (n == 0)) | (log_linear == 0), 0.0, log_choose + log_linear)
    return jnp.where(inside, value, -np.inf)


pmf = exp_of(logpmf, "pmf")
