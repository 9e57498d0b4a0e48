"""Calling Python from traced and compiled code: three primitives that run a Python
function on NumPy arrays when the program runs, wherever it runs (op by op, in the
interpreter, or from native code, which calls back into Python directly).

- `debug_callback` (fx.debug.print, fx.debug.callback): no results, an effect: never
  dropped, run on the forward pass of a derivative (where its operands are computed),
  once per batch element under vmap.
- `pure_callback`: results of the given types, no effect: an unused one is dropped, and
  it has no derivative (wrap it in a custom_jvp); under vmap it follows `vmap_method`.
- `io_callback` (fx.experimental.io_callback): results and an effect; no derivative, and
  an ordered one cannot be batched.

`ordered` asks that callbacks run in program order. Compiled fx code runs every
statement in program order on one thread, so every callback is ordered in effect.
"""
from __future__ import annotations

import numpy as np

from fx import dtypes
from fx.core import Primitive, ShapedArray
from fx.transforms.batching import axis_size_of

debug_callback_p = Primitive("debug_callback", multiple_results=True, effectful=True)
pure_callback_p = Primitive("pure_callback", multiple_results=True)
io_callback_p = Primitive("io_callback", multiple_results=True, effectful=True)

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all", "legacy_vectorized")


class Callback:
    """The Python function a callback equation calls: hashed and compared by identity
    (jaxprs and caches hold it), printed by name."""
    __slots__ = ("fn", "name")

    def __init__(self, fn, name=None):
        self.fn, self.name = fn, name or getattr(fn, "__name__", type(fn).__name__)

    def __call__(self, *arrays):
        return self.fn(*arrays)

    def __repr__(self):
        return self.name


def _check_results(name, results, result_avals):
    """The callback's results as arrays of the declared types, or a clear error."""
    results = list(results) if isinstance(results, (tuple, list)) else [results]
    if len(results) != len(result_avals):
        raise TypeError(f"{name}: the callback returned {len(results)} values, but its "
                        f"result_shape_dtypes declare {len(result_avals)}")
    out = []
    for i, (r, aval) in enumerate(zip(results, result_avals)):
        r = np.asarray(r)
        if r.shape != aval.shape or dtypes.canonicalize_dtype(r.dtype) != aval.dtype:
            raise TypeError(f"{name}: result {i} of the callback is {r.dtype.name}{list(r.shape)}, "
                            f"but its result_shape_dtypes declare {aval.str_short()}")
        out.append(r.astype(aval.dtype, copy=False))
    return out


def _impl(name):
    def impl(*args, callback, result_avals, **_):
        results = callback(*map(np.asarray, args))
        if not result_avals:
            return []
        return _check_results(name, results, result_avals)
    return impl


def _abstract_eval(*avals, callback, result_avals, **_):
    return list(result_avals)


for _p in (debug_callback_p, pure_callback_p, io_callback_p):
    _p.impl = _impl(_p.name)
    _p.abstract_eval = _abstract_eval


# ---------------------------------------------------------------------------- derivatives

def _debug_jvp(primals, tangents, **params):
    """Runs on the primal values; it has no outputs to differentiate."""
    return debug_callback_p.bind(*primals, **params), []


def _no_jvp(kind, hint):
    def rule(primals, tangents, **params):
        raise ValueError(f"{kind} callbacks do not support differentiation (jvp, grad, vjp); "
                         f"{hint}")
    return rule


debug_callback_p.jvp = _debug_jvp
pure_callback_p.jvp = _no_jvp("pure", "wrap the function calling fx.pure_callback in fx.custom_jvp "
                                      "(or custom_vjp) and give its derivative")
io_callback_p.jvp = _no_jvp("IO", "compute what needs a derivative outside the callback")


# ---------------------------------------------------------------------------- batching

def _loop_over_batch(callback, dims, size, result_avals):
    """A Callback that calls `callback` once per batch element, in order, and stacks its
    results along a new leading axis."""
    def each(*arrays):
        arrays = [np.moveaxis(a, d, 0) if d is not None else a for a, d in zip(arrays, dims)]
        outs = [callback(*[a[i] if d is not None else a for a, d in zip(arrays, dims)])
                for i in range(size)]
        if not result_avals:
            return []
        outs = [_check_results(callback.name, o, result_avals) for o in outs]
        return [np.stack([o[k] for o in outs]) for k in range(len(result_avals))]
    return Callback(each, f"{callback.name} per batch element")


def _batched_avals(result_avals, size):
    return tuple(ShapedArray((size, *a.shape), a.dtype, a.weak_type) for a in result_avals)


def _debug_batch(args, dims, *, callback, result_avals, ordered):
    size = axis_size_of(args, dims)
    debug_callback_p.bind(*args, callback=_loop_over_batch(callback, dims, size, ()),
                          result_avals=(), ordered=ordered)
    return [], []


def _pure_batch(args, dims, *, callback, result_avals, vmap_method):
    size = axis_size_of(args, dims)
    batched = _batched_avals(result_avals, size)
    if vmap_method in ("sequential", "sequential_unrolled"):
        fn = _loop_over_batch(callback, dims, size, result_avals)
    elif vmap_method in ("expand_dims", "broadcast_all", "legacy_vectorized"):
        fn = _vectorized(callback, dims, size, broadcast=vmap_method == "broadcast_all")
    else:
        raise NotImplementedError(
            f"pure_callback of {callback.name} cannot be batched (vmap) with vmap_method="
            f"{vmap_method!r}: pass vmap_method='sequential' (one call per batch element), "
            "'expand_dims' (one call; unbatched operands get a leading axis of size 1) or "
            "'broadcast_all' (one call; every operand batched)")
    outs = pure_callback_p.bind(*args, callback=fn, result_avals=batched, vmap_method=vmap_method)
    return outs, [0] * len(outs)


def _vectorized(callback, dims, size, broadcast):
    """One call with the batch axis leading on every operand (size 1, or broadcast to the
    batch, where an operand is not batched); results carry the batch axis first."""
    def once(*arrays):
        arrays = [np.moveaxis(a, d, 0) if d is not None
                  else np.broadcast_to(a[None], (size, *np.shape(a))) if broadcast else a[None]
                  for a, d in zip(map(np.asarray, arrays), dims)]
        return callback(*arrays)
    return Callback(once, f"{callback.name} batched")


def _io_batch(args, dims, *, callback, result_avals, ordered):
    if ordered:
        raise ValueError(f"an ordered io_callback ({callback.name}) cannot be batched (vmap): "
                         "the order of its calls would be undefined; pass ordered=False")
    size = axis_size_of(args, dims)
    outs = io_callback_p.bind(*args, callback=_loop_over_batch(callback, dims, size, result_avals),
                              result_avals=_batched_avals(result_avals, size), ordered=ordered)
    return outs, [0] * len(outs)


debug_callback_p.batch = _debug_batch
pure_callback_p.batch = _pure_batch
io_callback_p.batch = _io_batch


# ---------------------------------------------------------------------------- lowering

def _lower(prim):
    """A Callback statement of the kernel program, emitted where the equation stands
    (even when nothing reads its results)."""
    def lower(ctx, *values, callback, result_avals, **_):
        from fx.ir import kernels as K
        from fx.ir.lower import BufferValue
        inputs = [ctx.materialize(v).buffer for v in values]
        outputs = [ctx.new_buffer(a.shape, a.dtype) for a in result_avals]
        checked = Callback(lambda *arrays: _check_results(prim.name, callback(*arrays), result_avals)
                           if result_avals else callback(*arrays), callback.name)
        ctx.emit(K.Callback("", prim.name, checked, tuple(inputs), tuple(outputs), ctx.callbacks))
        ctx.callbacks += 1
        return [BufferValue(b) for b in outputs]
    return lower


for _p in (debug_callback_p, pure_callback_p, io_callback_p):
    _p.lower = _lower(_p)

