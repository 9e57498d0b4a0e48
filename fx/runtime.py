"""The process-level names a JAX script touches on its first lines: device and process
counts, clear_caches, named_call / named_scope, environment information, and each config
option's context-manager form (``with fx.enable_x64(): ...``, as ``jax.enable_x64``).

fx runs in one process (``process_index() == 0``, ``process_count() == 1``) until the
distributed backend of issue #16 lands.
"""
from __future__ import annotations

import contextlib
import functools
import platform
import sys

from fx.backends import devices
from fx.config import config
from fx.core import ensure_compile_time_eval  # noqa: F401  (re-exported as fx.ensure_compile_time_eval)


def device_count(backend=None) -> int:
    """How many devices the backend (the default one if not named) has."""
    return len(devices(backend))


def local_device_count(backend=None) -> int:
    """How many devices this process drives: all of them, in one process."""
    return device_count(backend)


def process_index(backend=None) -> int:
    return 0


def process_count(backend=None) -> int:
    return 1


def process_indices(backend=None) -> list[int]:
    return [0]


host_id, host_count, host_ids = process_index, process_count, process_indices  # JAX's older names


def clear_caches():
    """Forget every traced and compiled program held in memory: each jitted function's
    cache, the transforms' jaxpr caches and the loaded native code. The on-disk cache
    (FX_CACHE_DIR) stays, so the next call compiles nothing it has compiled before."""
    from fx.backends.executable import unload_all
    from fx.transforms import batching, jit, jvp, partial_eval, transpose
    jit.clear_all_caches()
    for cached in (jvp.jvp_jaxpr, transpose.transpose_jaxpr, partial_eval.partial_eval_jaxpr,
                   batching.batch_jaxpr):
        cached.cache_clear()
    unload_all()


def named_call(fun, *, name=None):
    """`fun`, called under `name` (its __name__ by default): the name jit and the profile
    give the program. fx has no separate call primitive for names."""
    if name is None:
        return fun

    @functools.wraps(fun)
    def named(*args, **kwargs):
        return fun(*args, **kwargs)
    named.__name__ = named.__qualname__ = name
    return named


@contextlib.contextmanager
def named_scope(name: str):
    """JAX's name scopes label HLO ops for profilers; fx's profile names source lines, so
    the scope only checks its name."""
    if not isinstance(name, str):
        raise TypeError(f"named_scope takes a string name, got {type(name).__name__} {name!r}")
    yield


def print_environment_info(return_string=False):
    """The versions of fx, Python, NumPy, llvmlite and numba, and the devices."""
    import llvmlite
    import numba
    import numpy

    import fx
    lines = [f"fx:        {fx.__version__}", f"numpy:     {numpy.__version__}",
             f"llvmlite:  {llvmlite.__version__}", f"numba:     {numba.__version__}",
             f"python:    {sys.version}", f"platform:  {platform.platform()}",
             f"devices:   {devices()}"]
    text = "\n".join(lines)
    if return_string:
        return text
    print(text)


_NO_DEFAULT = object()


def _option_context(option, default=_NO_DEFAULT):
    def manager(new_val=default):
        if new_val is _NO_DEFAULT:
            raise TypeError(f"fx.{option}() needs the value to set inside the block")
        return config.override(option, new_val)
    manager.__name__ = manager.__qualname__ = option
    manager.__doc__ = (f"`with fx.{option}(value):` the config option {option} set to value "
                       f"inside the block (see fx.config).")
    return manager


enable_x64 = _option_context("enable_x64", True)
log_compiles = _option_context("log_compiles", True)
explain_cache_misses = _option_context("explain_cache_misses", True)
check_tracer_leaks = _option_context("check_tracer_leaks", True)
enable_checks = _option_context("enable_checks", True)
debug_key_reuse = _option_context("debug_key_reuse", True)
enable_custom_prng = _option_context("enable_custom_prng", True)
softmax_custom_jvp = _option_context("softmax_custom_jvp", True)
threefry_partitionable = _option_context("threefry_partitionable", True)
allow_f16_reductions = _option_context("allow_f16_reductions", True)
default_matmul_precision = _option_context("default_matmul_precision")
numpy_rank_promotion = _option_context("numpy_rank_promotion")
numpy_dtype_promotion = _option_context("numpy_dtype_promotion")
default_prng_impl = _option_context("default_prng_impl")
legacy_prng_key = _option_context("legacy_prng_key")
transfer_guard = _option_context("transfer_guard")
transfer_guard_host_to_device = _option_context("transfer_guard_host_to_device")
transfer_guard_device_to_host = _option_context("transfer_guard_device_to_host")
transfer_guard_device_to_device = _option_context("transfer_guard_device_to_device")


def checking_leaks():
    """`with fx.checking_leaks():` check_tracer_leaks on inside the block."""
    return config.override("check_tracer_leaks", True)
