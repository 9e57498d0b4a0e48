"""The llvm backend: jaxpr -> kernel program -> LLVM module -> one native entry point."""
from __future__ import annotations

import threading

import numpy as np

from fx.backends.llvm import compiler, runtime
from fx.ir.jaxpr import ClosedJaxpr
from fx.ir.lower import lower_jaxpr


class Executable:
    """Calls the native entry point with the input arrays, freshly allocated outputs and
    the workspace for temporaries (kept across calls; a call that finds it in use by
    another thread gets a workspace of its own)."""

    def __init__(self, program, fn, takes_objects):
        self.program, self.fn, self.takes_objects = program, fn, takes_objects
        self.out_specs = [(b.shape, b.dtype) for b in program.outputs]
        self.workspace_bytes = compiler.slot_offsets(program)[1]
        self.workspace = self._new_workspace()
        self.workspace_lock = threading.Lock()

    def __call__(self, *args):
        # generated code reads row-major buffers; copies (rare: views made eagerly) stay
        # referenced by `args` until the call returns
        args = [a if a.flags.c_contiguous else np.ascontiguousarray(a) for a in args]
        outs = [np.empty(shape, dtype) for shape, dtype in self.out_specs]
        if not self.workspace_bytes:
            self._run(args, outs, self.workspace)
        elif self.workspace_lock.acquire(blocking=False):
            try:
                self._run(args, outs, self.workspace)
            finally:
                self.workspace_lock.release()
        else:
            self._run(args, outs, self._new_workspace())
        return outs

    def _new_workspace(self):
        """Zero-initialised memory for the temporaries, starting on a SLOT_ALIGN boundary."""
        buffer = np.zeros(self.workspace_bytes + compiler.SLOT_ALIGN, np.uint8)
        return buffer[-buffer.__array_interface__["data"][0] % compiler.SLOT_ALIGN:]

    def _run(self, args, outs, workspace):
        if self.takes_objects:
            self.fn(*args, *outs, workspace)
        else:
            self.fn(*[a.__array_interface__["data"][0] for a in (*args, *outs, workspace)])



class Backend:
    name = "llvm"

    def compile(self, closed: ClosedJaxpr):
        program = lower_jaxpr(closed)
        key = compiler.program_key(program)
        prefix = f"fx_{key[:24]}_"  # the same program gets the same symbols in every process
        n_args = len(program.inputs) + len(program.outputs) + 1  # + the workspace
        kind = compiler.entry_kind(n_args)
        address = compiler.engine().address(
            key, prefix + "entry" + (f"_{kind}" if kind else ""),
            lambda: [str(m) for m in compiler.build_modules(program, prefix, runtime.num_threads())[0]])
        return Executable(program, compiler.entry_point(address, n_args, kind), kind == "objects")
