"""fx.numpy.pad: NumPy's padding modes built from lax.pad, slices, reversals and concatenation.

Every mode is a static rearrangement of slices of the input (plus arithmetic for
reflect_type='odd'), so padded arrays fuse into their consumers, differentiate through
the slices' transposes, and never gather.
"""
from __future__ import annotations

import numpy as np

from fx import lax
from fx.core import get_aval
from fx.numpy._promote import asarray, broadcast_to
from fx.numpy._reductions import _array
from fx.numpy._shape import concatenate, slice_along
from fx.argcheck import describe

_MODES = ("constant", "empty", "edge", "reflect", "symmetric", "wrap")


def _pad_widths(pad_width, ndim):
    """pad_width in any form NumPy accepts, as ((before, after),) * ndim of Python ints."""
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers, got {describe(pad_width)}")
    try:
        widths = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {describe(pad_width)} does not fit an array of rank {ndim}; "
                         f"expected an int, (before, after), or one such pair per axis") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width may not be negative, got {describe(pad_width)}")
    return [(int(b), int(a)) for b, a in widths]


def pad(array, pad_width, mode="constant", **kwargs):
    """Pad each axis by (before, after) elements.

    Modes: 'constant' (constant_values: a scalar or per-axis (before, after) values),
    'empty' (zeros here), 'edge', 'reflect' and 'symmetric' (reflect_type 'even' or
    'odd'), 'wrap'."""
    array = _array(array)
    widths = _pad_widths(pad_width, get_aval(array).ndim)
    if not isinstance(mode, str):
        raise TypeError(f"fx.numpy.pad: mode must be a string (one of {', '.join(_MODES)}), got "
                        f"{describe(mode)}")
    if mode not in _MODES:
        raise NotImplementedError(f"fx.numpy.pad: mode {mode!r} is not supported; supported "
                                  f"modes are {', '.join(_MODES)}")
    allowed = {"constant": {"constant_values"}, "reflect": {"reflect_type"},
               "symmetric": {"reflect_type"}}.get(mode, set())
    unexpected = set(kwargs) - allowed
    if unexpected:
        raise ValueError(f"pad: unsupported keyword arguments for mode {mode!r}: {sorted(unexpected)}")
    if mode in ("constant", "empty"):
        return _pad_constant(array, widths, kwargs.get("constant_values", 0))
    reflect_type = kwargs.get("reflect_type", "even")
    if reflect_type not in ("even", "odd"):
        raise ValueError(f"pad: reflect_type must be 'even' or 'odd', got {reflect_type!r}")
    for axis, (before, after) in enumerate(widths):
        if not before and not after:
            continue
        if get_aval(array).shape[axis] == 0:
            raise ValueError(f"pad: can't extend the empty axis {axis} using mode {mode!r}")
        if mode == "wrap":
            array = _wrap(array, axis, before, after)
        elif mode == "edge":
            array = _edge(array, axis, before, after)
        else:
            array = _reflect(array, axis, before, after, mode, reflect_type == "odd")
    return array


def _pad_constant(array, widths, constant_values):
    aval = get_aval(array)
    if np.ndim(constant_values) == 0:
        return lax.pad(array, lax.convert_element_type(constant_values, aval.dtype),
                       [(b, a, 0) for b, a in widths])
    values = broadcast_to(asarray(constant_values, aval.dtype), (aval.ndim, 2))
    for axis, (before, after) in enumerate(widths):
        for side, width in enumerate((before, after)):
            value = lax.reshape(lax.slice(values, (axis, side), (axis + 1, side + 1)), ())
            config = [(0, 0, 0)] * aval.ndim
            config[axis] = (width, 0, 0) if side == 0 else (0, width, 0)
            array = lax.pad(array, value, config)
    return array


def _wrap(array, axis, before, after):
    """Periodic continuation: the concatenation of the runs of a periodic index map."""
    n = get_aval(array).shape[axis]
    index = np.arange(-before, n + after) % n
    runs = np.split(index, np.flatnonzero(np.diff(index) != 1) + 1)
    return concatenate([slice_along(array, axis, int(r[0]), int(r[-1]) + 1) for r in runs], axis)


def _edge(array, axis, before, after):
    """The first and last elements repeated."""
    n = get_aval(array).shape[axis]

    def repeated(i, count):
        edge = slice_along(array, axis, i, i + 1)
        shape = list(get_aval(edge).shape)
        shape[axis] = count
        return broadcast_to(edge, tuple(shape))
    return concatenate([repeated(0, before), array, repeated(n - 1, after)], axis)


def _reflect(array, axis, before, after, mode, odd):
    """Mirror images of the elements next to each end ('reflect' excludes the edge element
    itself, 'symmetric' includes it), repeated until the padding is full. 'odd' reflects
    about the edge value (2 * edge - mirror), as NumPy, compounding over repetitions."""
    n = get_aval(array).shape[axis]
    chunk = n if mode == "symmetric" else n - 1
    if chunk == 0:  # a single element reflects onto itself
        mode, chunk = "symmetric", 1
    skip = 0 if mode == "symmetric" else 1
    while before or after:
        size = get_aval(array).shape[axis]
        if before:
            k = min(before, chunk)
            mirror = lax.rev(slice_along(array, axis, skip, skip + k), (axis,))
            edge = slice_along(array, axis, 0, 1)
            array = concatenate([_odd(mirror, edge) if odd else mirror, array], axis)
            before -= k
            size += k
        if after:
            k = min(after, chunk)
            mirror = lax.rev(slice_along(array, axis, size - skip - k, size - skip), (axis,))
            edge = slice_along(array, axis, size - 1, size)
            array = concatenate([array, _odd(mirror, edge) if odd else mirror], axis)
            after -= k
    return array


def _odd(mirror, edge):
    edge = broadcast_to(edge, get_aval(mirror).shape)
    return lax.sub(lax.add(edge, edge), mirror)

