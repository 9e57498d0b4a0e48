"""Checking derivatives against finite differences, as jax.test_util does.

    fx.test_util.check_grads(f, (x, y), order=2)   # JVPs and VJPs, up to second order

`check_grads` raises an AssertionError saying which derivative (e.g. "JVP of VJP") was
off and by how much. Tangents and cotangents are random but fixed (seeded), so a check
that passes once always passes.
"""
from __future__ import annotations

import functools

import numpy as np

from fx import dtypes, tree_util
from fx.api import jvp, vjp
from fx.core import get_aval

__all__ = ["check_grads", "check_jvp", "check_vjp"]

EPS = 1e-4
# the tolerance (atol and rtol) a dtype's finite differences allow by default
_TOLERANCE = {np.dtype(np.float16): 5e-2, np.dtype(dtypes.bfloat16): 1e-1, np.dtype(np.float32): 2e-3,
              np.dtype(np.float64): 1e-5, np.dtype(np.complex64): 2e-3, np.dtype(np.complex128): 1e-5}


def check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check f's derivatives at `args` up to `order`: in forward mode ("fwd") the JVP
    against a central finite difference, in reverse mode ("rev") the VJP against the JVP
    (<vjp(ct), t> = <ct, jvp(t)>); order > 1 checks the derivatives of those in turn."""
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"check_grads: modes must be 'fwd' and/or 'rev', got {tuple(modes)!r}")
    args, eps = tuple(args), eps or EPS

    def check(f, args, order, what):
        if "fwd" in modes:
            name = f"JVP of {what}" if what else "JVP"
            check_jvp(f, functools.partial(jvp, f), args, atol, rtol, eps, name)
            if order > 1:
                check(functools.partial(jvp, f), (args, args), order - 1, name)
        if "rev" in modes:
            name = f"VJP of {what}" if what else "VJP"
            check_vjp(f, functools.partial(vjp, f), args, atol, rtol, eps, name)
            if order > 1:
                def pulled_back(*primals):  # the VJP applied to the output, as a function
                    out, f_vjp = vjp(f, *primals)
                    return f_vjp(out)
                check(pulled_back, args, order - 1, name)
    check(f, args, order, "")


def check_jvp(f, f_jvp, args, atol=None, rtol=None, eps=EPS, err_msg="JVP"):
    """f_jvp(args, tangents) against a central difference of f along the same tangents."""
    tangents = _random_like(args, seed=0)
    out, tangent_out = f_jvp(args, tangents)
    _check_close(out, f(*args), atol, rtol, f"{err_msg} primal output")
    _check_close(tangent_out, _numerical_jvp(f, args, tangents, eps), atol, rtol, f"{err_msg} tangent")


def check_vjp(f, f_vjp, args, atol=None, rtol=None, eps=EPS, err_msg="VJP"):
    """<f_vjp(cotangent), t> against <cotangent, numerical JVP along t>."""
    out, pullback = f_vjp(*args)
    _check_close(out, f(*args), atol, rtol, f"{err_msg} primal output")
    tangents = _random_like(args, seed=1)
    cotangent = _random_like(out, seed=2)
    through_vjp = _inner(tangents, pullback(cotangent))
    through_jvp = _inner(_numerical_jvp(f, args, tangents, eps), cotangent)
    _check_close(through_vjp, through_jvp, atol, rtol, f"{err_msg} (as <vjp(ct), t> = <ct, jvp(t)>)")


def _numerical_jvp(f, args, tangents, eps):
    def shifted(sign):
        return f(*tree_util.tree_map(lambda x, t: _add(x, sign * eps, t), args, tangents))
    return tree_util.tree_map(lambda hi, lo: (_np(hi) - _np(lo)) / (2 * eps), shifted(1), shifted(-1))


def _add(x, scale, t):
    x = _np(x)
    return x if not dtypes.is_inexact(x.dtype) else (x + scale * t).astype(x.dtype)


def _random_like(tree, seed):
    """Standard normal values shaped as the inexact leaves of `tree` (zeros elsewhere)."""
    rng = np.random.default_rng(seed)

    def draw(x):
        aval = get_aval(x)
        if not dtypes.is_inexact(aval.dtype):
            return np.zeros(aval.shape, aval.dtype)
        v = rng.standard_normal(aval.shape)
        if dtypes.is_complex(aval.dtype):
            v = v + 1j * rng.standard_normal(aval.shape)
        return np.asarray(v, aval.dtype)
    return tree_util.tree_map(draw, tree)


def _inner(xs, ys):
    """The real part of sum(x * y), unconjugated: JAX's VJP of a complex function is the
    transpose of its JVP under this pairing (vjp(ct) = ct f'(z) when f is holomorphic)."""
    return sum(np.real(np.sum(_np(x) * _np(y))) for x, y in zip(tree_util.tree_leaves(xs), tree_util.tree_leaves(ys))
               if dtypes.is_inexact(_np(x).dtype))


def _np(x):
    return np.asarray(x)


def _check_close(got, want, atol, rtol, what):
    for g, w in zip(tree_util.tree_leaves(got), tree_util.tree_leaves(want)):
        g, w = _np(g), _np(w)
        if not dtypes.is_inexact(w.dtype):
            continue
        tol = _TOLERANCE.get(np.dtype(w.dtype), 1e-5)
        np.testing.assert_allclose(g.astype(np.complex128 if dtypes.is_complex(g.dtype) else np.float64),
                                   w.astype(np.complex128 if dtypes.is_complex(w.dtype) else np.float64),
                                   atol=tol if atol is None else atol, rtol=tol if rtol is None else rtol,
                                   err_msg=f"check_grads: {what}")
