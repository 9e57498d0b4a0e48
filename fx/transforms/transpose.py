"""Reverse mode: transpose a linear jaxpr, and vjp = linearize then transpose.

`backward_pass` walks the equations of a jaxpr backwards, handing each linear
primitive the cotangent of its output; its transpose rule returns the cotangents of
its linear inputs (`UndefinedPrimal`s). Values known in the forward direction (the
residuals) are read as they are.
"""
from __future__ import annotations

import functools

from fx import source_info
from fx.core import UndefinedPrimal, Zero, tangent_aval
from fx.ir.jaxpr import ClosedJaxpr, Literal
from fx.transforms.jvp import add_tangents, instantiate
from fx.transforms.partial_eval import linearize_flat
from fx.transforms.staging import trace_to_closed_jaxpr


def backward_pass(jaxpr, consts, args, cts_out):
    """Cotangents of the jaxpr's inputs marked `UndefinedPrimal` in `args` (else None)."""
    primal_env = dict(zip(jaxpr.constvars, consts))
    primal_env.update((v, x) for v, x in zip(jaxpr.invars, args)
                      if not isinstance(x, UndefinedPrimal))

    def is_known(v):
        return type(v) is Literal or v in primal_env

    def read_primal(v):
        return v.val if type(v) is Literal else primal_env[v]

    # Equations that read only known values are not linear: evaluate them forwards.
    linear_eqns = []
    outer = source_info.at(None)
    try:
        for eqn in jaxpr.eqns:
            if all(map(is_known, eqn.invars)):
                source_info.at(eqn.source_info or outer)
                out = eqn.prim.bind(*map(read_primal, eqn.invars), **eqn.params)
                primal_env.update(zip(eqn.outvars, out if eqn.prim.multiple_results else [out]))
            else:
                linear_eqns.append(eqn)
        cts_in = _transpose_eqns(linear_eqns, jaxpr, args, cts_out, is_known, read_primal, outer)
    finally:
        source_info.restore(outer)
    return cts_in


def _transpose_eqns(linear_eqns, jaxpr, args, cts_out, is_known, read_primal, outer):
    """The cotangents of the inputs, from the linear equations walked backwards (what
    each stages points to its equation's line, marked as a transpose)."""
    ct_env = {}

    def write_ct(v, ct):
        if ct is not None and type(ct) is not Zero and type(v) is not Literal and not is_known(v):
            ct_env[v] = add_tangents(ct_env[v], ct) if v in ct_env else ct

    for v, ct in zip(jaxpr.outvars, cts_out):
        write_ct(v, ct)
    for eqn in reversed(linear_eqns):
        cts = [_pop_ct(ct_env, v) for v in eqn.outvars]
        if all(type(ct) is Zero for ct in cts):
            continue
        invals = [read_primal(v) if is_known(v) else UndefinedPrimal(v.aval) for v in eqn.invars]
        source_info.at(eqn.source_info.transposed() if eqn.source_info is not None else outer)
        rule = eqn.prim.rule("transpose")
        cts_in = rule(cts if eqn.prim.multiple_results else cts[0], *invals, **eqn.params)
        for v, ct in zip(eqn.invars, cts_in):
            write_ct(v, ct)
    return [_pop_ct(ct_env, v) if isinstance(x, UndefinedPrimal) else None
            for v, x in zip(jaxpr.invars, args)]


def _pop_ct(ct_env, v):
    ct = ct_env.pop(v, None)
    return Zero(tangent_aval(v.aval)) if ct is None else ct


def vjp_flat(fun, primals, description="vjp"):
    """(primal outputs, a function from output cotangents to input cotangents)."""
    primals_out, jaxpr, residuals = linearize_flat(fun, primals, description)

    def pullback(cts):
        undefined = [UndefinedPrimal(v.aval) for v in jaxpr.invars]
        return [instantiate(ct) for ct in backward_pass(jaxpr, residuals, undefined, cts)]
    return primals_out, pullback


@functools.lru_cache(maxsize=4096)
def transpose_jaxpr(closed: ClosedJaxpr, linear: tuple) -> ClosedJaxpr:
    """The jaxpr mapping (non-linear inputs, output cotangents) to the linear inputs'
    cotangents. Used by primitives that hold jaxprs (jit, control flow)."""
    in_avals = closed.in_avals
    n_nonlinear = linear.count(False)

    def fun(*args):
        nonlinear = iter(args[:n_nonlinear])
        full = [UndefinedPrimal(a) if lin else next(nonlinear) for a, lin in zip(in_avals, linear)]
        cts_in = backward_pass(closed.jaxpr, closed.consts, full, list(args[n_nonlinear:]))
        return [instantiate(ct) for ct, lin in zip(cts_in, linear) if lin]

    avals = ([a for a, lin in zip(in_avals, linear) if not lin]
             + [tangent_aval(a) for a in closed.out_avals])
    return trace_to_closed_jaxpr(fun, avals, "transpose")
