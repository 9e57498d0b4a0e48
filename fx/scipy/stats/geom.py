"""The geometric distribution on 1, 2, ... (jax.scipy.stats.geom)."""
from __future__ import annotations

import numpy as np

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, promote


def logpmf(k, p, loc=0):
    """(x - 1) log(1 - p) + log p at x = k - loc >= 1 (xlog1py: 0 at x = 1 even for p = 1)."""
    k, p, loc = promote("geom.logpmf", k, p, loc)
    x = k - loc
    return jnp.where(x <= 0, -np.inf, special.xlog1py(x - 1, -p) + jnp.log(p))


pmf = exp_of(logpmf, "pmf")
