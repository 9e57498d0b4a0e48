"""Index helpers: r_, c_, s_, index_exp, mgrid, ogrid, ix_, the *_indices helpers and
ravel_multi_index / unravel_index.

Shapes and slice bounds fix output shapes, so they must be concrete; index values may
be traced (ravel_multi_index with mode='raise' needs them concrete to check them, as in
JAX).
"""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes
from fx.argcheck import canonicalize_shape, check_choice, index
from fx.core import ConcretizationTypeError, Tracer
from fx.numpy._promote import _operand, promote_dtypes

s_ = np.s_
index_exp = np.index_exp


def _grid_from_slice(s, name):
    """The 1-D grid of a slice: arange(start, stop, step), or linspace with `n` points
    (endpoint included) for an imaginary step n*1j, as NumPy's."""
    for part, what in ((s.start, "start"), (s.stop, "stop"), (s.step, "step")):
        if isinstance(part, Tracer):
            raise ConcretizationTypeError(part, f"the slice {what} of fx.numpy.{name}")
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):
        return jnp.linspace(start, s.stop, int(abs(step)))
    return jnp.arange(start, s.stop, step)


class _Grid:
    """mgrid (dense) and ogrid (open) meshes from slices: grid[0:3, 0:2]."""

    def __init__(self, sparse, name):
        self.sparse, self.name = sparse, name

    def __getitem__(self, key):
        if isinstance(key, slice):
            return _grid_from_slice(key, self.name)
        axes = promote_dtypes(*(_grid_from_slice(k, self.name) for k in key))
        grids = jnp.meshgrid(*axes, indexing="ij", sparse=self.sparse)
        if self.sparse:
            return grids
        return jnp.stack(grids, 0) if grids else jnp.arange(0)


mgrid = _Grid(sparse=False, name="mgrid")
ogrid = _Grid(sparse=True, name="ogrid")


def _at_least(x, ndmin):
    return jnp.reshape(x, (1,) * (ndmin - x.ndim) + x.shape) if x.ndim < ndmin else x


class _AxisConcat:
    """r_ and c_: concatenation of arrays, scalars and slices (as aranges) along an axis,
    with NumPy's string directives ("r", "c", or "axis,ndmin,trans1d") first."""

    def __init__(self, axis, ndmin, trans1d, name):
        self.params, self.name = (axis, ndmin, trans1d), name

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        (axis, ndmin, trans1d), matrix = self.params, -1
        if items and isinstance(items[0], str):
            directive, items = items[0], items[1:]
            if directive in ("r", "c"):
                matrix = 0 if directive == "r" else 1
            else:
                fields = directive.split(",")[:3]
                try:
                    values = [int(f) for f in fields]
                except ValueError:
                    raise ValueError(f"fx.numpy.{self.name}: could not understand the directive "
                                     f"{directive!r}; expected 'r', 'c' or 'axis,ndmin,trans1d'") from None
                axis, ndmin, trans1d = values + list(self.params[len(values):])
        pieces = []
        for item in items:
            if isinstance(item, str):
                raise ValueError(f"fx.numpy.{self.name}: a string directive must come first, got "
                                 f"{item!r} later")
            piece = _grid_from_slice(item, self.name) if isinstance(item, slice) else jnp.asarray(item)
            item_ndim = 0 if isinstance(item, slice) else piece.ndim
            piece = _at_least(piece, ndmin)
            if trans1d != -1 and ndmin - item_ndim > 0:
                # move the original axes to position trans1d, as NumPy does
                shift = ndmin - abs(ndmin + trans1d + 1) % ndmin
                order = tuple(range(ndmin))
                piece = jnp.transpose(piece, order[shift:] + order[:shift])
            pieces.append(piece)
        out = jnp.concatenate(pieces, axis=axis)
        return jnp.expand_dims(out, matrix) if matrix != -1 and out.ndim == 1 else out

    def __len__(self):
        return 0


r_ = _AxisConcat(0, 1, -1, "r_")
c_ = _AxisConcat(-1, 2, 0, "c_")


def ix_(*args):
    """An open mesh from 1-D sequences: the k-th is shaped to vary along axis k only."""
    out = []
    for k, a in enumerate(args):
        a = jnp.asarray(a)
        if a.ndim != 1:
            raise ValueError(f"fx.numpy.ix_: each argument must be 1-D, got shape {a.shape} for "
                             f"argument {k}")
        if dtypes.is_bool(a.dtype):
            raise TypeError("fx.numpy.ix_: boolean arguments are not supported (their size depends "
                            "on the values); pass integer indices")
        out.append(jnp.reshape(a, (1,) * k + a.shape + (1,) * (len(args) - k - 1)))
    return tuple(out)


def diag_indices(n, ndim=2):
    """The indices of the main diagonal of an n x ... x n array of `ndim` dimensions."""
    n = index(n, "fx.numpy.diag_indices: n", minimum=0)
    ndim = index(ndim, "fx.numpy.diag_indices: ndim", minimum=0)
    return (jnp.arange(n),) * ndim


def diag_indices_from(arr):
    shape = jnp.shape(_operand(arr))
    if len(shape) < 2 or len(set(shape)) != 1:
        raise ValueError(f"fx.numpy.diag_indices_from: the array must be at least 2-D with equal "
                         f"dimensions, got shape {shape}")
    return diag_indices(shape[0], len(shape))


def _indices_from(name, triangle):
    def indices_from(arr, k=0):
        shape = arr.shape if hasattr(arr, "shape") else jnp.shape(_operand(arr))
        if len(shape) != 2:
            raise ValueError(f"fx.numpy.{name}: the array must be 2-D, got shape {shape}")
        return triangle(shape[0], k=k, m=shape[1])
    indices_from.__name__ = name
    indices_from.__doc__ = f"{triangle.__name__} for the shape of the 2-D `arr`."
    return indices_from


tril_indices_from = _indices_from("tril_indices_from", jnp.tril_indices)
triu_indices_from = _indices_from("triu_indices_from", jnp.triu_indices)


def mask_indices(n, mask_func, k=0, *, size=None):
    """The indices where mask_func(ones((n, n)), k) is non-zero (mask_func such as triu)."""
    n = index(n, "fx.numpy.mask_indices: n", minimum=0)
    return jnp.nonzero(mask_func(jnp.ones((n, n), np.int32), k), size=size)


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Flat indices of the index tuple `multi_index` into an array of shape `dims`.
    mode 'clip' clamps each index into range, 'wrap' takes it modulo the dimension;
    'raise' checks the (then necessarily concrete) indices."""
    check_choice(mode, ("raise", "wrap", "clip"), "fx.numpy.ravel_multi_index: mode")
    check_choice(order, ("C", "F"), "fx.numpy.ravel_multi_index: order")
    dims = canonicalize_shape(dims, "fx.numpy.ravel_multi_index: dims")
    if len(multi_index) != len(dims):
        raise ValueError(f"fx.numpy.ravel_multi_index: {len(multi_index)} index arrays for {len(dims)} "
                         f"dimensions; give one per dimension")
    indices = [jnp.asarray(i) for i in multi_index]
    for i in indices:
        if not dtypes.is_integer(i.dtype):
            raise TypeError(f"fx.numpy.ravel_multi_index: indices must be integers, got {i.dtype}")
    if mode == "raise":
        traced = next((i for i in indices if isinstance(i, Tracer)), None)
        if traced is not None:
            raise ConcretizationTypeError(
                traced, "fx.numpy.ravel_multi_index with mode='raise' (it checks the index values); "
                        "use mode='wrap' or mode='clip' under jit, vmap or grad")
        for i, d in zip(indices, dims):
            if np.any((np.asarray(i) < 0) | (np.asarray(i) >= d)):
                raise ValueError(f"fx.numpy.ravel_multi_index: an index is out of bounds for a "
                                 f"dimension of size {d}")
    elif mode == "clip":
        indices = [jnp.clip(i, 0, d - 1) for i, d in zip(indices, dims)]
    else:
        indices = [jnp.remainder(i, d) for i, d in zip(indices, dims)]
    if order == "F":
        indices, dims = indices[::-1], dims[::-1]
    out = jnp.zeros((), dtypes.default_int_dtype()) if not indices else 0
    for i, d in zip(indices, dims):
        out = out * d + i
    return jnp.asarray(out)


def unravel_index(indices, shape):
    """The index tuple of each flat index into an array of `shape`; negative indices count
    from the end and out-of-range ones are clipped, as in JAX."""
    indices = jnp.asarray(indices)
    shape = canonicalize_shape(shape, "fx.numpy.unravel_index: shape")
    if not dtypes.is_integer(indices.dtype):
        raise TypeError(f"fx.numpy.unravel_index: indices must be integers, got {indices.dtype}")
    size = int(np.prod(shape, dtype=np.int64))
    flat = jnp.clip(jnp.where(indices < 0, indices + size, indices), 0, max(size - 1, 0))
    out = []
    for d in reversed(shape):
        out.append(flat % d if d else jnp.zeros_like(flat))
        flat = flat // d if d else flat
    return tuple(reversed(out))
