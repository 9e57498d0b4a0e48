"""The compositions issue #2 names, checked numerically (float64) and type-checked."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.ir.typecheck import check_jaxpr
from tests.helpers import numerical_grad


pytestmark = pytest.mark.usefixtures("x64")


def loss(w, x):
    """A small nonlinear scalar function of a vector parameter."""
    h = jnp.tanh(w * x[0] + jnp.sin(w) * x[1])
    return jnp.sum(h * h + jnp.exp(-w) * x[2])


def scalar_f(x):
    return jnp.sin(x) * jnp.exp(x) / (1.0 + x * x)


W = np.array([0.3, -0.7, 1.1, 0.5])
XS = np.random.default_rng(0).standard_normal((6, 3, 4))


def test_grad_matches_finite_differences():
    g = fx.grad(loss)(W, XS[0])
    np.testing.assert_allclose(g, numerical_grad(lambda w: loss(w, XS[0]), W), rtol=1e-6, atol=1e-8)


def test_grad_of_jit_equals_jit_of_grad():
    a = fx.grad(fx.jit(loss))(W, XS[0])
    b = fx.jit(fx.grad(loss))(W, XS[0])
    c = fx.grad(loss)(W, XS[0])
    np.testing.assert_allclose(a, c, rtol=1e-12)
    np.testing.assert_allclose(b, c, rtol=1e-12)


def test_vmap_of_grad_gives_per_example_gradients():
    per_example = fx.vmap(fx.grad(loss), in_axes=(None, 0))(W, XS)
    loop = np.stack([fx.grad(loss)(W, x) for x in XS])
    np.testing.assert_allclose(per_example, loop, rtol=1e-12)


def test_jvp_of_grad_is_hessian_vector_product():
    v = np.array([1.0, -2.0, 0.5, 3.0])
    _, hvp = fx.jvp(lambda w: fx.grad(loss)(w, XS[0]), (W,), (v,))
    H = fx.hessian(loss)(W, XS[0])
    np.testing.assert_allclose(hvp, H @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-12)


def test_hessian_matches_finite_differences_of_grad():
    H = fx.hessian(loss)(W, XS[0])
    g = fx.grad(loss)
    fd = np.stack([numerical_grad(lambda w: g(w, XS[0])[i], W) for i in range(4)])
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-7)


def test_third_derivative_of_scalar_function():
    d3 = fx.grad(fx.grad(fx.grad(scalar_f)))
    d2 = fx.grad(fx.grad(scalar_f))
    for x in [0.3, -1.2, 2.0]:
        eps = 1e-5
        fd = (float(d2(x + eps)) - float(d2(x - eps))) / (2 * eps)
        assert abs(float(d3(x)) - fd) < 1e-6 * max(1, abs(fd))
    assert float(fx.grad(fx.grad(fx.grad(jnp.sin)))(1.0)) == pytest.approx(-np.cos(1.0), rel=1e-12)


def test_jit_of_vmap_of_jacrev():
    f = lambda x: jnp.sin(x) * jnp.sum(x * x)  # noqa: E731
    xs = np.random.default_rng(1).standard_normal((5, 3))
    batched = fx.jit(fx.vmap(fx.jacrev(f)))(xs)
    assert batched.shape == (5, 3, 3)
    for x, j in zip(xs, batched):
        np.testing.assert_allclose(j, fx.jacfwd(f)(x), rtol=1e-12)


def test_jacfwd_equals_jacrev_on_pytrees():
    def f(p):
        return {"y": jnp.tanh(p["a"] * 2.0) + p["b"], "z": jnp.sum(p["a"] * p["b"])}
    p = {"a": np.array([0.1, 0.2, 0.3]), "b": np.array([1.0, -1.0, 2.0])}
    jf, jr = fx.jacfwd(f)(p), fx.jacrev(f)(p)
    for out in ("y", "z"):
        for inp in ("a", "b"):
            np.testing.assert_allclose(jf[out][inp], jr[out][inp], rtol=1e-12)
    assert jf["y"]["a"].shape == (3, 3) and jf["z"]["b"].shape == (3,)


def test_nested_derivatives_close_over_outer_variables():
    # d/dx [x * d/dy (x + y)] = d/dx [x] = 1: a perturbation-confused system gives 2.
    assert float(fx.grad(lambda x: x * fx.grad(lambda y: x + y)(1.0))(5.0)) == 1.0
    # d/dx d/dy (x*y)^2 = d/dx (2 x^2 y) = 4 x y
    f = lambda x: fx.grad(lambda y: (x * y) ** 2)(3.0)  # noqa: E731
    assert float(fx.grad(f)(2.0)) == pytest.approx(24.0)
    # the same through jit and forward mode
    assert float(fx.jit(fx.grad(f))(2.0)) == pytest.approx(24.0)
    assert float(fx.jvp(f, (2.0,), (1.0,))[1]) == pytest.approx(24.0)


def test_value_and_grad_argnums_and_aux():
    def f(a, b):
        return jnp.sum(a * b), {"norm": jnp.sum(a * a)}
    (val, aux), (ga, gb) = fx.value_and_grad(f, argnums=(0, 1), has_aux=True)(W, 2 * W)
    assert float(val) == pytest.approx(float(np.sum(2 * W * W)))
    assert float(aux["norm"]) == pytest.approx(float(np.sum(W * W)))
    np.testing.assert_allclose(ga, 2 * W)
    np.testing.assert_allclose(gb, W)
    g, aux2 = fx.grad(f, has_aux=True)(W, W)
    np.testing.assert_allclose(g, W)


def test_vjp_and_linearize_agree_with_jvp():
    x = np.array([0.5, 1.5, -0.5])
    t = np.array([1.0, 2.0, 3.0])
    c = np.array([0.3, -0.2, 0.7])
    f = lambda x: jnp.sin(x) * jnp.sum(x)  # noqa: E731
    y, jvp_t = fx.jvp(f, (x,), (t,))
    y2, f_jvp = fx.linearize(f, x)
    y3, f_vjp = fx.vjp(f, x)
    np.testing.assert_allclose(f_jvp(t), jvp_t, rtol=1e-12)
    (ct,) = f_vjp(c)
    assert float(np.dot(jvp_t, c)) == pytest.approx(float(np.dot(t, ct)), rel=1e-12)
    np.testing.assert_allclose(y, y2)
    np.testing.assert_allclose(y, y3)


def test_vmap_axes_and_nesting():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(fx.vmap(lambda r: r * 2.0, in_axes=1, out_axes=1)(x), x * 2)
    np.testing.assert_allclose(fx.vmap(jnp.sum, in_axes=-1)(x), x.sum(0))
    out = fx.vmap(fx.vmap(lambda a, b: a * b), in_axes=(0, None))(x, np.arange(4.0))
    np.testing.assert_allclose(out, x * np.arange(4.0))
    pair = fx.vmap(lambda p: (p["a"] + 1.0, p["b"]), in_axes=({"a": 0, "b": None},),
                   out_axes=(0, None))({"a": x, "b": np.ones(2)})
    np.testing.assert_allclose(pair[0], x + 1)
    np.testing.assert_allclose(pair[1], np.ones(2))
    assert fx.vmap(lambda: 1.0, axis_size=4)().shape == (4,)


def test_every_transformed_jaxpr_typechecks():
    x = XS[0]
    fns = [
        lambda w: loss(w, x),
        fx.grad(lambda w: loss(w, x)),
        fx.jit(fx.grad(lambda w: loss(w, x))),
        fx.grad(fx.jit(lambda w: loss(w, x))),
        fx.vmap(fx.grad(loss), in_axes=(None, 0)),
        fx.hessian(lambda w: loss(w, x)),
        lambda w: fx.jvp(lambda v: loss(v, x), (w,), (w,)),
    ]
    for i, f in enumerate(fns):
        args = (W, XS) if i == 4 else (W,)
        check_jaxpr(fx.make_jaxpr(f)(*args))


def test_jit_inside_grad_closing_over_tracer():
    def f(x):
        g = fx.jit(lambda y: x * y + jnp.sin(x))
        return g(2.0)
    assert float(fx.grad(f)(1.0)) == pytest.approx(2.0 + np.cos(1.0))
    assert float(fx.vmap(fx.grad(f))(np.array([1.0, 2.0]))[1]) == pytest.approx(2.0 + np.cos(2.0))


def test_python_scalars_flow_through_rules_of_every_transform():
    # a raw Python float reaches jvp/batching rules (here via in_axes=None): they must
    # see it as a weakly typed array, not a float without .dtype
    out = fx.vmap(fx.grad(lambda w, xi: (w * xi - 1.0) ** 2), in_axes=(None, 0))(1.0, jnp.arange(3.0))
    np.testing.assert_allclose(out, [0.0, 0.0, 4.0])
    assert float(fx.jvp(lambda a, b: a * b, (2.0, 3.0), (1.0, 0.0))[1]) == 3.0
