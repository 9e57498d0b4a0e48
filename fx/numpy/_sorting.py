"""Sorting, searching and order statistics, written on lax.sort.

Everything here is a sort followed by gathers, so it differentiates (a sort's
derivative is a permutation), batches and compiles natively. Orders follow lax.sort:
NaNs last, -0.0 equal to 0.0. Functions whose output size depends on the data (unique
without `size=`) take concrete input only, as in JAX.
"""
from __future__ import annotations

import numpy as np

from fx import dtypes, lax
from fx.core import ConcretizationTypeError, Tracer, get_aval
from fx.argcheck import check_choice, index
from fx.lax.sorting import gather_along
from fx.numpy._promote import asarray, broadcast_shapes, broadcast_to, promote_dtypes, \
    promote_dtypes_inexact
from fx.numpy._reductions import _array


def _axis(axis, ndim, name):
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"fx.numpy.{name}: axis {axis!r} is out of bounds for an array of rank {ndim}")
    return int(axis) % max(ndim, 1)


def _flat_or_axis(a, axis, name):
    """(a, axis): a flattened when axis is None."""
    a = _array(a)
    if axis is None:
        return lax.reshape(a, (get_aval(a).size,)), 0
    return a, _axis(axis, get_aval(a).ndim, name)


def _check_order(name, order):
    if order is not None:
        raise ValueError(f"fx.numpy.{name}: the `order` argument (structured arrays) is not supported")


def _int_dtype():
    return dtypes.default_int_dtype()


def _iota(shape, axis, dtype=np.int32):
    return lax.broadcasted_iota(dtype, shape, axis)


# ---------------------------------------------------------------------------- sort, argsort

def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """a sorted along `axis` (flattened if None); NaNs last. `kind` and `stable` are
    accepted: the sort is always stable."""
    _check_order("sort", order)
    a, axis = _flat_or_axis(a, axis, "sort")
    if get_aval(a).ndim == 0:
        raise ValueError("fx.numpy.sort: a 0-d array has no axis to sort; use axis=None")
    out = lax.sort(a, axis)
    return lax.rev(out, (axis,)) if descending else out


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False, dtype=None):
    """The stable sorting permutation along `axis`. Descending keeps equal elements in
    their original order too: the reversed array is sorted and the positions mapped back."""
    _check_order("argsort", order)
    a, axis = _flat_or_axis(a, axis, "argsort")
    shape = get_aval(a).shape
    if not shape:
        raise ValueError("fx.numpy.argsort: a 0-d array has no axis to sort; use axis=None")
    dtype = dtypes.canonicalize_dtype(dtype) if dtype is not None else _int_dtype()
    if descending:
        a = lax.rev(a, (axis,))
    _, perm = lax.sort((a, _iota(shape, axis, dtype)), dimension=axis, num_keys=1)
    if descending:
        perm = lax.sub(lax.full(shape, shape[axis] - 1, dtype), lax.rev(perm, (axis,)))
    return perm


def lexsort(keys, axis=-1):
    """The stable permutation sorting by the last key, then the one before, ..."""
    keys = [_array(k) for k in (keys if isinstance(keys, (list, tuple)) else list(_array(keys)))]
    if not keys:
        raise TypeError("fx.numpy.lexsort needs at least one key")
    keys = list(promote_dtypes(*keys)) if len({get_aval(k).dtype for k in keys}) > 1 else keys
    shapes = {get_aval(k).shape for k in keys}
    if len(shapes) > 1:
        raise ValueError(f"fx.numpy.lexsort: all keys need to be the same shape, got {sorted(shapes)}")
    (shape,) = shapes
    if not shape:
        raise ValueError("fx.numpy.lexsort: 0-d keys have no axis to sort")
    axis = _axis(axis, len(shape), "lexsort")
    keys = [broadcast_to(k, shape) for k in keys[::-1]]
    return lax.sort((*keys, _iota(shape, axis, _int_dtype())), dimension=axis, num_keys=len(keys))[-1]


def partition(a, kth, axis=-1):
    """A valid partition around `kth` (NumPy leaves the order within each side
    undefined): fx returns the whole axis sorted."""
    a, axis = _flat_or_axis(a, axis, "partition")
    _check_kth("partition", kth, get_aval(a).shape[axis])
    return lax.sort(a, axis)


def argpartition(a, kth, axis=-1):
    """Indices that partition `a` around `kth`: fx gives the full stable argsort."""
    a, axis = _flat_or_axis(a, axis, "argpartition")
    _check_kth("argpartition", kth, get_aval(a).shape[axis])
    return argsort(a, axis)


def _check_kth(name, kth, n):
    if not isinstance(kth, (int, np.integer)) or not -n <= kth < n:
        raise ValueError(f"fx.numpy.{name}: kth must be an int in [{-n}, {n}), got {kth!r}")


# ---------------------------------------------------------------------------- take_along_axis

def _normalize_indices(indices, n, mode):
    """Indices for `gather`: negative ones wrapped (modes fill and promise_in_bounds), or
    everything taken modulo n ("wrap"); "clip" clamps raw indices."""
    if mode == "wrap":
        n_ = lax.full_like(indices, max(n, 1))
        return lax.rem(lax.add(lax.rem(indices, n_), n_), n_)
    if mode == "clip":
        return indices
    return lax.select(lax.lt(indices, lax.full_like(indices, 0)),
                      lax.add(indices, lax.full_like(indices, n)), indices)


def _gather_mode(name, mode):
    modes = {None: "fill", "fill": "fill", "clip": "clip", "wrap": "clip",
             "promise_in_bounds": "clip"}
    if isinstance(mode, lax.GatherScatterMode):
        mode = {"fill_or_drop": "fill"}.get(mode.value, mode.value)
    if mode is not None and not isinstance(mode, str) or mode not in modes:
        raise ValueError(f"fx.numpy.{name}: mode must be one of 'fill', 'clip', 'wrap', "
                         f"'promise_in_bounds', got {mode!r}")
    return modes[mode], mode


def _int_indices(name, indices):
    indices = asarray(indices)
    if not dtypes.is_integer(get_aval(indices).dtype):
        raise TypeError(f"fx.numpy.{name}: indices must be integers, got {get_aval(indices).str_short()}")
    return indices


def take_along_axis(arr, indices, axis=-1, mode=None, fill_value=None):
    """arr at `indices` along `axis`, the other axes broadcast together (NumPy's rule).
    Out-of-bounds indices give fill_value (NaN for floats) by default, as in JAX."""
    arr = _array(arr)
    indices = _int_indices("take_along_axis", indices)
    if axis is None:
        arr, axis = lax.reshape(arr, (get_aval(arr).size,)), 0
        if get_aval(indices).ndim != 1:
            raise ValueError("fx.numpy.take_along_axis: with axis=None, indices must be 1-D, got "
                             f"{get_aval(indices).str_short()}")
    a_shape, i_shape = get_aval(arr).shape, get_aval(indices).shape
    if len(a_shape) != len(i_shape):
        raise ValueError(f"fx.numpy.take_along_axis: indices {get_aval(indices).str_short()} and array "
                         f"{get_aval(arr).str_short()} must have the same number of dimensions")
    axis = _axis(axis, len(a_shape), "take_along_axis")
    others = broadcast_shapes(*(tuple(s[:axis] + (1,) + s[axis + 1:]) for s in (a_shape, i_shape)))
    arr = broadcast_to(arr, others[:axis] + (a_shape[axis],) + others[axis + 1:])
    indices = broadcast_to(indices, others[:axis] + (i_shape[axis],) + others[axis + 1:])
    gather_mode, mode = _gather_mode("take_along_axis", mode)
    # unlike take's, take_along_axis's "clip" wraps negative indices first, as in JAX
    indices = _normalize_indices(indices, a_shape[axis], "fill" if mode == "clip" else mode)
    return gather_along(arr, indices, axis, mode=gather_mode, fill_value=fill_value)


# ---------------------------------------------------------------------------- searchsorted

def _before(x, y):
    """x < y in lax.sort's order (NaN last and equal to NaN; -0.0 equals 0.0)."""
    lt = lax.lt(x, y)
    if not dtypes.is_floating(get_aval(x).dtype):
        return lt
    return lax.bitwise_or(lt, lax.bitwise_and(lax.ne(y, y), lax.eq(x, x)))


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """Insertion points of v in the sorted 1-D `a`, counted as the number of elements of
    `a` before each v (side='left') or not after it ('right'): a comparison per pair,
    fused into one reduction, which suits vector units better than a binary search's
    dependent loads. `method` is accepted for JAX compatibility."""
    check_choice(side, ("left", "right"), "fx.numpy.searchsorted: side")
    check_choice(method, ("scan", "scan_unrolled", "sort", "compare_all"), "fx.numpy.searchsorted: method")
    a, v = promote_dtypes(a, v)
    a, v = _array(a), _array(v)
    if get_aval(a).ndim != 1:
        raise ValueError(f"fx.numpy.searchsorted: a must be 1-D, got {get_aval(a).str_short()}")
    if sorter is not None:
        if np.shape(sorter) != get_aval(a).shape:
            raise ValueError(f"fx.numpy.searchsorted: sorter must have a's shape {get_aval(a).shape}, "
                             f"got {np.shape(sorter)}")
        a = take_along_axis(a, sorter, 0, mode="clip")
    shape = get_aval(v).shape + get_aval(a).shape
    a_b = lax.broadcast_in_dim(a, shape, (len(shape) - 1,))
    v_b = lax.broadcast_in_dim(v, shape, tuple(range(len(shape) - 1)))
    counted = _before(a_b, v_b) if side == "left" else lax.bitwise_not(_before(v_b, a_b))
    return lax.reduce_sum(lax.convert_element_type(counted, np.int32), (len(shape) - 1,))


# ---------------------------------------------------------------------------- unique

def _concrete_size(name, x, count):
    """The static size of a data-dependent result: `count(numpy value)` for concrete x."""
    if isinstance(x, Tracer):
        raise ConcretizationTypeError(
            x, f"fx.numpy.{name} without a static size= (its output shape depends on the values; "
               f"pass size=... and optionally fill_value=... to use it under transforms)")
    return int(count(np.asarray(x)))


def _distinct_from_previous(keys, equal_nan):
    """For 1-D key columns sorted together: whether each row starts a new run of equal rows
    (a row differs from the previous one in some key; two NaNs are equal with equal_nan)."""
    n = get_aval(keys[0]).shape[0]
    new = lax.full((n - 1,), False, np.bool_)
    for s in keys:
        prev, cur = lax.slice(s, (0,), (n - 1,)), lax.slice(s, (1,), (n,))
        differs = lax.ne(cur, prev)
        if equal_nan and dtypes.is_inexact(get_aval(s).dtype):
            differs = lax.bitwise_and(differs, lax.bitwise_not(
                lax.bitwise_and(lax.ne(cur, cur), lax.ne(prev, prev))))
        new = lax.bitwise_or(new, differs)
    return lax.concatenate([lax.full((1,), True, np.bool_), new], 0)


def _count_unique(rows, equal_nan):
    """The number of distinct rows of the 2-D NumPy array `rows`, counted as unique does
    (NaNs equal with equal_nan, also inside rows, where np.unique keeps them apart)."""
    if rows.shape[0] == 0:
        return 0
    if rows.shape[1] == 0:
        return 1
    s = rows[np.lexsort(rows.T[::-1])]
    differs = s[1:] != s[:-1]
    if equal_nan and rows.dtype.kind in "fc":
        differs &= ~(np.isnan(s[1:]) & np.isnan(s[:-1]))
    return 1 + int(differs.any(axis=1).sum())


def _as_rows(ar, axis):
    """(ar as a 2-D array whose rows are the slices along `axis`, that axis, the shape the
    unique rows are reshaped back to, given their count)."""
    shape = get_aval(ar).shape
    if axis is None:
        return lax.reshape(ar, (get_aval(ar).size, 1)), None, lambda k: (k,)
    axis = _axis(axis, len(shape), "unique")
    moved = lax.transpose(ar, (axis,) + tuple(d for d in range(len(shape)) if d != axis))
    rest = get_aval(moved).shape[1:]
    rows = lax.reshape(moved, (shape[axis], int(np.prod(rest, dtype=np.int64))))

    def out_shape(k):
        return (k,) + rest
    return rows, axis, out_shape


def _from_rows(rows, axis, out_shape):
    """The unique rows back in the layout of the input (the inverse of _as_rows)."""
    out = lax.reshape(rows, out_shape(get_aval(rows).shape[0]))
    if axis is None or axis == 0:
        return out
    perm = list(range(1, get_aval(out).ndim))
    perm.insert(axis, 0)
    return lax.transpose(out, tuple(perm))


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, size=None, fill_value=None, sorted=True):
    """The sorted unique values (or slices along `axis`), with the first indices, inverse
    and counts on request. With `size`, the result has that static length: padded with
    fill_value (default: the smallest value; its index; count 0) or truncated. Without it,
    `ar` must be concrete. `sorted` is accepted for the array API: the result is sorted."""
    ar = _array(ar)
    rows, axis, out_shape = _as_rows(ar, axis)
    n, m = get_aval(rows).shape
    if size is None:
        size = _concrete_size("unique", rows, lambda v: _count_unique(v, equal_nan))
    size = index(size, "fx.numpy.unique: size")
    int_dtype = _int_dtype()
    inverse_shape = get_aval(ar).shape if axis is None else (n,)
    if n == 0 or m == 0:
        values = lax.full(out_shape(size), 0 if fill_value is None else fill_value, get_aval(ar).dtype)
        first = lax.full((min(n, size),), 0, int_dtype)
        count = lax.full((min(n, size),), n, int_dtype)
        extras = [first] * return_index + [lax.full(inverse_shape, 0, int_dtype)] * return_inverse + \
            [count] * return_counts
        values = _from_rows(lax.reshape(values, (size, m)), axis, out_shape)
        return (values, *extras) if extras else values
    keys = [lax.reshape(lax.slice(rows, (0, j), (n, j + 1)), (n,)) for j in range(m)]
    *keys, perm = lax.sort((*keys, _iota((n,), 0, int_dtype)), num_keys=m)
    new = _distinct_from_previous(keys, equal_nan)
    group = lax.sub(lax.cumsum(lax.convert_element_type(new, int_dtype)), lax.full((n,), 1, int_dtype))
    # each run's start (a position in the sorted order), at its group's slot; slots past
    # the last run keep 0, so they repeat the smallest row
    slot = lax.select(new, group, lax.full((n,), size, int_dtype))
    starts = lax.full((size,), 0, int_dtype).at[slot].set(_iota((n,), 0, int_dtype), mode="drop")
    values = rows[perm[starts]]
    if fill_value is not None:
        found = lax.lt(_iota((size, m), 0, int_dtype),
                       lax.broadcast_in_dim(lax.add(group[n - 1], lax.full((), 1, int_dtype)), (size, m), ()))
        values = lax.select(found, values, lax.full((size, m), fill_value, get_aval(values).dtype))
    extras = []
    if return_index:
        extras.append(perm[starts])
    if return_inverse:
        inverse = lax.full((n,), 0, int_dtype).at[perm].set(group, unique_indices=True)
        extras.append(lax.reshape(inverse, inverse_shape))
    if return_counts:
        extras.append(lax.full((size,), 0, int_dtype).at[group].add(lax.full((n,), 1, int_dtype),
                                                                    mode="drop"))
    values = _from_rows(values, axis, out_shape)
    return (values, *extras) if extras else values


# ---------------------------------------------------------------------------- quantiles

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _moved_to_last(a, axis, name):
    """(a with the reduced axes flattened into the last one, the kept shape, axes)."""
    ndim = get_aval(a).ndim
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(sorted(_axis(x, ndim, name) for x in ((axis,) if np.ndim(axis) == 0 else axis)))
        if len(set(axes)) != len(axes):
            raise ValueError(f"fx.numpy.{name}: repeated axis in {axis!r}")
    kept = tuple(d for d in range(ndim) if d not in axes)
    shape = get_aval(a).shape
    moved = lax.transpose(a, kept + axes) if kept + axes != tuple(range(ndim)) else a
    n = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    return lax.reshape(moved, tuple(shape[d] for d in kept) + (n,)), kept, axes


def _quantile(a, q, axis, method, keepdims, name, ignore_nan):
    check_choice(method, _METHODS, f"fx.numpy.{name}: method")
    (a,) = promote_dtypes_inexact(a)  # q takes a's dtype, as in JAX
    a = _array(a)
    for x, what in ((a, "a"), (_array(q), "q")):
        if dtypes.is_complex(get_aval(x).dtype):  # quantiles order real numbers
            raise TypeError(f"fx.numpy.{name}: {what} must be real, got {get_aval(x).str_short()}")
    q = lax.convert_element_type(_array(q), get_aval(a).dtype)
    if get_aval(q).ndim > 1:
        raise ValueError(f"fx.numpy.{name}: q must be a scalar or 1-D, got {get_aval(q).str_short()}")
    shape = get_aval(a).shape
    flat, kept, axes = _moved_to_last(a, axis, name)
    kept_shape, n = get_aval(flat).shape[:-1], get_aval(flat).shape[-1]
    dtype = get_aval(a).dtype
    s = lax.sort(flat, len(kept_shape))
    q_flat = lax.reshape(q, (get_aval(q).size,))
    m = get_aval(q_flat).shape[0]
    out_shape = kept_shape + (m,)
    qs = lax.broadcast_in_dim(q_flat, out_shape, (len(kept_shape),))
    if ignore_nan:  # NaNs sort last: the line's valid part is its first `count` elements
        valid = lax.reduce_sum(lax.convert_element_type(lax.eq(s, s), dtype), (len(kept_shape),))
        count = lax.broadcast_in_dim(valid, out_shape, tuple(range(len(kept_shape))))
    else:
        count = lax.full(out_shape, n, dtype)
    pos = lax.mul(qs, lax.sub(count, lax.full(out_shape, 1, dtype)))
    lo, hi = lax.floor(pos), lax.ceil(pos)
    top = lax.max(lax.sub(count, lax.full(out_shape, 1, dtype)), lax.full(out_shape, 0, dtype))

    def at(p):
        index = lax.convert_element_type(lax.min(lax.max(p, lax.full(out_shape, 0, dtype)), top), np.int32)
        return gather_along(s, index, len(kept_shape))

    if method == "lower":
        result = at(lo)
    elif method == "higher":
        result = at(hi)
    elif method == "nearest":  # halves round down, as in JAX (NumPy rounds them to even)
        result = lax.select(lax.le(lax.sub(pos, lo), lax.full(out_shape, 0.5, dtype)), at(lo), at(hi))
    elif method == "midpoint":
        result = lax.mul(lax.add(at(lo), at(hi)), lax.full(out_shape, 0.5, dtype))
    else:
        frac = lax.sub(pos, lo)
        below, above = at(lo), at(hi)
        result = lax.add(below, lax.mul(lax.sub(above, below), frac))
    nan = lax.full(out_shape, np.nan, dtype)
    if ignore_nan:
        result = lax.select(lax.eq(count, lax.full(out_shape, 0, dtype)), nan, result)
    elif dtypes.is_floating(dtype) and n:  # a NaN anywhere in the line makes the quantile NaN
        last = gather_along(s, lax.full(out_shape, n - 1, np.int32), len(kept_shape))
        result = lax.select(lax.ne(last, last), nan, result)
    result = lax.transpose(result, (len(kept_shape),) + tuple(range(len(kept_shape))))
    if keepdims:
        full = tuple(1 if d in axes else shape[d] for d in range(len(shape)))
        result = lax.reshape(result, (m,) + full)
    return lax.reshape(result, get_aval(q).shape + get_aval(result).shape[1:])


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
             *, weights=None):
    """The q-th quantiles (q in [0, 1]) along `axis`; NaN where a line has a NaN."""
    _unsupported("quantile", out=out, weights=weights)
    return _quantile(a, q, axis, method, keepdims, "quantile", ignore_nan=False)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
               *, weights=None):
    """The q-th percentiles (q in [0, 100]) along `axis`."""
    _unsupported("percentile", out=out, weights=weights)
    return _quantile(a, lax.div(*promote_dtypes_inexact(q, 100.0)), axis, method, keepdims,
                     "percentile", ignore_nan=False)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    _unsupported("median", out=out)
    return _quantile(a, 0.5, axis, "linear", keepdims, "median", ignore_nan=False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """quantile ignoring NaNs (NaN only where a line has nothing else)."""
    _unsupported("nanquantile", out=out)
    return _quantile(a, q, axis, method, keepdims, "nanquantile", ignore_nan=True)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    _unsupported("nanpercentile", out=out)
    return _quantile(a, lax.div(*promote_dtypes_inexact(q, 100.0)), axis, method, keepdims,
                     "nanpercentile", ignore_nan=True)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    _unsupported("nanmedian", out=out)
    return _quantile(a, 0.5, axis, "linear", keepdims, "nanmedian", ignore_nan=True)


def _unsupported(name, **args):
    given = [k for k, v in args.items() if v is not None]
    if given:
        raise NotImplementedError(f"fx.numpy.{name}: {', '.join(given)}= is not supported")
