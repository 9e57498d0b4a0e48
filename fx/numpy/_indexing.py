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
`scatter` / `scatter_add`. Out-of-bounds reads clamp; out-of-bounds updates are dropped
(JAX's defaults).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fx import dtypes, lax
from fx.array import ArrayImpl
from fx.core import Tracer, get_aval
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
    raise TypeError(f"Index {i!r:.40} of type {type(i).__name__} is not valid: use ints, slices, "
                    "None, Ellipsis, or integer/boolean arrays")


def _is_bool_mask(i):
    return _is_array(i) and get_aval(i).dtype == dtypes.bool_


def _expand_masks(idx):
    out = []
    for i in idx:
        if _is_bool_mask(i):
            if isinstance(i, Tracer):
                raise IndexError(
                    "ArrayImpl boolean indices must be concrete; got a traced boolean mask. Its number "
                    "of True entries decides the output shape, which must be static under "
                    "transforms: use fx.numpy.where(mask, x, 0) instead.")
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


def take(a, indices, axis=None):
    a = lax._as_operand(_operand(a))
    if axis is None:
        a, axis = lax.reshape(a, (get_aval(a).size,)), 0
    ndim = get_aval(a).ndim
    axis = int(axis) % ndim
    return getitem(a, (slice(None),) * axis + (indices,))


# ---------------------------------------------------------------------------- updates

def _update(x, idx, values, kind, mode):
    x = lax._as_operand(_operand(x))
    index = _normalize_index(x, idx, allow_strides=False)
    if index.operand is not x:
        raise NotImplementedError("fx: .at[] updates with None (new axes) in the index are not "
                                  "supported yet")
    shape = get_aval(x).shape
    if all(e is None for e in index.entries):  # x.at[...] covers the whole array
        values = broadcast_to(lax._convert_weak(_operand(values), get_aval(x).dtype, False), shape)
        return values if kind == "set" else lax.add(x, values)
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
    dnums = lax.ScatterDimensionNumbers(update_window_dims=offset_dims,
                                        inserted_window_dims=collapsed,
                                        scatter_dims_to_operand_dims=start_axes)
    if kind == "set":
        return lax.scatter(x, indices, values, dnums, mode=mode)
    return lax.scatter_add(x, indices, values, dnums, mode=mode)


class _IndexUpdateRef:
    def __init__(self, array, index):
        self.array, self.index = array, index

    def get(self, mode=None, fill_value=None):
        """x[idx]; mode='fill' gives fill_value (NaN for floats) for out-of-bounds indices."""
        if mode in (None, "clip", "promise_in_bounds"):
            return getitem(self.array, self.index)
        x = lax._as_operand(_operand(self.array))
        index = _normalize_index(x, self.index, allow_strides=True)
        return _gather(index.operand, index, mode="fill", fill_value=fill_value)

    def set(self, values, mode=None):
        """A copy of the array with x[idx] = values (out-of-bounds updates dropped)."""
        return _update(self.array, self.index, values, "set", mode or "drop")

    def add(self, values, mode=None):
        """A copy of the array with values added at x[idx] (repeated indices accumulate)."""
        return _update(self.array, self.index, values, "add", mode or "drop")


class _IndexUpdateHelper:
    """`x.at[idx]`: JAX's functional replacement for in-place index assignment."""
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)
