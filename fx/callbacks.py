"""Python callbacks in traced code, with JAX's API: `fx.pure_callback`,
`fx.experimental.io_callback`, and the helpers of `fx.debug` (print, callback).

Each flattens its pytree arguments, passes the array leaves through a callback primitive
(fx/lax/callback.py) and rebuilds the trees around the NumPy arrays the Python function
receives; leaves that are not arrays (strings, None, ...) stay as they are.
"""
from __future__ import annotations

from fx import dtypes, tree_util
from fx.core import ShapedArray, is_array_like, Tracer
from fx.lax import ops
from fx.lax.callback import (VMAP_METHODS, Callback, debug_callback_p, io_callback_p,
                             pure_callback_p)


def _split(args, kwargs):
    """(the array leaves as operands, a function rebuilding (args, kwargs) from arrays)."""
    leaves, tree = tree_util.tree_flatten((args, kwargs))
    dynamic = [isinstance(x, Tracer) or is_array_like(x) for x in leaves]
    operands = [ops._as_operand(x) for x, d in zip(leaves, dynamic) if d]

    def rebuild(arrays):
        arrays = iter(arrays)
        return tree_util.tree_unflatten(tree, [next(arrays) if d else x for x, d in zip(leaves, dynamic)])
    return operands, rebuild


def _result_avals(name, result_shape_dtypes):
    leaves, tree = tree_util.tree_flatten(result_shape_dtypes)
    avals = []
    for leaf in leaves:
        if not (hasattr(leaf, "shape") and hasattr(leaf, "dtype")):
            raise TypeError(f"{name}: result_shape_dtypes must be a pytree of objects with a shape "
                            f"and a dtype (fx.ShapeDtypeStruct, arrays), got {type(leaf).__name__} {leaf!r}")
        avals.append(ShapedArray(tuple(leaf.shape), dtypes.canonicalize_dtype(leaf.dtype), False))
    return tuple(avals), tree


def _calling(fn, rebuild, name):
    def call(*arrays):
        args, kwargs = rebuild(arrays)
        return fn(*args, **kwargs)
    return Callback(call, name)


def _flat_results(fn, tree):
    def flat(*arrays):
        return tree_util.tree_leaves(fn(*arrays))
    return Callback(flat, fn.name)


def pure_callback(callback, result_shape_dtypes, *args, sharding=None, vmap_method=None, **kwargs):
    """Call `callback(*args, **kwargs)` (a Python function of NumPy arrays, free of side
    effects) when the program runs; it returns arrays of the types `result_shape_dtypes`
    declares (a pytree of fx.ShapeDtypeStruct). fx may drop a call whose results are not
    used. It has no derivative (give one with custom_jvp); under vmap it follows
    `vmap_method`: "sequential" (a call per batch element), "expand_dims" (one call,
    unbatched arguments with a leading axis of size 1) or "broadcast_all"."""
    if vmap_method is not None and vmap_method not in VMAP_METHODS:
        raise ValueError(f"pure_callback: vmap_method must be None or one of {VMAP_METHODS}, "
                         f"got {vmap_method!r}")
    name = getattr(callback, "__name__", "callback")
    avals, tree = _result_avals("pure_callback", result_shape_dtypes)
    operands, rebuild = _split(args, kwargs)
    fn = _flat_results(_calling(callback, rebuild, name), tree)
    outs = pure_callback_p.bind(*operands, callback=fn, result_avals=avals, vmap_method=vmap_method)
    return tree_util.tree_unflatten(tree, outs)


def io_callback(callback, result_shape_dtypes, *args, sharding=None, ordered=False, **kwargs):
    """Call `callback(*args, **kwargs)`, a Python function that may have side effects
    (reading a file, updating a counter), when the program runs: never dropped, run in
    program order (`ordered`), not differentiable; its results have the types of
    `result_shape_dtypes` (None: it returns nothing)."""
    name = getattr(callback, "__name__", "callback")
    avals, tree = _result_avals("io_callback", result_shape_dtypes)
    operands, rebuild = _split(args, kwargs)
    fn = _flat_results(_calling(callback, rebuild, name), tree)
    outs = io_callback_p.bind(*operands, callback=fn, result_avals=avals, ordered=bool(ordered))
    return tree_util.tree_unflatten(tree, outs)


def debug_callback(callback, *args, ordered=False, **kwargs):
    """Call `callback(*args, **kwargs)` for its effect when the program runs (on the
    forward pass of a derivative, once per element under vmap); it returns nothing."""
    if not callable(callback):
        raise TypeError(f"fx.debug.callback: expected a callable, got {type(callback).__name__}")
    operands, rebuild = _split(args, kwargs)
    debug_callback_p.bind(*operands, callback=_ignoring_result(_calling(callback, rebuild,
                                                                        getattr(callback, "__name__", "callback"))),
                          result_avals=(), ordered=bool(ordered))


def _ignoring_result(fn):
    def call(*arrays):
        fn(*arrays)
        return []
    return Callback(call, fn.name)


def debug_print(fmt: str, *args, ordered=False, **kwargs):
    """Print `fmt.format(*args, **kwargs)` with the values the arguments have when the
    program runs (jax.debug.print): inside jit, grad (on the forward pass), vmap (once
    per batch element) and loop bodies (once per iteration)."""
    if not isinstance(fmt, str):
        raise TypeError(f"fx.debug.print: the format must be a str, got {type(fmt).__name__}")

    def format_and_print(*args, **kwargs):
        print(fmt.format(*args, **kwargs))
    format_and_print.__name__ = "print"
    debug_callback(format_and_print, *args, ordered=ordered, **kwargs)

