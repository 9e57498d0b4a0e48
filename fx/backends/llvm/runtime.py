"""Native runtime for the code the LLVM backend generates: BLAS's gemm, LAPACK's routines
(lapack.py) and a parallel-for.

Generated code calls these by symbol name, never through Python. The code generator
declares them in its module (``declare_gemm``, ``declare_parallel_for``) and binds the
names before it finalises the engine with ``bind_symbols()`` (``llvmlite.binding.add_symbol``
for each). Generated code must refer to them by NAME, never bake an address into the IR
as a constant: object code is cached on disk (disk_cache.py) and the addresses change
from one process to the next, while names are relocated at load time.

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

Threads: OpenBLAS (this wheel is the pthreads build) keeps a pool of its own. fx makes
it single-threaded when it loads the library, and the code generator splits big products
into blocks itself, one gemm call per block inside a ``parallel_for`` body: one pool, so
no two sets of threads spin against each other (see gemm.py's ``emit_gemm``).

parallel_for: fx's own thread pool (pool.py)
--------------------------------------------
``fx_parallel_for(body, ctx, n, grain)`` runs ``body(ctx, start, end)`` over chunks of
[0, n) on a pool of POSIX threads that fx builds with llvmlite; see pool.py for the
protocol and why fx does not use an OpenMP pool (its join barrier makes a busy core
stall every parallel region).

``num_threads()`` is ``FX_NUM_THREADS`` when set, else the cores this process may run on.
With one thread no worker is started and ``fx_parallel_for`` runs inline.
"""
from __future__ import annotations

import ctypes
import functools
import os
import sys
from dataclasses import dataclass

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from fx.backends.llvm import callbacks, interrupt
from fx.backends.llvm import pool as _pool_module
from fx.backends.llvm.pool import (BODY_TYPE, PARALLEL_FOR_SYMBOL, PARALLEL_FOR_TYPE,  # noqa: F401
                                   declare_parallel_for, pool)

__all__ = [
    "BODY_TYPE",
    "CBLAS_COL_MAJOR",
    "CBLAS_NO_TRANS",
    "CBLAS_ROW_MAJOR",
    "CBLAS_TRANS",
    "GEMM_SYMBOLS",
    "LAPACK_ROUTINES",
    "PARALLEL_FOR_SYMBOL",
    "PARALLEL_FOR_TYPE",
    "Gemm",
    "available_cores",
    "bind_symbols",
    "blas_gemm",
    "blas_gemm_address",
    "declare_gemm",
    "declare_parallel_for",
    "gemm_function_type",
    "lapack_address",
    "num_threads",
    "parallel_for_address",
    "set_num_threads",
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
    """Set the threads used by ``fx_parallel_for`` (capped by the workers the pool started
    with). OpenBLAS stays single-threaded: fx splits big products into blocks on its own
    pool, and a threaded BLAS inside those blocks would oversubscribe the cores.

    The pool starts its workers at the first ``parallel_for_address()``; if only one
    thread was allowed then, none start, and a larger count later still runs inline."""
    global _thread_override
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: expected an integer >= 1, got {n!r}")
    _thread_override = int(n)
    if _pool_module._POOL is not None:
        _pool_module._POOL.set_threads(int(n))


# ---------------------------------------------------------------------------------------
# BLAS

CBLAS_ROW_MAJOR, CBLAS_COL_MAJOR = 101, 102
CBLAS_NO_TRANS, CBLAS_TRANS = 111, 112

#: names the generated code declares for gemm; ``bind_symbols`` binds them.
GEMM_SYMBOLS = {"float32": "fx_cblas_sgemm", "float64": "fx_cblas_dgemm",
                "complex64": "fx_cblas_cgemm", "complex128": "fx_cblas_zgemm"}
_GEMM_LETTER = {"float32": "s", "float64": "d", "complex64": "c", "complex128": "z"}
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
            _set_blas_threads(lib, 1)   # fx's pool runs the blocks (see "Threads" above)
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
    """The gemm for ``dtype`` (float32 -> sgemm, float64 -> dgemm, complex64 -> cgemm,
    complex128 -> zgemm), or None if there is none."""
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
    """The LLVM type of the CBLAS gemm for ``dtype`` (float32, float64, complex64 or
    complex128). Complex gemms take alpha and beta by pointer."""
    name = _canonical_dtype(dtype)
    if name not in _GEMM_LETTER:
        raise ValueError(f"gemm_function_type: BLAS gemm takes float32, float64, complex64 or "
                         f"complex128, got {name}")
    part = ir.FloatType() if name in ("float32", "complex64") else ir.DoubleType()
    f = ir.LiteralStructType([part, part]) if name.startswith("complex") else part
    i32, p = ir.IntType(32), f.as_pointer()
    scalar = p if name.startswith("complex") else f
    return ir.FunctionType(ir.VoidType(), [i32, i32, i32, i32, i32, i32, scalar, p, i32, p, i32, scalar, p, i32])


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


#: LAPACK routines generated code may call (fx/backends/llvm/lapack.py): the LAPACKE
#: row-major wrappers, which allocate their own workspace, and CBLAS's trsm. Generated
#: code declares each as "fx_" + this name.
LAPACK_ROUTINES = tuple(name.format(c) for name in (
    "LAPACKE_{}potrf", "LAPACKE_{}getrf", "LAPACKE_{}geqrf", "LAPACKE_{}orgqr",
    "LAPACKE_{}syevd", "LAPACKE_{}gesdd", "cblas_{}trsm") for c in "sd")


def lapack_address(routine: str) -> int | None:
    """Address of one of LAPACK_ROUTINES ("LAPACKE_dpotrf", "cblas_strsm") in the BLAS
    library, or None where there is none (the same conditions as for gemm)."""
    lib = _blas_library()
    fn = None if lib is None else lib.fn(routine)
    return None if fn is None else ctypes.cast(fn, ctypes.c_void_p).value


# ---------------------------------------------------------------------------------------
# parallel_for (fx's own pool, pool.py)

def parallel_for_address() -> int:
    """Address of ``fx_parallel_for`` (starts the pool's threads on first use)."""
    return pool(num_threads()).parallel_for


def bind_symbols() -> dict[str, int]:
    """``llvmlite.binding.add_symbol`` every runtime name generated code may call; returns
    ``{name: address}`` (the gemm and LAPACK names only where a BLAS is present)."""
    symbols = {PARALLEL_FOR_SYMBOL: parallel_for_address(), **interrupt.symbols(),
               callbacks.SYMBOL: callbacks.address()}
    for dtype in GEMM_SYMBOLS:
        g = blas_gemm(dtype)
        if g is not None:
            symbols[g.symbol] = g.address
    for routine in LAPACK_ROUTINES:
        address = lapack_address(routine)
        if address is not None:
            symbols["fx_" + routine] = address
    for name, address in symbols.items():
        llvm.add_symbol(name, address)
    return symbols
