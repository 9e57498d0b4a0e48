"""custom_jvp and custom_vjp: user-defined derivative rules.

Each call binds a primitive holding the traced primal function (so staging and vmap see
an ordinary equation) and the user's rule as a flat Python callable:

- custom_jvp_call's JVP rule runs the user's jvp on the primals and tangents;
- custom_vjp_call's JVP rule runs the user's fwd and emits `custom_lin`, a linear
  primitive whose transpose runs the user's bwd. Forward mode through a custom_vjp
  function is therefore an error, as in JAX.

With no transform active, the function is simply called.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from fx import dtypes, tree_util
from fx.argcheck import check_callable, describe, int_tuple
from fx.core import (EVAL_TRACE, Primitive, Zero, current_trace, get_aval, set_current_trace,
                     tangent_aval, user_frame_summary)
from fx.ir.jaxpr import eval_jaxpr
from fx.transforms.arguments import merge_static, split_static
from fx.transforms.batching import axis_size_of, batch_flat_at_front, batch_jaxpr, bdim_at_front
from fx.transforms.call import lower_inline
from fx.transforms.jvp import instantiate
from fx.transforms.staging import hoist_tracer_consts, trace_to_jaxpr


def _resolve_args(fun, args, kwargs):
    if not kwargs:
        return args
    return tuple(inspect.signature(fun).bind(*args, **kwargs).args)


class _CustomFunction:
    """Shared by custom_jvp and custom_vjp: argument handling and tracing the primal."""

    def __init__(self, fun, nondiff_argnums=()):
        kind = type(self).__name__
        check_callable(fun, f"{kind}: fun")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = int_tuple(nondiff_argnums, f"{kind}: nondiff_argnums", allow_int=True)

    def _prepare(self, args, kwargs):
        """Flatten the differentiable args; trace fun over them into a jaxpr."""
        args = _resolve_args(self.fun, args, kwargs)
        nondiff, diff_args = split_static(args, self.nondiff_argnums)
        leaves, in_tree = tree_util.tree_flatten(diff_args)
        out_store = []

        def rebuild(diff_leaves):
            return merge_static(nondiff, tree_util.tree_unflatten(in_tree, diff_leaves), len(args))

        def flat_fun(*diff_leaves):
            out_leaves, out_tree = tree_util.tree_flatten(self.fun(*rebuild(diff_leaves)))
            out_store.append(out_tree)
            return out_leaves

        jaxpr, consts = trace_to_jaxpr(flat_fun, [get_aval(x) for x in leaves],
                                       f"{type(self).__name__}({self.__name__})")
        closed, hoisted = hoist_tracer_consts(jaxpr, consts)
        nondiff_values = [nondiff[i] for i in sorted(nondiff)]
        return leaves, in_tree, out_store[0], closed, hoisted, nondiff_values


# ---------------------------------------------------------------------------- custom_jvp

class custom_jvp(_CustomFunction):
    """A function with a custom JVP rule: `@custom_jvp def f(x): ...; @f.defjvp def
    f_jvp(primals, tangents): return f(*primals), tangent_out` (JAX's jax.custom_jvp)."""

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp):
        self.jvp = check_callable(jvp, f"custom_jvp({self.__name__}).defjvp: jvp")
        return jvp

    def defjvps(self, *jvps):
        """One rule per argument, jvp_i(g, ans, *args) -> contribution (None: not differentiable)."""
        def jvp(primals, tangents):
            ans = self(*primals)
            out = None
            for rule, t in zip(jvps, tangents):
                if rule is not None:
                    term = rule(t, ans, *primals)
                    out = term if out is None else tree_util.tree_map(lambda a, b: a + b, out, term)
            return ans, out if out is not None else tree_util.tree_map(lambda a: a * 0, ans)
        self.defjvp(jvp)

    def __call__(self, *args, **kwargs):
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {self.__name__} "
                                 "using defjvp.")
        if current_trace() is EVAL_TRACE:
            return self.fun(*args, **kwargs)
        leaves, in_tree, out_tree, closed, hoisted, nondiff = self._prepare(args, kwargs)

        def jvp_flat(primals, tangents):
            p = tree_util.tree_unflatten(in_tree, primals)
            t = tree_util.tree_unflatten(in_tree, tangents)
            where = f"custom_jvp rule {_name(self.jvp)} of {self.__name__}"
            out, out_t = _pair(self.jvp(*nondiff, tuple(p), tuple(t)), where,
                               "(primal_out, tangent_out)")
            out_leaves, tree = tree_util.tree_flatten(out)
            t_leaves, t_tree = tree_util.tree_flatten(out_t)
            if tree != out_tree or t_tree != out_tree:
                raise TypeError(f"{where} must return (primal_out, tangent_out) structured like "
                                f"the function's output {out_tree}; got {tree} and {t_tree}")
            _check_types(out_leaves, closed.out_avals, where, "primal output")
            _check_types(t_leaves, [tangent_aval(a) for a in closed.out_avals], where,
                         "tangent output")
            return out_leaves, t_leaves

        outs = custom_jvp_call_p.bind(*hoisted, *leaves, call_jaxpr=closed, jvp=jvp_flat,
                                      num_consts=len(hoisted))
        return tree_util.tree_unflatten(out_tree, outs)


custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)


def _name(fun):
    return getattr(fun, "__name__", type(fun).__name__)


def _pair(out, where, what):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{where} must return a pair {what} (a tuple or list of length two), "
                        f"got {describe(out)}")
    return out


def _check_types(values, avals, where, what, error=TypeError):
    """Each value has its aval's shape and dtype (a weakly typed number may differ in
    dtype: it is converted)."""
    for i, (x, want) in enumerate(zip(values, avals)):
        got = get_aval(x)
        if got.shape != want.shape or got.dtype != want.dtype and not (
                got.weak_type and dtypes.is_inexact(want.dtype) or not dtypes.is_inexact(want.dtype)):
            raise error(f"{where}: {what} {i} has type {got.str_short()} but {want.str_short()} "
                        "was expected: the shapes and dtypes must match the function's")


def _call_impl(*args, call_jaxpr, **_):
    with set_current_trace(EVAL_TRACE):
        return [np.asarray(o) for o in eval_jaxpr(call_jaxpr.jaxpr, call_jaxpr.consts, *args)]


def _check_closure_not_differentiated(kind, tangents, num_consts):
    """JAX fails here with an escaped-tracer error; fx says what is wrong and what to do."""
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise TypeError(
            f"A {kind} function closes over a value that is being differentiated (a traced "
            f"value of an enclosing transform), so its custom rule cannot account for it.\n"
            f"  at {user_frame_summary()}\n"
            "Pass that value to the function as an explicit argument instead.")


def _custom_jvp_call_jvp(primals, tangents, *, call_jaxpr, jvp, num_consts):
    _check_closure_not_differentiated("custom_jvp", tangents, num_consts)
    primals, tangents = primals[num_consts:], tangents[num_consts:]
    outs, out_tangents = jvp(list(primals), [instantiate(t) for t in tangents])
    return outs, [_match_tangent(t, a) for t, a in zip(out_tangents, call_jaxpr.out_avals)]


def _match_tangent(t, aval):
    from fx import lax
    return lax.convert_element_type(t, tangent_aval(aval).dtype)


def _custom_jvp_call_batch(args, dims, *, call_jaxpr, jvp, num_consts):
    size = axis_size_of(args, dims)
    args = [bdim_at_front(x, d, size) for x, d in zip(args, dims)]
    batched, _ = batch_jaxpr(call_jaxpr, size, (True,) * len(args), True)
    n = len(args) - num_consts

    def batched_jvp(primals, tangents):
        def flat(*pt):
            outs, out_t = jvp(list(pt[:n]), list(pt[n:]))
            return list(outs) + list(out_t)
        res = batch_flat_at_front(flat, primals + tangents, [0] * (2 * n), size)
        return res[:len(res) // 2], res[len(res) // 2:]

    outs = custom_jvp_call_p.bind(*args, call_jaxpr=batched, jvp=batched_jvp, num_consts=num_consts)
    return outs, [0] * len(outs)


custom_jvp_call_p.impl = _call_impl
custom_jvp_call_p.abstract_eval = lambda *avals, call_jaxpr, **_: call_jaxpr.out_avals
custom_jvp_call_p.jvp = _custom_jvp_call_jvp
custom_jvp_call_p.batch = _custom_jvp_call_batch


# ---------------------------------------------------------------------------- custom_vjp

class custom_vjp(_CustomFunction):
    """A function with a custom VJP: `f.defvjp(fwd, bwd)` where fwd(*args) returns
    (out, residuals) and bwd(*nondiff_args, residuals, g) returns one cotangent per
    differentiable argument (JAX's jax.custom_vjp)."""

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd, symbolic_zeros=False):
        where = f"custom_vjp({self.__name__}).defvjp"
        self.fwd, self.bwd = check_callable(fwd, f"{where}: fwd"), check_callable(bwd, f"{where}: bwd")

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {self.__name__} "
                                 "using defvjp.")
        if current_trace() is EVAL_TRACE:
            return self.fun(*args, **kwargs)
        full_args = _resolve_args(self.fun, args, kwargs)
        leaves, in_tree, out_tree, closed, hoisted, nondiff = self._prepare(args, kwargs)
        res_store = []

        def fwd_flat(primals):
            diff = iter(tree_util.tree_unflatten(in_tree, primals))
            call = [full_args[i] if i in self.nondiff_argnums else next(diff)
                    for i in range(len(full_args))]
            where = f"custom_vjp fwd rule {_name(self.fwd)} of {self.__name__}"
            out, res = _pair(self.fwd(*call), where, "(output, residuals)")
            out_leaves, tree = tree_util.tree_flatten(out)
            if tree != out_tree:
                raise TypeError(f"{where} must return (output, residuals) with output structured "
                                f"like {out_tree}, got {tree}")
            _check_types(out_leaves, closed.out_avals, where, "output")
            res_leaves, res_tree = tree_util.tree_flatten(res)
            res_store.append(res_tree)
            return out_leaves, res_leaves

        def bwd_flat(res_leaves, cts):
            res = tree_util.tree_unflatten(res_store[-1], res_leaves)
            ct_in = self.bwd(*nondiff, res, tree_util.tree_unflatten(out_tree, cts))
            where = f"custom_vjp bwd rule {_name(self.bwd)} of {self.__name__}"
            diff_args = tree_util.tree_unflatten(in_tree, leaves)
            if not isinstance(ct_in, tuple) or len(ct_in) != len(diff_args):
                raise TypeError(f"{where} must return a tuple with one cotangent per "
                                f"differentiable argument ({len(diff_args)}), got {describe(ct_in)}")
            ct_tree = tree_util.tree_structure(ct_in, is_leaf=lambda c: c is None)
            if ct_tree != tree_util.tree_structure(diff_args) and not _none_prefix(ct_in, diff_args):
                raise TypeError(f"{where} must return cotangents structured like the arguments "
                                f"{in_tree}, got {ct_tree}")
            avals = [get_aval(x) for x in leaves]
            ct_leaves = tree_util.tree_leaves(
                tree_util.tree_map(lambda c, x: _zeros_if_none(c, x), ct_in,
                                   tree_util.tree_unflatten(in_tree, leaves),
                                   is_leaf=lambda c: c is None))
            _check_types(ct_leaves, [tangent_aval(a) for a in avals], where, "cotangent",
                         ValueError)
            return [_match_tangent(c, a) for c, a in zip(ct_leaves, avals)]

        outs = custom_vjp_call_p.bind(*hoisted, *leaves, call_jaxpr=closed, fwd=fwd_flat,
                                      bwd=bwd_flat, num_consts=len(hoisted))
        return tree_util.tree_unflatten(out_tree, outs)


def _none_prefix(cts, args):
    """Whether cts matches args' structure, with None standing for whole subtrees."""
    try:
        tree_util.broadcast_prefix(cts, args)
    except ValueError:
        return False
    return True


def _zeros_if_none(ct, like):
    from fx import lax
    return lax.full_like(like, 0) if ct is None else ct


custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)
custom_lin_p = Primitive("custom_lin", multiple_results=True)


def _custom_vjp_call_jvp(primals, tangents, *, call_jaxpr, fwd, bwd, num_consts):
    _check_closure_not_differentiated("custom_vjp", tangents, num_consts)
    outs, res = fwd(list(primals[num_consts:]))
    out_tangents = custom_lin_p.bind(*res, *map(instantiate, tangents[num_consts:]),
                                     num_res=len(res), bwd=bwd,
                                     out_avals=tuple(tangent_aval(a) for a in call_jaxpr.out_avals))
    return outs, out_tangents


def _custom_vjp_call_batch(args, dims, *, call_jaxpr, fwd, bwd, num_consts):
    size = axis_size_of(args, dims)
    args = [bdim_at_front(x, d, size) for x, d in zip(args, dims)]
    batched, _ = batch_jaxpr(call_jaxpr, size, (True,) * len(args), True)
    n_out = len(call_jaxpr.out_avals)

    def batched_fwd(primals):
        def flat(*p):
            outs, res = fwd(list(p))
            return list(outs) + list(res)
        res = batch_flat_at_front(flat, primals, [0] * len(primals), size)
        return res[:n_out], res[n_out:]

    def batched_bwd(res, cts):
        return batch_flat_at_front(lambda *rc: bwd(list(rc[:len(res)]), list(rc[len(res):])),
                                   list(res) + list(cts), [0] * (len(res) + len(cts)), size)

    outs = custom_vjp_call_p.bind(*args, call_jaxpr=batched, fwd=batched_fwd, bwd=batched_bwd,
                                  num_consts=num_consts)
    return outs, [0] * len(outs)


def _custom_lin_impl(*args, **_):
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function; "
                    "use reverse mode (grad, vjp, jacrev), or define the rule with custom_jvp.")


def _custom_lin_transpose(cts, *args, num_res, bwd, out_avals):
    res = args[:num_res]
    return [None] * num_res + bwd(list(res), [instantiate(c) for c in cts])


def _lower_call(ctx, *args, call_jaxpr, **_):
    return lower_inline(ctx, *args, jaxpr=call_jaxpr)


custom_jvp_call_p.lower = _lower_call
custom_vjp_call_p.lower = _lower_call
custom_vjp_call_p.impl = _call_impl
custom_vjp_call_p.abstract_eval = lambda *avals, call_jaxpr, **_: call_jaxpr.out_avals
custom_vjp_call_p.jvp = _custom_vjp_call_jvp
custom_vjp_call_p.batch = _custom_vjp_call_batch
custom_lin_p.impl = _custom_lin_impl
custom_lin_p.abstract_eval = lambda *avals, out_avals, **_: list(out_avals)
custom_lin_p.transpose = _custom_lin_transpose
