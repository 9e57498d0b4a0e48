"""checkpoint (remat): trade computation for memory in reverse mode.

`checkpoint(f)` binds the `remat` primitive holding f's jaxpr. Evaluating, differentiating
forwards or batching it just transforms that jaxpr. The point is its partial evaluation
(what linearize, and so grad, does): the known part saves as residuals only the values
the policy allows, plus the known inputs; the unknown part, which runs in the backward
pass, recomputes everything else from them. Without checkpoint every intermediate the
derivative needs is a residual, kept alive from the forward to the backward pass.

A policy is `policy(prim, *in_avals, **params) -> bool`: may the output of this equation
be saved? (`checkpoint_policies` has JAX's common ones.)
"""
from __future__ import annotations

import functools
import types

from fx import tree_util
from fx.argcheck import check_callable, int_tuple, normalize_argnums
from fx.core import Primitive, set_current_trace
from fx.ir.jaxpr import ClosedJaxpr, Jaxpr, Literal
from fx.ir.passes import dce
from fx.ir.surgery import drop_inputs, used_inputs
from fx.transforms.arguments import merge_static, split_static
from fx.transforms.call import (call, check_operands, interpret, lower_inline, retrace, split,
                                trace_callable, transform_the_call)
from fx.transforms.partial_eval import partial_eval_jaxpr

remat_p = Primitive("remat", multiple_results=True)


def checkpoint(fun, *, prevent_cse=True, policy=None, static_argnums=()):
    """`fun`, recomputed in the backward pass instead of saving its intermediates
    (JAX's jax.checkpoint / jax.remat). `policy` names the intermediates worth saving
    anyway (see checkpoint_policies); static_argnums are passed through untraced."""
    check_callable(fun, "checkpoint: fun")
    name = getattr(fun, "__name__", "fun")
    where = f"checkpoint({name})"
    static = int_tuple(static_argnums, f"{where}: static_argnums", allow_int=True)
    if policy is not None:
        check_callable(policy, f"{where}: policy")

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        fixed, dyn = split_static(args, normalize_argnums(static, len(args),
                                                          f"{where}: static_argnums"))

        def call_fun(dyn_args, kw):
            return fun(*merge_static(fixed, dyn_args, len(args)), **kw)

        jaxpr, consts, out_tree = trace_callable(call_fun, (dyn, kwargs), f"checkpoint({name})")
        outs = remat_p.bind(*consts, *tree_util.tree_leaves((dyn, kwargs)), jaxpr=jaxpr,
                            prevent_cse=bool(prevent_cse), differentiated=False, policy=policy)
        return tree_util.tree_unflatten(out_tree, outs)
    return wrapped


remat = checkpoint


# ---------------------------------------------------------------------------- policies

def nothing_saveable(prim, *avals, **params):
    return False


def everything_saveable(prim, *avals, **params):
    return True


def dots_saveable(prim, *avals, **params):
    return prim.name == "dot_general"


def dots_with_no_batch_dims_saveable(prim, *avals, **params):
    if prim.name != "dot_general":
        return False
    (_, _), (lhs_batch, rhs_batch) = params["dimension_numbers"]
    return not lhs_batch and not rhs_batch


checkpoint_policies = types.SimpleNamespace(
    nothing_saveable=nothing_saveable, everything_saveable=everything_saveable,
    dots_saveable=dots_saveable, checkpoint_dots=dots_saveable,
    dots_with_no_batch_dims_saveable=dots_with_no_batch_dims_saveable,
    checkpoint_dots_with_no_batch_dims=dots_with_no_batch_dims_saveable)


# ---------------------------------------------------------------------------- rules

def _remat_impl(*args, jaxpr, **_):
    return interpret(jaxpr)(*args)


def _remat_partial_eval(trace, args, params):
    jaxpr, policy = params["jaxpr"], params["policy"] or nothing_saveable
    unknowns = tuple(trace.is_own(x) for x in args)
    known, unknown, out_uk, num_res = partial_eval_jaxpr(jaxpr, unknowns)
    n_known_outs = len(known.out_avals) - num_res
    saved, recompute = _split_residuals(known, num_res, policy)
    known_args = [x for x, u in zip(args, unknowns) if not u]
    kj = known.jaxpr
    known = dce(ClosedJaxpr(Jaxpr(kj.constvars, kj.invars, kj.outvars[:n_known_outs] + saved,
                                  kj.eqns), known.consts))
    with set_current_trace(trace.parent):
        known_outs = call(known, *known_args)
    saved_vals = known_outs[n_known_outs:]
    n_known, n_saved = len(known_args), len(saved)

    def staged(*a):  # recompute the unsaved residuals, then run the unknown part
        known_in, saved_in, unknown_in = split(a, n_known, n_saved)
        return call(unknown, *call(recompute, *known_in, *saved_in), *unknown_in)

    staged_jaxpr = retrace(staged, known.in_avals + known.out_avals[n_known_outs:]
                           + unknown.in_avals[num_res:], "checkpoint")
    keep = used_inputs(staged_jaxpr.jaxpr)
    operands = known_args + saved_vals + [x for x, u in zip(args, unknowns) if u]
    unknown_outs = iter(trace.stage(remat_p, [x for x, k in zip(operands, keep) if k],
                                    dict(params, jaxpr=drop_inputs(staged_jaxpr, keep),
                                         differentiated=True)))
    known_outs = iter(known_outs[:n_known_outs])
    return [next(unknown_outs) if u else next(known_outs) for u in out_uk]


def _split_residuals(known: ClosedJaxpr, num_res, policy):
    """(the values to save, a jaxpr recomputing every residual from the known inputs and
    the saved values). Walking back from the residuals: inputs, constants and literals
    are free to keep; an equation the policy allows is cut there, its output saved;
    any other is recomputed, and what it reads is needed in turn."""
    kj = known.jaxpr
    residuals = kj.outvars[len(kj.outvars) - num_res:]
    producer = {v: e for e in kj.eqns for v in e.outvars}
    saved, recomputed, seen = [], set(), set()
    needed = [v for v in residuals if type(v) is not Literal]
    while needed:
        v = needed.pop()
        if v in seen or v not in producer:
            continue
        seen.add(v)
        eqn = producer[v]
        if policy(eqn.prim, *(x.aval for x in eqn.invars), **eqn.params):
            saved.append(v)
        elif id(eqn) not in recomputed:
            recomputed.add(id(eqn))
            needed.extend(x for x in eqn.invars if type(x) is not Literal)
    eqns = [e for e in kj.eqns if id(e) in recomputed]
    recompute = Jaxpr(kj.constvars, kj.invars + saved, residuals, eqns)
    return saved, dce(ClosedJaxpr(recompute, known.consts))


remat_p.impl = _remat_impl
remat_p.abstract_eval = check_operands(lambda params: "checkpoint")
remat_p.partial_eval = _remat_partial_eval
remat_p.lower = lower_inline
transform_the_call(remat_p, lambda params: "checkpoint",  # vmap keeps the parameters
                   lambda params, how: params if how == "vmap" else dict(params, differentiated=True))
