"""Partial evaluation: run what is known now, stage what is not.

A `PartialEvalTrace`'s tracers are the *unknown* values; everything else is known and
computed on the parent trace at once. An equation with an unknown input is staged into a
jaxpr, and the known values it reads become that jaxpr's constants: the residuals.

`linearize` is jvp under partial evaluation with the primals known and the tangents
unknown: the primal computation runs, and the tangent computation, which is linear,
is staged as a jaxpr of its own. Reverse mode transposes that jaxpr (transpose.py).
"""
from __future__ import annotations

import functools

from fx.core import Zero, current_trace, get_aval, new_trace, set_current_trace, tangent_aval
from fx.ir.jaxpr import ClosedJaxpr, eval_jaxpr
from fx.transforms.staging import (StagingTrace, convert_constvars_to_invars,
                                   trace_to_closed_jaxpr)


class PartialEvalTrace(StagingTrace):
    def process_primitive(self, prim, args, params):
        if not any(self.is_own(x) for x in args):
            with set_current_trace(self.parent):
                return prim.bind(*args, **params)
        if prim.partial_eval is not None:
            return prim.partial_eval(self, args, params)
        return self.stage(prim, args, params)


def linearize_flat(fun, primals, description="linearize"):
    """Returns (primal outputs, linear jaxpr from tangents to output tangents, residuals).

    The jaxpr's constvars are the residuals (values of the current trace).
    """
    from fx.transforms.jvp import jvp_flat, zeros_like_aval
    with new_trace(PartialEvalTrace(current_trace(), description)) as trace:
        tangent_avals = [tangent_aval(get_aval(p)) for p in primals]
        tangent_args = [trace.new_arg(a) for a in tangent_avals]
        tangents = [t if _differentiable(a) else Zero(a) for t, a in zip(tangent_args, tangent_avals)]
        primals_out, tangents_out = jvp_flat(fun, primals, tangents, description)
        with set_current_trace(trace.parent):
            tangents_out = [zeros_like_aval(t.aval) if type(t) is Zero else t for t in tangents_out]
        outvars = [trace.to_var(t) for t in tangents_out]
    jaxpr, residuals = trace.builder.build([t.var for t in tangent_args], outvars)
    return primals_out, jaxpr, residuals


def _differentiable(aval):
    from fx import dtypes
    return dtypes.is_inexact(aval.dtype)


@functools.lru_cache(maxsize=4096)
def partial_eval_jaxpr(closed: ClosedJaxpr, in_unknowns: tuple, instantiate: tuple = ()):
    """Split a jaxpr by which inputs are unknown.

    Returns (known, unknown, out_unknowns, num_residuals): `known` maps the known inputs
    to the known outputs followed by the residuals; `unknown` maps the residuals followed
    by the unknown inputs to the unknown outputs. Outputs flagged in `instantiate` are
    unknown even when computable now (control flow needs every branch, or every loop
    iteration, to agree on which outputs are unknown).
    """
    split = {}

    def known_fun(*known_args):
        known_iter = iter(known_args)
        with new_trace(PartialEvalTrace(current_trace(), "partial_eval")) as trace:
            unknown_args = [trace.new_arg(a) for a, u in zip(closed.in_avals, in_unknowns) if u]
            unknown_iter = iter(unknown_args)
            args = [next(unknown_iter) if u else next(known_iter) for u in in_unknowns]
            outs = eval_jaxpr(closed.jaxpr, closed.consts, *args)
            out_unknowns = [trace.is_own(o) or bool(inst) for o, inst in
                            zip(outs, instantiate or [False] * len(outs))]
            outvars = [trace.to_var(o) for o, u in zip(outs, out_unknowns) if u]
        jaxpr, residuals = trace.builder.build([a.var for a in unknown_args], outvars)
        split.update(unknown=ClosedJaxpr(convert_constvars_to_invars(jaxpr), []),
                     out_unknowns=tuple(out_unknowns), num_res=len(residuals))
        return [o for o, u in zip(outs, out_unknowns) if not u] + residuals

    known_avals = [a for a, u in zip(closed.in_avals, in_unknowns) if not u]
    known = trace_to_closed_jaxpr(known_fun, known_avals, "partial_eval")
    return known, split["unknown"], split["out_unknowns"], split["num_res"]
