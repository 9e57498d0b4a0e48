"""Reductions with NumPy's axis / keepdims / dtype arguments and JAX's `where` / `initial`.

`where` masks elements out of a reduction by replacing them with a value that cannot
change it (0 for sums, 1 for products, `initial` for max/min), so every reduction stays
one dense lax reduction that fuses, differentiates and batches like the unmasked one.
"""
from __future__ import annotations

import builtins
import functools

import numpy as np

from fx import dtypes, lax
from fx.core import get_aval
from fx.argcheck import canonicalize_axes, canonicalize_axis, describe, index
from fx.numpy._promote import _operand, broadcast_to


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(canonicalize_axes(axis, ndim)))


def _keep(x, axes, keepdims):
    return lax.expand_dims(x, axes) if keepdims and axes else x


def _check_out(name, out):
    if out is not None:
        raise NotImplementedError(f"fx.numpy.{name}: `out` is not supported (fx arrays are immutable)")


def _array(a):
    return lax._as_operand(_operand(a))


def _count(shape, axes):
    return int(np.prod([shape[i] for i in axes]))


def _mask(where, shape):
    """`where` as a boolean array of `shape` (NumPy broadcasting)."""
    where = _operand(where)
    if not dtypes.is_bool(get_aval(where).dtype):
        raise ValueError(f"where must be None or a boolean array, got {get_aval(where).str_short()}")
    return broadcast_to(where, shape)


def _masked(a, where, fill):
    """a where `where` holds, else `fill` (a scalar)."""
    if where is None:
        return a
    return lax.select(_mask(where, get_aval(a).shape), a, lax.full_like(a, fill))


def _accumulator(dtype):
    """The dtype JAX sums bools and integers in (promote_integers=True): the default
    integer for bools and narrower signed integers, the default unsigned one for narrower
    unsigned integers."""
    if dtypes.is_bool(dtype):
        return dtypes.default_int_dtype()
    default = dtypes.default_uint_dtype() if dtypes.is_unsigned(dtype) else dtypes.default_int_dtype()
    return default if dtype.itemsize < default.itemsize else dtype


def _in_float32(reduction):
    """`reduction` of a 16-bit float computed in float32 and rounded once, as JAX does
    for sums, products, means and variances."""
    @functools.wraps(reduction)
    def reduce(a, *args, **kwargs):
        a = _array(a)
        dtype = get_aval(a).dtype
        requested = kwargs.get("dtype", args[1] if len(args) > 1 else None)  # (a, axis, dtype, ...)
        if not dtypes.is_16bit_float(dtype) or requested is not None:
            return reduction(a, *args, **kwargs)
        return lax.convert_element_type(reduction(lax.convert_element_type(a, np.float32), *args, **kwargs),
                                        dtype)
    return reduce


def _reduce_then_join(a, axes, keepdims, initial, lax_reduce, lax_combine):
    """Reduce over axes, then combine `initial` in once (NumPy's `initial=`)."""
    result = lax_reduce(a, axes) if axes else a
    if initial is not None and np.ndim(initial) != 0:
        raise ValueError(f"initial must be a scalar, got {describe(initial)}")
    if initial is not None:
        result = lax_combine(result, lax.full_like(result, initial))
    return _keep(result, axes, keepdims)


def _additive(name, lax_reduce, lax_combine, neutral):
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
               promote_integers=True):
        _check_out(name, out)
        a = _array(a)
        aval = get_aval(a)
        if dtype is not None:
            a = lax.convert_element_type(a, dtype)
        elif promote_integers and not dtypes.is_floating(aval.dtype):
            a = lax.convert_element_type(a, _accumulator(aval.dtype))
        axes = _axes(axis, aval.ndim)
        a = _masked(a, where, neutral)
        return _reduce_then_join(a, axes, keepdims, initial, lax_reduce, lax_combine)
    reduce.__name__ = name
    reduce.__doc__ = f"NumPy's {name} over `axis`; `where` masks elements out, `initial` joins in."
    return reduce


def _extremum(name, lax_reduce, lax_combine):
    def reduce(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        _check_out(name, out)
        a = _array(a)
        aval = get_aval(a)
        axes = _axes(axis, aval.ndim)
        if initial is None:
            if where is not None:
                raise ValueError(f"reduction operation {name} does not have an identity, so to use "
                                 f"a where mask one has to specify 'initial'")
            if _count(aval.shape, axes) == 0:
                raise ValueError(f"zero-size array to reduction operation {name} which has no "
                                 f"identity (shape {aval.shape}, axis {axis})")
        else:
            a = _masked(a, where, initial)
        return _reduce_then_join(a, axes, keepdims, initial, lax_reduce, lax_combine)
    reduce.__name__ = name
    reduce.__doc__ = (f"NumPy's {name} over `axis`; `where` needs `initial`. Ties share the "
                      f"gradient equally, as in JAX.")
    return reduce


sum = _in_float32(_additive("sum", lax.reduce_sum, lax.add, 0))
prod = _in_float32(_additive("prod", lax.reduce_prod, lax.mul, 1))
max = amax = _extremum("max", lax.reduce_max, lax.max)
min = amin = _extremum("min", lax.reduce_min, lax.min)


def _truth(a):
    a = _array(a)
    return a if dtypes.is_bool(get_aval(a).dtype) else lax.ne(a, lax.full_like(a, 0))


def all(a, axis=None, out=None, keepdims=False, *, where=None):
    _check_out("all", out)
    a = _masked(_truth(a), where, True)
    axes = _axes(axis, get_aval(a).ndim)
    return _keep(lax.reduce_min(a, axes) if axes else a, axes, keepdims)


def any(a, axis=None, out=None, keepdims=False, *, where=None):
    _check_out("any", out)
    a = _masked(_truth(a), where, False)
    axes = _axes(axis, get_aval(a).ndim)
    return _keep(lax.reduce_max(a, axes) if axes else a, axes, keepdims)


def count_nonzero(a, axis=None, keepdims=False):
    return sum(_truth(a), axis, dtypes.default_int_dtype(), keepdims=keepdims)


def _inexact(a, dtype):
    """a converted to `dtype`, or to a floating dtype (`dtypes.to_inexact_dtype`)."""
    a = _array(a)
    if dtype is None:
        dtype = dtypes.to_inexact_dtype(get_aval(a).dtype)
    return lax.convert_element_type(a, dtype)


def _count_where(a, axes, keepdims, where):
    """How many elements each reduction takes: static without `where`, else an array."""
    aval = get_aval(a)
    if where is None:
        return _count(aval.shape, axes)
    return sum(lax.convert_element_type(_mask(where, aval.shape), aval.dtype), axes,
               keepdims=keepdims)


@_in_float32
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    _check_out("mean", out)
    a = _inexact(a, dtype)
    axes = _axes(axis, get_aval(a).ndim)
    total = sum(a, axes, keepdims=keepdims, where=where)
    return lax.div(total, lax._as_operand(_count_where(a, axes, keepdims, where), like=total))


@_in_float32
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    """NumPy's variance, dividing by (count - ddof); NaN where that is not positive, as JAX.

    Two passes, as in JAX: the mean, then the squared deviations from it. The mean is
    rounded, and far from zero its error is large next to the spread (float32 values of
    1e7 +- 4 have a mean good to +-1), which adds its square to every deviation's: the
    deviations' own sum measures that error, and subtracting its square over the count
    removes it (Chan, Golub and LeVeque's corrected two-pass algorithm)."""
    _check_out("var", out)
    if correction is not None:
        if ddof:
            raise ValueError("var: pass either ddof or correction, not both")
        ddof = correction
    a = _inexact(a, dtype)
    if dtypes.is_complex(get_aval(a).dtype):  # real: the variances of the parts add up
        return lax.add(*(var(part, axis, None, None, ddof, keepdims, where=where)
                         for part in (lax.real(a), lax.imag(a))))
    axes = _axes(axis, get_aval(a).ndim)
    centered = lax.sub(a, broadcast_to(mean(a, axes, keepdims=True, where=where), get_aval(a).shape))
    squares = sum(lax.mul(centered, centered), axes, keepdims=keepdims, where=where)
    count = lax._as_operand(_count_where(a, axes, keepdims, where), like=squares)
    drift = sum(centered, axes, keepdims=keepdims, where=where)
    total = lax.max(lax.sub(squares, lax.div(lax.mul(drift, drift), count)), lax.full_like(squares, 0))
    normalizer = lax.sub(count, lax.full_like(count, ddof))
    positive = broadcast_to(lax.gt(normalizer, lax.full_like(normalizer, 0)), get_aval(total).shape)
    return lax.select(positive, lax.div(total, normalizer), lax.full_like(total, np.nan))


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    return lax.sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction))


def ptp(a, axis=None, out=None, keepdims=False):
    """Peak to peak: max - min."""
    _check_out("ptp", out)
    return lax.sub(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


def _flat_axis(a, axis):
    """(a, axis) with a flattened when axis is None."""
    a = _array(a)
    if axis is None:
        return lax.reshape(a, (get_aval(a).size,)), 0
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int or None, got {axis!r}")
    return a, _axes(axis, get_aval(a).ndim)[0]


def argmax(a, axis=None, out=None, keepdims=None):
    return _arg_reduction("argmax", lax.argmax, a, axis, out, keepdims)


def argmin(a, axis=None, out=None, keepdims=None):
    return _arg_reduction("argmin", lax.argmin, a, axis, out, keepdims)


def _arg_reduction(name, lax_op, a, axis, out, keepdims):
    _check_out(name, out)
    ndim = get_aval(_array(a)).ndim
    flat, ax = _flat_axis(a, axis)
    if get_aval(flat).shape[ax] == 0:
        raise ValueError(f"attempt to get {name} of an empty sequence")
    result = lax_op(flat, ax, dtypes.default_int_dtype())
    if keepdims:
        result = lax.expand_dims(result, tuple(range(ndim)) if axis is None else (ax,))
    return result


def _cumulative(name, lax_op):
    def accumulate(a, axis=None, dtype=None, out=None):
        _check_out(name, out)
        a, axis = _flat_axis(a, axis)
        if dtype is None and dtypes.is_bool(get_aval(a).dtype):
            dtype = dtypes.default_int_dtype()
        if dtype is not None:
            a = lax.convert_element_type(a, dtype)
        return lax_op(a, axis)
    accumulate.__name__ = name
    accumulate.__doc__ = f"NumPy's {name} along `axis` (the flattened array when None)."
    return accumulate


cumsum = _cumulative("cumsum", lax.cumsum)
cumprod = _cumulative("cumprod", lax.cumprod)


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """The n-th difference along `axis`, a[1:] - a[:-1] repeated n times (NumPy's diff;
    of bools, a[1:] != a[:-1]), after joining `prepend` and `append` (scalars broadcast
    to one slice) to `a`."""
    from fx.numpy._shape import concatenate
    from fx.numpy._ufuncs import not_equal, subtract
    a = _array(a)
    aval = get_aval(a)
    if aval.ndim == 0:
        raise ValueError("diff requires an array of at least one dimension, got a 0-d array")
    n = index(n, "diff order n")
    if n < 0:
        raise ValueError(f"diff: the order n must be non-negative, got {n}")
    axis = canonicalize_axis(axis, aval.ndim)
    edge = aval.shape[:axis] + (1,) + aval.shape[axis + 1:]
    pieces = [broadcast_to(p, edge) if get_aval(_array(p)).ndim == 0 else p
              for p in (prepend, a, append) if p is not None]
    a = concatenate(pieces, axis) if len(pieces) > 1 else a
    for _ in range(builtins.min(n, get_aval(a).shape[axis])):  # each shortens the axis by one
        later = lax.slice_in_dim(a, 1, None, axis=axis)
        earlier = lax.slice_in_dim(a, 0, -1, axis=axis)
        a = (not_equal if dtypes.is_bool(get_aval(a).dtype) else subtract)(later, earlier)
    return a
