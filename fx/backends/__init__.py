"""Backends compile a closed jaxpr into an executable and hold the buffers arrays live in
(the contract: fx/backends/base.py).

Each backend is a folder, fx/backends/NAME/, whose backend.py defines `Backend`; adding
one needs nothing here. `jit` asks `get_backend(name)`; the name comes from
`jit(..., backend=...)`, else the `platforms` config option (JAX_PLATFORMS), else the
FX_PLATFORM environment variable, else the default:
cuda where a GPU is usable (or numba's simulator is on), llvm otherwise. "cpu" and
"gpu" name those two.
The interpreter is the reference every other backend is tested against.
"""
from __future__ import annotations

import functools
import importlib
import os
import pkgutil

HOST_BACKEND = "llvm"  # what "cpu" names, and the default where no GPU is usable
GPU_BACKEND = "cuda"   # what "gpu" names, and the default where a GPU (or its simulator) is
_registered = {}  # name -> Backend instance, added by register_backend
ALIASES = {"cpu": HOST_BACKEND, "gpu": GPU_BACKEND}


@functools.cache
def _folders():
    return tuple(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg)


def backend_names():
    """Every backend fx knows: its folders and those registered at run time."""
    return sorted({*_folders(), *_registered})


@functools.cache
def _load(name):
    return importlib.import_module(f"{__name__}.{name}.backend").Backend()


@functools.cache
def _gpu_usable():
    """Whether the cuda backend has a device: a GPU, or numba's simulator switched on
    (checked without importing numba where neither can be)."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1" and not os.path.exists("/dev/nvidiactl"):
        return False
    return bool(_load(GPU_BACKEND).devices())


def default_backend_name():
    """The first of the `platforms` config option (JAX_PLATFORMS) if set, else the
    FX_PLATFORM environment variable, else the GPU's backend when a GPU is usable, else the
    CPU's."""
    from fx.config import config
    if config.platforms:
        return config.platforms.split(",")[0].strip()
    return os.environ.get("FX_PLATFORM") or (GPU_BACKEND if _gpu_usable() else HOST_BACKEND)


def get_backend(name=None):
    name = name or default_backend_name()
    name = ALIASES.get(name, name)
    if name in _registered:
        return _registered[name]
    if name not in _folders():
        raise ValueError(f"Unknown backend {name!r}: expected one of {backend_names()} "
                         "(set by jit(..., backend=...), the platforms config option or the "
                         "JAX_PLATFORMS / FX_PLATFORM environment variables)")
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
    """The devices of a backend, the default one if not named (JAX's jax.devices()); a
    RuntimeError for a backend that has none here (jax.devices("gpu") without a GPU)."""
    found = get_backend(backend).devices()
    if not found:
        raise RuntimeError(f"fx.devices({backend!r}): the {get_backend(backend).name} backend has "
                           "no devices here" + (" (no usable CUDA GPU; numba's simulator runs "
                           "without one when NUMBA_ENABLE_CUDASIM=1 is set before fx is imported)"
                           if get_backend(backend).platform == "gpu" else ""))
    return found
