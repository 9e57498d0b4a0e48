"""The stages of `jit`, as JAX names them: `jit(f).trace(*args)` gives a Traced (the
jaxpr and the output types), `.lower()` a Lowered (the program at every level, as text,
and what it costs), `.compile()` a Compiled (callable, with its code, cost and memory).

    compiled = fx.jit(loss).trace(params, x).lower().compile()
    compiled.cost_analysis()["flops"], compiled.memory_analysis().temp_size_in_bytes
    compiled(params, x)      # only with arguments of the types it was compiled for
"""
from __future__ import annotations

import dataclasses

import numpy as np

from fx import tree_util
from fx.backends import backend_names, get_backend
from fx.backends.base import Backend
from fx.core import ShapeDtypeStruct
from fx.ir import cost
from fx.ir import kernels as K
from fx.ir.kernel_passes import CPU
from fx.ir.lower import lower_jaxpr
from fx.ir.passes import optimize
from fx.ir.workspace import slot_offsets
from fx.transforms.call import compiled


class Traced:
    """`jit(f).trace(*args)`: the jaxpr jit stages for these arguments (`.jaxpr`), its
    outputs' types (`.out_info`, a pytree of ShapeDtypeStruct) and `.lower()`."""

    def __init__(self, jitted, entry, key):
        self._jitted, self._entry, self._key = jitted, entry, key

    @property
    def jaxpr(self):
        return self._entry.jaxpr

    @property
    def out_info(self):
        return tree_util.tree_unflatten(self._entry.out_tree, [
            ShapeDtypeStruct(a.shape, a.dtype, a.weak_type) for a in self._entry.jaxpr.out_avals])

    def lower(self):
        return Lowered(self._entry.jaxpr, self._jitted._backend, self)


class Lowered:
    """`jit(f).lower(*args)`: `.as_text(dialect)` shows the program as a "jaxpr", as the
    "kernels" program (after fusion and buffer planning), or in a backend's own form
    (dialect = the backend's name: "llvm" gives LLVM IR); `.cost_analysis()` counts its
    work; `.compile()` gives the Compiled."""

    def __init__(self, jaxpr, backend, traced=None):
        self.jaxpr, self.backend, self._traced = jaxpr, backend, traced

    def kernel_program(self, backend=None):
        """The kernel program that `backend` (a Backend or a name; by default the one jit
        compiles for) compiles: lowered through that backend's pipeline (a backend that
        does not compile kernel programs shows the CPU's)."""
        backend = _backend(backend or self.backend)
        return lower_jaxpr(optimize(self.jaxpr), backend.kernel_pipeline or CPU)

    def as_text(self, dialect="kernels", debug_info=False):
        """The program in `dialect`; `debug_info` adds the user's source lines (to the
        jaxpr's equations and to the kernel program's statements)."""
        if dialect == "jaxpr":
            return self.jaxpr.pretty_print(source_info=debug_info)
        if dialect == "kernels":
            return K.pp_program(self.kernel_program(), sources=debug_info)
        if dialect not in backend_names():
            raise ValueError(f"unknown dialect {dialect!r}: expected 'jaxpr', 'kernels' or a "
                             f"backend's name, one of {backend_names()}")
        backend = get_backend(dialect)
        return backend.as_text(self.kernel_program(backend))

    def cost_analysis(self):
        """Flops, transcendentals and bytes accessed (fx/ir/cost.py's model), in total and
        per top-level statement of the kernel program ("per_kernel")."""
        return _cost_analysis(self.kernel_program())

    def compile(self):
        name = self._traced._entry.name if self._traced is not None else "jit"
        return Compiled(self, compiled(self.jaxpr, self.backend, name))


class Compiled:
    """`jit(f).lower(*args).compile()`: calls the native code made for one argument
    signature (other signatures raise a TypeError), and tells what it is and costs."""

    def __init__(self, lowered, executable):
        self._lowered, self.executable = lowered, executable

    @property
    def _program(self):
        return getattr(self.executable, "program", None) or self._lowered.kernel_program()

    def __call__(self, *args, **kwargs):
        traced = self._lowered._traced
        if traced is None:  # lowered without a jit (not through jit(f).lower): flat leaves
            return self.executable(*args)
        leaves = self._leaves("called", args, kwargs)
        entry, backend = traced._entry, traced._jitted._backend
        if entry.executable is None:
            entry.compile(backend)  # the executable this holds (compiled once per jaxpr)
        return entry.run(leaves, backend)

    def _leaves(self, what, args, kwargs):
        """The call's dynamic leaves, or a TypeError unless their types are the compiled ones."""
        traced = self._lowered._traced
        key, leaves = traced._jitted._signature_key(args, kwargs)
        if key != traced._key:
            raise TypeError(f"this Compiled was compiled for arguments of types "
                            f"{_describe_key(traced._key)} and was {what} with {_describe_key(key)}; "
                            f"call the jitted function itself to compile for new types")
        return leaves

    def as_text(self):
        """The backend's own text of the program (LLVM IR on the CPU)."""
        backend = _backend(self._lowered.backend)
        return backend.as_text(self._program)

    def cost_analysis(self):
        return _cost_analysis(self._program)

    def profile(self, *args, repeat=10, **kwargs):
        """Run the program `repeat` times on these arguments and return a Profile: one
        row per top-level statement (kernel, product, loop...) with its source lines,
        measured time, bytes and flops (the cost model's), achieved GB/s and GFLOP/s,
        and those as fractions of this machine's measured copy bandwidth and matrix
        throughput; plus the time outside the statements."""
        backend = _backend(self._lowered.backend)
        measure = getattr(self.executable, "profile", None)
        if measure is None:
            raise NotImplementedError(f"the {backend.name} backend cannot profile a program yet")
        traced = self._lowered._traced
        if traced is not None:
            leaves = self._leaves("profiled", args, kwargs)
            args = [np.asarray(x, a.dtype) for x, a in zip(leaves, traced.jaxpr.in_avals)]
        seconds, call = measure(list(args), int(repeat))
        return Profile(self._program, seconds, call, backend.machine_peaks())

    def memory_analysis(self):
        """Bytes of the arguments, outputs, constants and temporaries (the workspace of the
        buffer plan)."""
        program = self._program
        return MemoryAnalysis(**cost.memory_sizes(program, slot_offsets(program)[1]))


@dataclasses.dataclass(frozen=True)
class MemoryAnalysis:
    argument_size_in_bytes: int
    output_size_in_bytes: int
    constant_size_in_bytes: int
    temp_size_in_bytes: int


class Profile:
    """Compiled.profile's result: `rows` (one dict per top-level statement), `total_s`
    (median seconds per call), `outside_s` (of which outside the statements: the call
    itself, argument checks, output allocation) and `peaks` (the machine's measured copy
    bandwidth and matrix throughput). Prints as a table."""

    def __init__(self, program, seconds, total, peaks):
        self.total_s, self.peaks = total, peaks
        self.outside_s = max(total - float(np.sum(seconds)), 0.0)
        self.rows = []
        for stmt, c, t in zip(program.body, cost.program_costs(program), seconds):
            t = float(t)
            gb_s = c.bytes_accessed / t / 1e9 if t > 0 else 0.0
            gflop_s = c.flops / t / 1e9 if t > 0 else 0.0
            self.rows.append({
                "statement": stmt.name, "kind": c.kind,
                "sources": ", ".join(map(str, stmt.sources)),
                "time_s": t, "bytes": c.bytes_accessed, "flops": c.flops,
                "gb_per_s": gb_s, "gflop_per_s": gflop_s,
                "bandwidth_fraction": gb_s / peaks["copy_gb_per_s"],
                "matmul_fraction": gflop_s / peaks["matmul_gflop_per_s"]})

    def __str__(self):
        head = (f"{'statement':<10} {'kind':<9} {'time':>10} {'MB':>9} {'GFLOP':>8} {'GB/s':>7} "
                f"{'GFLOP/s':>8} {'%copy':>6} {'%matmul':>8}  source")
        lines = [head]
        for r in self.rows:
            lines.append(f"{r['statement']:<10} {r['kind']:<9} {r['time_s'] * 1e3:>8.3f}ms "
                         f"{r['bytes'] / 1e6:>9.2f} {r['flops'] / 1e9:>8.3f} {r['gb_per_s']:>7.1f} "
                         f"{r['gflop_per_s']:>8.1f} {100 * r['bandwidth_fraction']:>5.0f}% "
                         f"{100 * r['matmul_fraction']:>7.0f}%  {r['sources']}")
        lines.append(f"outside the statements: {self.outside_s * 1e3:.3f} ms of {self.total_s * 1e3:.3f} ms "
                     f"per call; machine: copy {self.peaks['copy_gb_per_s']:.1f} GB/s, matmul "
                     f"{self.peaks['matmul_gflop_per_s']:.1f} GFLOP/s")
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle):  # IPython
        p.text(str(self))


def _cost_analysis(program):
    rows = cost.program_costs(program)
    return {**cost.total(rows), "per_kernel": [dataclasses.asdict(r) for r in rows]}


def _backend(backend):
    return backend if isinstance(backend, Backend) else get_backend(backend)


def _describe_key(key):
    _, avals, static, *_ = key
    text = "(" + ", ".join(a.str_short() for a in avals) + ")"
    return text + (f" with static arguments {dict(static)}" if static else "")
