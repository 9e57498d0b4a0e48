"""JAX's other continuous samplers: each is JAX's formula on fx's uniform, normal,
exponential and gamma draws, with JAX's key splits, so that the same key gives JAX's
values (bit for bit where the formula is exact, to the last few ulp of the transcendental
functions otherwise).

By inverse CDF: cauchy, pareto (of an exponential), rayleigh, triangular, weibull_min,
geometric. From normals: lognormal, maxwell (the norm of three), wald (Michael, Schucany
and Haas's transformation with one root of a quadratic), t. From gamma draws: chisquare
and f (in log space, as JAX), beta (two log-gamma draws normalised without underflow),
generalized_normal (a signed power of a gamma draw, Nardon and Pianca 2009).

Derivatives flow wherever the formula is differentiable in the parameter; through gamma
draws they meet fx.random.gamma's rule (which does not have the implicit
reparameterisation gradient yet).
"""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.numpy._promote import _operand, promote_dtypes_inexact
from fx.random._distributions import _uniform, bernoulli, exponential, normal
from fx.random._gamma import gamma, loggamma
from fx.random._threefry import canonical_shape, check_key, split


def sampler_dtype(name, dtype, default=float, kind="float"):
    """The canonical dtype of a draw, `default` if None; JAX's samplers refuse a dtype of
    the wrong kind with a ValueError."""
    dt = dtypes.canonicalize_dtype(default if dtype is None else dtype)
    if not (dtypes.is_floating(dt) if kind == "float" else dtypes.is_integer(dt)):
        raise ValueError(f"{name}: dtype must be a{'n' if kind == 'int' else ''} {kind} dtype, "
                         f"got {np.dtype(dt).name}")
    return dt


def draw_shape(name, shape, *params):
    """The shape of a draw: `shape`, which must hold the parameters' shapes, or (when None)
    their broadcast shape."""
    shapes = [np.shape(p) for p in params]
    if shape is not None:
        return canonical_shape(name, shape, *shapes)
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"{name}: the parameters' shapes {', '.join(map(str, shapes))} "
                         "do not broadcast together") from None


def float_params(name, dtype, shape, *params):
    """The draw's shape and the parameters converted to `dtype`, after JAX's check that the
    conversion loses nothing (a complex parameter for a real draw is an error)."""
    params = [_operand(p) for p in params]
    for p in params:
        if dtypes.result_type(p, dtype) != dtype:
            raise ValueError(f"{name}: cannot safely cast a parameter of type "
                             f"{np.dtype(dtypes.dtype_of(p)).name} to {np.dtype(dtype).name}")
    return draw_shape(name, shape, *params), [lax.convert_element_type(p, dtype) for p in params]


def split2(key):
    keys = split(key)
    return keys[0], keys[1]


def beta(key, a, b, shape=None, dtype=None):
    """Beta(a, b) floats: G_a / (G_a + G_b) for gamma draws G, formed from log-gamma draws
    scaled by their maximum, so that small a and b do not give 0 / 0."""
    key = check_key("beta", key)
    dtype = sampler_dtype("beta", dtype)
    shape, (a, b) = float_params("beta", dtype, shape, a, b)
    key_a, key_b = split2(key)
    log_a, log_b = loggamma(key_a, a, shape, dtype), loggamma(key_b, b, shape, dtype)
    log_max = lax.max(log_a, log_b)
    scaled_a, scaled_b = jnp.exp(log_a - log_max), jnp.exp(log_b - log_max)
    return scaled_a / (scaled_a + scaled_b)


def cauchy(key, shape=(), dtype=None):
    """Standard Cauchy floats: tan(pi (u - 1/2)) for u uniform on [eps, 1)."""
    key = check_key("cauchy", key)
    dtype = sampler_dtype("cauchy", dtype)
    shape = canonical_shape("cauchy", shape)
    u = _uniform(key, shape, dtype, dtypes.finfo(dtype).eps, 1.0)
    return lax.tan(lax.mul(lax.full_like(u, np.pi), lax.sub(u, lax.full_like(u, 0.5))))


def _chisquare(key, df, shape, dtype):
    return jnp.exp(loggamma(key, df / 2, shape, dtype)) * 2


def chisquare(key, df, shape=None, dtype=None):
    """Chi-squared floats with df degrees of freedom: twice a Gamma(df / 2) draw."""
    key = check_key("chisquare", key)
    dtype = sampler_dtype("chisquare", dtype)
    shape, (df,) = float_params("chisquare", dtype, shape, df)
    return _chisquare(key, df, shape, dtype)


def f(key, dfnum, dfden, shape=None, dtype=None):
    """F(dfnum, dfden) floats: the ratio of two chi-squared draws, each over its degrees of
    freedom."""
    key = check_key("f", key)
    dtype = sampler_dtype("f", dtype)
    shape, (dfnum, dfden) = float_params("f", dtype, shape, dfnum, dfden)
    key_den, key_num = split2(key)
    return (_chisquare(key_num, dfnum, shape, dtype) / dfnum) / \
        (_chisquare(key_den, dfden, shape, dtype) / dfden)


def geometric(key, p, shape=None, dtype=None):
    """The number of Bernoulli(p) trials up to the first success (1, 2, ...): floor(log(u) /
    log(1 - p)) + 1, with u = 0 taken as 1 as JAX does."""
    key = check_key("geometric", key)
    dtype = sampler_dtype("geometric", dtype, int, "int")
    shape = draw_shape("geometric", shape, p)
    p, = promote_dtypes_inexact(p)
    u = _uniform(key, shape, p.dtype, 0.0, 1.0)
    u = jnp.where(u == 0, lax.full_like(u, 1), u)
    steps = lax.floor(lax.div(lax.log(u), jnp.broadcast_to(lax.log1p(-p), shape)))
    return (steps + 1).astype(dtype)


def lognormal(key, sigma=np.float32(1), shape=None, dtype=None):
    """exp(sigma z) for standard normal z (complex dtypes take the complex normal)."""
    key = check_key("lognormal", key)
    dt = dtypes.canonicalize_dtype(dtype)
    if not dtypes.is_inexact(dt):
        raise ValueError(f"lognormal: dtype must be a float or complex dtype, got {np.dtype(dt).name}")
    shape, (sigma,) = float_params("lognormal", dt, shape, sigma)
    return lax.exp(normal(key, shape, dt) * sigma)


def pareto(key, b, shape=None, dtype=None):
    """Pareto floats of shape b on [1, inf): exp(e / b) for standard exponential e."""
    key = check_key("pareto", key)
    dtype = sampler_dtype("pareto", dtype)
    shape, (b,) = float_params("pareto", dtype, shape, b)
    return lax.exp(exponential(key, shape, dtype) / b)


def rademacher(key, shape=(), dtype=None):
    """-1 or +1 with equal probability (a fair Bernoulli draw, 2 b - 1), integers by default."""
    key = check_key("rademacher", key)
    dtype = dtypes.canonicalize_dtype(int if dtype is None else dtype)
    shape = canonical_shape("rademacher", shape)
    b = bernoulli(key, 0.5, shape).astype(dtype)
    return (2 * b - 1).astype(dtype)


def rayleigh(key, scale, shape=None, dtype=None):
    """Rayleigh floats: scale sqrt(-2 log u)."""
    key = check_key("rayleigh", key)
    dtype = sampler_dtype("rayleigh", dtype)
    shape, (scale,) = float_params("rayleigh", dtype, shape, scale)
    u = _uniform(key, shape, dtype, 0.0, 1.0)
    return jnp.broadcast_to(scale, shape) * lax.sqrt(lax.log(u) * -2)


def t(key, df, shape=None, dtype=None):
    """Student's t floats: z sqrt((df / 2) / G) for z normal and G a Gamma(df / 2) draw."""
    key = check_key("t", key)
    dtype = sampler_dtype("t", dtype)
    shape, (df,) = float_params("t", dtype, shape, df)
    key_n, key_g = split2(key)
    z = normal(key_n, shape, dtype)
    half_df = df / 2
    return z * jnp.sqrt(half_df / gamma(key_g, half_df, shape, dtype))


def triangular(key, left, mode, right, shape=None, dtype=None):
    """Triangular floats on [left, right] peaking at mode, by the inverse CDF on either side
    of the mode."""
    key = check_key("triangular", key)
    dtype = sampler_dtype("triangular", dtype)
    shape, params = float_params("triangular", dtype, shape, left, mode, right)
    left, mode, right = (jnp.broadcast_to(p, shape) for p in params)
    u = _uniform(key, shape, dtype, 0.0, 1.0)
    width = right - left
    below = left + lax.sqrt(u * width * (mode - left))
    above = right - lax.sqrt((1 - u) * width * (right - mode))
    return lax.select(u < (mode - left) / width, below, above)


def wald(key, mean, shape=None, dtype=None):
    """Wald (inverse Gaussian, scale 1) floats by Michael, Schucany and Haas's method: the
    smaller root x of a quadratic in z^2 for normal z, kept with probability mean / (mean + x),
    else mean^2 / x."""
    key = check_key("wald", key)
    dtype = sampler_dtype("wald", dtype)
    shape, (mean,) = float_params("wald", dtype, shape, mean)
    key_v, key_z = split2(key)
    mean = jnp.broadcast_to(mean, shape)
    y = lax.integer_pow(normal(key_v, shape, dtype), 2)
    z = _uniform(key_z, shape, dtype, 0.0, 1.0)
    mean_sq = lax.integer_pow(mean, 2)
    root = lax.sqrt(4 * mean * y + mean_sq * lax.integer_pow(y, 2))
    x = mean + mean_sq * y / 2 - mean / 2 * root
    return lax.select(lax.le(z, mean / (mean + x)), x, mean_sq / x)


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Weibull floats by the inverse CDF: scale (-log(1 - u))^(1 / concentration). As in
    JAX, `shape` broadcasts with the parameters' shapes rather than having to hold them."""
    key = check_key("weibull_min", key)
    dtype = sampler_dtype("weibull_min", dtype)
    shape = canonical_shape("weibull_min", shape)
    u = _uniform(key, shape, dtype, 0.0, 1.0)
    return jnp.power(-jnp.log1p(-u), 1.0 / _operand(concentration)) * _operand(scale)


def _maxwell(key, shape, dtype):
    return jnp.linalg.norm(normal(key, (*shape, 3), dtype), axis=-1)


def maxwell(key, shape=(), dtype=None):
    """Maxwell (chi with 3 degrees of freedom) floats: the length of a 3-D standard normal
    vector."""
    key = check_key("maxwell", key)
    dtype = sampler_dtype("maxwell", dtype)
    return _maxwell(key, canonical_shape("maxwell", shape), dtype)


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    """loc + scale s m for a Maxwell draw m and a random sign s. As in JAX, the draw's
    shape is `shape` followed by the parameters' broadcast shape (the latter twice when
    `shape` is empty)."""
    key = check_key("double_sided_maxwell", key)
    dtype = sampler_dtype("double_sided_maxwell", dtype)
    shape = canonical_shape("double_sided_maxwell", shape)
    param_shape = draw_shape("double_sided_maxwell", None, loc, scale)
    shape = (shape or param_shape) + param_shape
    key_m, key_s = split2(key)
    return rademacher(key_s, shape, dtype) * _maxwell(key_m, shape, dtype) * _operand(scale) + \
        _operand(loc)


def generalized_normal(key, p, shape=(), dtype=None):
    """Generalised normal floats (density proportional to exp(-|x|^p)): s G^(1/p) for a
    Gamma(1 / p) draw G and a random sign s."""
    key = check_key("generalized_normal", key)
    dtype = sampler_dtype("generalized_normal", dtype)
    shape = canonical_shape("generalized_normal", shape)
    key_g, key_s = split2(key)
    inv_p = lax.div(lax.full((), 1, dtype), lax.convert_element_type(_operand(p), dtype))
    return rademacher(key_s, shape, dtype) * gamma(key_g, inv_p, shape, dtype) ** inv_p
