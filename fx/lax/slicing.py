"""Windows into arrays and their inverses: slice, pad, concatenate, dynamic_slice,
dynamic_update_slice, and iota (the index array that batching rules build on).

They live together because each linear one transposes into another of the family
(slice <-> pad, dynamic_slice <-> dynamic_update_slice, concatenate -> slices), so reverse
mode never leaves this file. Dynamic start indices are scalar integer operands, clamped so
the window stays inside the array (JAX's semantics: generated code never reads or writes
out of bounds). When vmap gives every example its own start indices, the batched window
is a gather or scatter (fx/lax/indexing.py), as in JAX.
"""
from __future__ import annotations

import builtins

import numpy as np

from fx import dtypes
from fx.core import Primitive, ShapedArray, UndefinedPrimal, get_aval
from fx.argcheck import array_sequence, canonicalize_shape, entries, index, int_tuple, describe
from fx.lax.examples import example, randn
from fx.transforms.batching import axis_size_of, bdim_at_front
from fx.transforms.jvp import defjvp_zero, deflinear, zeros_like_aval


def _lax():
    from fx import lax
    return lax


def _aval(x):
    return x.aval if isinstance(x, UndefinedPrimal) else get_aval(x)


def _zero_scalar(dtype):
    return zeros_like_aval(ShapedArray((), dtype))


def _insert(seq, i, value):
    return tuple(seq[:i]) + (value,) + tuple(seq[i:])


# ---------------------------------------------------------------------------- slice

slice_p = Primitive("slice")


def _slice_abstract_eval(x, *, start_indices, limit_indices, strides):
    if not len(start_indices) == len(limit_indices) == len(strides) == x.ndim:
        raise TypeError(f"slice: {x.str_short()} needs {x.ndim} start indices, limit indices "
                        f"and strides, got {start_indices}, {limit_indices}, {strides}")
    for d, (s, lim, st, n) in enumerate(zip(start_indices, limit_indices, strides, x.shape)):
        if not 0 <= s <= lim <= n or st < 1:
            raise ValueError(f"slice: cannot slice dimension {d} of {x.str_short()} from {s} to "
                             f"{lim} with stride {st}; expected 0 <= start <= limit <= {n} and "
                             "stride >= 1")
    return x.update(shape=tuple(-(-(lim - s) // st)
                                for s, lim, st in zip(start_indices, limit_indices, strides)))


def _slice_impl(x, *, start_indices, limit_indices, strides):
    return x[tuple(map(builtins.slice, start_indices, limit_indices, strides))]


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides):
    # Put each element back where it came from: pad below to the start, between elements
    # by stride - 1, and above to the operand's size.
    out_shape = get_aval(ct).shape
    config = tuple((s, n - s - (0 if m == 0 else (m - 1) * st + 1), st - 1)
                   for s, st, n, m in zip(start_indices, strides, x.aval.shape, out_shape))
    return [pad_p.bind(ct, _zero_scalar(x.aval.dtype), padding_config=config)]


def _slice_batch(args, dims, *, start_indices, limit_indices, strides):
    (x,), (d,) = args, dims
    return slice_p.bind(x, start_indices=_insert(start_indices, d, 0),
                        limit_indices=_insert(limit_indices, d, x.shape[d]),
                        strides=_insert(strides, d, 1)), d


slice_p.impl = _slice_impl
slice_p.abstract_eval = _slice_abstract_eval
deflinear(slice_p, _slice_transpose)
slice_p.batch = _slice_batch


def slice(operand, start_indices, limit_indices, strides=None):
    """operand[start:limit:stride] along every axis (JAX's lax.slice)."""
    start_indices = int_tuple(start_indices, "slice start_indices")
    strides = (1,) * len(start_indices) if strides is None else int_tuple(strides, "slice strides")
    return slice_p.bind(operand, start_indices=start_indices,
                        limit_indices=int_tuple(limit_indices, "slice limit_indices"), strides=strides)


def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
    """operand[start:limit:stride] along `axis` only (JAX's lax.slice_in_dim; a None start
    or limit is the axis's start or end, a negative one counts from the end)."""
    from fx.core import get_aval
    shape = get_aval(operand).shape
    axis = axis % len(shape)
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    start = 0 if start_index is None else start_index
    limit = shape[axis] if limit_index is None else limit_index
    starts[axis] = start + shape[axis] if isinstance(start, int) and start < 0 else start
    limits[axis] = limit + shape[axis] if isinstance(limit, int) and limit < 0 else limit
    strides[axis] = stride
    return slice(operand, starts, limits, strides)


# ---------------------------------------------------------------------------- pad

pad_p = Primitive("pad")


def _dilated_size(n, interior):
    return 0 if n == 0 else (n - 1) * (interior + 1) + 1


def _pad_abstract_eval(x, padding_value, *, padding_config):
    if padding_value.shape != () or padding_value.dtype != x.dtype:
        raise TypeError(f"pad: padding_value must be a scalar of the operand's dtype "
                        f"{dtypes.short_name(x.dtype)}, got {padding_value.str_short()}")
    if len(padding_config) != x.ndim or any(len(c) != 3 for c in padding_config):
        raise TypeError(f"pad: {x.str_short()} needs one (low, high, interior) triple per "
                        f"axis, got padding_config={padding_config}")
    if any(interior < 0 for _, _, interior in padding_config):
        raise ValueError(f"pad: interior padding must be >= 0, got padding_config={padding_config}")
    shape = tuple(lo + hi + _dilated_size(n, interior)
                  for (lo, hi, interior), n in zip(padding_config, x.shape))
    if any(n < 0 for n in shape):
        raise ValueError(f"pad: padding_config={padding_config} crops {x.str_short()} to the "
                         f"negative shape {shape}")
    return ShapedArray(shape, x.dtype, x.weak_type and padding_value.weak_type)


def _pad_impl(x, padding_value, *, padding_config):
    # Pad by the non-negative parts of (low, high), then crop by the negative parts.
    grown = [max(lo, 0) + max(hi, 0) + _dilated_size(n, interior)
             for (lo, hi, interior), n in zip(padding_config, x.shape)]
    out = np.full(grown, padding_value, x.dtype)
    out[tuple(builtins.slice(max(lo, 0), max(lo, 0) + _dilated_size(n, i), i + 1)
              for (lo, _, i), n in zip(padding_config, x.shape))] = x
    return out[tuple(builtins.slice(max(-lo, 0), g - max(-hi, 0))
                     for (lo, hi, _), g in zip(padding_config, grown))]


def _pad_transpose(ct, x, padding_value, *, padding_config):
    lax = _lax()
    dtype = get_aval(ct).dtype
    # Undo low/high (restoring cropped elements as zeros), then take every (interior+1)-th.
    unpadded = pad_p.bind(ct, _zero_scalar(dtype),
                          padding_config=tuple((-lo, -hi, 0) for lo, hi, _ in padding_config))
    shape = get_aval(unpadded).shape
    x_ct = slice_p.bind(unpadded, start_indices=(0,) * len(shape), limit_indices=shape,
                        strides=tuple(interior + 1 for _, _, interior in padding_config))
    value_ct = None
    if isinstance(padding_value, UndefinedPrimal):  # everything that did not come from x
        axes = tuple(range(len(shape)))
        value_ct = lax.sub(lax.reduce_sum(ct, axes), lax.reduce_sum(x_ct, axes))
    return [x_ct if isinstance(x, UndefinedPrimal) else None, value_ct]


def _pad_batch(args, dims, *, padding_config):
    lax = _lax()
    (x, padding_value), (xd, vd) = args, dims
    if vd is None:
        return pad_p.bind(x, padding_value, padding_config=_insert(padding_config, xd, (0, 0, 0))), xd
    # One padding value per example: pad with zeros, then select the values where a mask
    # padded the same way says "padding".
    x = bdim_at_front(x, xd, axis_size_of(args, dims))
    config = ((0, 0, 0),) + tuple(padding_config)
    padded = pad_p.bind(x, _zero_scalar(get_aval(x).dtype), padding_config=config)
    out_shape = get_aval(padded).shape
    mask = pad_p.bind(lax.full(get_aval(x).shape, True, dtypes.bool_), _zero_scalar(dtypes.bool_),
                      padding_config=config)
    values = lax.broadcast_in_dim(padding_value, out_shape, (0,))
    return lax.select(mask, padded, values), 0


pad_p.impl = _pad_impl
pad_p.abstract_eval = _pad_abstract_eval
deflinear(pad_p, _pad_transpose)
pad_p.batch = _pad_batch


def pad(operand, padding_value, padding_config):
    """Pad each axis by (low, high, interior); negative low/high crop (JAX's lax.pad)."""
    padding_value = _lax()._as_operand(padding_value, like=operand)
    config = tuple(int_tuple(c, "each (low, high, interior) of padding_config")
                   for c in entries(padding_config, "padding_config"))
    if any(len(c) != 3 for c in config):
        raise TypeError(f"pad: padding_config must hold one (low, high, interior) triple per axis, "
                        f"got {describe(padding_config)}")
    return pad_p.bind(operand, padding_value, padding_config=config)


# ---------------------------------------------------------------------------- concatenate

concatenate_p = Primitive("concatenate")


def _concatenate_abstract_eval(*xs, dimension):
    if not xs:
        raise TypeError("concatenate needs at least one operand")
    first = xs[0]
    if not 0 <= dimension < first.ndim:
        raise ValueError(f"concatenate: dimension {dimension} is not an axis of {first.str_short()}")
    if any(x.dtype != first.dtype or x.ndim != first.ndim
           or x.shape[:dimension] + x.shape[dimension + 1:]
           != first.shape[:dimension] + first.shape[dimension + 1:] for x in xs):
        raise TypeError(f"concatenate: operands must have one dtype and equal shapes except along "
                        f"dimension {dimension}, got {', '.join(x.str_short() for x in xs)}")
    shape = _insert(first.shape[:dimension] + first.shape[dimension + 1:], dimension,
                    sum(x.shape[dimension] for x in xs))
    return ShapedArray(shape, first.dtype, all(x.weak_type for x in xs))


def _concatenate_transpose(ct, *xs, dimension):
    shape = get_aval(ct).shape
    cts, start = [], 0
    for x in xs:
        limit = start + _aval(x).shape[dimension]
        if isinstance(x, UndefinedPrimal):
            starts = tuple(start if i == dimension else 0 for i in range(len(shape)))
            limits = tuple(limit if i == dimension else n for i, n in enumerate(shape))
            cts.append(slice_p.bind(ct, start_indices=starts, limit_indices=limits,
                                    strides=(1,) * len(shape)))
        else:
            cts.append(None)
        start = limit
    return cts


def _concatenate_batch(args, dims, *, dimension):
    size = axis_size_of(args, dims)
    xs = [bdim_at_front(x, d, size) for x, d in zip(args, dims)]
    return concatenate_p.bind(*xs, dimension=dimension + 1), 0


concatenate_p.impl = lambda *xs, dimension: np.concatenate(xs, axis=dimension)
concatenate_p.abstract_eval = _concatenate_abstract_eval
deflinear(concatenate_p, _concatenate_transpose)
concatenate_p.batch = _concatenate_batch


def concatenate(operands, dimension):
    """Join arrays along an existing axis (JAX's lax.concatenate)."""
    operands = list(array_sequence(operands, "concatenate operands"))
    dimension = index(dimension, "concatenate dimension")
    if len(operands) == 1:
        return operands[0]
    return concatenate_p.bind(*operands, dimension=dimension)


# ---------------------------------------------------------------------------- iota

iota_p = Primitive("iota")


def _iota_abstract_eval(*, dtype, shape, dimension):
    if dtypes.is_bool(dtype) or any(n < 0 for n in shape) or not 0 <= dimension < len(shape):
        raise TypeError(f"iota: needs a numeric dtype, a non-negative shape and an axis of it; got "
                        f"dtype={dtype}, shape={shape}, dimension={dimension}")
    return ShapedArray(shape, dtype)


def _iota_impl(*, dtype, shape, dimension):
    counts = np.arange(shape[dimension], dtype=dtype)
    return np.broadcast_to(counts.reshape([-1 if i == dimension else 1 for i in range(len(shape))]),
                           shape)


iota_p.impl = _iota_impl
iota_p.abstract_eval = _iota_abstract_eval
defjvp_zero(iota_p)  # no operands, so nothing to batch either


def broadcasted_iota(dtype, shape, dimension):
    """An array of `shape` counting 0, 1, ... along `dimension` (JAX's lax.broadcasted_iota)."""
    shape = canonicalize_shape(shape, "broadcasted_iota shape")
    return iota_p.bind(dtype=dtypes.canonicalize_dtype(dtype), shape=shape,
                       dimension=index(dimension, "broadcasted_iota dimension"))


def iota(dtype, size):
    """0, 1, ..., size - 1 (JAX's lax.iota)."""
    return broadcasted_iota(dtype, (size,), 0)


# ---------------------------------------------------------------------------- dynamic_slice

dynamic_slice_p = Primitive("dynamic_slice")


def _check_start_indices(name, x, starts):
    if len(starts) != x.ndim or any(s.shape != () or not dtypes.is_integer(s.dtype) for s in starts):
        raise TypeError(f"{name}: {x.str_short()} needs {x.ndim} scalar integer start indices, "
                        f"got ({', '.join(s.str_short() for s in starts)})")


def _check_window(name, x, sizes):
    if len(sizes) != x.ndim or any(not 0 <= k <= n for k, n in zip(sizes, x.shape)):
        raise ValueError(f"{name}: window of shape {tuple(sizes)} does not fit in {x.str_short()}")


def _clamped_window(starts, shape, sizes):
    """The window's slices, each start moved into [0, n - size] so that the window fits."""
    starts = [min(max(int(s), 0), n - k) for s, n, k in zip(starts, shape, sizes)]
    return tuple(builtins.slice(s, s + k) for s, k in zip(starts, sizes))


def _dynamic_slice_abstract_eval(x, *starts, slice_sizes):
    _check_start_indices("dynamic_slice", x, starts)
    _check_window("dynamic_slice", x, slice_sizes)
    return x.update(shape=slice_sizes)


def _dynamic_slice_impl(x, *starts, slice_sizes):
    return x[_clamped_window(starts, x.shape, slice_sizes)]


def _dynamic_slice_transpose(ct, x, *starts, slice_sizes):
    zeros = zeros_like_aval(x.aval)
    return [dynamic_update_slice_p.bind(zeros, ct, *starts)] + [None] * len(starts)


def _index_vector(starts, dims, size):
    """The scalar start indices, some batched, stacked into one [size, n] index array."""
    lax = _lax()
    dtype = dtypes.int64 if any(get_aval(s).dtype.itemsize == 8 for s in starts) else dtypes.int32
    columns = [lax.broadcast_in_dim(lax.convert_element_type(s, dtype), (size, 1),
                                    () if d is None else (0,)) for s, d in zip(starts, dims)]
    return concatenate(columns, 1)


def _dynamic_slice_batch(args, dims, *, slice_sizes):
    (x, *starts), (xd, *start_dims) = args, dims
    if all(d is None for d in start_dims):  # one window position for all: slice the batch axis whole
        return dynamic_slice_p.bind(x, *_insert(starts, xd, np.int32(0)),
                                    slice_sizes=_insert(slice_sizes, xd, x.shape[xd])), xd
    from fx.lax import indexing
    n = len(starts)
    index = _index_vector(starts, start_dims, axis_size_of(args, dims))
    dnums = indexing.GatherDimensionNumbers(offset_dims=tuple(range(n)), collapsed_slice_dims=(),
                                            start_index_map=tuple(range(n)))
    return indexing.gather_p.batch((x, index), (xd, 0), dimension_numbers=dnums,
                                   slice_sizes=slice_sizes, mode="clip", fill_value=None)


dynamic_slice_p.impl = _dynamic_slice_impl
dynamic_slice_p.abstract_eval = _dynamic_slice_abstract_eval
deflinear(dynamic_slice_p, _dynamic_slice_transpose, linear_argnums=(0,))
dynamic_slice_p.batch = _dynamic_slice_batch


def _start_indices(name, operand, start_indices):
    """JAX's convention: a negative start counts from the end (the primitive then clamps)."""
    lax = _lax()
    shape = get_aval(operand).shape
    if not isinstance(start_indices, (list, tuple)):  # one 1-D array of starts
        if get_aval(start_indices).ndim != 1:
            raise TypeError(f"{name}: start_indices must be a sequence of {len(shape)} scalar indices "
                            f"or a 1-D array of them, got {type(start_indices).__name__} "
                            f"{describe(start_indices)}")
        start_indices = [lax.reshape(slice(start_indices, (i,), (i + 1,)), ())
                         for i in range(get_aval(start_indices).shape[0])]
    if len(start_indices) != len(shape):
        raise TypeError(f"{name}: {len(start_indices)} start indices given for an operand of "
                        f"shape {shape}")

    def wrap(i, n):
        if isinstance(i, (int, np.integer)):
            return np.asarray(i + n if i < 0 else i, dtypes.default_int_dtype())
        if not dtypes.is_integer(get_aval(i).dtype):
            return i  # the primitive's type rule says what was expected
        return lax.select(lax.lt(i, 0), lax.add(i, n), i)
    return list(map(wrap, start_indices, shape))


def dynamic_slice(operand, start_indices, slice_sizes):
    """The window of `slice_sizes` at traced `start_indices`, clamped to fit
    (JAX's lax.dynamic_slice)."""
    return dynamic_slice_p.bind(operand, *_start_indices("dynamic_slice", operand, start_indices),
                                slice_sizes=canonicalize_shape(slice_sizes, "dynamic_slice slice_sizes"))


# ---------------------------------------------------------------------------- dynamic_update_slice

dynamic_update_slice_p = Primitive("dynamic_update_slice")


def _dus_abstract_eval(x, update, *starts):
    _check_start_indices("dynamic_update_slice", x, starts)
    if update.dtype != x.dtype or update.ndim != x.ndim:
        raise TypeError(f"dynamic_update_slice: update must have the operand's dtype and rank, "
                        f"got {update.str_short()} for operand {x.str_short()}")
    _check_window("dynamic_update_slice", x, update.shape)
    return x.update(weak_type=all(a.weak_type for a in (x, update) + starts))


def _dus_impl(x, update, *starts):
    out = x.copy()
    out[_clamped_window(starts, x.shape, update.shape)] = update
    return out


def _dus_transpose(ct, x, update, *starts):
    update_aval = _aval(update)
    x_ct = (dynamic_update_slice_p.bind(ct, zeros_like_aval(update_aval), *starts)
            if isinstance(x, UndefinedPrimal) else None)
    update_ct = (dynamic_slice_p.bind(ct, *starts, slice_sizes=update_aval.shape)
                 if isinstance(update, UndefinedPrimal) else None)
    return [x_ct, update_ct] + [None] * len(starts)


def _dus_batch(args, dims):
    (x, update, *starts), (xd, ud, *start_dims) = args, dims
    size = axis_size_of(args, dims)
    x, update = bdim_at_front(x, xd, size), bdim_at_front(update, ud, size)
    if all(d is None for d in start_dims):
        return dynamic_update_slice_p.bind(x, update, np.int32(0), *starts), 0
    from fx.lax import indexing
    n = len(starts)
    index = _index_vector(starts, start_dims, size)
    dnums = indexing.ScatterDimensionNumbers(update_window_dims=tuple(range(n)),
                                             inserted_window_dims=(),
                                             scatter_dims_to_operand_dims=tuple(range(n)))
    return indexing.scatter_p.batch((x, index, update), (0, 0, 0), dimension_numbers=dnums,
                                    mode="clip")


dynamic_update_slice_p.impl = _dus_impl
dynamic_update_slice_p.abstract_eval = _dus_abstract_eval
deflinear(dynamic_update_slice_p, _dus_transpose, linear_argnums=(0, 1))
dynamic_update_slice_p.batch = _dus_batch


def dynamic_update_slice(operand, update, start_indices):
    """operand with `update` written at traced `start_indices`, clamped to fit
    (JAX's lax.dynamic_update_slice)."""
    return dynamic_update_slice_p.bind(operand, update,
                                       *_start_indices("dynamic_update_slice", operand, start_indices))


# ---------------------------------------------------------------------------- examples

# ---------------------------------------------------------------------------- rev

rev_p = Primitive("rev")


def _rev_abstract_eval(x, *, dimensions):
    if len(set(dimensions)) != len(dimensions) or any(not 0 <= d < x.ndim for d in dimensions):
        raise TypeError(f"rev: dimensions {dimensions} are not distinct axes of {x.str_short()}")
    return x


rev_p.impl = lambda x, *, dimensions: np.flip(x, dimensions) if dimensions else x
rev_p.abstract_eval = _rev_abstract_eval
deflinear(rev_p, lambda ct, x, *, dimensions: [rev(ct, dimensions)])
rev_p.batch = lambda args, dims, *, dimensions: (
    rev(args[0], tuple(d + (d >= dims[0]) for d in dimensions)), dims[0])


def rev(operand, dimensions):
    """operand reversed along `dimensions` (JAX's lax.rev)."""
    return rev_p.bind(operand, dimensions=tuple(sorted(int_tuple(dimensions, "rev dimensions"))))


# ---------------------------------------------------------------------------- lowering
# Each window op is an index map; positions outside the source become selects.

_I64 = np.dtype(np.int64)


def _index_value(i):
    from fx.ir import kernels as K
    return K.IndexValue(_I64, i)


def _all(conds):
    from fx.ir import kernels as K
    out = None
    for c in conds:
        out = c if out is None else K.op("and", out, c)
    return out


def _in_range(i, lo, hi):
    """The boolean expression lo <= i < hi, for an index expression i."""
    from fx.ir import kernels as K
    v = _index_value(i)
    return K.op("and", K.op("ge", v, K.const(lo, _I64), dtype=np.bool_),
                K.op("lt", v, K.const(hi, _I64), dtype=np.bool_))


def _lower_slice(ctx, x, *, start_indices, limit_indices, strides):
    from fx.ir import kernels as K
    shape = ctx.out_avals[0].shape
    return ctx.inline(shape, x.dtype, lambda idx: x.at(tuple(
        K.iadd(K.imul(i, st), K.IConst(s)) for i, s, st in zip(idx, start_indices, strides))), [x])


def _lower_pad(ctx, x, padding_value, *, padding_config):
    from fx.ir import kernels as K
    shape = ctx.out_avals[0].shape

    def fn(idx):
        src, conds = [], []
        for o, (lo, _, interior), n, out_n in zip(idx, padding_config, x.shape, shape):
            t, step = K.iadd(o, K.IConst(-lo)), interior + 1
            src.append(K.iclamp(K.idiv(t, step), 0, builtins.max(n - 1, 0)))
            if not (lo <= 0 and out_n - 1 - lo <= (n - 1) * step and step == 1):
                cond = _in_range(t, 0, _dilated_size(n, interior))
                if step > 1:
                    cond = K.op("and", cond, K.op("eq", K.op("rem", _index_value(t), K.const(step, _I64)),
                                                  K.const(0, _I64), dtype=np.bool_))
                conds.append(cond)
        fill = padding_value.at(())
        if any(n == 0 for n in x.shape):
            return fill
        inside = _all(conds)
        return x.at(tuple(src)) if inside is None else K.op("select", inside, x.at(tuple(src)), fill)
    return ctx.inline(shape, x.dtype, fn, [x, padding_value])


def _lower_concatenate(ctx, *xs, dimension):
    from fx.ir import kernels as K
    shape = ctx.out_avals[0].shape
    offsets = np.cumsum([0] + [x.shape[dimension] for x in xs])

    def fn(idx):
        def part(j):
            i = K.iclamp(K.iadd(idx[dimension], K.IConst(-int(offsets[j]))), 0, xs[j].shape[dimension] - 1)
            return xs[j].at(idx[:dimension] + (i,) + idx[dimension + 1:])
        parts = [j for j, x in enumerate(xs) if x.shape[dimension] > 0]
        out = part(parts[-1])
        for j in reversed(parts[:-1]):
            below = K.op("lt", _index_value(idx[dimension]), K.const(int(offsets[j + 1]), _I64),
                         dtype=np.bool_)
            out = K.op("select", below, part(j), out)
        return out
    return ctx.inline(shape, xs[0].dtype, fn, xs)


def _lower_iota(ctx, *, dtype, shape, dimension):
    from fx.ir import kernels as K
    return ctx.inline(shape, dtype, lambda idx: K.IndexValue(np.dtype(dtype), idx[dimension]))


def _clamped_starts(starts, shape, sizes):
    from fx.ir import kernels as K
    return [K.iclamp(K.IFromExpr(s.at(())), 0, n - k) for s, n, k in zip(starts, shape, sizes)]


def _lower_dynamic_slice(ctx, x, *starts, slice_sizes):
    from fx.ir import kernels as K

    def fn(idx):
        return x.at(tuple(K.iadd(s, i) for s, i in zip(_clamped_starts(starts, x.shape, slice_sizes), idx)))
    return ctx.inline(tuple(slice_sizes), x.dtype, fn, [x, *starts])


def _lower_dynamic_update_slice(ctx, x, update, *starts):
    from fx.ir import kernels as K

    def fn(idx):
        begin = _clamped_starts(starts, x.shape, update.shape)
        rel = [K.iadd(i, K.imul(s, -1)) for i, s in zip(idx, begin)]
        inside = _all(_in_range(r, 0, k) for r, k in zip(rel, update.shape))
        src = tuple(K.iclamp(r, 0, builtins.max(k - 1, 0)) for r, k in zip(rel, update.shape))
        if update.shape and 0 in update.shape:
            return x.at(idx)
        if inside is None:
            return update.at(src)
        return K.op("select", inside, update.at(src), x.at(idx))
    return ctx.inline(x.shape, x.dtype, fn, [x, update, *starts])


def _lower_rev(ctx, x, *, dimensions):
    from fx.ir import kernels as K
    return ctx.inline(x.shape, x.dtype, lambda idx: x.at(tuple(
        K.iadd(K.IConst(n - 1), K.imul(i, -1)) if d in dimensions else i
        for d, (i, n) in enumerate(zip(idx, x.shape)))), [x])


rev_p.lower = _lower_rev
slice_p.lower = _lower_slice
pad_p.lower = _lower_pad
concatenate_p.lower = _lower_concatenate
iota_p.lower = _lower_iota
dynamic_slice_p.lower = _lower_dynamic_slice
dynamic_update_slice_p.lower = _lower_dynamic_update_slice


def _pad_reference(x, padding_value, *, padding_config):
    """Per axis: output position p holds x[q // (interior+1)] where q = p - low is a
    non-negative multiple of interior+1 inside the dilated operand, else padding."""
    out = np.asarray(x)
    for axis, (lo, hi, interior) in enumerate(padding_config):
        n = out.shape[axis]
        q = np.arange(lo + hi + _dilated_size(n, interior)) - lo
        hit = (q >= 0) & (q % (interior + 1) == 0) & (q // (interior + 1) < n)
        taken = np.take(out, np.where(hit, q // (interior + 1), 0), axis=axis)
        mask = hit.reshape([-1 if i == axis else 1 for i in range(out.ndim)])
        out = np.where(mask, taken, padding_value)
    return out


_x = randn(5, 6, seed=20)
example(slice_p, _x, params=dict(start_indices=(1, 0), limit_indices=(5, 5), strides=(2, 3)),
        reference=lambda x, **_: x[1:5:2, 0:5:3], linear_argnums=(0,))
example(slice_p, _x, params=dict(start_indices=(2, 3), limit_indices=(4, 3), strides=(1, 1)),
        reference=lambda x, **_: x[2:4, 3:3], linear_argnums=(0,), name="empty")
example(pad_p, randn(3, 4, seed=21), np.array(0.5),
        params=dict(padding_config=((1, 2, 1), (-1, 0, 2))),
        reference=_pad_reference, linear_argnums=(0, 1))
example(pad_p, np.arange(1.0, 6.0), np.array(-1.0), params=dict(padding_config=((-2, -1, 2),)),
        reference=_pad_reference, linear_argnums=(0, 1), name="crop_into_interior")
example(concatenate_p, randn(2, 3, seed=22), randn(2, 1, seed=23), randn(2, 4, seed=24),
        params=dict(dimension=1), reference=lambda *xs, dimension: np.concatenate(xs, dimension),
        linear_argnums=(0, 1, 2))
example(iota_p, params=dict(dtype=np.dtype("int32"), shape=(2, 3), dimension=1),
        reference=lambda **_: np.array([[0, 1, 2]] * 2, np.int32))
example(iota_p, params=dict(dtype=np.dtype("float64"), shape=(4,), dimension=0),
        reference=lambda **_: np.arange(4.0))
example(dynamic_slice_p, _x, np.array(1, np.int32), np.array(4, np.int32),
        params=dict(slice_sizes=(2, 3)),
        reference=lambda x, i, j, slice_sizes: x[1:3, 3:6], linear_argnums=(0,))
example(dynamic_slice_p, _x, np.array(-3, np.int32), np.array(9, np.int32),
        params=dict(slice_sizes=(5, 2)),
        reference=lambda x, i, j, slice_sizes: x[:, 4:6], linear_argnums=(0,), name="clamped")
example(dynamic_update_slice_p, _x, randn(2, 3, seed=25), np.array(4, np.int32),
        np.array(-1, np.int32),
        reference=lambda x, u, i, j: np.concatenate([x[:3], np.c_[u, x[3:, 3:]]]),
        linear_argnums=(0, 1), name="clamped")
example(dynamic_update_slice_p, _x, randn(3, 2, seed=26), np.array(1, np.int32),
        np.array(2, np.int32),
        reference=lambda x, u, i, j: np.where(np.pad(np.ones((3, 2), bool), ((1, 1), (2, 2))),
                                              np.pad(u, ((1, 1), (2, 2))), x),
        linear_argnums=(0, 1))
example(rev_p, randn(3, 4, seed=31), params=dict(dimensions=(0, 1)),
        reference=lambda x, dimensions: np.flip(x, dimensions), linear_argnums=(0,))
example(rev_p, randn(2, 3, 4, seed=32), params=dict(dimensions=(1,)),
        reference=lambda x, dimensions: np.flip(x, dimensions), linear_argnums=(0,))

