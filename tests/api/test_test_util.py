"""fx.test_util.check_grads as JAX's: it passes for correct derivatives (forward and
reverse, to third order, real and complex, pytrees) and fails, naming the derivative, for
a wrong custom rule."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.test_util import check_grads


@pytest.mark.parametrize("f,args", [
    (lambda x, y: jnp.sin(x) * y ** 2 + jnp.sum(jnp.exp(x)), (np.array([0.3, 1.2]), 0.7)),
    (lambda p: {"out": jnp.tanh(p["w"]) @ p["w"]}, ({"w": np.eye(2) * 0.5 + 0.1},)),
    (lambda z: jnp.sin(z) * z + z * jnp.conj(z), (np.array([1 + 2j, 0.5 - 1j]),)),
    (lambda z: jnp.abs(z) ** 3, (np.array([1 + 2j, 0.5 - 1j]),)),
    (lambda x, n: x * n, (np.array([1.0, 2.0]), np.array([3, 4]))),  # integer arguments stay fixed
], ids=["real", "pytree", "complex", "abs_complex", "integer_arg"])
def test_correct_derivatives_pass(x64, f, args):
    check_grads(f, args, order=3)
    check_grads(fx.jit(f), args, order=2, modes=("rev",))


def test_a_wrong_jvp_rule_fails_and_says_which(x64):
    @fx.custom_jvp
    def f(x):
        return jnp.sin(x)
    f.defjvp(lambda primals, tangents: (jnp.sin(primals[0]), 2.0 * tangents[0]))
    with pytest.raises(AssertionError, match="check_grads: JVP tangent"):
        check_grads(f, (np.array([0.3, 0.4]),), order=1, modes=("fwd",))


def test_a_wrong_vjp_rule_fails_in_reverse_mode(x64):
    @fx.custom_vjp
    def f(x):
        return x ** 2
    f.defvjp(lambda x: (x ** 2, x), lambda x, g: (3.0 * x * g,))
    with pytest.raises(AssertionError, match="check_grads: VJP"):
        check_grads(f, (np.array([0.3]),), order=1, modes=("rev",))


def test_second_order_failures_name_the_composition(x64):
    @fx.custom_jvp
    def f(x):
        return x ** 3
    # right to first order, but its tangent does not differentiate (3 x^2 is held constant)
    f.defjvp(lambda p, t: (p[0] ** 3, 3 * fx.lax.stop_gradient(p[0] ** 2) * t[0]))
    check_grads(f, (np.array([0.5]),), order=1)
    with pytest.raises(AssertionError, match="JVP of JVP"):
        check_grads(f, (np.array([0.5]),), order=2, modes=("fwd",))
    with pytest.raises(AssertionError, match="VJP of VJP"):
        check_grads(f, (np.array([0.5]),), order=2, modes=("rev",))


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="modes must be 'fwd' and/or 'rev'"):
        check_grads(jnp.sin, (1.0,), order=1, modes=("forward",))
