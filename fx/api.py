"""The public transforms. They only arrange pytrees and arguments; the work is done by
the flat transforms in fx/transforms (jvp_flat, linearize_flat, vjp_flat, batch_flat,
trace_to_jaxpr) and by jit.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from fx import dtypes, tree_util
from fx.core import get_aval, is_array_like, tangent_aval
from fx.ir.jaxpr import ClosedJaxpr
from fx.transforms.batching import batch_flat, moveaxis
from fx.transforms.jit import disable_jit, jit  # noqa: F401  (public re-export)
from fx.transforms.jvp import instantiate, jvp_flat
from fx.transforms.partial_eval import linearize_flat
from fx.transforms.staging import trace_to_jaxpr
from fx.transforms.transpose import backward_pass, vjp_flat
from fx.core import UndefinedPrimal


def _name(fun):
    return getattr(fun, "__name__", type(fun).__name__)


def _flatten_fun(fun, in_tree, out_store):
    """fun over pytrees -> a function over flat leaf lists; out_store gets the out tree."""
    def flat(*leaves):
        out = fun(*tree_util.tree_unflatten(in_tree, leaves))
        out_leaves, out_tree = tree_util.tree_flatten(out)
        for leaf in out_leaves:
            _check_array(leaf, f"output of {_name(fun)}")
        out_store.append(out_tree)
        return out_leaves
    return flat


def _check_array(x, where):
    if not is_array_like(x):
        raise TypeError(f"{where}: expected arrays or Python numbers, got {type(x).__name__} ({x!r:.60})")


def _argnums_tuple(argnums, nargs, fun):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not -nargs <= a < nargs:
            raise ValueError(f"{_name(fun)}: argnums {argnums} out of range for {nargs} positional "
                             "arguments")
    return single, tuple(a % nargs for a in nums)


def _partial_args(fun, args, argnums):
    """(function of the selected args only, the selected args)."""
    def partial(*dyn):
        full = list(args)
        for i, a in zip(argnums, dyn):
            full[i] = a
        return fun(*full)
    return partial, tuple(args[i] for i in argnums)


# ---------------------------------------------------------------------------- forward mode

def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), the directional derivative of fun at primals along tangents)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp expects primals and tangents as tuples or lists, got "
                        f"{type(primals).__name__} and {type(tangents).__name__}")
    p_leaves, p_tree = tree_util.tree_flatten(tuple(primals))
    t_leaves, t_tree = tree_util.tree_flatten(tuple(tangents))
    if p_tree != t_tree:
        raise ValueError(f"jvp: primal and tangent arguments must have equal tree structure, "
                         f"got {p_tree} and {t_tree}")
    for p, t in zip(p_leaves, t_leaves):
        pa, ta = get_aval(p), get_aval(t)
        if pa.shape != ta.shape or tangent_aval(pa).dtype != ta.dtype and dtypes.is_floating(pa.dtype):
            raise ValueError(f"jvp: tangent {ta.str_short()} does not match primal {pa.str_short()} "
                             "(shapes and float dtypes must agree)")
    out_store = []
    flat = _flatten_fun(_aux_wrapper(fun, has_aux), p_tree, out_store)
    out_p, out_t = jvp_flat(flat, p_leaves, t_leaves, f"jvp({_name(fun)})")
    out_t = [instantiate(t) for t in out_t]
    return _split_aux(out_store[0], out_p, out_t, has_aux)


def _aux_wrapper(fun, has_aux):
    if not has_aux:
        return fun

    def wrapped(*args):
        out = fun(*args)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"{_name(fun)} was transformed with has_aux=True, so it must return a "
                            f"pair (output, aux), got {type(out).__name__}")
        return tuple(out)
    return wrapped


def _split_aux(out_tree, primals_out, second, has_aux):
    """Rebuild (out, second[, aux]) from flat lists, aux taking no tangents."""
    if not has_aux:
        return (tree_util.tree_unflatten(out_tree, primals_out),
                tree_util.tree_unflatten(out_tree, second))
    main_tree, aux_tree = out_tree.children()
    n = main_tree.num_leaves
    return (tree_util.tree_unflatten(main_tree, primals_out[:n]),
            tree_util.tree_unflatten(main_tree, second[:n]),
            tree_util.tree_unflatten(aux_tree, primals_out[n:]))


def linearize(fun, *primals, has_aux=False):
    """(fun(*primals), f_jvp) where f_jvp(*tangents) evaluates the linearized function.

    The primal computation runs once now; f_jvp replays only the linear part, staged
    as a jaxpr over the saved residuals.
    """
    p_leaves, p_tree = tree_util.tree_flatten(primals)
    out_store = []
    flat = _flatten_fun(_aux_wrapper(fun, has_aux), p_tree, out_store)
    out_p, jaxpr, residuals = linearize_flat(flat, p_leaves, f"linearize({_name(fun)})")
    out_tree = out_store[0]
    main_tree = out_tree.children()[0] if has_aux else out_tree
    n_main = main_tree.num_leaves

    def f_jvp(*tangents):
        t_leaves, t_tree = tree_util.tree_flatten(tangents)
        if t_tree != p_tree:
            raise ValueError(f"linearized function expects tangents structured like {p_tree}, "
                             f"got {t_tree}")
        from fx.ir.jaxpr import eval_jaxpr
        outs = eval_jaxpr(jaxpr, residuals, *t_leaves)
        return tree_util.tree_unflatten(main_tree, outs[:n_main])

    primal_out = tree_util.tree_unflatten(main_tree, out_p[:n_main])
    if has_aux:
        return primal_out, f_jvp, tree_util.tree_unflatten(out_tree.children()[1], out_p[n_main:])
    return primal_out, f_jvp


# ---------------------------------------------------------------------------- reverse mode

def vjp(fun, *primals, has_aux=False):
    """(fun(*primals), f_vjp) where f_vjp(cotangent) returns the cotangents of the primals."""
    p_leaves, p_tree = tree_util.tree_flatten(primals)
    for leaf in p_leaves:
        _check_array(leaf, f"vjp({_name(fun)}) argument")
    out_store = []
    flat = _flatten_fun(_aux_wrapper(fun, has_aux), p_tree, out_store)
    out_p, pullback = vjp_flat(flat, p_leaves, f"vjp({_name(fun)})")
    out_tree = out_store[0]
    main_tree = out_tree.children()[0] if has_aux else out_tree
    n_main = main_tree.num_leaves
    main_avals = [get_aval(o) for o in out_p[:n_main]]

    def f_vjp(ct):
        ct_leaves, ct_tree = tree_util.tree_flatten(ct)
        if ct_tree != main_tree:
            raise ValueError(f"vjp function expects a cotangent structured like the output "
                             f"{main_tree}, got {ct_tree}")
        for c, a in zip(ct_leaves, main_avals):
            if get_aval(c).shape != a.shape:
                raise ValueError(f"vjp: cotangent {get_aval(c).str_short()} does not match output "
                                 f"{a.str_short()}")
        cts = [_like_primal(c, a) for c, a in zip(pullback(ct_leaves), primal_avals)]
        return tree_util.tree_unflatten(p_tree, cts)

    primal_avals = [get_aval(p) for p in p_leaves]
    primal_out = tree_util.tree_unflatten(main_tree, out_p[:n_main])
    if has_aux:
        return primal_out, f_vjp, tree_util.tree_unflatten(out_tree.children()[1], out_p[n_main:])
    return primal_out, f_vjp


def _like_primal(ct, aval):
    """A cotangent typed like its primal: weakly typed for a Python-scalar input, as in JAX."""
    if aval.weak_type and not get_aval(ct).weak_type and get_aval(ct).dtype == aval.dtype:
        from fx import lax
        return lax._convert_weak(ct, aval.dtype, True)
    return ct


def value_and_grad(fun, argnums=0, has_aux=False, allow_int=False):
    """A function returning (fun(*args), the gradient of fun wrt args[argnums])."""
    @functools.wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args), fun)
        f = functools.partial(fun, **kwargs) if kwargs else fun
        partial, dyn = _partial_args(f, args, nums)
        for leaf in tree_util.tree_leaves(dyn):
            _check_grad_input(leaf, allow_int)
        out = vjp(partial, *dyn, has_aux=has_aux)
        value, f_vjp = out[0], out[1]
        leaves = tree_util.tree_leaves(value)
        if len(leaves) != 1 or get_aval(leaves[0]).shape != ():
            shape = get_aval(leaves[0]).shape if len(leaves) == 1 else f"a pytree of {len(leaves)} arrays"
            raise TypeError(f"Gradient only defined for scalar-output functions. Output had shape: "
                            f"{shape}. Use jacrev/jacfwd for non-scalar outputs, or vjp.")
        if not dtypes.is_floating(get_aval(leaves[0]).dtype):
            raise TypeError(f"grad requires a real-valued (floating) output, got "
                            f"{get_aval(leaves[0]).str_short()}")
        from fx import lax
        grads = f_vjp(lax.full_like(value, 1.0))
        grads = grads[0] if single else grads
        return ((value, out[2]), grads) if has_aux else (value, grads)
    return value_and_grad_f


def grad(fun, argnums=0, has_aux=False, allow_int=False):
    """The gradient of a scalar function with respect to args[argnums] (JAX's jax.grad)."""
    vg = value_and_grad(fun, argnums, has_aux, allow_int)

    @functools.wraps(fun)
    def grad_f(*args, **kwargs):
        (value, grads) = vg(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return grad_f


def _check_grad_input(x, allow_int):
    dtype = get_aval(x).dtype
    if not dtypes.is_floating(dtype) and not allow_int:
        raise TypeError(f"grad requires real-valued inputs (a floating dtype), but got {dtype.name}. "
                        "If you want to use integer or boolean inputs, use vjp or set allow_int=True.")


# ---------------------------------------------------------------------------- vmap

def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None):
    """Vectorise fun over an axis of its inputs (JAX's jax.vmap)."""
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)  # JAX treats a list prefix like a tuple

    @functools.wraps(fun)
    def vmapped(*args, **kwargs):
        if kwargs:  # keyword arguments are mapped over axis 0, as in JAX
            return vmap(lambda a, k: fun(*a, **k), (in_axes, 0), out_axes,
                        axis_size=axis_size)(args, kwargs)
        leaves, in_tree = tree_util.tree_flatten(args)
        axes_prefix = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(f"vmap in_axes must be an int, None, or a tuple with one entry per "
                             f"positional argument; got in_axes={in_axes} for {len(args)} arguments")
        dims = tree_util.broadcast_prefix(axes_prefix, args)
        size = _mapped_size(fun, leaves, dims, axis_size, in_tree)
        dims = [None if d is None else _canonical_axis(d, get_aval(x).ndim, "in_axes")
                for x, d in zip(leaves, dims)]
        out_store = []
        flat = _flatten_fun(fun, in_tree, out_store)
        outs, out_dims = batch_flat(flat, leaves, dims, size, f"vmap({_name(fun)})")
        out_tree = out_store[0]
        out_axes_flat = tree_util.broadcast_prefix(
            out_axes, tree_util.tree_unflatten(out_tree, outs), is_leaf=lambda x: x is None)
        final = [_to_out_axis(o, d, a, size) for o, d, a in zip(outs, out_dims, out_axes_flat)]
        return tree_util.tree_unflatten(out_tree, final)
    return vmapped


def _canonical_axis(axis, ndim, what):
    if not -ndim <= axis < ndim:
        raise ValueError(f"vmap {what}={axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def _mapped_size(fun, leaves, dims, axis_size, in_tree):
    sizes = {}
    for i, (x, d) in enumerate(zip(leaves, dims)):
        if d is not None:
            shape = get_aval(x).shape
            if not shape:
                raise ValueError(f"vmap was requested to map its argument along axis {d}, which "
                                 f"implies that its rank should be at least {d + 1}, but is only 0 "
                                 "(its shape is ())")
            _canonical_axis(d, len(shape), "in_axes")
            sizes.setdefault(shape[d % len(shape)], []).append((i, shape, d))
    if axis_size is not None:
        sizes.setdefault(axis_size, [])
    if len(sizes) > 1:
        lines = [f"  argument leaf {i} of shape {shape} mapped along axis {d} has size {shape[d]}"
                 for size in sizes for (i, shape, d) in sizes[size]]
        raise ValueError(f"vmap({_name(fun)}) got inconsistent sizes for array axes to be mapped:\n"
                         + "\n".join(lines) + (f"\n  axis_size={axis_size}" if axis_size else ""))
    if not sizes:
        raise ValueError(f"vmap({_name(fun)}) must have at least one non-None value in in_axes, "
                         "or be given axis_size")
    return next(iter(sizes))


def _to_out_axis(x, bdim, out_axis, size):
    from fx import lax
    if out_axis is None:
        if bdim is not None:
            raise ValueError("vmap has out_axes=None for an output that is mapped over the batch "
                             "axis; out_axes=None requires outputs that do not depend on it")
        return x
    if bdim is None:
        x = lax.broadcast(x, (size,))
        bdim = 0
    return moveaxis(x, bdim, _canonical_axis(out_axis, get_aval(x).ndim, "out_axes"))


# ---------------------------------------------------------------------------- jacobians

def jacfwd(fun, argnums=0, has_aux=False):
    """The Jacobian by forward mode: one jvp per input element, batched with vmap."""
    def jac(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args), fun)
        f = functools.partial(fun, **kwargs) if kwargs else fun
        partial, dyn = _partial_args(f, args, nums)
        in_leaves, in_tree = tree_util.tree_flatten(dyn)
        basis = _basis(in_leaves)

        def push(t_flat):
            tangents = tree_util.tree_unflatten(in_tree, _split_flat(t_flat, in_leaves))
            return jvp(partial, dyn, tangents, has_aux=has_aux)

        out = vmap(push, out_axes=(None, -1, None) if has_aux else (None, -1))(basis)
        y, jac_flat = out[0], out[1]
        result = tree_util.tree_map(lambda o, j: _reshape_jac(j, get_aval(o).shape, in_leaves, in_tree,
                                                              single), y, jac_flat)
        return (result, out[2]) if has_aux else result
    return jac


def jacrev(fun, argnums=0, has_aux=False, allow_int=False):
    """The Jacobian by reverse mode: one vjp per output element, batched with vmap."""
    def jac(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args), fun)
        f = functools.partial(fun, **kwargs) if kwargs else fun
        partial, dyn = _partial_args(f, args, nums)
        in_leaves, in_tree = tree_util.tree_flatten(dyn)
        out = vjp(partial, *dyn, has_aux=has_aux)
        y, f_vjp = out[0], out[1]
        out_leaves, out_tree = tree_util.tree_flatten(y)
        basis = _basis(out_leaves)

        def pull(c_flat):
            return f_vjp(tree_util.tree_unflatten(out_tree, _split_flat(c_flat, out_leaves)))

        cts = vmap(pull)(basis)  # tuple over args, leading axis = flattened outputs
        ct_leaves = tree_util.tree_leaves(cts)
        per_out = []
        offset = 0
        for o in out_leaves:
            n = get_aval(o).size
            per_in = [_reshape_rows(c[offset:offset + n], get_aval(o).shape) for c in ct_leaves]
            ins = tree_util.tree_unflatten(in_tree, per_in)
            per_out.append(ins[0] if single else ins)
            offset += n
        result = tree_util.tree_unflatten(out_tree, per_out)
        return (result, out[2]) if has_aux else result
    return jac


def hessian(fun, argnums=0, has_aux=False):
    """Second derivatives: jacfwd of jacrev, as in JAX."""
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux), argnums, has_aux=has_aux)


def _basis(leaves):
    """The identity over all elements of `leaves`, as flat rows: (n, n) in a common dtype."""
    from fx import numpy as jnp
    sizes = [get_aval(x).size for x in leaves]
    dtype = dtypes.result_type(*(get_aval(x).dtype for x in leaves)) if leaves else np.float32
    return jnp.eye(int(sum(sizes)), dtype=dtype)


def _split_flat(flat, like):
    from fx import lax
    out, offset = [], 0
    for x in like:
        aval = get_aval(x)
        piece = flat[offset:offset + aval.size].reshape(aval.shape)
        out.append(lax.convert_element_type(piece, aval.dtype) if piece.dtype != aval.dtype else piece)
        offset += aval.size
    return out


def _reshape_rows(c, out_shape):
    return c.reshape(out_shape + c.shape[1:])


def _reshape_jac(j, out_shape, in_leaves, in_tree, single):
    """Split jacfwd's trailing flat input axis into per-input blocks shaped out + in."""
    pieces, offset = [], 0
    for x in in_leaves:
        aval = get_aval(x)
        pieces.append(j[..., offset:offset + aval.size].reshape(out_shape + aval.shape))
        offset += aval.size
    ins = tree_util.tree_unflatten(in_tree, pieces)
    return ins[0] if single else ins


# ---------------------------------------------------------------------------- staging views

def make_jaxpr(fun, static_argnums=(), return_shape=False):
    """A function returning the ClosedJaxpr fx traces for fun at the given arguments."""
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def make(*args, **kwargs):
        dyn_idx = [i for i in range(len(args)) if i not in static]
        dyn = [args[i] for i in dyn_idx]

        def f(*dyn_args):
            full = list(args)
            for i, a in zip(dyn_idx, dyn_args):
                full[i] = a
            return fun(*full, **kwargs)
        leaves, in_tree = tree_util.tree_flatten(tuple(dyn))
        out_store = []
        jaxpr, consts = trace_to_jaxpr(_flatten_fun(f, in_tree, out_store),
                                       [_shape_aval(x) for x in leaves], f"make_jaxpr({_name(fun)})")
        closed = ClosedJaxpr(jaxpr, consts)
        if return_shape:
            shapes = [ShapeDtypeStruct(v.aval.shape, v.aval.dtype, v.aval.weak_type)
                      for v in jaxpr.outvars]
            return closed, tree_util.tree_unflatten(out_store[0], shapes)
        return closed
    return make


class ShapeDtypeStruct(NamedTuple):
    shape: tuple
    dtype: np.dtype
    weak_type: bool = False

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    @property
    def aval(self):
        from fx.core import ShapedArray
        return ShapedArray(self.shape, self.dtype, self.weak_type)


def _shape_aval(x):
    if isinstance(x, ShapeDtypeStruct):
        return x.aval
    return get_aval(x)


def eval_shape(fun, *args, **kwargs):
    """The output shapes and dtypes of fun, without computing anything."""
    leaves, in_tree = tree_util.tree_flatten(args)
    out_store = []
    jaxpr, _ = trace_to_jaxpr(_flatten_fun(lambda *a: fun(*a, **kwargs), in_tree, out_store),
                              [_shape_aval(x) for x in leaves], f"eval_shape({_name(fun)})")
    return tree_util.tree_unflatten(out_store[0], [
        ShapeDtypeStruct(v.aval.shape, v.aval.dtype, v.aval.weak_type) for v in jaxpr.outvars])


def linear_transpose(fun, *primals):
    """The transpose of a linear function, traced at the primals' shapes."""
    p_leaves, p_tree = tree_util.tree_flatten(primals)
    out_store = []
    jaxpr, consts = trace_to_jaxpr(_flatten_fun(fun, p_tree, out_store),
                                   [get_aval(x) for x in p_leaves], "linear_transpose")

    def transposed(ct):
        ct_leaves, _ = tree_util.tree_flatten(ct)
        undefined = [UndefinedPrimal(v.aval) for v in jaxpr.invars]
        cts = backward_pass(jaxpr, consts, undefined, ct_leaves)
        return tree_util.tree_unflatten(p_tree, [instantiate(c) for c in cts])
    return transposed


# ---------------------------------------------------------------------------- arrays

def block_until_ready(x):
    for leaf in tree_util.tree_leaves(x):
        if hasattr(leaf, "block_until_ready"):
            leaf.block_until_ready()
    return x


def device_put(x, device=None):
    from fx import numpy as jnp
    return tree_util.tree_map(jnp.asarray, x)


def device_get(x):
    return tree_util.tree_map(lambda leaf: np.asarray(leaf) if is_array_like(leaf) else leaf, x)


__all__ = ["jvp", "linearize", "vjp", "grad", "value_and_grad", "vmap", "jacfwd", "jacrev",
           "hessian", "jit", "disable_jit", "make_jaxpr", "eval_shape", "ShapeDtypeStruct",
           "linear_transpose", "block_until_ready", "device_put", "device_get"]
