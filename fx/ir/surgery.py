"""Small edits of closed jaxprs that higher-order primitives make to the jaxprs they hold:
reorder, pad or drop inputs, keep some outputs. Each returns a new ClosedJaxpr sharing
the equations of the old one."""
from __future__ import annotations

from fx.ir.jaxpr import ClosedJaxpr, Jaxpr, Literal, Var
from fx.ir.passes import dce


def permute(closed: ClosedJaxpr, in_order=None, out_order=None) -> ClosedJaxpr:
    """The same jaxpr taking its inputs (returning its outputs) in the given index order."""
    j = closed.jaxpr
    invars = j.invars if in_order is None else [j.invars[i] for i in in_order]
    outvars = j.outvars if out_order is None else [j.outvars[i] for i in out_order]
    return ClosedJaxpr(Jaxpr(j.constvars, invars, outvars, j.eqns), closed.consts)


def pad_inputs(closed: ClosedJaxpr, before=(), after=()) -> ClosedJaxpr:
    """The jaxpr with extra unused inputs of the given avals before and after its own."""
    j = closed.jaxpr
    invars = [Var(a) for a in before] + j.invars + [Var(a) for a in after]
    return ClosedJaxpr(Jaxpr(j.constvars, invars, j.outvars, j.eqns), closed.consts)


def select_outputs(closed: ClosedJaxpr, keep) -> ClosedJaxpr:
    """Only the outputs at the indices `keep`, with what they no longer need removed."""
    j = closed.jaxpr
    return dce(ClosedJaxpr(Jaxpr(j.constvars, j.invars, [j.outvars[i] for i in keep], j.eqns),
                           closed.consts))


def used_inputs(jaxpr: Jaxpr):
    """Flags: which inputs the equations or outputs read."""
    read = {v for e in jaxpr.eqns for v in e.invars if type(v) is not Literal}
    read.update(v for v in jaxpr.outvars if type(v) is not Literal)
    return [v in read for v in jaxpr.invars]


def drop_inputs(closed: ClosedJaxpr, keep) -> ClosedJaxpr:
    """The jaxpr without the inputs not flagged in `keep` (which it must not read)."""
    j = closed.jaxpr
    return ClosedJaxpr(Jaxpr(j.constvars, [v for v, k in zip(j.invars, keep) if k], j.outvars,
                             j.eqns), closed.consts)
