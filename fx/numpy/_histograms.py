"""Counting and binning: bincount, digitize, histogram and its 2-D and N-D forms.

A histogram is a searchsorted of the samples into the bin edges followed by a
scatter-add of the weights, so it traces, batches and compiles. The number of bins
fixes the output shape and must be static; bincount's length is read from the data only
when the data are concrete (pass length= under jit, as in JAX).
"""
from __future__ import annotations

import builtins
import math

import numpy as np

import fx.numpy as jnp
from fx import dtypes
from fx.argcheck import index
from fx.core import ConcretizationTypeError, Tracer
from fx.numpy._promote import _operand, promote_dtypes_inexact


def bincount(x, weights=None, minlength=0, *, length=None):
    """How often each value 0, 1, ... occurs in the non-negative integer 1-D `x` (or the
    sum of `weights` there). The result has `length` entries (values at or past it are
    dropped, negative ones count as 0, as in JAX); without length, max(x) + 1 or
    minlength, read from a concrete x."""
    x = jnp.asarray(x)
    if dtypes.is_bool(x.dtype):
        x = x.astype(np.int32)
    if not dtypes.is_integer(x.dtype):
        raise TypeError(f"fx.numpy.bincount: x must have an integer dtype, got {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"fx.numpy.bincount: x must be 1-D, got shape {x.shape}")
    minlength = index(minlength, "fx.numpy.bincount: minlength", minimum=0)
    if length is None:
        if isinstance(x, Tracer):
            raise ConcretizationTypeError(
                x, "fx.numpy.bincount without a static length= (its output length is max(x) + 1, "
                   "a value; pass length=... to use it under jit, vmap or grad)")
        values = np.asarray(x)
        length = builtins.max(minlength, int(values.max()) + 1 if values.size else 0)
    length = index(length, "fx.numpy.bincount: length", minimum=0)
    if weights is None:
        weights = jnp.ones(x.shape, dtypes.default_int_dtype())
    else:
        weights = jnp.asarray(weights)
        if weights.shape != x.shape:
            raise ValueError(f"fx.numpy.bincount: weights must have x's shape {x.shape}, got "
                             f"{weights.shape}")
    return jnp.zeros(length, weights.dtype).at[jnp.maximum(x, 0)].add(weights, mode="drop")



def digitize(x, bins, right=False, *, method=None):
    """The index of the bin each x falls in, for monotonically increasing or decreasing
    `bins` (NumPy's digitize: searchsorted with the opposite side)."""
    x, bins = jnp.asarray(x), jnp.asarray(bins)
    if bins.ndim != 1:
        raise ValueError(f"fx.numpy.digitize: bins must be 1-D, got shape {bins.shape}")
    if not isinstance(right, (bool, np.bool_)):
        raise TypeError(f"fx.numpy.digitize: right must be a bool, got {right!r}")
    if bins.shape[0] == 0:
        return jnp.zeros(x.shape, np.int32)
    side = "left" if right else "right"
    kwargs = {} if method is None else {"method": method}
    increasing = jnp.searchsorted(bins, x, side=side, **kwargs)
    decreasing = bins.shape[0] - jnp.searchsorted(bins[::-1], x, side=side, **kwargs)
    return jnp.where(bins[-1] >= bins[0], increasing, decreasing)


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """The bin edges histogram uses: `bins` itself when it is 1-D, else bins + 1 evenly
    spaced edges over `range` (default: a's min to max; widened by 1/2 each side when
    empty, as NumPy and JAX do)."""
    del weights  # only string bins (not supported) would use them
    if isinstance(bins, str):
        raise NotImplementedError("fx.numpy.histogram_bin_edges: string bins (estimators) are not "
                                  "supported; pass a number of bins or the edges")
    a = jnp.asarray(_operand(a))
    dtype = dtypes.to_inexact_dtype(a.dtype)
    if np.ndim(bins) == 1:
        return jnp.asarray(bins, dtype)
    count = index(bins, "fx.numpy.histogram_bin_edges: bins")
    if count < 1:
        raise ValueError(f"fx.numpy.histogram_bin_edges: bins must be positive, got {count}")
    lo, hi = (jnp.min(a), jnp.max(a)) if range is None else _range_pair(range)
    lo, hi = jnp.asarray(lo, dtype), jnp.asarray(hi, dtype)
    empty = lo == hi
    return jnp.linspace(jnp.where(empty, lo - 0.5, lo), jnp.where(empty, hi + 0.5, hi), count + 1,
                        dtype=dtype)


def _range_pair(range):
    if np.shape(range) != (2,) and not (isinstance(range, (list, tuple)) and len(range) == 2):
        raise ValueError(f"range must be None or a pair (min, max), got {range!r}")
    return range[0], range[1]


def histogram(a, bins=10, range=None, weights=None, density=None):
    """(counts, bin edges) of the flattened `a`: the last bin includes its right edge."""
    if weights is None:
        (a,) = promote_dtypes_inexact(a)
        weights = jnp.ones_like(a)
    else:
        if np.shape(a) != np.shape(weights):
            raise ValueError(f"fx.numpy.histogram: weights must have a's shape {np.shape(a)}, got "
                             f"{np.shape(weights)}")
        a, weights = promote_dtypes_inexact(a, weights)
    edges = histogram_bin_edges(a, bins, range)
    hist, _ = histogramdd(jnp.ravel(a)[:, None], [edges], weights=jnp.ravel(weights), density=density)
    return hist, edges


def histogramdd(sample, bins=10, range=None, weights=None, density=None):
    """(counts, [edges per dimension]) of N points in D dimensions (`sample` of shape (N, D)):
    each coordinate placed in its dimension's bins, the bins numbered row-major and
    counted with bincount."""
    if weights is None:
        (sample,) = promote_dtypes_inexact(sample)
    else:
        sample, weights = promote_dtypes_inexact(sample, weights)
    sample = jnp.asarray(sample)
    if sample.ndim != 2:
        raise ValueError(f"fx.numpy.histogramdd: sample must be 2-D (N points, D dimensions), got "
                         f"shape {sample.shape}")
    n, d = sample.shape
    if weights is not None and jnp.shape(weights) != (n,):
        raise ValueError(f"fx.numpy.histogramdd: weights must have one entry per point, shape {(n,)}, "
                         f"got {jnp.shape(weights)}")
    if range is not None and (len(range) != d or any(r is not None and np.shape(r) != (2,) for r in range)):
        raise ValueError(f"fx.numpy.histogramdd: for {d} dimensions, range must be {d} pairs or Nones, "
                         f"got {range!r}")
    if isinstance(bins, (list, tuple)):
        if len(bins) != d:
            raise ValueError(f"fx.numpy.histogramdd: bins must give one entry per dimension ({d}), "
                             f"got {len(bins)}")
        per_dimension = list(bins)
    else:
        per_dimension = [bins] * d
    edges, positions = [], []
    for i in builtins.range(d):  # `range` is the argument
        column = sample[:, i]
        e = histogram_bin_edges(column, per_dimension[i], None if range is None else range[i])
        # bins 1..len(e)-1 are inside; 0 and len(e) are outside; the last edge is inside
        at = jnp.searchsorted(e, column, side="right")
        positions.append(jnp.where(column == e[-1], at - 1, at))
        edges.append(e)
    shape = tuple(e.shape[0] + 1 for e in edges)
    flat = jnp.ravel_multi_index(tuple(positions), shape, mode="clip")
    hist = bincount(flat, weights, length=math.prod(shape)).reshape(shape)
    hist = hist[(slice(1, -1),) * d]
    if density:
        hist = hist.astype(sample.dtype)
        hist = hist / jnp.sum(hist)
        for width in jnp.ix_(*(jnp.diff(e) for e in edges)):
            hist = hist / width
    return hist, edges


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):
    """(counts, x edges, y edges) of the points (x[i], y[i]); `bins` is a count or edges
    for both, or a pair of them."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    if isinstance(bins, (list, tuple)) and len(bins) == 2 or np.ndim(bins) == 0:
        per_dimension = bins
    else:
        per_dimension = [bins, bins]
    hist, (x_edges, y_edges) = histogramdd(jnp.stack([x, y], axis=1), per_dimension, range, weights,
                                           density)
    return hist, x_edges, y_edges
