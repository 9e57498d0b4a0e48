"""The llvm backend: jaxpr -> kernel program -> LLVM module -> one native entry point."""
from __future__ import annotations

import numpy as np

from fx.backends.llvm import compiler
from fx.ir.jaxpr import ClosedJaxpr
from fx.ir.lower import lower_jaxpr


class Executable:
    """Calls the native entry point with the input arrays and freshly allocated outputs."""

    def __init__(self, program, fn, takes_objects):
        self.program, self.fn, self.takes_objects = program, fn, takes_objects
        self.out_specs = [(b.shape, b.dtype) for b in program.outputs]

    def __call__(self, *args):
        # generated code reads row-major buffers; copies (rare: views made eagerly) stay
        # referenced by `args` until the call returns
        args = [a if a.flags.c_contiguous else np.ascontiguousarray(a) for a in args]
        outs = [np.empty(shape, dtype) for shape, dtype in self.out_specs]
        if self.takes_objects:
            self.fn(*args, *outs)
        else:
            self.fn(*[a.__array_interface__["data"][0] for a in args],
                    *[o.__array_interface__["data"][0] for o in outs])
        return outs


class Backend:
    name = "llvm"

    def compile(self, closed: ClosedJaxpr):
        program = lower_jaxpr(closed)
        key = compiler.program_key(program)
        prefix = f"fx_{key[:24]}_"  # the same program gets the same symbols in every process
        objects = compiler.ndarray_data_offset() is not None
        address = compiler.engine().address(
            key, prefix + ("entry_objects" if objects else "entry"),
            lambda: str(compiler.build_module(program, prefix)[0]))
        n_args = len(program.inputs) + len(program.outputs)
        return Executable(program, compiler.entry_point(address, n_args, objects), objects)
