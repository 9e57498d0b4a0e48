"""Stacking, splitting, tiling and repeating arrays (hstack, split, tile, repeat, ...)."""
from __future__ import annotations

import operator

import numpy as np

from fx import dtypes, lax
from fx.core import Tracer, get_aval
from fx.argcheck import array_sequence, index, int_tuple, describe
from fx.numpy._indexing import take
from fx.numpy._reductions import _array, cumsum
from fx.numpy._reductions import sum as _sum
from fx.numpy._shape import (_axis, atleast_1d, atleast_2d, atleast_3d, concatenate, ravel,
                             reshape, slice_along)


def _arrays(tup, name):
    tup = array_sequence(tup, f"{name}: the arrays")
    if not len(tup):
        raise ValueError(f"{name} needs at least one array, got an empty sequence")
    return [_array(x) for x in tup]


def _listed(x):
    """atleast_*'s result as a list, whether it got one array or several."""
    return x if isinstance(x, list) else [x]


def hstack(tup, dtype=None):
    """Join along the second axis (the first for 1-D arrays)."""
    arrays = _listed(atleast_1d(*_arrays(tup, "hstack")))
    return concatenate(arrays, 0 if get_aval(arrays[0]).ndim == 1 else 1, dtype)


def vstack(tup, dtype=None):
    """Join along the first axis, 1-D arrays as rows."""
    return concatenate(_listed(atleast_2d(*_arrays(tup, "vstack"))), 0, dtype)


def dstack(tup, dtype=None):
    """Join along the third axis (depth)."""
    return concatenate(_listed(atleast_3d(*_arrays(tup, "dstack"))), 2, dtype)


def column_stack(tup):
    """Join along the second axis, 1-D arrays (and scalars) as columns."""
    arrays = [lax.reshape(x, (get_aval(x).size, 1)) if get_aval(x).ndim < 2 else x
              for x in _arrays(tup, "column_stack")]
    return concatenate(arrays, 1)


def _split_points(n, indices_or_sections, even):
    """[(start, stop)] of each piece of an axis of length n."""
    if np.ndim(indices_or_sections) == 0:
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"number of sections must be larger than 0, got {sections}")
        if even and n % sections:
            raise ValueError(f"array split does not result in an equal division: an axis of "
                             f"length {n} into {sections} sections")
        size, extra = divmod(n, sections)
        bounds = np.cumsum([0] + [size + 1] * extra + [size] * (sections - extra)).tolist()
        return list(zip(bounds[:-1], bounds[1:]))
    cuts = [0] + [operator.index(i) for i in indices_or_sections] + [n]
    pieces = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):  # each piece is ary[lo:hi], Python's slice rules
        start, stop, _ = slice(lo, hi).indices(n)
        pieces.append((start, max(start, stop)))
    return pieces


def array_split(ary, indices_or_sections, axis=0):
    """Pieces of ary along `axis`: a number of near-equal sections (the first ones one
    longer), or the pieces between the given indices (NumPy's slicing rules)."""
    ary = _array(ary)
    axis = _axis(axis, get_aval(ary).ndim)
    n = get_aval(ary).shape[axis]
    return [slice_along(ary, axis, start, stop)
            for start, stop in _split_points(n, indices_or_sections, even=False)]


def split(ary, indices_or_sections, axis=0):
    """Like array_split, but a number of sections must divide the axis evenly."""
    ary = _array(ary)
    axis = _axis(axis, get_aval(ary).ndim)
    n = get_aval(ary).shape[axis]
    return [slice_along(ary, axis, start, stop)
            for start, stop in _split_points(n, indices_or_sections, even=True)]


def _split_on(name, axis, min_ndim):
    def split_on(ary, indices_or_sections):
        ary = _array(ary)
        ndim = get_aval(ary).ndim
        if ndim < min_ndim:
            raise ValueError(f"{name} only works on arrays of {min_ndim} or more dimensions, got "
                             f"shape {get_aval(ary).shape}")
        return split(ary, indices_or_sections, axis if ndim > 1 else 0)
    split_on.__name__ = name
    return split_on


hsplit = _split_on("hsplit", 1, 1)
vsplit = _split_on("vsplit", 0, 2)
dsplit = _split_on("dsplit", 2, 3)


def tile(A, reps):
    """A repeated reps[i] times along each axis (leading 1s pad the shorter of the two)."""
    A = _array(A)
    reps = (index(reps, "tile reps"),) if np.ndim(reps) == 0 else int_tuple(reps, "tile reps")
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: repetitions must be non-negative, got {reps}")
    shape = get_aval(A).shape
    ndim = max(len(shape), len(reps))
    shape = (1,) * (ndim - len(shape)) + shape
    reps = (1,) * (ndim - len(reps)) + reps
    A = lax.reshape(A, shape)
    interleaved = tuple(n for pair in zip(reps, shape) for n in pair)
    tiled = lax.broadcast_in_dim(A, interleaved, tuple(range(1, 2 * ndim, 2)))
    return lax.reshape(tiled, tuple(r * s for r, s in zip(reps, shape)))


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Each element repeated `repeats` times along `axis` (of the flattened array when None).

    Per-element repeats must be concrete, unless `total_repeat_length` fixes the output
    length: then they may be traced, and the output is cut or padded with the last element."""
    a = _array(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis(axis, get_aval(a).ndim)
    n = get_aval(a).shape[axis]
    if isinstance(repeats, Tracer) and total_repeat_length is None:
        repeats = repeats._concrete("the repeats of fx.numpy.repeat (pass total_repeat_length "
                                    "to allow traced repeats)")
    if isinstance(repeats, Tracer):
        return take(a, _traced_repeat_indices(repeats, n, total_repeat_length), axis)
    repeats = np.asarray(repeats)
    if not (repeats.dtype.kind in "iu" or repeats.dtype == bool) or repeats.ndim > 1:
        raise TypeError(f"repeat: repeats must be an int or a 1-D sequence of ints, got {describe(repeats)}")
    if (repeats < 0).any():
        raise ValueError(f"repeat: repeats may not be negative, got {describe(repeats)}")
    if repeats.ndim == 1 and repeats.size not in (1, n):
        raise ValueError(f"repeat: {repeats.size} repeats for an axis of length {n}")
    if repeats.size == 1 and total_repeat_length is None:
        return _repeat_each(a, axis, int(repeats.reshape(())))
    indices = np.repeat(np.arange(n), np.broadcast_to(repeats, (n,)))
    if total_repeat_length is not None:
        indices = _fit(indices, index(total_repeat_length, "repeat total_repeat_length"), n)
    return take(a, indices, axis)


def _repeat_each(a, axis, r):
    """Every element r times: broadcast into a new axis after `axis`, then merge the two."""
    shape = get_aval(a).shape
    wide = shape[:axis + 1] + (r,) + shape[axis + 1:]
    kept = tuple(range(axis + 1)) + tuple(range(axis + 2, len(wide)))
    return reshape(lax.broadcast_in_dim(a, wide, kept), shape[:axis] + (shape[axis] * r,) + shape[axis + 1:])


def _fit(indices, total, n):
    """indices cut to `total`, or padded with the last element's index (JAX's
    total_repeat_length)."""
    if len(indices) >= total:
        return indices[:total]
    return np.concatenate([indices, np.full(total - len(indices), n - 1, indices.dtype)])


def _traced_repeat_indices(repeats, n, total_repeat_length):
    """Source index of each output position: how many cumulative repeat counts lie at or
    below it (clipped to the last element, which also pads a short total)."""
    total = index(total_repeat_length, "repeat total_repeat_length")
    repeats = lax.convert_element_type(repeats, dtypes.default_int_dtype())
    if get_aval(repeats).ndim == 0:
        repeats = lax.broadcast(repeats, (n,))
    ends = cumsum(repeats)
    positions = lax.broadcasted_iota(dtypes.default_int_dtype(), (total, n), 0)
    passed = lax.ge(positions, lax.broadcast(ends, (total,)))
    return lax.min(_sum(passed, 1), lax.full((total,), n - 1, dtypes.default_int_dtype()))
