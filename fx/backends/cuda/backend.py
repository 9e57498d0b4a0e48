"""The cuda backend: jaxpr -> kernel program (the GPU pipeline) -> numba.cuda kernels,
one per statement, launched in program order; arrays live in device memory.

It runs on a CUDA GPU, or on numba's simulator when NUMBA_ENABLE_CUDASIM=1 is set before
numba is imported (then the kernels run as Python on the host: small shapes only).
Kernels, gemms, scatters, sorts and cumulative reductions run as generated kernels
(source.py). Linear algebra statements do not have device kernels yet: they run on the host
through the kernel-program evaluator, their buffers copied there and back. Loops and
branches are driven from the host: a scan's or fori_loop's iterations are queued without
waiting (its counter is set by a one-thread launch), while a while_loop's predicate and a
cond's index are read back, one synchronisation each. Both are recorded limits of this
first version, not the design.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
import threading
import warnings

import numpy as np

from fx import dtypes
from fx.array import Device
from fx.backends import base
from fx.backends.cuda import scalar, simulated, source
from fx.ir import kernels as K
from fx.ir.donation import donation_aliases
from fx.ir.evaluate import run_statement
from fx.ir.jaxpr import ClosedJaxpr, Jaxpr
from fx.ir.kernel_passes import (CPU, Pipeline, fuse_reduced_producers, merge_sort_scratch,
                                  reduction_as_gemm, schedule_updates)
from fx.ir.lower import lower_jaxpr
from fx.ir.workspace import slot_offsets

# Sums reduce as trees of partial sums (no blocks needed); a cumulative reduction runs its
# lines concurrently, a thread each; scatter-adds add concurrently with atomics where the
# GPU has them (their float sums then come in any order, as in JAX on a GPU), other
# scatters apply their updates in order; sorts merge each line in a scratch of their own.
GPU = Pipeline("cuda", CPU.cost, rewrites=(reduction_as_gemm,),
               passes=(fuse_reduced_producers, merge_sort_scratch,
                       functools.partial(schedule_updates, scatter=source.scatter_schedule,
                                         cumulative=K.CONCURRENT)))


class Backend(base.Backend):
    name = "cuda"
    platform = "gpu"
    kernel_pipeline = GPU

    def __init__(self):
        super().__init__()
        self._device = Device("gpu", 0, self)

    @functools.cached_property
    def _cuda(self):
        from numba import cuda
        return cuda

    def devices(self):
        try:
            usable = self._cuda.is_available()
        except Exception:  # a driver that fails to load: no GPU
            usable = False
        return [self._device] if usable else []

    def supports_dtype(self, dtype):
        return supports_dtype(dtype)

    def compile(self, closed: ClosedJaxpr):
        if not self.devices():
            raise RuntimeError("the cuda backend needs a CUDA GPU (or numba's simulator: set "
                               "NUMBA_ENABLE_CUDASIM=1 before fx is imported)")
        _check_dtypes(closed.jaxpr, self.supports_dtype)
        program = lower_jaxpr(closed, self.kernel_pipeline)
        callback = next((s for s in K.all_statements(program.body) if isinstance(s, K.Callback)), None)
        if callback is not None:
            raise NotImplementedError(
                f"the cuda backend cannot call back into Python yet ({callback.kind} of "
                f"{callback.callback!r}: fx.debug.print, pure_callback, io_callback); run this "
                "function on the CPU (jit(..., backend='cpu') or fx.default_device)")
        return Executable(program, self._cuda)

    def to_device(self, array, device):
        return self._cuda.to_device(np.ascontiguousarray(array))

    def to_host(self, buffer):
        return buffer.copy_to_host()

    def block_until_ready(self, buffer):
        self._cuda.synchronize()

    def as_text(self, program):
        """The Python source of the program's kernels, in program order."""
        parts = []
        for s in K.all_statements(program.body):
            launch = launch_of(s)
            if launch is not None:
                parts.append(launch.source)
            elif not s.blocks():
                parts.append(f"# {s.name}: {type(s).__name__.lower()}, run on the host\n")
        return "\n".join(parts)


def supports_dtype(dtype):
    """No float16, bfloat16 or complex kernels yet."""
    return not (dtypes.is_16bit_float(dtype) or dtypes.is_complex(dtype))


def _check_dtypes(jaxpr, supported):
    """A TypeError naming the first equation on a dtype the backend does not support,
    innermost first (the `mul` in a loop's body, not the loop): it has no float16,
    bfloat16 or complex kernels yet."""
    for eqn in jaxpr.eqns:
        for param in eqn.params.values():
            for inner in param if isinstance(param, (tuple, list)) else (param,):
                if isinstance(inner, (ClosedJaxpr, Jaxpr)):
                    _check_dtypes(getattr(inner, "jaxpr", inner), supported)
        for v in (*eqn.invars, *eqn.outvars):
            if not supported(v.aval.dtype):
                raise TypeError(f"the cuda backend does not support {v.aval.dtype} yet (in "
                                f"{eqn.prim.name}: {v.aval.str_short()}); run it on the CPU backend")


def _params(stmt):
    return {b: f"p{k}" for k, b in enumerate(stmt.buffers())}


# Threads per block, the most blocks a launch uses (grid-stride loops cover the rest), and
# a gemm's tile edge. The simulator runs each thread as a Python thread: few and small.
BLOCK = 8 if simulated() else 256
MAX_BLOCKS = 2 if simulated() else 4096
TILE = 4 if simulated() else 16


@dataclasses.dataclass(frozen=True)
class Launch:
    """A statement's kernel: its name and source, and the grid it launches with (no
    launch at all for zero work items)."""
    name: str
    source: str
    work: int      # items the grid strides over: outputs, lines or tiles
    threads: int   # per block
    per_block: bool  # one block per item (else one thread per item)

    @property
    def blocks(self):
        per_block = self.work if self.per_block else -(-self.work // self.threads)
        return min(max(per_block, 1), MAX_BLOCKS)


def launch_of(stmt):
    """The Launch of a statement that has a device kernel, else None."""
    name, params = f"k_{stmt.name}", _params(stmt)
    if isinstance(stmt, K.Kernel):
        per_block = stmt.reducer is not None and not source.thread_per_output(stmt)
        return Launch(name, source.kernel_source(name, stmt, params, BLOCK), _size(stmt.shape),
                      BLOCK, per_block)
    if isinstance(stmt, K.Gemm):
        tiles = stmt.batch * -(-stmt.m // TILE) * -(-stmt.n // TILE)
        return Launch(name, source.gemm_source(name, stmt, params, TILE), tiles, TILE * TILE, True)
    if isinstance(stmt, K.Scatter):
        return Launch(name, source.scatter_source(name, stmt, params, BLOCK), 1, BLOCK, True)
    if isinstance(stmt, K.Sort) and source.bitonic(stmt):
        return Launch(name, source.bitonic_sort_source(name, stmt, params, BLOCK), stmt.lines,
                      BLOCK, True)
    if isinstance(stmt, K.Sort):
        return Launch(name, source.sort_source(name, stmt, params), stmt.lines, BLOCK, False)
    if isinstance(stmt, K.Cumulative):
        lines = stmt.out.size // max(stmt.out.shape[stmt.axis], 1)
        return Launch(name, source.cumulative_source(name, stmt, params), lines, BLOCK, False)
    return None


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _python_function(launch):
    """The generated kernel as a plain Python function (what cuda.jit compiles)."""
    namespace = dict(_namespace())
    exec(compile(launch.source, f"<fx cuda {launch.name}>", "exec"), namespace)
    return namespace[launch.name]


@functools.cache
def _kernel(launch):
    """The compiled kernel of a launch (identical statements share one)."""
    from numba import cuda
    return cuda.jit(_python_function(launch))


GENERATED = "fx.backends.cuda.generated"  # the module name generated kernels run under
if simulated():  # NumPy scalars warn where GPU arithmetic silently gives inf or NaN
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=GENERATED)


@functools.cache
def _namespace():
    return {**scalar.namespace(simulated()), "np": np, "__name__": GENERATED}


class Executable:
    """Runs the statements in order on device buffers: a launch per kernel, host-driven
    loops and branches, host fallbacks for the statements without a kernel yet."""

    def __init__(self, program: K.Program, cuda):
        self.program, self.cuda = program, cuda
        self.offsets, self.workspace_bytes = slot_offsets(program)
        self.consts = {c: cuda.to_device(np.ascontiguousarray(c.value, c.dtype).reshape(-1))
                       for c in program.consts}
        self._aliases = {}  # donated input positions -> {output: input} (donation_aliases)
        self._temps, self._temps_lock = self._temp_views(), threading.Lock()
        self.launches = {}  # statement -> (compiled kernel, Launch)
        for s in K.all_statements(program.body):
            launch = launch_of(s)
            if launch is not None:
                self.launches[s] = (_kernel(launch), launch)

    def donation_aliases(self, donated):
        """{output position: input position}: the outputs a call may write into the
        buffers of the donated inputs (positions), as fx/ir/donation.py allows."""
        aliases = self._aliases.get(donated)
        if aliases is None:
            aliases = self._aliases[donated] = donation_aliases(self.program, donated)
        return aliases

    def _temp_views(self):
        """The temporaries' views of a new workspace (one device allocation)."""
        workspace = self.cuda.device_array(max(self.workspace_bytes, 1), np.uint8)
        return {t: workspace[self.offsets[t.slot]:self.offsets[t.slot] + t.nbytes].view(t.dtype)
                for t in self.program.temps}

    def __call__(self, *args, aliases=None):
        """The outputs, written into fresh device memory or, for output j in `aliases`,
        into input aliases[j]'s buffer. Temporaries live in the executable's workspace,
        allocated once: a call only queues launches on the one stream, so the next call's
        kernels run after this one's; a call made while another thread holds the
        workspace gets a new one."""
        if not self._temps_lock.acquire(blocking=False):
            return self._run(args, aliases, self._temp_views())
        try:
            return self._run(args, aliases, self._temps)
        finally:
            self._temps_lock.release()

    def _run(self, args, aliases, temps):
        cuda, program = self.cuda, self.program
        flat = {b: _flat(a) for b, a in zip(program.inputs, args)}
        flat.update(self.consts)
        flat.update(temps)
        for j, b in enumerate(program.outputs):
            if aliases and j in aliases:
                flat[b] = flat[program.inputs[aliases[j]]]
            else:
                flat[b] = cuda.device_array(max(b.size, 0), b.dtype)
        with _simulator_pace():
            self.block(program.body, flat)
        return [flat[b].reshape(b.shape) if b.shape else flat[b].reshape(()) for b in program.outputs]

    def block(self, statements, flat):
        for s in statements:
            if isinstance(s, K.Loop):
                self.loop(s, flat)
            elif isinstance(s, K.Branch):
                index = int(flat[s.index].copy_to_host()[0])
                self.block(s.bodies[min(max(index, 0), len(s.bodies) - 1)], flat)
            elif s in self.launches:
                kernel, launch = self.launches[s]
                if launch.work:
                    kernel[launch.blocks, launch.threads](*(flat[b] for b in s.buffers()))
            else:
                self.on_host(s, flat)

    def loop(self, loop: K.Loop, flat):
        it = 0
        while loop.length is None or it < loop.length:
            if loop.counter is not None:  # a launch, not a copy: nothing waits for it
                value = loop.length - 1 - it if loop.reverse else it
                _store_scalar()[1, 1](flat[loop.counter], value)
            self.block(loop.cond, flat)
            if loop.pred is not None and not flat[loop.pred].copy_to_host()[0]:
                break
            self.block(loop.body, flat)
            it += 1

    def on_host(self, stmt, flat):
        """Run a statement without a kernel through the evaluator, on host copies."""
        host = {b: flat[b].copy_to_host().reshape(b.shape) for b in stmt.buffers()}
        run_statement(stmt, host)
        for b in stmt.writes():
            flat[b][:] = np.ascontiguousarray(host[b]).reshape(-1)  # (copy_to_device
            # rejects a one-element view whose stride numba reports as 0)


@functools.cache
def _store_scalar():
    """A kernel writing one value into a one-element buffer (a loop's counter)."""
    from numba import cuda

    def store(buffer, value):
        buffer[0] = value
    return cuda.jit(store)


@contextlib.contextmanager
def _simulator_pace():
    """On the simulator, let threads take turns every 10 us while kernels run. Each CUDA
    thread is a Python thread and its block's manager polls them to release a
    syncthreads() barrier; at the interpreter's usual 5 ms switch interval every barrier
    costs milliseconds (a 32x32 tiled gemm took 13 s, 0.8 s with this)."""
    if not simulated():
        yield
        return
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _flat(array):
    """A device array as a flat 1-D view (contiguous: device_put makes it so)."""
    return array.reshape(max(int(np.prod(array.shape, dtype=np.int64)), 0)) if array.ndim != 1 else array


def compile_ptx(program: K.Program, cc=(9, 0)):
    """The PTX of every kernel of `program`, compiled through NVVM for compute capability
    `cc`: no GPU needed, so type and code-generation errors that the simulator cannot see
    are caught on any machine with libNVVM. (Not with the simulator on.)"""
    from numba import cuda, from_dtype
    ptx = []
    for s in K.all_statements(program.body):
        launch = launch_of(s)
        if launch is not None:
            signature = tuple(from_dtype(np.dtype(b.dtype))[::1] for b in s.buffers())
            ptx.append(cuda.compile_ptx(_python_function(launch), signature, cc=cc)[0])
    return ptx
