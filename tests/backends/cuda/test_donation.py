"""Donation on the GPU (jit's donate_argnums/donate_argnames): an output is written into
the donated array's device memory, the donated array is deleted as in JAX, and the
results are those of a call without donation."""
import warnings

import numpy as np
import pytest

import fx
import fx.numpy as jnp

pytestmark = pytest.mark.gpu


@pytest.fixture
def gpu():
    return fx.devices("cuda")[0]


def address(array):
    """Where the array's device memory starts (on the simulator, its NumPy stand-in's)."""
    pointer = getattr(array._buffer, "device_ctypes_pointer", None)
    return pointer.value if pointer is not None else array._buffer.ctypes.data


def test_the_output_takes_the_donated_buffer_and_the_input_is_deleted(gpu):
    x = fx.device_put(np.arange(4.0, dtype=np.float32), gpu)
    y = fx.device_put(np.ones(4, np.float32), gpu)
    where = address(x)
    out = fx.jit(lambda a, b: a * 2 + b, donate_argnums=0)(x, y)
    assert address(out) == where and out.device is gpu
    np.testing.assert_array_equal(np.asarray(out), [1, 3, 5, 7])
    assert x.is_deleted() and not y.is_deleted()
    with pytest.raises(RuntimeError, match=r"deleted with shape=f32\[4\]"):
        np.asarray(x)
    with pytest.raises(RuntimeError, match="deleted"):
        jnp.sin(x)


def test_training_with_donated_parameters_matches_training_without(gpu):
    def loss(w, xs, ys):
        return jnp.mean((jnp.tanh(xs @ w) - ys) ** 2)

    def step(w, xs, ys):
        return w - 0.5 * fx.grad(loss)(w, xs, ys)

    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=(6, 2)).astype(np.float32)
    w0 = rng.normal(size=(3, 2)).astype(np.float32)
    donating = fx.jit(step, donate_argnames="w")
    w, want = fx.device_put(w0, gpu), w0
    for _ in range(3):
        old = w
        w = donating(w, xs, ys)
        assert old.is_deleted()
        want = np.asarray(fx.jit(step, backend="llvm")(want, xs, ys))
    np.testing.assert_allclose(np.asarray(w), want, rtol=1e-5, atol=1e-6)


def test_an_unusable_donation_warns_once_and_keeps_the_array(gpu):
    x = fx.device_put(np.eye(3, dtype=np.float32), gpu)
    square = fx.jit(lambda a: a @ a, donate_argnums=0)
    with pytest.warns(UserWarning, match=r"donated buffers were not usable: f32\[3,3\]"):
        out = square(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        square(x)
    assert not x.is_deleted()
    np.testing.assert_array_equal(np.asarray(out), np.eye(3))


def test_an_array_passed_twice_is_not_overwritten_while_read(gpu):
    x = fx.device_put(np.arange(3.0, dtype=np.float32), gpu)
    with pytest.warns(UserWarning, match="not usable"):
        out = fx.jit(lambda a, b: a + b[::-1], donate_argnums=0)(x, x)
    np.testing.assert_array_equal(np.asarray(out), [2, 2, 2])
    assert not x.is_deleted()


def test_host_arguments_and_the_cpu_backend_leave_donated_arrays_alone(gpu):
    host = jnp.arange(3.0)
    out = fx.jit(lambda a: a + 1, donate_argnums=0, backend="cuda")(host)
    assert out.device is gpu and not host.is_deleted()
    np.testing.assert_array_equal(np.asarray(out), [1, 2, 3])
    out = fx.jit(lambda a: a + 1, donate_argnums=0, backend="llvm")(host)
    assert not host.is_deleted() and np.asarray(host).tolist() == [0, 1, 2]


def test_bad_donate_arguments_are_named():
    with pytest.raises(ValueError, match="donate_argnames"):
        fx.jit(lambda a: a, donate_argnames="b")
    with pytest.raises(TypeError, match="donate_argnums"):
        fx.jit(lambda a: a, donate_argnums="a")
