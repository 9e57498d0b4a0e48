"""NumPy indexing (`x[idx]`) and functional updates (`x.at[idx].set(v)`).

Every index is first normalised into per-axis entries (after `None` becomes a new
axis and `...` expands):

- a slice with step 1 becomes a *window* (a static start and length),
- an int, a traced integer scalar or an integer array becomes an *advanced* index
  (NumPy treats scalars combined with arrays as advanced, and broadcasts them together),
- a concrete boolean mask becomes the integer arrays of its nonzero positions.

Reads with only static ints and slices become `slice` (+ `squeeze`); everything else is
one `gather` whose layout follows NumPy's rule: the broadcast advanced dims replace the
advanced axes when those are adjacent, and go first otherwise. Updates are the matching
scatter (set, add, mul, min, max). An update whose index has strided slices or new axes
goes through flat positions instead: the index applied to an iota says which elements it
selects, in the layout the values broadcast to. Out-of-bounds reads clamp; out-of-bounds
updates are dropped (JAX's defaults).

Functions whose output size depends on the data (nonzero, argwhere, where(c), x[mask])
need a concrete input, or `size=` (padded with fill_value, or truncated).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fx import dtypes, lax
from fx.array import ArrayImpl
from fx.core import ConcretizationTypeError, Tracer, get_aval
from fx.errors import NonConcreteBooleanIndexError
from fx.argcheck import canonicalize_axis, index, describe
from fx.numpy._promote import _operand, asarray, broadcast_shapes, broadcast_to


class _Window(NamedTuple):
    start: int
    size: int


class _Index(NamedTuple):
    operand: object      # the array after new axes and strided slices are applied
    entries: list        # per axis: None (whole axis), _Window, or an int index array
    advanced_axes: list  # axes with an index array


def _is_int_array(x):
    return dtypes.is_integer(get_aval(x).dtype)


def _normalize_index(x, idx, allow_strides):
    """Turn a NumPy index into an `_Index` over x."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    idx = tuple(_as_index_array(i) for i in idx)
    n_real = sum(1 for i in idx if i is not None and i is not Ellipsis
                 and not _is_bool_mask(i)) + sum(np.ndim(i) for i in idx if _is_bool_mask(i))
    if sum(1 for i in idx if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    ndim = get_aval(x).ndim
    if n_real > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{n_real} were indexed")
    if Ellipsis in [i for i in idx if not _is_array(i)]:
        pos = next(k for k, i in enumerate(idx) if not _is_array(i) and i is Ellipsis)
        idx = idx[:pos] + (slice(None),) * (ndim - n_real) + idx[pos + 1:]
    else:
        idx = idx + (slice(None),) * (ndim - n_real)
    _check_mask_shapes(idx, get_aval(x).shape)
    new_axes = tuple(k for k, i in enumerate(_expand_masks(idx)) if i is None)
    if new_axes:
        x = lax.expand_dims(x, new_axes)
    entries = [slice(None) if i is None else i for i in _expand_masks(idx)]
    shape = get_aval(x).shape
    out = []
    for axis, (entry, size) in enumerate(zip(entries, shape)):
        if isinstance(entry, slice):
            start, stop, step = entry.indices(size)
            if step != 1:
                if not allow_strides:
                    raise NotImplementedError(
                        "fx: .at[] updates with strided slices are not supported yet; "
                        "use an integer index array (e.g. jnp.arange(start, stop, step))")
                x = _strided(x, axis, start, stop, step)
                size = get_aval(x).shape[axis]
                out.append(None)
                continue
            length = max(stop - start, 0)
            out.append(None if (start, length) == (0, size) else _Window(start, length))
        else:
            out.append(_normalize_int_index(entry, size, axis))
    advanced = [a for a, e in enumerate(out) if e is not None and not isinstance(e, _Window)]
    return _Index(x, out, advanced)


def _check_mask_shapes(idx, shape):
    """Every boolean mask must match the shape of the axes it indexes (NumPy and JAX raise
    IndexError; a short mask is not padded, a long one not cut)."""
    axis = 0
    for k, i in enumerate(idx):
        if i is None:
            continue
        if _is_bool_mask(i):
            mask_shape = get_aval(i).shape
            if mask_shape != shape[axis:axis + len(mask_shape)]:
                raise IndexError(f"boolean index did not match shape of indexed array in index {k}: "
                                 f"got {mask_shape}, expected {shape[axis:axis + len(mask_shape)]}")
            axis += len(mask_shape)
        else:
            axis += 1


def _is_array(i):
    return isinstance(i, (ArrayImpl, Tracer, np.ndarray))


def _as_index_array(i):
    if isinstance(i, (list, tuple)):
        return np.asarray(i) if not any(isinstance(e, (ArrayImpl, Tracer)) for e in i) else asarray(i)
    if isinstance(i, (bool, np.bool_)):
        raise TypeError("fx does not support a Python bool as an index (it would add an axis "
                        "in NumPy); use None to add an axis")
    if isinstance(i, np.integer):
        return int(i)
    if _is_array(i) or i is None or i is Ellipsis or isinstance(i, (int, slice)):
        return i
    raise TypeError(f"Index {describe(i)} is not valid: use ints, slices, "
                    "None, Ellipsis, or integer/boolean arrays")


def _is_bool_mask(i):
    return _is_array(i) and get_aval(i).dtype == dtypes.bool_


def _expand_masks(idx):
    out = []
    for i in idx:
        if _is_bool_mask(i):
            if isinstance(i, Tracer):
                raise NonConcreteBooleanIndexError(i)
            out.extend(np.nonzero(np.asarray(i)))
        else:
            out.append(i)
    return out


def _normalize_int_index(i, size, axis):
    """An int32 index array with negative indices wrapped. Out-of-range indices are left as
    they are: reads clamp them and updates drop them, as in JAX (which never raises here)."""
    if isinstance(i, int):
        return np.asarray(i + size if i < 0 else i, np.int32)
    if not _is_int_array(i):
        raise IndexError(f"Indexer must have an integer or boolean dtype, got {get_aval(i).str_short()}")
    if isinstance(i, np.ndarray):
        return np.where(i < 0, i + size, i).astype(np.int32)
    i = lax.convert_element_type(i, np.int32)
    return lax.select(lax.lt(i, lax.full_like(i, 0)), lax.add(i, lax.full_like(i, size)), i)


def _strided(x, axis, start, stop, step):
    """x sliced along one axis with a non-unit step: a strided slice, reversed (lax.rev)
    for negative steps."""
    positions = range(start, stop, step)
    first, last = (positions[0], positions[-1]) if positions else (0, -1)
    lo, hi = min(first, last), max(first, last)
    ndim = get_aval(x).ndim
    starts, limits, strides = [0] * ndim, list(get_aval(x).shape), [1] * ndim
    starts[axis], limits[axis], strides[axis] = lo, hi + 1, abs(step)
    out = lax.slice(x, starts, limits, strides)
    return lax.rev(out, (axis,)) if step < 0 else out


# ---------------------------------------------------------------------------- reads

def getitem(x, idx):
    x = lax._as_operand(_operand(x))
    index = _normalize_index(x, idx, allow_strides=True)
    x = index.operand
    if all(not _is_traced(e) and np.ndim(e) == 0 for e in index.entries
           if e is not None and not isinstance(e, _Window)):
        return _static_getitem(x, index)
    return _gather(x, index)


def _is_traced(e):
    return isinstance(e, (ArrayImpl, Tracer))


def _static_getitem(x, index):
    shape = get_aval(x).shape
    starts, limits = [], []
    for e, size in zip(index.entries, shape):
        if e is None:
            starts.append(0), limits.append(size)
        elif isinstance(e, _Window):
            starts.append(e.start), limits.append(e.start + e.size)
        else:
            start = min(max(int(e), 0), size - 1)  # clamp, as gather's "clip" mode does
            starts.append(start), limits.append(start + 1)
    if starts != [0] * len(shape) or limits != list(shape):
        x = lax.slice(x, starts, limits)
    return lax.squeeze(x, tuple(index.advanced_axes)) if index.advanced_axes else x


def _gather_plan(index, shape):
    """(indices array, dimension numbers, slice sizes) shared by reads and updates."""
    adv = [index.entries[a] for a in index.advanced_axes]
    batch_shape = broadcast_shapes(*(get_aval(asarray(i)).shape for i in adv)) if adv else ()
    start_axes = [a for a, e in enumerate(index.entries) if e is not None]
    columns = []
    for a in start_axes:
        e = index.entries[a]
        value = np.int32(e.start) if isinstance(e, _Window) else e
        columns.append(lax.convert_element_type(broadcast_to(value, batch_shape), np.int32))
    indices = lax.concatenate([lax.expand_dims(c, (len(batch_shape),)) for c in columns],
                              len(batch_shape))
    slice_sizes = tuple(e.size if isinstance(e, _Window) else 1 if e is not None else size
                        for e, size in zip(index.entries, shape))
    kept = [a for a in range(len(shape)) if a not in index.advanced_axes]
    adjacent = index.advanced_axes == list(range(index.advanced_axes[0], index.advanced_axes[-1] + 1)) \
        if index.advanced_axes else True
    batch_pos = sum(1 for a in kept if a < index.advanced_axes[0]) if adjacent and index.advanced_axes else 0
    out_rank = len(batch_shape) + len(kept)
    offset_dims = tuple(d for d in range(out_rank) if not batch_pos <= d < batch_pos + len(batch_shape))
    return indices, tuple(start_axes), tuple(index.advanced_axes), offset_dims, slice_sizes


def _gather(x, index, mode="clip", fill_value=None):
    indices, start_axes, collapsed, offset_dims, slice_sizes = _gather_plan(index, get_aval(x).shape)
    dnums = lax.GatherDimensionNumbers(offset_dims=offset_dims, collapsed_slice_dims=collapsed,
                                       start_index_map=start_axes)
    return lax.gather(x, indices, dnums, slice_sizes, mode=mode, fill_value=fill_value)


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """Elements of `a` (flattened if axis is None) at `indices` along `axis`. Modes as in
    JAX: "fill" (the default: negative indices wrap once, others out of bounds give
    fill_value, NaN for floats), "clip" (clamped, no wrapping), "wrap" (modulo the axis),
    "promise_in_bounds"."""
    from fx.numpy._sorting import _gather_mode, _int_indices, _normalize_indices
    if out is not None:
        raise NotImplementedError("fx.numpy.take: `out` is not supported (fx arrays are immutable)")
    a = lax._as_operand(_operand(a))
    if axis is None:
        a, axis = lax.reshape(a, (get_aval(a).size,)), 0
    shape = get_aval(a).shape
    axis = canonicalize_axis(axis, len(shape), "take axis")
    indices = _int_indices("take", indices)
    gather_mode, mode = _gather_mode("take", mode)
    indices = lax.convert_element_type(_normalize_indices(indices, shape[axis], mode), np.int32)
    k = get_aval(indices).ndim
    dnums = lax.GatherDimensionNumbers(
        offset_dims=tuple(range(axis)) + tuple(range(axis + k, len(shape) - 1 + k)),
        collapsed_slice_dims=(axis,), start_index_map=(axis,))
    return lax.gather(a, lax.expand_dims(indices, (k,)), dnums, shape[:axis] + (1,) + shape[axis + 1:],
                      mode=gather_mode, fill_value=fill_value)


def compress(condition, a, axis=None, *, size=None, fill_value=0):
    """The slices of `a` along `axis` where `condition` (1-D) holds."""
    condition = asarray(_operand(condition))
    if get_aval(condition).ndim != 1:
        raise ValueError(f"fx.numpy.compress: condition must be 1-D, got {get_aval(condition).str_short()}")
    a = lax._as_operand(_operand(a))
    if axis is None:
        a, axis = lax.reshape(a, (get_aval(a).size,)), 0
    axis = canonicalize_axis(axis, get_aval(a).ndim, "compress axis")
    n = get_aval(a).shape[axis]
    if not isinstance(condition, Tracer):  # stays concrete, so no size= is needed
        condition = np.asarray(condition)
        if condition[n:].any():
            raise ValueError(f"fx.numpy.compress: condition has True entries beyond the {n} "
                             f"elements of axis {axis}")
    condition = condition[:n]
    (positions,) = nonzero(condition, size=size, fill_value=-1)
    return take(a, positions, axis, mode="fill", fill_value=fill_value)


# ---------------------------------------------------------------------------- data-dependent sizes

def _static_count(name, x):
    if isinstance(x, Tracer):
        raise ConcretizationTypeError(
            x, f"fx.numpy.{name} without a static size= (its output shape depends on the values; "
               f"pass size=... and optionally fill_value=... to use it under transforms)")
    return int(np.count_nonzero(np.asarray(x)))


def nonzero(a, *, size=None, fill_value=None):
    """The indices of the nonzero elements, one array per axis. With `size` the arrays have
    that static length, padded with fill_value (default 0) or truncated."""
    a = asarray(_operand(a))
    shape = get_aval(a).shape
    if not shape:
        raise ValueError("fx.numpy.nonzero: calling nonzero on a 0-d array is not allowed; "
                         "use atleast_1d first")
    if size is None:
        size = _static_count("nonzero", a)
    size, n = index(size, "nonzero size"), get_aval(a).size
    if size < 0:
        raise ValueError(f"fx.numpy.nonzero: size must be non-negative, got {size}")
    int_dtype = dtypes.default_int_dtype()
    flat = lax.reshape(a, (n,))
    found = flat if get_aval(flat).dtype == np.bool_ else lax.ne(flat, lax.full_like(flat, 0))
    counts = lax.cumsum(lax.convert_element_type(found, int_dtype))
    # the k-th nonzero element goes to slot k - 1; the others to slot `size`, dropped
    slot = lax.select(found, lax.sub(counts, lax.full((n,), 1, int_dtype)), lax.full((n,), size, int_dtype))
    flat_index = lax.full((size,), 0, int_dtype).at[slot].set(lax.iota(int_dtype, n), mode="drop")
    total = counts[n - 1] if n else lax.full((), 0, int_dtype)
    valid = lax.lt(lax.iota(int_dtype, size), lax.broadcast(total, (size,)))
    fills = fill_value if isinstance(fill_value, (tuple, list)) else [fill_value] * len(shape)
    if len(fills) != len(shape):
        raise ValueError(f"fx.numpy.nonzero: fill_value must be a scalar or {len(shape)} scalars, "
                         f"got {fill_value!r}")
    out, stride = [], n
    for extent, fill in zip(shape, fills):
        stride //= max(extent, 1)
        coord = lax.rem(lax.div(flat_index, lax.full((size,), max(stride, 1), int_dtype)),
                        lax.full((size,), max(extent, 1), int_dtype))
        out.append(coord if fill is None and size <= n else
                   lax.select(valid, coord, lax.full((size,), 0 if fill is None else fill, int_dtype)))
    return tuple(out)


def flatnonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements of the flattened array."""
    a = asarray(_operand(a))
    return nonzero(lax.reshape(a, (get_aval(a).size,)), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    """The indices of the nonzero elements, one row each: (count or size, ndim)."""
    a = asarray(_operand(a))
    ndim = get_aval(a).ndim
    columns = nonzero(lax.reshape(a, (1,)) if ndim == 0 else a, size=size, fill_value=fill_value)
    out = lax.concatenate([lax.expand_dims(c, (1,)) for c in columns], 1)
    return lax.slice(out, (0, 0), (get_aval(out).shape[0], 0)) if ndim == 0 else out


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """x where condition holds, else y; with the condition only, its nonzero indices (as
    jnp.nonzero, taking size= and fill_value=)."""
    from fx.numpy import _ufuncs
    if x is None and y is None:
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("fx.numpy.where: give both x and y, or neither")
    if size is not None or fill_value is not None:
        raise ValueError("fx.numpy.where: size and fill_value apply only to the one-argument form")
    return _ufuncs.where(condition, x, y)


# ---------------------------------------------------------------------------- updates

_SCATTERS = {"set": lax.scatter, "add": lax.scatter_add, "mul": lax.scatter_mul,
             "min": lax.scatter_min, "max": lax.scatter_max}
_COMBINE = {"add": lax.add, "mul": lax.mul, "min": lax.min, "max": lax.max}


def _needs_positions(idx):
    """Whether an index has strided slices or new axes, which a scatter's windows cannot
    express directly."""
    return any(i is None or isinstance(i, slice) and i.step not in (None, 1)
               for i in (idx if isinstance(idx, tuple) else (idx,)))


def _update_by_positions(x, idx, values, kind, mode, **hints):
    """The update on the flattened array at the flat positions the index selects
    (positions of out-of-bounds indices are out of bounds too, unless mode is "clip")."""
    shape, size = get_aval(x).shape, get_aval(x).size
    ids = ArrayImpl(np.arange(size, dtype=np.int32).reshape(shape))
    clip = lax.GatherScatterMode(mode) is lax.GatherScatterMode.CLIP if isinstance(
        mode, lax.GatherScatterMode) else mode in ("clip", "promise_in_bounds")
    parts = idx if isinstance(idx, tuple) else (idx,)
    static = all(p is None or p is Ellipsis or isinstance(p, slice) for p in parts)  # in bounds
    positions = getitem(ids, idx) if clip or static else \
        _IndexUpdateRef(ids, idx).get(mode="fill", fill_value=size)
    flat = _update(lax.reshape(x, (size,)), positions, values, kind, mode, **hints)
    return lax.reshape(flat, shape)


def _update(x, idx, values, kind, mode, **hints):
    x = lax._as_operand(_operand(x))
    if _needs_positions(idx):
        return _update_by_positions(x, idx, values, kind, mode, **hints)
    index = _normalize_index(x, idx, allow_strides=False)
    shape = get_aval(x).shape
    if all(e is None for e in index.entries):  # x.at[...] covers the whole array
        values = broadcast_to(lax._convert_weak(_operand(values), get_aval(x).dtype, False), shape)
        return values if kind == "set" else _COMBINE[kind](x, values)
    indices, start_axes, collapsed, offset_dims, slice_sizes = _gather_plan(index, shape)
    dtype = get_aval(x).dtype
    values = lax._convert_weak(_operand(values), dtype, False) \
        if get_aval(_operand(values)).dtype != dtype else _operand(values)
    window_shape = tuple(s for a, s in enumerate(slice_sizes) if a not in collapsed)
    batch_shape = get_aval(indices).shape[:-1]
    out_rank = len(batch_shape) + len(window_shape)
    batch_dims = [d for d in range(out_rank) if d not in offset_dims]
    updates_shape = [0] * out_rank
    for d, s in zip(offset_dims, window_shape):
        updates_shape[d] = s
    for d, s in zip(batch_dims, batch_shape):
        updates_shape[d] = s
    values = broadcast_to(values, tuple(updates_shape))
    if all(np.ndim(index.entries[a]) == 0 for a in index.advanced_axes):  # one window: unique
        hints["unique_indices"] = True
    dnums = lax.ScatterDimensionNumbers(update_window_dims=offset_dims,
                                        inserted_window_dims=collapsed,
                                        scatter_dims_to_operand_dims=start_axes)
    return _SCATTERS[kind](x, indices, values, dnums, mode=mode, **hints)


def _concrete_positions(array, index):
    """The flat positions a concrete index selects, or None if it is traced (or out of
    bounds, which NumPy cannot index)."""
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, Tracer) for i in parts):
        return None
    parts = tuple(np.asarray(i) if isinstance(i, (ArrayImpl, list)) else i for i in parts)
    try:
        return np.arange(get_aval(array).size).reshape(get_aval(array).shape)[parts].ravel()
    except IndexError:
        return None


class _IndexUpdateRef:
    """x.at[idx]: the update methods of JAX (mode: "drop" by default, "clip", "fill",
    "promise_in_bounds"; unique_indices and indices_are_sorted are hints fx may use)."""

    def __init__(self, array, index):
        self.array, self.index = array, index

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None):
        """x[idx]; mode='fill' gives fill_value (NaN for floats) for out-of-bounds indices."""
        if mode in (None, "clip", "promise_in_bounds"):
            return getitem(self.array, self.index)
        x = lax._as_operand(_operand(self.array))
        index = _normalize_index(x, self.index, allow_strides=True)
        return _gather(index.operand, index, mode="fill", fill_value=fill_value)

    def _scatter(self, kind, values, mode, indices_are_sorted, unique_indices):
        return _update(self.array, self.index, values, kind, mode or "drop",
                       indices_are_sorted=indices_are_sorted, unique_indices=unique_indices)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x[idx] = values; where indices repeat, the last update wins."""
        return self._scatter("set", values, mode, indices_are_sorted, unique_indices)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x[idx] += values; repeated indices accumulate."""
        return self._scatter("add", values, mode, indices_are_sorted, unique_indices)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x[idx] -= values; repeated indices accumulate."""
        return self.add(lax.neg(lax._as_operand(_operand(values))), indices_are_sorted=indices_are_sorted,
                        unique_indices=unique_indices, mode=mode)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x[idx] *= values; repeated indices multiply. Differentiable in values only with
        unique_indices=True (as in JAX)."""
        return self._scatter("mul", values, mode, indices_are_sorted, unique_indices)

    mul = multiply

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x[idx] = minimum(x[idx], values)."""
        return self._scatter("min", values, mode, indices_are_sorted, unique_indices)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x[idx] = maximum(x[idx], values)."""
        return self._scatter("max", values, mode, indices_are_sorted, unique_indices)

    def _scaled(self, op, values, mode, indices_are_sorted, unique_indices):
        """op(x, ones with values multiplied in at idx): x[idx] /= values, x[idx] **= values."""
        from fx.numpy._creation import ones_like
        factor = _IndexUpdateRef(ones_like(self.array), self.index).multiply(
            values, indices_are_sorted=indices_are_sorted, unique_indices=unique_indices, mode=mode)
        return op(self.array, factor)

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x[idx] /= values (true division: integer arrays become floating)."""
        from fx.numpy._ufuncs import divide
        return self._scaled(divide, values, mode, indices_are_sorted, unique_indices)

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x[idx] **= values; repeated indices multiply their exponents."""
        from fx.numpy._ufuncs import power
        return self._scaled(power, values, mode, indices_are_sorted, unique_indices)

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x[idx] = func(x[idx]) for an elementwise func, once per occurrence of an index.
        Occurrences are counted when the index is concrete; a traced index is assumed
        not to repeat."""
        from fx.numpy._ufuncs import where as select
        x = lax._as_operand(_operand(self.array))
        counts = _IndexUpdateRef(lax.full(get_aval(x).shape, 0, np.int32), self.index).add(
            1, indices_are_sorted=indices_are_sorted, unique_indices=unique_indices, mode=mode)
        positions = None if unique_indices else _concrete_positions(x, self.index)
        repeats = int(np.bincount(positions).max(initial=1)) if positions is not None and positions.size else 1
        for k in range(1, repeats + 1):
            applied = lax.convert_element_type(func(x), get_aval(x).dtype)
            x = select(lax.ge(counts, lax.full_like(counts, k)), applied, x)
        return x


class _IndexUpdateHelper:
    """`x.at[idx]`: JAX's functional replacement for in-place index assignment."""
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)
