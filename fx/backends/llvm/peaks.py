"""What this machine can do, measured once per process with fx's own code: the copy
bandwidth (a compiled copy of 16 MiB, read and written) and the peak throughput of a
float32 matrix product (2048^3, as fx calls BLAS). A profile reports each kernel's
speed as fractions of these."""
from __future__ import annotations

import functools
import time

import numpy as np

from fx.ir import kernels as K

COPY_ELEMENTS = 1 << 22   # float32: 16 MiB each way (larger outputs are fresh mmaps: page faults)
GEMM_SIZE = 2048


def _program(inputs, outputs, stmt):
    program = K.Program(inputs, outputs, [], [], [stmt])
    program.slot_sizes = []
    return program


def _best_seconds(executable, args, repeat):
    executable(*args)  # warm: code loaded, pages touched
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        executable(*args)
        best = min(best, time.perf_counter() - start)
    return best


@functools.cache
def machine_peaks() -> dict:
    """{"copy_gb_per_s": ..., "matmul_gflop_per_s": ...} (best of a few runs)."""
    from fx.backends.llvm.backend import compile_program
    f32 = np.dtype(np.float32)
    src, dst = K.Buffer("in0", (COPY_ELEMENTS,), f32, "input"), K.Buffer("out0", (COPY_ELEMENTS,), f32, "output")
    copy = compile_program(_program([src], [dst], K.Kernel("k1", (COPY_ELEMENTS,), [(dst, K.Load(f32, src, (K.IVar(0),)))])))
    x = np.ones(COPY_ELEMENTS, f32)
    copy_seconds = _best_seconds(copy, [x], 5)
    n = GEMM_SIZE
    a, b, c = (K.Buffer(name, (n, n), f32, role) for name, role in (("in0", "input"), ("in1", "input"), ("out0", "output")))
    gemm = compile_program(_program([a, b], [c], K.Gemm("g1", a, b, c, 1, n, n, n)))
    m = np.ones((n, n), f32)
    gemm_seconds = _best_seconds(gemm, [m, m], 3)
    return {"copy_gb_per_s": 2 * x.nbytes / copy_seconds / 1e9,
            "matmul_gflop_per_s": 2 * n ** 3 / gemm_seconds / 1e9}
