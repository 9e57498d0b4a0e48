"""Small NumPy functions with no better home: fabs, copy, iscomplex, isreal, isscalar,
iterable, rollaxis, sort_complex, nanargmax, nanargmin, geomspace, block."""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes
from fx.argcheck import canonicalize_axis, describe
from fx.core import Tracer
from fx.array import Array
from fx.numpy._promote import _operand, promote_dtypes_inexact


def fabs(x, /):
    """|x| in floating point (integers promote to float); complex input is refused, as NumPy."""
    (x,) = promote_dtypes_inexact(x)
    if dtypes.is_complex(dtypes.result_type(x)):
        raise TypeError(f"fx.numpy.fabs does not accept complex input, got {dtypes.result_type(x)}")
    return jnp.abs(x)


def copy(a, order=None):
    """a as an fx array (fx arrays are immutable, so no copy is needed). Only order='K'
    (or None) is supported, as in JAX."""
    if order is not None and not (isinstance(order, str) and order == "K"):
        raise NotImplementedError(f"fx.numpy.copy: only order='K' is implemented (as in JAX), got "
                                  f"order={describe(order)}")
    return jnp.asarray(_operand(a))


def iscomplex(x):
    """Whether each element has a nonzero imaginary part."""
    return jnp.imag(jnp.asarray(_operand(x))) != 0


def isreal(x):
    """Whether each element has a zero imaginary part."""
    return jnp.imag(jnp.asarray(_operand(x))) == 0


def isscalar(element):
    """True for Python and NumPy scalars and for 0-d arrays (JAX's rule)."""
    if isinstance(element, (Array, np.ndarray)):
        return element.ndim == 0
    return np.isscalar(element) and not isinstance(element, (str, bytes))


def iterable(y):
    """Whether iter(y) works (a 0-d array is not iterable)."""
    try:
        iter(y)
    except TypeError:
        return False
    return True


def rollaxis(a, axis, start=0):
    """a with `axis` moved to sit before position `start` (NumPy's older moveaxis)."""
    a = jnp.asarray(_operand(a))
    axis = canonicalize_axis(axis, a.ndim)
    if not -a.ndim <= start <= a.ndim:
        raise ValueError(f"fx.numpy.rollaxis: start {start} is out of range for an array of rank {a.ndim}")
    start = start % (a.ndim + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return jnp.moveaxis(a, axis, start)


def sort_complex(a):
    """a sorted by real part, then imaginary part, as a complex array."""
    a = jnp.sort(jnp.asarray(_operand(a)), axis=-1)
    (a,) = promote_dtypes_inexact(a)
    return a.astype(np.result_type(a.dtype, np.complex64)) if not dtypes.is_complex(a.dtype) else a


def _nan_arg(name, arg_reduction, fill):
    def nan_arg(a, axis=None, out=None, keepdims=None):
        """The position of the extreme ignoring NaNs; -1 where a slice is all NaN, as JAX."""
        if out is not None:
            raise NotImplementedError(f"fx.numpy.{name}: out= is not supported")
        a = jnp.asarray(_operand(a))
        if not dtypes.is_inexact(a.dtype):
            return arg_reduction(a, axis=axis, keepdims=keepdims)
        nan = jnp.isnan(a)
        positions = arg_reduction(jnp.where(nan, fill, a), axis=axis, keepdims=keepdims)
        all_nan = jnp.all(nan, axis=axis, keepdims=bool(keepdims))
        return jnp.where(all_nan, -1, positions)
    nan_arg.__name__ = name
    return nan_arg


nanargmax = _nan_arg("nanargmax", jnp.argmax, -np.inf)
nanargmin = _nan_arg("nanargmin", jnp.argmin, np.inf)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """num points evenly spaced on a log scale from start to stop (both of one sign; a
    negative pair gives negative points)."""
    given = start, stop
    start, stop = promote_dtypes_inexact(start, stop)
    for end in (start, stop):  # NumPy's check, where the values are known (JAX gives NaN)
        if not isinstance(end, Tracer) and np.any(np.asarray(end) == 0):
            raise ValueError("fx.numpy.geomspace: a geometric sequence cannot include zero, got "
                             f"start={given[0]!r:.60}, stop={given[1]!r:.60}")
    # as NumPy: the points from |start| (stop with start's sign taken out), with exact end
    # points, then times start's sign (a NaN start makes every point NaN)
    sign = jnp.broadcast_to(jnp.sign(start), jnp.broadcast_shapes(jnp.shape(start), jnp.shape(stop)))
    start, stop = start * sign, stop * sign

    out = jnp.logspace(jnp.log10(start), jnp.log10(stop), num, endpoint=endpoint, base=10.0, axis=axis)
    axis = canonicalize_axis(axis, out.ndim)
    if num:
        out = out.at[(slice(None),) * axis + (0,)].set(start)
    if num > 1 and endpoint:
        out = out.at[(slice(None),) * axis + (-1,)].set(stop)
    out = jnp.expand_dims(sign, axis) * out
    return out if dtype is None else out.astype(dtype)


def block(arrays):
    """An array assembled from nested lists of blocks: the innermost lists are joined along
    the last axis, the next ones along the one before, ..."""
    def depth(x):
        return 1 + depth(x[0]) if isinstance(x, list) and x else (1 if isinstance(x, list) else 0)

    def assemble(x, level, total):
        if not isinstance(x, list):
            return x
        if not x:
            raise ValueError("fx.numpy.block: lists must not be empty")
        parts = [assemble(e, level + 1, total) for e in x]
        ndim = max(total, *(jnp.ndim(p) for p in parts))
        parts = [jnp.reshape(jnp.asarray(p), (1,) * (ndim - jnp.ndim(p)) + jnp.shape(p)) for p in parts]
        return jnp.concatenate(parts, axis=level - total)

    if isinstance(arrays, tuple):
        raise TypeError("fx.numpy.block: arrays must be nested lists, not tuples")
    total = depth(arrays)
    out = assemble(arrays, 0, total)
    out = jnp.asarray(out)
    return jnp.reshape(out, (1,) * (total - out.ndim) + out.shape) if out.ndim < total else out
