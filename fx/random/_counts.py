"""Poisson, binomial and multinomial counts with JAX's algorithms and streams (those of
TensorFlow and NumPy). Each sampler loops over the whole array: every round draws fresh
uniforms for every element from the round's key, and the loop ends when all elements are
done, so an element's value does not depend on the others, and vmap or jit of the loop
gives the values of a Python loop over keys.

- poisson: Knuth's product of uniforms for lam < 10; Hormann's transformed rejection
  ("The transformed rejection method for generating Poisson random variables", 1993,
  PTRS) otherwise.
- binomial: the sum of geometric waiting times (inversion) for n min(p, 1 - p) <= 10;
  Hormann's BTRS ("The generation of binomial random variates", 1993) otherwise, with its
  table of Stirling-series tails.
- multinomial: binomial draws of each category from what the previous ones left, in a scan.
"""
from __future__ import annotations


import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.numpy._promote import _operand, promote_dtypes_inexact
from fx.random._distributions import _uniform
from fx.random._samplers import draw_shape, sampler_dtype, split2
from fx.random._threefry import check_key, split

def _knuth(key, lam, shape, dtype):
    """Knuth's method: the number of uniforms whose product stays above exp(-lam)."""
    def body(state):
        count, key, log_prod = state
        key, subkey = split2(key)
        count = lax.select(log_prod > -lam, count + 1, count)
        return count, key, log_prod + lax.log(_uniform(subkey, shape, lam.dtype, 0.0, 1.0))

    state = (lax.full(shape, 0, dtype), key, lax.full(shape, 0, lam.dtype))
    count = lax.while_loop(lambda s: jnp.any(s[2] > -lam), body, state)[0]
    return count - 1


def _transformed_rejection(key, lam, shape, dtype):
    """Hormann's PTRS: k = floor((2a / (1/2 - |u|) + b) u + lam + 0.43) for u uniform on
    [-1/2, 1/2), accepted at once in the central region, else by comparing log v (scaled by
    the hat) with log of the Poisson probability of k."""
    log_lam = lax.log(lam)
    b = 0.931 + 2.53 * lax.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body(state):
        k_out, accepted, key = state
        keys = split(key, 3)
        u = _uniform(keys[1], shape, lam.dtype, 0.0, 1.0) - 0.5
        v = _uniform(keys[2], shape, lam.dtype, 0.0, 1.0)
        u_shifted = 0.5 - abs(u)
        k = lax.floor((2 * a / u_shifted + b) * u + lam + 0.43)
        s = lax.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        log_pmf = -lam + k * log_lam - lax.lgamma(k + 1)
        accept_fast = (u_shifted >= 0.07) & (v <= v_r)
        reject = (k < 0) | ((u_shifted < 0.013) & (v > u_shifted))
        accept = accept_fast | (~reject & (s <= log_pmf))
        return lax.select(accept, k, k_out), accepted | accept, keys[0]

    state = (lax.full(shape, -1, lam.dtype), lax.full(shape, False, dtypes.bool_), key)
    return lax.while_loop(lambda s: jnp.any(~s[1]), body, state)[0].astype(dtype)


def poisson(key, lam, shape=None, dtype=None):
    """Poisson(lam) integers (lam >= 0; draws are computed in float32, as in JAX)."""
    key = check_key("poisson", key)
    dtype = sampler_dtype("poisson", dtype, int, "int")
    shape = draw_shape("poisson", shape, lam)
    lam = lax.convert_element_type(jnp.broadcast_to(_operand(lam), shape), dtypes.float32)
    use_knuth = jnp.isnan(lam) | (lam < 10)
    result = lax.select(
        use_knuth,
        _knuth(key, lax.select(use_knuth, lam, lax.full_like(lam, 0)), shape, dtype),
        _transformed_rejection(key, lax.select(use_knuth, lax.full_like(lam, 1e5), lam), shape, dtype))
    return lax.select(lam == 0, lax.full_like(result, 0), result)


_STIRLING_TAILS = np.array([0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                            0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                            0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                            0.00833056343336287])


def _stirling_tail(k):
    """log(k!) minus its Stirling approximation: tabulated for k <= 9, else the series
    1/12 - 1/360 / (k+1)^2 + 1/1260 / (k+1)^4, over k + 1."""
    small = k <= 9
    k = lax.clamp(lax.full_like(k, 0), k, lax.full_like(k, 9))
    kp1sq = (k + 1) * (k + 1)
    series = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    table = jnp.asarray(_STIRLING_TAILS.astype(k.dtype))
    return lax.select(small, jnp.take(table, lax.floor(k).astype(dtypes.int32)), series)


def _binomial_inversion(key, count, prob, shape):
    """The number of geometric waiting times (ceil(log u / log(1 - p))) that fit in count."""
    log1minusprob = jnp.log1p(-prob)

    def body(state):
        num_geom, geom_sum, key = state
        subkey, key = split2(key)
        num_geom = lax.select(geom_sum <= count, num_geom + 1, num_geom)
        u = _uniform(subkey, shape, prob.dtype, 0.0, 1.0)
        return num_geom, geom_sum + jnp.ceil(jnp.log(u) / log1minusprob), key

    zeros = lax.full(shape, 0, prob.dtype)
    return lax.while_loop(lambda s: jnp.any(s[1] <= count), body, (zeros, zeros, key))[0] - 1


def _btrs(key, count, prob, shape):
    """Hormann's BTRS: a transformed-rejection proposal k, accepted in the central region
    or by the log of the binomial probability ratio against the mode m."""
    stddev = jnp.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = jnp.floor((count + 1) * prob)

    def body(state):
        k_out, accepted, key = state
        keys = split(key, 3)
        u = _uniform(keys[1], shape, prob.dtype, 0.0, 1.0) - 0.5
        v = _uniform(keys[2], shape, prob.dtype, 0.0, 1.0)
        us = 0.5 - jnp.abs(u)
        accept_fast = (us >= 0.07) & (v <= v_r)
        k = jnp.floor((2 * a / us + b) * u + c)
        reject = (k < 0) | (k > count)
        log_v = jnp.log(v * alpha / (a / (us * us) + b))
        bound = ((m + 0.5) * jnp.log((m + 1) / (r * (count - m + 1)))
                 + (count + 1) * jnp.log((count - m + 1) / (count - k + 1))
                 + (k + 0.5) * jnp.log(r * (count - k + 1) / (k + 1))
                 + _stirling_tail(m) + _stirling_tail(count - m)
                 - _stirling_tail(k) - _stirling_tail(count - k))
        accept = accept_fast | (~reject & (log_v <= bound))
        return lax.select(accept, k, k_out), accepted | accept, keys[0]

    state = (lax.full(shape, -1, prob.dtype), lax.full(shape, False, dtypes.bool_), key)
    return lax.while_loop(lambda s: jnp.any(~s[1]), body, state)[0]


def binomial(key, n, p, shape=None, dtype=None):
    """Binomial(n, p) counts as floats (n is floored; p > 1/2 draws n - Binomial(n, 1 - p)).
    As in JAX, a NaN or negative n or a NaN or negative p gives NaN, and n = inf gives inf."""
    key = check_key("binomial", key)
    dtype = sampler_dtype("binomial", dtype)
    n, p = _operand(n), _operand(p)
    shape = draw_shape("binomial", shape, n, p)
    prob, = promote_dtypes_inexact(p)
    count = jnp.broadcast_to(lax.convert_element_type(n, prob.dtype), shape)
    prob = jnp.broadcast_to(prob, shape)
    p_lt_half = prob < 0.5
    q = lax.select(p_lt_half, prob, 1.0 - prob)
    count_nan_or_neg = jnp.isnan(count) | (count < 0.0)
    count_inf = jnp.isinf(count)
    q_is_nan, q_negative = jnp.isnan(q), q < 0.0
    q = lax.select(q_is_nan | q_negative, lax.full_like(q, 0.01), q)
    use_inversion = count_nan_or_neg | (count * q <= 10.0)
    count = jnp.floor(count)
    samples = lax.select(
        use_inversion,
        _binomial_inversion(key, lax.select(use_inversion, count, lax.full_like(count, 0)), q, shape),
        _btrs(key, lax.select(use_inversion, lax.full_like(count, 1e4), count),
              lax.select(use_inversion, lax.full_like(q, 0.5), q), shape)).astype(dtype)
    invalid = q_negative | q_is_nan | count_nan_or_neg
    samples = lax.select(invalid, lax.full_like(samples, np.nan), samples)
    samples = lax.select(count_inf & ~invalid, lax.full_like(samples, np.inf), samples)
    return lax.select(p_lt_half | count_nan_or_neg | q_is_nan | count_inf,
                      samples, count.astype(dtype) - samples)


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1):
    """Counts of n trials over the categories of p (the last axis): category i gets a
    Binomial(remaining trials, p_i / (p_i + ... + p_last)) draw, in a scan. `shape` is the
    full shape of the result (batch and categories), p.shape by default, as JAX's code
    reads it."""
    key = check_key("multinomial", key)
    n, p = promote_dtypes_inexact(_operand(n), _operand(p))
    shape = p.shape if shape is None else draw_shape("multinomial", shape, p)
    if len(shape) < 1:
        raise ValueError("multinomial: p must have at least one dimension (the categories)")
    n = jnp.broadcast_to(n, shape[:-1])
    p = jnp.moveaxis(jnp.broadcast_to(p, shape), -1, 0)
    remaining = lax.cumsum(p, 0, reverse=True)
    ratios = p / jnp.where(remaining == 0, lax.full_like(remaining, 1), remaining)

    def step(left, ratio_and_key):
        ratio, key = ratio_and_key
        count = binomial(key, left, jnp.clip(ratio, 0, 1), dtype=left.dtype)
        return left - count, count

    _, counts = lax.scan(step, n, (ratios, split(key, ratios.shape[0])), unroll=unroll)
    return jnp.moveaxis(counts, 0, -1).astype(sampler_dtype("multinomial", dtype))
