"""Functions that map a Python function over arrays: vectorize (with NumPy's generalized
ufunc `signature=`), apply_along_axis, apply_over_axes, fromfunction.

They are built on fx.vmap, so the mapped function is traced once, whatever the number
of elements, and the result jits and differentiates like any fx code.
"""
from __future__ import annotations

import functools
import re

import fx.numpy as jnp
from fx import tree_util
from fx.api import vmap
from fx.argcheck import canonicalize_axis, check_callable

_DIMS = r"\((?:\w+(?:,\s*\w+)*)?\)"
_SIGNATURE = re.compile(rf"^\s*({_DIMS}(?:,\s*{_DIMS})*)\s*->\s*({_DIMS}(?:,\s*{_DIMS})*)\s*$")


def _parse_signature(signature):
    """'(m,n),(n)->(m)' -> ([('m', 'n'), ('n',)], [('m',)])."""
    match = _SIGNATURE.match(signature)
    if match is None:
        raise ValueError(f"fx.numpy.vectorize: invalid signature {signature!r}; expected the form "
                         f"'(m,n),(n)->(m)'")
    def parse(side):
        return [tuple(d.strip() for d in group.split(",") if d.strip())
                for group in re.findall(r"\(([^)]*)\)", side)]
    return parse(match.group(1)), parse(match.group(2))


class vectorize:  # noqa: N801  (NumPy's and JAX's name)
    """pyfunc mapped over the leading (broadcast) axes of its array arguments. Without a
    signature every element is a separate call; with one, each argument's trailing core
    dimensions are passed whole. Arguments named in `excluded` (positions or keywords)
    pass through unmapped."""

    def __init__(self, pyfunc, *, excluded=frozenset(), signature=None):
        check_callable(pyfunc, "fx.numpy.vectorize's pyfunc")
        self.pyfunc, self.excluded, self.signature = pyfunc, frozenset(excluded), signature
        self.core = _parse_signature(signature) if signature is not None else None
        functools.update_wrapper(self, pyfunc)

    def __call__(self, *args, **kwargs):
        static_kwargs = {k: v for k, v in kwargs.items() if k in self.excluded}
        mapped_names = [k for k in kwargs if k not in self.excluded]
        positions = [i for i in range(len(args)) if i not in self.excluded]
        values = [jnp.asarray(args[i]) for i in positions] + [jnp.asarray(kwargs[k]) for k in mapped_names]

        def call(*mapped):
            full = list(args)
            for i, v in zip(positions, mapped):
                full[i] = v
            named = dict(static_kwargs, **dict(zip(mapped_names, mapped[len(positions):])))
            return self.pyfunc(*full, **named)

        in_core = self.core[0] if self.core else [()] * len(values)
        if len(in_core) != len(values):
            raise TypeError(f"fx.numpy.vectorize: the signature {self.signature!r} has {len(in_core)} "
                            f"inputs, but {len(values)} arrays were passed")
        sizes = {}
        loop_shapes = []
        for v, dims in zip(values, in_core):
            if v.ndim < len(dims):
                raise ValueError(f"fx.numpy.vectorize: an input of shape {v.shape} has fewer dimensions "
                                 f"than its core dimensions {dims}")
            for name, size in zip(dims, v.shape[v.ndim - len(dims):]):
                if sizes.setdefault(name, size) != size:
                    raise ValueError(f"fx.numpy.vectorize: inconsistent size for core dimension "
                                     f"{name!r}: {sizes[name]} and {size}")
            loop_shapes.append(v.shape[:v.ndim - len(dims)])
        loop = jnp.broadcast_shapes(*loop_shapes)
        count = 1
        for s in loop:
            count *= s
        flat = [jnp.broadcast_to(v, loop + v.shape[v.ndim - len(d):]).reshape((count,) + v.shape[v.ndim - len(d):])
                for v, d in zip(values, in_core)]
        out = vmap(call)(*flat)
        if self.core is not None:
            self._check_outputs(out, sizes)
        return tree_util.tree_map(lambda o: jnp.reshape(o, loop + o.shape[1:]), out)

    def _check_outputs(self, out, sizes):
        out_core = self.core[1]
        outs = out if isinstance(out, tuple) else (out,)
        if len(outs) != len(out_core):
            raise ValueError(f"fx.numpy.vectorize: the signature {self.signature!r} has {len(out_core)} "
                             f"outputs, but the function returned {len(outs)}")
        for o, dims in zip(outs, out_core):
            if o.ndim - 1 != len(dims) or any(sizes.get(n, s) != s for n, s in zip(dims, o.shape[1:])):
                raise ValueError(f"fx.numpy.vectorize: an output of shape {o.shape[1:]} does not match "
                                 f"its core dimensions {dims} in {self.signature!r}")


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """func1d applied to each 1-D slice of arr along `axis`; its output's dimensions take
    that axis's place."""
    arr = jnp.asarray(arr)
    axis = canonicalize_axis(axis, arr.ndim)
    func = lambda x: func1d(x, *args, **kwargs)  # noqa: E731
    for _ in range(axis):  # the axes before `axis`, then those after, are mapped
        func = vmap(func, in_axes=0, out_axes=0)
    for _ in range(arr.ndim - axis - 1):
        func = vmap(func, in_axes=-1, out_axes=-1)
    return func(arr)


def apply_over_axes(func, a, axes):
    """func(a, axis) applied for each axis in turn; a result one rank lower gets that axis
    back (size 1), so the rank is kept."""
    a = jnp.asarray(a)
    for axis in ([axes] if isinstance(axes, int) else axes):
        out = jnp.asarray(func(a, axis))
        if out.ndim == a.ndim - 1:
            out = jnp.expand_dims(out, axis)
        elif out.ndim != a.ndim:
            raise ValueError(f"fx.numpy.apply_over_axes: func must keep the rank or drop axis {axis}, "
                             f"got shape {out.shape} from shape {a.shape}")
        a = out
    return a


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """function(i, j, ...) at every index of `shape` (the indices of `dtype`): traced once,
    with scalar indices, and vmapped over each axis, as in JAX."""
    shape = tuple(shape)
    func = functools.partial(function, **kwargs)
    for axis in range(len(shape)):
        in_axes = [0 if d == axis else None for d in range(len(shape))]
        func = vmap(func, in_axes=tuple(in_axes[::-1]))
    return func(*(jnp.arange(s, dtype=dtype) for s in shape))
