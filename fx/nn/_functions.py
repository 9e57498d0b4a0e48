"""The activation and normalisation functions of jax.nn, stable for large inputs."""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.core import get_aval
from fx.transforms.custom import custom_jvp
from fx.numpy._reductions import _axes


@custom_jvp
def relu(x):
    """max(x, 0). Its derivative at 0 is 0, as in JAX (so dead units stay dead)."""
    return jnp.maximum(x, 0)


relu.defjvps(lambda g, ans, x: jnp.where(x > 0, g, 0))


def sigmoid(x):
    return lax.logistic(jnp.asarray(x) if not hasattr(x, "aval") else x)


def softplus(x):
    """log(1 + exp(x)) without overflow: logaddexp(x, 0)."""
    return jnp.maximum(x, 0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


def log_sigmoid(x):
    return -softplus(-x)


def silu(x):
    return x * sigmoid(x)


swish = silu


def gelu(x, approximate=True):
    """GELU; the tanh approximation by default, as in JAX."""
    if approximate:
        c = np.sqrt(2 / np.pi)
        return 0.5 * x * (1 + jnp.tanh(c * (x + 0.044715 * (x * x * x))))
    return 0.5 * x * (1 + lax.erf(x / np.sqrt(2)))


def logsumexp(a, axis=None, keepdims=False):
    """log(sum(exp(a))) computed around the maximum, so huge inputs do not overflow.

    The shift is a stop_gradient'd constant: it cancels mathematically, and keeping it
    out of differentiation keeps the gradient exactly softmax (no NaN when the max is inf).
    """
    a = jnp.asarray(a) if not hasattr(a, "aval") else a
    axes = _axes(axis, get_aval(a).ndim)
    amax = lax.stop_gradient(jnp.max(a, axes, keepdims=True))
    amax = jnp.where(jnp.isnan(amax) | (jnp.abs(amax) == np.inf), 0, amax) if _is_float(a) else amax
    out = jnp.log(jnp.sum(jnp.exp(a - amax), axes, keepdims=True)) + amax
    return out if keepdims else jnp.squeeze(out, axes)


def _is_float(a):
    return dtypes.is_floating(get_aval(a).dtype)


def log_softmax(x, axis=-1):
    shifted = x - lax.stop_gradient(jnp.max(x, axis, keepdims=True))
    return shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis, keepdims=True))


def softmax(x, axis=-1):
    unnormalized = jnp.exp(x - lax.stop_gradient(jnp.max(x, axis, keepdims=True)))
    return unnormalized / jnp.sum(unnormalized, axis, keepdims=True)


def one_hot(x, num_classes, dtype=None, axis=-1):
    """x's integer labels as one-hot vectors along a new axis (out of range: all zeros)."""
    x = jnp.asarray(x) if not hasattr(x, "aval") else x
    dtype = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.default_float_dtype()
    classes = lax.broadcasted_iota(get_aval(x).dtype, (int(num_classes),), 0)
    ndim = get_aval(x).ndim + 1
    axis = axis % ndim
    lhs = jnp.expand_dims(x, axis)
    rhs = jnp.reshape(classes, tuple(int(num_classes) if d == axis else 1 for d in range(ndim)))
    return (lhs == rhs).astype(dtype)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5):
    mean = jnp.mean(x, axis, keepdims=True) if mean is None else mean
    variance = jnp.var(x, axis, keepdims=True) if variance is None else variance
    return (x - mean) * lax.rsqrt(variance + epsilon)
