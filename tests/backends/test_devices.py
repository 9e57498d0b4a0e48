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
    assert fx.device_put(x, None) is x  # no device: arrays stay where they are
    back = fx.device_put(x, fx.devices("cpu")[0])
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


def test_committed_arrays_decide_where_work_runs(fake):
    cpu = fx.devices("cpu")[0]
    on_cpu = fx.device_put(jnp.ones(2), cpu)
    assert on_cpu.committed and not jnp.ones(2).committed
    assert (on_cpu + 1).committed and (on_cpu + 1).device is HOST  # results stay committed
    on_fake = fx.device_put(jnp.ones(2), fake.device)
    assert (on_fake + jnp.ones(2)).device is fake.device  # uncommitted data follows
    with pytest.raises(ValueError, match="committed to different devices"):
        on_cpu * 2 + on_fake
    with pytest.raises(ValueError, match="committed to different devices"):
        fx.jit(lambda a, b: a + b)(on_cpu, on_fake)
    assert fx.jit(lambda a: a * 2)(on_cpu).committed


def test_sharding_is_one_device(fake):
    from fx.sharding import SingleDeviceSharding
    x = fx.device_put(jnp.arange(3.0), fake.device)
    assert x.sharding == SingleDeviceSharding(fake.device)
    assert x.sharding.device_set == {fake.device} and x.sharding.is_fully_replicated
    y = fx.device_put(jnp.arange(3.0), SingleDeviceSharding(fake.device))
    assert y.device is fake.device and y.sharding.shard_shape((3,)) == (3,)


def test_default_device_runs_uncommitted_work_there(fake):
    with fx.default_device(fake.device):
        eager = jnp.sin(np.arange(3.0, dtype=np.float32))
        jitted = fx.jit(lambda a: a * 2)(np.arange(3.0, dtype=np.float32))
    assert eager.device is fake.device and jitted.device is fake.device
    np.testing.assert_allclose(np.asarray(eager), np.sin(np.arange(3.0)), rtol=1e-6)
    assert fx.jit(lambda a: a * 2)(np.ones(2, np.float32)).device is HOST  # restored
    with pytest.raises(TypeError, match="default_device"):
        fx.config.update("default_device", "gpu")


def test_a_backend_without_devices_says_so():
    class Empty(FakeBackend):
        name = "empty"

        def devices(self):
            return []
    register_backend(Empty())
    try:
        with pytest.raises(RuntimeError, match="'empty'.*no devices"):
            fx.devices("empty")
    finally:
        unregister_backend("empty")
