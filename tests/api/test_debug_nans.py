"""debug_nans / debug_infs: compiled code checks what each kernel writes and stops at the
first NaN (infinity); the FloatingPointError names the primitive that made it, the user's
line and the pass, without running the program again. Op by op, each primitive checks."""
import inspect

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax

HERE = "test_debug_nans.py"
W = np.ones((3, 2), np.float32)


def loss(w, x):
    h = jnp.tanh(x @ w)
    r = jnp.log(h)  # NaN where h < 0
    return jnp.sum(r * 2.0)


def root_loss(w, x):
    return jnp.sum(jnp.sqrt(x @ w))  # the derivative at 0 is infinite


def line(fn, text):
    source, first = inspect.getsourcelines(fn)
    return first + next(i for i, s in enumerate(source) if text in s)


def negative_row():
    x = np.ones((4, 3), np.float32)
    x[1, 0] = -5
    return x


@pytest.mark.parametrize("mode", ["jit", "eager"])
def test_a_nan_names_its_primitive_line_and_pass(mode):
    f = fx.jit(loss) if mode == "jit" else loss
    with fx.debug_nans(), pytest.raises(FloatingPointError) as info:
        f(W, negative_row())
    message = str(info.value)
    assert message.startswith(f"NaN produced by log in the forward pass, from {HERE}:{line(loss, 'jnp.log')} loss()")
    if mode == "jit":
        assert "at index (1, 0); the program stopped there" in message  # the first bad element
    assert np.isnan(float(fx.jit(loss)(W, negative_row())))  # off: the NaN comes back silently


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NumPy, op by op
@pytest.mark.parametrize("mode", ["jit", "eager"])
def test_the_backward_pass_is_named(mode):
    grad = fx.grad(root_loss)
    f = fx.jit(grad) if mode == "jit" else grad
    zeros = np.zeros((4, 3), np.float32)
    with fx.debug_infs(), pytest.raises(FloatingPointError, match=(
            rf"^an infinity produced by div in the backward pass: the transpose of div, from "
            rf"{HERE}:{line(root_loss, 'jnp.sqrt')} root_loss\(\)")):
        f(W, zeros)
    with fx.debug_nans(), pytest.raises(FloatingPointError, match="NaN produced by dot_general in the "
                                                                 "backward pass: the transpose of dot_general"):
        f(W, zeros)  # inf * 0 in the product of the backward pass: the first NaN


def test_the_program_is_not_run_again():
    calls = []

    def f(x):
        fx.experimental.io_callback(lambda v: calls.append(float(v)), None, x[0], ordered=True)
        return jnp.log(x - 2.0)
    with fx.debug_nans(), pytest.raises(FloatingPointError, match="NaN produced by log"):
        fx.jit(f)(np.arange(3, dtype=np.float32))
    assert calls == [0.0]  # JAX would run it again, op by op, to find the NaN


def test_loops_stop_at_the_iteration_that_made_the_nan():
    def f(x):
        def body(c, _):
            return c - 1.0, jnp.sqrt(c)  # sqrt(-1) on the third iteration
        return lax.scan(body, x, None, length=5)[1]
    seen = []
    with fx.debug_nans(), pytest.raises(FloatingPointError, match=rf"sqrt in the forward pass, from {HERE}:\d+ body"):
        fx.jit(lambda x: fx.debug.callback(seen.append, x) or f(x))(np.float32(1.0))
    assert len(seen) == 1
    np.testing.assert_array_equal(np.isnan(fx.jit(f)(np.float32(1.0))), [False, False, True, True, True])


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.complex64])
def test_every_inexact_dtype_is_checked(dtype):
    x = jnp.asarray([4.0, -1.0, 9.0]).astype(dtype)
    make = (lambda v: jnp.log(v) * 2) if dtype == jnp.complex64 else (lambda v: jnp.sqrt(v) * 2)
    with fx.debug_nans():
        if dtype == jnp.complex64:
            with fx.debug_infs(), pytest.raises(FloatingPointError, match="an infinity produced by log"):
                fx.jit(make)(x.at[1].set(0))
        else:
            with pytest.raises(FloatingPointError, match="NaN produced by sqrt"):
                fx.jit(make)(x)


def test_vmap_and_clean_programs():
    batched = fx.jit(fx.vmap(loss, in_axes=(None, 0)))
    x = np.ones((2, 4, 3), np.float32)
    with fx.debug_nans():
        np.testing.assert_allclose(batched(W, x), fx.jit(fx.vmap(loss, in_axes=(None, 0)))(W, x))
        x[1, 2, 0] = -9
        with pytest.raises(FloatingPointError, match="NaN produced by log in the forward pass"):
            batched(W, x)
    assert not fx.config.debug_nans
