"""jax.scipy.stats' functions of samples: sem, mode and rankdata. Only nan_policy
"propagate" is supported by mode and rankdata (and "omit" by sem), as in JAX: the others
would need the data's values to choose the output's shape."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from fx import dtypes
from fx import numpy as jnp
from fx.api import vmap
from fx.numpy._promote import promote_dtypes_inexact

_NAN_POLICIES = ("propagate", "omit", "raise")


class ModeResult(NamedTuple):
    mode: object
    count: object


def _check_nan_policy(name, nan_policy):
    if nan_policy not in _NAN_POLICIES:
        raise ValueError(f"{name}: illegal nan_policy value {nan_policy!r}; expected one of "
                         f"{_NAN_POLICIES}")
    if nan_policy != "propagate":
        raise NotImplementedError(f"{name}: nan_policy={nan_policy!r} is not implemented (as in "
                                  "JAX): check for NaNs before the call")


def sem(a, axis=0, ddof=1, nan_policy="propagate", *, keepdims=False):
    """The standard error of the mean, std(ddof) / sqrt(count), along `axis` (every axis
    when None); with nan_policy="omit" NaNs are left out of both."""
    (b,) = promote_dtypes_inexact(a)
    if nan_policy == "propagate":
        size = b.size if axis is None else b.shape[axis]
        return jnp.std(b, axis, ddof=ddof, keepdims=keepdims) / jnp.sqrt(size).astype(b.dtype)
    if nan_policy == "omit":
        count = jnp.sum(~jnp.isnan(b), axis, keepdims=keepdims)
        return jnp.nanstd(b, axis, ddof=ddof, keepdims=keepdims) / jnp.sqrt(count).astype(b.dtype)
    raise ValueError(f"sem: nan_policy={nan_policy!r} is not supported; use 'propagate' or 'omit'")


def mode(a, axis=0, nan_policy="propagate", keepdims=False):
    """(the most frequent value, its count) along `axis` (flattened when None); among
    equally frequent values the smallest, as JAX and SciPy."""
    _check_nan_policy("mode", nan_policy)
    x = jnp.atleast_1d(jnp.asarray(a))
    if axis is not None:
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"mode: axis {axis} is out of bounds for an array of rank {x.ndim}")
        axis %= x.ndim
    shape = x.shape
    if axis is None:
        out_shape = (1,) * len(shape) if keepdims else ()
        x, axis = jnp.ravel(x), 0
    else:
        out_shape = tuple(1 if i == axis else s for i, s in enumerate(shape)) if keepdims else \
            tuple(s for i, s in enumerate(shape) if i != axis)
    x = jnp.moveaxis(x, axis, 0)
    x = jnp.reshape(x, (x.shape[0], math.prod(x.shape[1:])))

    def one(column):
        if column.size == 0:
            return (jnp.asarray(np.nan, dtypes.default_float_dtype()),
                    jnp.asarray(0, dtypes.default_float_dtype()))
        values, counts = jnp.unique(column, return_counts=True, size=column.size)
        return values[jnp.argmax(counts)], jnp.max(counts)

    values, counts = vmap(one, in_axes=1)(x)
    return ModeResult(jnp.reshape(values, out_shape), jnp.reshape(counts, out_shape))


_RANK_METHODS = ("average", "min", "max", "dense", "ordinal")


def rankdata(a, method="average", *, axis=None, nan_policy="propagate"):
    """Ranks from 1, ties resolved by `method` (average, min, max, dense, ordinal), of the
    flattened array or along `axis`; all NaN where the data hold a NaN, as JAX."""
    _check_nan_policy("rankdata", nan_policy)
    if method not in _RANK_METHODS:
        raise ValueError(f"rankdata: unknown method {method!r}; expected one of {_RANK_METHODS}")
    if axis is not None:
        return jnp.apply_along_axis(rankdata, axis, a, method)
    a = jnp.ravel(jnp.asarray(a))
    out_dtype = dtypes.default_float_dtype()
    n = a.size
    sorter = jnp.argsort(a)
    ordered = a[sorter]
    inverse = jnp.zeros(n, sorter.dtype).at[sorter].set(jnp.arange(n, dtype=sorter.dtype))
    if method == "ordinal":
        ranks = (inverse + 1).astype(out_dtype)
    else:
        new = jnp.concatenate([jnp.ones(1, bool), ordered[1:] != ordered[:-1]])
        dense = jnp.cumsum(new)[inverse]
        # starts[j]: where the j-th run of equal values begins; n past the last run
        starts = jnp.nonzero(new, size=n + 1, fill_value=n)[0].astype(out_dtype)
        ranks = {"dense": lambda: dense.astype(out_dtype),
                 "max": lambda: starts[dense],
                 "min": lambda: starts[dense - 1] + 1,
                 "average": lambda: 0.5 * (starts[dense] + starts[dense - 1] + 1)}[method]()
    return jnp.where(jnp.any(jnp.isnan(a)), np.nan, ranks).astype(out_dtype)
