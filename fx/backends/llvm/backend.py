"""The llvm backend: jaxpr -> kernel program -> LLVM module -> one native entry point."""
from __future__ import annotations

import collections
import threading
import weakref

import numpy as np

from fx.backends.base import HostBackend
from fx.backends.llvm import engine, entry, interrupt, runtime
from fx.config import config
from fx.ir import kernels as K
from fx.ir.jaxpr import ClosedJaxpr
from fx.ir.lower import lower_jaxpr


class _Code:
    """A loaded executable's native side: the library (holding it keeps the code alive),
    the entry point's ctypes wrapper, the workspace for temporaries (kept across calls; a
    call that finds it in use by another thread gets one of its own) and the bit the
    unloading clock reads (set by every call)."""
    __slots__ = ("library", "fn", "workspace", "workspace_lock", "used")

    def __init__(self, library, fn, workspace):
        self.library, self.fn, self.workspace = library, fn, workspace
        self.workspace_lock = threading.Lock()
        self.used = True


class Executable:
    """Calls the native entry point with the input arrays, freshly allocated outputs and
    the workspace.

    The native code and the workspace are loaded while the executable is among the
    `config.executable_cache_size` most recently used ones (`_loaded`); beyond that it
    unloads and, if called again, loads again: from the program's live library, the disk
    cache, or LLVM. So compiling many programs keeps memory bounded, and dropping an
    executable frees its code."""

    def __init__(self, program, key):
        self.program, self.key = program, key
        self.prefix = f"fx_{key[:24]}_"  # the same program gets the same symbols in every process
        self.n_args = len(program.inputs) + len(program.outputs) + 1  # + the workspace
        self.kind = entry.entry_kind(self.n_args)
        self.symbol = self.prefix + "entry" + (f"_{self.kind}" if self.kind else "")
        # a program with loops may stop early for Ctrl-C (interrupt.py): the flag it sets
        self.interrupt_flag = interrupt.native().flag if any(
            isinstance(s, K.Loop) for s in K.all_statements(program.body)) else None
        self.out_specs = [(b.shape, b.dtype) for b in program.outputs]
        self.workspace_bytes = entry.slot_offsets(program)[1]
        self.code = None
        self._load()

    def __call__(self, *args):
        code = self.code or self._load()   # a local: the code stays loaded until we return
        code.used = True
        # generated code reads row-major buffers; copies (rare: views made eagerly) stay
        # referenced by `args` until the call returns
        args = [a if a.flags.c_contiguous else np.ascontiguousarray(a) for a in args]
        outs = [np.empty(shape, dtype) for shape, dtype in self.out_specs]
        flag = self.interrupt_flag
        if flag is not None and flag.value:
            interrupt.clear_stale(flag)
        if not self.workspace_bytes:
            self._run(code.fn, args, outs, code.workspace)
        elif code.workspace_lock.acquire(blocking=False):
            try:
                self._run(code.fn, args, outs, code.workspace)
            finally:
                code.workspace_lock.release()
        else:
            self._run(code.fn, args, outs, self._new_workspace())
        if flag is not None and flag.value:
            interrupt.check(flag)
        return outs

    def _load(self):
        with _loaded_lock:
            if self.code is None:
                library = engine.get_engine().library(self.key, self.symbol, self._module_irs)
                fn = entry.entry_point(library.address, self.n_args, self.kind)
                self.code = _Code(library, fn, self._new_workspace())
                _loaded.append(weakref.ref(self))
                _unload_beyond(config.executable_cache_size)
            return self.code

    def _module_irs(self):
        return [str(m) for m in entry.build_modules(self.program, self.prefix, runtime.num_threads())[0]]

    def _new_workspace(self):
        """Zero-initialised memory for the temporaries, starting on a SLOT_ALIGN boundary."""
        buffer = np.zeros(self.workspace_bytes + entry.SLOT_ALIGN, np.uint8)
        return buffer[-buffer.__array_interface__["data"][0] % entry.SLOT_ALIGN:]

    def _run(self, fn, args, outs, workspace):
        if self.kind == "objects":
            fn(*args, *outs, workspace)
        else:
            fn(*[a.__array_interface__["data"][0] for a in (*args, *outs, workspace)])


# Loaded executables, oldest first, by weak reference: the dead are skipped when reached.
_loaded: collections.deque = collections.deque()
_loaded_lock = threading.Lock()


def _unload_beyond(capacity):
    """Unload executables until at most `capacity` are loaded: a clock, so the least
    recently used go first (one called since the hand last passed gets a second chance)."""
    while len(_loaded) > capacity:
        ref = _loaded.popleft()
        exe = ref()
        if exe is None or exe.code is None:
            continue
        if exe.code.used:
            exe.code.used = False
            _loaded.append(ref)
        else:
            exe.code = None


def loaded_count() -> int:
    """How many executables have their native code loaded now."""
    with _loaded_lock:
        return sum(1 for ref in _loaded if (exe := ref()) is not None and exe.code is not None)


class Backend(HostBackend):
    name = "llvm"

    def compile(self, closed: ClosedJaxpr):
        program = lower_jaxpr(closed)
        interrupt.install()
        return Executable(program, engine.program_key(program))
