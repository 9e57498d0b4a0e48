"""ArrayImpl creation: zeros, ones, full, arange, eye and friends."""
from __future__ import annotations

import numpy as np

from fx import dtypes, lax
from fx.core import Tracer, get_aval
from fx.numpy._promote import asarray


def _shape(shape):
    if isinstance(shape, Tracer):
        shape.__index__()  # raises the concretization error that explains the fix
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)


def _dtype(dtype, default):
    return dtypes.canonicalize_dtype(dtype) if dtype is not None else default


def full(shape, fill_value, dtype=None):
    fill = asarray(fill_value) if not isinstance(fill_value, (bool, int, float)) else fill_value
    if dtype is None and np.ndim(fill) > 0:
        from fx.numpy._promote import broadcast_to
        return broadcast_to(fill, _shape(shape))
    return lax.full(_shape(shape), fill, dtype if dtype is None else dtypes.canonicalize_dtype(dtype))


def zeros(shape, dtype=None):
    return lax.full(_shape(shape), 0, _dtype(dtype, dtypes.default_float_dtype()))


def ones(shape, dtype=None):
    return lax.full(_shape(shape), 1, _dtype(dtype, dtypes.default_float_dtype()))


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def full_like(a, fill_value, dtype=None, shape=None):
    return lax.full_like(asarray(a) if isinstance(a, (list, tuple, np.ndarray)) else a,
                         fill_value, dtype, shape)


def zeros_like(a, dtype=None, shape=None):
    return full_like(a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None):
    return full_like(a, 1, dtype, shape)


empty_like = zeros_like


def arange(start, stop=None, step=None, dtype=None):
    """Like np.arange; the bounds must be concrete (the output shape depends on them)."""
    for v in (start, stop, step):
        if isinstance(v, Tracer):
            v.__index__()
    values = np.arange(*(v for v in (start, stop, step) if v is not None))
    if dtype is None:
        dtype = dtypes.result_type(*(v for v in (start, stop, step) if v is not None))
    return asarray(values, dtypes.canonicalize_dtype(dtype))


def eye(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    dtype = _dtype(dtype, dtypes.default_float_dtype())
    rows = lax.broadcasted_iota(np.int32, (int(N), int(M)), 0)
    cols = lax.broadcasted_iota(np.int32, (int(N), int(M)), 1)
    return lax.convert_element_type(lax.eq(lax.add(rows, k), cols), dtype)


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, dtype=None):
    dtype = _dtype(dtype, dtypes.default_float_dtype())
    div = (num - 1) if endpoint else num
    step = (stop - start) / div if div > 0 else 0.0
    idx = lax.convert_element_type(lax.broadcasted_iota(np.int32, (int(num),), 0), dtype)
    return lax.add(lax.mul(idx, lax.full_like(idx, step)), lax.full_like(idx, start))


def dtype_of(x):
    return get_aval(asarray(x)).dtype
