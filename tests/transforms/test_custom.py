"""custom_jvp and custom_vjp under every transform."""
from functools import partial

import numpy as np
import pytest

import fx
import fx.numpy as jnp


pytestmark = pytest.mark.usefixtures("x64")


@fx.custom_jvp
def safe_log1pexp(x):
    return jnp.log(1.0 + jnp.exp(x))


@safe_log1pexp.defjvp
def _safe_log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return safe_log1pexp(x), t * fx.nn.sigmoid(x)


def test_custom_jvp_rule_is_used_by_every_transform():
    x = np.array([-3.0, 0.0, 50.0, 800.0])
    expected = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(fx.vmap(fx.grad(safe_log1pexp))(x), expected, rtol=1e-12)
    np.testing.assert_allclose(fx.jit(fx.vmap(fx.grad(safe_log1pexp)))(x), expected, rtol=1e-12)
    np.testing.assert_allclose(fx.jvp(safe_log1pexp, (x,), (np.ones(4),))[1], expected, rtol=1e-12)
    np.testing.assert_allclose(fx.grad(lambda v: jnp.sum(fx.jit(safe_log1pexp)(v)))(x), expected)
    # second derivative goes through the rule's own derivative: sigmoid'
    d2 = fx.grad(fx.grad(safe_log1pexp))(0.0)
    assert float(d2) == pytest.approx(0.25)


def test_custom_jvp_value_and_defjvps():
    @fx.custom_jvp
    def f(x, y):
        return x * y
    f.defjvps(lambda g, ans, x, y: 10 * g * y, lambda g, ans, x, y: g * x)
    assert float(f(2.0, 3.0)) == 6.0
    assert fx.grad(f, argnums=(0, 1))(2.0, 3.0) == (30.0, 2.0)


def test_custom_jvp_nondiff_argnums():
    @partial(fx.custom_jvp, nondiff_argnums=(0,))
    def scaled(n, x):
        return x ** n

    @scaled.defjvp
    def _(n, primals, tangents):
        (x,), (t,) = primals, tangents
        return scaled(n, x), n * x ** (n - 1) * t
    assert float(fx.grad(scaled, argnums=1)(3, 2.0)) == 12.0
    assert float(fx.jit(fx.grad(scaled, argnums=1), static_argnums=0)(3, 2.0)) == 12.0


@fx.custom_vjp
def clip_gradient(x, lo, hi):
    return x


def _clip_fwd(x, lo, hi):
    return x, (lo, hi)


def _clip_bwd(res, g):
    lo, hi = res
    return (jnp.clip(g, lo, hi), None, None)


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def test_custom_vjp_rule_under_grad_jit_vmap():
    f = lambda x: jnp.sum(clip_gradient(x, -1.0, 1.0) * 5.0)  # noqa: E731
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(fx.grad(f)(x), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(fx.jit(fx.grad(f))(x), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(fx.grad(fx.jit(f))(x), [1.0, 1.0, 1.0])
    xs = np.stack([x, -x])
    np.testing.assert_allclose(fx.vmap(fx.grad(f))(xs), [[1.0] * 3, [1.0] * 3])
    assert float(clip_gradient(2.0, -1.0, 1.0)) == 2.0


def test_custom_vjp_forward_mode_is_a_clear_error():
    with pytest.raises(TypeError, match="forward-mode"):
        fx.jvp(lambda x: clip_gradient(x, -1.0, 1.0), (1.0,), (1.0,))


def test_custom_vjp_nondiff_argnums_and_pytrees():
    @partial(fx.custom_vjp, nondiff_argnums=(1,))
    def f(p, scale):
        return p["a"] * p["b"] * scale

    def fwd(p, scale):
        return f(p, scale), p

    def bwd(scale, p, g):
        return ({"a": g * p["b"] * scale * 2, "b": g * p["a"] * scale},)
    f.defvjp(fwd, bwd)
    g = fx.grad(f)({"a": 2.0, "b": 3.0}, 10.0)
    assert float(g["a"]) == 60.0 and float(g["b"]) == 20.0


def test_custom_function_closing_over_outer_tracer():
    def outer(y):
        @fx.custom_jvp
        def f(x):
            return x * y

        @f.defjvp
        def _(primals, tangents):
            return f(primals[0]), tangents[0] * y
        return f(3.0)
    assert float(outer(2.0)) == 6.0
    assert float(fx.jit(outer)(2.0)) == 6.0  # closing over a jit tracer is fine
    # JAX fails here with an escaped-tracer error; fx explains the fix
    with pytest.raises(TypeError, match="explicit argument"):
        fx.grad(outer)(2.0)
