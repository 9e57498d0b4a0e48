"""Backends compile a closed jaxpr into an executable: a function from NumPy buffers
(one per jaxpr input, in the jaxpr's dtypes) to a list of NumPy buffers.

`jit` asks `get_backend(name)` for one; the name comes from `jit(..., backend=...)`, else
the FX_PLATFORM environment variable, else the default. The interpreter is the reference
every other backend is tested against.
"""
from __future__ import annotations

import functools
import os


class Device:
    def __init__(self, platform, id=0):
        self.platform, self.id = platform, id

    def __repr__(self):
        return f"{type(self).__name__}(id={self.id})" if self.platform != "cpu" else f"CpuDevice(id={self.id})"


_BACKENDS = {"interpreter": "fx.backends.interpreter", "llvm": "fx.backends.llvm.backend"}
DEFAULT_BACKEND = "llvm"


def backend_names():
    return sorted(_BACKENDS)


@functools.cache
def _load(name):
    import importlib
    return importlib.import_module(_BACKENDS[name]).Backend()


def get_backend(name=None):
    name = name or os.environ.get("FX_PLATFORM") or DEFAULT_BACKEND
    if name == "cpu":
        name = DEFAULT_BACKEND
    if name not in _BACKENDS:
        raise ValueError(f"Unknown backend {name!r}: expected one of {backend_names()} "
                         "(set by jit(..., backend=...) or the FX_PLATFORM environment variable)")
    return _load(name)


@functools.cache
def cpu_device():
    return Device("cpu", 0)


def devices(backend=None):
    """The devices fx computes on (JAX's jax.devices()). Every backend so far runs on the CPU."""
    get_backend(backend)
    return [cpu_device()]
