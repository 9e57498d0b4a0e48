"""jax.nn.initializers: functions `init(key, shape, dtype)` that draw parameter arrays.

Each public function takes the initializer's settings and returns `init`; the variance
scaling family picks the scale from the fan-in/fan-out of the weight shape, so that
activations keep their variance through a deep network (Glorot & Bengio 2010, He et al.
2015, LeCun et al. 1998).
"""
from __future__ import annotations

import math

import numpy as np

import fx.numpy as jnp
from fx import dtypes, random

_DEFAULT = None  # the default float dtype, resolved when `init` runs (x64 may change it)
# The standard deviation of a standard normal truncated to [-2, 2]: dividing by it makes a
# truncated normal draw have the requested variance.
_TRUNCATED_STDDEV = 0.87962566103423978


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def zeros(key, shape, dtype=_DEFAULT):
    return jnp.zeros(_shape(shape), dtypes.canonicalize_dtype(dtype))


def ones(key, shape, dtype=_DEFAULT):
    return jnp.ones(_shape(shape), dtypes.canonicalize_dtype(dtype))


def constant(value, dtype=_DEFAULT):
    def init(key, shape, dtype=dtype):
        return jnp.full(_shape(shape), value, dtypes.canonicalize_dtype(dtype))
    return init


def uniform(scale=1e-2, dtype=_DEFAULT):
    """Uniform on [0, scale)."""
    def init(key, shape, dtype=dtype):
        return random.uniform(key, _shape(shape), dtype) * scale
    return init


def normal(stddev=1e-2, dtype=_DEFAULT):
    def init(key, shape, dtype=dtype):
        return random.normal(key, _shape(shape), dtype) * stddev
    return init


def truncated_normal(stddev=1e-2, dtype=_DEFAULT, lower=-2.0, upper=2.0):
    """A standard normal truncated to [lower, upper], times stddev (so the result's standard
    deviation is below stddev)."""
    def init(key, shape, dtype=dtype):
        return random.truncated_normal(key, lower, upper, _shape(shape), dtype) * stddev
    return init


def _axes_size(shape, axes):
    return shape[axes] if isinstance(axes, int) else math.prod(shape[a] for a in axes)


def _compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """(fan_in, fan_out): the input and output sizes times the receptive field (every axis
    that is not an input, output or batch axis, as in a convolution kernel)."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"variance scaling needs a weight shape of at least 2 dimensions to "
                         f"find fan-in and fan-out (or an explicit in_axis), got {shape}")
    in_size, out_size = _axes_size(shape, in_axis), _axes_size(shape, out_axis)
    receptive_field = math.prod(shape) / in_size / out_size / _axes_size(shape, batch_axis)
    return in_size * receptive_field, out_size * receptive_field


_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(),
                     dtype=_DEFAULT):
    """Draws with variance scale / n, n the fan-in, the fan-out or their mean (`mode`), from
    a truncated normal, a normal or a symmetric uniform distribution."""
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError(f"variance_scaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"variance_scaling: distribution must be one of {_DISTRIBUTIONS}, "
                         f"got {distribution!r}")

    def init(key, shape, dtype=dtype):
        shape = _shape(shape)
        dtype = dtypes.canonicalize_dtype(dtype)
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        variance = np.array(scale / n, dtype)
        if distribution == "truncated_normal":
            stddev = np.sqrt(variance) / np.array(_TRUNCATED_STDDEV, dtype)
            return random.truncated_normal(key, -2, 2, shape, dtype) * stddev
        if distribution == "normal":
            return random.normal(key, shape, dtype) * np.sqrt(variance)
        return random.uniform(key, shape, dtype, -1) * np.sqrt(3 * variance)
    return init


def _variance_scaling_preset(scale, mode, distribution, doc):
    def preset(in_axis=-2, out_axis=-1, batch_axis=(), dtype=_DEFAULT):
        return variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis, dtype)
    preset.__doc__ = doc
    return preset


glorot_uniform = xavier_uniform = _variance_scaling_preset(
    1.0, "fan_avg", "uniform", "Glorot/Xavier: variance 2 / (fan_in + fan_out), uniform.")
glorot_normal = xavier_normal = _variance_scaling_preset(
    1.0, "fan_avg", "truncated_normal", "Glorot/Xavier: variance 2 / (fan_in + fan_out), truncated normal.")
lecun_uniform = _variance_scaling_preset(1.0, "fan_in", "uniform", "LeCun: variance 1 / fan_in, uniform.")
lecun_normal = _variance_scaling_preset(
    1.0, "fan_in", "truncated_normal", "LeCun: variance 1 / fan_in, truncated normal.")
he_uniform = kaiming_uniform = _variance_scaling_preset(
    2.0, "fan_in", "uniform", "He/Kaiming (for ReLU): variance 2 / fan_in, uniform.")
he_normal = kaiming_normal = _variance_scaling_preset(
    2.0, "fan_in", "truncated_normal", "He/Kaiming (for ReLU): variance 2 / fan_in, truncated normal.")


def orthogonal(scale=1.0, column_axis=-1, dtype=_DEFAULT):
    """A matrix with orthonormal rows or columns (whichever are fewer), uniformly distributed
    (Haar), times scale; higher-rank shapes flatten every axis but `column_axis` into rows."""
    def init(key, shape, dtype=dtype):
        shape = _shape(shape)
        dtype = dtypes.canonicalize_dtype(dtype)
        if len(shape) < 2:
            raise ValueError(f"orthogonal needs a shape of at least 2 dimensions, got {shape}")
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        tall = (n_cols, n_rows) if n_rows < n_cols else (n_rows, n_cols)
        q, r = jnp.linalg.qr(random.normal(key, tall, dtype))
        q = q * jnp.sign(jnp.diagonal(r))  # R's diagonal positive: Q is then Haar-distributed
        if n_rows < n_cols:
            q = q.T
        q = jnp.reshape(q, tuple(np.delete(shape, column_axis)) + (n_cols,))
        return jnp.moveaxis(q, -1, column_axis) * scale
    return init
