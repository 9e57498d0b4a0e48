"""The jaxpr: fx's typed, first-order, SSA intermediate representation.

A `Jaxpr` lists equations `outvars = primitive[params] invars` between typed input and
output variables; a `ClosedJaxpr` pairs one with the values of its constant variables.
Variables are compared by identity; names are given only when printing.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fx import source_info
from fx.core import ShapedArray, deep_recursion


class Var:
    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self):
        return f"Var({self.aval.str_short()})"


class Literal:
    """A scalar constant written inline in the jaxpr."""
    __slots__ = ("val", "aval")

    def __init__(self, val, aval: ShapedArray):
        self.val = np.asarray(val, aval.dtype)
        self.aval = aval

    def __repr__(self):
        return f"Literal({self.val.item()!r})"


class Eqn(NamedTuple):
    prim: object
    invars: list
    outvars: list
    params: dict
    source_info: object = None   # fx.source_info.SourceInfo: the user's line that staged it

    @property
    def primitive(self):
        """JAX's name for `prim`, for jaxpr-walking code written against JAX."""
        return self.prim


class Jaxpr:
    __slots__ = ("constvars", "invars", "outvars", "eqns", "effects")

    def __init__(self, constvars, invars, outvars, eqns):
        self.constvars, self.invars = list(constvars), list(invars)
        self.outvars, self.eqns = list(outvars), list(eqns)
        self.effects = None  # whether an equation has effects, once fx/ir/passes.py asks

    def __str__(self):
        return pp_jaxpr(self)

    __repr__ = __str__

    def pretty_print(self, *, source_info=False, **_):
        """The text of the jaxpr (JAX's pretty_print); `source_info=True` adds each
        equation's source line."""
        return pp_jaxpr(self, source_info)


class ClosedJaxpr:
    """A jaxpr with its constants. Hashed by identity: transforms cache on it."""
    __slots__ = ("jaxpr", "consts", "__weakref__")

    def __init__(self, jaxpr: Jaxpr, consts):
        assert len(consts) == len(jaxpr.constvars)
        self.jaxpr, self.consts = jaxpr, list(consts)

    @property
    def in_avals(self):
        return [v.aval for v in self.jaxpr.invars]

    @property
    def out_avals(self):
        return [v.aval for v in self.jaxpr.outvars]

    @property
    def eqns(self):
        return self.jaxpr.eqns

    def __str__(self):
        return pp_jaxpr(self.jaxpr)

    __repr__ = __str__

    def pretty_print(self, *, source_info=False, **_):
        return self.jaxpr.pretty_print(source_info=source_info)

    def _repr_pretty_(self, p, cycle):  # IPython
        p.text(str(self))


# ---------------------------------------------------------------------------- evaluation

def eval_jaxpr(jaxpr: Jaxpr, consts, *args):
    """Evaluate by binding each equation's primitive on the current trace.

    This is what makes transforms of staged code work: jvp, vmap, ... of a jaxpr is just
    `eval_jaxpr` run under their trace.
    """
    env = {}
    for v, x in zip(jaxpr.constvars, consts):
        env[v] = x
    for v, x in zip(jaxpr.invars, args):
        env[v] = x

    def read(v):
        return v.val if type(v) is Literal else env[v]

    outer = source_info.at(None)
    try:
        for eqn in jaxpr.eqns:
            source_info.at(eqn.source_info or outer)  # what this stages comes from the same line
            out = eqn.prim.bind(*map(read, eqn.invars), **eqn.params)
            if eqn.prim.multiple_results:
                env.update(zip(eqn.outvars, out))
            else:
                env[eqn.outvars[0]] = out
    finally:
        source_info.restore(outer)
    return [read(v) for v in jaxpr.outvars]


def jaxpr_as_fun(closed: ClosedJaxpr):
    return lambda *args: eval_jaxpr(closed.jaxpr, closed.consts, *args)


# ---------------------------------------------------------------------------- printing

def _names():
    letters = "abcdefghijklmnopqrstuvwxyz"
    n = 0
    while True:
        name, k = "", n
        while True:
            name = letters[k % 26] + name
            k = k // 26 - 1
            if k < 0:
                break
        yield name
        n += 1


class _Printer:
    def __init__(self, source_info=False):
        self.names = {}
        self.fresh = _names()
        self.source_info = source_info

    def name(self, v):
        if type(v) is Literal:
            val = v.val.item()
            if isinstance(val, float) and abs(val) < 1e16 and val == int(val):
                text = f"{val:.1f}"
            else:
                text = repr(val)
            return f"{text}:{v.aval.str_short()}"
        if v not in self.names:
            self.names[v] = next(self.fresh)
        return self.names[v]

    def binder(self, v):
        return f"{self.name(v)}:{v.aval.str_short()}"

    # Each method returns the lines of its text: continuation lines carry their absolute
    # indentation, the first continues the caller's line. Lists, not joined strings, so
    # that printing deeply nested jaxprs copies each line a few times, not once per level.
    def param(self, value, indent):
        if isinstance(value, ClosedJaxpr):
            value = value.jaxpr
        if isinstance(value, Jaxpr):
            return self.jaxpr(value, indent)
        if isinstance(value, tuple) and value and all(
                isinstance(v, (Jaxpr, ClosedJaxpr)) for v in value):  # cond's branches
            lines = ["("]
            for v in value:
                lines += _continue(" " * (indent + 2), self.param(v, indent + 2))
            return lines + [" " * indent + ")"]
        if isinstance(value, np.dtype):
            return [value.name]
        if callable(value) and hasattr(value, "__name__"):
            return [value.__name__]
        return str(value).split("\n")

    def jaxpr(self, jaxpr, indent=0):
        head = (f"{{ lambda {' '.join(self.binder(v) for v in jaxpr.constvars)}; "
                f"{' '.join(self.binder(v) for v in jaxpr.invars)}. let")
        eqns = [self.eqn(eqn, indent) for eqn in jaxpr.eqns]
        outs = ", ".join(self.name(v) for v in jaxpr.outvars)
        tail = f"in ({outs}{',' if len(jaxpr.outvars) == 1 else ''}) }}"
        if all(len(e) == 1 for e in eqns) and sum(len(e[0]) + 2 for e in eqns) + indent <= 80:
            one_line = " ".join([head, "; ".join(e[0] for e in eqns), tail]) if eqns else f"{head} {tail}"
            if len(one_line) + indent <= 80:
                return [one_line]
        lines = [head]
        for e in eqns:
            lines += _continue(" " * (indent + 4), e)
        return lines + [" " * (indent + 2) + tail]

    def eqn(self, eqn, indent):
        lhs = " ".join(self.binder(v) for v in eqn.outvars)
        lines = [f"{lhs} = {eqn.prim.name}"]
        if any(v is not None for v in eqn.params.values()):
            items = [_continue(f"{k}=", self.param(v, indent + 6))
                     for k, v in sorted(eqn.params.items()) if v is not None]
            joined = " ".join(item[0] for item in items)
            if all(len(item) == 1 for item in items) and len(joined) < 60:
                lines[0] += f"[{joined}]"
            else:
                lines[0] += "["
                for item in items:
                    lines += _continue(" " * (indent + 6), item)
                lines.append(" " * (indent + 4) + "]")
        rhs = " ".join(self.name(v) for v in eqn.invars)
        lines[-1] = f"{lines[-1]} {rhs}".rstrip()
        if self.source_info and eqn.source_info is not None:
            lines[-1] += f"  # {eqn.source_info}"
        return lines


def _continue(prefix, lines):
    """`lines` with `prefix` before the first (which continues a line), in a new list."""
    return [prefix + lines[0], *lines[1:]]


def pp_jaxpr(jaxpr: Jaxpr, source_info=False) -> str:
    """The jaxpr's text; with `source_info`, each equation ends with a comment naming
    the user's line that staged it."""
    with deep_recursion("print a jaxpr"):  # one level per nested jaxpr (jit, control flow)
        return "\n".join(_Printer(source_info).jaxpr(jaxpr))
