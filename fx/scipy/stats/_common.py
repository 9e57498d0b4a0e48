"""What the distributions share: argument promotion (JAX's: one floating dtype, integers to
float32 or to float64 with x64, shapes broadcast), the location-scale standardisation,
pdf = exp(logpdf), and differences of exponentials taken in log space."""
from __future__ import annotations

import functools
import math

from fx import numpy as jnp
from fx.numpy._promote import promote_args_inexact

_LOG_2 = math.log(2)


def promote(name, *args):
    """The arguments in one floating dtype, broadcast to one shape (JAX's
    promote_args_inexact); `name` labels the messages."""
    return promote_args_inexact(*args, name=name)


def standardize(name, x, loc, scale, *params):
    """(z, x, loc, scale, *params), all promoted together, with z = (x - loc) / scale."""
    x, loc, scale, *params = promote(name, x, loc, scale, *params)
    return ((x - loc) / scale, x, loc, scale, *params)


def exp_of(log_fn, name):
    """The function exp(log_fn(...)) named `name`, with log_fn's signature (as JAX computes
    every pdf, pmf, cdf or sf that has a log form: one formula, one set of edge cases)."""
    @functools.wraps(log_fn)
    def fn(*args, **kwargs):
        return jnp.exp(log_fn(*args, **kwargs))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"exp({log_fn.__name__}(...)): see {log_fn.__name__}."
    return fn


def log1mexp(a):
    """log(1 - exp(-a)) for a >= 0: log(-expm1(-a)) below log 2, where 1 - exp(-a) would
    cancel, log1p(-exp(-a)) above, where expm1 would round to -1 (Maechler's rule). Each
    branch sees only its own range, so neither poisons the other's gradient."""
    small = a < _LOG_2
    return jnp.where(small, jnp.log(-jnp.expm1(-jnp.where(small, a, _LOG_2))),
                     jnp.log1p(-jnp.exp(-jnp.where(small, _LOG_2, a))))


def log_sub_exp(big, small):
    """log(exp(big) - exp(small)) for big >= small, without leaving log space."""
    return big + log1mexp(big - small)


def log1p_square(w):
    """log(1 + w^2), as 2 log|w| + log1p(1/w^2) past |w| = 1 so that w^2 cannot overflow
    (the Cauchy and Student t densities at huge arguments)."""
    big = jnp.abs(w) > 1
    safe_big = jnp.where(big, w, 2.0)
    safe_small = jnp.where(big, 0.0, w)
    return jnp.where(big, 2 * jnp.log(jnp.abs(safe_big)) + jnp.log1p(1 / (safe_big * safe_big)),
                     jnp.log1p(safe_small * safe_small))


def log1mexp_of_exp(t):
    """log(1 - exp(-exp(t))) for any t (the Gumbel tails): log1mexp(exp(t)), and below
    t = -18.5, where exp(t) < 1e-8 may underflow, its series t - exp(t) / 2 (the next
    term, exp(2t) / 24, is below the rounding)."""
    small = t < -18.5
    series = t - 0.5 * jnp.exp(t)
    return jnp.where(small, series, log1mexp(jnp.exp(jnp.where(small, -18.5, t))))
