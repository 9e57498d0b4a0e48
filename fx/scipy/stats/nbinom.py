"""The negative binomial distribution (jax.scipy.stats.nbinom): the number of failures
before the n-th success, n real."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, promote


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote("nbinom.logpmf", k, n, p, loc)
    below = k < loc
    y = jnp.where(below, 0.0, k - loc)
    log_choose = special.gammaln(y + n) - special.gammaln(n) - special.gammaln(y + 1)
    value = log_choose + special.xlogy(n, p) + special.xlog1py(y, -p)
    return jnp.where(below, -np.inf, value)


pmf = exp_of(logpmf, "pmf")
