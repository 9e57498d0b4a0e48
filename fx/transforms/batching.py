"""vmap: run a function on a batch by adding one axis to every value it touches.

A `BatchTracer` carries (value, batch dim). The batch dim is an int, or None for values
that do not vary across the batch; primitives whose inputs are all unbatched go straight
to the parent trace. Each primitive's batching rule says where its output's batch
axis ends up, so layouts move only when a rule needs them to.
"""
from __future__ import annotations

import functools

from fx import tree_util
from fx.core import (Primitive, Trace, Tracer, as_array, current_trace, get_aval, new_trace,
                     set_current_trace)
from fx.ir.jaxpr import ClosedJaxpr, jaxpr_as_fun
from fx.transforms.arguments import flatten_fun
from fx.transforms.staging import trace_to_closed_jaxpr


class BatchTracer(Tracer):
    __slots__ = ("val", "bdim")

    def __init__(self, trace, val, bdim):
        self._trace, self.val, self.bdim = trace, val, bdim

    @property
    def aval(self):
        aval = get_aval(self.val)
        return aval.update(shape=aval.shape[:self.bdim] + aval.shape[self.bdim + 1:])


class BatchTrace(Trace):
    def __init__(self, parent, axis_size, description="vmap"):
        super().__init__(parent)
        self.axis_size = axis_size
        self.description = description

    def to_pair(self, x):
        if isinstance(x, BatchTracer) and x._trace is self:
            return x.val, x.bdim
        return as_array(x), None

    def wrap(self, val, bdim):
        return val if bdim is None else BatchTracer(self, val, bdim)

    def process_primitive(self, prim, args, params):
        vals, dims = zip(*map(self.to_pair, args)) if args else ((), ())
        with set_current_trace(self.parent):
            if all(d is None for d in dims):
                return prim.bind(*vals, **params)
            out, out_dim = prim.rule("batch")(vals, dims, **params)
        if prim.multiple_results:
            return [self.wrap(v, d) for v, d in zip(out, out_dim)]
        return self.wrap(out, out_dim)


def batch_flat(fun, args, in_dims, axis_size, description="vmap"):
    """Run `fun(*inputs) -> list` with the given inputs batched along `in_dims`."""
    with new_trace(BatchTrace(current_trace(), axis_size, description)) as trace:
        outs = fun(*map(trace.wrap, args, in_dims))
        pairs = [trace.to_pair(o) for o in outs]
    return [v for v, _ in pairs], [d for _, d in pairs]


def batch_flat_at_front(fun, args, in_dims, axis_size, description="vmap"):
    """Like batch_flat, with every output batched along axis 0 (broadcast if need be)."""
    outs, dims = batch_flat(fun, args, in_dims, axis_size, description)
    return [bdim_at_front(o, d, axis_size) for o, d in zip(outs, dims)]


def map_leading_axis(fun, xs, description="map"):
    """vmap(fun)(xs) for library code below fx.api: `fun` over the leading axis of every
    leaf of the pytree `xs`, its outputs stacked along axis 0."""
    leaves, in_tree = tree_util.tree_flatten((xs,))
    out_store = []
    outs = batch_flat_at_front(flatten_fun(fun, in_tree, out_store), leaves, [0] * len(leaves),
                               axis_size_of(leaves, [0] * len(leaves)), description)
    return tree_util.tree_unflatten(out_store[0], outs)


@functools.lru_cache(maxsize=4096)
def batch_jaxpr(closed: ClosedJaxpr, axis_size: int, in_batched: tuple, force_out=False):
    """The jaxpr of vmap(closed) with batched inputs/outputs at axis 0.

    Returns (jaxpr, out_batched); with force_out True every output is batched, with a
    tuple of flags the flagged ones are (a loop carry must keep its type).
    """
    out_batched = []

    def fun(*args):
        outs, dims = batch_flat(jaxpr_as_fun(closed), args,
                                [0 if b else None for b in in_batched], axis_size)
        force = force_out if isinstance(force_out, tuple) else (force_out,) * len(outs)
        out_batched[:] = [f or d is not None for f, d in zip(force, dims)]
        return [bdim_at_front(o, d, axis_size) if b else o
                for o, d, b in zip(outs, dims, out_batched)]

    avals = [a.update(shape=(axis_size,) + a.shape) if b else a
             for a, b in zip(closed.in_avals, in_batched)]
    jaxpr = trace_to_closed_jaxpr(fun, avals, "vmap")
    return jaxpr, tuple(out_batched)


# ---------------------------------------------------------------------------- rule helpers

def axis_size_of(args, dims):
    return next(get_aval(x).shape[d] for x, d in zip(args, dims) if d is not None)


def moveaxis(x, src, dst):
    from fx import lax
    ndim = get_aval(x).ndim
    src, dst = src % ndim, dst % ndim
    if src == dst:
        return x
    perm = [i for i in range(ndim) if i != src]
    perm.insert(dst, src)
    return lax.transpose(x, tuple(perm))


def bdim_at_front(x, bdim, size):
    """x with its batch axis first; an unbatched x is broadcast to the batch."""
    from fx import lax
    if bdim is None:
        return lax.broadcast(x, (size,))
    return moveaxis(x, bdim, 0)


def broadcast_batcher(prim: Primitive):
    """Batching for elementwise primitives (all operands of one shape)."""
    def rule(args, dims, **params):
        shapes = {(get_aval(x).shape, d) for x, d in zip(args, dims)}
        if len(shapes) == 1:  # every operand batched alike: apply as is
            return prim.bind(*args, **params), dims[0]
        size = axis_size_of(args, dims)
        out = prim.bind(*(bdim_at_front(x, d, size) for x, d in zip(args, dims)), **params)
        return out, 0
    prim.batch = rule
