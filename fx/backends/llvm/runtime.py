"""Native runtime for the code the LLVM backend generates: a BLAS gemm and a parallel-for.

Generated code calls these by symbol name, never through Python. The code generator
declares them in its module (``declare_gemm``, ``declare_parallel_for``) and binds the
names before it finalises the engine with ``bind_symbols()`` (which calls
``llvmlite.binding.add_symbol``; with ORC, ``JITLibraryBuilder.import_symbol(name, addr)``
with the addresses it returns). Generated code must refer to them by NAME, never bake an
address into the IR as a constant: object code is cached on disk (disk_cache.py) and the
addresses change from one process to the next, while names are relocated at load time.

BLAS: the ``scipy-openblas32`` wheel
------------------------------------
Three sources were weighed:

(a) ``scipy-openblas32`` (chosen). The NumPy/SciPy team build it to ship OpenBLAS to
    Python packages; it is a plain ``pip install`` (an 8 MB ``py3-none`` wheel, so any
    Python 3; checked for manylinux x86_64 and aarch64), its library depends only on
    libc/libm/libpthread, and its package has a documented locator
    (``get_lib_dir()``/``get_library()``). Its symbols carry a ``scipy_`` prefix, so it
    never clashes with another BLAS in the process, and it exports the CBLAS interface
    (``scipy_cblas_sgemm``/``scipy_cblas_dgemm``: row-major, scalars by value) as well as
    the Fortran one, plus ``scipy_openblas_set_num_threads``. "32" means 32-bit
    (LP64) integer arguments. Measured here: 1024x1024 float32 through
    ``scipy_cblas_sgemm`` via ctypes, 206 GFLOP/s on 2 threads and 103 on one, the same
    as ``numpy.matmul`` (201).
(b) ``scipy.linalg.cython_blas.__pyx_capi__`` capsules: Fortran convention only (every
    argument by pointer, column-major), and it drags all of SciPy (~40 MB) in as a
    dependency for two functions.
(c) NumPy's bundled OpenBLAS (``scipy_openblas64``, ILP64, in ``numpy.libs``): not a public
    API; its file name and location change between NumPy builds.

The calling convention the code generator uses (CBLAS, all integers i32)::

    void fx_cblas_sgemm(i32 order, i32 transA, i32 transB, i32 M, i32 N, i32 K,
                        float alpha, float *A, i32 lda, float *B, i32 ldb,
                        float beta, float *C, i32 ldc)          # dgemm: double

    C[M,N] = alpha * op(A)[M,K] @ op(B)[K,N] + beta * C, with order=CBLAS_ROW_MAJOR (101)
    and trans=CBLAS_NO_TRANS (111) / CBLAS_TRANS (112); for row-major, lda is the row
    stride in elements of A as stored (>= K untransposed, >= M transposed).

With no BLAS (the wheel missing, its library failing to load, ``FX_BLAS=off``, or a
dtype other than float32/float64) ``blas_gemm_address`` returns ``None`` and the code
generator emits its own loop. Dimensions or strides above 2**31 - 1 do not fit the i32
interface: the code generator must use its own loop (or split the product) there too.

Threads: OpenBLAS (this wheel is the pthreads build) keeps its own pool, separate from the
parallel-for pool below. ``FX_NUM_THREADS`` when set (and ``set_num_threads``) also sets
OpenBLAS's count via ``scipy_openblas_set_num_threads``; otherwise OpenBLAS keeps its own
default (``OPENBLAS_NUM_THREADS``, else all cores). Generated code should call gemm from
outside ``parallel_for`` bodies (a gemm inside a parallel body runs OpenBLAS's pool on top
of ours and oversubscribes the cores); for many small products, ``blas_set_num_threads(1)``
and a parallel-for over the batch is the alternative.

parallel_for: numba's threading layer behind a small llvmlite-generated wrapper
-------------------------------------------------------------------------------
``void fx_parallel_for(void (*body)(i8 *ctx, i64 start, i64 end), i8 *ctx, i64 n, i64 grain)``
runs ``body`` over disjoint chunks covering [0, n) and returns when all are done.
``grain`` is the smallest number of indices worth a chunk of its own (the code generator's
estimate): with ``n // grain < 2``, one thread allowed, a nested call, or the pool busy,
it calls ``body(ctx, 0, n)`` inline on the calling thread. Otherwise ``min(threads,
n // grain)`` workers claim chunks (up to 4 per worker, each at least ``grain``) from a
shared atomic counter until none are left, so a worker slowed by other load on its core
takes fewer. The chunk bounds are all the body gets; it must not assume a particular
chunking. ``n <= 0`` calls nothing.

The pool is numba's threading layer (numba is already an fx dependency, so no compiled
code of our own has to ship): ``numba.get_num_threads()`` launches it once per process
(measured here: ~0.17 s for ``import numba``, 5 ms for the launch, ~17 ms to compile this
module; fx does not import numba otherwise), and its C entry point ``numba_parallel_for(fn, args, dims, steps, data,
inner_ndim, array_count, num_threads)`` runs a gufunc-style kernel over an index space.
``fx_parallel_for`` passes it a trampoline with the gufunc signature over the space of
CHUNK numbers (one array, base pointer 1, step 1, so a call's ``args[0] - 1`` is its first
chunk and ``dims[0]`` its chunk count; the base is not NULL because numba's OpenMP layer
keeps a NULL base NULL) and a closure {body, ctx, n, chunk}; the trampoline calls
``body(ctx, start, end)`` for each chunk it is handed. No Python and no GIL anywhere.

How the layer behaves when called from code that is not numba's (read from numba 0.68's
sources and checked here), and what the wrapper does about it:

* Which layer loads depends on the machine: ``tbb`` if the tbb package is installed, else
  ``omp`` if libgomp loads (here: omp), else ``workqueue``, unless NUMBA_THREADING_LAYER
  says otherwise. The layers hand out work differently (omp calls the kernel once per
  index, workqueue splits into ``num_threads`` blocks, tbb into ranges), which is why the
  trampoline works on chunk numbers and loops over whatever range it is handed.
* ``workqueue`` is not thread-safe (two threads in ``parallel_for`` at once corrupt its
  queue) and aborts the process (SIGABRT) on a nested call. The wrapper takes a try-lock:
  a second concurrent or nested ``fx_parallel_for`` runs its body inline instead, so at
  most one region uses the pool at a time, for every layer. (numba's own parallel code,
  if the user runs some at the same moment, is outside this lock.)
* GNU OpenMP is not fork-safe and numba's omp layer kills a forked child that calls it
  (SIGTERM); workqueue's threads do not exist in a child either. An
  ``os.register_at_fork`` hook clears the pool pointer in the child, so a child made by
  ``os.fork``/multiprocessing computes inline instead of dying (no per-call cost: a
  ``getpid()`` check in the wrapper cost more than the rest of it). Not covered: a fork
  made by native code without Python's fork hooks, and a child of a process that had
  launched numba's pool before fx started this runtime (numba's own limitation).
* ``num_threads`` passed to the layer never exceeds the pool numba launched
  (``NUMBA_NUM_THREADS``, default: the cores), which workqueue requires.

Per call (measured here, 2 cores, an empty body, best of runs on a busy machine): ~0.8 us
on the parallel path with the omp or tbb layer (a bare OpenMP region in C: ~0.7 us), ~55 us
with workqueue (two condition-variable hand-offs per call; numba's own ``prange`` costs
55-80 us per call here), ~3 ns inline. The code generator's ``grain`` should keep a chunk
well above that (e.g. >= 64K elements of elementwise work). The 2-core speedup could not be
measured cleanly while this was written: another job kept one core busy, and then even a
plain C OpenMP loop ran no faster on 2 threads than on 1.

``num_threads()`` is ``FX_NUM_THREADS`` when set, else the cores this process may run on.
With one thread the pool (and numba) is never started: ``fx_parallel_for`` runs inline.
"""
from __future__ import annotations

import ctypes
import functools
import os
import sys
import threading
import warnings
from dataclasses import dataclass

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

__all__ = [
    "BODY_TYPE",
    "CBLAS_COL_MAJOR",
    "CBLAS_NO_TRANS",
    "CBLAS_ROW_MAJOR",
    "CBLAS_TRANS",
    "GEMM_SYMBOLS",
    "PARALLEL_FOR_SYMBOL",
    "PARALLEL_FOR_TYPE",
    "Gemm",
    "available_cores",
    "bind_symbols",
    "blas_config",
    "blas_gemm",
    "blas_gemm_address",
    "blas_get_num_threads",
    "blas_set_num_threads",
    "declare_gemm",
    "declare_parallel_for",
    "gemm_function_type",
    "num_threads",
    "parallel_for_address",
    "set_num_threads",
    "threading_layer",
]

# ---------------------------------------------------------------------------------------
# Thread count

_thread_override: int | None = None


def available_cores() -> int:
    """The number of CPUs this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def num_threads() -> int:
    """Threads fx computes with: ``set_num_threads``'s value, else ``FX_NUM_THREADS``, else
    ``available_cores()``."""
    if _thread_override is not None:
        return _thread_override
    raw = os.environ.get("FX_NUM_THREADS", "").strip()
    if not raw:
        return available_cores()
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"environment variable FX_NUM_THREADS={raw!r} is not an integer; "
                         "expected a thread count >= 1") from None
    if n < 1:
        raise ValueError(f"environment variable FX_NUM_THREADS={raw!r}: expected a thread count >= 1")
    return n


def set_num_threads(n: int) -> None:
    """Set the threads used by ``fx_parallel_for`` (capped by numba's pool) and by OpenBLAS.

    The pool itself starts at the first ``parallel_for_address()``; if only one thread was
    allowed then, it never starts, and a larger count later still runs inline."""
    global _thread_override
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: expected an integer >= 1, got {n!r}")
    _thread_override = int(n)
    rt = _RUNTIME
    if rt is not None:
        rt.set_max_chunks(int(n))
    blas_set_num_threads(int(n))


# ---------------------------------------------------------------------------------------
# BLAS

CBLAS_ROW_MAJOR, CBLAS_COL_MAJOR = 101, 102
CBLAS_NO_TRANS, CBLAS_TRANS = 111, 112

#: names the generated code declares for gemm; ``bind_symbols`` binds them.
GEMM_SYMBOLS = {"float32": "fx_cblas_sgemm", "float64": "fx_cblas_dgemm"}
_GEMM_LETTER = {"float32": "s", "float64": "d"}
_OFF = {"0", "off", "none", "false", "no"}


@dataclass(frozen=True)
class _BlasLibrary:
    cdll: ctypes.CDLL
    path: str
    prefix: str

    def fn(self, name):
        return getattr(self.cdll, self.prefix + name, None)


@dataclass(frozen=True)
class Gemm:
    """One gemm entry point and how to call it (see the module docstring for the ABI)."""
    dtype: str            # "float32" or "float64"
    symbol: str           # the name generated code declares, e.g. "fx_cblas_sgemm"
    address: int          # where it lives in this process
    library_symbol: str   # its name in the shared library, e.g. "scipy_cblas_sgemm"
    library_path: str
    convention: str = "cblas"   # row/col major flag first, scalars by value
    index_bits: int = 32        # M, N, K, lda, ldb, ldc and the enums are i32

    def function_type(self) -> ir.FunctionType:
        return gemm_function_type(self.dtype)

    def declare(self, module: ir.Module) -> ir.Function:
        return declare_gemm(module, self.dtype)


def _blas_disabled() -> bool:
    return os.environ.get("FX_BLAS", "").strip().lower() in _OFF


def _find_shared_library(lib_dir: str) -> str | None:
    suffixes = (".dll",) if sys.platform == "win32" else (".dylib",) if sys.platform == "darwin" else (".so",)
    names = sorted(n for n in os.listdir(lib_dir)
                   if n.startswith(("libscipy_openblas", "scipy_openblas")) and n.endswith(suffixes))
    return os.path.join(lib_dir, names[0]) if names else None


@functools.cache
def _blas_library(package: str = "scipy_openblas32") -> _BlasLibrary | None:
    """Load the OpenBLAS of the ``package`` wheel, or None when it is absent or unusable."""
    if _blas_disabled():
        return None
    try:
        import importlib
        pkg = importlib.import_module(package)
        path = _find_shared_library(pkg.get_lib_dir())
        if path is None:
            return None
        cdll = ctypes.CDLL(path)
    except (ImportError, OSError, AttributeError, TypeError):   # absent, or a broken install
        return None
    for prefix in ("scipy_", ""):
        if all(hasattr(cdll, f"{prefix}cblas_{c}gemm") for c in "sd"):
            lib = _BlasLibrary(cdll, path, prefix)
            if os.environ.get("FX_NUM_THREADS", "").strip() or _thread_override is not None:
                _set_blas_threads(lib, num_threads())
            return lib
    return None


def _set_blas_threads(lib, n):
    fn = lib.fn("openblas_set_num_threads")
    if fn is not None:
        fn.argtypes, fn.restype = [ctypes.c_int], None
        fn(int(n))


def _canonical_dtype(dtype) -> str:
    return np.dtype(dtype).name


def blas_gemm(dtype) -> Gemm | None:
    """The gemm for ``dtype`` (float32 -> sgemm, float64 -> dgemm), or None if there is none."""
    name = _canonical_dtype(dtype)
    if name not in _GEMM_LETTER:
        return None
    lib = _blas_library()
    if lib is None:
        return None
    libsym = f"{lib.prefix}cblas_{_GEMM_LETTER[name]}gemm"
    address = ctypes.cast(getattr(lib.cdll, libsym), ctypes.c_void_p).value
    return Gemm(dtype=name, symbol=GEMM_SYMBOLS[name], address=address,
                library_symbol=libsym, library_path=lib.path)


def blas_gemm_address(dtype) -> int | None:
    """Address of ``cblas_sgemm`` (float32) / ``cblas_dgemm`` (float64), or None: no BLAS
    for this dtype here, so the code generator emits its own loop."""
    g = blas_gemm(dtype)
    return None if g is None else g.address


def gemm_function_type(dtype) -> ir.FunctionType:
    """The LLVM type of the CBLAS gemm for ``dtype`` (float32 or float64)."""
    name = _canonical_dtype(dtype)
    if name not in _GEMM_LETTER:
        raise ValueError(f"gemm_function_type: BLAS gemm takes float32 or float64, got {name}")
    f = ir.FloatType() if name == "float32" else ir.DoubleType()
    i32, p = ir.IntType(32), f.as_pointer()
    return ir.FunctionType(ir.VoidType(), [i32, i32, i32, i32, i32, i32, f, p, i32, p, i32, f, p, i32])


def _declare(module, name, fnty):
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    return ir.Function(module, fnty, name=name)


def declare_gemm(module: ir.Module, dtype) -> ir.Function:
    """Declare ``fx_cblas_sgemm``/``fx_cblas_dgemm`` (external) in ``module``."""
    name = _canonical_dtype(dtype)
    fnty = gemm_function_type(name)
    return _declare(module, GEMM_SYMBOLS[name], fnty)


def blas_set_num_threads(n: int) -> None:
    """Set OpenBLAS's own thread count (no-op without BLAS)."""
    lib = _blas_library()
    if lib is not None:
        _set_blas_threads(lib, n)


def blas_get_num_threads() -> int | None:
    lib = _blas_library()
    fn = None if lib is None else lib.fn("openblas_get_num_threads")
    if fn is None:
        return None
    fn.argtypes, fn.restype = [], ctypes.c_int
    return int(fn())


def blas_config() -> str | None:
    """OpenBLAS's configuration string (version, kernel chosen for this CPU), or None."""
    lib = _blas_library()
    fn = None if lib is None else lib.fn("openblas_get_config")
    if fn is None:
        return None
    fn.argtypes, fn.restype = [], ctypes.c_char_p
    return fn().decode()


# ---------------------------------------------------------------------------------------
# parallel_for

PARALLEL_FOR_SYMBOL = "fx_parallel_for"

_i8p = ir.IntType(8).as_pointer()
_i64, _i32 = ir.IntType(64), ir.IntType(32)
#: ``void body(i8 *ctx, i64 start, i64 end)``
BODY_TYPE = ir.FunctionType(ir.VoidType(), [_i8p, _i64, _i64])
#: ``void fx_parallel_for(body *, i8 *ctx, i64 n, i64 grain)``
PARALLEL_FOR_TYPE = ir.FunctionType(ir.VoidType(), [BODY_TYPE.as_pointer(), _i8p, _i64, _i64])


def declare_parallel_for(module: ir.Module) -> ir.Function:
    """Declare ``fx_parallel_for`` (external) in ``module``."""
    return _declare(module, PARALLEL_FOR_SYMBOL, PARALLEL_FOR_TYPE)


def _build_runtime_ir() -> str:
    """The wrapper module: ``fx_parallel_for`` and the gufunc-signature trampoline."""
    mod = ir.Module(name="fx_runtime")
    mod.triple = llvm.get_process_triple()
    void = ir.VoidType()
    body_p = BODY_TYPE.as_pointer()
    # body, ctx, n, chunk size, next unclaimed chunk, number of chunks
    closure_t = ir.LiteralStructType([body_p, _i8p, _i64, _i64, _i64, _i64])
    gufunc_t = ir.FunctionType(void, [_i8p.as_pointer(), _i64.as_pointer(), _i64.as_pointer(), _i8p])
    backend_t = ir.FunctionType(void, [_i8p, _i8p.as_pointer(), _i64.as_pointer(), _i64.as_pointer(),
                                       _i8p, _i64, _i64, _i32])

    def global_var(name, ty, init):
        g = ir.GlobalVariable(mod, ty, name=name)
        g.initializer = ir.Constant(ty, init)
        g.align = 8
        return g

    g_max_chunks = global_var("fx_pf_max_chunks", _i32, 1)
    g_busy = global_var("fx_pf_busy", _i32, 0)
    g_backend = global_var("fx_pf_backend", _i8p, None)
    one, zero = ir.Constant(_i64, 1), ir.Constant(_i64, 0)

    # trampoline(args, dims, steps, data): one worker. It claims chunks from the shared
    # counter until none are left (dynamic scheduling: a worker on a busy core simply
    # claims fewer), whatever range of worker indices the pool handed it.
    tramp = ir.Function(mod, gufunc_t, name="fx_pf_trampoline")
    tramp.linkage = "internal"
    _args, _dims, _steps, data = tramp.args
    entry, loop, call_bb, done = (tramp.append_basic_block(n) for n in ("entry", "loop", "call", "done"))
    b = ir.IRBuilder(entry)
    clo = b.bitcast(data, closure_t.as_pointer())
    fbody = b.load(b.gep(clo, [_i32(0), _i32(0)]))
    ctx = b.load(b.gep(clo, [_i32(0), _i32(1)]))
    n = b.load(b.gep(clo, [_i32(0), _i32(2)]))
    chunk = b.load(b.gep(clo, [_i32(0), _i32(3)]))
    counter = b.gep(clo, [_i32(0), _i32(4)])
    nchunks = b.load(b.gep(clo, [_i32(0), _i32(5)]))
    b.branch(loop)
    b = ir.IRBuilder(loop)
    c = b.atomic_rmw("add", counter, one, "monotonic")
    b.cbranch(b.icmp_signed("<", c, nchunks), call_bb, done)
    b = ir.IRBuilder(call_bb)
    start = b.mul(c, chunk)
    end0 = b.add(start, chunk)
    b.call(fbody, [ctx, start, b.select(b.icmp_signed("<", end0, n), end0, n)])
    b.branch(loop)
    ir.IRBuilder(done).ret_void()

    # fx_parallel_for(body, ctx, n, grain)
    pf = ir.Function(mod, PARALLEL_FOR_TYPE, name=PARALLEL_FOR_SYMBOL)
    fbody, ctx, n, grain = pf.args
    blocks = {name: pf.append_basic_block(name)
              for name in ("entry", "split", "pool", "lock", "parallel", "inline", "ret")}
    b = ir.IRBuilder(blocks["entry"])
    b.cbranch(b.icmp_signed(">", n, zero), blocks["split"], blocks["ret"])
    b = ir.IRBuilder(blocks["split"])
    g = b.select(b.icmp_signed("<", grain, one), one, grain)
    maxc = b.zext(b.load_atomic(g_max_chunks, "monotonic", 4), _i64)
    want = b.sdiv(n, g)
    chunks = b.select(b.icmp_signed("<", want, maxc), want, maxc)
    b.cbranch(b.icmp_signed(">", chunks, one), blocks["pool"], blocks["inline"])
    b = ir.IRBuilder(blocks["pool"])
    backend = b.load_atomic(g_backend, "monotonic", 8)
    b.cbranch(b.icmp_unsigned("!=", backend, ir.Constant(_i8p, None)), blocks["lock"], blocks["inline"])
    b = ir.IRBuilder(blocks["lock"])
    got = b.extract_value(b.cmpxchg(g_busy, _i32(0), _i32(1), "acquire", "monotonic"), 1)
    b.cbranch(got, blocks["parallel"], blocks["inline"])
    b = ir.IRBuilder(blocks["parallel"])
    # up to 4 chunks per worker (each at least `grain`), claimed dynamically
    fine = b.select(b.icmp_signed("<", want, b.mul(chunks, ir.Constant(_i64, 4))), want,
                    b.mul(chunks, ir.Constant(_i64, 4)))
    chunk = b.sdiv(b.sub(b.add(n, fine), one), fine)
    nchunks = b.sdiv(b.sub(b.add(n, chunk), one), chunk)
    clo = b.alloca(closure_t)
    for i, v in enumerate((fbody, ctx, n, chunk, zero, nchunks)):
        b.store(v, b.gep(clo, [_i32(0), _i32(i)]))
    args = b.alloca(_i8p)
    b.store(b.inttoptr(one, _i8p), args)
    dims = b.alloca(_i64)
    b.store(chunks, dims)  # one pool task per worker
    steps = b.alloca(_i64)
    b.store(one, steps)
    run = b.bitcast(backend, backend_t.as_pointer())
    b.call(run, [b.bitcast(tramp, _i8p), args, dims, steps, b.bitcast(clo, _i8p),
                 zero, one, b.trunc(chunks, _i32)])
    b.store_atomic(_i32(0), g_busy, "release", 4)
    b.branch(blocks["ret"])
    b = ir.IRBuilder(blocks["inline"])
    b.call(fbody, [ctx, zero, n])
    b.branch(blocks["ret"])
    ir.IRBuilder(blocks["ret"]).ret_void()
    return str(mod)


class _Runtime:
    def __init__(self):
        self.layer, self.pool_size, backend = "serial", 1, 0
        if num_threads() > 1:
            try:
                import numba
                from numba.core import config as numba_config
                numba.get_num_threads()          # launches numba's threading layer (once)
                backend = llvm.address_of_symbol("numba_parallel_for") or 0
                if not backend:
                    raise RuntimeError("numba registered no 'numba_parallel_for' symbol")
                self.layer = numba.threading_layer()
                self.pool_size = int(numba_config.NUMBA_NUM_THREADS)
            except Exception as e:  # noqa: BLE001 -- whatever the failure, loops run inline
                warnings.warn(f"fx: numba's threading layer is unavailable ({e}); "
                              "parallel loops run on one thread", RuntimeWarning, stacklevel=3)
                backend = 0
        self.ir = _build_runtime_ir()
        self.module = llvm.parse_assembly(self.ir)
        self.module.verify()
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        tm = llvm.Target.from_default_triple().create_target_machine(opt=2, jit=True)
        self.engine = llvm.create_mcjit_compiler(self.module, tm)
        self.engine.finalize_object()
        addr = self.engine.get_global_value_address
        self._max_chunks = ctypes.c_int32.from_address(addr("fx_pf_max_chunks"))
        self._backend = ctypes.c_void_p.from_address(addr("fx_pf_backend"))
        self._backend.value = backend or None
        self.set_max_chunks(num_threads())
        self.parallel_for = self.engine.get_function_address(PARALLEL_FOR_SYMBOL)
        if backend and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_in_child)

    def _after_fork_in_child(self):
        # The pool's threads do not exist in a fork child (and GNU OpenMP kills a child
        # that uses it): the child computes inline, on its one thread.
        self._backend.value = None
        self.layer = "serial"

    def set_max_chunks(self, n):
        self._max_chunks.value = max(1, min(int(n), self.pool_size))


_RUNTIME: _Runtime | None = None
_RUNTIME_LOCK = threading.Lock()


def _runtime() -> _Runtime:
    global _RUNTIME
    if _RUNTIME is None:
        with _RUNTIME_LOCK:
            if _RUNTIME is None:
                _RUNTIME = _Runtime()
    return _RUNTIME


def parallel_for_address() -> int:
    """Address of ``fx_parallel_for`` (starts numba's pool on first use unless one thread)."""
    return _runtime().parallel_for


def threading_layer() -> str:
    """The pool behind ``fx_parallel_for``: numba's "omp", "tbb" or "workqueue", or "serial"."""
    return _runtime().layer


def bind_symbols() -> dict[str, int]:
    """``llvmlite.binding.add_symbol`` every runtime name generated code may call; returns
    ``{name: address}`` (the gemm names only where a BLAS is present)."""
    symbols = {PARALLEL_FOR_SYMBOL: parallel_for_address()}
    for dtype in GEMM_SYMBOLS:
        g = blas_gemm(dtype)
        if g is not None:
            symbols[g.symbol] = g.address
    for name, address in symbols.items():
        llvm.add_symbol(name, address)
    return symbols
