"""fx.checkpoint / fx.remat: same values and derivatives as without it, fewer residuals
saved between the forward and the backward pass, and policies that choose which."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax
from fx.ir.typecheck import check_jaxpr
from fx.transforms.partial_eval import linearize_flat


pytestmark = pytest.mark.usefixtures("x64")


W = np.random.default_rng(0).standard_normal((4, 4)) / 2


def layer(x):
    h = jnp.tanh(W @ x)
    return jnp.sin(h) * h + jnp.cos(x)


def loss(x):
    return jnp.sum(layer(layer(x)) ** 2)


def residual_bytes(fun, x):
    """What reverse mode keeps from the forward pass: the linearized jaxpr's residuals."""
    _, jaxpr, residuals = linearize_flat(lambda v: [fun(v)], [x])
    check_jaxpr(jaxpr)
    return sum(np.asarray(r).nbytes for r in residuals)


POLICIES = [None, fx.checkpoint_policies.nothing_saveable, fx.checkpoint_policies.everything_saveable,
            fx.checkpoint_policies.dots_saveable,
            fx.checkpoint_policies.dots_with_no_batch_dims_saveable]


@pytest.mark.parametrize("policy", POLICIES)
def test_values_and_derivatives_are_unchanged(policy):
    x = np.linspace(-1, 1, 4)
    remat_loss = lambda v: jnp.sum(fx.checkpoint(layer, policy=policy)(  # noqa: E731
        fx.checkpoint(layer, policy=policy)(v)) ** 2)
    assert float(remat_loss(x)) == pytest.approx(float(loss(x)), rel=1e-14)
    np.testing.assert_allclose(fx.grad(remat_loss)(x), fx.grad(loss)(x), rtol=1e-12)
    np.testing.assert_allclose(fx.hessian(remat_loss)(x), fx.hessian(loss)(x), rtol=1e-10)
    np.testing.assert_allclose(fx.jit(fx.grad(remat_loss))(x), fx.grad(loss)(x), rtol=1e-12)
    xs = np.stack([x, -x, 2 * x])
    np.testing.assert_allclose(fx.vmap(fx.grad(remat_loss))(xs),
                               np.stack([fx.grad(loss)(v) for v in xs]), rtol=1e-12)


def test_make_jaxpr_shows_the_remat_equation():
    text = str(fx.make_jaxpr(fx.remat(layer))(np.ones(4)))
    assert "remat[" in text and "jaxpr={ lambda" in text and "prevent_cse=True" in text
    grad_jaxpr = fx.make_jaxpr(fx.grad(lambda v: jnp.sum(fx.checkpoint(layer)(v))))(np.ones(4))
    check_jaxpr(grad_jaxpr)
    assert "differentiated=True" in str(grad_jaxpr)


def test_policies_choose_the_residuals():
    x = np.linspace(-1, 1, 4)
    plain = residual_bytes(layer, x)
    nothing = residual_bytes(fx.checkpoint(layer), x)
    dots = residual_bytes(fx.checkpoint(layer, policy=fx.checkpoint_policies.dots_saveable), x)
    everything = residual_bytes(
        fx.checkpoint(layer, policy=fx.checkpoint_policies.everything_saveable), x)
    assert nothing < dots < everything and everything >= plain
    assert dots - nothing == W.shape[0] * 8  # exactly the product W @ x is saved


def test_checkpointed_scan_body_saves_at_least_3x_less():
    """A deep loop: without checkpoint every step keeps each intermediate its derivative
    needs; with the body checkpointed, only the carry entering each step."""
    def step(c, _):
        for _ in range(4):
            c = jnp.sin(c) * jnp.cos(c) + jnp.tanh(c)
        return c, None

    def deep(body):
        return lambda x: jnp.sum(lax.scan(body, x, None, length=1000)[0])

    x = np.linspace(-1, 1, 16)
    plain, remat = residual_bytes(deep(step), x), residual_bytes(deep(fx.checkpoint(step)), x)
    assert remat * 3 <= plain, (remat, plain)
    assert remat <= 1000 * x.nbytes + 4096  # about one carry per step
    np.testing.assert_allclose(fx.grad(deep(fx.checkpoint(step)))(x), fx.grad(deep(step))(x),
                               rtol=1e-12)


def test_static_argnums_and_closed_over_tracers():
    def f(x, n):
        for _ in range(n):
            x = jnp.sin(x)
        return x
    g = fx.checkpoint(f, static_argnums=(1,))
    assert float(g(0.5, 3)) == pytest.approx(np.sin(np.sin(np.sin(0.5))))
    # a value of the outer grad closed over by the checkpointed function
    outer = lambda w: jnp.sum(fx.checkpoint(lambda v: jnp.sin(v * w))(np.arange(3.0)))  # noqa: E731
    assert float(fx.grad(outer)(0.7)) == pytest.approx(float(np.sum(np.arange(3.0) * np.cos(np.arange(3.0) * 0.7))))
    with pytest.raises(TypeError, match="callable"):
        fx.checkpoint(3)
