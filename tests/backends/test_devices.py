"""Device-aware arrays: where arrays live, where computation on them runs.

A fake accelerator backend (buffers are NumPy arrays in a box, so any accidental host
use of a device buffer fails) checks the contract of fx/backends/base.py without a GPU:
eager operations run as cached one-primitive programs, jit runs the device's backend,
results stay on the device, and only the host-facing operations copy data back.
"""
import pickle

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.array import HOST, Device
from fx.backends import get_backend, register_backend, unregister_backend
from fx.backends.base import Backend


class Boxed:
    """A device buffer: NumPy refuses it, so host code cannot use it by mistake."""
    __array__ = None

    def __init__(self, value):
        self.value = value


class FakeBackend(Backend):
    name = "fake"
    platform = "fake"

    def __init__(self):
        super().__init__()
        self.device = Device("fake", 0, self)
        self.compiles, self.transfers_in, self.transfers_out = 0, 0, 0

    def devices(self):
        return [self.device]

    def compile(self, closed):
        self.compiles += 1
        run = get_backend("interpreter").compile(closed)
        return lambda *buffers: [Boxed(o) for o in run(*(b.value for b in buffers))]

    def to_device(self, array, device):
        assert device is self.device
        self.transfers_in += 1
        return Boxed(np.array(array))

    def to_host(self, buffer):
        self.transfers_out += 1
        return buffer.value


@pytest.fixture
def fake():
    backend = register_backend(FakeBackend())
    yield backend
    unregister_backend("fake")


def test_device_put_moves_data_and_back(fake):
    x = fx.device_put(np.arange(3.0, dtype=np.float32), fake.device)
    assert x.device is fake.device and x.devices() == {fake.device}
    assert isinstance(x._buffer, Boxed) and fake.transfers_in == 1
    np.testing.assert_array_equal(np.asarray(x), [0, 1, 2])
    assert fake.transfers_out == 1
    back = fx.device_put(x, None)
    assert back.device is HOST and np.asarray(back).tolist() == [0, 1, 2]
    assert fx.device_get({"a": x})["a"].tolist() == [0, 1, 2]


def test_eager_operations_run_on_the_device_and_compile_once(fake):
    x = fx.device_put(jnp.arange(4.0), fake.device)
    y = jnp.sin(x) * 2 + x
    assert y.device is fake.device and isinstance(y._buffer, Boxed)
    before = fake.compiles
    z = jnp.sin(x) * 2 + x  # the same three primitives on the same types: no compile
    assert fake.compiles == before
    expected = np.sin(np.arange(4.0, dtype=np.float32)) * 2 + np.arange(4.0, dtype=np.float32)
    np.testing.assert_allclose(np.asarray(z), expected, rtol=1e-6)


def test_multiple_result_primitive_on_the_device(fake):
    x = fx.device_put(jnp.array([3.0, 1.0, 2.0]), fake.device)
    values, indices = fx.lax.top_k(x, 2)
    assert values.device is fake.device and indices.device is fake.device
    assert np.asarray(values).tolist() == [3, 2] and np.asarray(indices).tolist() == [0, 2]


def test_host_data_follows_device_data(fake):
    x = fx.device_put(jnp.ones(3), fake.device)
    y = x + np.arange(3.0, dtype=np.float32)   # the host array moves to the device
    assert y.device is fake.device
    assert np.asarray(y + 1).tolist() == [2, 3, 4]


def test_jit_runs_on_the_devices_backend(fake):
    f = fx.jit(lambda a, b: jnp.tanh(a) @ b)
    a = fx.device_put(jnp.eye(2), fake.device)
    b = fx.device_put(jnp.ones((2, 2)), fake.device)
    out = f(a, b)
    assert out.device is fake.device
    np.testing.assert_allclose(np.asarray(out), np.tanh(np.eye(2)) @ np.ones((2, 2)), rtol=1e-6)
    host = f(jnp.eye(2), jnp.ones((2, 2)))   # the same function on host data runs on the CPU
    assert host.device is HOST
    np.testing.assert_allclose(np.asarray(host), np.asarray(out), rtol=1e-6)


def test_grad_of_jit_on_the_device(fake):
    x = fx.device_put(jnp.array([0.5, -1.0]), fake.device)
    g = fx.grad(fx.jit(lambda v: jnp.sum(jnp.sin(v) ** 2)))(x)
    assert g.device is fake.device
    np.testing.assert_allclose(np.asarray(g), np.sin(2 * np.array([0.5, -1.0])), rtol=1e-5)


def test_jit_with_another_backend_named_is_an_error(fake):
    x = fx.device_put(jnp.ones(2), fake.device)
    with pytest.raises(ValueError, match="backend='llvm'.*FakeDevice"):
        fx.jit(lambda v: v + 1, backend="llvm")(x)


def test_two_devices_in_one_computation_is_an_error(fake):
    other = FakeBackend()
    other.name = "fake2"
    register_backend(other)
    try:
        a = fx.device_put(jnp.ones(2), fake.device)
        b = fx.device_put(jnp.ones(2), other.device)
        with pytest.raises(ValueError, match="different devices"):
            a + b
    finally:
        unregister_backend("fake2")


def test_host_facing_operations_copy_from_the_device(fake):
    x = fx.device_put(jnp.array([1.5, 2.5]), fake.device)
    assert "1.5" in repr(x) and x.tolist() == [1.5, 2.5]
    assert float(x[1]) == 2.5 and x.block_until_ready() is x
    restored = pickle.loads(pickle.dumps(x))
    assert restored.device is HOST and restored.tolist() == [1.5, 2.5]


def test_registry(fake):
    assert "fake" in fx.backends.backend_names()
    assert fx.devices("fake") == [fake.device] and repr(fake.device) == "FakeDevice(id=0)"
    assert fake.device.device_kind == fake.device.platform == "fake"
    with pytest.raises(ValueError, match="already exists"):
        register_backend(type("Clash", (FakeBackend,), {"name": "llvm"})())
    unregister_backend("fake")
    with pytest.raises(ValueError, match="Unknown backend 'fake'"):
        fx.devices("fake")


def test_cpu_arrays_are_numpy_buffers_without_copies():
    x = jnp.arange(3.0)
    assert x.device is HOST and repr(HOST) == "CpuDevice(id=0)"
    assert np.asarray(x) is np.asarray(x)          # zero-copy, read-only
    assert not np.asarray(x).flags.writeable
    assert fx.devices() == fx.devices("interpreter") == [HOST]
    assert fx.device_put(x).device is HOST
    with pytest.raises(TypeError, match="expected an fx device"):
        fx.device_put(x, "gpu")
