"""dot_general, the one contraction primitive, and the `dot` binder built on it.

dot_general(lhs, rhs, ((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch)))
pairs up batch dimensions, sums over the contracting ones and lays the result out as
(batch dims, lhs free dims, rhs free dims), as JAX does. It is bilinear, so its JVP is
two dot_generals and the transpose for either operand is another dot_general (of the
cotangent with the other operand) followed by a transpose into the operand's layout.
"""
from __future__ import annotations

import enum

import numpy as np

from fx import dtypes
from fx.core import Primitive, ShapedArray, UndefinedPrimal, get_aval
from fx.lax.examples import example, randn
from fx.lax.shape import transpose
from fx.transforms.jvp import defjvp

dot_general_p = Primitive("dot_general")


def _free_dims(ndim, contracting, batch):
    return tuple(d for d in range(ndim) if d not in contracting and d not in batch)


# ---------------------------------------------------------------------------- shape and dtype

def _check_dims(side, aval, contracting, batch):
    dims = contracting + batch
    if any(not 0 <= d < aval.ndim for d in dims) or len(set(dims)) != len(dims):
        raise TypeError(f"dot_general: {side} contracting dims {contracting} and batch dims "
                        f"{batch} must be distinct axes of {side} {aval.str_short()}")


def _check_preferred(operand_dtype, preferred):
    """The primitive's preferred_element_type is the accumulation type: a widening of
    the operands' (the binder converts to any other type JAX allows afterwards)."""
    if dtypes.promote_types(operand_dtype, preferred) != preferred:
        raise TypeError(f"dot_general: preferred_element_type {np.dtype(preferred).name} does not "
                        f"widen {np.dtype(operand_dtype).name} operands")


def _bit_width(dtype):
    dtype = np.dtype(dtype)
    return 1 if dtypes.is_bool(dtype) else (
        dtypes.finfo(dtype) if dtypes.is_inexact(dtype) else np.iinfo(dtype)).bits


def _check_preferred_public(operand_dtype, preferred):
    """JAX's rule (XLA's MaybeUpcast): any result type for float operands; for others
    (bool, integer, complex) none narrower than the operands."""
    if not dtypes.is_floating(operand_dtype) and _bit_width(preferred) < _bit_width(operand_dtype):
        raise TypeError(f"dot_general: preferred_element_type {np.dtype(preferred).name} must not "
                        f"be narrower than the {np.dtype(operand_dtype).name} operands")


def _dot_general_abstract_eval(lhs, rhs, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    _check_dims("lhs", lhs, lc, lb)
    _check_dims("rhs", rhs, rc, rb)
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise TypeError(f"dot_general: lhs and rhs need as many contracting and as many batch "
                        f"dims, got dimension_numbers {dimension_numbers}")
    for kind, ld, rd in (("batch", lb, rb), ("contracting", lc, rc)):
        lsizes, rsizes = [lhs.shape[d] for d in ld], [rhs.shape[d] for d in rd]
        if lsizes != rsizes:
            raise TypeError(f"dot_general: {kind} dims must have equal sizes, got lhs {kind} sizes "
                            f"{lsizes} ({lhs.str_short()}) and rhs {kind} sizes {rsizes} "
                            f"({rhs.str_short()})")
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"dot_general requires operands of equal dtypes, got {lhs.str_short()} "
                        f"and {rhs.str_short()}")
    if preferred_element_type is not None:
        _check_preferred(lhs.dtype, preferred_element_type)
    shape = (tuple(lhs.shape[d] for d in lb)
             + tuple(lhs.shape[d] for d in _free_dims(lhs.ndim, lc, lb))
             + tuple(rhs.shape[d] for d in _free_dims(rhs.ndim, rc, rb)))
    weak = lhs.weak_type and rhs.weak_type and preferred_element_type is None
    return ShapedArray(shape, preferred_element_type or lhs.dtype, weak)


# ---------------------------------------------------------------------------- impl

def _dot_general_impl(lhs, rhs, *, dimension_numbers, preferred_element_type):
    dtype = np.dtype(preferred_element_type or lhs.dtype)
    if dtypes.is_16bit_float(dtype):  # a float32 product rounded once, as the CPU backend
        product = _dot_general_impl(lhs.astype(np.float32), rhs.astype(np.float32),
                                    dimension_numbers=dimension_numbers, preferred_element_type=None)
        return product.astype(dtype)
    if preferred_element_type is not None:
        lhs, rhs = lhs.astype(preferred_element_type), rhs.astype(preferred_element_type)
    (lc, rc), (lb, rb) = dimension_numbers
    if dimension_numbers == (((1,), (0,)), ((), ())) and lhs.ndim == rhs.ndim == 2:
        return lhs @ rhs
    lf, rf = _free_dims(lhs.ndim, lc, lb), _free_dims(rhs.ndim, rc, rb)

    def size(x, dims):
        return int(np.prod([x.shape[d] for d in dims], dtype=np.int64))

    # (batch, free, contracting) @ (batch, contracting, free): one batched matmul.
    batch, k = size(lhs, lb), size(lhs, lc)
    a = np.transpose(lhs, lb + lf + lc).reshape(batch, size(lhs, lf), k)
    b = np.transpose(rhs, rb + rc + rf).reshape(batch, k, size(rhs, rf))
    shape = tuple(lhs.shape[d] for d in lb + lf) + tuple(rhs.shape[d] for d in rf)
    return np.matmul(a, b).reshape(shape)


# ---------------------------------------------------------------------------- transpose

def _transpose_operand(ct, other, aval, this_dims, other_dims, ct_other_free):
    """The cotangent of one operand: contract ct with the other operand over the other's
    free dims and the batch dims, then lay the result out like the operand.

    The product comes out as (batch, this operand's free dims, other's contracting dims
    in increasing order); `this_dims`/`other_dims` are the (contracting, batch) dims.
    """
    from fx import lax
    (tc, tb), (oc, ob) = this_dims, other_dims
    ct_batch = tuple(range(len(tb)))
    other_free = _free_dims(get_aval(other).ndim, oc, ob)
    other = lax.convert_element_type(other, get_aval(ct).dtype)
    product = dot_general(ct, other, ((ct_other_free, other_free), (ct_batch, ob)))
    this_free = _free_dims(aval.ndim, tc, tb)
    position = {d: i for i, d in enumerate(tb)}
    position.update((d, len(tb) + i) for i, d in enumerate(this_free))
    contracted_order = sorted(oc)
    position.update((d, len(tb) + len(this_free) + contracted_order.index(o))
                    for d, o in zip(tc, oc))
    product = transpose(product, tuple(position[d] for d in range(aval.ndim)))
    return lax.convert_element_type(product, aval.dtype)


def _dot_general_transpose(ct, lhs, rhs, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    lhs_linear = isinstance(lhs, UndefinedPrimal)  # bilinear: exactly one side is linear
    # ct's dims: batch, then lhs free, then rhs free
    split = (lhs.aval if lhs_linear else get_aval(lhs)).ndim - len(lc)
    ct_lhs_free = tuple(range(len(lb), split))
    ct_rhs_free = tuple(range(split, get_aval(ct).ndim))
    if lhs_linear:
        return [_transpose_operand(ct, rhs, lhs.aval, (lc, lb), (rc, rb), ct_rhs_free),
                None]
    return [None,
            _transpose_operand(ct, lhs, rhs.aval, (rc, rb), (lc, lb), ct_lhs_free)]


# ---------------------------------------------------------------------------- batching

def _dot_general_batch(args, dims, *, dimension_numbers, preferred_element_type):
    (lhs, rhs), (ld, rd) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers

    def shift(ds, d):
        return tuple(x + (d is not None and x >= d) for x in ds)

    lc, lb, rc, rb = shift(lc, ld), shift(lb, ld), shift(rc, rd), shift(rb, rd)
    if ld is not None and rd is not None:  # a new leading batch dim pair
        return dot_general(lhs, rhs, ((lc, rc), ((ld,) + lb, (rd,) + rb)),
                           preferred_element_type=preferred_element_type), 0
    out = dot_general(lhs, rhs, ((lc, rc), (lb, rb)), preferred_element_type=preferred_element_type)
    nb = len(lb)
    lhs_free = _free_dims(get_aval(lhs).ndim, lc, lb)
    if ld is not None:  # a free lhs dim
        return out, nb + lhs_free.index(ld)
    rhs_free = _free_dims(get_aval(rhs).ndim, rc, rb)
    return out, nb + len(lhs_free) + rhs_free.index(rd)


dot_general_p.impl = _dot_general_impl
dot_general_p.abstract_eval = _dot_general_abstract_eval
defjvp(dot_general_p,
       lambda g, ans, lhs, rhs, **params: dot_general_p.bind(g, rhs, **params),
       lambda g, ans, lhs, rhs, **params: dot_general_p.bind(lhs, g, **params))
dot_general_p.transpose = _dot_general_transpose
dot_general_p.batch = _dot_general_batch


# ---------------------------------------------------------------------------- binders

def _canonical_dimension_numbers(dimension_numbers):
    try:
        (lc, rc), (lb, rb) = dimension_numbers
        return tuple(tuple(tuple(int(d) for d in ds) for ds in pair)
                     for pair in ((lc, rc), (lb, rb)))
    except (TypeError, ValueError) as e:
        raise TypeError("dot_general: dimension_numbers must be ((lhs_contracting, "
                        "rhs_contracting), (lhs_batch, rhs_batch)), got "
                        f"{dimension_numbers!r}") from e


class Precision(enum.Enum):
    """JAX's names for a matrix product's precision. fx computes every product at its
    operands' full precision (a float32 product in float32: JAX's HIGHEST), so a
    precision is checked and otherwise changes nothing."""
    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        return _PRECISION_NAMES.get(value) if isinstance(value, str) else None

    def __repr__(self):
        return f"Precision.{self.name}"

    def __str__(self):
        return self.name


# JAX's spellings (lower case only, as in JAX)
_PRECISION_NAMES = {"default": Precision.DEFAULT, "fastest": Precision.DEFAULT,
                    "bfloat16": Precision.DEFAULT, "high": Precision.HIGH,
                    "bfloat16_3x": Precision.HIGH, "tensorfloat32": Precision.HIGH,
                    "highest": Precision.HIGHEST, "float32": Precision.HIGHEST}


def canonicalize_precision(precision):
    """None, or a pair of Precisions (one per operand) from JAX's spellings: a name, a
    Precision, or a pair of either."""
    if precision is None:
        return None
    pair = precision if isinstance(precision, (tuple, list)) and len(precision) == 2 else None
    try:
        if pair is not None and all(isinstance(p, (str, Precision)) for p in pair):
            return tuple(Precision(p) for p in pair)
        if isinstance(precision, (str, Precision)):
            return (Precision(precision),) * 2
    except ValueError:
        pass
    raise ValueError(f"precision must be None, one of {list(_PRECISION_NAMES)}, a lax.Precision, "
                     f"or a pair of these, got {precision!r}")


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """Contract lhs and rhs as `dimension_numbers` say, giving `preferred_element_type`
    (the operands' type by default), as JAX: the product accumulates in the wider of the
    two types and is then converted, so int8 operands with int32 preferred sum in int32,
    bfloat16 ones with float32 give float32, and float32 ones with int32 truncate the
    float32 result. `precision` is checked (see `Precision`)."""
    canonicalize_precision(precision)
    dimension_numbers = _canonical_dimension_numbers(dimension_numbers)
    if preferred_element_type is None:
        return dot_general_p.bind(lhs, rhs, dimension_numbers=dimension_numbers,
                                  preferred_element_type=None)
    preferred = dtypes.canonicalize_dtype(preferred_element_type)
    operand_dtype = get_aval(lhs).dtype
    _check_preferred_public(operand_dtype, preferred)
    accumulate = dtypes.canonicalize_dtype(dtypes.promote_types(operand_dtype, preferred))
    out = dot_general_p.bind(lhs, rhs, dimension_numbers=dimension_numbers,
                             preferred_element_type=None if accumulate == operand_dtype
                             else accumulate)
    if accumulate == preferred:
        return out
    from fx.lax.ops import convert_element_type
    return convert_element_type(out, preferred)


def dot(lhs, rhs, *, dimension_numbers=None, precision=None, preferred_element_type=None):
    """Vector·vector, matrix·vector or matrix·matrix product (JAX's lax.dot); with
    `dimension_numbers`, dot_general."""
    if dimension_numbers is not None:
        return dot_general(lhs, rhs, dimension_numbers, precision, preferred_element_type)
    ls, rs = get_aval(lhs).shape, get_aval(rhs).shape
    if not (1 <= len(ls) <= 2 and 1 <= len(rs) <= 2 and ls[-1] == rs[0]):
        raise TypeError(f"dot: incompatible shapes {ls} and {rs}: expected 1-D or 2-D operands "
                        "with lhs.shape[-1] == rhs.shape[0]")
    return dot_general(lhs, rhs, (((len(ls) - 1,), (0,)), ((), ())), precision,
                       preferred_element_type)


# ---------------------------------------------------------------------------- examples

def _einsum_reference(lhs, rhs, dimension_numbers, preferred_element_type=None):
    """An independent oracle: the same contraction spelled as np.einsum subscripts."""
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    ls = [next(letters) for _ in range(lhs.ndim)]
    rs = [next(letters) for _ in range(rhs.ndim)]
    for left, right in zip(lc + lb, rc + rb):
        rs[right] = ls[left]
    out = ([ls[d] for d in lb] + [ls[d] for d in _free_dims(lhs.ndim, lc, lb)]
           + [rs[d] for d in _free_dims(rhs.ndim, rc, rb)])
    dtype = preferred_element_type or lhs.dtype
    return np.einsum(f"{''.join(ls)},{''.join(rs)}->{''.join(out)}",
                     lhs.astype(dtype), rhs.astype(dtype)).astype(dtype)


def _dot_examples(lhs, rhs, dimension_numbers, name):
    params = dict(dimension_numbers=dimension_numbers, preferred_element_type=None)
    for linear in (0, 1):
        example(dot_general_p, lhs, rhs, params=params, reference=_einsum_reference,
                linear_argnums=(linear,), name=f"{name}_linear_in_{('lhs', 'rhs')[linear]}")


_dot_examples(randn(3, 4, seed=20), randn(4, 5, seed=21), (((1,), (0,)), ((), ())), "matmul")
_dot_examples(randn(4, seed=22), randn(4, seed=23), (((0,), (0,)), ((), ())), "vector_dot")
_dot_examples(randn(3, seed=24), randn(4, seed=25), (((), ()), ((), ())), "outer")
_dot_examples(randn(2, 3, 4, seed=26), randn(2, 4, 5, seed=27), (((2,), (1,)), ((0,), (0,))),
              "batched_matmul")
# contracting dims in different orders on each side, and a batch dim in the middle
_dot_examples(randn(4, 2, 3, 5, seed=28), randn(5, 6, 2, 4, seed=29),
              (((0, 3), (3, 0)), ((1,), (2,))), "scrambled")
# two batch dims paired out of order, free dims on both sides of them
_dot_examples(randn(3, 2, 4, seed=30), randn(2, 4, 3, 5, seed=31),
              (((2,), (1,)), ((0, 1), (2, 0))), "unsorted_batch")
_i, _j = np.arange(-6, 6, dtype=np.int32).reshape(3, 4), np.arange(8, dtype=np.int32).reshape(4, 2)
example(dot_general_p, _i, _j, params=dict(dimension_numbers=(((1,), (0,)), ((), ())),
                                           preferred_element_type=None),
        reference=_einsum_reference, name="int32")
example(dot_general_p, _i, _j, params=dict(dimension_numbers=(((1,), (0,)), ((), ())),
                                           preferred_element_type=np.dtype("float64")),
        reference=_einsum_reference, name="int32_to_float64")


# ---------------------------------------------------------------------------- lowering

def _lower_dot_general(ctx, lhs, rhs, *, dimension_numbers, preferred_element_type):
    """A Gemm over (batch, m, k) x (batch, k, n) views; operands whose layout is not one of
    those (or its transpose) are first laid out by a copy kernel (complex ones call cgemm/
    zgemm). Integer products, which BLAS does not do, become a reduction kernel; 16-bit
    float ones are float32 products
    rounded once, as XLA computes them on the CPU."""
    dtype = np.dtype(ctx.out_avals[0].dtype)
    if dtypes.is_16bit_float(dtype):
        wide = [ctx.elementwise("convert", [x], dtypes.float32) for x in (lhs, rhs)]
        product = _lower_product(ctx, *wide, dimension_numbers, dtypes.float32)
        return ctx.elementwise("convert", [product], dtype)
    return _lower_product(ctx, lhs, rhs, dimension_numbers, dtype)


def _lower_product(ctx, lhs, rhs, dimension_numbers, dtype):
    from fx.ir import kernels as K
    from fx.ir.lower import BufferValue
    (lc, rc), (lb, rb) = dimension_numbers
    lf, rf = _free_dims(lhs.ndim, lc, lb), _free_dims(rhs.ndim, rc, rb)
    out_shape = ctx.out_avals[0].shape
    if lhs.dtype != dtype:
        lhs, rhs = (ctx.elementwise("convert", [x], dtype) for x in (lhs, rhs))
    if not dtypes.is_inexact(dtype):
        return _lower_as_reduction(ctx, lhs, rhs, lb, lf, lc, rb, rf, rc, out_shape)
    size = lambda x, dims: int(np.prod([x.shape[d] for d in dims], dtype=np.int64))  # noqa: E731
    batch, m, n, k = size(lhs, lb), size(lhs, lf), size(rhs, rf), size(lhs, lc)
    (lhs, lhs_at, trans_lhs), (rhs, rhs_at, trans_rhs) = (
        _gemm_operand(ctx, lhs, lb, lf, lc), _gemm_operand(ctx, rhs, rb, rc, rf))
    out = ctx.new_buffer(out_shape, dtype)
    ctx.emit(K.Gemm("", lhs, rhs, out, batch, m, n, k, trans_lhs, trans_rhs,
                    offsets=(lhs_at, rhs_at, K.IConst(0))))
    return BufferValue(out)


def _gemm_operand(ctx, x, batch, rows, cols):
    """(buffer, offset, trans): x as a block of a buffer laid out (batch, rows, cols), or
    (batch, cols, rows) with trans=True. Neither a transpose of a buffer (`a @ b.T`: BLAS
    reads it transposed) nor a row of one (`xs[i] @ w` in a scan) needs a copy."""
    from fx.ir import kernels as K
    from fx.lax.shape import _lower_transpose
    order = tuple(batch) + tuple(rows) + tuple(cols)
    flipped = tuple(batch) + tuple(cols) + tuple(rows)
    buffer, offset, layout = _stored_layout(x)
    if buffer is None:
        buffer, offset, layout = ctx.materialize(x).buffer, K.IConst(0), tuple(range(x.ndim))
    if layout == order or layout == flipped:
        return buffer, offset, layout == flipped and order != flipped
    return ctx.materialize(_lower_transpose(ctx, x, permutation=order)).buffer, K.IConst(0), False


def _stored_layout(x):
    """(buffer, offset, layout) when x is a contiguous block of a buffer read through a
    permutation of its axes: the buffer's leading axes indexed by loop-invariant indices
    (the block starts `offset` elements in), its other axis j holding x's axis layout[j].
    (None, None, None) when x is anything else."""
    from fx.ir import kernels as K
    expr = x.at(K.loop_index(len(x.shape)))
    if not isinstance(expr, K.Load):
        return None, None, None
    lead = len(expr.index) - x.ndim
    fixed, varying = expr.index[:lead], expr.index[lead:]
    if (lead < 0 or not all(map(K.uses_no_loop_vars, fixed))
            or not all(isinstance(i, K.IVar) for i in varying)
            or expr.buffer.shape[lead:] != tuple(x.shape[i.k] for i in varying)):
        return None, None, None
    offset = K.IConst(0)
    for i, stride in zip(fixed, expr.buffer.strides()):
        offset = K.iadd(offset, K.imul(i, stride))
    return expr.buffer, offset, tuple(i.k for i in varying)


def _lower_as_reduction(ctx, lhs, rhs, lb, lf, lc, rb, rf, rc, out_shape):
    from fx.ir import kernels as K
    from fx.ir.lower import InlineValue
    nb, nf = len(lb), len(lf)
    k_shape = tuple(lhs.shape[d] for d in lc)

    def product(idx):  # idx: output dims, then the contracting dims
        b, f, g, k = idx[:nb], idx[nb:nb + nf], idx[nb + nf:len(out_shape)], idx[len(out_shape):]
        li, ri = [None] * lhs.ndim, [None] * rhs.ndim
        for dims, vals, target in ((lb, b, li), (lf, f, li), (lc, k, li), (rb, b, ri), (rf, g, ri),
                                   (rc, k, ri)):
            for d, v in zip(dims, vals):
                target[d] = v
        return K.op("mul", lhs.at(tuple(li)), rhs.at(tuple(ri)))
    full = InlineValue(out_shape + k_shape, lhs.dtype, product)
    return ctx.reduce(full, tuple(range(len(out_shape), len(out_shape) + len(k_shape))), "add")


dot_general_p.lower = _lower_dot_general

