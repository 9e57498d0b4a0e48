"""Simple jaxpr-to-jaxpr passes run before compilation.

- inline_jit_calls: splice nested jit equations into their caller, so the compiler sees
  one flat program (and fuses across what were call boundaries);
- cse: one equation for identical (primitive, inputs, params);
- dce: drop equations whose outputs nobody reads.

Equations with effects (an effectful primitive such as a debug print, or a primitive
holding a jaxpr that has one) are never dropped or merged.
"""
from __future__ import annotations

from fx.ir.jaxpr import ClosedJaxpr, Eqn, Jaxpr, Literal, Var


def optimize(closed: ClosedJaxpr) -> ClosedJaxpr:
    return dce(cse(inline_jit_calls(closed)))


def inline_jit_calls(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Splice every jit equation, at any depth of nesting, into one flat jaxpr.

    Iterative (a stack with one entry per call being spliced), so a thousand nested jit
    calls need no Python recursion."""
    constvars, consts = list(closed.jaxpr.constvars), list(closed.consts)
    eqns, aliases = [], {}  # a call's output variable -> what its jaxpr returns

    def resolve(v):
        while type(v) is not Literal and v in aliases:
            v = aliases[v]
        return v

    def rename(env, v):  # env maps a spliced jaxpr's variables to the caller's (None: top)
        return v if env is None or type(v) is Literal else env[v]

    # (equations left, renaming, the call's output variables, its jaxpr's outputs)
    stack = [(iter(closed.jaxpr.eqns), None, (), ())]
    while stack:
        remaining, env, call_outs, inner_outs = stack[-1]
        eqn = next(remaining, None)
        if eqn is None:
            stack.pop()
            aliases.update(zip(call_outs, (rename(env, v) for v in inner_outs)))
            continue
        invars = [resolve(rename(env, v)) for v in eqn.invars]
        outvars = eqn.outvars
        if env is not None:
            outvars = [Var(v.aval) for v in eqn.outvars]
            env.update(zip(eqn.outvars, outvars))
        if eqn.prim.name != "jit":
            eqns.append(Eqn(eqn.prim, invars, outvars, eqn.params, eqn.source_info))
            continue
        inner = eqn.params["jaxpr"]
        inner_env = dict(zip(inner.jaxpr.invars, invars))
        for v, c in zip(inner.jaxpr.constvars, inner.consts):
            inner_env[v] = Var(v.aval)
            constvars.append(inner_env[v])
            consts.append(c)
        stack.append((iter(inner.jaxpr.eqns), inner_env, outvars, inner.jaxpr.outvars))
    jaxpr = closed.jaxpr
    return ClosedJaxpr(Jaxpr(constvars, jaxpr.invars, [resolve(v) for v in jaxpr.outvars], eqns),
                       consts)


def _param_key(params):
    try:
        key = tuple(sorted(params.items()))
        hash(key)
        return key
    except TypeError:
        return None


def cse(closed: ClosedJaxpr) -> ClosedJaxpr:
    seen, rename, eqns = {}, {}, []

    def read(v):
        return v if type(v) is Literal else rename.get(v, v)

    def in_key(v):
        return ("lit", v.val.item(), v.aval) if type(v) is Literal else v

    for eqn in closed.jaxpr.eqns:
        invars = [read(v) for v in eqn.invars]
        params = None if has_effects(eqn) else _param_key(eqn.params)
        key = None if params is None else (eqn.prim, tuple(map(in_key, invars)), params)
        if key is not None and key in seen:
            rename.update(zip(eqn.outvars, seen[key]))
            continue
        if key is not None:
            seen[key] = eqn.outvars
        eqns.append(Eqn(eqn.prim, invars, eqn.outvars, eqn.params, eqn.source_info))
    jaxpr = closed.jaxpr
    return ClosedJaxpr(Jaxpr(jaxpr.constvars, jaxpr.invars, [read(v) for v in jaxpr.outvars], eqns),
                       closed.consts)


def dce(closed: ClosedJaxpr) -> ClosedJaxpr:
    jaxpr = closed.jaxpr
    live = {v for v in jaxpr.outvars if type(v) is Var}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars) or has_effects(eqn):
            kept.append(eqn)
            live.update(v for v in eqn.invars if type(v) is Var)
    used = [(v, c) for v, c in zip(jaxpr.constvars, closed.consts) if v in live]
    return ClosedJaxpr(Jaxpr([v for v, _ in used], jaxpr.invars, jaxpr.outvars, kept[::-1]),
                       [c for _, c in used])


def has_effects(eqn) -> bool:
    """Whether running `eqn` does more than compute its outputs: an effectful primitive,
    or one holding a jaxpr (a loop body, a branch, a nested jit) that has such an equation."""
    if eqn.prim.effectful:
        return True
    return any(jaxpr_has_effects(j) for j in _held_jaxprs(eqn.params))


def jaxpr_has_effects(jaxpr) -> bool:
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)  # a ClosedJaxpr's
    if jaxpr.effects is None:  # (jaxprs are not changed once built)
        jaxpr.effects = any(has_effects(e) for e in jaxpr.eqns)
    return jaxpr.effects


def _held_jaxprs(params):
    for value in params.values():
        if isinstance(value, (ClosedJaxpr, Jaxpr)):
            yield value
        elif isinstance(value, (tuple, list)):
            yield from (v for v in value if isinstance(v, (ClosedJaxpr, Jaxpr)))
