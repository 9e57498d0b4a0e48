"""while_loop and fori_loop: the `while` primitive runs its body jaxpr while its cond
jaxpr says so.

Operands: cond_fun's closure constants, body_fun's, then the carry. Rules:

- JVP: the carry gains tangents for the components whose tangent can be nonzero, found
  by iterating to a fixpoint (a zero tangent may become nonzero after one iteration);
- vmap: the batched components are found the same way; a batched predicate makes every
  component batched, the loop runs while any lane runs, and finished lanes keep their
  values (a select per iteration);
- partial eval: a known loop computes the known carry; the unknown part stages the whole
  loop (so linearize and jvp-of-jvp work), but it has no transpose: reverse mode needs
  the trip count ahead of time, which scan and fori_loop with static bounds provide.
"""
from __future__ import annotations

import numpy as np

from fx import tree_util
from fx.argcheck import check_callable
from fx.core import Primitive, Zero, get_aval, set_current_trace, tangent_aval
from fx.lax.control_flow.common import check_trees, floating, is_concrete, promote_weak_carry, scalar_operand
from fx.ir.surgery import drop_inputs, permute, pad_inputs, select_outputs, used_inputs
from fx.transforms.call import call, check_types, interpret, retrace, split, trace_callable
from fx.transforms.batching import axis_size_of, batch_jaxpr, bdim_at_front, moveaxis
from fx.transforms.jvp import instantiate, jvp_jaxpr
from fx.transforms.partial_eval import partial_eval_jaxpr

while_p = Primitive("while", multiple_results=True)


def while_loop(cond_fun, body_fun, init_val):
    """Run `val = body_fun(val)` while `cond_fun(val)`; return val (JAX's lax.while_loop).

    Not reverse-differentiable (the trip count is only known at run time): use scan, or
    fori_loop with static bounds, for that.
    """
    for name, fun in (("cond_fun", cond_fun), ("body_fun", body_fun)):
        check_callable(fun, f"while_loop: {name}")
    leaves, tree = tree_util.tree_flatten(init_val)
    while True:
        init_val = tree_util.tree_unflatten(tree, leaves)
        body, body_consts, out_tree = trace_callable(body_fun, (init_val,), "while_loop body_fun")
        check_trees("while_loop body_fun", "the carry input", tree, "the carry output", out_tree)
        out_avals = body.out_avals
        leaves, changed = promote_weak_carry(leaves, out_avals)
        if not changed:
            break
    check_types("while_loop body_fun carry input and output must have equal types", "the input",
                [get_aval(x) for x in leaves], "the output", out_avals)
    cond, cond_consts, _ = trace_callable(cond_fun, (init_val,), "while_loop cond_fun")
    pred = cond.out_avals
    if len(pred) != 1 or pred[0].shape != () or pred[0].dtype != np.bool_:
        raise TypeError(f"while_loop: cond_fun must return a boolean scalar, got "
                        f"{[a.str_short() for a in pred]}")
    outs = while_p.bind(*cond_consts, *body_consts, *leaves, cond_jaxpr=cond, body_jaxpr=body,
                        cond_nconsts=len(cond_consts), body_nconsts=len(body_consts))
    return tree_util.tree_unflatten(tree, outs)


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """`val = body_fun(i, val)` for i in [lower, upper) (JAX's lax.fori_loop).

    With concrete bounds it is a scan (so reverse mode works); with traced bounds a
    while_loop.
    """
    from fx import lax
    from fx.lax.control_flow.scan import scan
    check_callable(body_fun, "fori_loop: body_fun")
    lower, upper = (scalar_operand(b, "fori_loop", name, "iu", "an integer scalar")
                    for b, name in ((lower, "lower"), (upper, "upper")))
    lo, hi = get_aval(lower), get_aval(upper)
    if lo.dtype != hi.dtype:  # a Python int gives way to the other bound's dtype
        if lo.weak_type:
            lower = lax._convert_weak(lower, hi.dtype, hi.weak_type)
        elif hi.weak_type:
            upper = lax._convert_weak(upper, lo.dtype, lo.weak_type)
        else:
            raise TypeError(f"fori_loop: lower and upper must have equal dtypes, got "
                            f"{lo.dtype.name} and {hi.dtype.name}")
    if is_concrete(lower) and is_concrete(upper):
        length = max(int(upper) - int(lower), 0)

        def step(carry, _):
            i, val = carry
            return (i + 1, body_fun(i, val)), None
        (_, val), _ = scan(step, (lower, init_val), None, length=length,
                           unroll=1 if unroll is None else unroll)
        return val

    def body(carry):
        i, stop, val = carry
        return i + 1, stop, body_fun(i, val)
    return while_loop(lambda carry: carry[0] < carry[1], body, (lower, upper, init_val))[2]


# ---------------------------------------------------------------------------- rules

def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cconsts, bconsts, carry = split(args, cond_nconsts, body_nconsts)
    cond, body = interpret(cond_jaxpr), interpret(body_jaxpr)
    while cond(*cconsts, *carry)[0]:
        carry = body(*bconsts, *carry)
    return carry


def _while_abstract_eval(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cconsts, bconsts, carry = split(avals, cond_nconsts, body_nconsts)
    check_types("while operands", "the operands", cconsts + carry, "cond_jaxpr's inputs",
                cond_jaxpr.in_avals)
    check_types("while operands", "the operands", bconsts + carry, "body_jaxpr's inputs",
                body_jaxpr.in_avals)
    check_types("while body", "the carry", carry, "the body's output", body_jaxpr.out_avals)
    if len(carry) != len(body_jaxpr.out_avals):
        raise TypeError(f"while: {len(carry)} carry operands, the body returns "
                        f"{len(body_jaxpr.out_avals)}")
    return body_jaxpr.out_avals


def _fixpoint(flags, step):
    """Grow `flags` (a list of bools) by `step(flags)` until it stops changing."""
    while True:
        new = [a or b for a, b in zip(flags, step(flags))]
        if new == flags:
            return flags
        flags = new


def _while_jvp(primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    nz = [type(t) is not Zero for t in tangents]
    _, bconst_nz, carry_nz = split(nz, cond_nconsts, body_nconsts)
    carry_avals = body_jaxpr.out_avals
    carry_nz = [n and floating(a) for n, a in zip(carry_nz, carry_avals)]
    carry_nz = _fixpoint(carry_nz, lambda c: jvp_jaxpr(body_jaxpr, tuple(bconst_nz + c))[1])
    body_jvp, _ = jvp_jaxpr(body_jaxpr, tuple(bconst_nz + carry_nz), tuple(carry_nz))
    nb, nc, nbd = body_nconsts, len(carry_nz), bconst_nz.count(True)
    # inputs (consts, carry, const tangents, carry tangents) -> (consts, const tangents, carry, ...)
    order = [*range(nb), *range(nb + nc, nb + nc + nbd), *range(nb, nb + nc),
             *range(nb + nc + nbd, len(body_jvp.in_avals))]
    body_jvp = permute(body_jvp, order)
    tangent_avals = [tangent_aval(a) for a, n in zip(carry_avals, carry_nz) if n]
    cond_jvp = pad_inputs(cond_jaxpr, after=tangent_avals)
    cconsts, bconsts, carry = split(primals, cond_nconsts, body_nconsts)
    _, bconst_t, carry_t = split(tangents, cond_nconsts, body_nconsts)
    outs = while_p.bind(*cconsts, *bconsts, *(t for t in bconst_t if type(t) is not Zero), *carry,
                        *(instantiate(t) for t, n in zip(carry_t, carry_nz) if n),
                        cond_jaxpr=cond_jvp, body_jaxpr=body_jvp, cond_nconsts=cond_nconsts,
                        body_nconsts=nb + nbd)
    out_t = iter(outs[nc:])
    return outs[:nc], [next(out_t) if n else Zero(tangent_aval(a))
                       for n, a in zip(carry_nz, carry_avals)]


def _while_batch(args, dims, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    from fx import lax
    size = axis_size_of(args, dims)
    args = [x if d is None else moveaxis(x, d, 0) for x, d in zip(args, dims)]
    cc_b, bc_b, carry_b = split([d is not None for d in dims], cond_nconsts, body_nconsts)
    carry_b = _fixpoint(carry_b, lambda c: batch_jaxpr(body_jaxpr, size, tuple(bc_b + c))[1])
    pred_batched = batch_jaxpr(cond_jaxpr, size, tuple(cc_b + carry_b))[1][0]
    if pred_batched:
        carry_b = [True] * len(carry_b)
    cconsts, bconsts, carry = split(args, cond_nconsts, body_nconsts)
    carry_dims = split(dims, cond_nconsts + body_nconsts)[1]
    carry = [bdim_at_front(x, None, size) if b and d is None else x
             for x, b, d in zip(carry, carry_b, carry_dims)]
    body_b = batch_jaxpr(body_jaxpr, size, tuple(bc_b + carry_b), tuple(carry_b))[0]
    cond_b = batch_jaxpr(cond_jaxpr, size, tuple(cc_b + carry_b))[0]
    out_dims = [0 if b else None for b in carry_b]
    if not pred_batched:
        return while_p.bind(*cconsts, *bconsts, *carry, cond_jaxpr=cond_b, body_jaxpr=body_b,
                            cond_nconsts=cond_nconsts, body_nconsts=body_nconsts), out_dims
    # the loop runs while any lane runs; a finished lane keeps its carry
    nc = len(cconsts)

    def any_lane(*a):
        pred = lax.convert_element_type(call(cond_b, *a)[0], np.int32)
        return [lax.gt(lax.reduce_max(pred, (0,)), np.int32(0))]

    def masked_body(*a):
        cc, bc, c = split(a, nc, body_nconsts)
        pred = call(cond_b, *cc, *c)[0]
        new = call(body_b, *bc, *c)
        return [lax.select_n(lax.broadcast_in_dim(pred, get_aval(n).shape, (0,)), old, n)
                for old, n in zip(c, new)]

    carry_avals = [get_aval(x) for x in carry]
    cond_any = retrace(any_lane, cond_b.in_avals, "vmap of while_loop")
    body_masked = retrace(masked_body, cond_b.in_avals[:nc] + body_b.in_avals[:body_nconsts]
                          + carry_avals, "vmap of while_loop")
    return while_p.bind(*cconsts, *cconsts, *bconsts, *carry, cond_jaxpr=cond_any,
                        body_jaxpr=body_masked, cond_nconsts=nc,
                        body_nconsts=nc + body_nconsts), out_dims


def _while_partial_eval(trace, args, params):
    cond_jaxpr, body_jaxpr = params["cond_jaxpr"], params["body_jaxpr"]
    nc, nb = params["cond_nconsts"], params["body_nconsts"]
    cc_uk, bc_uk, carry_uk = split([trace.is_own(x) for x in args], nc, nb)
    carry_uk = _fixpoint(carry_uk, lambda c: partial_eval_jaxpr(body_jaxpr, tuple(bc_uk + c))[2])
    cond_reads = used_inputs(cond_jaxpr.jaxpr)
    if any(cc_uk) or any(r and u for r, u in zip(cond_reads[nc:], carry_uk)):
        return trace.stage(while_p, args, params)  # the trip count itself is unknown
    # the known carry on its own loop; the unknown part recomputes the whole loop
    known_in = [not u for u in bc_uk + carry_uk]
    known = partial_eval_jaxpr(body_jaxpr, tuple(bc_uk + carry_uk), tuple(carry_uk))[0]
    known_body = select_outputs(known, range(carry_uk.count(False)))
    known_cond = drop_inputs(cond_jaxpr, [True] * nc + [not u for u in carry_uk])
    cconsts, bconsts, carry = split(args, nc, nb)
    with set_current_trace(trace.parent):
        known_outs = iter(while_p.bind(
            *cconsts, *(x for x, k in zip(bconsts + carry, known_in) if k),
            cond_jaxpr=known_cond, body_jaxpr=known_body, cond_nconsts=nc,
            body_nconsts=bc_uk.count(False)))
    staged = trace.stage(while_p, args, params)
    return [s if u else next(known_outs) for s, u in zip(staged, carry_uk)]


def _while_transpose(cts, *args, **params):
    raise ValueError(
        "Reverse-mode differentiation does not work for lax.while_loop, or for fori_loop with "
        "traced bounds: the number of iterations is only known at run time. Use lax.scan, "
        "or fori_loop with concrete (Python int) lower and upper bounds.")


while_p.impl = _while_impl
while_p.abstract_eval = _while_abstract_eval
while_p.jvp = _while_jvp
while_p.batch = _while_batch
while_p.partial_eval = _while_partial_eval
while_p.transpose = _while_transpose
def _while_lower(ctx, *args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    """A native loop over carry buffers, leaving when cond's bool buffer says so."""
    from fx.ir import kernels as K
    from fx.ir.lower import BufferValue, lower_eqns
    cconsts, bconsts, init = ([ctx.materialize_if_expensive(v) for v in part]  # not per iteration
                              for part in split(args, cond_nconsts, body_nconsts))
    carries = [BufferValue(b) for b in ctx.carries(init)]
    pred = ctx.new_buffer((), np.bool_)
    with ctx.block() as test:
        ctx.store_all(lower_eqns(ctx, cond_jaxpr, cconsts + carries), [pred])
    with ctx.block() as body:
        ctx.update_carries([c.buffer for c in carries], lower_eqns(ctx, body_jaxpr, bconsts + carries))
    ctx.emit(K.Loop("", body, cond=test, pred=pred))
    return carries


while_p.lower = _while_lower
