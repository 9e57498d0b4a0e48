"""What the control-flow primitives share: tracing user functions into closed jaxprs,
small surgery on those jaxprs, and running them eagerly.

A traced function's closure constants (concrete arrays and tracers of enclosing
transforms alike) become explicit leading operands of the primitive, so every outer
transform sees them flow in and the held jaxprs never capture a value.
"""
from __future__ import annotations

from fx import dtypes, tree_util
from fx.core import ShapedArray, Tracer, get_aval, is_array_like
from fx.ir.jaxpr import ClosedJaxpr, Jaxpr, Literal, Var, jaxpr_as_fun
from fx.ir.passes import dce
from fx.transforms.staging import (convert_constvars_to_invars, trace_to_closed_jaxpr,
                                   trace_to_jaxpr)
from fx.argcheck import describe


def trace_callable(fun, args, description):
    """Trace `fun(*args)` over the leaves of `args`.

    Returns (closed jaxpr taking the closure constants then the leaves, the constants,
    the output tree).
    """
    leaves, in_tree = tree_util.tree_flatten(args)
    out_trees = []

    def flat(*tracers):
        out = fun(*tree_util.tree_unflatten(in_tree, tracers))
        out_leaves, out_tree = tree_util.tree_flatten(out)
        for leaf in out_leaves:
            if not is_array_like(leaf):
                raise TypeError(f"{description} must return arrays or Python numbers, got "
                                f"{describe(leaf)}")
        out_trees.append(out_tree)
        return out_leaves

    jaxpr, consts = trace_to_jaxpr(flat, [leaf_aval(x, description) for x in leaves], description)
    return ClosedJaxpr(convert_constvars_to_invars(jaxpr), []), consts, out_trees[0]


def leaf_aval(x, where):
    """The aval of an operand leaf (avals stand for themselves: the slices scan traces)."""
    if isinstance(x, ShapedArray):
        return x
    try:
        return get_aval(x)
    except TypeError:
        raise TypeError(f"{where}: expected arrays or Python numbers as operands, got "
                        f"{describe(x)}") from None


def scalar_operand(x, where, name, kinds, expected):
    """x as an fx operand that is a scalar whose dtype kind is in `kinds`, else a TypeError
    naming `where` and `name` (`expected` says what is allowed, in words)."""
    from fx import lax
    if not is_array_like(x):
        raise TypeError(f"{where}: {name} must be {expected}, got {describe(x)}")
    x = lax._as_operand(x)
    aval = get_aval(x)
    if aval.shape != () or aval.dtype.kind not in kinds:
        raise TypeError(f"{where}: {name} must be {expected}, got {aval.str_short()}")
    return x


def type_mismatch(a, b):
    """Why two avals differ ('' when they agree up to weak types)."""
    if a.shape != b.shape:
        return "the shapes do not match"
    if a.dtype != b.dtype:
        return "the dtypes do not match"
    return ""


def check_types(what, first_name, first, second_name, second):
    """TypeError naming the first pair of leaves whose shape or dtype differ."""
    for i, (a, b) in enumerate(zip(first, second)):
        why = type_mismatch(a, b)
        if why:
            raise TypeError(f"{what}: {first_name} has type {a.str_short()} at leaf {i} but "
                            f"{second_name} has type {b.str_short()} there, so {why}.")


def check_trees(what, first_name, first, second_name, second):
    if first != second:
        raise TypeError(f"{what}: {first_name} has tree structure {first} but {second_name} "
                        f"has {second}; they must have the same pytree structure.")


def weak_to_match(x, aval):
    """x converted to `aval`'s dtype and weak type (weakly typed values give way)."""
    from fx import lax
    xa = get_aval(x)
    if xa.dtype == aval.dtype and xa.weak_type == aval.weak_type:
        return x
    return lax._convert_weak(x, aval.dtype, aval.weak_type)


def promote_weak_carry(init_leaves, out_avals):
    """JAX's rule for a weakly typed loop carry whose body changes its type: the initial
    value takes the body output's type. Returns (new leaves, whether any changed)."""
    new = [weak_to_match(x, o) if get_aval(x).weak_type and
           (get_aval(x).dtype != o.dtype or not o.weak_type) and get_aval(x).shape == o.shape else x
           for x, o in zip(init_leaves, out_avals)]
    return new, any(n is not x for n, x in zip(new, init_leaves))


def is_concrete(x):
    return not isinstance(x, Tracer) or (x._trace.alive and x.to_concrete_value() is not None)


def floating(aval):
    return dtypes.is_floating(aval.dtype)


def any_of(flag_lists):
    """Elementwise `or` of equally long sequences of flags, as a tuple."""
    return tuple(map(any, zip(*flag_lists)))


def split(seq, *sizes):
    """seq cut into consecutive pieces of the given sizes, then the rest."""
    seq, out = list(seq), []
    for n in sizes:
        out.append(seq[:n])
        seq = seq[n:]
    return out + [seq]


# ---------------------------------------------------------------------------- jaxpr surgery

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


def retrace(fun, in_avals, description):
    """A closed jaxpr of `fun(*tracers) -> list` (fun typically evaluates other jaxprs)."""
    return trace_to_closed_jaxpr(fun, list(in_avals), description)


def call(closed: ClosedJaxpr, *args):
    """Evaluate a held jaxpr on the current trace (inlining it into whatever is traced)."""
    return jaxpr_as_fun(closed)(*args)


def interpret(closed: ClosedJaxpr):
    """The reference interpreter's executable for a held jaxpr: eager impls run with it."""
    from fx.transforms.jit import compiled
    return compiled(closed, "interpreter")
