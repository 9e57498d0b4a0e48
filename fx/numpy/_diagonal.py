"""Diagonals and triangles of matrices: diagonal, trace, diag, diagflat, tril, triu.

A diagonal is read without a gather: the two matrix axes are flattened into one, where
the diagonal is every (m+1)-th element — a strided slice, which fuses and transposes
like any other slice.
"""
from __future__ import annotations


import numpy as np

from fx import dtypes, lax
from fx.core import get_aval
from fx.argcheck import index
from fx.numpy._creation import _diagonal_offsets
from fx.numpy._reductions import _array
from fx.numpy._reductions import sum as _sum
from fx.numpy._shape import _axis, moveaxis, ravel


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The `offset`-th diagonal of the matrices spanned by axis1 and axis2, as a last axis."""
    a = _array(a)
    ndim = get_aval(a).ndim
    if ndim < 2:
        raise ValueError(f"diagonal requires an array of at least two dimensions, got shape "
                         f"{get_aval(a).shape}")
    i, j = _axis(axis1, ndim, "axis1"), _axis(axis2, ndim, "axis2")
    if i == j:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same axis ({axis1}, {axis2})")
    a = moveaxis(a, (i, j), (-2, -1))
    *batch, n, m = get_aval(a).shape
    offset = index(offset, "diagonal offset")
    length = max(0, min(n + min(offset, 0), m - max(offset, 0)))
    flat = lax.reshape(a, (*batch, n * m))
    start = offset if offset >= 0 else -offset * m
    limit = start + (length - 1) * (m + 1) + 1 if length else start
    keep = len(batch)
    return lax.slice(flat, (0,) * keep + (start,), (*batch, limit), (1,) * keep + (m + 1,))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sum along a diagonal (integers summed in the default int type, as NumPy)."""
    return _sum(diagonal(a, offset, axis1, axis2), -1, dtype, out)


def _check_matrix(name, m):
    if get_aval(m).ndim < 2:
        raise ValueError(f"Argument to fx.numpy.{name} must be at least 2D, got shape "
                         f"{get_aval(m).shape}")


def _triangle(m, k, lower):
    *_, n, cols = get_aval(m).shape
    offsets = _diagonal_offsets(n, cols, k)
    keep = lax.le(offsets, lax.full_like(offsets, 0)) if lower else lax.ge(offsets, lax.full_like(offsets, 0))
    shape = get_aval(m).shape
    keep = lax.broadcast_in_dim(keep, shape, (len(shape) - 2, len(shape) - 1))
    return lax.select(keep, m, lax.full_like(m, 0))


def tril(m, k=0):
    """Zeros above the k-th diagonal of the last two axes."""
    m = _array(m)
    _check_matrix("tril", m)
    return _triangle(m, k, lower=True)


def triu(m, k=0):
    """Zeros below the k-th diagonal of the last two axes."""
    m = _array(m)
    _check_matrix("triu", m)
    return _triangle(m, k, lower=False)


def diag(v, k=0):
    """A 1-D v placed on the k-th diagonal of a square matrix; a 2-D v's k-th diagonal."""
    v = _array(v)
    shape = get_aval(v).shape
    if len(shape) == 2:
        return diagonal(v, k)
    if len(shape) != 1:
        raise ValueError(f"diag input must be 1d or 2d, got shape {shape}")
    k = index(k, "diag k")
    n = shape[0] + abs(k)
    # Element (r, c) of the k-th diagonal is v[r] above the main diagonal, v[c] below it.
    padded = lax.pad(v, 0, ((0, abs(k), 0),))
    values = lax.broadcast_in_dim(padded, (n, n), (0,) if k >= 0 else (1,))
    offsets = _diagonal_offsets(n, n, k)
    return lax.select(lax.eq(offsets, lax.full_like(offsets, 0)), values, lax.full_like(values, 0))


def diagflat(v, k=0):
    return diag(ravel(v), k)


def _triangle_indices(np_indices, name, n, k, m):
    n, k = index(n, f"{name} n"), index(k, f"{name} k")
    m = n if m is None else index(m, f"{name} m")
    if n < 0 or m < 0:
        raise ValueError(f"{name}: n and m must be non-negative, got n={n}, m={m}")
    return tuple(lax._as_operand(np.asarray(i, dtypes.default_int_dtype())) for i in np_indices(n, k, m))


def tril_indices(n, k=0, m=None):
    return _triangle_indices(np.tril_indices, "tril_indices", n, k, m)


def triu_indices(n, k=0, m=None):
    return _triangle_indices(np.triu_indices, "triu_indices", n, k, m)
