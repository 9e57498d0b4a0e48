"""Staging: trace a Python function into a jaxpr (what jit and make_jaxpr do).

Every primitive bound while a `StagingTrace` is current becomes an equation. Values that
are not this trace's tracers (concrete arrays, Python scalars, tracers of enclosing
transforms) become constants: scalars inline as literals, the rest as constvars.
"""
from __future__ import annotations

import contextlib

import numpy as np

from fx import source_info
from fx.array import ArrayImpl
from fx.core import (Trace, Tracer, current_trace, escaped_tracer_error, get_aval,
                     new_trace)
from fx.ir.jaxpr import ClosedJaxpr, Eqn, Jaxpr, Literal, Var


class StagingTracer(Tracer):
    __slots__ = ("aval", "var")

    def __init__(self, trace, var):
        self._trace, self.var, self.aval = trace, var, var.aval


class JaxprBuilder:
    """Collects equations and constants while a function is traced."""

    def __init__(self):
        self.eqns = []
        self.constvars = {}  # id(value) -> (Var, value); the value is kept alive here

    def const(self, x):
        if isinstance(x, (bool, int, float, complex)):
            return Literal(x, get_aval(x))
        if isinstance(x, (ArrayImpl, np.ndarray, np.generic)) and np.ndim(x) == 0:
            return Literal(np.asarray(x), get_aval(x))
        entry = self.constvars.get(id(x))
        if entry is None:
            entry = self.constvars[id(x)] = (Var(get_aval(x)), x)
        return entry[0]

    def add_eqn(self, prim, invars, out_avals, params):
        outvars = [Var(a) for a in out_avals]
        self.eqns.append(Eqn(prim, invars, outvars, params, source_info.current()))
        return outvars

    def build(self, invars, outvars):
        """The jaxpr, and its constants' values (which may be outer tracers)."""
        constvars = [v for v, _ in self.constvars.values()]
        consts = [x for _, x in self.constvars.values()]
        return Jaxpr(constvars, invars, outvars, self.eqns), consts


class StagingTrace(Trace):
    def __init__(self, parent, description):
        super().__init__(parent)
        self.description = description
        self.builder = JaxprBuilder()

    def new_arg(self, aval):
        return StagingTracer(self, Var(aval))

    def is_own(self, x):
        return isinstance(x, StagingTracer) and x._trace is self

    def to_var(self, x):
        if isinstance(x, StagingTracer) and x._trace is self:
            return x.var
        if isinstance(x, Tracer) and not x._trace.alive:
            raise escaped_tracer_error(x)
        return self.builder.const(x)

    def process_primitive(self, prim, args, params):
        return self.stage(prim, args, params)

    def to_jaxpr(self, arg_tracers, outs):
        """(jaxpr, consts) from the tracers `new_arg` made and the traced outputs."""
        outvars = [self.to_var(o) for o in outs]
        return self.builder.build([a.var for a in arg_tracers], outvars)

    def stage(self, prim, args, params, out_avals=None):
        invars = [self.to_var(x) for x in args]
        if out_avals is None:
            out_avals = prim.rule("abstract_eval")(*(v.aval for v in invars), **params)
        outvars = self.builder.add_eqn(prim, invars,
                                       out_avals if prim.multiple_results else [out_avals], params)
        outs = [StagingTracer(self, v) for v in outvars]
        return outs if prim.multiple_results else outs[0]


@contextlib.contextmanager
def staging(in_avals, description="make_jaxpr"):
    """`with staging(avals) as (trace, args):` stages what the block computes from the
    tracers `args`; `trace.to_jaxpr(args, outputs)` ends it. Callers that trace user code
    inline use this rather than a callback, so each level of nested jits costs no
    Python frames beyond the user's own and jit's."""
    with new_trace(StagingTrace(current_trace(), description)) as trace:
        yield trace, [trace.new_arg(a) for a in in_avals]


def trace_to_jaxpr(fun, in_avals, description="make_jaxpr"):
    """Trace `fun(*tracers) -> list of outputs`; return (jaxpr, consts)."""
    with staging(in_avals, description) as (trace, args):
        return trace.to_jaxpr(args, fun(*args))


def trace_to_closed_jaxpr(fun, in_avals, description="make_jaxpr") -> ClosedJaxpr:
    """Like trace_to_jaxpr, for functions that close over no tracers."""
    jaxpr, consts = trace_to_jaxpr(fun, in_avals, description)
    return ClosedJaxpr(jaxpr, [_concrete_const(c) for c in consts])


def hoist_tracer_consts(jaxpr: Jaxpr, consts):
    """Turn constants that are outer tracers into leading inputs.

    Returns (closed jaxpr over the concrete constants, the hoisted tracers). A jaxpr
    bound inside another transform (jit inside grad) must take the outer tracers as
    explicit arguments, so the outer transform sees them flow in.
    """
    keep = [not isinstance(c, Tracer) for c in consts]
    constvars = [v for v, k in zip(jaxpr.constvars, keep) if k]
    hoisted_vars = [v for v, k in zip(jaxpr.constvars, keep) if not k]
    new = Jaxpr(constvars, hoisted_vars + jaxpr.invars, jaxpr.outvars, jaxpr.eqns)
    closed = ClosedJaxpr(new, [_concrete_const(c) for c, k in zip(consts, keep) if k])
    return closed, [c for c, k in zip(consts, keep) if not k]


def convert_constvars_to_invars(jaxpr: Jaxpr) -> Jaxpr:
    return Jaxpr([], jaxpr.constvars + jaxpr.invars, jaxpr.outvars, jaxpr.eqns)


def _concrete_const(x):
    if isinstance(x, ArrayImpl):
        return x
    if isinstance(x, Tracer):
        raise escaped_tracer_error(x) if not x._trace.alive else AssertionError(x)
    aval = get_aval(x)
    return ArrayImpl(np.asarray(x, aval.dtype), weak_type=aval.weak_type)
