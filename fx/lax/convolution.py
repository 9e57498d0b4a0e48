"""conv_general_dilated: N-d convolution with strides, padding, input (lhs) and kernel
(rhs) dilation, feature groups and batch groups, in any dimension layout; and the
jax.lax wrappers around it (conv, conv_with_general_padding, conv_transpose).

The rules work in the canonical layout: lhs (N, C, spatial...), rhs (O, I, spatial...),
out (N', O, spatial...). With G feature groups C = G*I and output feature o reads the
input features of group o // (O/G); with B batch groups N = B*N' and output feature o
reads the batch block o // (O/B). At most one of G and B exceeds 1.

The convolution is bilinear. Its lhs transpose is a convolution of the cotangent with
the spatially flipped kernel, whose I and O roles swap (regrouped when G or B > 1), with
lhs_dilation = strides and strides = lhs_dilation. Its rhs transpose convolves the lhs,
read with batch and feature swapped, with the cotangent as kernel: strides and
rhs_dilation swap, and G and B trade places. So the family {G, B} is closed under
transposition, and batching folds the vmapped axis into N, O or the groups.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from fx import dtypes
from fx.core import Primitive, ShapedArray, UndefinedPrimal, get_aval
from fx.argcheck import index, int_pairs, int_tuple
from fx.lax.dot import canonicalize_precision
from fx.lax.examples import example, randn
from fx.lax.shape import reshape, transpose
from fx.lax.slicing import rev
from fx.lax.windowed import (check_window_params, dilate_dim, padtype_to_pads, transpose_padding,
                             window_out_dim, window_source, window_view)
from fx.transforms.batching import moveaxis
from fx.transforms.jvp import defjvp, zeros_like_aval


class ConvDimensionNumbers(NamedTuple):
    """Where the dimensions are: lhs_spec = (batch, feature, spatial...), rhs_spec =
    (out feature, in feature, spatial...), out_spec = (batch, feature, spatial...)."""
    lhs_spec: Sequence[int]
    rhs_spec: Sequence[int]
    out_spec: Sequence[int]


def _canonical_spec(ndim):
    return ConvDimensionNumbers(*(tuple(range(ndim)),) * 3)


def conv_general_permutations(dimension_numbers):
    """The ConvDimensionNumbers specs of three layout strings such as ('NHWC', 'HWIO',
    'NHWC'); spatial dimensions are ordered as they appear in the kernel's string."""
    lhs, rhs, out = dimension_numbers
    pairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for i, (spec, (a, b)) in enumerate(zip(dimension_numbers, pairs)):
        if spec.count(a) != 1 or spec.count(b) != 1 or len(set(spec)) != len(spec):
            raise TypeError(f"convolution dimension_numbers[{i}] must contain '{a}' and '{b}' "
                            f"exactly once and no repeated character, got {spec!r}")
    spatial = [c for c in rhs if c not in "OI"]
    if not set(lhs) - {"N", "C"} == set(spatial) == set(out) - {"N", "C"}:
        raise TypeError(f"convolution dimension_numbers must name the same spatial dimensions "
                        f"in lhs, rhs and out, got {dimension_numbers}")
    return tuple(tuple(spec.index(c) for c in pair + tuple(spatial))
                 for spec, pair in zip(dimension_numbers, pairs))


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers):
    """ConvDimensionNumbers from None (NCHW, OIHW, NCHW), three layout strings, or
    ConvDimensionNumbers (JAX's lax.conv_dimension_numbers)."""
    if len(lhs_shape) != len(rhs_shape):
        raise TypeError(f"convolution requires lhs and rhs of equal rank, got shapes "
                        f"{tuple(lhs_shape)} and {tuple(rhs_shape)}")
    ndim = len(lhs_shape)
    if dimension_numbers is None:
        return _canonical_spec(ndim)
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        specs = tuple(tuple(int(d) for d in spec) for spec in dimension_numbers)
    elif isinstance(dimension_numbers, (tuple, list)) and len(dimension_numbers) == 3 and all(
            isinstance(s, str) for s in dimension_numbers):
        if any(len(s) != ndim for s in dimension_numbers):
            raise TypeError(f"convolution dimension_numbers {tuple(dimension_numbers)} must each "
                            f"have {ndim} characters, for operands of shapes {tuple(lhs_shape)} "
                            f"and {tuple(rhs_shape)}")
        specs = conv_general_permutations(dimension_numbers)
    else:
        raise TypeError("convolution dimension_numbers must be None, three layout strings or "
                        f"ConvDimensionNumbers, got {dimension_numbers!r}")
    for name, spec in zip(ConvDimensionNumbers._fields, specs):
        if sorted(spec) != list(range(ndim)):
            raise TypeError(f"convolution dimension_numbers.{name} must be a permutation of "
                            f"range({ndim}), got {spec}")
    return ConvDimensionNumbers(*specs)


# ---------------------------------------------------------------------------- shape rule

conv_general_dilated_p = Primitive("conv_general_dilated")


def _check_preferred(dtype, preferred):
    """JAX's rule: integers may become floats; otherwise the kind (and an integer's
    signedness) stays, and the type may only widen."""
    kinds = (dtypes.is_integer, dtypes.is_floating, dtypes.is_complex)
    signed = lambda d: np.dtype(d).kind == "i"  # noqa: E731
    ok = (dtypes.is_integer(dtype) and dtypes.is_floating(preferred)) or (
        all(kind(preferred) for kind in kinds if kind(dtype))
        and (signed(preferred) or not signed(dtype)))
    if not ok or np.dtype(preferred).itemsize < np.dtype(dtype).itemsize:
        raise TypeError(f"conv_general_dilated: preferred_element_type {np.dtype(preferred).name} "
                        f"cannot hold the products of {np.dtype(dtype).name} operands")


def _abstract_eval(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                   dimension_numbers, feature_group_count, batch_group_count,
                   preferred_element_type):
    name = "conv_general_dilated"
    if lhs.ndim != rhs.ndim or lhs.ndim < 2:
        raise TypeError(f"{name}: lhs and rhs need one rank >= 2 (batch, feature, spatial...), "
                        f"got {lhs.str_short()} and {rhs.str_short()}")
    if lhs.dtype != rhs.dtype or dtypes.is_bool(lhs.dtype):
        raise TypeError(f"{name} requires numeric operands of one dtype, got {lhs.str_short()} "
                        f"and {rhs.str_short()}")
    if preferred_element_type is not None:
        _check_preferred(lhs.dtype, preferred_element_type)
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    (n, c), x = (lhs.shape[d] for d in lhs_spec[:2]), [lhs.shape[d] for d in lhs_spec[2:]]
    (o, i), k = (rhs.shape[d] for d in rhs_spec[:2]), [rhs.shape[d] for d in rhs_spec[2:]]
    check_window_params(name, len(x), k, window_strides, padding, lhs_dilation, rhs_dilation,
                        "spatial")
    g, b = feature_group_count, batch_group_count
    if g < 1 or b < 1 or (g > 1 and b > 1):
        raise ValueError(f"{name}: feature_group_count ({g}) and batch_group_count ({b}) must "
                         "be >= 1, and at most one of them > 1")
    if c != i * g:
        raise ValueError(f"{name}: lhs feature dimension ({c}) must equal rhs input feature "
                         f"dimension ({i}) times feature_group_count ({g}); lhs {lhs.str_short()}, "
                         f"rhs {rhs.str_short()}")
    if o % (g * b) or n % b:
        raise ValueError(f"{name}: rhs output feature dimension ({o}) must be a multiple of "
                         f"feature_group_count ({g}) and batch_group_count ({b}), and lhs batch "
                         f"dimension ({n}) a multiple of batch_group_count")
    spatial = [window_out_dim(*a) for a in zip(x, k, window_strides, padding, lhs_dilation,
                                               rhs_dilation)]
    shape = [0] * lhs.ndim
    for d, size in zip(out_spec, [n // b, o] + spatial):
        shape[d] = size
    weak = lhs.weak_type and rhs.weak_type and preferred_element_type is None
    return ShapedArray(shape, preferred_element_type or lhs.dtype, weak)


# ---------------------------------------------------------------------------- impl

def _impl(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
          feature_group_count, batch_group_count, preferred_element_type):
    """Windows of the padded, dilated lhs (one view), then one einsum per group layout."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    dtype = preferred_element_type or lhs.dtype
    compute = np.float32 if dtypes.is_16bit_float(dtype) else dtype  # rounded once, at the end
    x, w = np.transpose(lhs, lhs_spec).astype(compute), np.transpose(rhs, rhs_spec).astype(compute)
    n, (o, i), ks = x.shape[0], w.shape[:2], w.shape[2:]
    g, b = feature_group_count, batch_group_count
    views = window_view(x, 0, (1, 1) + ks, (1, 1) + tuple(window_strides),
                        ((0, 0), (0, 0)) + tuple(padding), (1, 1) + tuple(lhs_dilation),
                        (1, 1) + tuple(rhs_dilation))
    views = views.reshape(views.shape[:-len(ks) - 2] + ks)  # drop the unit N, C windows
    ys = views.shape[2:2 + len(ks)]
    views = views.reshape((b, n // b, g, i) + views.shape[2:])
    w = w.reshape((b, g, o // (b * g), i) + ks)
    letters = "".join(chr(ord("p") + d) for d in range(2 * len(ks)))
    y_, k_ = letters[:len(ks)], letters[len(ks):]
    out = np.einsum(f"BNGI{y_}{k_},BGJI{k_}->NBGJ{y_}", views, w)
    out = out.reshape((n // b, o) + ys).astype(dtype)
    return np.transpose(out, np.argsort(out_spec))


# ---------------------------------------------------------------------------- canonical layout

def _bind(lhs, rhs, **params):
    return conv_general_dilated_p.bind(lhs, rhs, **params)


def _canonical(lhs, rhs, **params):
    """A convolution of operands already in the canonical layout."""
    params["dimension_numbers"] = _canonical_spec(get_aval(lhs).ndim)
    params.setdefault("preferred_element_type", None)
    return _bind(lhs, rhs, **params)


def _fold(x, src, dst):
    """Merge axis src into axis dst as its outer part (index s * size_dst + d), at the
    position dst's axis has once src is gone."""
    p = dst - 1 if src < dst else dst
    moved = moveaxis(x, src, p)
    shape = get_aval(moved).shape
    return reshape(moved, shape[:p] + (shape[p] * shape[p + 1],) + shape[p + 2:])


def _split(x, axis, outer):
    """Split `axis` into (outer, rest) in place."""
    shape = get_aval(x).shape
    return reshape(x, shape[:axis] + (outer, shape[axis] // outer) + shape[axis + 1:])


def _swap01(x):
    return transpose(x, (1, 0) + tuple(range(2, get_aval(x).ndim)))


# ---------------------------------------------------------------------------- transpose

def _lhs_cotangent(ct, w, lhs_shape, window_strides, padding, lhs_dilation, rhs_dilation, g, b):
    """Canonical layouts: ct (N', O, Y), w (O, I, K) -> the lhs cotangent (N, C, X)."""
    h = g * b
    nsp = len(lhs_shape) - 2
    w = _fold(_split(w, 0, h), 0, 2)               # (O/H, H*I, K): [j, h*I + i] = w[h*O/H + j, i]
    w = rev(_swap01(w), tuple(range(2, 2 + nsp)))  # (H*I, O/H, K), flipped
    ys, ks = get_aval(ct).shape[2:], get_aval(w).shape[2:]
    pads = [transpose_padding(*a) for a in zip(lhs_shape[2:], ys, ks, window_strides,
                                               (lo for lo, _ in padding), lhs_dilation,
                                               rhs_dilation)]
    out = _canonical(ct, w, window_strides=lhs_dilation, padding=tuple(pads),
                     lhs_dilation=window_strides, rhs_dilation=rhs_dilation,
                     feature_group_count=h, batch_group_count=1)  # (N', H*I, X)
    return _fold(_split(out, 1, b), 1, 0) if b > 1 else out  # batch groups back into N


def _rhs_cotangent(x, ct, rhs_shape, window_strides, padding, lhs_dilation, rhs_dilation, g, b):
    """Canonical layouts: x (N, C, X), ct (N', O, Y) -> the rhs cotangent (O, I, K)."""
    xs, ys = get_aval(x).shape[2:], get_aval(ct).shape[2:]
    pads = tuple((lo, dilate_dim(k, rd) - 1 + dilate_dim(y, s) - lo - dilate_dim(n, ld))
                 for (lo, _), k, rd, y, s, n, ld in zip(padding, rhs_shape[2:], rhs_dilation, ys,
                                                         window_strides, xs, lhs_dilation))
    out = _canonical(_swap01(x), _swap01(ct), window_strides=rhs_dilation, padding=pads,
                     lhs_dilation=lhs_dilation, rhs_dilation=window_strides,
                     feature_group_count=b, batch_group_count=g)  # (I, O, K)
    return _swap01(out)


def _transpose(ct, lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
               dimension_numbers, feature_group_count, batch_group_count, preferred_element_type):
    from fx import lax
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    lhs_linear = isinstance(lhs, UndefinedPrimal)
    aval = lhs.aval if lhs_linear else rhs.aval
    spec = lhs_spec if lhs_linear else rhs_spec
    if get_aval(ct).size == 0 or aval.size == 0:
        result = zeros_like_aval(aval)
    else:
        dtype = get_aval(ct).dtype
        ct = transpose(ct, tuple(out_spec))
        geometry = (window_strides, padding, lhs_dilation, rhs_dilation, feature_group_count,
                    batch_group_count)
        canonical_shape = tuple(aval.shape[d] for d in spec)
        if lhs_linear:
            w = transpose(lax.convert_element_type(rhs, dtype), tuple(rhs_spec))
            result = _lhs_cotangent(ct, w, canonical_shape, *geometry)
        else:
            x = transpose(lax.convert_element_type(lhs, dtype), tuple(lhs_spec))
            result = _rhs_cotangent(x, ct, canonical_shape, *geometry)
        result = lax.convert_element_type(transpose(result, tuple(np.argsort(spec))), aval.dtype)
    return [result, None] if lhs_linear else [None, result]


# ---------------------------------------------------------------------------- batching

def _batch(args, dims, *, dimension_numbers, feature_group_count, batch_group_count, **params):
    """Fold the vmapped axis V into the batch (lhs only), the output features (rhs only)
    or the groups (both); computed in the canonical layout with V in front."""
    (lhs, rhs), (ld, rd) = args, dims
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    g, b = feature_group_count, batch_group_count
    common = dict(params, feature_group_count=g, batch_group_count=b)

    def canonical(x, d, spec):
        if d is None:
            return transpose(x, tuple(spec))
        return transpose(x, (d,) + tuple(s + (s >= d) for s in spec))

    x, w = canonical(lhs, ld, lhs_spec), canonical(rhs, rd, rhs_spec)
    v = get_aval(lhs).shape[ld] if ld is not None else get_aval(rhs).shape[rd]
    if rd is None:                                   # N as (B, V, N'), out batch as (V, N')
        x = _fold(_fold(_split(x, 1, b), 0, 2), 0, 1)
        out = _split(_canonical(x, w, **common), 0, v)
    elif ld is None:                                 # O as (H, V, O/H)
        h = g * b
        w = _fold(_fold(_split(w, 1, h), 0, 2), 0, 1)
        out = _split(_split(_canonical(x, w, **common), 1, h), 2, v)  # (N', H, V, O/H, Y)
        out = _fold(moveaxis(out, 2, 0), 2, 3)
    else:                                            # O as (V, O), V more groups
        w = _fold(w, 0, 1)
        if b > 1:                                    # N as (V, B, N')
            x = _fold(x, 0, 1)
            common["batch_group_count"] = v * b
        else:                                        # C as (V, C)
            x = _fold(x, 0, 2)
            common["feature_group_count"] = v * g
        out = moveaxis(_split(_canonical(x, w, **common), 1, v), 1, 0)
    inverse = tuple(int(p) for p in np.argsort(out_spec))
    return transpose(out, (0,) + tuple(p + 1 for p in inverse)), 0


# ---------------------------------------------------------------------------- lowering

def _lower(ctx, lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
           dimension_numbers, feature_group_count, batch_group_count, preferred_element_type):
    """A copy of lhs padded and dilated, laid out (N, X..., C), and rhs laid out
    (O, K..., I); then one reduction kernel over (K..., I) per output element. The
    innermost loop runs over contiguous memory in both operands, free of bounds tests,
    so that it vectorises (the copies cost one pass; each element is read O * prod(K)
    times)."""
    from fx.ir import kernels as K
    from fx.lax.shape import _lower_transpose
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    out_shape = ctx.out_avals[0].shape
    dtype = np.dtype(ctx.out_avals[0].dtype)
    zero = K.const(0, dtype)
    if 0 in lhs.shape or 0 in rhs.shape:
        return ctx.inline(out_shape, dtype, lambda idx: zero)
    if lhs.dtype != dtype:
        lhs, rhs = (ctx.elementwise("convert", [v], dtype) for v in (lhs, rhs))
    nd, nsp = len(out_shape), len(out_shape) - 2

    def feature_last(v, spec):
        perm = (spec[0],) + tuple(spec[2:]) + (spec[1],)
        return v if perm == tuple(range(nd)) else _lower_transpose(ctx, v, permutation=perm)
    lhs, rhs = feature_last(lhs, lhs_spec), ctx.materialize(feature_last(rhs, rhs_spec))
    lhs = ctx.materialize(_padded(ctx, lhs, padding, lhs_dilation, zero))
    n_out, o = out_shape[out_spec[0]], out_shape[out_spec[1]]
    ks, i_size = rhs.shape[1:-1], rhs.shape[-1]
    g, b = feature_group_count, batch_group_count

    def product(idx):  # output index (out layout), then k..., then i
        n, f = idx[out_spec[0]], idx[out_spec[1]]
        k, i = idx[nd:nd + nsp], idx[nd + nsp]
        batch = K.iadd(K.imul(K.idiv(f, o // b), n_out), n) if b > 1 else n
        feature = K.iadd(K.imul(K.idiv(f, o // g), i_size), i) if g > 1 else i
        pos = [K.iadd(K.imul(idx[od], s), K.imul(kk, rd))
               for od, kk, s, rd in zip(out_spec[2:], k, window_strides, rhs_dilation)]
        return K.op("mul", lhs.at((batch, *pos, feature)), rhs.at((f, *k, i)))
    terms = ctx.inline(out_shape + tuple(ks) + (i_size,), dtype, product, [lhs, rhs])
    return ctx.reduce(terms, tuple(range(nd, nd + nsp + 1)), "add")


def _padded(ctx, x, padding, dilation, zero):
    """x of layout (N, X..., C) with its spatial dims dilated and padded (zeros), as an
    inline value (x itself when there is nothing to do)."""
    from fx.ir import kernels as K
    if all(p == (0, 0) for p in padding) and all(d == 1 for d in dilation):
        return x
    spatial = [lo + dilate_dim(n, d) + hi for n, (lo, hi), d in zip(x.shape[1:-1], padding, dilation)]

    def element(idx):
        src, conds = [idx[0]], []
        for j, (lo, _) in enumerate(padding):
            pos, cond = window_source(idx[1 + j], K.IConst(0), x.shape[1 + j], spatial[j], 1, 1,
                                      lo, dilation[j], 1)
            src.append(pos)
            conds += [cond] if cond is not None else []
        value = x.at((*src, idx[-1]))
        for cond in conds:
            value = K.op("select", cond, value, zero)
        return value
    return ctx.inline((x.shape[0], *spatial, x.shape[-1]), x.dtype, element, [x])


conv_general_dilated_p.impl = _impl
conv_general_dilated_p.abstract_eval = _abstract_eval
defjvp(conv_general_dilated_p,
       lambda t, ans, lhs, rhs, **params: _bind(t, rhs, **params),
       lambda t, ans, lhs, rhs, **params: _bind(lhs, t, **params))
conv_general_dilated_p.transpose = _transpose
conv_general_dilated_p.batch = _batch
conv_general_dilated_p.lower = _lower


# ---------------------------------------------------------------------------- public functions

def _ints(name, seq, n):
    if seq is None:
        return (1,) * n
    seq = int_tuple(seq, f"conv_general_dilated {name}")
    if len(seq) != n:
        raise TypeError(f"conv_general_dilated: {name} needs {n} entries (one per spatial "
                        f"dimension), got {seq}")
    return seq


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1,
                         precision=None, preferred_element_type=None):
    """General N-d convolution (JAX's lax.conv_general_dilated). `padding` is 'SAME',
    'SAME_LOWER', 'VALID' or (low, high) pairs; `precision` is accepted for JAX
    compatibility (fx computes at the operands' full precision)."""
    from fx import lax
    canonicalize_precision(precision)
    lhs, rhs = lax._as_operand(lhs), lax._as_operand(rhs)
    lhs_shape, rhs_shape = get_aval(lhs).shape, get_aval(rhs).shape
    dnums = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    n = len(lhs_shape) - 2
    window_strides = _ints("window_strides", window_strides, n)
    lhs_dilation = _ints("lhs_dilation", lhs_dilation, n)
    rhs_dilation = _ints("rhs_dilation", rhs_dilation, n)
    if isinstance(padding, str):
        if any(d != 1 for d in lhs_dilation):
            raise ValueError("conv_general_dilated: string padding is not defined with "
                             "lhs_dilation; give explicit (low, high) pairs or use conv_transpose")
        kernel = [dilate_dim(rhs_shape[d], r) for d, r in zip(dnums.rhs_spec[2:], rhs_dilation)]
        padding = padtype_to_pads([lhs_shape[d] for d in dnums.lhs_spec[2:]], kernel,
                                  window_strides, padding)
    padding = int_pairs(padding, "conv_general_dilated padding ('SAME', 'SAME_LOWER', 'VALID' or "
                                 "(low, high) pairs)")
    if preferred_element_type is not None:
        preferred_element_type = dtypes.canonicalize_dtype(preferred_element_type)
    return _bind(lhs, rhs, window_strides=window_strides, padding=padding,
                 lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation, dimension_numbers=dnums,
                 feature_group_count=index(feature_group_count, "feature_group_count"),
                 batch_group_count=index(batch_group_count, "batch_group_count"),
                 preferred_element_type=preferred_element_type)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """Convolution in the NCHW / OIHW layout (JAX's lax.conv)."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    """Convolution in the NCHW / OIHW layout with dilations (JAX's
    lax.conv_with_general_padding)."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                                precision=precision, preferred_element_type=preferred_element_type)


_TRANSPOSE_LAYOUTS = {3: ("NHC", "HIO", "NHC"), 4: ("NHWC", "HWIO", "NHWC"),
                      5: ("NHWDC", "HWDIO", "NHWDC")}


def _transpose_pads(k, s, padding):
    """(lo, hi) of the fractionally strided convolution for an effective kernel size k
    and stride s: 'SAME' and 'VALID' give Keras's Conv2DTranspose output sizes (s * n and
    s * n + max(k - s, 0)); a pair is the padding of the forward convolution."""
    if padding == "SAME":
        total = k + s - 2
        lo = k - 1 if s > k - 1 else -(-total // 2)
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        lo = k - 1
    else:
        lo, total = k - 1 - padding[0], 2 * k - 2 - padding[0] - padding[1]
    return lo, total - lo


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel=False, precision=None, preferred_element_type=None,
                   use_consistent_padding=False):
    """The "transposed" (fractionally strided) convolution: lhs dilated by `strides`
    (JAX's lax.conv_transpose; default layouts NHC/NHWC/NHWDC with HIO/HWIO/HWDIO).
    Explicit padding pairs are the transposed convolution's own padding unless
    use_consistent_padding, when they are the forward convolution's (PyTorch's
    convention); transpose_kernel flips the kernel and swaps its I and O (TensorFlow's)."""
    from fx import lax
    lhs, rhs = lax._as_operand(lhs), lax._as_operand(rhs)
    ndim = get_aval(lhs).ndim
    if dimension_numbers is None:
        if ndim not in _TRANSPOSE_LAYOUTS:
            raise ValueError(f"conv_transpose: no default dimension_numbers for rank {ndim} "
                             "operands; pass dimension_numbers")
        dimension_numbers = _TRANSPOSE_LAYOUTS[ndim]
    dn = conv_dimension_numbers(get_aval(lhs).shape, get_aval(rhs).shape, dimension_numbers)
    strides = _ints("strides", strides, ndim - 2)
    rhs_dilation = _ints("rhs_dilation", rhs_dilation, ndim - 2)
    if use_consistent_padding or isinstance(padding, str) and padding in ("SAME", "VALID"):
        sizes = [dilate_dim(get_aval(rhs).shape[d], r) for d, r in zip(dn.rhs_spec[2:], rhs_dilation)]
        modes = [padding] * len(sizes) if isinstance(padding, str) else padding
        padding = [_transpose_pads(k, s, p) for k, s, p in zip(sizes, strides, modes)]
    if transpose_kernel:
        perm = list(range(ndim))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = dn.rhs_spec[1], dn.rhs_spec[0]
        rhs = transpose(rev(rhs, tuple(dn.rhs_spec[2:])), tuple(perm))
    return conv_general_dilated(lhs, rhs, (1,) * (ndim - 2), padding, strides, rhs_dilation, dn,
                                precision=precision, preferred_element_type=preferred_element_type)


# ---------------------------------------------------------------------------- examples

def _reference(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
               dimension_numbers, feature_group_count, batch_group_count, preferred_element_type):
    """Direct loops over every output element, window offset and input feature."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    x, w = np.transpose(lhs, lhs_spec), np.transpose(rhs, rhs_spec)
    n, (o, i), ks = x.shape[0], w.shape[:2], w.shape[2:]
    g, b = feature_group_count, batch_group_count
    ys = [window_out_dim(*a) for a in zip(x.shape[2:], ks, window_strides, padding, lhs_dilation,
                                          rhs_dilation)]
    out = np.zeros([n // b, o] + ys, preferred_element_type or x.dtype)
    for nn, f, *y in np.ndindex(*out.shape):
        batch, first = f // (o // b) * (n // b) + nn, f // (o // g) * i
        for k in np.ndindex(*ks):
            pos = [yy * s + kk * rd - lo for yy, kk, s, rd, (lo, _) in
                   zip(y, k, window_strides, rhs_dilation, padding)]
            if any(p % ld or not 0 <= p // ld < size
                   for p, ld, size in zip(pos, lhs_dilation, x.shape[2:])):
                continue
            src = tuple(p // ld for p, ld in zip(pos, lhs_dilation))
            for ii in range(i):
                out[(nn, f, *y)] += x[(batch, first + ii) + src] * w[(f, ii) + k]
    return np.transpose(out, np.argsort(out_spec))


def _conv_examples(name, lhs, rhs, dimension_numbers=None, window_strides=None, padding=None,
                   lhs_dilation=None, rhs_dilation=None, feature_group_count=1,
                   batch_group_count=1, preferred_element_type=None, linear=(0, 1)):
    dnums = conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
    n = lhs.ndim - 2
    params = dict(window_strides=window_strides or (1,) * n, padding=padding or ((0, 0),) * n,
                  lhs_dilation=lhs_dilation or (1,) * n, rhs_dilation=rhs_dilation or (1,) * n,
                  dimension_numbers=dnums, feature_group_count=feature_group_count,
                  batch_group_count=batch_group_count,
                  preferred_element_type=preferred_element_type)
    for arg in linear:
        example(conv_general_dilated_p, lhs, rhs, params=params, reference=_reference,
                linear_argnums=(arg,), name=f"{name}_linear_in_{('lhs', 'rhs')[arg]}")
    if not linear:
        example(conv_general_dilated_p, lhs, rhs, params=params, reference=_reference, name=name)


_conv_examples("nchw_same", randn(2, 3, 5, 4, seed=50), randn(4, 3, 3, 2, seed=51),
               padding=((1, 1), (0, 1)))
_conv_examples("nhwc_strided_dilated", randn(2, 6, 7, 2, seed=52), randn(2, 3, 2, 3, seed=53),
               ("NHWC", "HWIO", "NHWC"), window_strides=(2, 1), padding=((1, 0), (0, 2)),
               rhs_dilation=(1, 2))
_conv_examples("lhs_dilated_cropped", randn(1, 2, 4, 3, seed=54), randn(3, 2, 2, 2, seed=55),
               window_strides=(1, 2), padding=((-1, 2), (1, 0)), lhs_dilation=(2, 1))
_conv_examples("grouped_1d", randn(2, 7, 4, seed=56), randn(3, 2, 6, seed=57),
               ("NWC", "WIO", "NWC"), window_strides=(2,), padding=((1, 1),), feature_group_count=2)
_conv_examples("depthwise", randn(1, 3, 4, 4, seed=58), randn(6, 1, 2, 2, seed=59),
               padding=((0, 1), (1, 0)), feature_group_count=3)
_conv_examples("batch_groups", randn(4, 2, 5, seed=60), randn(4, 2, 2, seed=61),
               rhs_dilation=(2,), batch_group_count=2)
_conv_examples("scrambled_3d", randn(2, 3, 2, 3, 1, seed=62), randn(2, 2, 2, 1, 2, seed=63),
               ConvDimensionNumbers((4, 0, 2, 1, 3), (4, 2, 0, 3, 1), (1, 3, 4, 0, 2)),
               window_strides=(1, 2, 1), padding=((0, 0), (1, 1), (0, 1)))
_conv_examples("int32", np.arange(24, dtype=np.int32).reshape(1, 2, 3, 4) % 7 - 3,
               np.arange(12, dtype=np.int32).reshape(3, 2, 2, 1) % 5 - 2,
               padding=((1, 0), (0, 0)), linear=())
_conv_examples("int32_to_float64", np.arange(10, dtype=np.int32).reshape(1, 2, 5) - 4,
               np.arange(6, dtype=np.int32).reshape(2, 1, 3), window_strides=(2,),
               padding=((1, 1),), feature_group_count=2,
               preferred_element_type=np.dtype("float64"), linear=())
