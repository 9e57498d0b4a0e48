"""Backends compile a closed jaxpr into an executable and hold the buffers arrays live in
(the contract: fx/backends/base.py).

Each backend is a folder, fx/backends/NAME/, whose backend.py defines `Backend`; adding
one needs nothing here. `jit` asks `get_backend(name)`; the name comes from
`jit(..., backend=...)`, else the FX_PLATFORM environment variable, else the default.
The interpreter is the reference every other backend is tested against.
"""
from __future__ import annotations

import functools
import importlib
import os
import pkgutil

DEFAULT_BACKEND = "llvm"
_registered = {}  # name -> Backend instance, added by register_backend


@functools.cache
def _folders():
    return tuple(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg)


def backend_names():
    """Every backend fx knows: its folders and those registered at run time."""
    return sorted({*_folders(), *_registered})


@functools.cache
def _load(name):
    return importlib.import_module(f"{__name__}.{name}.backend").Backend()


def get_backend(name=None):
    name = name or os.environ.get("FX_PLATFORM") or DEFAULT_BACKEND
    if name == "cpu":
        name = DEFAULT_BACKEND
    if name in _registered:
        return _registered[name]
    if name not in _folders():
        raise ValueError(f"Unknown backend {name!r}: expected one of {backend_names()} "
                         "(set by jit(..., backend=...) or the FX_PLATFORM environment variable)")
    return _load(name)


def register_backend(backend):
    """Make a `Backend` instance available by its name (plug-ins, tests); returns it."""
    if backend.name in _folders():
        raise ValueError(f"a backend named {backend.name!r} already exists")
    _registered[backend.name] = backend
    return backend


def unregister_backend(name):
    _registered.pop(name, None)


def devices(backend=None):
    """The devices of a backend, the default one if not named (JAX's jax.devices())."""
    return get_backend(backend).devices()
