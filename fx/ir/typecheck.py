"""The jaxpr type checker: the tests run it on every jaxpr a transform produces.

It checks that every variable is defined once before it is read, that each equation's
output types are what its primitive's abstract evaluation says for its input types, and
checks the jaxprs that equations hold (jit, control flow) too.
"""
from __future__ import annotations

from fx.errors import JaxprTypeError  # noqa: F401  (re-exported: the checker's error)
from fx.ir.jaxpr import ClosedJaxpr, Jaxpr, Literal


def _same_type(a, b):
    return a.shape == b.shape and a.dtype == b.dtype


def check_jaxpr(jaxpr: Jaxpr | ClosedJaxpr):
    """Check a jaxpr and every jaxpr inside it (a worklist: no recursion per level)."""
    pending = [jaxpr]
    while pending:
        pending += _check_one(pending.pop())


def _check_one(jaxpr):
    """Check one jaxpr's own equations; returns the jaxprs its equations hold."""
    if isinstance(jaxpr, ClosedJaxpr):
        for v, c in zip(jaxpr.jaxpr.constvars, jaxpr.consts):
            if tuple(c.shape) != v.aval.shape:
                raise JaxprTypeError(f"constant of shape {c.shape} bound to {v.aval.str_short()}")
        jaxpr = jaxpr.jaxpr
    defined, inner = set(), []

    def define(v, where):
        if v in defined:
            raise JaxprTypeError(f"variable {v} defined twice ({where})")
        defined.add(v)

    def read(v, where):
        if type(v) is Literal:
            return v.aval
        if v not in defined:
            raise JaxprTypeError(f"variable {v} read before it is defined ({where})")
        return v.aval

    for v in jaxpr.constvars + jaxpr.invars:
        define(v, "inputs")
    for i, eqn in enumerate(jaxpr.eqns):
        where = f"equation {i}: {eqn.prim.name}"
        in_avals = [read(v, where) for v in eqn.invars]
        out_avals = eqn.prim.rule("abstract_eval")(*in_avals, **eqn.params)
        if not eqn.prim.multiple_results:
            out_avals = [out_avals]
        if len(out_avals) != len(eqn.outvars) or not all(
                _same_type(a, v.aval) for a, v in zip(out_avals, eqn.outvars)):
            raise JaxprTypeError(f"{where}: outputs typed {[v.aval.str_short() for v in eqn.outvars]}"
                                 f" but the rule gives {[a.str_short() for a in out_avals]}")
        for p in eqn.params.values():
            for sub in (p if isinstance(p, tuple) else (p,)):  # cond holds a tuple of branches
                if isinstance(sub, (Jaxpr, ClosedJaxpr)):
                    inner.append(sub)
        for v in eqn.outvars:
            define(v, where)
    for v in jaxpr.outvars:
        read(v, "outputs")
    return inner
