"""cond and switch: the `cond` primitive picks one of its branch jaxprs by an int32 index.

Operands are the index, then every branch's closure constants, then the user's operands;
each branch takes them all (ignoring the other branches' constants), so all branches
have one signature and the transforms treat them uniformly:

- JVP: each branch's JVP jaxpr, with tangents for the union of their nonzero outputs;
- partial eval with a known index: a known cond computes the known outputs and the
  residuals of the branch taken (each branch fills the others' residuals with zeros);
  an unknown cond consumes them, and reads a residual that is a known operand directly.
  An unknown index stages the whole cond;
- transpose: a cond of the transposed branches;
- vmap: a batched index runs every branch and `select_n` picks each lane's result.
"""
from __future__ import annotations

import numpy as np

from fx import tree_util
from fx.argcheck import check_callable, describe
from fx.core import Primitive, UndefinedPrimal, Zero, get_aval, set_current_trace, tangent_aval
from fx.lax.control_flow.common import any_of, check_trees, scalar_operand, weak_to_match
from fx.ir.surgery import pad_inputs, permute, select_outputs
from fx.transforms.call import call, check_types, interpret, leaf_aval, retrace, split, trace_callable
from fx.transforms.batching import axis_size_of, batch_jaxpr, moveaxis
from fx.transforms.jvp import instantiate, jvp_jaxpr, zeros_like_aval
from fx.transforms.partial_eval import partial_eval_jaxpr
from fx.transforms.transpose import transpose_jaxpr

cond_p = Primitive("cond", multiple_results=True)


def cond(pred, true_fun, false_fun, *operands):
    """true_fun(*operands) if pred else false_fun(*operands), with only one branch run
    (JAX's lax.cond). pred is a scalar bool or number (nonzero is true)."""
    from fx import lax
    for name, fun in (("true_fun", true_fun), ("false_fun", false_fun)):
        check_callable(fun, f"cond: {name}")
    pred = scalar_operand(pred, "cond", "pred", "biuf", "a boolean or numeric scalar")
    if get_aval(pred).dtype != np.bool_:
        pred = lax.ne(pred, 0)
    index = lax.convert_element_type(pred, np.int32)
    return _bind_branches(index, [("false_fun", false_fun), ("true_fun", true_fun)], operands, "cond")


def switch(index, branches, *operands):
    """branches[index](*operands), index clamped to [0, len(branches) - 1] (JAX's lax.switch)."""
    from fx import lax
    if not isinstance(branches, (tuple, list)):
        raise TypeError(f"switch: branches must be a sequence of callables, got "
                        f"{describe(branches)}")
    if not branches:
        raise ValueError("switch: branches must be a non-empty sequence of callables")
    for i, fun in enumerate(branches):
        check_callable(fun, f"switch: branches[{i}]")
    index = scalar_operand(index, "switch", "index", "iu", "an integer scalar")
    if len(branches) == 1:
        return branches[0](*operands)
    index = lax.convert_element_type(index, np.int32)
    index = lax.max(lax.min(index, np.int32(len(branches) - 1)), np.int32(0))
    return _bind_branches(index, [(f"branches[{i}]", f) for i, f in enumerate(branches)],
                          operands, "switch")


def _bind_branches(index, named_funs, operands, what):
    leaves = tree_util.tree_leaves(operands)
    for x in leaves:
        leaf_aval(x, what)
    traced = [trace_callable(f, operands, f"{what} branch {name}") for name, f in named_funs]
    names = [name for name, _ in named_funs]
    for name, (jaxpr, _, tree) in zip(names[1:], traced[1:]):
        check_trees(f"{what} branch outputs", names[0], traced[0][2], name, tree)
        check_types(f"{what} branch outputs must have equal types", f"the output of {names[0]}",
                    traced[0][0].out_avals, f"the output of {name}", jaxpr.out_avals)
    # outputs weakly typed in some branches only are strong in all of them, as in JAX
    weak = [all(j.out_avals[i].weak_type for j, _, _ in traced)
            for i in range(len(traced[0][0].out_avals))]
    if any(a.weak_type != w for j, _, _ in traced for a, w in zip(j.out_avals, weak)):
        targets = [a.update(weak_type=w) for a, w in zip(traced[0][0].out_avals, weak)]
        traced = [_convert_outputs(j, targets, consts, tree) for j, consts, tree in traced]
    const_avals = [j.in_avals[:len(c)] for j, c, _ in traced]
    n_consts, n_ops = sum(map(len, const_avals)), len(leaves)
    # each branch takes every branch's constants (the others' unused), then the operands
    jaxprs = tuple(permute(pad_inputs(j, sum(const_avals[:i], []), sum(const_avals[i + 1:], [])),
                           [*range(end), *range(end + n_ops, n_consts + n_ops), *range(end, end + n_ops)])
                   for i, (j, _, _) in enumerate(traced)
                   for end in [sum(map(len, const_avals[:i + 1]))])
    consts = [c for _, cs, _ in traced for c in cs]
    outs = cond_p.bind(index, *consts, *leaves, branches=jaxprs)
    return tree_util.tree_unflatten(traced[0][2], outs)


def _convert_outputs(closed, targets, consts, tree):
    fixed = retrace(lambda *a: [weak_to_match(o, t) for o, t in zip(call(closed, *a), targets)],
                    closed.in_avals, "cond")
    return fixed, consts, tree


# ---------------------------------------------------------------------------- rules

def _cond_impl(index, *args, branches):
    return interpret(branches[int(np.clip(index, 0, len(branches) - 1))])(*args)


def _cond_abstract_eval(index, *avals, branches):
    if index.shape != () or index.dtype != np.int32:
        raise TypeError(f"cond: index must be an int32 scalar, got {index.str_short()}")
    check_types("cond operands", "the operands", avals, "the branches' inputs", branches[0].in_avals)
    if len(avals) != len(branches[0].in_avals):
        raise TypeError(f"cond: {len(avals)} operands given, the branches take "
                        f"{len(branches[0].in_avals)}")
    for b in branches[1:]:
        check_types("cond branches", "branch 0 returns", branches[0].out_avals, "another returns",
                    b.out_avals)
    return [a.update(weak_type=all(b.out_avals[i].weak_type for b in branches))
            for i, a in enumerate(branches[0].out_avals)]


def _cond_jvp(primals, tangents, *, branches):
    index, ops = primals[0], primals[1:]
    nonzeros = tuple(type(t) is not Zero for t in tangents[1:])
    out_nz = any_of(jvp_jaxpr(b, nonzeros)[1] for b in branches)
    jvps = tuple(jvp_jaxpr(b, nonzeros, out_nz)[0] for b in branches)
    outs = cond_p.bind(index, *ops, *(t for t in tangents[1:] if type(t) is not Zero),
                       branches=jvps)
    n = len(branches[0].out_avals)
    out_tangents = iter(outs[n:])
    return outs[:n], [next(out_tangents) if nz else Zero(tangent_aval(a))
                      for nz, a in zip(out_nz, branches[0].out_avals)]


def _cond_batch(args, dims, *, branches):
    from fx import lax
    size = axis_size_of(args, dims)
    ops = [x if d is None else moveaxis(x, d, 0) for x, d in zip(args[1:], dims[1:])]
    in_batched = tuple(d is not None for d in dims[1:])
    if dims[0] is None:
        out_b = any_of(
            batch_jaxpr(b, size, in_batched)[1] for b in branches)
        batched = tuple(batch_jaxpr(b, size, in_batched, out_b)[0] for b in branches)
        return cond_p.bind(args[0], *ops, branches=batched), [0 if b else None for b in out_b]
    # a batched index: every branch runs on every lane; each lane keeps its branch's result
    index = moveaxis(args[0], dims[0], 0)
    results = [call(batch_jaxpr(b, size, in_batched, True)[0], *ops) for b in branches]
    outs = [lax.select_n(lax.broadcast_in_dim(index, get_aval(cases[0]).shape, (0,)), *cases)
            for cases in zip(*results)]
    return outs, [0] * len(outs)


def _cond_partial_eval(trace, args, params):
    branches = params["branches"]
    if trace.is_own(args[0]):  # which branch runs is unknown: the whole cond waits
        return trace.stage(cond_p, args, params)
    index, ops = args[0], args[1:]
    unknowns = tuple(trace.is_own(x) for x in ops)
    out_uk = any_of(partial_eval_jaxpr(b, unknowns)[2] for b in branches)
    parts = [partial_eval_jaxpr(b, unknowns, out_uk) for b in branches]
    n_known = out_uk.count(False)
    # a residual that is a known operand is passed to the unknown cond as it is: as an
    # output of the known cond it would depend on the index (the other branches fill its
    # slot with zeros), and a loop around the cond would stack it per iteration
    forwarded = [_forwarded(known, n_known) for known, *_ in parts]
    passed = sorted({k for fwd in forwarded for k in fwd if k is not None})
    knowns = [select_outputs(known, [*range(n_known), *(n_known + r for r, k in enumerate(fwd) if k is None)])
              for (known, *_), fwd in zip(parts, forwarded)]
    res_avals = [known.out_avals[n_known:] for known in knowns]
    known_branches = [_with_zero_residuals(known, len(res_avals[i]), sum(res_avals[:i], []),
                                           sum(res_avals[i + 1:], [])) for i, known in enumerate(knowns)]
    known_ops = [x for x, u in zip(ops, unknowns) if not u]
    unknown_ops = [x for x, u in zip(ops, unknowns) if u]
    in_avals = ([get_aval(known_ops[k]) for k in passed] + sum(res_avals, [])
                + [get_aval(x) for x in unknown_ops])
    starts = np.cumsum([0] + [len(a) for a in res_avals])
    unknown_branches = [_unknown_branch(unknown, fwd, passed, slice(starts[i], starts[i + 1]),
                                        int(starts[-1]), in_avals)
                        for i, ((_, unknown, _, _), fwd) in enumerate(zip(parts, forwarded))]
    with set_current_trace(trace.parent):
        known_outs = cond_p.bind(index, *known_ops, branches=tuple(known_branches))
    residuals = known_outs[n_known:]
    unknown_outs = iter(trace.stage(cond_p, [index, *(known_ops[k] for k in passed), *residuals,
                                             *unknown_ops], dict(branches=tuple(unknown_branches))))
    known_outs = iter(known_outs[:n_known])
    return [next(unknown_outs) if u else next(known_outs) for u in out_uk]


def _forwarded(known, n_known):
    """For each residual of a known branch: the known operand it is, or None."""
    position = {v: k for k, v in enumerate(known.jaxpr.invars)}
    return [position.get(v) for v in known.jaxpr.outvars[n_known:]]


def _unknown_branch(unknown, forwarded, passed, own, n_slots, in_avals):
    """An unknown branch taking (the passed known operands, every branch's residual
    slots, the unknown operands) and reading its own slots and passed operands."""
    def fun(*args):
        fwd, slots, rest = split(args, len(passed), n_slots)
        own_slots = iter(slots[own])
        res = [next(own_slots) if k is None else fwd[passed.index(k)] for k in forwarded]
        return call(unknown, *res, *rest)
    return retrace(fun, in_avals, "cond partial eval")


def _with_zero_residuals(known, num_res, before, after):
    """A known branch returning zeros in the residual slots of the other branches."""
    def fun(*args):
        outs, res = split(call(known, *args), len(known.out_avals) - num_res)
        return outs + [zeros_like_aval(a) for a in before] + res + [zeros_like_aval(a) for a in after]
    return retrace(fun, known.in_avals, "cond partial eval")


def _cond_transpose(cts, index, *ops, branches):
    if isinstance(index, UndefinedPrimal):
        raise TypeError("cond: cannot transpose with respect to the branch index")
    linear = tuple(isinstance(x, UndefinedPrimal) for x in ops)
    transposed = tuple(transpose_jaxpr(b, linear) for b in branches)
    outs = iter(cond_p.bind(index, *(x for x in ops if not isinstance(x, UndefinedPrimal)),
                            *map(instantiate, cts), branches=transposed))
    return [None] + [next(outs) if lin else None for lin in linear]


cond_p.impl = _cond_impl
cond_p.abstract_eval = _cond_abstract_eval
cond_p.jvp = _cond_jvp
cond_p.batch = _cond_batch
cond_p.partial_eval = _cond_partial_eval
cond_p.transpose = _cond_transpose
def _cond_lower(ctx, index, *ops, branches):
    """A native branch on the index's buffer; every branch writes the same outputs."""
    from fx.ir import kernels as K
    from fx.ir.lower import BufferValue, lower_eqns
    index = ctx.materialize(index).buffer
    outs = [ctx.new_buffer(a.shape, a.dtype) for a in branches[0].out_avals]
    bodies = []
    for branch in branches:
        with ctx.block() as body:
            ctx.store_all(lower_eqns(ctx, branch, list(ops)), outs)
        bodies.append(body)
    ctx.emit(K.Branch("", index, bodies))
    return [BufferValue(b) for b in outs]


cond_p.lower = _cond_lower
