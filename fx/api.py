"""The public transforms. They only arrange pytrees and arguments; the work is done by
the flat transforms in fx/transforms (jvp_flat, linearize_flat, vjp_flat, batch_flat,
trace_to_jaxpr) and by jit.
"""
from __future__ import annotations

import functools

import numpy as np

from fx import dtypes, lax, tree_util
from fx.config import config
from fx.argcheck import (check_bool, check_callable, describe, index, int_tuple,
                         normalize_argnums)
from fx.array import Array, ArrayImpl, Device, buffer_on
from fx.core import ShapeDtypeStruct, UndefinedPrimal, get_aval, is_array_like, tangent_aval
from fx.ir.jaxpr import ClosedJaxpr, eval_jaxpr
from fx.sharding import SingleDeviceSharding
from fx.transforms.arguments import check_array as _check_array, flatten_fun as _flatten_fun
from fx.transforms.arguments import function_name as _name
from fx.transforms.batching import batch_flat, moveaxis
from fx.transforms.jit import disable_jit, jit  # noqa: F401  (public re-export)
from fx.transforms.jvp import instantiate, jvp_flat
from fx.transforms.partial_eval import linearize_flat
from fx.transforms.staging import trace_to_jaxpr
from fx.transforms.transpose import backward_pass, vjp_flat


def _argnums_spec(argnums, where):
    """(whether argnums is one int, the positions), checked when the transform is built."""
    nums = int_tuple(argnums, f"{where}: argnums", allow_int=True)
    if not nums:
        raise ValueError(f"{where}: argnums must name at least one argument, got {argnums!r}")
    return not isinstance(argnums, (tuple, list)), nums


def _resolve_argnums(nums, nargs, where):
    """The positions for a call with `nargs` positional arguments, each at most once."""
    for i in nums:
        if i >= nargs:
            raise TypeError(f"{where}: differentiating with respect to argnums={i} requires at "
                            f"least {i + 1} positional arguments, got {nargs}")
    resolved = normalize_argnums(nums, nargs, f"{where}: argnums")
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"{where}: argnums {nums} names an argument more than once")
    return resolved


def _partial_args(fun, args, argnums):
    """(function of the selected args only, the selected args)."""
    def partial(*dyn):
        full = list(args)
        for i, a in zip(argnums, dyn):
            full[i] = a
        return fun(*full)
    partial.__name__ = _name(fun)
    return partial, tuple(args[i] for i in argnums)


def _check_avals(values, expected, where, what, error=ValueError):
    """Each value has the shape and (for floating expectations) dtype of its expected aval;
    a weakly typed value takes the expected float dtype."""
    out = []
    for i, (x, want) in enumerate(zip(values, expected)):
        got = get_aval(x)
        dtype_ok = (got.dtype == want.dtype or not dtypes.is_inexact(want.dtype)
                    or got.weak_type and dtypes.is_inexact(got.dtype))
        if got.shape != want.shape or not dtype_ok:
            raise error(f"{where}: {what} {i} has type {got.str_short()}, but "
                        f"{want.str_short()} was expected (the shape and floating dtype must "
                        "match)")
        if got.dtype != want.dtype and dtypes.is_inexact(want.dtype):
            x = lax.convert_element_type(x, want.dtype)
        out.append(x)
    return out


def _check_tree(tree, expected, where, what, error=ValueError):
    if tree != expected:
        raise error(f"{where}: {what} must have the tree structure {expected}, got {tree}")


# ---------------------------------------------------------------------------- forward mode

def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), the directional derivative of fun at primals along tangents)."""
    where = f"jvp({_name(fun)})"
    check_callable(fun, "jvp: fun")
    check_bool(has_aux, f"{where}: has_aux")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"{where}: primals and tangents must be tuples or lists (one entry per "
                        f"argument), got {type(primals).__name__} and {type(tangents).__name__}")
    p_leaves, p_tree = tree_util.tree_flatten(tuple(primals))
    t_leaves, t_tree = tree_util.tree_flatten(tuple(tangents))
    if p_tree != t_tree:
        raise ValueError(f"{where}: primal and tangent arguments must have equal tree structure, "
                         f"got {p_tree} and {t_tree}")
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        pa, ta = _arg_aval(p, where, "primal"), _arg_aval(t, where, "tangent")
        if pa.shape != ta.shape:
            raise ValueError(f"{where}: tangent {i} has shape {ta.shape} but its primal has "
                             f"shape {pa.shape}; they must be equal")
        if dtypes.is_inexact(pa.dtype) and tangent_aval(pa).dtype != ta.dtype:
            raise TypeError(f"{where}: tangent {i} has dtype {ta.dtype.name} but its primal has "
                            f"dtype {pa.dtype.name}; a floating primal takes a tangent of its "
                            "own dtype")
    out_store = []
    aux_fun, rebuild_aux = _aux_wrapper(fun, has_aux)
    flat = _flatten_fun(aux_fun, p_tree, out_store)
    out_p, out_t = jvp_flat(flat, p_leaves, t_leaves, f"jvp({_name(fun)})")
    out_t = [instantiate(t) for t in out_t]
    return _split_aux(out_store[0], out_p, out_t, rebuild_aux)


def _arg_aval(x, where, what):
    try:
        return get_aval(x)
    except TypeError:
        raise TypeError(f"{where}: each {what} must be an array or a Python number, got "
                        f"{describe(x)}") from None


def _aux_wrapper(fun, has_aux):
    """(fun, None), or for has_aux (a function returning (output, aux's array leaves), a
    function rebuilding aux from those leaves once transformed). Aux's other leaves
    (Python numbers, strings, NumPy arrays) skip the transform and come back as they are,
    as in JAX."""
    if not has_aux:
        return fun, None
    aux_store = []

    def wrapped(*args):
        out = fun(*args)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"{_name(fun)} was transformed with has_aux=True, so it must return a "
                            f"pair (output, aux), got {describe(out)}")
        leaves, tree = tree_util.tree_flatten(out[1])
        aux_store.append((tree, leaves))
        return out[0], [leaf for leaf in leaves if isinstance(leaf, Array)]
    wrapped.__name__ = _name(fun)

    def rebuild_aux(arrays):
        tree, leaves = aux_store[-1]
        arrays = iter(arrays)
        return tree_util.tree_unflatten(
            tree, [next(arrays) if isinstance(leaf, Array) else leaf for leaf in leaves])
    return wrapped, rebuild_aux


def _split_aux(out_tree, primals_out, second, rebuild_aux):
    """Rebuild (out, second[, aux]) from flat lists, aux taking no tangents."""
    if rebuild_aux is None:
        return (tree_util.tree_unflatten(out_tree, primals_out),
                tree_util.tree_unflatten(out_tree, second))
    main_tree = out_tree.children()[0]
    n = main_tree.num_leaves
    return (tree_util.tree_unflatten(main_tree, primals_out[:n]),
            tree_util.tree_unflatten(main_tree, second[:n]), rebuild_aux(primals_out[n:]))


def _flat_primals(transform, fun, primals, has_aux):
    """What linearize and vjp start from: the checked primals' leaves and tree, `fun`
    over flat leaves (its out tree goes to the returned store) and aux's rebuilder."""
    check_callable(fun, f"{transform}: fun")
    check_bool(has_aux, f"{transform}({_name(fun)}): has_aux")
    p_leaves, p_tree = tree_util.tree_flatten(primals)
    for leaf in p_leaves:
        _check_array(leaf, f"{transform}({_name(fun)}) argument")
    out_store = []
    aux_fun, rebuild_aux = _aux_wrapper(fun, has_aux)
    return p_leaves, p_tree, _flatten_fun(aux_fun, p_tree, out_store), out_store, rebuild_aux


def linearize(fun, *primals, has_aux=False):
    """(fun(*primals), f_jvp) where f_jvp(*tangents) evaluates the linearized function.

    The primal computation runs once now; f_jvp replays only the linear part, staged
    as a jaxpr over the saved residuals.
    """
    p_leaves, p_tree, flat, out_store, rebuild_aux = _flat_primals("linearize", fun, primals,
                                                                   has_aux)
    out_p, jaxpr, residuals = linearize_flat(flat, p_leaves, f"linearize({_name(fun)})")
    out_tree = out_store[0]
    main_tree = out_tree.children()[0] if has_aux else out_tree
    n_main = main_tree.num_leaves

    def f_jvp(*tangents):
        t_leaves, t_tree = tree_util.tree_flatten(tangents)
        where = f"linearize({_name(fun)}) jvp function"
        _check_tree(t_tree, p_tree, where, "its tangents (one per primal)")
        t_leaves = _check_avals(t_leaves, [tangent_aval(get_aval(p)) for p in p_leaves], where,
                                "tangent")
        outs = eval_jaxpr(jaxpr, residuals, *t_leaves)
        return tree_util.tree_unflatten(main_tree, outs[:n_main])

    primal_out = tree_util.tree_unflatten(main_tree, out_p[:n_main])
    if has_aux:
        return primal_out, f_jvp, rebuild_aux(out_p[n_main:])
    return primal_out, f_jvp


# ---------------------------------------------------------------------------- reverse mode

def vjp(fun, *primals, has_aux=False):
    """(fun(*primals), f_vjp) where f_vjp(cotangent) returns the cotangents of the primals."""
    p_leaves, p_tree, flat, out_store, rebuild_aux = _flat_primals("vjp", fun, primals, has_aux)
    out_p, pullback = vjp_flat(flat, p_leaves, f"vjp({_name(fun)})")
    out_tree = out_store[0]
    main_tree = out_tree.children()[0] if has_aux else out_tree
    n_main = main_tree.num_leaves
    main_avals = [get_aval(o) for o in out_p[:n_main]]

    def f_vjp(ct):
        ct_leaves, ct_tree = tree_util.tree_flatten(ct)
        where = f"vjp({_name(fun)}) function"
        _check_tree(ct_tree, main_tree, where, "its cotangent (structured like the output)")
        ct_leaves = _check_avals(ct_leaves, main_avals, where, "cotangent leaf")
        cts = [_like_primal(c, a) for c, a in zip(pullback(ct_leaves), primal_avals)]
        return tree_util.tree_unflatten(p_tree, cts)

    primal_avals = [get_aval(p) for p in p_leaves]
    primal_out = tree_util.tree_unflatten(main_tree, out_p[:n_main])
    if has_aux:
        return primal_out, f_vjp, rebuild_aux(out_p[n_main:])
    return primal_out, f_vjp


def _like_primal(ct, aval):
    """A cotangent typed like its primal: weakly typed for a Python-scalar input, as in JAX."""
    if aval.weak_type and not get_aval(ct).weak_type and get_aval(ct).dtype == aval.dtype:
        return lax._convert_weak(ct, aval.dtype, True)
    return ct


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """A function returning (fun(*args), the gradient of fun wrt args[argnums])."""
    return _value_and_grad(fun, argnums, has_aux, holomorphic, allow_int, "value_and_grad")


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """The gradient of a scalar function with respect to args[argnums] (JAX's jax.grad).

    A real-valued function of complex inputs gets JAX's convention, the vector-Jacobian
    product with 1.0: df/dx - i df/dy for z = x + iy (grad of |z|**2 is 2 conj(z)). A
    complex-valued holomorphic function needs holomorphic=True and gets f'(z)."""
    vg = _value_and_grad(fun, argnums, has_aux, holomorphic, allow_int, "grad")

    @functools.wraps(fun)
    def grad_f(*args, **kwargs):
        (value, grads) = vg(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return grad_f


def _value_and_grad(fun, argnums, has_aux, holomorphic, allow_int, kind):
    where = f"{kind}({_name(check_callable(fun, f'{kind}: fun'))})"
    single, argnums = _argnums_spec(argnums, where)
    check_bool(has_aux, f"{where}: has_aux")
    check_bool(holomorphic, f"{where}: holomorphic")
    check_bool(allow_int, f"{where}: allow_int")

    @functools.wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        nums = _resolve_argnums(argnums, len(args), where)
        f = functools.partial(fun, **kwargs) if kwargs else fun
        partial, dyn = _partial_args(f, args, nums)
        for leaf in tree_util.tree_leaves(dyn):
            _check_grad_input(leaf, allow_int, where, holomorphic=holomorphic)
        out = vjp(partial, *dyn, has_aux=has_aux)
        value, f_vjp = out[0], out[1]
        _check_scalar_output(value, where)
        _check_output_dtype(value, where, holomorphic, "vjp")
        grads = f_vjp(lax.full_like(value, 1.0))
        grads = grads[0] if single else grads
        return ((value, out[2]), grads) if has_aux else (value, grads)
    return value_and_grad_f


def _check_scalar_output(value, where):
    tree = tree_util.tree_structure(value)
    shape = get_aval(value).shape if tree_util.treedef_is_leaf(tree) else None
    if shape != ():
        got = f"shape {shape}" if shape is not None else f"a pytree {tree}, not one array"
        raise TypeError(f"{where}: gradient only defined for scalar-output functions. Output had "
                        f"{got}. Use jacrev/jacfwd for non-scalar outputs, or vjp.")


def _check_output_dtype(value, where, holomorphic, direct):
    """JAX's rule for what a derivative's outputs may be: complex with holomorphic=True,
    else real floating (a complex output's derivative needs holomorphic or `direct`)."""
    dtype = get_aval(value).dtype
    if holomorphic:
        if not dtypes.is_complex(dtype):
            raise TypeError(f"{where} with holomorphic=True requires outputs with complex dtype, "
                            f"but got {dtype.name}.")
    elif dtypes.is_complex(dtype):
        raise TypeError(f"{where} requires real-valued outputs (a floating dtype), but got "
                        f"{dtype.name}. For holomorphic differentiation, pass holomorphic=True. "
                        f"For non-holomorphic functions with complex outputs, use {direct} directly.")
    elif not dtypes.is_floating(dtype):
        raise TypeError(f"{where} requires real-valued outputs (a floating dtype), but got "
                        f"{dtype.name}. For integer outputs, use {direct} directly.")


def _check_grad_input(x, allow_int, where, int_hint=" or set allow_int=True", holomorphic=False,
                      complex_ok=True):
    dtype = _arg_aval(x, where, "differentiated argument").dtype
    if holomorphic and not dtypes.is_complex(dtype):
        raise TypeError(f"{where} with holomorphic=True requires inputs with complex dtype, but "
                        f"got {dtype.name}.")
    if dtypes.is_complex(dtype) and not (complex_ok or holomorphic):
        raise TypeError(f"{where} requires real-valued inputs (a floating dtype), but got "
                        f"{dtype.name}. For holomorphic differentiation, pass holomorphic=True. "
                        "For non-holomorphic functions of complex inputs, use jvp directly.")
    if not dtypes.is_inexact(dtype) and not allow_int:
        raise TypeError(f"{where} requires real-valued inputs (a floating dtype), but got "
                        f"{dtype.name}. If you want to use integer or boolean inputs, use "
                        f"vjp{int_hint}.")


# ---------------------------------------------------------------------------- vmap

def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None):
    """Vectorise fun over an axis of its inputs (JAX's jax.vmap)."""
    where = f"vmap({_name(check_callable(fun, 'vmap: fun'))})"
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)  # JAX treats a list prefix like a tuple
    _check_axis_spec(in_axes, where, "in_axes")
    _check_axis_spec(out_axes, where, "out_axes")
    if axis_size is not None:
        axis_size = index(axis_size, f"{where}: axis_size", minimum=0)

    @functools.wraps(fun)
    def vmapped(*args, **kwargs):
        if kwargs:  # keyword arguments are mapped over axis 0, as in JAX
            return vmap(lambda a, k: fun(*a, **k), (in_axes, 0), out_axes,
                        axis_size=axis_size)(args, kwargs)
        leaves, in_tree = tree_util.tree_flatten(args)
        for leaf in leaves:
            _arg_aval(leaf, where, "argument")
        axes_prefix = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(f"{where}: in_axes must be an int, None, or a tuple with one entry "
                             f"per positional argument; got in_axes={in_axes} for {len(args)} "
                             "arguments")
        dims = _broadcast_axes(axes_prefix, args, where, "in_axes", "the arguments")
        size = _mapped_size(fun, leaves, dims, axis_size, in_tree)
        dims = [None if d is None else _canonical_axis(d, get_aval(x).ndim, "in_axes")
                for x, d in zip(leaves, dims)]
        out_store = []
        flat = _flatten_fun(fun, in_tree, out_store)
        outs, out_dims = batch_flat(flat, leaves, dims, size, f"vmap({_name(fun)})")
        out_tree = out_store[0]
        out_axes_flat = _broadcast_axes(out_axes, tree_util.tree_unflatten(out_tree, outs), where,
                                        "out_axes", "the outputs", is_leaf=lambda x: x is None)
        final = [_to_out_axis(o, d, a, size) for o, d, a in zip(outs, out_dims, out_axes_flat)]
        return tree_util.tree_unflatten(out_tree, final)
    return vmapped


def _check_axis_spec(axes, where, name):
    """in_axes/out_axes: an int, None, or a container of those (a top-level dict is not a
    valid in_axes, as in JAX: in_axes has one entry per positional argument)."""
    if name == "in_axes" and not isinstance(axes, (tuple, int, np.integer, type(None))):
        raise TypeError(f"{where}: {name} must be an int, None, or a tuple with one entry per "
                        f"positional argument, got {describe(axes)}")
    for leaf in tree_util.tree_leaves(axes, is_leaf=lambda x: x is None):
        if leaf is not None and (isinstance(leaf, bool) or not isinstance(leaf, (int, np.integer))):
            raise TypeError(f"{where}: {name} must be an int, None, or a container of those, "
                            f"got {describe(leaf)}"
                            + (f" in {name}={describe(axes)}" if leaf is not axes else ""))


def _broadcast_axes(axes, tree, where, name, what, is_leaf=None):
    try:
        return tree_util.broadcast_prefix(axes, tree, is_leaf=is_leaf)
    except ValueError as e:
        raise ValueError(f"{where}: {name} must be a tree prefix of {what}, but it is not.\n"
                         f"{e}") from None


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

def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Jacobian by forward mode: one jvp per input element, batched with vmap.
    Complex inputs need holomorphic=True (then the Jacobian is f'(z))."""
    single, selected = _jacobian_spec(fun, argnums, has_aux, False, "jacfwd", holomorphic)

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        partial, dyn = selected(args, kwargs)
        in_leaves, in_tree = tree_util.tree_flatten(dyn)
        basis = _basis(in_leaves)

        def push(t_flat):
            tangents = tree_util.tree_unflatten(in_tree, _split_flat(t_flat, in_leaves))
            return jvp(partial, dyn, tangents, has_aux=has_aux)

        out = vmap(push, out_axes=(None, -1, None) if has_aux else (None, -1))(basis)
        y, jac_flat = out[0], out[1]
        if holomorphic:
            for leaf in tree_util.tree_leaves(y):
                _check_output_dtype(leaf, f"jacfwd({_name(fun)})", True, "jvp")
        result = tree_util.tree_map(lambda o, j: _reshape_jac(j, get_aval(o).shape, in_leaves, in_tree,
                                                              single), y, jac_flat)
        return (result, out[2]) if has_aux else result
    return jac


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """The Jacobian by reverse mode: one vjp per output element, batched with vmap.
    Complex outputs need holomorphic=True (then the Jacobian is f'(z))."""
    single, selected = _jacobian_spec(fun, argnums, has_aux, allow_int, "jacrev", holomorphic)

    @functools.wraps(fun)
    def jac(*args, **kwargs):
        partial, dyn = selected(args, kwargs)
        in_leaves, in_tree = tree_util.tree_flatten(dyn)
        out = vjp(partial, *dyn, has_aux=has_aux)
        y, f_vjp = out[0], out[1]
        out_leaves, out_tree = tree_util.tree_flatten(y)
        for leaf in out_leaves:
            _check_output_dtype(leaf, f"jacrev({_name(fun)})", holomorphic, "vjp")
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


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """Second derivatives: jacfwd of jacrev, as in JAX."""
    check_callable(fun, "hessian: fun")
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic), argnums,
                  has_aux=has_aux, holomorphic=holomorphic)


def _jacobian_spec(fun, argnums, has_aux, allow_int, kind, holomorphic):
    """Check a Jacobian's arguments once; returns (whether argnums is one int, a function
    from a call's (args, kwargs) to (fun of the differentiated args, those args))."""
    where = f"{kind}({_name(check_callable(fun, f'{kind}: fun'))})"
    single, argnums = _argnums_spec(argnums, where)
    check_bool(has_aux, f"{where}: has_aux")
    check_bool(allow_int, f"{where}: allow_int")
    check_bool(holomorphic, f"{where}: holomorphic")

    def selected(args, kwargs):
        nums = _resolve_argnums(argnums, len(args), where)
        partial, dyn = _partial_args(functools.partial(fun, **kwargs) if kwargs else fun, args, nums)
        for leaf in tree_util.tree_leaves(dyn):
            _check_grad_input(leaf, allow_int, where, "" if kind == "jacfwd" else
                              " or set allow_int=True", holomorphic=holomorphic,
                              complex_ok=kind != "jacfwd")
        return partial, dyn
    return single, selected


def _basis(leaves):
    """The identity over all elements of `leaves`, as flat rows: (n, n) in a common dtype."""
    sizes = [get_aval(x).size for x in leaves]
    dtype = dtypes.result_type(*(get_aval(x).dtype for x in leaves)) if leaves else np.float32
    return ArrayImpl(np.eye(int(sum(sizes)), dtype=dtype))


def _split_flat(flat, like):
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
    where = f"make_jaxpr({_name(check_callable(fun, 'make_jaxpr: fun'))})"
    static_argnums = int_tuple(static_argnums, f"{where}: static_argnums", allow_none=True, allow_int=True)
    check_bool(return_shape, f"{where}: return_shape")

    @functools.wraps(fun)
    def make(*args, **kwargs):
        static = normalize_argnums(static_argnums, len(args), f"{where}: static_argnums")
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
                                       [_shape_aval(x, where) for x in leaves], where)
        closed = ClosedJaxpr(jaxpr, consts)
        if return_shape:
            shapes = [ShapeDtypeStruct(v.aval.shape, v.aval.dtype, v.aval.weak_type)
                      for v in jaxpr.outvars]
            return closed, tree_util.tree_unflatten(out_store[0], shapes)
        return closed
    return make


def _shape_aval(x, where):
    if isinstance(x, ShapeDtypeStruct):
        return x.aval
    return _arg_aval(x, where, "argument")


def eval_shape(fun, *args, **kwargs):
    """The output shapes and dtypes of fun, without computing anything."""
    where = f"eval_shape({_name(check_callable(fun, 'eval_shape: fun'))})"
    leaves, in_tree = tree_util.tree_flatten(args)
    out_store = []
    jaxpr, _ = trace_to_jaxpr(_flatten_fun(lambda *a: fun(*a, **kwargs), in_tree, out_store),
                              [_shape_aval(x, where) for x in leaves], where)
    return tree_util.tree_unflatten(out_store[0], [
        ShapeDtypeStruct(v.aval.shape, v.aval.dtype, v.aval.weak_type) for v in jaxpr.outvars])


def linear_transpose(fun, *primals):
    """The transpose of a linear function, traced at the primals' shapes."""
    where = f"linear_transpose({_name(check_callable(fun, 'linear_transpose: fun'))})"
    p_leaves, p_tree = tree_util.tree_flatten(primals)
    out_store = []
    jaxpr, consts = trace_to_jaxpr(_flatten_fun(fun, p_tree, out_store),
                                   [_shape_aval(x, where) for x in p_leaves], where)
    out_avals = [v.aval for v in jaxpr.outvars]

    def transposed(ct):
        ct_leaves, ct_tree = tree_util.tree_flatten(ct)
        _check_tree(ct_tree, out_store[0], f"{where} function", "its cotangent", TypeError)
        ct_leaves = _check_avals(ct_leaves, out_avals, f"{where} function", "cotangent leaf",
                                 TypeError)
        undefined = [UndefinedPrimal(v.aval) for v in jaxpr.invars]
        try:
            cts = backward_pass(jaxpr, consts, undefined, ct_leaves)
        except (TypeError, NotImplementedError) as e:  # a rule met a non-linear use of an input
            raise TypeError(f"{where}: fun must be linear in its inputs, but transposing it "
                            f"failed ({type(e).__name__}: {e})") from e
        return tree_util.tree_unflatten(p_tree, [instantiate(c) for c in cts])
    return transposed


# ---------------------------------------------------------------------------- arrays

def block_until_ready(x):
    for leaf in tree_util.tree_leaves(x):
        if hasattr(leaf, "block_until_ready"):
            leaf.block_until_ready()
    return x


def device_put(x, device=None):
    """`x`'s arrays (a pytree) as fx arrays committed to `device`, so that work on them
    runs there (JAX's rule); copies cross devices. With no device, arrays stay where they
    are and other values become uncommitted host arrays."""
    if isinstance(device, SingleDeviceSharding):
        (device,) = device.device_set
    if device is not None and not isinstance(device, Device):
        raise TypeError(f"device_put: expected an fx device (from fx.devices()), a "
                        f"SingleDeviceSharding or None, got {describe(device)}")

    def put(leaf):
        leaf = leaf if type(leaf) is ArrayImpl else lax._as_operand(leaf)
        if type(leaf) is not ArrayImpl or device is None:  # a tracer: the outer call places it
            return leaf
        if leaf._committed and leaf._device is device:
            return leaf
        return ArrayImpl._on_device(buffer_on(leaf, leaf.aval, device), leaf.aval, device)
    return tree_util.tree_map(put, x)


def debug_nans(enabled=True):
    """`with fx.debug_nans():` the `debug_nans` config option inside the block: compiled
    code stops at the first kernel that writes a NaN, with a FloatingPointError naming the
    primitive, the user's line and the pass (forward or backward); op by op, each primitive."""
    return config.override("debug_nans", bool(enabled))


def debug_infs(enabled=True):
    """`with fx.debug_infs():` as debug_nans, for infinities."""
    return config.override("debug_infs", bool(enabled))


def profile(fun, *args, repeat=10, **kwargs):
    """Compile `fun` for these arguments and profile it (Compiled.profile): a table of
    its kernels' times, bytes, flops and rooflines; `print` it, or read its `rows`."""
    return jit(fun).lower(*args, **kwargs).compile().profile(*args, repeat=repeat, **kwargs)


def typeof(x):
    """The abstract value (shape, dtype, weak type) fx gives `x`: an array, a tracer or a
    Python or NumPy number (JAX's jax.typeof)."""
    return get_aval(x)


def device_get(x):
    return tree_util.tree_map(lambda leaf: np.asarray(leaf) if is_array_like(leaf) else leaf, x)


__all__ = ["jvp", "linearize", "vjp", "grad", "value_and_grad", "vmap", "jacfwd", "jacrev",
           "hessian", "jit", "disable_jit", "make_jaxpr", "eval_shape", "ShapeDtypeStruct",
           "linear_transpose", "block_until_ready", "device_put", "device_get", "typeof",
           "debug_nans", "debug_infs", "profile"]
