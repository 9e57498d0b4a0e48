"""What a backend is: the contract `jit`, eager evaluation and `fx.Array` rely on.

A backend lives in its own folder, fx/backends/NAME/backend.py, whose `Backend` class
subclasses `Backend` below (or `HostBackend`, when its buffers are NumPy arrays in host
memory). It compiles a closed jaxpr into an executable that takes one device buffer per
jaxpr input and returns a list of device buffers, and it moves buffers between the host
and its devices. Everything else (tracing, transforms, the kernel program) is shared.
"""
from __future__ import annotations

import threading

import numpy as np

from fx.array import HOST, Device
from fx.ir.jaxpr import ClosedJaxpr, Eqn, Jaxpr, Var


class Backend:
    """A backend: subclasses set `name` and `platform` and implement the methods that
    raise NotImplementedError."""
    name: str
    platform: str
    # the kernel-program pipeline (fx/ir/kernel_passes.py) of a backend that compiles
    # kernel programs: its cost model, rewrites and passes
    kernel_pipeline = None

    def __init__(self):
        self._primitive_programs = {}
        self._primitive_lock = threading.Lock()

    def supports_dtype(self, dtype) -> bool:
        """Whether the backend computes on `dtype`; compiling a program that uses one it
        does not raises a TypeError naming the primitive."""
        return True

    def devices(self) -> list[Device]:
        """The devices this backend computes on, as `fx.devices(name)` lists them."""
        raise NotImplementedError

    def compile(self, closed: ClosedJaxpr):
        """An executable for `closed`: called with one buffer per input (on this
        backend's device), it returns a list of buffers, one per output."""
        raise NotImplementedError

    def to_device(self, array: np.ndarray, device: Device):
        """A new buffer on `device` holding `array`'s values."""
        raise NotImplementedError

    def to_host(self, buffer) -> np.ndarray:
        """`buffer`'s values as a NumPy array."""
        raise NotImplementedError

    def block_until_ready(self, buffer):
        """Wait until the computation writing `buffer` has finished."""

    def as_text(self, program) -> str:
        """The backend's own form of a kernel program (`Lowered.as_text(name)`)."""
        raise ValueError(f"the {self.name} backend has no text form of its own")

    def run_primitive(self, prim, params, avals, out_avals, buffers):
        """Apply one primitive to buffers on this backend's device: how eager operations
        run off the host. Each (primitive, parameters, input types) compiles once."""
        try:
            key = (prim, tuple(sorted(params.items())), tuple(avals))
            hash(key)
        except TypeError:  # parameters holding lists, arrays...: compile each time
            key = None
        executable = self._primitive_programs.get(key) if key is not None else None
        if executable is None:
            executable = self.compile(_one_primitive_jaxpr(prim, params, avals, out_avals))
            if key is not None:
                with self._primitive_lock:
                    self._primitive_programs[key] = executable
        return executable(*buffers)


def _one_primitive_jaxpr(prim, params, avals, out_avals) -> ClosedJaxpr:
    invars = [Var(a) for a in avals]
    outvars = [Var(a) for a in (out_avals if prim.multiple_results else [out_avals])]
    return ClosedJaxpr(Jaxpr([], invars, outvars, [Eqn(prim, invars, outvars, params)]), [])


class HostBackend(Backend):
    """A backend computing on the host CPU: its buffers are NumPy arrays, so transfers
    are free and arrays never leave host memory."""
    platform = "cpu"

    def devices(self):
        return [HOST]

    def to_device(self, array, device):
        return array

    def to_host(self, buffer):
        return buffer
