"""Compiled code is freed with its executables, at most `executable_cache_size` stay
loaded, and the disk cache stays within FX_CACHE_MAX_BYTES."""
import gc
import os
import subprocess
import sys
import weakref

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.backends import executable
from fx.backends import disk_cache as dc


def _library(jitted):
    (entry,) = jitted._cache.values()
    return entry.executable.code.library


def test_dropping_a_jitted_function_frees_its_native_code():
    f = fx.jit(lambda x: jnp.sin(x) * 3.0 - 0.5)
    x = np.linspace(0, 1, 7, dtype=np.float32)
    np.testing.assert_allclose(f(x), np.sin(x) * 3.0 - 0.5, rtol=1e-5)
    library = weakref.ref(_library(f))
    g = fx.jit(lambda x: jnp.sin(x) * 3.0 - 0.5)    # the same program shares the library
    g(x)
    assert _library(g) is library()
    del f, g
    gc.collect()
    assert library() is None


def test_executables_beyond_the_cache_size_unload_and_reload():
    x = np.arange(5.0)
    functions = [fx.jit(lambda x, k=k: x * k + 1.0) for k in range(6)]
    with fx.config.override("executable_cache_size", 3):
        for k, f in enumerate(functions):
            np.testing.assert_array_equal(f(x), x * k + 1.0)
            assert executable.loaded_count() <= 3
        executables = [next(iter(f._cache.values())).executable for f in functions]
        assert executables[0].code is None and executables[-1].code is not None
        np.testing.assert_array_equal(functions[0](x), x * 0 + 1.0)   # loads again
        assert executables[0].code is not None and executable.loaded_count() <= 3


def test_recently_called_executables_stay_loaded():
    """A clock: an executable called since the hand last passed is not unloaded."""
    x = np.arange(3.0)
    with fx.config.override("executable_cache_size", 4):
        hot = fx.jit(lambda x: x - 7.0)
        hot(x)
        for k in range(12):
            fx.jit(lambda x, k=k: x * k - 3.0)(x)
            hot(x)
            assert next(iter(hot._cache.values())).executable.code is not None


def test_executable_cache_size_option():
    with pytest.raises(TypeError, match="takes an int"):
        fx.config.update("executable_cache_size", 2.5)
    with pytest.raises(ValueError, match=">= 1"):
        fx.config.update("executable_cache_size", 0)
    env = dict(os.environ, FX_EXECUTABLE_CACHE_SIZE="7")
    out = subprocess.run([sys.executable, "-c", "import fx; print(fx.config.executable_cache_size)"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "7"


def test_disk_cache_evicts_least_recently_used_entries(tmp_path):
    entry_bytes = len(dc._encode(dc.cache_key("0"), b"x" * 1000))
    cache = dc.DiskCache(tmp_path, max_bytes=5 * entry_bytes)
    keys = [dc.cache_key(str(i)) for i in range(8)]
    for i, key in enumerate(keys[:5]):
        assert cache.put(key, b"x" * 1000)
        os.utime(cache.path_for(key), ns=(i * 10**9, i * 10**9))    # written in this order
    assert cache.get(keys[0]) is not None        # used: now the most recent
    assert cache.put(keys[5], b"x" * 1000)       # over the limit: down to 90% of it
    assert cache.size() <= 0.9 * cache.max_bytes
    present = [cache.get(k) is not None for k in keys[:6]]
    assert present == [True, False, False, True, True, True]


def test_cache_max_bytes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FX_CACHE_MAX_BYTES", "12345")
    assert dc.DiskCache(tmp_path).max_bytes == 12345
    monkeypatch.setenv("FX_CACHE_MAX_BYTES", "1GB")
    with pytest.raises(ValueError, match="FX_CACHE_MAX_BYTES"):
        dc.DiskCache(tmp_path)
    monkeypatch.delenv("FX_CACHE_MAX_BYTES")
    assert dc.DiskCache(tmp_path).max_bytes == dc.DEFAULT_MAX_BYTES


def _memory_script():
    """The child script of benchmarks/compile_memory.py (one copy for both)."""
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), *[os.pardir] * 3, "benchmarks", "compile_memory.py")
    spec = importlib.util.spec_from_file_location("compile_memory", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CHILD


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
@pytest.mark.slow  # compiles hundreds of programs in a child process
def test_many_compilations_stay_under_a_memory_ceiling(tmp_path):
    """600 programs with 32 loaded at a time: the first run compiles them with LLVM, past
    the first 50 modules in compile workers (llvmlite's pass builder leaks ~65 KB per
    module, ~70 MB over these 500 programs in-process); the second loads them from the
    disk cache. fx's own growth is then the trace cache (~8 KB a signature). Before ORC
    and the executable cache, this grew by ~22 KB a program."""
    env = dict(os.environ, FX_CACHE_DIR=str(tmp_path), FX_EXECUTABLE_CACHE_SIZE="32",
               FX_INPROCESS_COMPILES="50")
    for how, ceiling in (("compiled", 10.0), ("loaded from the disk cache", 7.0)):
        out = subprocess.run([sys.executable, "-c", _memory_script(), "600", "100"], env=env,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        growth = float(out.stdout.split()[0])
        assert growth < ceiling, f"RSS grew {growth:.1f} MB over 500 programs {how}"
