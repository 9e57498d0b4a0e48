"""Sorting: `sort` (several operands ordered by the first num_keys, as jax.lax.sort) and
`top_k` (the k largest along an axis, with their indices).

Floats order totally, as JAX's comparators do. sort canonicalises first: -0.0 equals
0.0, and every NaN equals every other and goes last. top_k compares sign and bits,
-NaN < -inf < ... < -0.0 < 0.0 < ... < inf < NaN, and keeps the lower index first among
equals. Both sorts are stable.

A sort is a permutation of each line, so its derivative is one: the JVP sorts an iota
along to learn the permutation and gathers the tangents through it (gather transposes
into scatter_add). Natively, both lower to the kernel program's `Sort` statement.
"""
from __future__ import annotations

import numpy as np

from fx import dtypes
from fx.core import Primitive, Zero, get_aval, tangent_aval
from fx.argcheck import canonicalize_axis
from fx.lax.examples import example, randn
from fx.lax.indexing import GatherDimensionNumbers, gather
from fx.lax.slicing import broadcasted_iota, concatenate
from fx.lax.shape import expand_dims
from fx.lax.ops import _as_operand
from fx.transforms.batching import axis_size_of, bdim_at_front, moveaxis


def _order_key(x, canonical):
    """An integer array (or bool) whose order is the comparator's order on x."""
    if not dtypes.is_floating(x.dtype):
        return x
    if canonical:
        x = np.where(np.isnan(x), np.asarray(np.nan, x.dtype), np.where(x == 0, np.zeros((), x.dtype), x))
    bits = np.ascontiguousarray(x).view(f"i{x.dtype.itemsize}")
    return bits ^ ((bits >> (8 * x.dtype.itemsize - 1)) & np.iinfo(bits.dtype).max)


def gather_along(x, indices, axis, mode="clip", fill_value=None):
    """x at `indices` along `axis` (indices shaped like x except along that axis): one
    gather of single elements, whose index vectors pair the iotas of the other axes with
    `indices`."""
    from fx import lax
    shape = get_aval(indices).shape
    indices = lax.convert_element_type(indices, np.int32)
    columns = [indices if d == axis else broadcasted_iota(np.int32, shape, d) for d in range(len(shape))]
    stacked = concatenate([expand_dims(c, (len(shape),)) for c in columns], len(shape))
    everything = tuple(range(len(shape)))
    dnums = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=everything,
                                   start_index_map=everything)
    return gather(x, stacked, dnums, (1,) * len(shape), mode=mode, fill_value=fill_value)


# ---------------------------------------------------------------------------- sort

sort_p = Primitive("sort", multiple_results=True)


def _sort_impl(*operands, dimension, is_stable, num_keys):
    del is_stable  # always stable
    keys = [_order_key(k, canonical=True) for k in operands[:num_keys]]
    perm = np.lexsort(keys[::-1], axis=dimension)
    return [np.take_along_axis(x, perm, dimension) for x in operands]


def _sort_abstract_eval(*operands, dimension, is_stable, num_keys):
    if not operands:
        raise TypeError("sort needs at least one operand")
    shapes = {x.shape for x in operands}
    if len(shapes) != 1:
        raise TypeError(f"sort: operands must have one shape, got "
                        f"{[x.str_short() for x in operands]}")
    if not 0 <= dimension < operands[0].ndim:
        raise ValueError(f"sort: dimension {dimension} is out of bounds for "
                         f"{operands[0].str_short()}")
    if not 1 <= num_keys <= len(operands):
        raise ValueError(f"sort: num_keys must be in [1, {len(operands)}] (the number of "
                         f"operands), got {num_keys}")
    for key in operands[:num_keys]:
        if dtypes.is_complex(key.dtype):
            raise TypeError(f"sort: keys must be real, got {key.str_short()} (lax.sort splits a "
                            "complex key into its parts)")
    return list(operands)


def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    shape = get_aval(primals[0]).shape
    *out, perm = sort_p.bind(*primals, broadcasted_iota(np.int32, shape, dimension),
                             dimension=dimension, is_stable=is_stable, num_keys=num_keys)
    out_t = [Zero(tangent_aval(get_aval(o))) if type(t) is Zero else gather_along(t, perm, dimension)
             for o, t in zip(out, tangents)]
    return out, out_t


def _sort_batch(args, dims, *, dimension, **params):
    size = axis_size_of(args, dims)
    args = [bdim_at_front(x, d, size) for x, d in zip(args, dims)]
    return sort_p.bind(*args, dimension=dimension + 1, **params), [0] * len(args)


sort_p.impl = _sort_impl
sort_p.abstract_eval = _sort_abstract_eval
sort_p.jvp = _sort_jvp
sort_p.batch = _sort_batch


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    """Sort `operand`, or a sequence of operands by their first `num_keys` (the others
    ride along), along `dimension` (JAX's lax.sort). Returns one array or a tuple."""
    single = not isinstance(operand, (list, tuple))
    operands = [_as_operand(x) for x in ([operand] if single else operand)]
    if not operands:
        raise TypeError("sort needs at least one operand, got an empty sequence")
    ndim = get_aval(operands[0]).ndim
    dimension = canonicalize_axis(dimension, ndim, "sort dimension")
    num_keys = int(num_keys)
    keys = operands[:num_keys]
    if num_keys <= len(operands) and any(dtypes.is_complex(get_aval(k).dtype) for k in keys):
        keys = _real_keys(keys)  # sorted by, then dropped
        out = sort_p.bind(*keys, *operands, dimension=dimension, is_stable=bool(is_stable),
                          num_keys=len(keys))[len(keys):]
    else:
        out = sort_p.bind(*operands, dimension=dimension, is_stable=bool(is_stable), num_keys=num_keys)
    return out[0] if single else tuple(out)


def _real_keys(keys):
    """Sort keys with each complex key split into its real and imaginary parts: complex
    numbers sort lexicographically, as in JAX and NumPy."""
    from fx.lax.complex import imag, real
    out = []
    for key in keys:
        out += [real(key), imag(key)] if dtypes.is_complex(get_aval(key).dtype) else [key]
    return out


# ---------------------------------------------------------------------------- top_k

top_k_p = Primitive("top_k", multiple_results=True)


def _top_k_impl(x, *, k, axis):
    order = np.argsort(~_order_key(x, canonical=False), axis=axis, kind="stable")
    indices = np.take(order, np.arange(k), axis=axis)
    return [np.take_along_axis(x, indices, axis), indices.astype(np.int32)]


def _top_k_abstract_eval(x, *, k, axis):
    if not 0 <= axis < x.ndim:
        raise ValueError(f"top_k: axis {axis} is out of bounds for {x.str_short()}")
    if not 0 <= k <= x.shape[axis]:
        raise ValueError(f"top_k: k must be in [0, {x.shape[axis]}] (the size of axis {axis} "
                         f"of {x.str_short()}), got {k}")
    shape = x.shape[:axis] + (k,) + x.shape[axis + 1:]
    return [x.update(shape=shape), x.update(shape=shape, dtype=np.dtype(np.int32), weak_type=False)]


def _top_k_jvp(primals, tangents, *, k, axis):
    (x,), (t,) = primals, tangents
    values, indices = top_k_p.bind(x, k=k, axis=axis)
    t_values = Zero(tangent_aval(get_aval(values))) if type(t) is Zero else gather_along(t, indices, axis)
    return [values, indices], [t_values, Zero(get_aval(indices))]


def _top_k_batch(args, dims, *, k, axis):
    (x,), (d,) = args, dims
    return top_k_p.bind(moveaxis(x, d, 0), k=k, axis=axis + 1), [0, 0]


top_k_p.impl = _top_k_impl
top_k_p.abstract_eval = _top_k_abstract_eval
top_k_p.jvp = _top_k_jvp
top_k_p.batch = _top_k_batch


def top_k(operand, k, *, axis=-1):
    """(values, int32 indices) of the k largest entries along `axis`, largest first and
    the lower index first among equals (JAX's lax.top_k)."""
    operand = _as_operand(operand)
    ndim = get_aval(operand).ndim
    axis = canonicalize_axis(axis, ndim, "top_k axis")
    if not isinstance(k, (int, np.integer)):
        raise TypeError(f"top_k: k must be a Python int, got {type(k).__name__}")
    values, indices = top_k_p.bind(operand, k=int(k), axis=int(axis) % ndim)
    return values, indices


# ---------------------------------------------------------------------------- lowering

def _emit_sort(ctx, operands, axis, num_keys, **flags):
    """Buffers holding `operands` sorted by a `Sort` statement."""
    from fx.ir import kernels as K
    shape = operands[0].shape
    outs = [ctx.new_buffer(shape, o.dtype) for o in operands]
    index = K.loop_index(len(shape))
    ctx.emit(K.Sort("", outs, [ctx.materialize_if_expensive(o).at(index) for o in operands], axis,
                    num_keys, **flags))
    return outs


def _lower_sort(ctx, *operands, dimension, is_stable, num_keys):
    from fx.ir.lower import BufferValue
    return [BufferValue(b) for b in _emit_sort(ctx, operands, dimension, num_keys)]


def _lower_top_k(ctx, x, *, k, axis):
    from fx.ir.lower import BufferValue
    iota = ctx.inline(x.shape, np.int32, lambda idx: _iota_expr(idx[axis]))
    outs = _emit_sort(ctx, [x, iota], axis, 1, descending=True, canonical=False)
    shape = x.shape[:axis] + (k,) + x.shape[axis + 1:]
    return [ctx.inline(shape, b.dtype, BufferValue(b).at) for b in outs]


def _iota_expr(i):
    from fx.ir import kernels as K
    return K.IndexValue(np.dtype(np.int32), i)


sort_p.lower = _lower_sort
top_k_p.lower = _lower_top_k


# ---------------------------------------------------------------------------- examples

def _sort_reference(*operands, dimension, is_stable, num_keys):
    """Sort by Python's own stable sort of each line, keyed by tuples (NaN last, -0.0 == 0.0)."""
    def key(v):
        v = v.item()
        return (1, 0) if v != v else (0, v)
    moved = [np.moveaxis(x, dimension, -1) for x in operands]
    outs = [np.empty_like(m) for m in moved]
    for line in np.ndindex(*moved[0].shape[:-1]):
        order = sorted(range(moved[0].shape[-1]),
                       key=lambda p: tuple(key(m[line + (p,)]) for m in moved[:num_keys]))
        for o, m in zip(outs, moved):
            o[line] = m[line][order]
    return [np.moveaxis(o, -1, dimension) for o in outs]


def _top_k_reference(x, *, k, axis):
    def key(v):  # total order: by NaN-ness and sign first, then value
        v = v.item()
        if v != v:
            return (2 if not np.signbit(v) else -2, 0)
        return (0, v, not np.signbit(v)) if isinstance(v, float) else (0, v)
    moved = np.moveaxis(x, axis, -1)
    values = np.empty(moved.shape[:-1] + (k,), x.dtype)
    indices = np.empty(values.shape, np.int32)
    for line in np.ndindex(*moved.shape[:-1]):
        order = sorted(range(moved.shape[-1]), key=lambda p: key(moved[line + (p,)]), reverse=True)
        # Python's reverse sort keeps equal elements in their original order
        values[line], indices[line] = moved[line][order[:k]], order[:k]
    return [np.moveaxis(values, -1, axis), np.moveaxis(indices, -1, axis)]


_edges = np.array([[0.0, -0.0, 1.5, np.nan, -np.nan, -1.0, -0.0, 0.0, -np.inf, np.inf, 1.5]])
_ties = np.array([[3, 1, 2, 1, 3, 0], [2, 2, 2, 1, 1, 1]], np.int32)

for _axis in (0, 1, 2):
    example(sort_p, randn(3, 4, 5, seed=40), params=dict(dimension=_axis, is_stable=True, num_keys=1),
            reference=_sort_reference, name=f"axis{_axis}")
example(sort_p, _edges, params=dict(dimension=1, is_stable=True, num_keys=1),
        reference=_sort_reference, diff_argnums=(), name="nan_and_zeros")
example(sort_p, _edges, np.arange(11.0).reshape(1, 11), params=dict(dimension=1, is_stable=True, num_keys=1),
        reference=_sort_reference, diff_argnums=(1,), name="nan_and_zeros_carry")
example(sort_p, _ties, randn(2, 6, seed=41), params=dict(dimension=1, is_stable=True, num_keys=1),
        reference=_sort_reference, name="int_keys_ties")
example(sort_p, _ties, np.array([[1, 0, 1, 1, 0, 0], [0, 1, 0, 1, 0, 1]], bool), randn(2, 6, seed=42),
        params=dict(dimension=1, is_stable=True, num_keys=2), reference=_sort_reference,
        name="two_keys")
example(sort_p, np.array([[True, False, True, False]]), np.array([[4, 3, 2, 1]], np.uint32),
        params=dict(dimension=1, is_stable=True, num_keys=1), reference=_sort_reference, name="bool")
example(sort_p, randn(37, seed=43).astype(np.float32), params=dict(dimension=0, is_stable=True, num_keys=1),
        reference=_sort_reference, name="float32_odd_length")
example(sort_p, np.array([2**40, -5, 2**40 - 1, -(2**40)], np.int64),
        params=dict(dimension=0, is_stable=True, num_keys=1), reference=_sort_reference, name="int64")

example(top_k_p, randn(3, 7, seed=44), params=dict(k=3, axis=1), reference=_top_k_reference)
example(top_k_p, randn(6, 2, seed=45), params=dict(k=6, axis=0), reference=_top_k_reference, name="all")
example(top_k_p, _edges, params=dict(k=11, axis=1), reference=_top_k_reference, diff_argnums=(),
        name="nan_and_zeros")
example(top_k_p, _ties, params=dict(k=4, axis=1), reference=_top_k_reference, name="int_ties")
