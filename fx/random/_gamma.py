"""Gamma, log-gamma and Dirichlet draws with JAX's algorithm and streams.

Each element gets its own key (the draw's key split once per element, JAX's layout) and
runs Marsaglia and Tsang's rejection sampler ("A simple method for generating gamma
variables", 2000) in a while loop: x normal, v = (1 + c x)^3, accepted by the squeeze
test or the log test. For alpha < 1 the sampler draws Gamma(alpha + 1) and multiplies by
u^(1/alpha); in log space (loggamma, dirichlet) that factor is added as log(u) / alpha,
so tiny alphas do not underflow to 0. The values match JAX's to the last few ulp of the
transcendental functions (an accept/reject decision could flip on such an ulp, rarely).

Derivatives with respect to alpha are the implicit reparameterisation gradient, as in
JAX: the draw x is held at its quantile P(alpha, x) = u, so dx/dalpha = -(dP/dalpha) /
(dP/dx) (lax.random_gamma_grad), not the biased pathwise derivative through the
rejection loop; in log space (loggamma, dirichlet) it is divided by x.
"""
from __future__ import annotations

import math

import fx.numpy as jnp
from fx import lax
from fx.numpy._promote import _operand
from fx.random._distributions import _float_dtype, exponential, normal, uniform
from fx.random._threefry import canonical_shape, check_key, split
from fx.transforms.custom import custom_jvp


def _marsaglia_tsang(key, alpha, log_space):
    """One draw of Gamma(alpha) (or its log) for a 0-d alpha."""
    dtype = alpha.dtype

    def const(v):
        return lax.full((), v, dtype)

    boost = lax.ge(alpha, const(1))
    alpha_orig = alpha
    alpha = lax.select(boost, alpha, lax.add(alpha, const(1)))
    d = lax.sub(alpha, const(1 / 3))
    c = lax.div(const(1 / 3), lax.sqrt(d))

    def rejected(state):
        _, x2, v, u = state
        squeeze = lax.ge(u, lax.sub(const(1), lax.mul(const(0.0331), lax.mul(x2, x2))))
        log_test = lax.ge(lax.log(u), lax.add(lax.mul(x2, const(0.5)),
                                              lax.mul(d, lax.add(lax.sub(const(1), v), lax.log(v)))))
        return lax.bitwise_and(squeeze, log_test)

    def next_normal(state):
        k, _, _ = state
        k, sub = split(k)
        x = normal(sub, (), dtype)
        return k, x, lax.add(const(1), lax.mul(x, c))

    def propose(state):
        keys = split(state[0], 3)
        _, x, v = lax.while_loop(lambda s: lax.le(s[2], const(0)), next_normal,
                                 (keys[1], const(0), const(-1)))
        return keys[0], lax.mul(x, x), lax.mul(lax.mul(v, v), v), uniform(keys[2], (), dtype)

    keys = split(key)
    _, _, v, _ = lax.while_loop(rejected, propose, (keys[0], const(0), const(1), const(2)))
    if log_space:
        log_u = lax.neg(exponential(keys[1], (), dtype))
        log_boost = lax.select(lax.bitwise_or(boost, lax.eq(log_u, const(0))), const(0),
                               lax.mul(log_u, lax.div(const(1), alpha_orig)))
        return lax.add(lax.add(lax.log(d), lax.log(v)), log_boost)
    u = lax.sub(const(1), uniform(keys[1], (), dtype))
    factor = lax.select(boost, const(1), lax.pow(u, lax.div(const(1), alpha_orig)))
    return lax.mul(lax.mul(d, v), factor)


def _draws(key, a, log_space):
    from fx import api
    n = math.prod(a.shape)
    if n == 0:
        return a
    samples = api.vmap(lambda k, alpha: _marsaglia_tsang(k, alpha, log_space))(
        split(key, n), jnp.reshape(a, (n,)))
    return jnp.reshape(samples, a.shape)


def _alpha_derivative(log_space, primals, tangents):
    key, a = primals
    out = _gamma_draws(key, a, log_space)
    x = jnp.exp(out) if log_space else out
    dx = lax.random_gamma_grad(a, x) * tangents[1]
    return out, dx / x if log_space else dx


_gamma_draws = custom_jvp(_draws, nondiff_argnums=(2,))
_gamma_draws.defjvp(_alpha_derivative)


def _gamma(name, key, a, shape, dtype, log_space):
    key = check_key(name, key)
    dtype = _float_dtype(name, dtype)
    a = jnp.asarray(_operand(a))
    shape = a.shape if shape is None else canonical_shape(name, shape, a.shape)
    a = jnp.broadcast_to(lax.convert_element_type(a, dtype), shape)
    return _gamma_draws(key, a, log_space)


def gamma(key, a, shape=None, dtype=None):
    """Gamma(a, 1) floats (density x^(a-1) e^-x / Gamma(a)); a broadcasts against shape."""
    return _gamma("gamma", key, a, shape, dtype, log_space=False)


def loggamma(key, a, shape=None, dtype=None):
    """The logarithm of Gamma(a, 1) draws, computed in log space: accurate for tiny a,
    where the draws themselves underflow to 0."""
    return _gamma("loggamma", key, a, shape, dtype, log_space=True)


def dirichlet(key, alpha, shape=None, dtype=None):
    """Points on the simplex with concentrations alpha (the last axis): normalised gamma
    draws, normalised in log space (a softmax of log-gamma draws) for small alphas.
    `shape` is the batch shape, to which alpha.shape[:-1] broadcasts."""
    from fx import nn
    key = check_key("dirichlet", key)
    dtype = _float_dtype("dirichlet", dtype)
    alpha = jnp.asarray(_operand(alpha))
    if alpha.ndim < 1:
        raise ValueError(f"dirichlet: alpha must have at least one dimension (the categories), "
                         f"got shape {alpha.shape}")
    batch = alpha.shape[:-1] if shape is None else canonical_shape("dirichlet", shape, alpha.shape[:-1])
    log_draws = _gamma("dirichlet", key, alpha, batch + alpha.shape[-1:], dtype, log_space=True)
    return nn.softmax(log_draws, axis=-1)

