"""Arrays: `fx.Array`, the type of every array value, and `ArrayImpl`, a concrete one.

As in JAX, `fx.Array` is the common base of concrete arrays and of tracers, so
`isinstance(x, fx.Array)` holds inside transforms too. It carries the operator surface;
fx.numpy installs the operators when it is imported (they are written with fx.numpy
functions, which live above this module).

An `ArrayImpl` is a backend buffer plus the `Device` it lives on. On the host (`HOST`, the
CPU every host backend computes on) the buffer is a read-only NumPy array, so
`np.asarray(x)` is zero-copy; on another device it is whatever that device's backend
allocates, and only the operations that hand data to Python (`np.asarray`, printing,
`float(x)`, `tolist`, ...) copy it to the host.
"""
from __future__ import annotations

import numpy as np


class Array:
    """The type of every fx array value, concrete (`ArrayImpl`) or traced (`Tracer`).

    Methods are attached by `fx.numpy._methods` so that both concrete arrays and tracers
    route `x + y`, `x[i]`, `x.sum()` ... through the same fx.numpy functions.
    """
    __slots__ = ()
    __array_priority__ = 100  # numpy defers `ndarray + fx.Array` to our operators

    @property
    def ndim(self):
        return len(self.aval.shape)

    @property
    def shape(self):
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def weak_type(self):
        return self.aval.weak_type

    @property
    def size(self):
        return int(np.prod(self.aval.shape, dtype=np.int64))

    def __len__(self):
        if not self.aval.shape:
            raise TypeError("len() of unsized object (a 0-d array)")
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.aval.shape[0]))


class Device:
    """A place where arrays live and programs run, as JAX's devices: `platform` ("cpu",
    "gpu", ...), `id` and the backend that computes on it (None for the host, where
    buffers are NumPy arrays and every host backend runs)."""
    __slots__ = ("platform", "id", "backend")

    def __init__(self, platform, id=0, backend=None):
        self.platform, self.id, self.backend = platform, id, backend

    @property
    def device_kind(self):
        return self.platform

    def __repr__(self):  # named after its backend, as JAX's CudaDevice(id=0)
        kind = self.backend.name if self.backend is not None else self.platform
        return f"{kind.capitalize()}Device(id={self.id})"


HOST = Device("cpu", 0)


def common_device(arrays):
    """The device a computation on `arrays` runs on, as JAX places work: committed arrays
    (put on a device with `device_put`, or computed from such) decide, and two committed
    devices is an error; uncommitted arrays (the host arrays fx.numpy makes) go where the
    work runs. None when no array is committed."""
    device = None
    for x in arrays:
        if type(x) is ArrayImpl and x._committed and x._device is not device:
            if device is not None:
                raise ValueError(f"Arrays committed to different devices, {device} and "
                                 f"{x._device}, were given to one computation; move them to "
                                 "one device with fx.device_put(x, device)")
            device = x._device
    return device


def host_buffer(x, aval):
    """`x` (an ArrayImpl, NumPy array or Python scalar) as a host buffer in `aval`'s dtype
    (buffer_on for the host: the per-call path of a host executable)."""
    if type(x) is ArrayImpl:
        return x._value
    return np.asarray(x, aval.dtype)


def buffer_on(x, aval, device):
    """`x` (an ArrayImpl, NumPy array or Python scalar) as a buffer on `device`, in
    `aval`'s dtype."""
    if type(x) is ArrayImpl and x._device is device:
        return x._live_buffer()
    host = host_buffer(x, aval)
    return host if device is HOST else device.backend.to_device(host, device)


class ArrayImpl(Array):
    """A concrete array: a buffer on a device, its abstract value (shape, dtype and JAX's
    weak-type flag), the device, and whether it is committed to that device (JAX's rule:
    work on committed arrays runs on their device and its results stay committed there;
    every array off the host is committed)."""
    __slots__ = ("_buffer", "_aval", "_device", "_committed")

    def __init__(self, value, weak_type=False):
        from fx.core import ShapedArray
        value = np.array(value)  # own a private copy: Arrays are immutable
        value.flags.writeable = False
        self._buffer = value
        self._aval = ShapedArray(value.shape, value.dtype, weak_type)
        self._device, self._committed = HOST, False

    @classmethod
    def _wrap(cls, value, aval):
        """Fast constructor for host buffers fx itself produced (no copy, no checks)."""
        self = object.__new__(cls)
        if value.dtype != aval.dtype:
            value = value.astype(aval.dtype)
        value.flags.writeable = False
        self._buffer = value
        self._aval = aval
        self._device, self._committed = HOST, False
        return self

    @classmethod
    def _on_device(cls, buffer, aval, device):
        """A committed array of a buffer `device`'s backend produced (a host buffer on the
        host)."""
        if device is HOST:
            self = cls._wrap(buffer, aval)
        else:
            self = object.__new__(cls)
            self._buffer, self._aval, self._device = buffer, aval, device
        self._committed = True
        return self

    @property
    def aval(self):
        return self._aval

    @property
    def _value(self):
        """The values as a read-only NumPy array: the buffer itself on the host, a copy
        from the device otherwise (the one place device data reaches the host)."""
        if self._device is HOST:
            return self._buffer
        value = np.asarray(self._device.backend.to_host(self._live_buffer()), self._aval.dtype)
        value.flags.writeable = False
        return value

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self._value, dtype=dtype)
        return self._value if dtype is None else self._value.astype(dtype, copy=False)

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __complex__(self):
        return complex(self._value)

    def __index__(self):
        if self._aval.shape or self._aval.dtype.kind not in "iub":
            raise TypeError(f"only an integer scalar array can be used as a Python integer (an "
                            f"index, a size, a repeat count), got {self._aval.str_short()}")
        return self._value.__index__()

    def __hash__(self):
        raise TypeError("unhashable type: 'fx.Array'; use a Python scalar or a tuple")

    def __repr__(self):
        body = np.array2string(self._value, separator=", ", prefix="Array(")
        weak = ", weak_type=True" if self._aval.weak_type else ""
        return f"Array({body}, dtype={self._aval.dtype.name}{weak})"

    def __str__(self):
        return str(self._value)

    def __format__(self, spec):
        return format(self._value.item(), spec) if not self._aval.shape else str(self)

    def tolist(self):
        return self._value.tolist()

    def item(self, *args):
        return self._value.item(*args)

    def block_until_ready(self):
        if self._device is not HOST:
            self._device.backend.block_until_ready(self._live_buffer())
        return self

    def copy(self):
        if self._device is not HOST:
            return self
        return ArrayImpl._wrap(self._buffer.copy(), self._aval)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (ArrayImpl, (np.array(self._value), self._aval.weak_type))

    def _live_buffer(self):
        if self._buffer is None:
            raise RuntimeError(f"Array has been deleted with shape={self._aval.str_short()} (its "
                               "memory was donated to a jit call's outputs, or x.delete() was "
                               "called)")
        return self._buffer

    def delete(self):
        """Free the array's device memory now; using it afterwards raises RuntimeError
        (JAX's Array.delete; host arrays are left to Python's garbage collection)."""
        if self._device is not HOST:
            self._buffer = None

    def is_deleted(self):
        return self._buffer is None

    @property
    def device(self):
        return self._device

    def devices(self):
        return {self.device}

    @property
    def sharding(self):
        from fx.sharding import SingleDeviceSharding
        return SingleDeviceSharding(self._device)

    @property
    def committed(self):
        """Whether work on this array must run on its device (see fx.device_put)."""
        return self._committed

    def is_fully_addressable(self):
        return True
