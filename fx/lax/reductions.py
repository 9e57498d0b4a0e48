"""Reductions over axes (sum, prod, max, min, argmax, argmin) and cumulative reductions
along one axis (cumsum, cumprod, cummax, cummin).

The derivative rules never divide by the operand, so they stay exact where it has
zeros: a product's tangent weighs each element's tangent by the product of the *other*
elements, built from exclusive cumulative products. max and min send the tangent to
where the extremum is, averaged over ties (JAX's choice). A cumulative product, max or
min is differentiated as the plain reduction of every prefix, an n×n layout that costs
O(n²) but needs no scan primitive and is exact at zeros and ties.
"""
from __future__ import annotations

import math

import numpy as np

from fx import dtypes
from fx.core import Primitive, ShapedArray, get_aval
from fx.argcheck import index, int_tuple
from fx.lax.elementwise import div, eq, mul, select_n
from fx.lax.examples import example, randn
from fx.lax.shape import broadcast_in_dim, reshape, transpose
from fx.transforms.batching import moveaxis
from fx.transforms.jvp import defjvp_zero, deflinear


def _check_numeric(name, x):
    if dtypes.is_bool(x.dtype):
        raise TypeError(f"{name} requires a numeric operand, got {x.str_short()}")


def _reduced_aval(name, x, axes, dtype=None, weak_type=None):
    if len(set(axes)) != len(axes) or any(not 0 <= a < x.ndim for a in axes):
        raise ValueError(f"{name}: axes {axes} are not distinct axes of {x.str_short()}")
    return ShapedArray(tuple(s for i, s in enumerate(x.shape) if i not in axes),
                       x.dtype if dtype is None else dtype,
                       x.weak_type if weak_type is None else weak_type)


def _kept(ndim, axes):
    return tuple(i for i in range(ndim) if i not in axes)


def _batched_axes(axes, d):
    """Axes of the unbatched operand, renumbered for an operand batched at d."""
    return tuple(a + (a >= d) for a in axes)


def _out_bdim(axes, d):
    return d - sum(a < d for a in axes)


def _reduction_batcher(prim):
    def rule(args, dims, *, axes, **params):
        (x,), (d,) = args, dims
        axes = _batched_axes(axes, d)
        return prim.bind(x, axes=axes, **params), _out_bdim(axes, d)
    prim.batch = rule


def _canonical_axes(axes):
    return tuple(sorted(int_tuple(axes, "axes")))


def _identity(ufunc, dtype):
    """The identity of max (the lowest value) or min (the highest) in `dtype` (complex
    numbers order lexicographically)."""
    if dtypes.is_bool(dtype):
        return ufunc is np.minimum
    if dtypes.is_floating(dtype) or dtypes.is_complex(dtype):
        highest = complex(np.inf, np.inf) if dtypes.is_complex(dtype) else np.inf
        return highest if ufunc is np.minimum else -highest
    info = np.iinfo(dtype)
    return info.max if ufunc is np.minimum else info.min


# ---------------------------------------------------------------------------- float sums in blocks

# Eager float sums and cumulative sums add in blocks, as compiled code does
# (fx/backends/llvm/fused.py): NumPy adds pairwise only along the axis innermost in
# memory, so a column sum, or any cumulative sum, is one running total whose rounding
# error grows with its length (float32 ones stop counting at 2**24).
SUM_BLOCK = 512
SCAN_BLOCK = 256


def _sum(x, axes):
    """np.sum over `axes` in x's dtype. A float sum of more than SUM_BLOCK terms that are
    not contiguous in memory (NumPy sums those pairwise itself) adds them in blocks of
    SUM_BLOCK, then the blocks' sums the same way, so its error grows with the number of
    levels, log(n) / log(SUM_BLOCK), not with n."""
    count = math.prod([x.shape[a] for a in axes])
    if not dtypes.is_floating(x.dtype) or count <= SUM_BLOCK or (
            x.flags.c_contiguous and axes == tuple(range(x.ndim - len(axes), x.ndim))):
        return np.add.reduce(x, axis=axes, dtype=x.dtype)
    kept = [d for d in range(x.ndim) if d not in axes]
    lines = np.transpose(x, kept + list(axes)).reshape([x.shape[d] for d in kept] + [count])
    return _sum_last(lines)


def _sum_last(x):
    n = x.shape[-1]
    if n <= SUM_BLOCK:
        return np.add.reduce(x, axis=-1)
    whole = n - n % SUM_BLOCK
    sums = np.add.reduce(x[..., :whole].reshape(x.shape[:-1] + (-1, SUM_BLOCK)), axis=-1)
    if whole < n:
        sums = np.concatenate([sums, np.add.reduce(x[..., whole:], axis=-1, keepdims=True)], -1)
    return _sum_last(sums)


def _cumsum(x, *, axis, reverse):
    """np.cumsum along `axis` (from the end if `reverse`) in x's dtype. A float line longer
    than SCAN_BLOCK is summed in blocks: each element is its running sum within its block
    plus the total of the blocks before, itself such a cumulative sum of the blocks'
    totals, so the error grows with the number of levels, not with the line's length."""
    lines = np.moveaxis(x, axis, -1)
    with np.errstate(all="ignore"):  # inf - inf is a NaN result, as in native code
        out = _scan_last(lines[..., ::-1] if reverse else lines)
    return np.moveaxis(out[..., ::-1] if reverse else out, -1, axis)


def _scan_last(x):
    n = x.shape[-1]
    if not dtypes.is_floating(x.dtype) or n <= SCAN_BLOCK:
        return np.cumsum(x, axis=-1, dtype=x.dtype)
    blocks = -(-n // SCAN_BLOCK)
    if n % SCAN_BLOCK:
        x = np.concatenate([x, np.zeros(x.shape[:-1] + (blocks * SCAN_BLOCK - n,), x.dtype)], -1)
    within = np.cumsum(x.reshape(x.shape[:-1] + (blocks, SCAN_BLOCK)), axis=-1, dtype=x.dtype)
    through = _scan_last(within[..., -1])  # the running total at each block's end
    within[..., 1:, :] += through[..., :-1, None]
    return within.reshape(x.shape)[..., :n]


# ---------------------------------------------------------------------------- reduce_sum

reduce_sum_p = Primitive("reduce_sum")
reduce_sum_p.impl = lambda x, *, axes: _sum(x, axes)


def _reduce_sum_abstract_eval(x, *, axes):
    _check_numeric("reduce_sum", x)
    return _reduced_aval("reduce_sum", x, axes)


def _reduce_sum_transpose(ct, x, *, axes):
    shape = x.aval.shape
    return [broadcast_in_dim(ct, shape, _kept(len(shape), axes))]


reduce_sum_p.abstract_eval = _reduce_sum_abstract_eval
deflinear(reduce_sum_p, _reduce_sum_transpose)
_reduction_batcher(reduce_sum_p)


def reduce_sum(x, axes):
    return reduce_sum_p.bind(x, axes=_canonical_axes(axes))


# ------------------------------------------------------------------------ reduce_max, reduce_min

def _chooser_jvp(prim):
    """The tangent where the extremum is, averaged over ties; NaN if the result is NaN."""
    def rule(primals, tangents, *, axes):
        from fx import lax
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axes=axes)
        shape = get_aval(x).shape
        at_extremum = eq(x, broadcast_in_dim(ans, shape, _kept(len(shape), axes)))
        location = lax.convert_element_type(at_extremum, get_aval(t).dtype)
        return ans, div(reduce_sum(mul(t, location), axes), reduce_sum(location, axes))
    prim.jvp = rule


def _chooser(name, ufunc):
    prim = Primitive(name)
    prim.impl = lambda x, *, axes: ufunc.reduce(x, axis=axes, initial=_identity(ufunc, x.dtype))
    prim.abstract_eval = lambda x, *, axes: _reduced_aval(name, x, axes)
    _chooser_jvp(prim)
    _reduction_batcher(prim)
    return prim


reduce_max_p = _chooser("reduce_max", np.maximum)
reduce_min_p = _chooser("reduce_min", np.minimum)


def reduce_max(operand, axes):
    return reduce_max_p.bind(operand, axes=_canonical_axes(axes))


def reduce_min(operand, axes):
    return reduce_min_p.bind(operand, axes=_canonical_axes(axes))


# ---------------------------------------------------------------------------- reduce_prod

def _product_of_others(x):
    """For each element on the last axis, the product of the other elements there.

    Interleaving ones with x makes exclusive products out of inclusive cumprods:
    cumprod([1, x0, 1, x1, ...]) at the ones gives the products before each element,
    and the reverse cumprod of [x0, 1, x1, 1, ...] at the ones those after it.
    """
    from fx import lax
    aval = get_aval(x)
    *batch, n = aval.shape
    b = len(batch)
    pairs = (*batch, n, 2)
    xs = broadcast_in_dim(x, pairs, tuple(range(b + 1)))
    ones = lax.full(pairs, 1, aval.dtype)
    first = broadcast_in_dim(np.array([True, False]), pairs, (b + 1,))

    def scan(interleaved, reverse):
        return reshape(cumprod(reshape(interleaved, (*batch, 2 * n)), b, reverse), pairs)

    before = scan(select_n(first, xs, ones), reverse=False)
    after = scan(select_n(first, ones, xs), reverse=True)
    return reduce_prod(select_n(first, after, before), (b + 1,))


def _reduce_prod_jvp(primals, tangents, *, axes):
    (x,), (t,) = primals, tangents
    shape = get_aval(x).shape
    kept = _kept(len(shape), axes)
    perm = kept + axes
    moved_shape = tuple(shape[i] for i in perm)
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    flat = reshape(transpose(x, perm), moved_shape[:len(kept)] + (n,))
    others = transpose(reshape(_product_of_others(flat), moved_shape), tuple(np.argsort(perm)))
    return reduce_prod(x, axes), reduce_sum(mul(t, others), axes)


reduce_prod_p = Primitive("reduce_prod")
reduce_prod_p.impl = lambda x, *, axes: np.prod(x, axis=axes, dtype=x.dtype)


def _reduce_prod_abstract_eval(x, *, axes):
    _check_numeric("reduce_prod", x)
    return _reduced_aval("reduce_prod", x, axes)


reduce_prod_p.abstract_eval = _reduce_prod_abstract_eval
reduce_prod_p.jvp = _reduce_prod_jvp
_reduction_batcher(reduce_prod_p)


def reduce_prod(operand, axes):
    return reduce_prod_p.bind(operand, axes=_canonical_axes(axes))


# ---------------------------------------------------------------------------- argmax / argmin

def _arg_chooser(name, np_arg):
    def abstract_eval(x, *, axes, index_dtype):
        if len(axes) != 1:
            raise TypeError(f"{name} reduces exactly one axis, got axes={axes}")
        if not dtypes.is_integer(index_dtype):
            raise TypeError(f"{name}: index_dtype must be an integer dtype, got {index_dtype}")
        out = _reduced_aval(name, x, axes, dtype=index_dtype, weak_type=False)
        if x.shape[axes[0]] == 0:
            raise ValueError(f"{name} needs a non-empty axis, got axis {axes[0]} of "
                             f"{x.str_short()}")
        return out

    prim = Primitive(name)
    # NumPy's argmax/argmin already return the first extremum and count NaN as one.
    prim.impl = lambda x, *, axes, index_dtype: np_arg(x, axis=axes[0]).astype(index_dtype)
    prim.abstract_eval = abstract_eval
    defjvp_zero(prim)
    _reduction_batcher(prim)
    return prim


argmax_p = _arg_chooser("argmax", np.argmax)
argmin_p = _arg_chooser("argmin", np.argmin)


def argmax(operand, axis, index_dtype):
    """Index of the first maximum along `axis` (a NaN counts as the maximum)."""
    return argmax_p.bind(operand, axes=(index(axis, "axis"),),
                         index_dtype=dtypes.canonicalize_dtype(index_dtype))


def argmin(operand, axis, index_dtype):
    """Index of the first minimum along `axis` (a NaN counts as the minimum)."""
    return argmin_p.bind(operand, axes=(index(axis, "axis"),),
                         index_dtype=dtypes.canonicalize_dtype(index_dtype))


# ---------------------------------------------------------------------------- cumulative reductions

def _cumulative(name, ufunc):
    def impl(x, *, axis, reverse):
        if reverse:
            return np.flip(ufunc.accumulate(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
        return ufunc.accumulate(x, axis=axis, dtype=x.dtype)

    def abstract_eval(x, *, axis, reverse):
        _check_numeric(name, x)
        if not 0 <= axis < x.ndim:
            raise ValueError(f"{name}: axis {axis} is out of bounds for {x.str_short()}")
        return x

    def batch(args, dims, *, axis, reverse):
        (x,), (d,) = args, dims
        return prim.bind(x, axis=axis + (axis >= d), reverse=reverse), d

    prim = Primitive(name)
    prim.impl, prim.abstract_eval, prim.batch = impl, abstract_eval, batch
    return prim


def _prefix_jvp(prim, reduce_p, fill):
    """JVP of out[i] = reduce(x[k] for k <= i) (k >= i if reversed) as the JVP of
    `reduce_p` over an (n, n) matrix of the prefixes, padded with the identity `fill`."""
    def rule(primals, tangents, *, axis, reverse):
        from fx import lax
        (x,), (t,) = primals, tangents
        aval = get_aval(x)
        n, b = aval.shape[axis], aval.ndim - 1
        square = tuple(s for i, s in enumerate(aval.shape) if i != axis) + (n, n)
        in_prefix = np.tri(n, dtype=bool)  # [i, k]: k <= i
        in_prefix = broadcast_in_dim(in_prefix.T if reverse else in_prefix, square, (b, b + 1))

        def prefixes(v, pad):
            rows = broadcast_in_dim(moveaxis(v, axis, -1), square, tuple(range(b)) + (b + 1,))
            return select_n(in_prefix, lax.full(square, pad, aval.dtype), rows)

        _, out_t = reduce_p.jvp((prefixes(x, fill(aval.dtype)),), (prefixes(t, 0),), axes=(b + 1,))
        return prim.bind(x, axis=axis, reverse=reverse), moveaxis(out_t, -1, axis)
    prim.jvp = rule


cumsum_p = _cumulative("cumsum", np.add)
cumsum_p.impl = _cumsum  # in blocks, as compiled code
deflinear(cumsum_p, lambda ct, x, *, axis, reverse: [cumsum(ct, axis, not reverse)])
cumprod_p = _cumulative("cumprod", np.multiply)
_prefix_jvp(cumprod_p, reduce_prod_p, lambda dtype: 1)
cummax_p = _cumulative("cummax", np.maximum)
_prefix_jvp(cummax_p, reduce_max_p, lambda dtype: _identity(np.maximum, dtype))
cummin_p = _cumulative("cummin", np.minimum)
_prefix_jvp(cummin_p, reduce_min_p, lambda dtype: _identity(np.minimum, dtype))


def cumsum(operand, axis=0, reverse=False):
    return cumsum_p.bind(operand, axis=index(axis, "axis"), reverse=bool(reverse))


def cumprod(operand, axis=0, reverse=False):
    return cumprod_p.bind(operand, axis=index(axis, "axis"), reverse=bool(reverse))


def cummax(operand, axis=0, reverse=False):
    return cummax_p.bind(operand, axis=index(axis, "axis"), reverse=bool(reverse))


def cummin(operand, axis=0, reverse=False):
    return cummin_p.bind(operand, axis=index(axis, "axis"), reverse=bool(reverse))


# ---------------------------------------------------------------------------- examples

def _flip_accumulate(ufunc):
    def reference(x, axis, reverse):
        flip = (lambda v: np.flip(v, axis)) if reverse else (lambda v: v)
        return flip(ufunc.accumulate(flip(x), axis=axis))
    return reference


_x = randn(3, 4, 5, seed=11)  # distinct values: no ties, so max/min are differentiable
_one_zero = randn(3, 4, seed=12)
_one_zero[1, 2] = 0.0
_two_zeros = randn(3, 4, seed=13)
_two_zeros[0, 1] = _two_zeros[0, 3] = _two_zeros[2, 0] = 0.0

example(reduce_sum_p, _x, params=dict(axes=(0, 2)),
        reference=lambda x, axes: x.sum(axes), linear_argnums=(0,))
for _p, _ref in [(reduce_max_p, np.max), (reduce_min_p, np.min), (reduce_prod_p, np.prod)]:
    for _axes in [(1,), (0, 2), (0, 1, 2)]:
        example(_p, _x, params=dict(axes=_axes), reference=lambda x, axes, f=_ref: f(x, axis=axes))
example(reduce_max_p, np.array([[3, -1, 7], [7, 2, 2]], np.int32), params=dict(axes=(1,)),
        reference=lambda x, axes: x.max(axes), name="int32")
example(reduce_min_p, np.array([[True, False], [True, True]]), params=dict(axes=(1,)),
        reference=lambda x, axes: x.min(axes), name="bool")
example(reduce_max_p, np.array([[1.0, np.nan, 2.0], [0.5, 3.0, -1.0]]), params=dict(axes=(1,)),
        reference=lambda x, axes: x.max(axes), diff_argnums=(), name="nan")
example(reduce_prod_p, _one_zero, params=dict(axes=(1,)),
        reference=lambda x, axes: x.prod(axes), name="one_zero")
example(reduce_prod_p, _two_zeros, params=dict(axes=(0, 1)),
        reference=lambda x, axes: x.prod(axes), name="two_zeros")
example(reduce_prod_p, _two_zeros, params=dict(axes=(1,)),
        reference=lambda x, axes: x.prod(axes), name="zeros_by_row")

_ties = np.array([[2.0, np.nan, 5.0, 5.0], [-3.0, 4.0, -3.0, 4.0]])
for _p, _ref in [(argmax_p, np.argmax), (argmin_p, np.argmin)]:
    for _axis in (0, 2):
        example(_p, _x, params=dict(axes=(_axis,), index_dtype=np.dtype("int32")),
                reference=lambda x, axes, index_dtype, f=_ref: f(x, axes[0]).astype(index_dtype))
    example(_p, _ties, params=dict(axes=(1,), index_dtype=np.dtype("int32")),
            reference=lambda x, axes, index_dtype, f=_ref: f(x, axes[0]).astype(index_dtype),
            diff_argnums=(), name="ties_and_nan")

for _p, _ufunc in [(cumsum_p, np.add), (cumprod_p, np.multiply), (cummax_p, np.maximum),
                   (cummin_p, np.minimum)]:
    for _axis, _reverse in [(0, False), (1, True), (2, False)]:
        example(_p, _x, params=dict(axis=_axis, reverse=_reverse),
                reference=_flip_accumulate(_ufunc), linear_argnums=(0,) if _p is cumsum_p else ())
example(cumprod_p, _two_zeros, params=dict(axis=1, reverse=False),
        reference=_flip_accumulate(np.multiply), name="zeros")
example(cumprod_p, _two_zeros, params=dict(axis=1, reverse=True),
        reference=_flip_accumulate(np.multiply), name="zeros_reversed")
example(cumsum_p, np.arange(12, dtype=np.int32).reshape(3, 4), params=dict(axis=1, reverse=False),
        reference=_flip_accumulate(np.add), name="int32")


# ---------------------------------------------------------------------------- lowering

def _lower_reduction(reducer):
    def rule(ctx, x, *, axes, **params):
        return ctx.reduce(x, tuple(axes), reducer, ctx.out_avals[0].dtype)
    return rule


for _prim, _reducer in [(reduce_sum_p, "add"), (reduce_prod_p, "mul"), (reduce_max_p, "max"),
                        (reduce_min_p, "min"), (argmax_p, "argmax"), (argmin_p, "argmin")]:
    _prim.lower = _lower_reduction(_reducer)


def _lower_cumulative(reducer):
    def rule(ctx, x, *, axis, reverse):
        from fx.ir import kernels as K
        from fx.ir.lower import BufferValue
        out = ctx.new_buffer(x.shape, x.dtype)
        ctx.emit(K.Cumulative("", out, x.at(K.loop_index(len(x.shape))), axis, reducer, reverse))
        return BufferValue(out)
    return rule


for _prim, _reducer in [(cumsum_p, "add"), (cumprod_p, "mul"), (cummax_p, "max"), (cummin_p, "min")]:
    _prim.lower = _lower_cumulative(_reducer)

