"""Window functions for signal processing: bartlett, blackman, hamming, hanning, kaiser
(NumPy's definitions, in the default float dtype), and the Bessel function i0 that
kaiser is made of."""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes
from fx import lax
from fx.argcheck import index
from fx.numpy._promote import promote_args_inexact


def _window(name, formula):
    def window(M):
        M = index(M, f"fx.numpy.{name}: M")
        dtype = dtypes.default_float_dtype()
        if M <= 1:
            return jnp.ones(max(M, 0), dtype)
        n = jnp.arange(M, dtype=dtype)
        return formula(n, M - 1).astype(dtype)
    window.__name__ = name
    window.__doc__ = f"NumPy's {name} window of M points (M <= 1 gives ones(M))."
    return window


bartlett = _window("bartlett", lambda n, m: 1 - jnp.abs(2 * n / m - 1))
blackman = _window("blackman", lambda n, m: 0.42 - 0.5 * jnp.cos(2 * np.pi * n / m)
                   + 0.08 * jnp.cos(4 * np.pi * n / m))
hamming = _window("hamming", lambda n, m: 0.54 - 0.46 * jnp.cos(2 * np.pi * n / m))
hanning = _window("hanning", lambda n, m: 0.5 - 0.5 * jnp.cos(2 * np.pi * n / m))


def i0(x):
    """The modified Bessel function of the first kind, order 0: exp(|x|) i0e(x)."""
    (x,) = promote_args_inexact(x, name="i0")
    return jnp.exp(jnp.abs(x)) * lax.bessel_i0e(x)


def kaiser(M, beta):
    """NumPy's Kaiser window of M points with shape parameter beta."""
    M = index(M, "fx.numpy.kaiser: M")
    dtype = dtypes.default_float_dtype()
    if M <= 1:
        return jnp.ones(max(M, 0), dtype)
    half = (M - 1) / 2
    n = jnp.arange(M, dtype=dtype)
    beta = jnp.abs(jnp.asarray(beta, dtype))  # i0 is even: a negative beta is its magnitude
    # i0(beta sqrt(.)) / i0(beta) with the exp(beta) factors cancelled: no overflow for large beta
    arg = beta * jnp.sqrt(1 - ((n - half) / half) ** 2)
    return (jnp.exp(arg - beta) * lax.bessel_i0e(arg) / lax.bessel_i0e(beta)).astype(dtype)
