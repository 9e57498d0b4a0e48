"""The llvm backend: jaxpr -> kernel program -> LLVM module -> one native entry point."""
from __future__ import annotations

import numpy as np

from fx.backends.llvm import compiler
from fx.ir.jaxpr import ClosedJaxpr
from fx.ir.lower import lower_jaxpr


class Executable:
    """Calls the native entry point: allocates the outputs, passes every buffer's address."""

    def __init__(self, program, fn):
        self.program, self.fn = program, fn
        self.out_specs = [(b.shape, b.dtype) for b in program.outputs]

    def __call__(self, *args):
        outs = [np.empty(shape, dtype) for shape, dtype in self.out_specs]
        args = [np.ascontiguousarray(a) for a in args]
        self.fn(*(a.__array_interface__["data"][0] for a in args),
                *(o.__array_interface__["data"][0] for o in outs))
        return outs


class Backend:
    name = "llvm"

    def compile(self, closed: ClosedJaxpr):
        program = lower_jaxpr(closed)
        module, entry = compiler.build_module(program)
        engine = compiler.engine()
        mod = engine.optimize(str(module))
        address = engine.add(mod, entry)
        return Executable(program, compiler.entry_point(address, len(program.inputs) + len(program.outputs)))
