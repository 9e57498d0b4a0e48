"""Forward mode: push tangents through a function alongside its primal values.

A `JVPTracer` carries (primal, tangent). Tangents may be symbolic `Zero`s; when every
input tangent of a primitive is zero the primitive goes straight to the parent trace,
so code that does not depend on the differentiated inputs costs nothing extra.
"""
from __future__ import annotations

import functools

import numpy as np

from fx.array import ArrayImpl
from fx.core import (Trace, Tracer, Zero, as_array, current_trace, get_aval, new_trace, primitives,
                     set_current_trace, tangent_aval)
from fx.ir.jaxpr import ClosedJaxpr, jaxpr_as_fun
from fx.transforms.staging import trace_to_closed_jaxpr


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace, primal, tangent):
        self._trace, self.primal, self.tangent = trace, primal, tangent

    @property
    def aval(self):
        return get_aval(self.primal)

    def to_concrete_value(self):
        p = self.primal
        if isinstance(p, Tracer):
            return p.to_concrete_value()
        return p._value if isinstance(p, ArrayImpl) else np.asarray(p)

    def _abstract_origin(self):
        p = self.primal
        return p._abstract_origin() if isinstance(p, Tracer) else self


class JVPTrace(Trace):
    def __init__(self, parent, description="jvp"):
        super().__init__(parent)
        self.description = description

    def to_pair(self, x):
        if isinstance(x, JVPTracer) and x._trace is self:
            return x.primal, x.tangent
        return as_array(x), Zero(tangent_aval(get_aval(x)))

    def wrap(self, primal, tangent):
        return primal if type(tangent) is Zero else JVPTracer(self, primal, tangent)

    def process_primitive(self, prim, args, params):
        primals, tangents = zip(*map(self.to_pair, args)) if args else ((), ())
        with set_current_trace(self.parent):
            if all(type(t) is Zero for t in tangents):
                return prim.bind(*primals, **params)
            out, out_tangent = prim.rule("jvp")(primals, tangents, **params)
        if prim.multiple_results:
            return [self.wrap(p, t) for p, t in zip(out, out_tangent)]
        return self.wrap(out, out_tangent)


def jvp_flat(fun, primals, tangents, description="jvp"):
    """Run `fun(*inputs) -> list` on (primal, tangent) pairs; tangents may be Zero."""
    with new_trace(JVPTrace(current_trace(), description)) as trace:
        outs = fun(*map(trace.wrap, map(as_array, primals), tangents))
        pairs = [trace.to_pair(o) for o in outs]
    return [p for p, _ in pairs], [t for _, t in pairs]


@functools.lru_cache(maxsize=4096)
def jvp_jaxpr(closed: ClosedJaxpr, nonzeros: tuple, instantiate: tuple = ()):
    """A jaxpr computing (primal outs, nonzero tangent outs) from (primals, nonzero tangents).

    Returns (jaxpr, out_nonzeros). Used by primitives that hold jaxprs (jit, control flow).
    Outputs flagged in `instantiate` get a tangent even when it is zero (a loop carry
    whose tangent type must not change between iterations).
    """
    n = len(nonzeros)
    out_nonzeros = []

    def fun(*args):
        tangent_iter = iter(args[n:])
        tangents = [next(tangent_iter) if nz else Zero(tangent_aval(a))
                    for nz, a in zip(nonzeros, closed.in_avals)]
        outs, out_tangents = jvp_flat(jaxpr_as_fun(closed), args[:n], tangents)
        out_tangents = [zeros_like_aval(t.aval) if type(t) is Zero and inst else t
                        for t, inst in zip(out_tangents, instantiate or [False] * len(outs))]
        out_nonzeros[:] = [type(t) is not Zero for t in out_tangents]
        return outs + [t for t in out_tangents if type(t) is not Zero]

    tangent_avals = [tangent_aval(a) for a, nz in zip(closed.in_avals, nonzeros) if nz]
    jaxpr = trace_to_closed_jaxpr(fun, closed.in_avals + tangent_avals, "jvp")
    return jaxpr, tuple(out_nonzeros)


# ---------------------------------------------------------------------------- tangent algebra

def zeros_like_aval(aval):
    from fx import lax
    return lax.full(aval.shape, 0, aval.dtype)


def instantiate(t):
    return zeros_like_aval(t.aval) if type(t) is Zero else t


def add_tangents(x, y):
    if type(x) is Zero:
        return y
    if type(y) is Zero:
        return x
    return primitives["add_any"].bind(x, y)  # defined with the elementwise primitives in lax


# ---------------------------------------------------------------------------- rule helpers

def defjvp(prim, *partials):
    """JVP from one function per argument: partial(g, ans, *primals, **params) gives that
    argument's contribution to the output tangent; None marks a non-differentiable one."""
    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        out = Zero(tangent_aval(get_aval(ans)))
        for partial, t in zip(partials, tangents):
            if partial is not None and type(t) is not Zero:
                out = add_tangents(out, partial(t, ans, *primals, **params))
        return ans, out
    prim.jvp = rule


def defjvp_zero(prim):
    """For piecewise-constant primitives (comparisons, floor, argmax ...)."""
    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        if prim.multiple_results:
            return ans, [Zero(tangent_aval(get_aval(a))) for a in ans]
        return ans, Zero(tangent_aval(get_aval(ans)))
    prim.jvp = rule


def deflinear(prim, transpose, linear_argnums=None):
    """A primitive linear (jointly) in its args, or in `linear_argnums` only: its JVP applies
    it to the tangents of those args, the others (integer indices) keeping their values."""
    def rule(primals, tangents, **params):
        args = [instantiate(t) if linear_argnums is None or i in linear_argnums else p
                for i, (p, t) in enumerate(zip(primals, tangents))]
        return prim.bind(*primals, **params), prim.bind(*args, **params)
    prim.jvp = rule
    prim.transpose = transpose
