"""Call-like primitives: primitives that hold a closed jaxpr and run it on their operands
(jit, checkpoint, custom_jvp_call, custom_vjp_call, and the control-flow primitives'
bodies). This module traces user functions into such jaxprs, runs them (inlined into
the current trace, or compiled once per jaxpr and backend), and gives a call primitive
the rules every transform needs.

A traced function's closure constants (concrete arrays and tracers of enclosing
transforms alike) become explicit leading operands of the primitive, so every outer
transform sees them flow in and the held jaxprs never capture a value.
"""
from __future__ import annotations

import functools
import logging
import time
import weakref

from fx import tree_util
from fx.argcheck import describe
from fx.backends import get_backend
from fx.backends.base import Backend
from fx.config import config
from fx.core import (ShapedArray, UndefinedPrimal, Zero, deep_recursion, get_aval,
                     is_array_like, tangent_aval)
from fx.ir.jaxpr import ClosedJaxpr, jaxpr_as_fun
from fx.ir.lower import lower_eqns
from fx.ir.passes import optimize
from fx.transforms.batching import axis_size_of, batch_jaxpr, moveaxis
from fx.transforms.jvp import instantiate, jvp_jaxpr
from fx.transforms.staging import convert_constvars_to_invars, trace_to_closed_jaxpr, trace_to_jaxpr
from fx.transforms.transpose import transpose_jaxpr


# ---------------------------------------------------------------------------- tracing and running

_executables = weakref.WeakKeyDictionary()  # ClosedJaxpr -> {backend name: executable}


def compiled(closed: ClosedJaxpr, backend=None, name="jit"):
    """The executable of `closed` on `backend` (a Backend, a name, or None for the
    default), compiled once per jaxpr and backend; with the log_compiles config option,
    each compilation is logged with `name` (the jitted function's)."""
    if not isinstance(backend, Backend):
        backend = get_backend(backend)
    per_jaxpr = _executables.setdefault(closed, {})
    exe = per_jaxpr.get(backend.name)
    if exe is None:
        start = time.perf_counter()
        with deep_recursion("compile a jit"):
            exe = per_jaxpr[backend.name] = backend.compile(optimize(closed))
        if config.log_compiles:
            types = ", ".join(a.str_short() for a in closed.in_avals)
            logging.getLogger("fx").warning(
                "Compiled jit(%s) for (%s) on %s in %.1f ms", name, types, backend.name,
                1e3 * (time.perf_counter() - start))
    return exe


def trace_callable(fun, args, description):
    """Trace `fun(*args)` over the leaves of `args`.

    Returns (closed jaxpr taking the closure constants then the leaves, the constants,
    the output tree).
    """
    leaves, in_tree = tree_util.tree_flatten(args)
    out_trees = []

    def flat(*tracers):
        out = fun(*tree_util.tree_unflatten(in_tree, tracers))
        out_leaves, out_tree = tree_util.tree_flatten(out)
        for leaf in out_leaves:
            if not is_array_like(leaf):
                raise TypeError(f"{description} must return arrays or Python numbers, got "
                                f"{describe(leaf)}")
        out_trees.append(out_tree)
        return out_leaves

    jaxpr, consts = trace_to_jaxpr(flat, [leaf_aval(x, description) for x in leaves], description)
    return ClosedJaxpr(convert_constvars_to_invars(jaxpr), []), consts, out_trees[0]


def leaf_aval(x, where):
    """The aval of an operand leaf (avals stand for themselves: the slices scan traces)."""
    if isinstance(x, ShapedArray):
        return x
    try:
        return get_aval(x)
    except TypeError:
        raise TypeError(f"{where}: expected arrays or Python numbers as operands, got "
                        f"{describe(x)}") from None


def type_mismatch(a, b):
    """Why two avals differ ('' when they agree up to weak types)."""
    if a.shape != b.shape:
        return "the shapes do not match"
    if a.dtype != b.dtype:
        return "the dtypes do not match"
    return ""


def check_types(what, first_name, first, second_name, second):
    """TypeError naming the first pair of leaves whose shape or dtype differ."""
    for i, (a, b) in enumerate(zip(first, second)):
        why = type_mismatch(a, b)
        if why:
            raise TypeError(f"{what}: {first_name} has type {a.str_short()} at leaf {i} but "
                            f"{second_name} has type {b.str_short()} there, so {why}.")


def split(seq, *sizes):
    """seq cut into consecutive pieces of the given sizes, then the rest."""
    seq, out = list(seq), []
    for n in sizes:
        out.append(seq[:n])
        seq = seq[n:]
    return out + [seq]


def retrace(fun, in_avals, description):
    """A closed jaxpr of `fun(*tracers) -> list` (fun typically evaluates other jaxprs)."""
    return trace_to_closed_jaxpr(fun, list(in_avals), description)


def call(closed: ClosedJaxpr, *args):
    """Evaluate a held jaxpr on the current trace (inlining it into whatever is traced)."""
    return jaxpr_as_fun(closed)(*args)


def interpret(closed: ClosedJaxpr):
    """The reference interpreter's executable for a held jaxpr: eager impls run with it."""
    return compiled(closed, "interpreter")


# ---------------------------------------------------------------------------- rules of a call primitive

def check_operands(label):
    """An abstract-eval rule: the operands must have the types the held jaxpr takes.
    `label(params)` names the call in the error (jit(f), checkpoint)."""
    def abstract_eval(*avals, jaxpr, **params):
        expected = jaxpr.in_avals
        if len(avals) != len(expected) or any(map(type_mismatch, avals, expected)):
            raise TypeError(f"{label(params)} called with {[a.str_short() for a in avals]}, "
                            f"but its jaxpr takes {[a.str_short() for a in expected]}")
        return jaxpr.out_avals
    return abstract_eval


def lower_inline(ctx, *args, jaxpr, **_):
    """The kernel program of a call is its jaxpr's, inlined at the call."""
    return lower_eqns(ctx, jaxpr, list(args))


def lowered_as(fn, name):
    """A lowering rule for a one-output primitive computed by `fn(*operands, **params)`,
    a function of lax operations: its jaxpr (traced once per operand types and params)
    is inlined, so no backend needs a kernel of its own for the primitive."""
    @functools.lru_cache(maxsize=64)
    def traced(avals, params):
        return trace_to_closed_jaxpr(lambda *xs: [fn(*xs, **dict(params))], list(avals), name)

    def rule(ctx, *args, **params):
        avals = tuple(ShapedArray(x.shape, x.dtype) for x in args)
        (out,) = lower_eqns(ctx, traced(avals, tuple(sorted(params.items()))), list(args))
        return out
    return rule


def transform_the_call(prim, label, derive):
    """Give `prim` JVP, batching and transpose rules that transform its held `jaxpr` and
    call the result with `prim` again, so the call survives every transform (jit stays
    compiled on the backward pass, checkpoint keeps rematerialising). `label(params)`
    names the call in recursion errors; `derive(params, how)` gives the derived call's
    other parameters, `how` being "jvp", "vmap" or "transpose"."""

    def jvp(primals, tangents, *, jaxpr, **params):
        nonzeros = tuple(type(t) is not Zero for t in tangents)
        with deep_recursion(f"differentiate {label(params)}"):  # nested calls: one level each
            jvp_closed, out_nonzeros = jvp_jaxpr(jaxpr, nonzeros)
        outs = prim.bind(*primals, *(t for t in tangents if type(t) is not Zero),
                         jaxpr=jvp_closed, **derive(params, "jvp"))
        n = len(jaxpr.out_avals)
        out_tangents = iter(outs[n:])
        return outs[:n], [next(out_tangents) if nz else Zero(tangent_aval(a))
                          for nz, a in zip(out_nonzeros, jaxpr.out_avals)]

    def batch(args, dims, *, jaxpr, **params):
        size = axis_size_of(args, dims)
        args = [x if d is None else moveaxis(x, d, 0) for x, d in zip(args, dims)]
        with deep_recursion(f"batch {label(params)}"):
            batched, out_batched = batch_jaxpr(jaxpr, size, tuple(d is not None for d in dims))
        outs = prim.bind(*args, jaxpr=batched, **derive(params, "vmap"))
        return outs, [0 if b else None for b in out_batched]

    def transpose(cts, *args, jaxpr, **params):
        linear = tuple(isinstance(x, UndefinedPrimal) for x in args)
        with deep_recursion(f"transpose {label(params)}"):
            transposed = transpose_jaxpr(jaxpr, linear)
        outs = iter(prim.bind(*(x for x in args if not isinstance(x, UndefinedPrimal)),
                              *map(instantiate, cts), jaxpr=transposed,
                              **derive(params, "transpose")))
        return [next(outs) if lin else None for lin in linear]

    prim.jvp, prim.batch, prim.transpose = jvp, batch, transpose
