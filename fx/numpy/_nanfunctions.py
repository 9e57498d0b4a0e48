"""NaN-ignoring reductions (nansum, nanmax, nanmean, ...) and the weighted average.

NaNs are replaced by a neutral value *before* anything else, never only masked at the
end: a masked-out NaN would still turn the gradient of its neighbours into NaN.
"""
from __future__ import annotations

import numpy as np

from fx import dtypes, lax
from fx.core import get_aval
from fx.numpy import _reductions as red
from fx.numpy._promote import broadcast_to, promote_dtypes_inexact


def _isnan(a):
    return lax.ne(a, a)


def _replace_nan(a, fill):
    """a with NaNs replaced by `fill`, and the NaN mask (None for non-floating arrays)."""
    a = red._array(a)
    if not dtypes.is_floating(get_aval(a).dtype):
        return a, None
    nan = _isnan(a)
    return lax.select(nan, lax.full_like(a, fill), a), nan


def _valid(nan, where, shape):
    """The elements a NaN-ignoring reduction takes: not NaN, and `where` if given."""
    if nan is None:
        return where
    valid = lax.bitwise_not(nan)
    return valid if where is None else lax.bitwise_and(valid, red._mask(where, shape))


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    a, _ = _replace_nan(a, 0)
    return red.sum(a, axis, dtype, out, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    a, _ = _replace_nan(a, 1)
    return red.prod(a, axis, dtype, out, keepdims, initial, where)


def _nan_extremum(reduce, fill):
    def nan_reduce(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        a, nan = _replace_nan(a, fill)
        result = reduce(a, axis, out, keepdims, initial, where)
        if nan is None:
            return result
        all_nan = red.all(nan, axis, keepdims=keepdims, where=where)
        return lax.select(all_nan, lax.full_like(result, np.nan), result)
    nan_reduce.__name__ = f"nan{reduce.__name__}"
    nan_reduce.__doc__ = f"{reduce.__name__} ignoring NaNs; NaN where every element is NaN."
    return nan_reduce


nanmax = _nan_extremum(red.max, -np.inf)
nanmin = _nan_extremum(red.min, np.inf)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    a, nan = _replace_nan(a, 0)
    return red.mean(a, axis, dtype, out, keepdims, where=_valid(nan, where, get_aval(a).shape))


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
    a, nan = _replace_nan(a, 0)
    return red.var(a, axis, dtype, out, ddof, keepdims, where=_valid(nan, where, get_aval(a).shape))


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
    return lax.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where))


def nancumsum(a, axis=None, dtype=None, out=None):
    return red.cumsum(_replace_nan(a, 0)[0], axis, dtype, out)


def nancumprod(a, axis=None, dtype=None, out=None):
    return red.cumprod(_replace_nan(a, 1)[0], axis, dtype, out)


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """The weighted mean over `axis`; with `returned`, also the sum of the weights.

    1-D weights whose length matches `a.shape[axis]` apply along that axis."""
    if weights is None:
        avg = red.mean(a, axis, keepdims=keepdims)
        aval = get_aval(red._array(a))
        scale = red._count(aval.shape, red._axes(axis, aval.ndim))
        return (avg, lax.full_like(avg, scale)) if returned else avg
    a, w = promote_dtypes_inexact(a, weights)
    a_shape, w_shape = get_aval(a).shape, get_aval(w).shape
    if a_shape != w_shape:
        if axis is None:
            raise ValueError(f"average: axis must be given when the shapes of a {a_shape} and "
                             f"weights {w_shape} differ")
        if not isinstance(axis, (int, np.integer)) or len(w_shape) != 1:
            raise ValueError(f"average: weights of shape {w_shape} must have a's shape {a_shape} "
                             f"or be 1-D along one integer axis (axis={axis!r})")
        (ax,) = red._axes(axis, len(a_shape))
        if w_shape[0] != a_shape[ax]:
            raise ValueError(f"average: {w_shape[0]} weights do not match axis {axis} of a, "
                             f"which has length {a_shape[ax]}")
        w = lax.broadcast_in_dim(lax._as_operand(w), a_shape, (ax,))
    scale = red.sum(w, axis, keepdims=keepdims)
    avg = lax.div(red.sum(lax.mul(lax._as_operand(a), w), axis, keepdims=keepdims), scale)
    return (avg, broadcast_to(scale, get_aval(avg).shape)) if returned else avg
