"""Simple jaxpr-to-jaxpr passes run before compilation.

- inline_jit_calls: splice nested jit equations into their caller, so the compiler sees
  one flat program (and fuses across what were call boundaries);
- cse: one equation for identical (primitive, inputs, params);
- dce: drop equations whose outputs nobody reads (every primitive is pure).
"""
from __future__ import annotations

from fx.ir.jaxpr import ClosedJaxpr, Eqn, Jaxpr, Literal, Var


def optimize(closed: ClosedJaxpr) -> ClosedJaxpr:
    return dce(cse(inline_jit_calls(closed)))


def inline_jit_calls(closed: ClosedJaxpr) -> ClosedJaxpr:
    constvars, consts = list(closed.jaxpr.constvars), list(closed.consts)
    eqns = []

    def splice(inner: ClosedJaxpr, invars, outvars):
        env = dict(zip(inner.jaxpr.invars, invars))
        for v, c in zip(inner.jaxpr.constvars, inner.consts):
            env[v] = Var(v.aval)
            constvars.append(env[v])
            consts.append(c)

        def read(v):
            return v if type(v) is Literal else env[v]

        for eqn in inner.jaxpr.eqns:
            new_in = [read(v) for v in eqn.invars]
            new_out = [Var(v.aval) for v in eqn.outvars]
            env.update(zip(eqn.outvars, new_out))
            emit(Eqn(eqn.prim, new_in, new_out, eqn.params))
        # bind the call's outputs to what the inner jaxpr returns
        aliases.update(zip(outvars, (read(v) for v in inner.jaxpr.outvars)))

    aliases = {}

    def resolve(v):
        while type(v) is not Literal and v in aliases:
            v = aliases[v]
        return v

    def emit(eqn):
        invars = [resolve(v) for v in eqn.invars]
        if eqn.prim.name == "jit":
            splice(eqn.params["jaxpr"], invars, eqn.outvars)
        else:
            eqns.append(Eqn(eqn.prim, invars, eqn.outvars, eqn.params))

    for eqn in closed.jaxpr.eqns:
        emit(eqn)
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
        params = _param_key(eqn.params)
        key = None if params is None else (eqn.prim, tuple(map(in_key, invars)), params)
        if key is not None and key in seen:
            rename.update(zip(eqn.outvars, seen[key]))
            continue
        if key is not None:
            seen[key] = eqn.outvars
        eqns.append(Eqn(eqn.prim, invars, eqn.outvars, eqn.params))
    jaxpr = closed.jaxpr
    return ClosedJaxpr(Jaxpr(jaxpr.constvars, jaxpr.invars, [read(v) for v in jaxpr.outvars], eqns),
                       closed.consts)


def dce(closed: ClosedJaxpr) -> ClosedJaxpr:
    jaxpr = closed.jaxpr
    live = {v for v in jaxpr.outvars if type(v) is Var}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars):
            kept.append(eqn)
            live.update(v for v in eqn.invars if type(v) is Var)
    used = [(v, c) for v, c in zip(jaxpr.constvars, closed.consts) if v in live]
    return ClosedJaxpr(Jaxpr([v for v, _ in used], jaxpr.invars, jaxpr.outvars, kept[::-1]),
                       [c for _, c in used])
