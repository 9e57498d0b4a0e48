"""The activation and normalisation functions of jax.nn, stable for large inputs."""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.core import get_aval
from fx.numpy._promote import _operand, promote_args_inexact
from fx.argcheck import canonicalize_axis, index
from fx.numpy._reductions import _axes
from fx.transforms.custom import custom_jvp


def _array(x):
    """x as an fx array (an array or a scalar; lists are refused, as in fx.numpy)."""
    return x if hasattr(x, "aval") else jnp.asarray(_operand(x))


@custom_jvp
def relu(x):
    """max(x, 0). Its derivative at 0 is 0, as in JAX (so dead units stay dead)."""
    return jnp.maximum(x, 0)


relu.defjvps(lambda g, ans, x: jnp.where(x > 0, g, 0))


@custom_jvp
def relu6(x):
    """min(max(x, 0), 6); its derivative is 0 at both kinks, as in JAX."""
    return jnp.minimum(jnp.maximum(x, 0), 6.0)


relu6.defjvps(lambda g, ans, x: jnp.where((x > 0) & (x < 6), g, 0))


def leaky_relu(x, negative_slope=0.01):
    x, negative_slope = _array(x), _array(negative_slope)
    return jnp.where(x >= 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    """x above 0, alpha (e^x - 1) below; expm1 of a clamped argument, so a large positive
    x never overflows into the unused branch (and its gradient)."""
    x, alpha = _array(x), _array(alpha)
    return jnp.where(x > 0, x, alpha * jnp.expm1(jnp.where(x > 0, 0.0, x)))


def celu(x, alpha=1.0):
    x, alpha = _array(x), _array(alpha)
    return jnp.where(x > 0, x, alpha * jnp.expm1(jnp.where(x > 0, 0.0, x) / alpha))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(x):
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def soft_sign(x):
    x = _array(x)
    return x / (jnp.abs(x) + 1)


def sigmoid(x):
    return lax.logistic(_array(x))


def hard_sigmoid(x):
    x = _array(x)
    return relu6(x + 3.0) / 6.0


def hard_silu(x):
    x = _array(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x):
    """x clipped to [-1, 1]; derivative 1 on the closed interval, as in JAX."""
    x = _array(x)
    return jnp.where(x > 1, 1.0, jnp.where(x < -1, -1.0, x))


def softplus(x):
    """log(1 + exp(x)) = logaddexp(x, 0): no overflow, derivative sigmoid(x)."""
    return jnp.logaddexp(x, 0.0)


def sparse_plus(x):
    """0 below -1, x above 1, (x + 1)^2 / 4 between."""
    x = _array(x)
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, (x + 1) ** 2 / 4))


def mish(x):
    x = _array(x)
    return x * jnp.tanh(softplus(x))


def glu(x, axis=-1):
    """The first half of x along `axis` gated by the sigmoid of the second half."""
    x = _array(x)
    shape = get_aval(x).shape
    axis = canonicalize_axis(axis, len(shape), "glu axis")
    if shape[axis] % 2:
        raise ValueError(f"glu needs an even size along axis {axis}, got shape {shape}")
    half = shape[axis] // 2
    start = [0] * len(shape)
    limit = list(shape)
    limit[axis] = half
    first = lax.slice(x, start, limit)
    start[axis], limit[axis] = half, shape[axis]
    return first * sigmoid(lax.slice(x, start, limit))


def log_sigmoid(x):
    x = _array(x)
    return -softplus(-x)


def silu(x):
    x = _array(x)
    return x * sigmoid(x)


swish = silu


def gelu(x, approximate=True):
    """GELU; the tanh approximation by default, as in JAX."""
    x = _array(x)
    if approximate:
        c = np.sqrt(2 / np.pi)
        return 0.5 * x * (1 + jnp.tanh(c * (x + 0.044715 * (x * x * x))))
    return 0.5 * x * (1 + lax.erf(x / np.sqrt(2)))


def _stable_shift(a, axes, where):
    """max(a) over axes (masked entries excluded), stop_gradient'd, with non-finite maxima
    replaced by 0: the shift cancels mathematically, and out of differentiation it keeps
    the gradients exactly softmax (no NaN from an infinite maximum)."""
    amax = lax.stop_gradient(jnp.max(a, axes, keepdims=True, initial=-np.inf, where=where))
    return jnp.where(jnp.isfinite(amax), amax, 0)


def _masked(a, where, fill):
    return a if where is None else jnp.where(where, a, fill)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) over `axis`, computed around the maximum so huge inputs do not
    overflow. With `b` the sum may be negative: return_sign gives (log|sum|, sign), else a
    negative sum is NaN. `where` leaves entries out."""
    a, *b = promote_args_inexact(a, *([] if b is None else [b]))
    b = b[0] if b else None
    axes = _axes(axis, get_aval(a).ndim)
    a = _masked(a, where, -np.inf)
    shift = _stable_shift(a, axes, where)
    terms = jnp.exp(a - shift)
    if b is not None:
        terms = _masked(terms * b, where, 0)
    total = jnp.sum(terms, axes, keepdims=True)
    sign = jnp.sign(total) if b is not None else jnp.ones_like(total)
    out = jnp.log(jnp.abs(total)) + shift
    if b is not None and not return_sign:
        out = jnp.where(sign < 0, np.nan, out)
    if not keepdims:
        out, sign = jnp.squeeze(out, axes), jnp.squeeze(sign, axes)
    return (out, sign) if return_sign else out


def log_softmax(x, axis=-1, where=None):
    """x - logsumexp(x) along axis; entries outside `where` are -inf."""
    x = _array(x)
    axes = _axes(axis, get_aval(x).ndim)
    shifted = _masked(x, where, -np.inf) - _stable_shift(_masked(x, where, -np.inf), axes, where)
    out = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axes, keepdims=True))
    return _masked(out, where, -np.inf)


def softmax(x, axis=-1, where=None):
    """exp(x) normalised along axis; entries outside `where` are 0 and take no share."""
    x = _array(x)
    axes = _axes(axis, get_aval(x).ndim)
    masked = _masked(x, where, -np.inf)
    unnormalized = jnp.exp(masked - _stable_shift(masked, axes, where))
    return _masked(unnormalized / jnp.sum(unnormalized, axes, keepdims=True), where, 0)


def one_hot(x, num_classes, *, dtype=None, axis=-1):
    """x's integer labels as one-hot vectors along a new axis (out of range: all zeros)."""
    x = _array(x)
    dtype = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.default_float_dtype()
    num_classes = index(num_classes, "one_hot num_classes")
    classes = lax.broadcasted_iota(get_aval(x).dtype, (num_classes,), 0)
    ndim = get_aval(x).ndim + 1
    axis = canonicalize_axis(axis, ndim, "one_hot axis")
    lhs = jnp.expand_dims(x, axis)
    rhs = jnp.reshape(classes, tuple(num_classes if d == axis else 1 for d in range(ndim)))
    return (lhs == rhs).astype(dtype)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    """(x - mean) / sqrt(variance + epsilon) along axis (statistics over `where` only)."""
    x, epsilon = _array(x), _array(epsilon)
    mean = jnp.mean(x, axis, keepdims=True, where=where) if mean is None else mean
    variance = jnp.var(x, axis, keepdims=True, where=where) if variance is None else variance
    return (x - mean) * lax.rsqrt(variance + epsilon)


def identity(x):
    """x itself (as an array): a placeholder activation."""
    return _array(x)


tanh = jnp.tanh


@custom_jvp
def log1mexp(x):
    """log(1 - exp(-x)) for x > 0, by Mächler's rule: log(-expm1(-x)) below log 2 and
    log1p(-exp(-x)) above, each where it is accurate."""
    x = _array(x)
    return jnp.where(x < np.log(2), jnp.log(-jnp.expm1(-x)), jnp.log1p(-jnp.exp(-x)))


log1mexp.defjvps(lambda g, ans, x: g / jnp.expm1(x))


def logmeanexp(x, axis=None, where=None, keepdims=False):
    """log(mean(exp(x))) over axis (and `where`): logsumexp less the log of the count."""
    x = _array(x)
    lse = logsumexp(x, axis, keepdims=keepdims, where=where)
    ones = jnp.ones(get_aval(x).shape, get_aval(lse).dtype)
    return lse - jnp.log(jnp.sum(ones, axis, keepdims=keepdims, where=where))


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2: a smooth relu (arXiv:2112.11687)."""
    x, b = _array(x), _array(b)
    return (x + jnp.sqrt(jnp.square(x) + b)) / 2


def sparse_sigmoid(x):
    """0 below -1, 1 above 1, (x + 1) / 2 between: sparse_plus's derivative."""
    return 0.5 * jnp.clip(_array(x) + 1.0, 0.0, 2.0)
