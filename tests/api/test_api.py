"""The table-driven API harness: every `Spec` in tests/api_specs is checked for

  value  fn(*args) == ref(*args) (NumPy or a hand-written oracle), same dtype kind
  jit    fx.jit(fn) (native code) == fn (eager), same dtypes
  grad   reverse mode (fx.grad) and forward mode (fx.jvp) == central finite differences of
         a random projection of the outputs; for grad=2 also Hessian-vector products
         (forward-over-reverse and reverse-over-reverse) == differences of gradients
  vmap   fx.vmap(fn) and fx.jit(fx.vmap(fn)) == a Python loop over a batch of 3 draws

in float64 (x64 on). Test ids are the spec names.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import fx
from fx import tree_util
from tests.api_specs import Spec, all_specs

SPECS = all_specs()
EPS = 1e-6
FD_RTOL = 1e-5
BATCH = 3


def specs(select=lambda s: True):
    return [pytest.param(s, id=s.name) for s in SPECS if select(s)]


pytestmark = pytest.mark.usefixtures("x64")


def rng_for(spec: Spec, *salt):
    return np.random.default_rng(zlib.crc32("/".join((spec.name, *map(str, salt))).encode()))


def leaves(tree):
    return [np.asarray(x) for x in tree_util.tree_leaves(tree)]


def is_float(x):
    return np.issubdtype(np.asarray(x).dtype, np.floating)


def assert_trees_close(actual, expected, what, rtol, atol, same_dtype):
    actual, expected = leaves(actual), leaves(expected)
    assert len(actual) == len(expected), f"{what}: {len(actual)} outputs, expected {len(expected)}"
    for k, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"{what} output {k}: shape {a.shape} != {e.shape}"
        if same_dtype:
            assert a.dtype == e.dtype, f"{what} output {k}: dtype {a.dtype} != {e.dtype}"
        else:
            assert a.dtype.kind == e.dtype.kind, f"{what} output {k}: dtype {a.dtype} vs {e.dtype}"
        if is_float(a):
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"{what} output {k}")
        else:
            np.testing.assert_array_equal(a, e, err_msg=f"{what} output {k}")


# ---------------------------------------------------------------------------- value, jit

@pytest.mark.parametrize("spec", specs(lambda s: s.ref is not None))
def test_value(spec):
    args = spec.args(rng_for(spec))
    assert_trees_close(spec.fn(*args), spec.ref(*args), "fx vs reference",
                       spec.rtol, spec.atol, same_dtype=False)


@pytest.mark.parametrize("spec", specs())
def test_jit(spec):
    args = spec.args(rng_for(spec))
    assert_trees_close(fx.jit(spec.fn)(*args), spec.fn(*args), "jit vs eager",
                       1e-9, 1e-12, same_dtype=True)


# ---------------------------------------------------------------------------- derivatives

def diff_argnums(spec, args):
    if spec.diff_argnums is not None:
        return spec.diff_argnums
    return tuple(i for i, a in enumerate(args) if is_float(a))


def projection(spec, args):
    """s(*diff_args): a random linear projection of fn's floating outputs, a scalar."""
    argnums = diff_argnums(spec, args)
    outs = leaves(spec.fn(*args))
    rng = rng_for(spec, "cotangent")
    cts = [rng.standard_normal(o.shape) if is_float(o) else None for o in outs]

    def s(*diff_args):
        full = list(args)
        for i, a in zip(argnums, diff_args):
            full[i] = a
        total = 0.0
        for o, c in zip(tree_util.tree_leaves(spec.fn(*full)), cts):
            if c is not None:
                total = total + fx.numpy.sum(o * c)
        return total
    return s, [args[i] for i in argnums]


def central_difference(f, xs, ts):
    plus = f(*[x + EPS * t for x, t in zip(xs, ts)])
    minus = f(*[x - EPS * t for x, t in zip(xs, ts)])
    return (np.asarray(plus, np.float64) - np.asarray(minus, np.float64)) / (2 * EPS)


def assert_close_scalar(actual, expected, what, scale):
    tol = FD_RTOL * (abs(expected) + scale + 1e-3)
    assert abs(actual - expected) <= tol, f"{what}: {actual!r} != {expected!r} (tol {tol:.2e})"


def pairing(xs, ys):
    return sum(float(np.vdot(np.asarray(x), np.asarray(y))) for x, y in zip(xs, ys))


@pytest.mark.parametrize("spec", specs(lambda s: s.grad >= 1))
def test_grad(spec):
    args = spec.args(rng_for(spec))
    s, xs = projection(spec, args)
    assert xs, f"{spec.name}: grad={spec.grad} but no floating argument to differentiate"
    ts = [rng_for(spec, "tangent", i).standard_normal(np.shape(x)) for i, x in enumerate(xs)]
    fd = central_difference(s, xs, ts)
    scale = float(np.abs(np.asarray(s(*xs))))

    grads = fx.grad(s, argnums=tuple(range(len(xs))))(*xs)
    assert_close_scalar(pairing(grads, ts), fd, "grad . t vs finite differences", scale)
    _, tangent_out = fx.jvp(s, tuple(xs), tuple(ts))
    assert_close_scalar(float(tangent_out), fd, "jvp vs finite differences", scale)


@pytest.mark.parametrize("spec", specs(lambda s: s.grad >= 2))
def test_hessian_vector_product(spec):
    args = spec.args(rng_for(spec))
    s, xs = projection(spec, args)
    argnums = tuple(range(len(xs)))
    ts = [rng_for(spec, "tangent", i).standard_normal(np.shape(x)) for i, x in enumerate(xs)]
    us = [rng_for(spec, "probe", i).standard_normal(np.shape(x)) for i, x in enumerate(xs)]
    grad_s = fx.grad(s, argnums=argnums)

    def grad_dot_u(*xs):
        return sum(fx.numpy.sum(g * u) for g, u in zip(grad_s(*xs), us))
    fd = central_difference(grad_dot_u, xs, ts)
    scale = float(np.abs(np.asarray(grad_dot_u(*xs))))

    _, hvp = fx.jvp(grad_s, tuple(xs), tuple(ts))               # forward over reverse
    assert_close_scalar(pairing(hvp, us), fd, "forward-over-reverse HVP", scale)
    rev = fx.grad(grad_dot_u, argnums=argnums)(*xs)              # reverse over reverse
    assert_close_scalar(pairing(rev, ts), fd, "reverse-over-reverse HVP", scale)


# ---------------------------------------------------------------------------- vmap

@pytest.mark.parametrize("spec", specs(lambda s: s.vmap))
def test_vmap(spec):
    draws = [spec.args(rng_for(spec, "batch", b)) for b in range(BATCH)]
    stacked = [np.stack(column) for column in zip(*draws)]
    expected = tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]),
                                  *[spec.fn(*d) for d in draws])
    assert_trees_close(fx.vmap(spec.fn)(*stacked), expected, "vmap vs loop", 1e-9, 1e-12,
                       same_dtype=True)
    assert_trees_close(fx.jit(fx.vmap(spec.fn))(*stacked), expected, "jit(vmap) vs loop",
                       1e-9, 1e-12, same_dtype=True)
