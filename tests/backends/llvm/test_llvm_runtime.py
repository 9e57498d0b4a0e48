"""The LLVM backend's native runtime: BLAS gemm, parallel_for, and the on-disk object cache.

Native code under test is generated here with llvmlite (loop bodies, drivers that call
fx_parallel_for or the gemm by symbol name), so what is checked is the path the code
generator uses, with no Python between generated code and the runtime.
"""
import ctypes
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import llvmlite.binding as llvm
import numpy as np
import pytest
from llvmlite import ir

import fx
from fx.backends import disk_cache as dc
from fx.backends.llvm import runtime as rt

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir))
i8p, i32, i64 = ir.IntType(8).as_pointer(), ir.IntType(32), ir.IntType(64)


# ---------------------------------------------------------------------------------------
# helpers: compile llvmlite IR for the host


def _target_machine():
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=2, jit=True)


def _compile(module_text):
    mod = llvm.parse_assembly(module_text)
    mod.verify()
    engine = llvm.create_mcjit_compiler(mod, _target_machine())
    engine.finalize_object()
    return engine


def _for_range(b, fn, start, end, emit):
    """for i in [start, end): emit(b, i)"""
    pre = b.block
    head, body, done = fn.append_basic_block(), fn.append_basic_block(), fn.append_basic_block()
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(i64)
    i.add_incoming(start, pre)
    b.cbranch(b.icmp_signed("<", i, end), body, done)
    b.position_at_end(body)
    emit(b, i)
    i.add_incoming(b.add(i, i64(1)), b.block)
    b.branch(head)
    b.position_at_end(done)


def _parallel_module():
    """count_body(ctx=i32*, s, e): counts[i] += 1 atomically; nested_body: each outer index
    runs a parallel_for of count_body over its own 64 counters; driver(body, ctx, n, grain,
    reps) calls fx_parallel_for reps times."""
    m = ir.Module("pf_tests")
    m.triple = llvm.get_process_triple()
    pf = rt.declare_parallel_for(m)

    count = ir.Function(m, rt.BODY_TYPE, "count_body")
    b = ir.IRBuilder(count.append_basic_block())
    p = b.bitcast(count.args[0], i32.as_pointer())
    _for_range(b, count, count.args[1], count.args[2],
               lambda b, i: b.atomic_rmw("add", b.gep(p, [i]), i32(1), "monotonic"))
    b.ret_void()

    nested = ir.Function(m, rt.BODY_TYPE, "nested_body")
    b = ir.IRBuilder(nested.append_basic_block())
    q = b.bitcast(nested.args[0], i32.as_pointer())
    _for_range(b, nested, nested.args[1], nested.args[2], lambda b, i: b.call(
        pf, [count, b.bitcast(b.gep(q, [b.mul(i, i64(64))]), i8p), i64(64), i64(1)]))
    b.ret_void()

    drv = ir.Function(m, ir.FunctionType(ir.VoidType(), [rt.BODY_TYPE.as_pointer(), i8p, i64, i64, i64]),
                      "driver")
    b = ir.IRBuilder(drv.append_basic_block())
    body, ctx, n, grain, reps = drv.args
    _for_range(b, drv, i64(0), reps, lambda b, i: b.call(pf, [body, ctx, n, grain]))
    b.ret_void()
    return str(m)


class _Parallel:
    def __init__(self):
        rt.bind_symbols()
        self.engine = _compile(_parallel_module())
        self.count = self.engine.get_function_address("count_body")
        self.nested = self.engine.get_function_address("nested_body")
        driver_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                       ctypes.c_int64, ctypes.c_int64)
        self.driver = driver_type(self.engine.get_function_address("driver"))

    def counts(self, n, grain, reps=1):
        c = np.zeros(max(n, 1), np.int32)
        self.driver(self.count, c.__array_interface__["data"][0], n, grain, reps)
        return c[:n] if n > 0 else c


@pytest.fixture(scope="module")
def par():
    return _Parallel()


# ---------------------------------------------------------------------------------------
# BLAS

def _gemm_ctypes(dtype):
    address = rt.blas_gemm_address(dtype)
    assert address is not None, "scipy-openblas32 (an fx dependency) should provide a BLAS"
    scalar = ctypes.c_float if np.dtype(dtype) == np.float32 else ctypes.c_double
    i, p = ctypes.c_int, ctypes.c_void_p
    return ctypes.CFUNCTYPE(None, i, i, i, i, i, i, scalar, p, i, p, i, scalar, p, i)(address)


def _ptr(a):
    return a.__array_interface__["data"][0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("order", ["row", "col"])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_gemm_matches_numpy(dtype, order, ta, tb, rng):
    M, N, K = 37, 53, 29
    gemm = _gemm_ctypes(dtype)
    np_order = "C" if order == "row" else "F"
    # op(A) is M x K; stored A is K x M when transposed. Store inside bigger arrays so the
    # leading dimension exceeds the logical one (a strided sub-matrix, as in a slice).
    a_shape = (K, M) if ta else (M, K)
    b_shape = (N, K) if tb else (K, N)
    a_big = np.asarray(rng.standard_normal((a_shape[0] + 3, a_shape[1] + 5)), dtype=dtype, order=np_order)
    b_big = np.asarray(rng.standard_normal((b_shape[0] + 2, b_shape[1] + 4)), dtype=dtype, order=np_order)
    a, b = a_big[:a_shape[0], :a_shape[1]], b_big[:b_shape[0], :b_shape[1]]
    c = np.asarray(rng.standard_normal((M, N)), dtype=dtype, order=np_order)
    expected = 0.5 * ((a.T if ta else a) @ (b.T if tb else b)) + 2.0 * c.astype(np.float64)

    def ld(x):  # leading dimension in elements: row stride (row-major) or column stride
        return x.strides[0 if order == "row" else 1] // x.itemsize

    layout = rt.CBLAS_ROW_MAJOR if order == "row" else rt.CBLAS_COL_MAJOR
    trans = {False: rt.CBLAS_NO_TRANS, True: rt.CBLAS_TRANS}
    gemm(layout, trans[ta], trans[tb], M, N, K, 0.5, _ptr(a), ld(a), _ptr(b), ld(b), 2.0, _ptr(c), ld(c))
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(c, expected, rtol=tol, atol=tol * 10)


def test_gemm_square_float32():
    gemm = _gemm_ctypes(np.float32)
    rng = np.random.default_rng(1)
    n = 256
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    c = np.empty((n, n), np.float32)
    gemm(rt.CBLAS_ROW_MAJOR, rt.CBLAS_NO_TRANS, rt.CBLAS_NO_TRANS, n, n, n, 1.0, _ptr(a), n, _ptr(b), n,
         0.0, _ptr(c), n)
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-3)


def test_gemm_called_from_generated_code():
    """LLVM code declares fx_cblas_dgemm by name; bind_symbols binds it; no Python between."""
    m = ir.Module("gemm_caller")
    m.triple = llvm.get_process_triple()
    dgemm = rt.declare_gemm(m, np.float64)
    assert rt.declare_gemm(m, "float64") is dgemm            # declared once per module
    dp = ir.DoubleType().as_pointer()
    fn = ir.Function(m, ir.FunctionType(ir.VoidType(), [dp, dp, dp, i32, i32, i32]), "matmul")
    A, B, C, M, N, K = fn.args
    b = ir.IRBuilder(fn.append_basic_block())
    b.call(dgemm, [i32(rt.CBLAS_ROW_MAJOR), i32(rt.CBLAS_NO_TRANS), i32(rt.CBLAS_NO_TRANS), M, N, K,
                   ir.Constant(ir.DoubleType(), 1.0), A, K, B, N, ir.Constant(ir.DoubleType(), 0.0), C, N])
    b.ret_void()
    symbols = rt.bind_symbols()
    assert symbols["fx_cblas_dgemm"] == rt.blas_gemm_address("float64")
    engine = _compile(str(m))
    matmul = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                              ctypes.c_int, ctypes.c_int, ctypes.c_int)(engine.get_function_address("matmul"))
    rng = np.random.default_rng(2)
    a, bb = rng.standard_normal((5, 7)), rng.standard_normal((7, 3))
    c = np.zeros((5, 3))
    matmul(_ptr(a), _ptr(bb), _ptr(c), 5, 3, 7)
    np.testing.assert_allclose(c, a @ bb, rtol=1e-12)


def test_gemm_description_and_threads():
    g = rt.blas_gemm("float32")
    assert (g.symbol, g.convention, g.index_bits) == ("fx_cblas_sgemm", "cblas", 32)
    assert g.library_symbol.endswith("cblas_sgemm") and os.path.exists(g.library_path)
    assert str(g.function_type()) == str(rt.gemm_function_type(np.float32))
    config = _blas_call("openblas_get_config", ctypes.c_char_p)
    assert b"OpenBLAS" in config
    before = _blas_threads()
    try:
        rt._set_blas_threads(rt._blas_library(), 1)
        assert _blas_threads() == 1
    finally:
        rt._set_blas_threads(rt._blas_library(), before)


def _blas_call(name, restype):
    """Call an argument-less OpenBLAS function, or None without BLAS."""
    lib = rt._blas_library()
    fn = None if lib is None else lib.fn(name)
    if fn is None:
        return None
    fn.argtypes, fn.restype = [], restype
    return fn()


def _blas_threads():
    return _blas_call("openblas_get_num_threads", ctypes.c_int)


def test_no_blas_means_none(monkeypatch):
    assert rt.blas_gemm_address(np.int32) is None            # no integer gemm: the codegen loops
    assert rt.blas_gemm_address(np.complex64) is not None    # cgemm
    assert rt._blas_library("fx_no_such_blas_package") is None   # wheel not installed
    monkeypatch.setenv("FX_BLAS", "off")
    rt._blas_library.cache_clear()
    try:
        assert rt.blas_gemm_address(np.float32) is None
        assert rt.blas_gemm("float64") is None and rt.blas_gemm("complex128") is None
        assert "fx_cblas_sgemm" not in rt.bind_symbols()
        assert _blas_threads() is None
    finally:
        monkeypatch.delenv("FX_BLAS")
        rt._blas_library.cache_clear()
    assert rt.blas_gemm_address(np.float32) is not None


# ---------------------------------------------------------------------------------------
# parallel_for

def test_num_threads_env(monkeypatch):
    monkeypatch.setattr(rt, "_thread_override", None)
    monkeypatch.setenv("FX_NUM_THREADS", "3")
    assert rt.num_threads() == 3
    monkeypatch.delenv("FX_NUM_THREADS")
    assert rt.num_threads() == rt.available_cores() >= 1
    for bad in ("x", "0", "-2"):
        monkeypatch.setenv("FX_NUM_THREADS", bad)
        with pytest.raises(ValueError, match="FX_NUM_THREADS"):
            rt.num_threads()


@pytest.mark.parametrize("n,grain", [(0, 1), (1, 1), (2, 1), (3, 2), (5, 1), (100, 1), (1000, 7),
                                     (1001, 500), (10007, 1), (100000, 1000), (100000, 10**9), (5, 0)])
def test_parallel_for_visits_every_index_once(par, n, grain):
    counts = par.counts(n, grain, reps=3)
    if n:
        assert counts.shape == (n,)
        assert (counts == 3).all(), np.flatnonzero(counts != 3)[:10]
    else:
        assert counts[0] == 0                                 # n == 0 calls nothing


def test_parallel_for_many_calls_in_a_row(par):
    assert (par.counts(64, 1, reps=1000) == 1000).all()
    assert (par.counts(100003, 64, reps=100) == 100).all()


def test_parallel_for_concurrent_callers(par):
    # ctypes releases the GIL, so these threads call fx_parallel_for at the same time; one
    # gets the pool, the others run inline (the pool runs one job at a time).
    results = [None] * 4

    def work(k):
        results[k] = par.counts(20000 + k, 16, reps=100)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, counts in enumerate(results):
        assert counts.shape == (20000 + k,) and (counts == 100).all()


def test_parallel_for_nested(par):
    c = np.zeros(64 * 100, np.int32)
    par.driver(par.nested, _ptr(c), 100, 1, 2)
    assert (c == 2).all()


def _threading_layer():
    """"fx" when fx_parallel_for has worker threads, "serial" when it runs inline."""
    return rt.pool(rt.num_threads()).layer


def test_parallel_for_layer_and_threads(par):
    assert _threading_layer() in {"fx", "serial"}
    assert rt.parallel_for_address() == rt.bind_symbols()["fx_parallel_for"]
    before = rt._thread_override
    try:
        rt.set_num_threads(1)          # everything inline now
        assert (par.counts(10000, 1) == 1).all()
        with pytest.raises(ValueError):
            rt.set_num_threads(0)
    finally:
        rt._thread_override = before
        rt.pool(rt.num_threads()).set_threads(rt.num_threads())
        assert _blas_threads() in (1, None)   # fx's blocks, never BLAS's threads


def test_parallel_for_waits_for_claimed_chunks(par):
    """Chunks run on worker threads too, and the call returns only when all are done:
    every index is written before it returns, however the chunks were shared."""
    if _threading_layer() != "fx":
        pytest.skip("one thread: no workers")
    for n, grain in [(8, 1), (64, 8), (4096, 1)]:
        for _ in range(200):
            assert (par.counts(n, grain) == 1).all()


_PF_SCRIPT = textwrap.dedent("""
    import json, os, sys, threading
    import numpy as np
    sys.path.insert(0, {root!r})
    import tests.backends.llvm.test_llvm_runtime as t
    from fx.backends.llvm import runtime as rt
    par = t._Parallel()
    ok = all((par.counts(n, g, 2) == 2).all() for n, g in [(1, 1), (7, 1), (1000, 3), (99991, 100)])
    c = np.zeros(64 * 50, np.int32); par.driver(par.nested, t._ptr(c), 50, 1, 2); ok &= bool((c == 2).all())
    res = {{}}
    th = [threading.Thread(target=lambda k=k: res.__setitem__(k, par.counts(5000, 8, 50))) for k in range(3)]
    [x.start() for x in th]; [x.join() for x in th]
    ok &= all((r == 50).all() for r in res.values())
    layer = rt.pool(rt.num_threads()).layer
    child = None
    if hasattr(os, "fork"):
        pid = os.fork()
        if pid == 0:   # a fork child computes inline instead of dying in the pool
            os._exit(0 if (par.counts(10000, 1, 3) == 3).all() else 3)
        child = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    print(json.dumps({{"ok": bool(ok), "layer": layer, "child": child, "numba": "numba" in sys.modules}}))
""")


@pytest.mark.parametrize("env", [{}, {"FX_NUM_THREADS": "5"}, {"FX_NUM_THREADS": "1"}],
                         ids=["cores", "more-threads-than-cores", "one-thread"])
def test_parallel_for_in_subprocess(env):
    """The pool in a fresh process (more threads than cores too, and the one-thread mode,
    which starts no worker), surviving a fork; fx never imports numba on the CPU."""
    script = _PF_SCRIPT.format(root=ROOT)
    out = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True,
                         timeout=120, env={**os.environ, **env}, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["ok"] and res["child"] in (0, None) and not res["numba"], res
    one_thread = env.get("FX_NUM_THREADS") == "1" or rt.available_cores() == 1 and not env
    assert res["layer"] == ("serial" if one_thread else "fx"), res


def test_parallel_for_survives_fork(par):
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    par.counts(1000, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # "multi-threaded process forks"
        pid = os.fork()
    if pid == 0:
        code = 0 if (par.counts(10000, 1, 2) == 2).all() else 3
        os._exit(code)
    for _ in range(600):                     # never hang the suite on a stuck child
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the fork child did not finish in 30 s")
    assert os.waitstatus_to_exitcode(status) == 0


# ---------------------------------------------------------------------------------------
# disk cache

def test_cache_key():
    k = dc.cache_key("program", "x86")
    assert k == dc.cache_key("program", "x86") and len(k) == 64 and int(k, 16) >= 0
    assert dc.cache_key("ab", "c") != dc.cache_key("a", "bc")
    assert dc.cache_key("a") != dc.cache_key("a", "")
    assert dc.cache_key(b"a") == dc.cache_key("a")


def test_program_key_names_program_constants_and_toolchain():
    from fx.backends.llvm import engine
    from fx.backends.program_key import program_key
    parts = engine.key_parts()
    assert any(p.startswith("cpu=") for p in parts) and any(p.startswith("llvm=") for p in parts)

    def key(fun, *args):
        return program_key(fx.jit(fun).lower(*args).kernel_program(), parts)
    x = np.ones(3, np.float32)
    assert key(lambda v: v * 2, x) == key(lambda v: v * 2, x)
    assert key(lambda v: v * 2, x) != key(lambda v: v * 3, x)
    big = np.arange(100.0, dtype=np.float32)  # constants enter by content, not by text
    assert key(lambda v: v + big, big) != key(lambda v: v + big[::-1], big)


def test_cache_default_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("FX_CACHE_DIR", str(tmp_path / "c"))
    assert dc.DiskCache().directory == str(tmp_path / "c")
    monkeypatch.delenv("FX_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert dc.default_cache_dir() == str(tmp_path / "xdg" / "fx")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert dc.default_cache_dir() == str(tmp_path / "home" / ".cache" / "fx")


def test_cache_round_trip(tmp_path):
    cache = dc.DiskCache(tmp_path / "cache")
    key = dc.cache_key("k")
    assert cache.get(key) is None and key not in cache      # no directory yet: a miss
    payload = bytes(range(256)) * 100
    assert cache.put(key, payload)
    assert cache.get(key) == payload and key in cache
    assert dc.DiskCache(tmp_path / "cache").get(key) == payload   # another instance
    assert cache.put(key, b"")                                     # overwrite, empty payload
    assert cache.get(key) == b""
    assert [n for n in os.listdir(tmp_path / "cache") if n.startswith(".tmp")] == []
    for bad in ("../etc/passwd", "ABCDEF0123456789", "xyz", "", None):
        with pytest.raises(ValueError):
            cache.get(bad)
    assert cache.clear() == 1 and cache.get(key) is None


@pytest.mark.parametrize("damage", ["truncate_payload", "truncate_header", "empty", "flip_payload",
                                    "flip_checksum", "bad_magic", "bad_version", "extra_bytes"])
def test_cache_corrupt_entry_is_a_miss_and_removed(tmp_path, damage):
    cache = dc.DiskCache(tmp_path)
    key = dc.cache_key("corrupt", damage)
    cache.put(key, b"object code " * 50)
    path = cache.path_for(key)
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    header = dc._HEADER.size
    if damage == "truncate_payload":
        raw = raw[:-7]
    elif damage == "truncate_header":
        raw = raw[:header - 3]
    elif damage == "empty":
        raw = b""
    elif damage == "flip_payload":
        raw[header + 10] ^= 0x40
    elif damage == "flip_checksum":
        raw[header - 1] ^= 1
    elif damage == "bad_magic":
        raw[0:2] = b"XX"
    elif damage == "bad_version":
        raw[8] ^= 0xFF
    elif damage == "extra_bytes":
        raw += b"\0"
    with open(path, "wb") as f:
        f.write(raw)
    with pytest.warns(RuntimeWarning, match="removed a bad compilation cache entry"):
        assert cache.get(key) is None
    assert not os.path.exists(path)
    assert cache.put(key, b"fresh") and cache.get(key) == b"fresh"


def test_cache_unwritable_directory_is_disabled_with_one_warning(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = dc.DiskCache(blocker / "cache")        # cannot be created (even by root)
    key = dc.cache_key("x")
    with pytest.warns(RuntimeWarning, match="cannot write the compilation cache"):
        assert cache.put(key, b"data") is False
    assert not cache.writable
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # no second warning, no exception
        assert cache.put(dc.cache_key("y"), b"data") is False
        assert dc.DiskCache(blocker / "cache").put(key, b"data") is False   # once per directory
    assert cache.get(key) is None


def _writer(directory, key, wid, rounds, size):
    """Process body for the concurrent-writers test: put our payload, read back, repeat."""
    cache = dc.DiskCache(directory)
    valid = {bytes([w]) * size + bytes([w]) for w in range(8)}
    bad = 0
    for _ in range(rounds):
        cache.put(key, bytes([wid]) * size + bytes([wid]))
        got = cache.get(key)
        bad += got not in valid           # None (corrupt, removed) or a mixture
    return bad


def test_cache_concurrent_writers(tmp_path):
    key = dc.cache_key("shared")
    ctx = multiprocessing.get_context("spawn")
    sys.path.insert(0, os.path.dirname(__file__))
    with ctx.Pool(4) as pool:
        bad = pool.starmap(_writer, [(str(tmp_path), key, w, 40, 300_000) for w in range(4)])
    assert bad == [0, 0, 0, 0]
    got = dc.DiskCache(tmp_path).get(key)
    assert got is not None and len(set(got)) == 1 and got[0] < 4
    assert [n for n in os.listdir(tmp_path) if n.startswith(".tmp")] == []


