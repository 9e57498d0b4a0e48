"""The von Mises distribution on the circle (jax.scipy.stats.vonmises). The normaliser
2 pi I0(kappa) is taken as log(2 pi i0e(kappa)) + kappa, which does not overflow for
large kappa; NaN where kappa <= 0, as JAX."""
from __future__ import annotations

import math

import numpy as np

from fx import numpy as jnp
from fx.scipy import special
from fx.scipy.stats._common import exp_of, promote


def logpdf(x, kappa):
    x, kappa = promote("vonmises.logpdf", x, kappa)
    value = kappa * (jnp.cos(x) - 1) - jnp.log(2 * math.pi * special.i0e(kappa))
    return jnp.where(kappa > 0, value, np.nan)


pdf = exp_of(logpdf, "pdf")
