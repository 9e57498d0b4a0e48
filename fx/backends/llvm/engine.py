"""From module IR to linked native code: `Engine` owns ORC's LLJIT for the host CPU; it
optimises (the new pass manager, with loop and SLP vectorisation) and compiles a
program's modules on parallel threads (past a number of modules, in compile workers:
compile_worker.py), caches the object code on disk, and links each program into a
library of its own. `key_parts` is what its object code depends on besides the program.
"""
from __future__ import annotations

import atexit
import functools
import itertools
import os
import struct
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import llvmlite
import llvmlite.binding as llvm

from fx.backends.disk_cache import DiskCache
from fx.backends.llvm import compile_worker, objcheck
from fx.backends.llvm.entry import ndarray_data_offset
from fx.backends.llvm.gemm import GEMM_BLOCK_FLOPS, SMALL_GEMM_FLOPS
from fx.backends.llvm.parallel import CHUNK_MIN_WORK, PARALLEL_MIN_WORK
from fx.backends.llvm.statements import SMALL_STATEMENT_WORK
from fx.backends.program_key import source_fingerprint

class Library:
    """One program's native code, linked into a JIT library of its own. `address` (its
    entry point) is valid while this object lives: ORC frees the code when the object is
    collected (its resource tracker closes), so whatever calls the code holds this."""
    __slots__ = ("tracker", "address", "__weakref__")

    def __init__(self, tracker, address):
        self.tracker, self.address = tracker, address


# Libraries linked into one LLJIT before the engine starts another (see Engine). Fresh
# LLJITs cost ~1.5 ms each; every library ORC has linked costs ~10 KB until its LLJIT goes.
JIT_GENERATION = 64


class Engine:
    """ORC's LLJIT for the host CPU, fed object code that fx compiles itself: a program's
    modules are optimised and compiled on up to `runtime.num_threads()` threads at once
    (LLVM releases the GIL; each thread has its own LLVM context and target machine), and
    the objects go to the on-disk cache, so a restarted process loads them instead.

    Each program is linked (with JITLink) into a library of its own, shared by the
    executables of that program and freed with the last of them. ORC keeps a record of
    every library it linked (~10 KB, even after the code is freed) until its LLJIT goes,
    so the engine links into a fresh LLJIT every `JIT_GENERATION` libraries; each old one
    goes with its last library. Object files from the disk cache are checked before they
    are linked, and a library's entry point must resolve: a bad entry is removed and the
    program compiled again, never run.

    llvmlite leaks ~65 KB per module optimised in-process (compile_worker.py says where),
    so past the first `FX_INPROCESS_COMPILES` modules (default 512, ~33 MB of leak; 0:
    none in-process) the engine compiles in child processes, each recycled after
    `compile_worker.Pool.modules_per_worker` modules."""

    def __init__(self):
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        self.cpu = llvm.get_host_cpu_name()
        self.features = llvm.get_host_cpu_features().flatten()
        self.jit = None
        self.links = 0
        self.cache = DiskCache()
        self.lock = threading.Lock()
        self.libraries = weakref.WeakValueDictionary()   # program key -> its live Library
        self.compiled = self.from_disk = 0   # programs LLVM compiled / loaded from the cache
        self._identity = self._symbols = None   # made on first use
        self.inprocess_compiles = inprocess_compiles()
        self.modules = itertools.count()   # modules compiled (next() is atomic)
        self.workers = compile_worker.Pool(self.cpu, self.features)
        atexit.register(self.workers.close)   # they would exit anyway; this reaps them

    def target_machine(self):
        return compile_worker.target_machine(self.cpu, self.features)

    def object_code(self, module_ir: str) -> bytes:
        """Optimise and compile one module (safe to run on several threads at once): in
        this process for the first `inprocess_compiles` modules, then in compile workers,
        unless they fail (see compile_worker.py)."""
        if next(self.modules) >= self.inprocess_compiles:
            code = self.workers.object_code(module_ir)
            if code is not None:
                return code
        return compile_worker.object_code(self.target_machine(), module_ir)

    def library(self, key, symbol, build_irs) -> Library:
        """The program cached under `key`, linked, with `symbol` as its entry point;
        `build_irs()` gives its modules' IR texts when neither a live library nor the disk
        cache has it."""
        with self.lock:
            library = self.libraries.get(key)
            if library is None:
                library = self._from_disk(key, symbol) or self._compile(key, symbol, build_irs)
                self.libraries[key] = library
            return library

    def _compile(self, key, symbol, build_irs):
        from fx.backends.llvm import runtime
        texts = build_irs()
        with ThreadPoolExecutor(min(len(texts), runtime.num_threads())) as threads:
            objects = list(threads.map(self.object_code, texts))
        library = self._link(key, symbol, objects)
        self.cache.put(key, _pack(objects))
        self.compiled += 1
        return library

    def _from_disk(self, key, symbol):
        """The library linked from the disk cache's entry for `key`, or None: no entry, or a
        bad one (removed)."""
        objects = _unpack(self.cache.get(key))
        if objects is None:
            return None
        try:
            self._check_objects(objects)
            library = self._link(key, symbol, objects)
        except (objcheck.BadObject, RuntimeError) as e:   # RuntimeError: llvmlite's link errors
            self.cache.discard(key, str(e).strip()[:200])
            return None
        self.from_disk += 1
        return library

    def _check_objects(self, objects):
        """Raise objcheck.BadObject unless each object starts as this engine's objects do
        and is structurally sound (see objcheck.py)."""
        if self._identity is None:
            empty = self.target_machine().emit_object(llvm.parse_assembly(""))
            self._identity = empty[:objcheck.identity_length(empty)]
        for obj in objects:
            objcheck.check_object(obj, self._identity)

    def _link(self, key, symbol, objects) -> Library:
        if self.links % JIT_GENERATION == 0:
            # JITLink: unlike RuntimeDyld, it reports a bad object as an error (fuzzed)
            self.jit = llvm.create_lljit_compiler(self.target_machine(), use_jit_link=True,
                                                  suppress_errors=True)
        self.links += 1
        builder = llvm.JITLibraryBuilder()
        for name, address in self._imports(objects).items():
            builder.import_symbol(name, address)
        for obj in objects:
            builder.add_object_img(obj)
        tracker = builder.export_symbol(symbol).link(self.jit, f"fx_{key[:24]}_{self.links}")
        if not tracker[symbol]:
            tracker.close()
            raise RuntimeError(f"the entry point {symbol} resolved to address 0")
        return Library(tracker, tracker[symbol])

    def _imports(self, objects):
        """The address of each symbol the objects use but do not define: fx's runtime
        functions, else what the process (or `llvm.add_symbol`) provides, as MCJIT
        resolved them. A symbol with no address anywhere is an error before linking."""
        runtime_symbols = self._runtime_symbols()
        tables = [objcheck.global_symbols(obj) for obj in objects]
        if None in tables:   # not ELF: ORC looks up what the runtime does not define in the process
            return runtime_symbols
        imports = {}
        for name in set().union(*(u for _, u in tables)).difference(*(d for d, _ in tables)):
            imports[name] = runtime_symbols.get(name) or llvm.address_of_symbol(name)
            if not imports[name]:
                raise RuntimeError(f"compiled code calls {name!r}, which this process does not define")
        return imports

    def _runtime_symbols(self):
        """The runtime functions generated code calls by name (runtime.bind_symbols), each
        at a nonzero address."""
        from fx.backends.llvm import runtime
        if self._symbols is None:
            symbols = runtime.bind_symbols()
            missing = sorted(name for name, address in symbols.items() if not address)
            if missing:
                raise RuntimeError(f"fx runtime symbols {missing} have no address")
            self._symbols = symbols
        return self._symbols


def _pack(objects: list[bytes]) -> bytes:
    """Object files as one cache entry: a count, their lengths, their bytes."""
    header = struct.pack(f"<I{len(objects)}Q", len(objects), *map(len, objects))
    return header + b"".join(objects)


def _unpack(data: bytes | None) -> list[bytes] | None:
    if data is None or len(data) < 4:
        return None
    (count,) = struct.unpack_from("<I", data)
    offset = 4 + 8 * count
    if len(data) < offset:
        return None
    objects = []
    for length in struct.unpack_from(f"<{count}Q", data, 4):
        objects.append(data[offset:offset + length])
        offset += length
    return objects if offset == len(data) else None


DEFAULT_INPROCESS_COMPILES = 512


def inprocess_compiles() -> int:
    """``FX_INPROCESS_COMPILES`` (a module count >= 0), else `DEFAULT_INPROCESS_COMPILES`."""
    raw = os.environ.get("FX_INPROCESS_COMPILES", "").strip()
    if not raw:
        return DEFAULT_INPROCESS_COMPILES
    if not raw.isdigit():
        raise ValueError(f"environment variable FX_INPROCESS_COMPILES={raw!r}: expected how "
                         "many modules to compile in-process before using compile workers, "
                         "an integer >= 0")
    return int(raw)


@functools.cache
def get_engine() -> Engine:
    return Engine()


def key_parts() -> tuple[str, ...]:
    """What the llvm backend's object code depends on besides the program
    (fx/backends/program_key.py): the code generator's source and settings, and the
    toolchain and machine."""
    from fx.backends.llvm import entry, runtime
    blas = [runtime.blas_gemm(d) is not None for d in ("float32", "float64")]
    settings = f"objects={ndarray_data_offset()} parallel={PARALLEL_MIN_WORK},{CHUNK_MIN_WORK} " \
               f"gemm={SMALL_GEMM_FLOPS},{GEMM_BLOCK_FLOPS} small={SMALL_STATEMENT_WORK} blas={blas} " \
               f"threads={runtime.num_threads()} segments={entry.SEGMENT_STATEMENTS}"
    return settings, *_toolchain_parts()


@functools.cache
def _toolchain_parts():
    import pathlib
    here = pathlib.Path(__file__).parent
    codegen = source_fingerprint(*here.glob("*.py"), here.parents[1] / "ir" / "kernels.py")
    return (f"codegen={codegen}", f"llvmlite={llvmlite.__version__}",
            "llvm=" + ".".join(map(str, llvm.llvm_version_info)),
            f"triple={llvm.get_process_triple()}", f"cpu={llvm.get_host_cpu_name()}",
            f"features={llvm.get_host_cpu_features().flatten()}")
