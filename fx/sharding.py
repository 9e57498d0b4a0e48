"""Shardings: how an array's data is laid out over devices (JAX's jax.sharding).

fx runs each computation on one device, so the one sharding is `SingleDeviceSharding`:
all of an array on one device. It exists so that code written against JAX's Array API
(`x.sharding`, `device_put(x, sharding)`) runs unchanged.
"""
from __future__ import annotations


class Sharding:
    """The base class JAX code checks against (`isinstance(s, jax.sharding.Sharding)`)."""
    __slots__ = ()


class SingleDeviceSharding(Sharding):
    """All of an array on `device`."""
    __slots__ = ("_device", "memory_kind")

    def __init__(self, device, *, memory_kind=None):
        self._device, self.memory_kind = device, memory_kind

    @property
    def device_set(self):
        return {self._device}

    @property
    def addressable_devices(self):
        return {self._device}

    num_devices = 1
    is_fully_addressable = True
    is_fully_replicated = True

    def shard_shape(self, global_shape):
        return tuple(global_shape)

    def __eq__(self, other):
        return type(other) is SingleDeviceSharding and other._device is self._device

    def __hash__(self):
        return hash(self._device)

    def __repr__(self):
        return f"SingleDeviceSharding(device={self._device!r})"
