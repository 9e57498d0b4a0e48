"""Programs the native compiler cannot take whole: equations of primitives with no
lowering (for now the control-flow primitives cond, while and scan, whose `lower` is
None) run with their interpreter impl, and every stretch of equations between them is
compiled natively as a program of its own.

So `jit` of a function with a loop inside is still one executable: native code up to
the loop, the loop run equation by equation with NumPy (its body through the reference
interpreter), native code after it. Values cross between the parts as NumPy arrays.
"""
from __future__ import annotations

import itertools

import numpy as np

from fx.ir.jaxpr import ClosedJaxpr, Jaxpr, Literal


def lowerable(eqn) -> bool:
    """Whether the kernel program can express this equation, nested jaxprs included."""
    if getattr(eqn.prim, "lower", None) is None:
        return False
    for p in eqn.params.values():
        for sub in (p if isinstance(p, tuple) else (p,)):
            if isinstance(sub, ClosedJaxpr) and not all(map(lowerable, sub.jaxpr.eqns)):
                return False
    return True


def compile_program(backend, closed: ClosedJaxpr):
    """backend.compile(closed), split around equations it cannot lower when there are any."""
    if backend.name == "interpreter" or all(map(lowerable, closed.jaxpr.eqns)):
        return backend.compile(closed)
    return SegmentedExecutable(backend, closed)


class SegmentedExecutable:
    def __init__(self, backend, closed: ClosedJaxpr):
        jaxpr = closed.jaxpr
        self.jaxpr, self.consts = jaxpr, [np.asarray(c) for c in closed.consts]
        groups = [(native, list(eqns)) for native, eqns in itertools.groupby(jaxpr.eqns, lowerable)]
        needed = {v for v in jaxpr.outvars if type(v) is not Literal}
        self.steps = []  # (native executable, its inputs, its outputs) or (None, eqn, None)
        for native, eqns in reversed(groups):
            reads = {v for e in eqns for v in e.invars if type(v) is not Literal}
            if native:
                defined = {v for e in eqns for v in e.outvars}
                outs = [v for e in eqns for v in e.outvars if v in needed]
                ins = list(dict.fromkeys(v for e in eqns for v in e.invars
                                         if type(v) is not Literal and v not in defined))
                if outs:
                    part = ClosedJaxpr(Jaxpr([], ins, outs, eqns), [])
                    self.steps.append((backend.compile(part), ins, outs))
            else:
                self.steps.extend((None, e, None) for e in reversed(eqns))
            needed |= reads
        self.steps.reverse()

    def __call__(self, *args):
        env = dict(zip(self.jaxpr.constvars, self.consts))
        env.update(zip(self.jaxpr.invars, args))

        def read(v):
            return v.val if type(v) is Literal else env[v]

        for exe, ins, outs in self.steps:
            if exe is not None:
                env.update(zip(outs, exe(*(read(v) for v in ins))))
                continue
            eqn = ins
            out = eqn.prim.impl(*map(read, eqn.invars), **eqn.params)
            for v, o in zip(eqn.outvars, out if eqn.prim.multiple_results else [out]):
                env[v] = np.asarray(o, v.aval.dtype)
        return [np.asarray(read(v)) for v in self.jaxpr.outvars]
