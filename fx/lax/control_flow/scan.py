"""scan and map: the `scan` primitive runs its body jaxpr once per leading index of xs.

Operands: the body's closure constants, the initial carry, then xs; outputs: the final
carry, then the ys stacked along a new leading axis. Rules:

- JVP and vmap: carry components gain tangents (a batch axis) by fixpoint, as in while;
- partial eval: the known scan computes the known carry and ys and stacks the residuals
  each iteration produces; the unknown scan reads them back as xs. What the known body
  computes from closure constants and literals alone does not vary across iterations
  (JAX's known-const analysis): it is computed once, before the loop, and such residuals
  reach the unknown scan once, as constants. A residual that is a known xs is passed as
  it is, not copied;
- transpose: a scan in the opposite direction carrying the cotangents of the carry and
  accumulating those of the constants.
"""
from __future__ import annotations

import numpy as np

from fx import tree_util
from fx.argcheck import check_callable, describe, index
from fx.core import (Primitive, UndefinedPrimal, Zero, get_aval, set_current_trace,
                     tangent_aval)
from fx.lax.control_flow.common import check_trees, floating, promote_weak_carry
from fx.ir.surgery import drop_inputs, permute, select_outputs, used_inputs
from fx.transforms.call import call, check_types, interpret, leaf_aval, retrace, split, trace_callable
from fx.lax.control_flow.loops import _fixpoint
from fx.transforms.batching import axis_size_of, batch_jaxpr, bdim_at_front, map_leading_axis, moveaxis
from fx.transforms.jvp import add_tangents, instantiate, jvp_jaxpr, zeros_like_aval
from fx.transforms.partial_eval import partial_eval_jaxpr
from fx.transforms.transpose import transpose_jaxpr

scan_p = Primitive("scan", multiple_results=True)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1, _split_transpose=False):
    """Loop `carry, y = f(carry, x)` over the leading axis of xs, stacking the ys
    (JAX's lax.scan). xs may be None (then `length` says how many steps); carry, xs and
    ys are pytrees."""
    check_callable(f, "scan: f")
    x_leaves, x_tree = tree_util.tree_flatten(xs)
    x_avals = [leaf_aval(x, "scan xs") for x in x_leaves]
    for a in x_avals:
        if a.ndim == 0:
            raise ValueError(f"scan: every xs leaf needs a leading axis to scan over, got a "
                             f"scalar {a.str_short()}")
    n = _scan_length(x_leaves, length)
    unroll = _unroll(unroll, n)
    x_slices = tree_util.tree_unflatten(x_tree, [a.update(shape=a.shape[1:]) for a in x_avals])
    leaves, tree = tree_util.tree_flatten(init)

    def body(carry, x):
        out = f(carry, x)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError(f"scan: f must return a pair (carry, y), got {describe(out)}")
        return tuple(out)

    while True:
        init = tree_util.tree_unflatten(tree, leaves)
        jaxpr, consts, out_tree = trace_callable(body, (init, x_slices), "scan body f")
        carry_tree, y_tree = out_tree.children()
        check_trees("scan body f", "the carry input", tree, "the carry output", carry_tree)
        carry_out = jaxpr.out_avals[:len(leaves)]
        leaves, changed = promote_weak_carry(leaves, carry_out)
        if not changed:
            break
    check_types("scan body f carry input and output must have equal types", "the input",
                [get_aval(x) for x in leaves], "the output", carry_out)
    outs = scan_p.bind(*consts, *leaves, *x_leaves, jaxpr=jaxpr, length=n, reverse=bool(reverse),
                       num_consts=len(consts), num_carry=len(leaves), unroll=unroll)
    return (tree_util.tree_unflatten(carry_tree, outs[:len(leaves)]),
            tree_util.tree_unflatten(y_tree, outs[len(leaves):]))


def _scan_length(x_leaves, length):
    lengths = sorted({get_aval(x).shape[0] for x in x_leaves if get_aval(x).ndim})
    if len(lengths) > 1:
        raise ValueError(f"scan: xs leaves must have equal leading axis sizes, got {lengths}")
    if length is not None:
        length = index(length, "scan: length", minimum=0)
        if lengths and lengths[0] != length:
            raise ValueError(f"scan: length={length} disagrees with the leading axis size "
                             f"{lengths[0]} of xs")
        return length
    if not x_leaves:
        raise ValueError("scan: no xs to scan over and no length given")
    return lengths[0] if lengths else 0


def _unroll(unroll, length):
    if isinstance(unroll, (bool, np.bool_)):
        return max(length, 1) if unroll else 1
    return index(unroll, "scan: unroll (a bool or an int)", minimum=1)


def map(f, xs, *, batch_size=None):
    """[f(x) for x in xs] along the leading axis, stacked (JAX's lax.map); with
    batch_size, f is vmapped over chunks of that many elements."""
    check_callable(f, "map: f")
    if batch_size is None:
        return scan(lambda carry, x: (carry, f(x)), None, xs)[1]
    from fx.lax import concatenate, reshape
    leaves, tree = tree_util.tree_flatten(xs)
    n = _scan_length(leaves, None)
    batch_size = index(batch_size, "map: batch_size", minimum=1)
    full, rest = divmod(n, batch_size)

    def chunked(x):
        return reshape(x[:full * batch_size], (full, batch_size) + get_aval(x).shape[1:])
    ys = scan(lambda carry, x: (carry, map_leading_axis(f, x)), None, tree_util.tree_map(chunked, xs))[1]
    ys = tree_util.tree_map(lambda y: reshape(y, (full * batch_size,) + get_aval(y).shape[2:]), ys)
    if rest:
        tail = map_leading_axis(f, tree_util.tree_map(lambda x: x[full * batch_size:], xs))
        ys = tree_util.tree_map(lambda a, b: concatenate([a, b], 0), ys, tail)
    return ys


# ---------------------------------------------------------------------------- rules

def _scan_impl(*args, jaxpr, length, reverse, num_consts, num_carry, unroll):
    consts, carry, xs = split(args, num_consts, num_carry)
    body = interpret(jaxpr)
    ys = [np.empty((length,) + a.shape, a.dtype) for a in jaxpr.out_avals[num_carry:]]
    for i in range(length - 1, -1, -1) if reverse else range(length):
        outs = body(*consts, *carry, *(x[i] for x in xs))
        carry = outs[:num_carry]
        for y, o in zip(ys, outs[num_carry:]):
            y[i] = o
    return list(carry) + ys


def _scan_abstract_eval(*avals, jaxpr, length, reverse, num_consts, num_carry, unroll):
    consts, carry, xs = split(avals, num_consts, num_carry)
    for x in xs:
        if x.ndim == 0 or x.shape[0] != length:
            raise TypeError(f"scan: xs operand {x.str_short()} must have leading axis {length}")
    body_in = consts + carry + [x.update(shape=x.shape[1:]) for x in xs]
    if len(body_in) != len(jaxpr.in_avals):
        raise TypeError(f"scan: {len(body_in)} operands given, the body takes {len(jaxpr.in_avals)}")
    check_types("scan operands", "the operands", body_in, "the body's inputs", jaxpr.in_avals)
    carry_out, ys = split(jaxpr.out_avals, num_carry)
    check_types("scan body", "the carry", carry, "the body's carry output", carry_out)
    return carry_out + [y.update(shape=(length,) + y.shape) for y in ys]


def _scan_jvp(primals, tangents, *, jaxpr, length, reverse, num_consts, num_carry, unroll):
    nz = [type(t) is not Zero for t in tangents]
    const_nz, carry_nz, xs_nz = split(nz, num_consts, num_carry)
    carry_avals = jaxpr.out_avals[:num_carry]
    carry_nz = [n and floating(a) for n, a in zip(carry_nz, carry_avals)]
    carry_nz = _fixpoint(carry_nz, lambda c: jvp_jaxpr(jaxpr, tuple(const_nz + c + xs_nz))[1])
    n_ys = len(jaxpr.out_avals) - num_carry
    body, out_nz = jvp_jaxpr(jaxpr, tuple(const_nz + carry_nz + xs_nz),
                             tuple(carry_nz) + (False,) * n_ys)
    ys_nz = list(out_nz[num_carry:])
    # (c, carry, x, dc, dcarry, dx) -> (c, dc, carry, dcarry, x, dx); outputs likewise
    ins = _interleave([num_consts, num_carry, len(xs_nz)],
                      [const_nz.count(True), carry_nz.count(True), xs_nz.count(True)])
    outs = _interleave([num_carry, n_ys], [carry_nz.count(True), ys_nz.count(True)])
    body = permute(body, ins, outs)
    consts, carry, xs = split(primals, num_consts, num_carry)
    dconsts, dcarry, dxs = split(tangents, num_consts, num_carry)
    res = scan_p.bind(*consts, *(t for t in dconsts if type(t) is not Zero),
                      *carry, *(instantiate(t) for t, n in zip(dcarry, carry_nz) if n),
                      *xs, *(t for t in dxs if type(t) is not Zero),
                      jaxpr=body, length=length, reverse=reverse,
                      num_consts=num_consts + const_nz.count(True),
                      num_carry=num_carry + carry_nz.count(True), unroll=unroll)
    carry_out, dcarry_out, ys, dys = split(res, num_carry, carry_nz.count(True), n_ys)
    dcarry_out, dys = iter(dcarry_out), iter(dys)
    y_avals = [get_aval(y) for y in ys]
    return carry_out + ys, (
        [next(dcarry_out) if n else Zero(tangent_aval(a)) for n, a in zip(carry_nz, carry_avals)]
        + [next(dys) if n else Zero(tangent_aval(a)) for n, a in zip(ys_nz, y_avals)])


def _interleave(primal_sizes, tangent_sizes):
    """Indices putting each group's tangents right after its primals, where the
    tangents of all groups follow all primals."""
    order, p, t = [], 0, sum(primal_sizes)
    for np_, nt in zip(primal_sizes, tangent_sizes):
        order += list(range(p, p + np_)) + list(range(t, t + nt))
        p, t = p + np_, t + nt
    return order


def _scan_batch(args, dims, *, jaxpr, length, reverse, num_consts, num_carry, unroll):
    size = axis_size_of(args, dims)
    const_b, carry_b, xs_b = split([d is not None for d in dims], num_consts, num_carry)
    carry_b = _fixpoint(carry_b, lambda c: batch_jaxpr(jaxpr, size, tuple(const_b + c + xs_b))[1])
    n_ys = len(jaxpr.out_avals) - num_carry
    body, out_b = batch_jaxpr(jaxpr, size, tuple(const_b + carry_b + xs_b),
                              tuple(carry_b) + (False,) * n_ys)
    consts, carry, xs = split(args, num_consts, num_carry)
    cdims, carry_dims, xdims = split(dims, num_consts, num_carry)
    consts = [x if d is None else moveaxis(x, d, 0) for x, d in zip(consts, cdims)]
    carry = [bdim_at_front(x, d, size) if b else x for x, d, b in zip(carry, carry_dims, carry_b)]
    xs = [x if d is None else moveaxis(x, d, 1) for x, d in zip(xs, xdims)]  # axis 0 is scanned
    outs = scan_p.bind(*consts, *carry, *xs, jaxpr=body, length=length, reverse=reverse,
                       num_consts=num_consts, num_carry=num_carry, unroll=unroll)
    return outs, ([0 if b else None for b in carry_b]
                  + [1 if b else None for b in out_b[num_carry:]])


def _scan_partial_eval(trace, args, params):
    jaxpr, num_consts, num_carry = params["jaxpr"], params["num_consts"], params["num_carry"]
    const_uk, carry_uk, xs_uk = split([trace.is_own(x) for x in args], num_consts, num_carry)
    n_ys = len(jaxpr.out_avals) - num_carry

    def unknown_outs(c):
        return partial_eval_jaxpr(jaxpr, tuple(const_uk + c + xs_uk), tuple(c) + (False,) * n_ys)[2]
    carry_uk = _fixpoint(carry_uk, unknown_outs)
    in_uk = const_uk + carry_uk + xs_uk
    known, unknown, out_uk, num_res = partial_eval_jaxpr(jaxpr, tuple(in_uk),
                                                         tuple(carry_uk) + (False,) * n_ys)
    consts, carry, xs = split(args, num_consts, num_carry)
    n_kcarry, n_kys = carry_uk.count(False), out_uk[num_carry:].count(False)
    known_consts = [x for x, u in zip(consts, const_uk) if not u]
    known_loop = [x for x, u in zip(carry + xs, carry_uk + xs_uk) if not u]
    hoist, body_known, sources = _hoist_invariant(known, len(known_consts), n_kcarry,
                                                  n_kcarry + n_kys, known_loop[n_kcarry:])
    inv = [r for r, (kind, _) in enumerate(sources) if kind == "invariant"]
    stacked = [r for r, (kind, _) in enumerate(sources) if kind != "invariant"]
    with set_current_trace(trace.parent):
        invariant, hoisted = split(call(hoist, *known_consts), len(inv))
        kouts = scan_p.bind(*hoisted, *known_loop, **dict(params, jaxpr=body_known,
                                                          num_consts=len(hoisted),
                                                          num_carry=n_kcarry))
    kcarry, kys, kres = split(kouts, n_kcarry, n_kys)
    values = {"invariant": iter(invariant), "computed": iter(kres)}
    residuals = [x if kind == "xs" else next(values[kind]) for kind, x in sources]
    # unknown body inputs: (residuals, unknown consts, carry, xs) -> (invariant residuals,
    # unknown consts, unknown carry, stacked residuals, unknown xs)
    n_uc, n_ucarry = const_uk.count(True), carry_uk.count(True)
    uk_body = permute(unknown, inv + list(range(num_res, num_res + n_uc + n_ucarry)) + stacked
                      + list(range(num_res + n_uc + n_ucarry, len(unknown.in_avals))))
    operands = ([residuals[r] for r in inv] + [x for x, u in zip(consts, const_uk) if u]
                + [x for x, u in zip(carry, carry_uk) if u] + [residuals[r] for r in stacked]
                + [x for x, u in zip(xs, xs_uk) if u])
    uouts = trace.stage(scan_p, operands, dict(params, jaxpr=uk_body,
                                               num_consts=len(inv) + n_uc, num_carry=n_ucarry))
    uouts, known_outs = iter(uouts), iter(kcarry + kys)
    return [next(uouts) if u else next(known_outs) for u in out_uk]


def _hoist_invariant(known, n_consts, n_carry, n_outs, known_xs):
    """Split the known body (consts, carry, xs) -> (carry, ys, residuals) at the loop.

    A value computed only from the constants and literals is loop-invariant (JAX's
    known-const analysis, here a partial evaluation with the carry and xs unknown), so it
    is computed once, before the loop, not once per iteration. Returns
    - hoist: consts -> (the invariant residuals, then the values the loop reads);
    - the loop body, taking those values as its constants, returning (carry, ys, the
      residuals it computes, to be stacked);
    - each residual's source: ("invariant", None), ("xs", the known xs it is: passed as
      it is, not copied) or ("computed", None).
    """
    n_loop, n_res = len(known.in_avals) - n_consts, len(known.out_avals) - n_outs
    hoist, loop, loop_uk, n_hoisted = partial_eval_jaxpr(
        known, (False,) * n_consts + (True,) * n_loop, (True,) * n_outs + (False,) * n_res)
    lj = loop.jaxpr
    xs_of = dict(zip(lj.invars[n_hoisted + n_carry:], known_xs))
    variant = iter(lj.outvars[n_outs:])  # the loop-variant residuals, in order
    sources = []
    for u in loop_uk[n_outs:]:
        v = next(variant) if u else None
        sources.append(("invariant", None) if v is None else
                       ("xs", xs_of[v]) if v in xs_of else ("computed", None))
    computed = [n_outs + i for i, v in enumerate(lj.outvars[n_outs:]) if v not in xs_of]
    body = select_outputs(loop, list(range(n_outs)) + computed)
    reads = used_inputs(body.jaxpr)[:n_hoisted]
    n_inv = loop_uk[n_outs:].count(False)
    hoist = select_outputs(hoist, list(range(n_inv)) + [n_inv + i for i, r in enumerate(reads) if r])
    return hoist, drop_inputs(body, reads + [True] * n_loop), sources


def _scan_transpose(cts, *args, jaxpr, length, reverse, num_consts, num_carry, unroll):
    consts, carry, xs = split(args, num_consts, num_carry)
    const_lin = [isinstance(x, UndefinedPrimal) for x in consts]
    xs_lin = [isinstance(x, UndefinedPrimal) for x in xs]
    # every carry is linear: a known one is an instantiated zero tangent
    transposed = transpose_jaxpr(jaxpr, tuple(const_lin + [True] * num_carry + xs_lin))
    res_c = [x for x, lin in zip(consts, const_lin) if not lin]
    res_x = [x for x, lin in zip(xs, xs_lin) if not lin]
    acc_avals = [tangent_aval(a) for a, lin in zip(jaxpr.in_avals[:num_consts], const_lin) if lin]
    ct_carry, ct_ys = split([instantiate(ct) for ct in cts], num_carry)
    n_c, n_acc, n_rx = len(res_c), len(acc_avals), len(res_x)

    def body(*a):
        rc, acc, ctc, rx, cty = split(a, n_c, n_acc, num_carry, n_rx)
        d_consts, d_carry, d_xs = split(call(transposed, *rc, *rx, *ctc, *cty), n_acc, num_carry)
        return [add_tangents(s, d) for s, d in zip(acc, d_consts)] + d_carry + d_xs

    slice_avals = [get_aval(x).update(shape=get_aval(x).shape[1:]) for x in res_x + ct_ys]
    body_t = retrace(body, [get_aval(x) for x in res_c] + acc_avals
                     + [get_aval(c) for c in ct_carry] + slice_avals, "transpose of scan")
    outs = scan_p.bind(*res_c, *(zeros_like_aval(a) for a in acc_avals), *ct_carry, *res_x, *ct_ys,
                       jaxpr=body_t, length=length, reverse=not reverse, num_consts=n_c,
                       num_carry=n_acc + num_carry, unroll=unroll)
    ct_consts, ct_init, ct_xs = split(outs, n_acc, num_carry)
    ct_consts, ct_xs = iter(ct_consts), iter(ct_xs)
    return ([next(ct_consts) if lin else None for lin in const_lin]
            + [ct if isinstance(x, UndefinedPrimal) else None for x, ct in zip(carry, ct_init)]
            + [next(ct_xs) if lin else None for lin in xs_lin])


scan_p.impl = _scan_impl
scan_p.abstract_eval = _scan_abstract_eval
scan_p.jvp = _scan_jvp
scan_p.batch = _scan_batch
scan_p.partial_eval = _scan_partial_eval
scan_p.transpose = _scan_transpose
def _scan_lower(ctx, *args, jaxpr, length, reverse, num_consts, num_carry, unroll):
    """A native loop: the carries in buffers, xs read and ys written at row `counter`."""
    from fx.ir import kernels as K
    from fx.ir.lower import BufferValue, lower_eqns
    consts, init, xs = split(args, num_consts, num_carry)
    consts = [ctx.materialize_if_expensive(c) for c in consts]  # once, not per iteration
    carries = ctx.carries(init)
    counter = ctx.new_buffer((), np.int64)
    row = K.iclamp(K.IFromExpr(K.Load(np.dtype(np.int64), counter, ())), 0, max(length - 1, 0))
    x_rows = [ctx.inline(x.shape[1:], x.dtype, lambda idx, x=x: x.at((row, *idx)), [x]) for x in xs]
    ys = [ctx.new_buffer((length,) + a.shape, a.dtype) for a in jaxpr.out_avals[num_carry:]]
    with ctx.block() as body:
        outs = lower_eqns(ctx, jaxpr, consts + [BufferValue(c) for c in carries] + x_rows)
        for y, value in zip(ys, outs[num_carry:]):
            if not _gemm_writes_row(ctx, value, y, row):
                ctx.materialize(value, dest=y, store_index=(row, *K.loop_index(len(value.shape))))
        ctx.update_carries(carries, outs[:num_carry])
    ctx.emit(K.Loop("", body, length=length, counter=counter, reverse=reverse))
    return [BufferValue(b) for b in carries + ys]


def _gemm_writes_row(ctx, value, y, row):
    """Have the matrix product that computes a y write its row of the stacked ys itself
    (an output offset), when nothing else reads the product. Returns whether it did."""
    from fx.ir import kernels as K
    from fx.ir.lower import BufferValue
    if not isinstance(value, BufferValue) or ctx.buffer_uses.get(value.buffer) != 1:
        return False
    writers = [s for s in ctx.body if value.buffer in s.writes()]
    gemm = writers[0] if len(writers) == 1 else None
    if (not isinstance(gemm, K.Gemm) or gemm.accumulate or gemm.offsets[2] != K.IConst(0)
            or not ctx.redirect(value.buffer, y)):
        return False
    gemm.offsets = (*gemm.offsets[:2], K.imul(row, value.buffer.size))
    return True


scan_p.lower = _scan_lower
