"""The long tail of jax.lax that composes from fx's primitives: shape and index helpers,
bitwise and generic reductions, integer bit tricks, and small wrappers.

Nothing here registers a primitive: each function is a few binds of existing ones, so
jit, grad and vmap work through their rules. Where JAX has a primitive of its own (tile,
split, cumlogsumexp, population_count, clz, mulhi, nextafter, reduce_and, ...), fx spells
its semantics with the primitives it has.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from fx import dtypes, tree_util
from fx.argcheck import (canonicalize_axes, canonicalize_axis, canonicalize_shape,
                         check_callable, describe, int_tuple)
from fx.argcheck import index as _int


from fx.core import get_aval
from fx.lax.bits import bitcast_convert_type
from fx.lax.control_flow import associative_scan
from fx.lax.indexing import GatherDimensionNumbers, gather, scatter_add
from fx.lax.ops import (_as_operand, _operands, abs, add, bitwise_and, bitwise_not, bitwise_or,
                        bitwise_xor, broadcast, convert_element_type, eq, exp, full, full_like,
                        integer_pow, log1p, lt, max, mul, ne, neg, reshape, select,
                        shift_right_logical, sub)
from fx.lax.reductions import reduce_max, reduce_min, reduce_prod, reduce_sum
from fx.lax.shape import broadcast_in_dim, expand_dims, squeeze, transpose
from fx.lax.slicing import concatenate, dynamic_slice, dynamic_update_slice, slice_in_dim
from fx.lax.sorting import sort, top_k


def _shape(x):
    return get_aval(x).shape


# ---------------------------------------------------------------------------- shapes

def broadcast_shapes(*shapes):
    """The shape NumPy broadcasting gives `shapes` (JAX's lax.broadcast_shapes)."""
    shapes = [canonicalize_shape(s, "broadcast_shapes shape") for s in shapes]
    rank = builtins.max(map(len, shapes), default=0)
    padded = [(1,) * (rank - len(s)) + s for s in shapes]
    out = []
    for sizes in zip(*padded):
        others = {d for d in sizes if d != 1}
        if len(others) > 1:
            raise ValueError(f"Incompatible shapes for broadcasting: shapes={shapes}")
        out.append(others.pop() if others else 1)
    return tuple(out)


def broadcast_to_rank(x, rank):
    """x with leading axes of size 1 added to make it of rank `rank`."""
    x = _as_operand(x)
    return broadcast(x, (1,) * (_int(rank, "broadcast_to_rank rank") - get_aval(x).ndim))


def collapse(operand, start_dimension, stop_dimension=None):
    """operand with the axes start_dimension:stop_dimension merged into one (Python slice
    rules, as JAX's)."""
    operand = _as_operand(operand)
    shape = _shape(operand)
    lo, hi, _ = builtins.slice(start_dimension, stop_dimension).indices(len(shape))
    if hi < lo:
        raise ValueError(f"Invalid dimension range passed to collapse: {shape}"
                         f"[{start_dimension}:{stop_dimension}]")
    return reshape(operand, shape[:lo] + (math.prod(shape[lo:hi]),) + shape[hi:])


def tile(operand, reps):
    """operand repeated reps[i] times along each axis i (len(reps) == operand.ndim)."""
    operand = _as_operand(operand)
    shape = _shape(operand)
    reps = canonicalize_shape(reps, "tile reps")
    if len(reps) != len(shape):
        raise TypeError(f"reps length must be equal to the ndim of x, got len(reps)={len(reps)} "
                        f"and x.ndim={len(shape)}.")
    interleaved = tuple(d for pair in zip(reps, shape) for d in pair)
    out = broadcast_in_dim(operand, interleaved, tuple(range(1, 2 * len(shape), 2)))
    return reshape(out, tuple(r * d for r, d in zip(reps, shape)))


def split(operand, sizes, axis=0):
    """Consecutive pieces of `sizes` along `axis` (they must add up to its length)."""
    operand = _as_operand(operand)
    shape = _shape(operand)
    axis = canonicalize_axis(axis, len(shape), "split axis")
    sizes = canonicalize_shape(sizes, "split sizes")
    if sum(sizes) != shape[axis]:
        raise ValueError(f"Sum of sizes {sum(sizes)} must be equal to dimension {shape[axis]} of "
                         f"the operand shape {shape}")
    starts = np.cumsum((0,) + sizes)
    return [slice_in_dim(operand, int(s), int(s) + n, axis=axis) for s, n in zip(starts, sizes)]


def stack(operands, axis=0):
    """The arrays, of one shape and dtype, joined along a new axis."""
    if not isinstance(operands, (list, tuple)):
        raise TypeError(f"stack: operands must be a list or tuple of arrays, got {describe(operands)}")
    operands = [_as_operand(x) for x in operands]
    if not operands:
        raise ValueError("stack: needs at least one array, got an empty sequence")
    axis = canonicalize_axis(axis, get_aval(operands[0]).ndim + 1, "stack axis")
    return concatenate([expand_dims(x, (axis,)) for x in operands], axis)


def unstack(x, axis=0):
    """The slices of x along `axis`, that axis removed, as a tuple."""
    x = _as_operand(x)
    shape = _shape(x)
    axis = canonicalize_axis(axis, len(shape), "unstack axis")
    return tuple(squeeze(slice_in_dim(x, i, i + 1, axis=axis), (axis,)) for i in range(shape[axis]))


def empty(shape, dtype, *, out_sharding=None):
    """An array of `shape` and `dtype` whose values are unspecified (zeros in fx)."""
    del out_sharding
    return full(shape, 0, dtype)


def dtype(x):
    """The canonical dtype of a value or a type (JAX's lax.dtype)."""
    if x is None:  # NumPy reads None as float64; JAX refuses it
        raise ValueError("lax.dtype: invalid argument None; expected a value or a dtype")
    return dtypes.dtype_of(x)


# ---------------------------------------------------------------------------- indexing in one axis

def index_in_dim(operand, index, axis=0, keepdims=True):
    """operand[index] along `axis`, a static index (negative counts from the end)."""
    operand = _as_operand(operand)
    shape = _shape(operand)
    i, axis = _int(index, "index_in_dim index"), canonicalize_axis(axis, len(shape), "index_in_dim axis")
    wrapped = i + shape[axis] if i < 0 else i
    if not 0 <= wrapped < shape[axis]:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {shape[axis]}")
    out = slice_in_dim(operand, wrapped, wrapped + 1, axis=axis)
    return out if keepdims else squeeze(out, (axis,))


def _starts(operand, start, axis, allow_negative_indices):
    """Start indices for a window along `axis` only; a negative start counts from the end
    if allowed, else it clamps to 0 (as JAX's allow_negative_indices=False)."""
    starts = [0] * get_aval(operand).ndim
    if not allow_negative_indices:
        start = builtins.max(start, 0) if isinstance(start, (int, np.integer)) else max(start, 0)
    starts[axis] = start
    return starts


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0, *, allow_negative_indices=True):
    """The window of `slice_size` at a traced start along `axis`, clamped to fit."""
    operand = _as_operand(operand)
    shape = _shape(operand)
    axis = canonicalize_axis(axis, len(shape), "dynamic_slice_in_dim axis")
    sizes = list(shape)
    sizes[axis] = _int(slice_size, "dynamic_slice_in_dim slice_size", minimum=0)
    return dynamic_slice(operand, _starts(operand, start_index, axis, allow_negative_indices), sizes)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True, *, allow_negative_indices=True):
    """operand[index] along `axis` at a traced index, clamped to the axis."""
    operand = _as_operand(operand)
    axis = canonicalize_axis(axis, get_aval(operand).ndim, "dynamic_index_in_dim axis")
    out = dynamic_slice_in_dim(operand, index, 1, axis,
                               allow_negative_indices=allow_negative_indices)
    return out if keepdims else squeeze(out, (axis,))


def dynamic_update_slice_in_dim(operand, update, start_index, axis, *, allow_negative_indices=True):
    """operand with `update` written at a traced start along `axis`, clamped to fit."""
    operand = _as_operand(operand)
    axis = canonicalize_axis(axis, get_aval(operand).ndim, "dynamic_update_slice_in_dim axis")
    return dynamic_update_slice(operand, _as_operand(update),
                                _starts(operand, start_index, axis, allow_negative_indices))


def dynamic_update_index_in_dim(operand, update, index, axis, *, allow_negative_indices=True):
    """operand with the slice at a traced `index` along `axis` replaced by `update` (which
    may lack that axis)."""
    operand, update = _as_operand(operand), _as_operand(update)
    ndim = get_aval(operand).ndim
    axis = canonicalize_axis(axis, ndim, "dynamic_update_index_in_dim axis")
    if get_aval(update).ndim == ndim - 1:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis,
                                       allow_negative_indices=allow_negative_indices)


def index_take(src, idxs, axes):
    """src[idxs[0], idxs[1], ...] along `axes` (one index array per axis, of one shape),
    the remaining axes kept after the indexed one (a gather)."""
    src = _as_operand(src)
    axes = int_tuple(axes, "index_take axes")
    if len(idxs) != len(axes):
        raise ValueError(f"index_take: one index array per axis, got {len(idxs)} for axes {axes}")
    indices = concatenate([expand_dims(_as_operand(i), (1,)) for i in idxs], 1)
    sizes = [1 if ax in axes else d for ax, d in enumerate(_shape(src))]
    dnums = GatherDimensionNumbers(offset_dims=tuple(range(1, len(sizes) - len(axes) + 1)),
                                   collapsed_slice_dims=axes, start_index_map=axes)
    return gather(src, indices, dnums, tuple(sizes))


def scatter_sub(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
                unique_indices=False, mode=None):
    """operand with each window of `updates` subtracted at its start index vector; repeated
    windows accumulate (a scatter_add of -updates)."""
    return scatter_add(operand, scatter_indices, neg(_as_operand(updates)), dimension_numbers,
                       indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
                       mode=mode)


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    """(keys sorted along `dimension`, values permuted alike)."""
    return sort((keys, values), dimension=dimension, is_stable=is_stable, num_keys=1)


# ---------------------------------------------------------------------------- reductions

def _reduce_axes(name, operand, axes):
    operand = _as_operand(operand)
    what = f"{name} axes"
    return operand, canonicalize_axes(int_tuple(axes, what), get_aval(operand).ndim, what)


def _fold(x, axes, combine, init):
    """`combine` over `axes` by halving: log2(n) elementwise combinations of the two halves
    (padded with `init`, the identity). For the bitwise reductions, which have no
    primitive, and lax.reduce with a computation that is not one of fx's reductions."""
    leaves = [_as_operand(leaf) for leaf in tree_util.tree_leaves(x)]
    tree = tree_util.tree_structure(x)
    ndim = get_aval(leaves[0]).ndim
    kept = [a for a in range(ndim) if a not in axes]
    shape = _shape(leaves[0])
    flat_shape = tuple(shape[a] for a in kept) + (math.prod(shape[a] for a in axes),)
    leaves = [reshape(transpose(leaf, kept + list(axes)), flat_shape) for leaf in leaves]
    inits = [_as_operand(v, leaf) for v, leaf in zip(tree_util.tree_leaves(init), leaves)]
    n, last = flat_shape[-1], len(flat_shape) - 1
    if n == 0:
        leaves, n = [broadcast_in_dim(v, flat_shape[:-1] + (1,), ()) for v in inits], 1
    while n != 1:
        if n % 2:
            leaves = [concatenate([leaf, broadcast_in_dim(v, flat_shape[:-1] + (1,), ())], last)
                      for leaf, v in zip(leaves, inits)]
            n += 1
        halves = [(slice_in_dim(leaf, 0, n // 2, axis=last), slice_in_dim(leaf, n // 2, n, axis=last))
                  for leaf in leaves]
        combined = combine(tree_util.tree_unflatten(tree, [a for a, _ in halves]),
                           tree_util.tree_unflatten(tree, [b for _, b in halves]))
        leaves = tree_util.tree_leaves(combined)
        n //= 2
    return tree_util.tree_unflatten(tree, [squeeze(leaf, (last,)) for leaf in leaves])


def _bitwise_reduction(name, operand, axes, op, bool_reduction, identity):
    operand, axes = _reduce_axes(name, operand, axes)
    kind = get_aval(operand).dtype
    if dtypes.is_bool(kind) and bool_reduction is not None:
        return bool_reduction(operand, axes)
    if not (dtypes.is_integer(kind) or dtypes.is_bool(kind)):
        raise TypeError(f"{name} requires a boolean or integer operand, got "
                        f"{get_aval(operand).str_short()}")
    return _fold(operand, axes, op, full((), identity, kind))


def reduce_and(operand, axes):
    """The logical (bools) or bitwise (integers) AND over `axes`."""
    return _bitwise_reduction("reduce_and", operand, axes, bitwise_and, reduce_min, -1)


def reduce_or(operand, axes):
    """The logical (bools) or bitwise (integers) OR over `axes`."""
    return _bitwise_reduction("reduce_or", operand, axes, bitwise_or, reduce_max, 0)


def reduce_xor(operand, axes):
    """The logical (bools) or bitwise (integers) XOR over `axes`."""
    return _bitwise_reduction("reduce_xor", operand, axes, bitwise_xor, None, 0)


def _as_reduction(computation, avals):
    """fx's reduction for `computation` if, traced on scalars, it is one of the monoids
    add, mul, max, min, and, or, xor of its two arguments; else None."""
    from fx.lax import elementwise as e
    from fx.transforms.staging import trace_to_jaxpr
    scalars = [a.update(shape=(), weak_type=False) for a in avals]
    jaxpr, _ = trace_to_jaxpr(lambda x, y: [computation(x, y)], scalars, "lax.reduce computation")
    if len(jaxpr.eqns) != 1 or list(jaxpr.outvars) != list(jaxpr.eqns[0].outvars):
        return None
    eqn = jaxpr.eqns[0]
    if set(map(id, eqn.invars)) != set(map(id, jaxpr.invars)) or len(eqn.invars) != 2:
        return None
    boolean = dtypes.is_bool(avals[0].dtype)
    return {e.add_p: None if boolean else reduce_sum, e.mul_p: None if boolean else reduce_prod,
            e.max_p: reduce_max, e.min_p: reduce_min, e.and_p: reduce_and, e.or_p: reduce_or,
            e.xor_p: reduce_xor}.get(eqn.prim)


def reduce(operands, init_values, computation, dimensions, out_sharding=None):
    """`computation` folded over `dimensions` of `operands` (a pytree of arrays of one
    shape) starting from `init_values` (JAX's lax.reduce). A computation that is one of
    add, mul, max, min, and, or, xor on a single operand becomes fx's reduction, with its
    derivative; any other is applied to halves of the operands, elementwise, log2(n)
    times, so it must be associative and commutative (XLA reduces in no set order) and
    `init_values` its identity."""
    del out_sharding
    check_callable(computation, "reduce: computation")
    leaves, tree = tree_util.tree_flatten(operands)
    init_leaves, init_tree = tree_util.tree_flatten(init_values)
    if tree != init_tree:
        raise ValueError(f"reduce: operands {tree} and init_values {init_tree} must have one "
                         "tree structure")
    leaves = [_as_operand(x) for x in leaves]
    if len({_shape(x) for x in leaves}) > 1:
        raise ValueError(f"reduce: operands must have one shape, got {[_shape(x) for x in leaves]}")
    init_leaves = [_as_operand(v, x) for v, x in zip(init_leaves, leaves)]
    for v, x in zip(init_leaves, leaves):
        if get_aval(v).shape != () or get_aval(v).dtype != get_aval(x).dtype:
            raise TypeError(f"reduce: each init value must be a scalar of its operand's dtype, got "
                            f"{get_aval(v).str_short()} for {get_aval(x).str_short()}")
    axes = canonicalize_axes(tuple(dimensions), get_aval(leaves[0]).ndim, "reduce dimensions")
    if len(leaves) == 1:
        reduction = _as_reduction(computation, [get_aval(leaves[0])] * 2)
        if reduction is not None:
            out = computation(reduction(leaves[0], axes), init_leaves[0])
            return tree_util.tree_unflatten(tree, [out])
    return _fold(tree_util.tree_unflatten(tree, leaves), axes, computation,
                 tree_util.tree_unflatten(tree, init_leaves))


def _logaddexp(a, b):
    """log(exp(a) + exp(b)) without overflow; -inf and +inf pairs stay exact."""
    difference = sub(a, b)
    difference = select(ne(difference, difference), full_like(difference, 0), difference)
    return add(max(a, b), log1p(exp(neg(abs(difference)))))


def cumlogsumexp(operand, axis=0, reverse=False):
    """log(cumsum(exp(operand))) along `axis`, each prefix combined pairwise by a stable
    logaddexp in an associative scan (differentiable, no overflow or underflow)."""
    operand = _as_operand(operand)
    if not dtypes.is_floating(get_aval(operand).dtype):
        raise TypeError(f"cumlogsumexp requires a floating operand, got "
                        f"{get_aval(operand).str_short()}")
    axis = canonicalize_axis(axis, get_aval(operand).ndim, "cumlogsumexp axis")
    return associative_scan(_logaddexp, operand, reverse=bool(reverse), axis=axis)


# ---------------------------------------------------------------------------- arithmetic and bits

def reciprocal(x):
    """1 / x elementwise (integer_pow(x, -1))."""
    return integer_pow(x, -1)


def _integer_operand(name, x):
    x = _as_operand(x)
    if not dtypes.is_integer(get_aval(x).dtype):
        raise TypeError(f"{name} requires an integer operand, got {get_aval(x).str_short()}")
    return x


def _unsigned(x):
    """x's bits as the unsigned type of its width."""
    kind = get_aval(x).dtype
    return x if dtypes.is_unsigned(kind) else bitcast_convert_type(x, np.dtype(f"u{kind.itemsize}"))


def _popcount_unsigned(u):
    """The number of set bits of each unsigned integer (SWAR: sums of bit fields that
    double in width)."""
    bits = get_aval(u).dtype.itemsize * 8
    for shift in (1, 2, 4, 8, 16, 32):
        if shift >= bits:
            break
        pattern = int("".join(("0" * shift + "1" * shift) for _ in range(bits // (2 * shift))), 2)
        mask = full_like(u, pattern)
        u = add(bitwise_and(u, mask), bitwise_and(shift_right_logical(u, full_like(u, shift)), mask))
    return u


def population_count(x):
    """The number of 1 bits of each integer (of its two's complement for signed ones), in
    x's dtype."""
    x = _integer_operand("population_count", x)
    return convert_element_type(_popcount_unsigned(_unsigned(x)), get_aval(x).dtype)


def clz(x):
    """The number of leading zero bits of each integer, in x's dtype."""
    x = _integer_operand("clz", x)
    u = _unsigned(x)
    bits = get_aval(u).dtype.itemsize * 8
    shift = 1
    while shift < bits:  # smear the highest set bit into every lower position
        u = bitwise_or(u, shift_right_logical(u, full_like(u, shift)))
        shift *= 2
    count = sub(full_like(u, bits), _popcount_unsigned(u))
    return convert_element_type(count, get_aval(x).dtype)


def _mulhi_unsigned(x, y):
    """The high half of the double-width product of unsigned x and y, from products of
    their half-width pieces (schoolbook, no type wider than x's)."""
    half = get_aval(x).dtype.itemsize * 4
    mask, h = full_like(x, (1 << half) - 1), full_like(x, half)
    x0, x1 = bitwise_and(x, mask), shift_right_logical(x, h)
    y0, y1 = bitwise_and(y, mask), shift_right_logical(y, h)
    carry = shift_right_logical(mul(x0, y0), h)
    middle = add(mul(x1, y0), carry)
    middle2 = add(mul(x0, y1), bitwise_and(middle, mask))
    return add(add(mul(x1, y1), shift_right_logical(middle, h)), shift_right_logical(middle2, h))


def mulhi(x, y, /):
    """The high half of the full (double-width) product of integers x and y, as for
    umulh/smulh. Signed products correct the unsigned one: hi(x*y) = hi_u(x, y) - (x < 0 ?
    y : 0) - (y < 0 ? x : 0), modulo the width."""
    x, y = _operands(x, y)
    kind = get_aval(x).dtype
    if kind != get_aval(y).dtype or not dtypes.is_integer(kind):
        raise TypeError(f"mulhi requires integer operands of one dtype, got "
                        f"{get_aval(x).str_short()} and {get_aval(y).str_short()}")
    hi = _mulhi_unsigned(_unsigned(x), _unsigned(y))
    if dtypes.is_unsigned(kind):
        return hi
    zero = full_like(x, 0)
    hi = bitcast_convert_type(hi, kind)
    hi = sub(hi, select(lt(x, zero), y, zero))
    return sub(hi, select(lt(y, zero), x, zero))


def nextafter(x1, x2):
    """The next representable float after x1 in the direction of x2 (x2 when they are
    equal, NaN if either is); x1 and x2 share a float dtype."""
    x, y = _operands(x1, x2)
    kind = get_aval(x).dtype
    if kind != get_aval(y).dtype or not dtypes.is_floating(kind):
        raise TypeError(f"nextafter requires float operands of one dtype, got "
                        f"{get_aval(x).str_short()} and {get_aval(y).str_short()}")
    bits = bitcast_convert_type(x, np.dtype(f"i{kind.itemsize}"))
    zero, one = full_like(x, 0), full_like(bits, 1)
    # the integer view of a float grows with its magnitude: step it up to move away from 0
    away = eq(lt(x, y), lt(zero, x))
    stepped = bitcast_convert_type(select(away, add(bits, one), sub(bits, one)), kind)
    smallest = full_like(x, float(dtypes.finfo(kind).smallest_subnormal))
    out = select(eq(x, zero), select(lt(y, zero), neg(smallest), smallest), stepped)
    out = select(eq(x, y), y, out)
    return select(bitwise_or(ne(x, x), ne(y, y)), add(x, y), out)


# ---------------------------------------------------------------------------- top k

def _approx_k(name, operand, k, reduction_dimension, recall_target):
    operand = _as_operand(operand)
    aval = get_aval(operand)
    axis = canonicalize_axis(reduction_dimension, aval.ndim, f"{name} reduction_dimension")
    k = _int(k, f"{name} k", minimum=1)
    if k > aval.shape[axis]:
        raise ValueError(f"{name}: k must be at most the size of the reduction dimension "
                         f"{aval.shape[axis]}, got {k}")
    if not 0 < recall_target <= 1:
        raise ValueError(f"{name}: recall_target must be in (0, 1], got {describe(recall_target)}")
    return operand, k, axis


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True):
    """(values, int32 indices) of the k largest entries along reduction_dimension. JAX's
    approximate search promises a recall of at least `recall_target`; fx answers exactly
    (recall 1), so the tuning arguments change nothing."""
    del reduction_input_size_override, aggregate_to_topk
    operand, k, axis = _approx_k("approx_max_k", operand, k, reduction_dimension, recall_target)
    return list(top_k(operand, k, axis=axis))


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True):
    """(values, int32 indices) of the k smallest entries along reduction_dimension, exactly
    (see approx_max_k): the top k of an order-reversed copy (-x for floats, ~x for
    integers, which cannot overflow)."""
    del reduction_input_size_override, aggregate_to_topk
    operand, k, axis = _approx_k("approx_min_k", operand, k, reduction_dimension, recall_target)
    floating = dtypes.is_inexact(get_aval(operand).dtype)
    flip = neg if floating else bitwise_not
    values, indices = top_k(flip(operand), k, axis=axis)
    return [flip(values), indices]


# ---------------------------------------------------------------------------- compiler hints

def optimization_barrier(operand, /):
    """operand (a pytree), its leaves as arrays: fx's compiler does not move work across
    a barrier any more than JAX's, and needs no primitive to say so."""
    return tree_util.tree_map(_as_operand, operand)


def platform_dependent(*args, default=None, **per_platform):
    """The branch for the default backend's platform ("cpu", or "cuda" / "gpu" on a
    GPU), else `default`, called on args."""
    from fx.backends import get_backend
    platform = get_backend().platform
    names = (platform,) if platform == "cpu" else ("cuda", "gpu", platform)
    branch = next((per_platform[n] for n in names if n in per_platform), default)
    if branch is None:
        raise NotImplementedError(f"platform_dependent: no branch for platform {platform!r} "
                                  f"(given {sorted(per_platform)}) and no default")
    return branch(*args)
