"""The reference backend: runs a jaxpr equation by equation with each primitive's NumPy impl.

It is the oracle the compiled backends are tested against, so it stays simple: no
fusion, no buffer reuse, just the impls applied in order.
"""
from __future__ import annotations

import numpy as np

from fx.backends.base import HostBackend
from fx.ir.jaxpr import ClosedJaxpr, Literal


class Backend(HostBackend):
    name = "interpreter"

    def compile(self, closed: ClosedJaxpr):
        jaxpr = closed.jaxpr
        consts = [np.asarray(c) for c in closed.consts]

        def run(*args):
            env = dict(zip(jaxpr.constvars, consts))
            env.update(zip(jaxpr.invars, args))
            for eqn in jaxpr.eqns:
                invals = [v.val if type(v) is Literal else env[v] for v in eqn.invars]
                out = eqn.prim.impl(*invals, **eqn.params)
                outs = out if eqn.prim.multiple_results else [out]
                for v, o in zip(eqn.outvars, outs):
                    env[v] = np.asarray(o, dtype=v.aval.dtype)
            return [v.val if type(v) is Literal else env[v] for v in jaxpr.outvars]
        return run
