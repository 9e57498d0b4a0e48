"""The llvm backend: jaxpr -> kernel program -> LLVM module -> one native entry point."""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from fx.backends import executable, nonfinite
from fx.backends.base import HostBackend
from fx.backends.executable import LoadedCode
from fx.backends.llvm import callbacks, engine, entry, interrupt, profile, runtime
from fx.backends.program_key import program_key
from fx.ir import kernels as K
from fx.ir.jaxpr import ClosedJaxpr
from fx.ir.workspace import slot_offsets
from fx.ir.kernel_passes import CPU
from fx.ir.lower import lower_jaxpr


class _Code(LoadedCode):
    """Loaded native code: the library (holding it keeps the code alive) and the entry
    point's ctypes wrapper."""
    __slots__ = ("library", "fn")

    def __init__(self, library, fn, workspace):
        super().__init__(workspace)
        self.library, self.fn = library, fn


class Executable(executable.Executable):
    """Calls the native entry point with the input arrays, freshly allocated outputs and
    the workspace (executable.py: the code is loaded while recently used)."""

    def __init__(self, program, key):
        super().__init__(entry.workspace_bytes(program))
        self.program, self.key = program, key
        self.prefix = f"fx_{key[:24]}_"  # the same program gets the same symbols in every process
        self.n_args = len(program.inputs) + len(program.outputs) + 1  # + the workspace
        self.kind = entry.entry_kind(self.n_args)
        self.symbol = self.prefix + "entry" + (f"_{self.kind}" if self.kind else "")
        # a program with loops may stop early for Ctrl-C (interrupt.py): the flag it sets
        self.interrupt_flag = interrupt.native().flag if any(
            isinstance(s, K.Loop) for s in K.all_statements(program.body)) else None
        self.out_specs = [(b.shape, b.dtype) for b in program.outputs]
        self.callbacks = {s.index: s for s in K.all_statements(program.body) if isinstance(s, K.Callback)}
        self.status_offset = entry.status_offset(program) if program.check_nans or program.check_infs else None
        self.ticks = (entry.ticks_offset(program), len(program.body) + 1) if program.profile else None
        self.profiled, self.last_ticks = None, None
        if self.status_offset is not None:
            partial = {b for s in K.all_statements(program.body)
                       if isinstance(s, K.Kernel) and s.store_index is not None for b in s.writes()}
            offsets = slot_offsets(program)[0]
            self.partly_written_outputs = [k for k, b in enumerate(program.outputs) if b in partial]
            self.partly_written_temps = [(offsets[b.slot], offsets[b.slot] + b.nbytes)
                                         for b in program.temps if b in partial]
        self.loaded()

    def __call__(self, *args):
        code = self.loaded()   # a local: the code stays loaded until we return
        # generated code reads row-major buffers; copies (rare: views made eagerly) stay
        # referenced by `args` until the call returns
        args = [a if a.flags.c_contiguous else np.ascontiguousarray(a) for a in args]
        outs = [np.empty(shape, dtype) for shape, dtype in self.out_specs]
        flag = self.interrupt_flag
        if flag is not None and flag.value:
            interrupt.clear_stale(flag)
        if self.callbacks:
            with callbacks.running(self.callbacks):
                self.run_in_workspace(code, self._run, code.fn, args, outs)
        else:
            self.run_in_workspace(code, self._run, code.fn, args, outs)
        if flag is not None and flag.value:
            interrupt.check(flag)
        return outs

    def load_code(self):
        library = engine.get_engine().library(self.key, self.symbol, self._module_irs)
        return _Code(library, entry.entry_point(library.address, self.n_args, self.kind),
                     self.new_workspace())

    def _module_irs(self):
        return [str(m) for m in entry.build_modules(self.program, self.prefix, runtime.num_threads())[0]]

    def _run(self, fn, args, outs, workspace):
        if self.status_offset is not None:
            # a statement that writes part of a buffer (a loop's row) has it checked whole:
            # such buffers start from zeros, not from a previous call's or anyone's bits
            for k in self.partly_written_outputs:
                outs[k].fill(0)
            for start, stop in self.partly_written_temps:
                workspace[start:stop] = 0
            status = workspace[self.status_offset:self.status_offset + 8].view(np.int64)
            status[0] = 0
        if self.kind == "objects":
            fn(*args, *outs, workspace)
        else:
            fn(*[a.__array_interface__["data"][0] for a in (*args, *outs, workspace)])
        if self.ticks is not None:
            offset, count = self.ticks
            self.last_ticks = workspace[offset:offset + 8 * count].view(np.int64).copy()
        if self.status_offset is not None and status[0]:  # debug_nans stopped the program
            program = self.program
            raise nonfinite.error(program, int(status[0]), args, outs, workspace,
                                  program.check_nans, program.check_infs)


    def profile(self, args, repeat):
        """Run a build of the program that times its top-level statements `repeat` times:
        (median seconds of each statement, median seconds of the whole call)."""
        if self.profiled is None:
            program = dataclasses.replace(self.program, profile=True)
            program.slot_sizes = self.program.slot_sizes
            self.profiled = compile_program(program)
        per_statement, calls = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            self.profiled(*args)
            calls.append(time.perf_counter() - start)
            per_statement.append(np.diff(self.profiled.last_ticks))
        seconds = np.median(np.array(per_statement), axis=0) / profile.cycles_per_second()
        return seconds, float(np.median(calls))


def compile_program(program):
    """The executable of a kernel program (lowered already)."""
    return Executable(program, program_key(program, engine.key_parts()))


class Backend(HostBackend):
    name = "llvm"
    kernel_pipeline = CPU

    def compile(self, closed: ClosedJaxpr):
        program = lower_jaxpr(closed, self.kernel_pipeline)
        interrupt.install()
        return compile_program(program)

    def machine_peaks(self):
        from fx.backends.llvm.peaks import machine_peaks
        return machine_peaks()

    def as_text(self, program):
        """The program's LLVM IR, one module per segment."""
        return "\n".join(str(m) for m in entry.build_modules(program, "fx_")[0])
