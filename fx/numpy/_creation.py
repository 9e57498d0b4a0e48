"""Array creation: zeros, ones, full, arange, linspace, eye, meshgrid, indices and friends.

Shapes and sizes must be concrete (they fix the output shape); values such as
linspace's endpoints or full's fill value may be traced.
"""
from __future__ import annotations

import numpy as np

from fx import dtypes, lax
from fx.core import Tracer, get_aval
from fx.argcheck import canonicalize_axis, canonicalize_shape, index, describe
from fx.numpy._promote import _operand, asarray, broadcast_arrays, broadcast_to


def _size(n, what="size"):
    """A concrete, non-negative int (a traced value raises the concretization error)."""
    n = index(n, what)
    if n < 0:
        raise ValueError(f"{what} must be non-negative, got {n}")
    return n


def _shape(shape):
    return canonicalize_shape(shape)


def _dtype(dtype, default):
    return dtypes.canonicalize_dtype(dtype) if dtype is not None else default


def full(shape, fill_value, dtype=None, *, device=None):
    shape = _shape(shape)
    if np.ndim(fill_value) > 0:
        return broadcast_to(asarray(fill_value, dtype), shape)
    return lax.full(shape, fill_value, None if dtype is None else dtypes.canonicalize_dtype(dtype))


def zeros(shape, dtype=None, *, device=None):
    return lax.full(_shape(shape), 0, _dtype(dtype, dtypes.default_float_dtype()))


def ones(shape, dtype=None, *, device=None):
    return lax.full(_shape(shape), 1, _dtype(dtype, dtypes.default_float_dtype()))


def empty(shape, dtype=None, *, device=None):
    """Zeros: fx arrays are immutable, so an uninitialised array has no use."""
    return zeros(shape, dtype)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
    a = _operand(a)
    if np.ndim(fill_value) > 0:
        aval = get_aval(a)
        return full(aval.shape if shape is None else shape, fill_value,
                    aval.dtype if dtype is None else dtype)
    return lax.full_like(a, fill_value, dtype, None if shape is None else _shape(shape))


def zeros_like(a, dtype=None, shape=None, *, device=None):
    return full_like(a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None, *, device=None):
    return full_like(a, 1, dtype, shape)


empty_like = zeros_like


def arange(start, stop=None, step=None, dtype=None):
    """Like np.arange; the bounds must be concrete (the output shape depends on them)."""
    bounds = [v for v in (start, stop, step) if v is not None]
    for v in bounds:
        if isinstance(v, Tracer):
            v.__index__()
        if np.ndim(v) != 0:
            raise TypeError(f"arange: start, stop and step must be scalars, got {describe(v)}")
    if step is not None and step == 0:
        raise ValueError("arange: step must not be zero")
    if dtype is None:
        dtype = dtypes.result_type(*bounds)
    if dtypes.is_bool(dtypes.canonicalize_dtype(dtype)):
        raise TypeError("arange: dtype must be numeric, got bool")
    return asarray(np.arange(*(np.asarray(v) for v in bounds)), dtypes.canonicalize_dtype(dtype))


def _move_axis_from_front(x, axis):
    ndim = get_aval(x).ndim
    perm = list(range(1, ndim))
    perm.insert(canonicalize_axis(axis, ndim), 0)
    return lax.transpose(x, tuple(perm))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from start to stop (array endpoints give one series per
    element, along `axis`); the last value is exactly `stop` when `endpoint`."""
    num = _size(num, "linspace: num")
    out_dtype = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.result_type(
        start, stop, float)
    work = out_dtype if dtypes.is_inexact(out_dtype) else dtypes.default_float_dtype()
    start, stop = (lax.convert_element_type(x, work) for x in broadcast_arrays(start, stop))
    shape = get_aval(start).shape
    div = num - 1 if endpoint else num
    delta = lax.div(lax.sub(stop, start), lax.full_like(start, div if div > 0 else np.nan))
    if div > 0:
        steps = lax.convert_element_type(lax.broadcasted_iota(np.int32, (div,) + shape, 0), work)
        series = lax.add(lax.broadcast(start, (div,)), lax.mul(steps, lax.broadcast(delta, (div,))))
        if endpoint:
            series = lax.concatenate([series, lax.broadcast(stop, (1,))], 0)
    else:
        series = lax.broadcast(start, (num,))
    if dtypes.is_integer(out_dtype):  # integers round down; bools are "nonzero", as in JAX
        series = lax.floor(series)
    out = _move_axis_from_front(lax.convert_element_type(series, out_dtype), axis)
    return (out, lax.convert_element_type(delta, out_dtype)) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    from fx.numpy._ufuncs import power
    exponents = linspace(start, stop, num, endpoint, dtype=None, axis=axis)
    out = power(base, exponents)
    return out if dtype is None else lax.convert_element_type(out, dtype)


def _diagonal_offsets(n, m, k):
    """col - row - k for an n×m grid: zero on the k-th diagonal."""
    rows = lax.broadcasted_iota(np.int32, (n, m), 0)
    cols = lax.broadcasted_iota(np.int32, (n, m), 1)
    k = min(max(index(k, "diagonal offset k"), -n), m)  # beyond the grid, every k gives the same
    return lax.sub(cols, lax.add(rows, lax.full_like(rows, k)))


def eye(N, M=None, k=0, dtype=None):
    return _diagonal_mask("eye", lax.eq, N, M, k, dtype)


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the k-th diagonal."""
    return _diagonal_mask("tri", lax.le, N, M, k, dtype)


def _diagonal_mask(name, compare, N, M, k, dtype):
    """An N x M array of ones where compare(column - row - k, 0) holds (eye: ==, tri: <=)."""
    N = _size(N, f"{name}: N")
    M = N if M is None else _size(M, f"{name}: M")
    offsets = _diagonal_offsets(N, M, k)
    return lax.convert_element_type(compare(offsets, lax.full_like(offsets, 0)),
                                    _dtype(dtype, dtypes.default_float_dtype()))


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate grids; 'xy' indexing swaps the first two output axes (Cartesian)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xi = [lax._as_operand(_operand(x)) for x in xi]
    for i, x in enumerate(xi):
        if get_aval(x).ndim != 1:
            raise ValueError(f"meshgrid: arguments must be 1-D, argument {i} has shape "
                             f"{get_aval(x).shape}")
    positions = list(range(len(xi)))
    if indexing == "xy" and len(xi) >= 2:
        positions[0], positions[1] = 1, 0
    shape = [0] * len(xi)
    for x, p in zip(xi, positions):
        shape[p] = get_aval(x).shape[0]
    if sparse:
        return [lax.reshape(x, tuple(s if i == p else 1 for i, s in enumerate(shape)))
                for x, p in zip(xi, positions)]
    return [lax.broadcast_in_dim(x, tuple(shape), (p,)) for x, p in zip(xi, positions)]


def indices(dimensions, dtype=None, sparse=False):
    """Index grids: out[i][j0, j1, ...] = j_i (stacked on a new first axis unless sparse)."""
    shape = _shape(dimensions)
    dtype = _dtype(dtype, dtypes.default_int_dtype())
    if sparse:
        return tuple(lax.broadcasted_iota(dtype, tuple(s if j == i else 1 for j, s in enumerate(shape)), i)
                     for i in range(len(shape)))
    if not shape:
        return lax.full((0,), 0, dtype)
    return lax.concatenate([lax.broadcasted_iota(dtype, (1,) + shape, i + 1) for i in range(len(shape))], 0)
