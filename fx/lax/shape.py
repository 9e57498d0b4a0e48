"""Layout primitives: broadcast_in_dim, reshape, transpose, squeeze, expand_dims.

All are linear, so each JVP applies the primitive to the tangent and each transpose is
another layout op (broadcast's is a sum over the broadcast axes).
"""
from __future__ import annotations

import math

import numpy as np

from fx.core import Primitive, ShapedArray, get_aval
from fx.argcheck import canonicalize_axes, canonicalize_shape, check_permutation, int_tuple
from fx.lax.examples import example, randn
from fx.transforms.jvp import deflinear


def _check_axes(name, axes, ndim):
    if len(set(axes)) != len(axes) or any(not 0 <= a < ndim for a in axes):
        raise ValueError(f"{name}: axes {tuple(axes)} are not distinct axes of a rank-{ndim} array")


# ---------------------------------------------------------------------------- broadcast_in_dim

broadcast_in_dim_p = Primitive("broadcast_in_dim")


def _broadcast_in_dim_abstract_eval(x, *, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise TypeError(f"broadcast_in_dim: {x.str_short()} needs {x.ndim} broadcast_dimensions, "
                        f"got {broadcast_dimensions}")
    if any(not 0 <= d < len(shape) for d in broadcast_dimensions) or list(broadcast_dimensions) != sorted(
            set(broadcast_dimensions)):
        raise TypeError(f"broadcast_in_dim: broadcast_dimensions {broadcast_dimensions} must be "
                        f"strictly increasing axes of the output shape {shape}")
    for i, d in enumerate(broadcast_dimensions):
        if x.shape[i] not in (1, shape[d]):
            raise TypeError(f"broadcast_in_dim: operand {x.str_short()} dimension {i} cannot be "
                            f"broadcast to {shape} at output dimension {d}")
    return ShapedArray(shape, x.dtype, x.weak_type)


def _broadcast_in_dim_impl(x, *, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _broadcast_in_dim_transpose(ct, x, *, shape, broadcast_dimensions):
    from fx import lax
    in_shape = x.aval.shape
    new_axes = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    size_one = tuple(d for i, d in enumerate(broadcast_dimensions)
                     if in_shape[i] == 1 and shape[d] != 1)
    summed = lax.reduce_sum(ct, tuple(sorted(new_axes + size_one)))
    return [reshape(summed, in_shape)]


def _broadcast_in_dim_batch(args, dims, *, shape, broadcast_dimensions):
    (x,), (d,) = args, dims
    size = x.shape[d]
    x = _move_to_front(x, d)
    return broadcast_in_dim(x, (size,) + tuple(shape),
                            (0,) + tuple(b + 1 for b in broadcast_dimensions)), 0


broadcast_in_dim_p.impl = _broadcast_in_dim_impl
broadcast_in_dim_p.abstract_eval = _broadcast_in_dim_abstract_eval
deflinear(broadcast_in_dim_p, _broadcast_in_dim_transpose)
broadcast_in_dim_p.batch = _broadcast_in_dim_batch


def broadcast_in_dim(operand, shape, broadcast_dimensions):
    return broadcast_in_dim_p.bind(
        operand, shape=canonicalize_shape(shape, "broadcast_in_dim shape"),
        broadcast_dimensions=int_tuple(broadcast_dimensions, "broadcast_in_dim broadcast_dimensions"))


# ---------------------------------------------------------------------------- reshape

reshape_p = Primitive("reshape")


def _reshape_abstract_eval(x, *, new_sizes):
    if math.prod(new_sizes) != x.size or any(s < 0 for s in new_sizes):
        raise TypeError(f"reshape: cannot reshape {x.str_short()} ({x.size} elements) "
                        f"into shape {new_sizes}")
    return ShapedArray(new_sizes, x.dtype, x.weak_type)


reshape_p.impl = lambda x, *, new_sizes: np.reshape(x, new_sizes)
reshape_p.abstract_eval = _reshape_abstract_eval
deflinear(reshape_p, lambda ct, x, *, new_sizes: [reshape(ct, x.aval.shape)])


def _reshape_batch(args, dims, *, new_sizes):
    (x,), (d,) = args, dims
    x = _move_to_front(x, d)
    return reshape(x, (x.shape[0],) + tuple(new_sizes)), 0


reshape_p.batch = _reshape_batch


def reshape(x, new_sizes):
    return reshape_p.bind(x, new_sizes=canonicalize_shape(new_sizes, "reshape new_sizes"))


# ---------------------------------------------------------------------------- transpose

transpose_p = Primitive("transpose")


def _transpose_abstract_eval(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose: permutation {permutation} is not a permutation of the axes "
                        f"of {x.str_short()}")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


transpose_p.impl = lambda x, *, permutation: np.transpose(x, permutation)
transpose_p.abstract_eval = _transpose_abstract_eval
deflinear(transpose_p, lambda ct, x, *, permutation: [transpose(ct, tuple(np.argsort(permutation)))])


def _transpose_batch(args, dims, *, permutation):
    (x,), (d,) = args, dims
    perm = [d] + [p + (p >= d) for p in permutation]
    return transpose(x, tuple(perm)), 0


transpose_p.batch = _transpose_batch


def transpose(operand, permutation):
    permutation = check_permutation(permutation, get_aval(operand).ndim, "transpose permutation")
    if permutation == tuple(range(len(permutation))):
        return operand
    return transpose_p.bind(operand, permutation=permutation)


def _move_to_front(x, d):
    return x if d == 0 else transpose(x, (d,) + tuple(i for i in range(x.ndim) if i != d))


# ---------------------------------------------------------------------------- squeeze / expand_dims

squeeze_p = Primitive("squeeze")


def _squeeze_abstract_eval(x, *, dimensions):
    _check_axes("squeeze", dimensions, x.ndim)
    if any(x.shape[d] != 1 for d in dimensions):
        raise TypeError(f"squeeze: dimensions {dimensions} of {x.str_short()} are not all of size 1")
    return ShapedArray(tuple(s for i, s in enumerate(x.shape) if i not in dimensions),
                       x.dtype, x.weak_type)


squeeze_p.impl = lambda x, *, dimensions: np.squeeze(x, dimensions)
squeeze_p.abstract_eval = _squeeze_abstract_eval
deflinear(squeeze_p, lambda ct, x, *, dimensions: [reshape(ct, x.aval.shape)])


def squeeze(array, dimensions):
    ndim = get_aval(array).ndim
    return squeeze_p.bind(array, dimensions=tuple(sorted(canonicalize_axes(dimensions, ndim,
                                                                       "squeeze dimensions"))))


expand_dims_p = Primitive("expand_dims")


def _expand_dims_abstract_eval(x, *, dimensions):
    out_ndim = x.ndim + len(dimensions)
    _check_axes("expand_dims", dimensions, out_ndim)
    shape = iter(x.shape)
    return ShapedArray(tuple(1 if i in dimensions else next(shape) for i in range(out_ndim)),
                       x.dtype, x.weak_type)


expand_dims_p.impl = lambda x, *, dimensions: np.expand_dims(x, dimensions)
expand_dims_p.abstract_eval = _expand_dims_abstract_eval
deflinear(expand_dims_p, lambda ct, x, *, dimensions: [squeeze(ct, dimensions)])


def expand_dims(array, dimensions):
    dimensions = int_tuple(dimensions, "expand_dims dimensions")
    ndim = get_aval(array).ndim + len(dimensions)
    return expand_dims_p.bind(array, dimensions=tuple(sorted(canonicalize_axes(dimensions, ndim,
                                                                           "expand_dims dimensions"))))


def _front_batcher(binder):
    """Batching for squeeze/expand_dims: batch axis to the front, `dimensions` shifted by one."""
    def rule(args, dims, *, dimensions):
        (x,), (d,) = args, dims
        return binder(_move_to_front(x, d), tuple(a + 1 for a in dimensions)), 0
    return rule


squeeze_p.batch = _front_batcher(squeeze)
expand_dims_p.batch = _front_batcher(expand_dims)


# ---------------------------------------------------------------------------- lowering
# Layout ops are index maps: the consumer's index is rewritten into the operand's.

def _index_map(ctx, x, shape, fn):
    return ctx.inline(shape, x.dtype, lambda idx: x.at(fn(idx)), [x])


def _lower_broadcast_in_dim(ctx, x, *, shape, broadcast_dimensions):
    from fx.ir import kernels as K
    if any(shape[d] != 1 for d in range(len(shape)) if d not in broadcast_dimensions):
        x = ctx.materialize_if_expensive(x)  # each element would be recomputed many times
    return _index_map(ctx, x, shape, lambda idx: tuple(
        K.IConst(0) if x.shape[i] == 1 else idx[d] for i, d in enumerate(broadcast_dimensions)))


def _lower_reshape(ctx, x, *, new_sizes):
    from fx.ir import kernels as K
    if [n for n in x.shape if n != 1] == [n for n in new_sizes if n != 1]:
        return _index_map(ctx, x, new_sizes, lambda idx: _unit_dims_map(idx, new_sizes, x.shape))

    def fn(idx):  # flatten the output index, then unflatten it in the operand's shape
        flat, stride = K.IConst(0), 1
        for i, n in reversed(list(zip(idx, new_sizes))):
            flat = K.iadd(flat, K.imul(i, stride))
            stride *= n
        out, stride = [], 1
        for n in reversed(x.shape):
            out.append(K.imod(K.idiv(flat, stride), n))
            stride *= n
        return tuple(reversed(out))
    return _index_map(ctx, x, new_sizes, fn)


def _unit_dims_map(idx, out_shape, in_shape):
    """A reshape that only adds or drops size-1 dims: non-unit dims map in order."""
    from fx.ir import kernels as K
    kept = iter(i for i, n in zip(idx, out_shape) if n != 1)
    return tuple(K.IConst(0) if n == 1 else next(kept) for n in in_shape)


def _lower_transpose(ctx, x, *, permutation):
    if tuple(permutation) == (1, 0) and hasattr(x, "buffer"):
        transposed = ctx.transposed_gemm_result(x)  # the product computed transposed
        if transposed is not None:
            return transposed
    inverse = np.argsort(permutation)
    return _index_map(ctx, x, tuple(x.shape[p] for p in permutation),
                      lambda idx: tuple(idx[inverse[d]] for d in range(x.ndim)))


def _lower_squeeze(ctx, x, *, dimensions):
    from fx.ir import kernels as K
    shape = tuple(s for d, s in enumerate(x.shape) if d not in dimensions)

    def fn(idx):
        it = iter(idx)
        return tuple(K.IConst(0) if d in dimensions else next(it) for d in range(x.ndim))
    return _index_map(ctx, x, shape, fn)


def _lower_expand_dims(ctx, x, *, dimensions):
    out_ndim = x.ndim + len(dimensions)
    shape = iter(x.shape)
    out_shape = tuple(1 if d in dimensions else next(shape) for d in range(out_ndim))
    return _index_map(ctx, x, out_shape,
                      lambda idx: tuple(i for d, i in enumerate(idx) if d not in dimensions))


broadcast_in_dim_p.lower = _lower_broadcast_in_dim
reshape_p.lower = _lower_reshape
transpose_p.lower = _lower_transpose
squeeze_p.lower = _lower_squeeze
expand_dims_p.lower = _lower_expand_dims


# ---------------------------------------------------------------------------- examples

_x = randn(3, 4, seed=7)
example(broadcast_in_dim_p, _x, params=dict(shape=(2, 3, 5, 4), broadcast_dimensions=(1, 3)),
        reference=lambda x, shape, broadcast_dimensions: np.broadcast_to(x[None, :, None, :], shape),
        linear_argnums=(0,))
example(broadcast_in_dim_p, randn(3, 1, seed=8), params=dict(shape=(3, 4), broadcast_dimensions=(0, 1)),
        reference=lambda x, **_: np.broadcast_to(x, (3, 4)), linear_argnums=(0,))
example(reshape_p, _x, params=dict(new_sizes=(2, 6)), reference=lambda x, new_sizes: x.reshape(new_sizes),
        linear_argnums=(0,))
example(transpose_p, randn(2, 3, 4, seed=9), params=dict(permutation=(2, 0, 1)),
        reference=lambda x, permutation: x.transpose(permutation), linear_argnums=(0,))
example(squeeze_p, randn(3, 1, 4, 1, seed=10), params=dict(dimensions=(1, 3)),
        reference=lambda x, dimensions: np.squeeze(x, dimensions), linear_argnums=(0,))
example(expand_dims_p, _x, params=dict(dimensions=(0, 2)),
        reference=lambda x, dimensions: np.expand_dims(x, dimensions), linear_argnums=(0,))
