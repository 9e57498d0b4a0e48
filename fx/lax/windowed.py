"""Reductions over sliding windows (reduce_window: sum, max and min pooling), and the
window geometry that convolutions share.

A window op reads a "padded, dilated" operand: `base_dilation - 1` holes between elements
and `(lo, hi)` padding at the ends (negative padding crops). Output position o and
window offset k read that operand at `o * stride + k * window_dilation`. Holes and
padding hold the reduction's identity, so they never contribute.

reduce_window_sum is linear; its transpose is another window sum, over the cotangent
dilated by the strides (the same algebra as a convolution's input gradient, with an
all-ones kernel). The derivative of a max or min sends the tangent of the selected
element (the first extremum of each window, like XLA's select-and-gather) to the output:
it is built from the window "patches" (one strided slice per window offset), argmax and a
one-hot sum, so every transform of it reuses existing rules.

Average pooling is a window sum divided by the window size:

    avg = lax.reduce_window(x, 0., lax.add, (1, 2, 2, 1), (1, 2, 2, 1), 'VALID') / 4
    mx = lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), 'SAME')
"""
from __future__ import annotations

import builtins

import numpy as np

from fx import dtypes, tree_util
from fx.core import Primitive, ShapedArray, get_aval
from fx.argcheck import int_pairs, int_tuple
from fx.lax.examples import example, randn
from fx.lax.reductions import _identity, argmax, argmin, reduce_prod, reduce_sum
from fx.lax.shape import broadcast_in_dim
from fx.lax.slicing import concatenate, pad, pad_p, slice
from fx.transforms.arguments import flatten_fun, function_name
from fx.transforms.jvp import deflinear
from fx.transforms.staging import trace_to_jaxpr

# ---------------------------------------------------------------------------- geometry


def dilate_dim(n, dilation):
    """Size of n elements with dilation - 1 holes between neighbours."""
    return 0 if n == 0 else (n - 1) * dilation + 1


def window_out_dim(n, window, stride, padding, base_dilation=1, window_dilation=1):
    """How many windows fit in the padded, dilated operand."""
    lo, hi = padding
    span = lo + dilate_dim(n, base_dilation) + hi - dilate_dim(window, window_dilation)
    return builtins.max(0, span // stride + 1) if span >= 0 else 0


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """(lo, hi) pairs for 'VALID', 'SAME' (output size ceil(n / stride), any odd pad
    at the high end) or 'SAME_LOWER' (odd pad at the low end) (JAX's lax.padtype_to_pads)."""
    mode = padding.upper() if isinstance(padding, str) else None
    if mode not in ("VALID", "SAME", "SAME_LOWER"):
        raise ValueError(f"padding must be 'VALID', 'SAME' or 'SAME_LOWER', got {padding!r}")
    if mode == "VALID":
        return [(0, 0)] * len(in_shape)
    if any(s < 1 for s in window_strides):
        raise ValueError(f"window_strides must be positive, got {tuple(window_strides)}")
    pads = []
    for n, k, s in zip(in_shape, window_shape, window_strides):
        total = builtins.max((-(-n // s) - 1) * s + k - n, 0)
        small = total // 2
        pads.append((small, total - small) if mode == "SAME" else (total - small, small))
    return pads


def transpose_padding(n, out, window, stride, padding_lo, base_dilation, window_dilation):
    """Padding of the window op that maps an output-shaped cotangent (dilated by
    `stride`) back onto the n operand positions: position x of the operand sits at
    x * base_dilation + lo in the padded operand, which the flipped window reaches from
    the cotangent when the latter is padded by dilated_window - 1 - lo below."""
    lo = dilate_dim(window, window_dilation) - 1 - padding_lo
    hi = dilate_dim(n, base_dilation) + padding_lo - dilate_dim(out, stride)
    return lo, hi


def window_view(x, fill, window_dimensions, window_strides, padding, base_dilation,
                window_dilation):
    """NumPy: an array of shape out_shape + window_dimensions whose [o..., k...] is the
    padded, dilated x (`fill` in holes and padding) at o * stride + k * window_dilation."""
    out_shape = tuple(window_out_dim(*args) for args in zip(
        x.shape, window_dimensions, window_strides, padding, base_dilation, window_dilation))
    if 0 in out_shape:
        return np.full(out_shape + tuple(window_dimensions), fill, x.dtype)
    config = tuple((lo, hi, d - 1) for (lo, hi), d in zip(padding, base_dilation))
    padded = pad_p.impl(x, np.asarray(fill, x.dtype), padding_config=config)
    spans = tuple(dilate_dim(k, d) for k, d in zip(window_dimensions, window_dilation))
    views = np.lib.stride_tricks.sliding_window_view(padded, spans)
    return views[tuple(builtins.slice(0, None, s) for s in window_strides)
                 + tuple(builtins.slice(0, None, d) for d in window_dilation)]


def window_source(o, k, n, out, window, stride, padding_lo, base_dilation, window_dilation):
    """Lowering: for output index o and window index k (kernel index expressions), the
    operand index to load and a boolean expression saying whether it is a real element
    (None when it always is). The index is clamped in bounds either way."""
    from fx.ir import kernels as K
    from fx.lax.slicing import _in_range, _index_value
    t = K.iadd(K.iadd(K.imul(o, stride), K.imul(k, window_dilation)), K.IConst(-padding_lo))
    extent = dilate_dim(n, base_dilation)
    src = K.idiv(K.iclamp(t, 0, builtins.max(extent - 1, 0)), base_dilation)
    highest = (out - 1) * stride + (window - 1) * window_dilation - padding_lo
    if padding_lo <= 0 and highest < extent and base_dilation == 1:
        return src, None
    cond = _in_range(t, 0, extent)
    if base_dilation > 1:
        rem = K.op("rem", _index_value(t), K.const(base_dilation, np.int64))
        cond = K.op("and", cond, K.op("eq", rem, K.const(0, np.int64), dtype=np.bool_))
    return src, cond


def check_window_params(name, ndim, window_dimensions, window_strides, padding, base_dilation,
                        window_dilation, what="operand"):
    """TypeError for lists of the wrong length, ValueError for sizes out of range."""
    for label, seq in (("window_dimensions", window_dimensions), ("window_strides", window_strides),
                       ("padding", padding), ("base_dilation", base_dilation),
                       ("window_dilation", window_dilation)):
        if len(seq) != ndim:
            raise TypeError(f"{name}: {label} needs {ndim} entries (one per {what} dimension), "
                            f"got {tuple(seq)}")
    if any(len(p) != 2 for p in padding):
        raise TypeError(f"{name}: padding must be (low, high) pairs, got {tuple(padding)}")
    for label, seq in (("window_dimensions", window_dimensions), ("window_strides", window_strides),
                       ("base_dilation", base_dilation), ("window_dilation", window_dilation)):
        if any(v < 1 for v in seq):
            raise ValueError(f"{name}: {label} must be >= 1, got {tuple(seq)}")


# ---------------------------------------------------------------------------- primitives

_UFUNCS = {"add": np.add, "max": np.maximum, "min": np.minimum}


def _fill(reducer, dtype):
    """The identity of `reducer` ("add", "max", "min" or "mul") as a 0-d array of dtype."""
    value = {"add": 0, "mul": 1}.get(reducer)
    return np.asarray(_identity(_UFUNCS[reducer], dtype) if value is None else value, dtype)


def _abstract_eval(name, reducer):
    def rule(x, *, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        check_window_params(name, x.ndim, window_dimensions, window_strides, padding,
                            base_dilation, window_dilation)
        if reducer == "add" and dtypes.is_bool(x.dtype):
            raise TypeError(f"{name} requires a numeric operand, got {x.str_short()}")
        shape = tuple(window_out_dim(*a) for a in zip(x.shape, window_dimensions, window_strides,
                                                       padding, base_dilation, window_dilation))
        return ShapedArray(shape, x.dtype, x.weak_type)
    return rule


def _impl(reducer):
    def rule(x, **params):
        views = window_view(x, _fill(reducer, x.dtype), **params)
        axes = tuple(range(x.ndim, 2 * x.ndim))
        return _UFUNCS[reducer].reduce(views, axis=axes, initial=_fill(reducer, x.dtype)).astype(x.dtype)
    return rule


def _batcher(prim):
    def rule(args, dims, *, window_dimensions, window_strides, padding, base_dilation,
             window_dilation):
        (x,), (d,) = args, dims

        def put(seq, value):
            return tuple(seq[:d]) + (value,) + tuple(seq[d:])
        return prim.bind(x, window_dimensions=put(window_dimensions, 1),
                         window_strides=put(window_strides, 1), padding=put(padding, (0, 0)),
                         base_dilation=put(base_dilation, 1),
                         window_dilation=put(window_dilation, 1)), d
    prim.batch = rule


def _lower(reducer):
    def rule(ctx, x, *, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        from fx.ir import kernels as K
        out_shape = ctx.out_avals[0].shape
        nd = len(out_shape)
        fill = K.const(_fill(reducer, x.dtype).item(), x.dtype)
        if 0 in x.shape:  # nothing to read: every window is empty
            return ctx.inline(out_shape, x.dtype, lambda idx: fill)
        x = ctx.materialize_if_expensive(x)

        def element(idx):
            src, conds = [], []
            for d in range(nd):
                i, cond = window_source(idx[d], idx[nd + d], x.shape[d], out_shape[d],
                                        window_dimensions[d], window_strides[d], padding[d][0],
                                        base_dilation[d], window_dilation[d])
                src.append(i)
                conds += [cond] if cond is not None else []
            value = x.at(tuple(src))
            for cond in conds:
                value = K.op("select", cond, value, fill)
            return value
        windows = ctx.inline(out_shape + tuple(window_dimensions), x.dtype, element, [x])
        return ctx.reduce(windows, tuple(range(nd, 2 * nd)), reducer)
    return rule


def _window_primitive(name, reducer):
    prim = Primitive(name)
    prim.impl, prim.abstract_eval = _impl(reducer), _abstract_eval(name, reducer)
    prim.lower = _lower(reducer)
    _batcher(prim)
    return prim


reduce_window_sum_p = _window_primitive("reduce_window_sum", "add")
reduce_window_max_p = _window_primitive("reduce_window_max", "max")
reduce_window_min_p = _window_primitive("reduce_window_min", "min")


def _sum_transpose(ct, x, *, window_dimensions, window_strides, padding, base_dilation,
                   window_dilation):
    out_shape = get_aval(ct).shape
    pads = tuple(transpose_padding(*a) for a in zip(
        x.aval.shape, out_shape, window_dimensions, window_strides, (lo for lo, _ in padding),
        base_dilation, window_dilation))
    return [reduce_window_sum_p.bind(ct, window_dimensions=window_dimensions,
                                     window_strides=base_dilation, padding=pads,
                                     base_dilation=window_strides,
                                     window_dilation=window_dilation)]


deflinear(reduce_window_sum_p, _sum_transpose)


def patches(x, fill, *, window_dimensions, window_strides, padding, base_dilation,
            window_dilation):
    """The windows of x as a new last axis: shape out_shape + (window size,), one strided
    slice of the padded, dilated x per window offset (`fill` in holes and padding)."""
    from fx import lax
    aval = get_aval(x)
    out_shape = tuple(window_out_dim(*a) for a in zip(aval.shape, window_dimensions,
                                                       window_strides, padding, base_dilation,
                                                       window_dilation))
    padded = pad(x, lax.full((), fill, aval.dtype),
                 [(lo, hi, d - 1) for (lo, hi), d in zip(padding, base_dilation)])
    pieces = []
    for offset in np.ndindex(*window_dimensions):
        start = [k * d for k, d in zip(offset, window_dilation)]
        limit = [s + dilate_dim(n, st) for s, n, st in zip(start, out_shape, window_strides)]
        piece = slice(padded, start, limit, window_strides)
        pieces.append(broadcast_in_dim(piece, out_shape + (1,), tuple(range(len(out_shape)))))
    return concatenate(pieces, len(out_shape))


def _chooser_jvp(prim, reducer, arg_chooser):
    """The tangent of each window's first extremum (for complex numbers, which argmax does
    not order, the first element equal to the window's result)."""
    def rule(primals, tangents, **params):
        from fx import lax
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, **params)
        windows = patches(x, _fill(reducer, get_aval(x).dtype).item(), **params)
        shape = get_aval(windows).shape
        last, kept = len(shape) - 1, tuple(range(len(shape) - 1))
        if dtypes.is_complex(get_aval(x).dtype):
            equal = lax.eq(windows, broadcast_in_dim(ans, shape, kept))
            chosen = argmax(lax.convert_element_type(equal, np.int32), last, np.int32)
        else:
            chosen = arg_chooser(windows, last, np.int32)
        hit = lax.eq(lax.broadcasted_iota(np.int32, shape, last), broadcast_in_dim(chosen, shape, kept))
        dtype = get_aval(t).dtype
        picked = lax.mul(patches(t, 0, **params), lax.convert_element_type(hit, dtype))
        return ans, reduce_sum(picked, (last,))
    prim.jvp = rule


_chooser_jvp(reduce_window_max_p, "max", argmax)
_chooser_jvp(reduce_window_min_p, "min", argmin)


# ---------------------------------------------------------------------------- public function

_MONOIDS = {"add": reduce_window_sum_p, "max": reduce_window_max_p, "min": reduce_window_min_p,
            "mul": None}


def _monoid_name(computation, dtype):
    """Which of add/max/min/mul the scalar function `computation` is, from its jaxpr."""
    scalar = np.zeros((), dtype)
    leaves, in_tree = tree_util.tree_flatten((scalar, scalar))
    try:
        jaxpr, _ = trace_to_jaxpr(flatten_fun(computation, in_tree, []),
                                  [get_aval(x) for x in leaves],
                                  f"make_jaxpr({function_name(computation)})")
    except Exception as e:
        raise TypeError(f"reduce_window: computation {computation!r} must map two scalars "
                        "to one") from e
    eqns, ids = jaxpr.eqns, lambda vs: {id(v) for v in vs}
    if (len(eqns) == 1 and eqns[0].prim.name in _MONOIDS
            and ids(eqns[0].invars) == ids(jaxpr.invars) and len(ids(jaxpr.invars)) == 2
            and ids(jaxpr.outvars) == ids(eqns[0].outvars)):
        return eqns[0].prim.name
    raise NotImplementedError("reduce_window supports the computations lax.add, lax.max, lax.min "
                              f"and lax.mul; got {getattr(computation, '__name__', computation)!r}")


def reduce_window(operand, init_value, computation, window_dimensions, window_strides=None,
                  padding="VALID", base_dilation=None, window_dilation=None):
    """`computation` (lax.add, max, min or mul) over the windows of operand, combined with
    init_value (JAX's lax.reduce_window). Padding and dilation holes take no part, so
    lax.add with init 0 is sum pooling and lax.max with init -inf max pooling."""
    from fx import lax
    operand = lax._as_operand(operand)
    aval = get_aval(operand)
    ndim = aval.ndim
    window_dimensions = int_tuple(window_dimensions, "reduce_window window_dimensions")
    window_strides = (1,) * ndim if window_strides is None else int_tuple(
        window_strides, "reduce_window window_strides")
    base_dilation = (1,) * ndim if base_dilation is None else int_tuple(
        base_dilation, "reduce_window base_dilation")
    window_dilation = (1,) * ndim if window_dilation is None else int_tuple(
        window_dilation, "reduce_window window_dilation")
    if isinstance(padding, str):
        if len(window_dimensions) != ndim:
            raise TypeError(f"reduce_window: window_dimensions needs {ndim} entries, got "
                            f"{window_dimensions}")
        padding = padtype_to_pads([dilate_dim(n, d) for n, d in zip(aval.shape, base_dilation)],
                                  [dilate_dim(k, d) for k, d in zip(window_dimensions, window_dilation)],
                                  window_strides, padding)
    padding = int_pairs(padding, "reduce_window padding ('VALID', 'SAME' or (low, high) pairs)")
    params = dict(window_dimensions=window_dimensions, window_strides=window_strides,
                  padding=padding, base_dilation=base_dilation, window_dilation=window_dilation)
    name = _monoid_name(computation, aval.dtype)
    init = lax._as_operand(init_value, like=operand)
    init_aval = get_aval(init)
    if init_aval.shape != () or init_aval.dtype != aval.dtype:
        raise TypeError(f"reduce_window: init_value must be a scalar of the operand's dtype "
                        f"{dtypes.short_name(aval.dtype)}, got {init_aval.str_short()}")
    if name == "mul":  # rare: the product of the patches (reduce_prod's rules do the rest)
        check_window_params("reduce_window", ndim, **params)
        out = reduce_prod(patches(operand, 1, **params), (ndim,))
    else:
        out = _MONOIDS[name].bind(operand, **params)
    try:
        is_identity = bool(np.asarray(init) == _fill(name, aval.dtype))
    except TypeError:  # a traced init value
        is_identity = False
    if is_identity:
        return out
    return getattr(lax, name)(out, broadcast_in_dim(init, get_aval(out).shape, ()))


# ---------------------------------------------------------------------------- examples

def _window_reference(reducer):
    """Direct loops: every output position reduces the real elements its window covers."""
    def reference(x, *, window_dimensions, window_strides, padding, base_dilation,
                  window_dilation):
        shape = tuple(window_out_dim(*a) for a in zip(x.shape, window_dimensions, window_strides,
                                                       padding, base_dilation, window_dilation))
        out = np.full(shape, _fill(reducer, x.dtype), x.dtype)
        for o in np.ndindex(*shape):
            for k in np.ndindex(*window_dimensions):
                src = []
                for d in range(x.ndim):
                    t = o[d] * window_strides[d] + k[d] * window_dilation[d] - padding[d][0]
                    if t % base_dilation[d] or not 0 <= t // base_dilation[d] < x.shape[d]:
                        break
                    src.append(t // base_dilation[d])
                else:
                    out[o] = _UFUNCS[reducer](out[o], x[tuple(src)])
        return out
    return reference


def _params(window_dimensions, window_strides=None, padding=None, base_dilation=None,
            window_dilation=None):
    n = len(window_dimensions)
    return dict(window_dimensions=window_dimensions, window_strides=window_strides or (1,) * n,
                padding=padding or ((0, 0),) * n, base_dilation=base_dilation or (1,) * n,
                window_dilation=window_dilation or (1,) * n)


_x = randn(2, 5, 6, seed=40)  # distinct values: one extremum per window
_configs = [
    ("pool", _params((1, 2, 2), (1, 2, 2))),
    ("same_padding", _params((1, 3, 2), (1, 1, 2), ((0, 0), (1, 1), (0, 1)))),
    ("dilated", _params((2, 2, 2), (1, 2, 1), ((1, 0), (0, 2), (-1, 1)), (1, 2, 1), (1, 1, 2))),
]
for _prim, _reducer in [(reduce_window_sum_p, "add"), (reduce_window_max_p, "max"),
                        (reduce_window_min_p, "min")]:
    for _name, _p in _configs:
        example(_prim, _x, params=_p, reference=_window_reference(_reducer), name=_name,
                linear_argnums=(0,) if _reducer == "add" else ())
example(reduce_window_max_p, np.array([[3, -1, 7, 2], [7, 2, 2, -5]], np.int32),
        params=_params((2, 2), (1, 2), ((0, 0), (1, 0))), reference=_window_reference("max"),
        name="int32")
example(reduce_window_sum_p, np.arange(12, dtype=np.int32).reshape(3, 4),
        params=_params((2, 3), (2, 1), ((0, 1), (1, 1))), reference=_window_reference("add"),
        name="int32")
example(reduce_window_min_p, np.array([[True, False, True], [True, True, True]]),
        params=_params((1, 2)), reference=_window_reference("min"), name="bool")
