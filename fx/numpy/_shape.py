"""Shape manipulation: reshape, transpose, concatenate, stack, squeeze, expand_dims ..."""
from __future__ import annotations

import numpy as np

from fx import lax
from fx.core import Tracer, get_aval
from fx.argcheck import (describe, array_sequence, canonicalize_axes, canonicalize_axis as _axis, check_permutation,
                          index, int_tuple)
from fx.numpy._promote import _operand, asarray, promote_dtypes


def _ndim(x):
    return get_aval(x).ndim


def reshape(a, newshape=None, order="C", *, shape=None):
    a = _operand(a)
    newshape = shape if newshape is None else newshape
    if not isinstance(order, str) or order != "C":
        raise NotImplementedError("fx.numpy.reshape supports order='C' only")
    size = get_aval(a).size
    if type(newshape) is not tuple and np.ndim(newshape) == 0:
        newshape = (newshape,)
    newshape = int_tuple(newshape, "reshape shape")
    if any(s < -1 for s in newshape):
        raise ValueError(f"reshape: sizes must be non-negative (or -1 for one of them), got {newshape}")
    if newshape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension (-1) in reshape")
    if -1 in newshape:
        known = int(np.prod([s for s in newshape if s != -1]))
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {newshape}")
        newshape = tuple(size // known if s == -1 else s for s in newshape)
    return lax.reshape(a, newshape)


def ravel(a, order="C"):
    return reshape(a, (-1,), order)


def transpose(a, axes=None):
    a = _operand(a)
    ndim = _ndim(a)
    axes = tuple(range(ndim))[::-1] if axes is None else check_permutation(
        axes, ndim, "transpose axes", allow_negative=True)
    return lax.transpose(lax._as_operand(a), axes)


def swapaxes(a, axis1, axis2):
    ndim = _ndim(_operand(a))
    perm = list(range(ndim))
    i, j = _axis(axis1, ndim), _axis(axis2, ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def moveaxis(a, source, destination):
    a = _operand(a)
    ndim = _ndim(a)
    src = canonicalize_axes(source, ndim, "moveaxis source")
    dst = canonicalize_axes(destination, ndim, "moveaxis destination")
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} must name "
                         f"the same number of axes")
    perm = [i for i in range(ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return transpose(a, perm)


def expand_dims(a, axis):
    a = lax._as_operand(_operand(a))
    axes = (axis,) if type(axis) is int else int_tuple(axis, "expand_dims axis")
    return lax.expand_dims(a, canonicalize_axes(axes, _ndim(a) + len(axes), "expand_dims axis"))


def squeeze(a, axis=None):
    a = lax._as_operand(_operand(a))
    shape = get_aval(a).shape
    if axis is None:
        axes = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        axes = canonicalize_axes(axis, len(shape))
        for x in axes:
            if shape[x] != 1:
                raise ValueError(f"cannot select an axis to squeeze out which has size not equal "
                                 f"to one (axis {x} of shape {shape})")
    return lax.squeeze(a, axes) if axes else a


def concatenate(arrays, axis=0, dtype=None):
    """Join arrays along an existing axis (the flattened arrays when axis is None)."""
    arrays = array_sequence(arrays, "concatenate: the arrays")
    if not len(arrays):
        raise ValueError("need at least one array to concatenate")
    arrays = promote_dtypes(*arrays)
    if dtype is not None:
        arrays = [lax.convert_element_type(a, dtype) for a in arrays]
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    ndim = _ndim(arrays[0])
    if ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    return lax.concatenate([lax._as_operand(a) for a in arrays], _axis(axis, ndim))


def stack(arrays, axis=0, out=None, dtype=None):
    """Join arrays of one shape along a new axis."""
    if out is not None:
        raise NotImplementedError("fx.numpy.stack: `out` is not supported (fx arrays are immutable)")
    arrays = array_sequence(arrays, "stack: the arrays")
    arrays = [asarray(a) if not hasattr(a, "aval") else a for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {get_aval(a).shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"all input arrays must have the same shape, got {sorted(shapes)}")
    axis = _axis(axis, _ndim(arrays[0]) + 1)
    return concatenate([expand_dims(a, axis) for a in arrays], axis, dtype)


def _atleast(arys, ndim, expand):
    """Each array with at least `ndim` axes; one array in, one out (NumPy's convention)."""
    out = []
    for x in arys:
        x = lax._as_operand(_operand(x))
        rank = _ndim(x)
        out.append(lax.expand_dims(x, expand[rank]) if rank < ndim else x)
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys):
    return _atleast(arys, 1, {0: (0,)})


def atleast_2d(*arys):
    return _atleast(arys, 2, {0: (0, 1), 1: (0,)})


def atleast_3d(*arys):
    """Views with three axes: a 1-D (N,) becomes (1, N, 1) and a 2-D (M, N) (M, N, 1)."""
    return _atleast(arys, 3, {0: (0, 1, 2), 1: (0, 2), 2: (2,)})


def _axes_or_all(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return canonicalize_axes(axis, ndim)


def flip(m, axis=None):
    """m reversed along `axis` (every axis when None)."""
    m = lax._as_operand(_operand(m))
    axes = _axes_or_all(axis, _ndim(m))
    return lax.rev(m, axes) if axes else m


def fliplr(m):
    m = lax._as_operand(_operand(m))
    if _ndim(m) < 2:
        raise ValueError(f"fliplr requires an array of at least two dimensions, got shape "
                         f"{get_aval(m).shape}")
    return flip(m, 1)


def flipud(m):
    m = lax._as_operand(_operand(m))
    if _ndim(m) < 1:
        raise ValueError("flipud requires an array of at least one dimension, got a scalar")
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    """m rotated by k quarter turns in the plane of `axes`, from the first towards the second."""
    m = lax._as_operand(_operand(m))
    ndim = _ndim(m)
    if np.ndim(axes) != 1 or len(axes) != 2:
        raise ValueError(f"rot90: axes must name two axes, got {describe(axes)}")
    a, b = canonicalize_axes(axes, ndim, "rot90 axes")
    k = index(k, "rot90 k") % 4
    if k == 2:
        return flip(m, (a, b))
    if k == 0:
        return m
    m = swapaxes(m, a, b)
    return flip(m, a if k == 1 else b)


def roll(a, shift, axis=None):
    """Elements shifted by `shift` along `axis` (of the flattened array when None), wrapping
    around; a traced shift works too (a dynamic slice of the array twice over)."""
    a = lax._as_operand(_operand(a))
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), get_aval(a).shape)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else int_tuple(axis, "roll axis")
    if np.ndim(shift) > 1:
        raise ValueError(f"roll: shift must be an integer or a 1-D sequence of them, got {describe(shift)}")
    shifts = (shift,) if np.ndim(shift) == 0 else tuple(shift)
    if len(shifts) == 1:
        shifts *= len(axes)
    elif len(axes) == 1:
        axes *= len(shifts)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: {len(shifts)} shifts do not match {len(axes)} axes")
    ndim = _ndim(a)
    for s, ax in zip(shifts, axes):
        a = _roll_axis(a, s, _axis(ax, ndim))
    return a


def _roll_axis(a, shift, axis):
    shape = get_aval(a).shape
    n = shape[axis]
    if n == 0:
        return a
    if not isinstance(shift, Tracer):
        split = n - index(shift, "roll shift") % n
        if split == n:
            return a
        return lax.concatenate([slice_along(a, axis, split, n), slice_along(a, axis, 0, split)], axis)
    shift = lax.convert_element_type(shift, np.int32)
    size = lax.full_like(shift, n)
    starts = [lax.full_like(shift, 0)] * len(shape)
    starts[axis] = lax.rem(lax.sub(size, lax.rem(shift, size)), size)  # in [0, n) for any sign
    return lax.dynamic_slice(lax.concatenate([a, a], axis), starts, shape)


def slice_along(a, axis, start, stop):
    """a[..., start:stop, ...] on one axis (start <= stop within bounds)."""
    shape = get_aval(a).shape
    starts, limits = [0] * len(shape), list(shape)
    starts[axis], limits[axis] = start, stop
    return lax.slice(a, starts, limits)
