"""Shape manipulation: reshape, transpose, concatenate, stack, squeeze, expand_dims ..."""
from __future__ import annotations

import numpy as np

from fx import lax
from fx.core import get_aval
from fx.numpy._promote import _operand, asarray, promote_dtypes


def _ndim(x):
    return get_aval(x).ndim


def _axis(axis, ndim, name="axis"):
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def reshape(a, newshape=None, order="C", *, shape=None):
    a = _operand(a)
    newshape = shape if newshape is None else newshape
    if order != "C":
        raise NotImplementedError("fx.numpy.reshape supports order='C' only")
    size = get_aval(a).size
    newshape = (newshape,) if isinstance(newshape, int) else tuple(int(s) for s in newshape)
    if newshape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension (-1) in reshape")
    if -1 in newshape:
        known = int(np.prod([s for s in newshape if s != -1]))
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {newshape}")
        newshape = tuple(size // known if s == -1 else s for s in newshape)
    return lax.reshape(a, newshape)


def ravel(a):
    return reshape(a, (-1,))


def transpose(a, axes=None):
    a = _operand(a)
    ndim = _ndim(a)
    axes = tuple(range(ndim))[::-1] if axes is None else tuple(_axis(x, ndim) for x in axes)
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
    src = [_axis(s, ndim) for s in np.atleast_1d(source)]
    dst = [_axis(d, ndim) for d in np.atleast_1d(destination)]
    perm = [i for i in range(ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return transpose(a, perm)


def expand_dims(a, axis):
    a = lax._as_operand(_operand(a))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out_ndim = _ndim(a) + len(axes)
    return lax.expand_dims(a, tuple(_axis(x, out_ndim) for x in axes))


def squeeze(a, axis=None):
    a = lax._as_operand(_operand(a))
    shape = get_aval(a).shape
    if axis is None:
        axes = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        axes = tuple(_axis(x, len(shape)) for x in ((axis,) if isinstance(axis, int) else axis))
        for x in axes:
            if shape[x] != 1:
                raise ValueError(f"cannot select an axis to squeeze out which has size not equal "
                                 f"to one (axis {x} of shape {shape})")
    return lax.squeeze(a, axes) if axes else a


def concatenate(arrays, axis=0):
    arrays = promote_dtypes(*arrays)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    ndim = _ndim(arrays[0])
    if ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    return lax.concatenate([lax._as_operand(a) for a in arrays], _axis(axis, ndim))


def stack(arrays, axis=0):
    arrays = [asarray(a) if not hasattr(a, "aval") else a for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {get_aval(a).shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"all input arrays must have the same shape, got {sorted(shapes)}")
    axis = _axis(axis, _ndim(arrays[0]) + 1)
    return concatenate([expand_dims(a, axis) for a in arrays], axis)


def atleast_1d(x):
    x = _operand(x)
    return reshape(x, (1,)) if _ndim(x) == 0 else x


def atleast_2d(x):
    x = atleast_1d(x)
    return expand_dims(x, 0) if _ndim(x) == 1 else x
