"""Gather and scatter: XLA's general indexing, with JAX's dimension numbers.

Every integer-array index (x[idx], x[:, idx], x[i, j], and x.at[...].add/.set) is one of
these three primitives, so fx.numpy's indexing needs no rules of its own. The indices'
last axis holds each window's start index vector (JAX's index_vector_dim). A start that
is out of bounds is clamped so the window fits ("clip"), or marks its whole window out of
bounds: a gather fills it with fill_value ("fill"), a scatter drops it ("drop").

gather and scatter_add transpose into each other. scatter (overwrite) is linear jointly
in operand and updates; its own transpose assumes unique indices, as JAX's does, but its
JVP (JAX's scheme) masks the tangents by which window wrote last, so that derivatives in
both directions are right even where windows overlap. One helper, `_operand_positions`,
turns (indices, dimension numbers, window sizes) into the operand position of every
output element; all three NumPy impls are built on it.
"""
from __future__ import annotations

import enum
from typing import NamedTuple

import numpy as np

from fx import dtypes
from fx.core import Primitive, UndefinedPrimal, Zero, get_aval, tangent_aval
from fx.argcheck import canonicalize_shape, int_tuple, scalar_value, describe
from fx.lax.examples import example, randn
from fx.lax.slicing import broadcasted_iota, concatenate, iota
from fx.transforms.batching import axis_size_of, bdim_at_front, moveaxis
from fx.transforms.jvp import add_tangents, deflinear, instantiate, zeros_like_aval


class GatherDimensionNumbers(NamedTuple):
    """offset_dims: the output axes holding the window, one per operand axis not collapsed;
    collapsed_slice_dims: operand axes of window size 1 that the output leaves out;
    start_index_map: the operand axis that each entry of an index vector starts."""
    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple


class ScatterDimensionNumbers(NamedTuple):
    """update_window_dims: the updates axes holding the window, one per operand axis not
    inserted; inserted_window_dims: operand axes of window size 1 that updates leave out;
    scatter_dims_to_operand_dims: the operand axis that each entry of an index vector starts."""
    update_window_dims: tuple
    inserted_window_dims: tuple
    scatter_dims_to_operand_dims: tuple


class GatherScatterMode(enum.Enum):
    CLIP = "clip"
    FILL_OR_DROP = "fill_or_drop"
    PROMISE_IN_BOUNDS = "promise_in_bounds"


def _canonical_mode(mode, out_of_bounds):
    """"clip", or `out_of_bounds` ("fill" for gather, "drop" for scatter), from any of
    JAX's spellings. None means FILL_OR_DROP, as in JAX's lax. A broken promise of
    in-bounds indices may give any answer; clamping never reads out of bounds."""
    if isinstance(mode, GatherScatterMode):
        mode = mode.value
    if mode is not None and not isinstance(mode, str):
        raise TypeError(f"gather/scatter mode must be a string or a GatherScatterMode, got "
                        f"{describe(mode)}")
    if mode in ("clip", "promise_in_bounds"):
        return "clip"
    if mode in (None, "fill", "drop", "fill_or_drop"):
        return out_of_bounds
    raise ValueError(f"unknown gather/scatter mode {mode!r}; expected 'clip', 'fill', 'drop', "
                     "'promise_in_bounds' or a GatherScatterMode")


# The window of a scatter is the window of the gather that reads the same elements:
# the two kinds of dimension numbers correspond field by field.
_SCATTER_MODE = {"clip": "clip", "fill": "drop"}
_GATHER_MODE = {"clip": "clip", "drop": "fill"}


def _window_sizes(dnums: ScatterDimensionNumbers, operand_ndim, updates_shape):
    """A scatter's window shape in the operand: the updates' window axes, and size 1 at
    the inserted axes."""
    sizes = iter(updates_shape[d] for d in dnums.update_window_dims)
    return tuple(1 if d in dnums.inserted_window_dims else next(sizes) for d in range(operand_ndim))


def _output_shape(batch_shape, window_dims, window_sizes):
    batch, window = iter(batch_shape), iter(window_sizes)
    return tuple(next(window) if i in window_dims else next(batch)
                 for i in range(len(batch_shape) + len(window_dims)))


def _operand_positions(operand_shape, indices, dnums, slice_sizes):
    """Where each element of a gather's output (equally, of a scatter's updates) is in the
    operand.

    Returns (flat, in_bounds), both shaped like the output: the element's position in the
    row-major flattened operand, with its window's start clamped so the window fits; and
    whether that start was in bounds before clamping.
    """
    window_dims, collapsed, start_index_map = dnums
    window_axes = [d for d in range(len(operand_shape)) if d not in collapsed]
    out_shape = _output_shape(indices.shape[:-1], window_dims, [slice_sizes[d] for d in window_axes])
    upper = np.array([operand_shape[d] - slice_sizes[d] for d in start_index_map], np.int64)
    starts = indices.astype(np.int64)
    in_bounds = np.all((starts >= 0) & (starts <= upper), axis=-1)
    starts = np.clip(starts, 0, upper)

    def at_batch_axes(a):  # an array over the indices' batch axes, laid out in the output
        return np.expand_dims(a, window_dims)

    flat = np.zeros(out_shape, np.int64)
    for d in range(len(operand_shape)):
        stride = int(np.prod(operand_shape[d + 1:], dtype=np.int64))
        if d in start_index_map:
            flat += stride * at_batch_axes(starts[..., start_index_map.index(d)])
        if d in window_axes:
            axis = window_dims[window_axes.index(d)]
            flat += stride * np.arange(slice_sizes[d]).reshape(
                [-1 if i == axis else 1 for i in range(len(out_shape))])
    return flat, np.broadcast_to(at_batch_axes(in_bounds), out_shape)


# ---------------------------------------------------------------------------- shape rules

def _check_axes(name, field, axes, bound, ordered=True):
    if (len(set(axes)) != len(axes) or any(not 0 <= a < bound for a in axes)
            or ordered and list(axes) != sorted(axes)):
        raise TypeError(f"{name}: {field}={axes} must be distinct{', increasing' if ordered else ''} "
                        f"axes in [0, {bound})")


def _check_mode(name, mode, allowed):
    if mode not in allowed:
        raise ValueError(f"{name}: mode must be one of {allowed}, got {mode!r}")


def _window_shape_rule(name, operand, indices, dnums, slice_sizes):
    """The shape of a gather's output (the updates shape a scatter needs), after checking
    the dimension numbers; errors name dnums' own fields."""
    window_field, collapsed_field, map_field = dnums._fields
    window_dims, collapsed, start_index_map = dnums
    if (not dtypes.is_integer(indices.dtype) or indices.ndim < 1
            or indices.shape[-1] != len(start_index_map)):
        raise TypeError(f"{name}: indices must be an integer array whose last axis holds index "
                        f"vectors of length len({map_field})={len(start_index_map)}, got "
                        f"{indices.str_short()}")
    _check_axes(name, map_field, start_index_map, operand.ndim, ordered=False)
    _check_axes(name, collapsed_field, collapsed, operand.ndim)
    if len(window_dims) + len(collapsed) != operand.ndim:
        raise TypeError(f"{name}: {window_field}={window_dims} and {collapsed_field}={collapsed} "
                        f"must together have one entry per axis of {operand.str_short()}")
    _check_axes(name, window_field, window_dims, indices.ndim - 1 + len(window_dims))
    if (len(slice_sizes) != operand.ndim
            or any(not 0 <= k <= n for k, n in zip(slice_sizes, operand.shape))
            or any(slice_sizes[d] != 1 for d in collapsed)):
        raise ValueError(f"{name}: window of shape {slice_sizes} must fit in {operand.str_short()} "
                         f"and have size 1 along {collapsed_field}={collapsed}")
    return _output_shape(indices.shape[:-1], window_dims,
                         [k for d, k in enumerate(slice_sizes) if d not in collapsed])


# ---------------------------------------------------------------------------- gather

gather_p = Primitive("gather")


def _gather_abstract_eval(operand, indices, *, dimension_numbers, slice_sizes, mode, fill_value):
    _check_mode("gather", mode, ("clip", "fill"))
    return operand.update(shape=_window_shape_rule("gather", operand, indices, dimension_numbers,
                                                   slice_sizes))


def _fill_value(fill_value, dtype):
    """JAX's default: NaN for floats (and complex), the minimum signed / maximum unsigned
    int, True."""
    if fill_value is None:
        fill_value = (np.nan if dtypes.is_inexact(dtype) else True if dtypes.is_bool(dtype)
                      else np.iinfo(dtype).max if dtype.kind == "u" else np.iinfo(dtype).min)
    return scalar_value(fill_value, dtype, "fill_value")


def _gather_impl(operand, indices, *, dimension_numbers, slice_sizes, mode, fill_value):
    flat, in_bounds = _operand_positions(operand.shape, indices, dimension_numbers, slice_sizes)
    out = operand.reshape(-1)[flat]
    if mode == "fill":
        out = np.where(in_bounds, out, _fill_value(fill_value, operand.dtype))
    return out


def _gather_jvp(primals, tangents, **params):
    (operand, indices), (t, _) = primals, tangents
    # The fill value is a constant: out-of-bounds windows have zero tangent.
    return (gather_p.bind(operand, indices, **params),
            gather_p.bind(t, indices, **dict(params, fill_value=0)))


def _gather_transpose(ct, operand, indices, *, dimension_numbers, slice_sizes, mode, fill_value):
    zeros = zeros_like_aval(operand.aval)
    dnums = ScatterDimensionNumbers(*dimension_numbers)
    return [scatter_add_p.bind(zeros, indices, ct, dimension_numbers=dnums, mode=_SCATTER_MODE[mode]),
            None]


def _shift(axes):
    return tuple(a + 1 for a in axes)


def _with_batch_counter(indices):
    """Batched indices [B, ..., K] -> [B, ..., 1 + K], each index vector led by its example
    number, which picks that example's slice of a batched operand."""
    shape = get_aval(indices).shape
    counter = broadcasted_iota(get_aval(indices).dtype, shape[:-1] + (1,), 0)
    return concatenate([counter, indices], len(shape) - 1)


def _gather_batch(args, dims, *, dimension_numbers, slice_sizes, mode, fill_value):
    (operand, indices), (od, idx_d) = args, dims
    offset_dims, collapsed, start_index_map = dimension_numbers
    if idx_d is None:  # shared indices: the batch axis is one more (leading) window axis
        operand = moveaxis(operand, od, 0)
        dnums = GatherDimensionNumbers((0,) + _shift(offset_dims), _shift(collapsed),
                                       _shift(start_index_map))
        slice_sizes = (get_aval(operand).shape[0],) + slice_sizes
    elif od is None:  # shared operand: the batch axis is one more (leading) batch axis of indices
        indices = moveaxis(indices, idx_d, 0)
        dnums = GatherDimensionNumbers(_shift(offset_dims), collapsed, start_index_map)
    else:  # both: index the batch axis too, with the example number, and collapse it
        operand, indices = moveaxis(operand, od, 0), _with_batch_counter(moveaxis(indices, idx_d, 0))
        dnums = GatherDimensionNumbers(_shift(offset_dims), (0,) + _shift(collapsed),
                                       (0,) + _shift(start_index_map))
        slice_sizes = (1,) + slice_sizes
    return gather_p.bind(operand, indices, dimension_numbers=dnums, slice_sizes=slice_sizes,
                         mode=mode, fill_value=fill_value), 0


gather_p.impl = _gather_impl
gather_p.abstract_eval = _gather_abstract_eval
gather_p.jvp = _gather_jvp
gather_p.transpose = _gather_transpose
gather_p.batch = _gather_batch


def _dimension_numbers(cls, dimension_numbers):
    fields = cls._fields
    if not isinstance(dimension_numbers, tuple) or len(dimension_numbers) != len(fields):
        raise TypeError(f"dimension_numbers must be a {cls.__name__}({', '.join(fields)}), got "
                        f"{describe(dimension_numbers)}")
    return cls(*(int_tuple(axes, f"dimension_numbers.{field}")
                 for field, axes in zip(fields, dimension_numbers)))


def gather(operand, start_indices, dimension_numbers, slice_sizes, *, unique_indices=False,
           indices_are_sorted=False, mode=None, fill_value=None):
    """Windows of `operand` at the start index vectors on the last axis of `start_indices`
    (JAX's lax.gather). unique_indices and indices_are_sorted are JAX's optimisation hints;
    fx accepts and does not need them."""
    del unique_indices, indices_are_sorted
    dnums = _dimension_numbers(GatherDimensionNumbers, dimension_numbers)
    return gather_p.bind(operand, start_indices, dimension_numbers=dnums,
                         slice_sizes=canonicalize_shape(slice_sizes, "gather slice_sizes"),
                         mode=_canonical_mode(mode, "fill"),
                         fill_value=None if fill_value is None else np.asarray(fill_value).item())


# ---------------------------------------------------------------------------- scatter_add, scatter

def _scatter_abstract_eval(name):
    def rule(operand, indices, updates, *, dimension_numbers, mode, **hints):
        _check_mode(name, mode, ("clip", "drop"))
        if updates.dtype != operand.dtype:
            raise TypeError(f"{name}: updates must have the operand's dtype, got {updates.str_short()} "
                            f"for operand {operand.str_short()}")
        window_dims, inserted, _ = dimension_numbers
        _check_axes(name, "update_window_dims", window_dims, updates.ndim)
        if len(window_dims) + len(inserted) != operand.ndim:
            raise TypeError(f"{name}: update_window_dims={window_dims} and inserted_window_dims="
                            f"{inserted} must together have one entry per axis of {operand.str_short()}")
        expected = _window_shape_rule(name, operand, indices, dimension_numbers,
                                      _window_sizes(dimension_numbers, operand.ndim, updates.shape))
        if expected != updates.shape:
            raise TypeError(f"{name}: updates for operand {operand.str_short()} and indices "
                            f"{indices.str_short()} must have shape {expected}, got "
                            f"{updates.str_short()}")
        return operand
    return rule


def _scatter_targets(operand, indices, updates, dnums, mode):
    """The flat operand positions a scatter writes and the values written there, in the
    updates' row-major order; with "drop", out-of-bounds windows are left out."""
    flat, in_bounds = _operand_positions(operand.shape, indices, dnums,
                                         _window_sizes(dnums, operand.ndim, updates.shape))
    if mode == "drop":
        return flat[in_bounds], updates[in_bounds]
    return flat.ravel(), updates.ravel()


def _scatter_add_impl(operand, indices, updates, *, dimension_numbers, mode):
    out = operand.copy()
    np.add.at(out.reshape(-1), *_scatter_targets(operand, indices, updates, dimension_numbers, mode))
    return out


def _scatter_impl(operand, indices, updates, *, dimension_numbers, mode):
    out = operand.copy()
    flat, values = _scatter_targets(operand, indices, updates, dimension_numbers, mode)
    # The last writer wins: keep each position's last occurrence (NumPy promises no order
    # for repeated indices in an assignment).
    _, last_from_end = np.unique(flat[::-1], return_index=True)
    keep = len(flat) - 1 - last_from_end
    out.reshape(-1)[flat[keep]] = values[keep]
    return out


def _updates_ct(ct, indices, updates, dimension_numbers, mode):
    """The cotangent of a scatter's updates: what the ct holds where they went."""
    if not isinstance(updates, UndefinedPrimal):
        return None
    sizes = _window_sizes(dimension_numbers, get_aval(ct).ndim, updates.aval.shape)
    return gather_p.bind(ct, indices, dimension_numbers=GatherDimensionNumbers(*dimension_numbers),
                         slice_sizes=sizes, mode=_GATHER_MODE[mode], fill_value=0)


def _scatter_add_transpose(ct, operand, indices, updates, *, dimension_numbers, mode):
    return [ct if isinstance(operand, UndefinedPrimal) else None, None,
            _updates_ct(ct, indices, updates, dimension_numbers, mode)]


def _scatter_transpose(ct, operand, indices, updates, *, dimension_numbers, mode):
    # Assumes unique indices: each overwritten element came from exactly one update.
    operand_ct = None
    if isinstance(operand, UndefinedPrimal):
        update_aval = updates.aval if isinstance(updates, UndefinedPrimal) else get_aval(updates)
        operand_ct = scatter_p.bind(ct, indices, zeros_like_aval(update_aval),
                                    dimension_numbers=dimension_numbers, mode=mode)
    return [operand_ct, None, _updates_ct(ct, indices, updates, dimension_numbers, mode)]


def _scatter_jvp(primals, tangents, *, dimension_numbers, mode):
    """Where windows overlap, only the last writer's tangent may pass (JAX's scheme): write
    an id per window (1, 2, ...) with the same scatter, gather the winning ids back, and
    mask the tangents by them. The tangent is then a scatter_add of masked values, which
    transposes correctly whatever the indices."""
    from fx import lax
    (operand, indices, updates), (t_operand, _, t_updates) = primals, tangents
    params = dict(dimension_numbers=dimension_numbers, mode=mode)
    shape = get_aval(updates).shape
    ids_shape = tuple(1 if i in dimension_numbers.update_window_dims else n for i, n in enumerate(shape))
    ids = lax.reshape(iota(dtypes.int32, int(np.prod(ids_shape, dtype=np.int64))), ids_shape)
    ids = lax.broadcast_in_dim(lax.add(ids, lax.full(ids_shape, 1, dtypes.int32)), shape,
                               tuple(range(len(shape))))
    nobody = lax.full(get_aval(operand).shape, 0, dtypes.int32)
    written = scatter_p.bind(nobody, indices, ids, **params)
    winners = gather_p.bind(written, indices, dimension_numbers=GatherDimensionNumbers(*dimension_numbers),
                            slice_sizes=_window_sizes(dimension_numbers, get_aval(operand).ndim, shape),
                            mode=_GATHER_MODE[mode], fill_value=0)
    t_operand, t_updates = instantiate(t_operand), instantiate(t_updates)
    t_operand = lax.select(lax.eq(written, nobody), t_operand, zeros_like_aval(get_aval(t_operand)))
    t_updates = lax.select(lax.eq(ids, winners), t_updates, zeros_like_aval(get_aval(t_updates)))
    return (scatter_p.bind(operand, indices, updates, **params),
            scatter_add_p.bind(t_operand, indices, t_updates, **params))


def _scatter_batcher(prim):
    def rule(args, dims, *, dimension_numbers, **params):
        (operand, indices, updates), (od, idx_d, ud) = args, dims
        size = axis_size_of(args, dims)
        operand, updates = bdim_at_front(operand, od, size), bdim_at_front(updates, ud, size)
        window_dims, inserted, to_operand = dimension_numbers
        if idx_d is None:  # shared indices: the batch axis is one more (leading) window axis
            dnums = ScatterDimensionNumbers((0,) + _shift(window_dims), _shift(inserted),
                                            _shift(to_operand))
        else:  # index the operand's batch axis with the example number, as gather does
            indices = _with_batch_counter(moveaxis(indices, idx_d, 0))
            dnums = ScatterDimensionNumbers(_shift(window_dims), (0,) + _shift(inserted),
                                            (0,) + _shift(to_operand))
        return prim.bind(operand, indices, updates, dimension_numbers=dnums, **params), 0
    prim.batch = rule


scatter_add_p = Primitive("scatter_add")
scatter_add_p.impl = _scatter_add_impl
scatter_add_p.abstract_eval = _scatter_abstract_eval("scatter_add")
deflinear(scatter_add_p, _scatter_add_transpose, linear_argnums=(0, 2))
_scatter_batcher(scatter_add_p)

scatter_p = Primitive("scatter")
scatter_p.impl = _scatter_impl
scatter_p.abstract_eval = _scatter_abstract_eval("scatter")
scatter_p.jvp = _scatter_jvp
scatter_p.transpose = _scatter_transpose
_scatter_batcher(scatter_p)


def _bind_scatter(prim, operand, scatter_indices, updates, dimension_numbers, mode, **params):
    dnums = _dimension_numbers(ScatterDimensionNumbers, dimension_numbers)
    return prim.bind(operand, scatter_indices, updates, dimension_numbers=dnums,
                     mode=_canonical_mode(mode, "drop"), **params)


def scatter_add(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
                unique_indices=False, mode=None):
    """operand with each window of `updates` added at its start index vector; repeated
    windows accumulate (JAX's lax.scatter_add). The two hints are accepted, not needed."""
    del indices_are_sorted, unique_indices
    return _bind_scatter(scatter_add_p, operand, scatter_indices, updates, dimension_numbers, mode)


def scatter(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
            unique_indices=False, mode=None):
    """operand with each window of `updates` written at its start index vector; where
    windows overlap the last one wins (JAX's lax.scatter). The two hints are accepted, not
    needed."""
    del indices_are_sorted, unique_indices
    return _bind_scatter(scatter_p, operand, scatter_indices, updates, dimension_numbers, mode)


# ---------------------------------------------------------------------------- scatter_mul, min, max

def _combining_impl(ufunc):
    def impl(operand, indices, updates, *, dimension_numbers, mode, **hints):
        out = operand.copy()
        ufunc.at(out.reshape(-1), *_scatter_targets(operand, indices, updates, dimension_numbers, mode))
        return out
    return impl


def _scatter_mul_jvp(primals, tangents, *, dimension_numbers, mode, unique_indices):
    """Linear in the operand (each element is scaled by the product of the updates it
    receives). Towards the updates, JAX's rule: only with unique indices, where out =
    operand * the one update written there."""
    from fx import lax
    (operand, indices, updates), (t_operand, _, t_updates) = primals, tangents
    params = dict(dimension_numbers=dimension_numbers, mode=mode, unique_indices=unique_indices)
    out = scatter_mul_p.bind(operand, indices, updates, **params)
    tangent = Zero(tangent_aval(get_aval(out)))
    if type(t_operand) is not Zero:
        tangent = scatter_mul_p.bind(t_operand, indices, updates, **params)
    if type(t_updates) is not Zero:
        if not unique_indices:
            raise NotImplementedError(
                "scatter_mul: derivatives with respect to the updates are only implemented with "
                "unique_indices=True (as in JAX): x.at[idx].multiply(v, unique_indices=True)")
        spread = scatter_add_p.bind(zeros_like_aval(get_aval(operand)), indices, t_updates,
                                    dimension_numbers=dimension_numbers, mode=mode)
        tangent = add_tangents(tangent, lax.mul(operand, spread))
    return out, tangent


def _scatter_mul_transpose(ct, operand, indices, updates, **params):
    if isinstance(updates, UndefinedPrimal):
        raise NotImplementedError("scatter_mul is not linear in its updates: it cannot be transposed "
                                  "with respect to them")
    return [scatter_mul_p.bind(ct, indices, updates, **params), None, None]


def _extremum_jvp(prim):
    """The tangent of whichever values won at each position, averaged over ties between
    the operand and the updates (JAX's choice, and what central differences see)."""
    def rule(primals, tangents, *, dimension_numbers, mode):
        from fx import lax
        (operand, indices, updates), (t_operand, _, t_updates) = primals, tangents
        params = dict(dimension_numbers=dimension_numbers, mode=mode)
        out = prim.bind(operand, indices, updates, **params)
        if type(t_operand) is Zero and type(t_updates) is Zero:
            return out, Zero(tangent_aval(get_aval(out)))
        dtype = get_aval(operand).dtype
        reached = gather_p.bind(out, indices, dimension_numbers=GatherDimensionNumbers(*dimension_numbers),
                                slice_sizes=_window_sizes(dimension_numbers, get_aval(operand).ndim,
                                                          get_aval(updates).shape),
                                mode=_GATHER_MODE[mode], fill_value=None)  # dropped windows: NaN
        won = lax.convert_element_type(lax.eq(updates, reached), dtype)
        kept = lax.convert_element_type(lax.eq(operand, out), dtype)
        count = scatter_add_p.bind(kept, indices, won, **params)
        count = lax.max(count, lax.full_like(count, 1))  # a NaN result equals nothing
        total = scatter_add_p.bind(lax.mul(instantiate(t_operand), kept), indices,
                                   lax.mul(instantiate(t_updates), won), **params)
        return out, lax.div(total, count)
    prim.jvp = rule


scatter_mul_p = Primitive("scatter_mul")
scatter_mul_p.impl = _combining_impl(np.multiply)
scatter_mul_p.abstract_eval = _scatter_abstract_eval("scatter_mul")
scatter_mul_p.jvp = _scatter_mul_jvp
scatter_mul_p.transpose = _scatter_mul_transpose
_scatter_batcher(scatter_mul_p)

scatter_min_p = Primitive("scatter_min")
scatter_max_p = Primitive("scatter_max")
for _prim, _ufunc in [(scatter_min_p, np.minimum), (scatter_max_p, np.maximum)]:
    _prim.impl = _combining_impl(_ufunc)
    _prim.abstract_eval = _scatter_abstract_eval(_prim.name)
    _extremum_jvp(_prim)
    _scatter_batcher(_prim)


def scatter_mul(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
                unique_indices=False, mode=None):
    """operand with each window multiplied by its `updates` (JAX's lax.scatter_mul).
    unique_indices=True promises no repeated windows, which makes it differentiable in
    the updates."""
    del indices_are_sorted
    return _bind_scatter(scatter_mul_p, operand, scatter_indices, updates, dimension_numbers, mode,
                         unique_indices=bool(unique_indices))


def scatter_min(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
                unique_indices=False, mode=None):
    """operand with each window replaced by its minimum with `updates` (JAX's lax.scatter_min)."""
    del indices_are_sorted, unique_indices
    return _bind_scatter(scatter_min_p, operand, scatter_indices, updates, dimension_numbers, mode)


def scatter_max(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
                unique_indices=False, mode=None):
    """operand with each window replaced by its maximum with `updates` (JAX's lax.scatter_max)."""
    del indices_are_sorted, unique_indices
    return _bind_scatter(scatter_max_p, operand, scatter_indices, updates, dimension_numbers, mode)


# ---------------------------------------------------------------------------- examples

# ---------------------------------------------------------------------------- lowering
# A gather is an index map whose start positions are loaded from the indices; a scatter
# is a loop over the updates writing through the same map.

def _window_index_map(operand_shape, indices, dnums, sizes, out_index):
    """(operand index, in-bounds condition) of the output/updates element at out_index."""
    from fx.ir import kernels as K
    window_dims, collapsed, start_index_map = dnums
    window_axes = [d for d in range(len(operand_shape)) if d not in collapsed]
    batch = tuple(i for a, i in enumerate(out_index) if a not in window_dims)
    index, conds = [], []
    for d, n in enumerate(operand_shape):
        pos = K.IConst(0)
        if d in start_index_map:
            raw = K.IFromExpr(indices.at(batch + (K.IConst(start_index_map.index(d)),)))
            upper = n - sizes[d]
            conds.append(K.op("and", K.op("ge", K.IndexValue(np.dtype(np.int64), raw),
                                          K.const(0, np.int64), dtype=np.bool_),
                              K.op("le", K.IndexValue(np.dtype(np.int64), raw),
                                   K.const(upper, np.int64), dtype=np.bool_)))
            pos = K.iclamp(raw, 0, upper)
        if d in window_axes:
            pos = K.iadd(pos, out_index[window_dims[window_axes.index(d)]])
        index.append(pos)
    inside = conds[0] if conds else K.const(True, np.bool_)
    for c in conds[1:]:
        inside = K.op("and", inside, c)
    return tuple(index), inside


def _lower_gather(ctx, operand, indices, *, dimension_numbers, slice_sizes, mode, fill_value):
    from fx.ir import kernels as K
    operand = ctx.materialize_if_expensive(operand)  # windows may overlap: no recomputation
    fill = _fill_value(fill_value, operand.dtype).item()

    def fn(idx):
        index, inside = _window_index_map(operand.shape, indices, dimension_numbers, slice_sizes, idx)
        value = operand.at(index)
        return value if mode == "clip" else K.op("select", inside, value, K.const(fill, operand.dtype))
    return ctx.inline(ctx.out_avals[0].shape, operand.dtype, fn, [operand, indices])


def _lower_scatter(kind):
    def rule(ctx, operand, indices, updates, *, dimension_numbers, mode, **hints):
        from fx.ir import kernels as K
        from fx.ir.lower import BufferValue
        sizes = _window_sizes(dimension_numbers, operand.ndim, updates.shape)
        u = K.loop_index(len(updates.shape))
        index, inside = _window_index_map(operand.shape, indices, dimension_numbers, sizes, u)
        out = ctx.new_buffer(operand.shape, operand.dtype)
        ctx.emit(K.Scatter("", out, operand.at(K.loop_index(len(operand.shape))), updates.shape, index,
                           inside if mode == "drop" else K.const(True, np.bool_), updates.at(u), kind))
        return BufferValue(out)
    return rule


gather_p.lower = _lower_gather
scatter_add_p.lower = _lower_scatter("add")
scatter_p.lower = _lower_scatter("set")
scatter_mul_p.lower = _lower_scatter("mul")
scatter_min_p.lower = _lower_scatter("min")
scatter_max_p.lower = _lower_scatter("max")


def _reference_point(shape, sizes, index_vector, start_index_map, window_axes, offsets):
    """One element's operand coordinates (window start clamped to fit) and whether its
    window started in bounds."""
    start = np.zeros(len(shape), np.int64)
    start[list(start_index_map)] = index_vector
    upper = np.subtract(shape, sizes)
    point = np.clip(start, 0, upper)
    point[window_axes] += np.asarray(offsets, np.int64)
    return tuple(point), bool(np.all((start >= 0) & (start <= upper)))


def _gather_reference(operand, indices, *, dimension_numbers, slice_sizes, mode, fill_value):
    """XLA's gather, one output element at a time."""
    offset_dims, collapsed, start_index_map = dimension_numbers
    window_axes = [d for d in range(operand.ndim) if d not in collapsed]
    out = np.empty(_output_shape(indices.shape[:-1], offset_dims,
                                 [slice_sizes[d] for d in window_axes]), operand.dtype)
    for pos in np.ndindex(*out.shape):
        batch = tuple(p for i, p in enumerate(pos) if i not in offset_dims)
        point, ok = _reference_point(operand.shape, slice_sizes, indices[batch], start_index_map,
                                     window_axes, [pos[i] for i in offset_dims])
        out[pos] = operand[point] if ok or mode == "clip" else _fill_value(fill_value, operand.dtype)
    return out


def _scatter_reference(combine):
    """XLA's scatter, one update element at a time, in row-major order."""
    def reference(operand, indices, updates, *, dimension_numbers, mode, **hints):
        window_dims, inserted, to_operand = dimension_numbers
        window_axes = [d for d in range(operand.ndim) if d not in inserted]
        sizes = _window_sizes(dimension_numbers, operand.ndim, updates.shape)
        out = operand.copy()
        for pos in np.ndindex(*updates.shape):
            batch = tuple(p for i, p in enumerate(pos) if i not in window_dims)
            point, ok = _reference_point(operand.shape, sizes, indices[batch], to_operand,
                                         window_axes, [pos[i] for i in window_dims])
            if ok or mode == "clip":
                out[point] = combine(out[point], updates[pos])
        return out
    return reference


_G, _S = GatherDimensionNumbers, ScatterDimensionNumbers
_x = randn(5, 3, seed=30)
_rows = np.array([[1], [4], [0], [4]], np.int32)                     # x[[1, 4, 0, 4]]
_windows = np.array([[0, 0], [5, 6], [-2, 1], [3, 2]], np.int32)   # two out of bounds
_y = randn(6, 7, seed=31)

for _name, _args, _params in [
        ("rows", (_x, _rows), dict(dimension_numbers=_G((1,), (0,), (0,)), slice_sizes=(1, 3))),
        ("columns", (_x.T, np.array([[[0], [2]], [[4], [7]]], np.int32)),   # x.T[:, idx2d]
         dict(dimension_numbers=_G((0,), (1,), (1,)), slice_sizes=(3, 1))),
        ("points", (_x, np.array([[0, 1], [3, 2], [4, 0]], np.int32)),     # x[i, j]
         dict(dimension_numbers=_G((), (0, 1), (0, 1)), slice_sizes=(1, 1))),
        ("windows", (_y, _windows), dict(dimension_numbers=_G((1, 2), (), (0, 1)), slice_sizes=(2, 3)))]:
    example(gather_p, *_args, params=dict(_params, mode="clip", fill_value=None),
            reference=_gather_reference, linear_argnums=(0,), name=_name + "_clip")
example(gather_p, _y, _windows, params=dict(dimension_numbers=_G((1, 2), (), (0, 1)), slice_sizes=(2, 3),
                                            mode="fill", fill_value=0.0),
        reference=_gather_reference, linear_argnums=(0,), name="windows_fill_zero")
example(gather_p, _y, _windows, params=dict(dimension_numbers=_G((1, 2), (), (0, 1)), slice_sizes=(2, 3),
                                            mode="fill", fill_value=None),
        reference=_gather_reference, diff_argnums=(), name="windows_fill_nan")

_row_dnums = _S((1,), (0,), (0,))
_window_dnums = _S((1, 2), (), (0, 1))
for _mode in ("clip", "drop"):
    example(scatter_add_p, _x, np.array([[1], [4], [1], [-1]], np.int32), randn(4, 3, seed=32),
            params=dict(dimension_numbers=_row_dnums, mode=_mode), reference=_scatter_reference(np.add),
            linear_argnums=(0, 2), name="rows_repeated_" + _mode)
    example(scatter_add_p, _y, _windows, randn(4, 2, 3, seed=33),
            params=dict(dimension_numbers=_window_dnums, mode=_mode),
            reference=_scatter_reference(np.add), linear_argnums=(0, 2), name="windows_" + _mode)
_overwrite = _scatter_reference(lambda old, new: new)
example(scatter_p, _x, np.array([[3], [0]], np.int32), randn(2, 3, seed=34),
        params=dict(dimension_numbers=_row_dnums, mode="clip"), reference=_overwrite,
        linear_argnums=(0, 2), name="rows")
example(scatter_p, _x, np.array([[1], [4], [1]], np.int32), randn(3, 3, seed=35),
        params=dict(dimension_numbers=_row_dnums, mode="clip"), reference=_overwrite,
        name="last_writer_wins")
example(scatter_p, _y, np.array([[0, 0], [5, 6], [3, 2]], np.int32), randn(3, 2, 3, seed=36),
        params=dict(dimension_numbers=_window_dnums, mode="drop"), reference=_overwrite,
        linear_argnums=(0, 2), name="windows_drop")

_unique_rows = np.array([[3], [0]], np.int32)
_repeated_rows = np.array([[1], [4], [1], [-1]], np.int32)
for _mode in ("clip", "drop"):
    example(scatter_mul_p, _x, _unique_rows, randn(2, 3, seed=37),
            params=dict(dimension_numbers=_row_dnums, mode=_mode, unique_indices=True),
            reference=_scatter_reference(np.multiply), linear_argnums=(0,), name="unique_" + _mode)
    example(scatter_mul_p, _x, _repeated_rows, randn(4, 3, seed=38),
            params=dict(dimension_numbers=_row_dnums, mode=_mode, unique_indices=False),
            reference=_scatter_reference(np.multiply), diff_argnums=(0,), linear_argnums=(0,),
            name="repeated_" + _mode)
    for _p, _ufunc in [(scatter_min_p, np.minimum), (scatter_max_p, np.maximum)]:
        example(_p, _x, _repeated_rows, randn(4, 3, seed=39), params=dict(dimension_numbers=_row_dnums,
                                                                          mode=_mode),
                reference=_scatter_reference(_ufunc), name="repeated_" + _mode)
example(scatter_mul_p, _y, np.array([[0, 0], [3, 2], [9, 9]], np.int32), randn(3, 2, 3, seed=46),
        params=dict(dimension_numbers=_window_dnums, mode="drop", unique_indices=True),
        reference=_scatter_reference(np.multiply), linear_argnums=(0,), name="windows")
for _p, _ufunc in [(scatter_min_p, np.minimum), (scatter_max_p, np.maximum)]:
    example(_p, _y, _windows, randn(4, 2, 3, seed=47), params=dict(dimension_numbers=_window_dnums,
                                                                   mode="drop"),
            reference=_scatter_reference(_ufunc), name="windows")
    # row 1 receives its own values: ties between operand and update share the tangent
    example(_p, _x, np.array([[1], [2]], np.int32), np.stack([_x[1], _x[2] + 0.5]),
            params=dict(dimension_numbers=_row_dnums, mode="clip"), reference=_scatter_reference(_ufunc),
            name="ties")
    example(_p, np.arange(12, dtype=np.int32).reshape(4, 3), np.array([[2], [0], [2]], np.int32),
            np.array([[7, -1, 9], [3, 3, 3], [-5, 20, 6]], np.int32),
            params=dict(dimension_numbers=_row_dnums, mode="clip"), reference=_scatter_reference(_ufunc),
            name="int32")
