"""Reductions with NumPy's axis / keepdims / dtype arguments."""
from __future__ import annotations

import numpy as np

from fx import dtypes, lax
from fx.core import get_aval
from fx.numpy._promote import _operand, promote_args


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for an array of rank {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in axis: {axis}")
    return tuple(sorted(out))


def _keep(x, axes, keepdims):
    return lax.expand_dims(x, axes) if keepdims and axes else x


def _reduction(name, lax_reduce, upcast_bool=False):
    def reduce(a, axis=None, dtype=None, keepdims=False, **kwargs):
        a = lax._as_operand(_operand(a))
        if kwargs.get("initial") is not None or kwargs.get("where") is not None:
            raise NotImplementedError(f"fx.numpy.{name}: `initial` and `where` come in a later release")
        aval = get_aval(a)
        if dtype is not None:
            a = lax.convert_element_type(a, dtype)
        elif upcast_bool and (dtypes.is_bool(aval.dtype) or dtypes.is_integer(aval.dtype)):
            # NumPy/JAX sum small ints in the default int type; unsigned stays unsigned
            target = dtypes.uint32 if aval.dtype == dtypes.uint32 else dtypes.default_int_dtype()
            if aval.dtype != target and aval.dtype != dtypes.int64:
                a = lax.convert_element_type(a, target)
        axes = _axes(axis, aval.ndim)
        return _keep(lax_reduce(a, axes) if axes else a, axes, keepdims)
    reduce.__name__ = name
    return reduce


sum = _reduction("sum", lax.reduce_sum, upcast_bool=True)
prod = _reduction("prod", lambda x, axes: lax.reduce_prod(x, axes), upcast_bool=True)
max = amax = _reduction("max", lambda x, axes: lax.reduce_max(x, axes))
min = amin = _reduction("min", lambda x, axes: lax.reduce_min(x, axes))


def all(a, axis=None, keepdims=False):
    a = _operand(a)
    return min(lax.ne(a, lax.full_like(a, 0)) if get_aval(a).dtype != dtypes.bool_ else a,
               axis, keepdims=keepdims)


def any(a, axis=None, keepdims=False):
    a = _operand(a)
    return max(lax.ne(a, lax.full_like(a, 0)) if get_aval(a).dtype != dtypes.bool_ else a,
               axis, keepdims=keepdims)


def mean(a, axis=None, dtype=None, keepdims=False):
    a = lax._as_operand(_operand(a))
    aval = get_aval(a)
    if dtype is None:
        dtype = aval.dtype if dtypes.is_floating(aval.dtype) else dtypes.default_float_dtype()
    axes = _axes(axis, aval.ndim)
    count = int(np.prod([aval.shape[i] for i in axes]))
    total = sum(lax.convert_element_type(a, dtype) if aval.dtype != dtype else a, axes,
                keepdims=keepdims)
    return lax.div(total, lax.full_like(total, count))


def var(a, axis=None, dtype=None, ddof=0, keepdims=False):
    centered = lax.sub(*promote_args(a, mean(a, axis, dtype, keepdims=True)))
    sq = lax.mul(centered, centered)
    aval = get_aval(sq)
    axes = _axes(axis, aval.ndim)
    count = int(np.prod([aval.shape[i] for i in axes])) - ddof
    total = sum(sq, axes, keepdims=keepdims)
    return lax.div(total, lax.full_like(total, count))


def std(a, axis=None, dtype=None, ddof=0, keepdims=False):
    return lax.sqrt(var(a, axis, dtype, ddof, keepdims))


def argmax(a, axis=None, keepdims=False):
    return _arg_reduction(lax.argmax, a, axis, keepdims)


def argmin(a, axis=None, keepdims=False):
    return _arg_reduction(lax.argmin, a, axis, keepdims)


def _arg_reduction(lax_op, a, axis, keepdims):
    a = lax._as_operand(_operand(a))
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    axis = _axes(axis, get_aval(a).ndim)[0]
    out = lax_op(a, axis, dtypes.default_int_dtype())
    return _keep(out, (axis,), keepdims)


def cumsum(a, axis=None, dtype=None):
    a = lax._as_operand(_operand(a))
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    if dtype is not None:
        a = lax.convert_element_type(a, dtype)
    return lax.cumsum(a, _axes(axis, get_aval(a).ndim)[0])
