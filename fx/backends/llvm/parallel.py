"""Splitting a statement over fx's thread pool: by its outermost loop, in chunks of at
least `CHUNK_MIN_WORK`, when it has `PARALLEL_MIN_WORK` or more to do."""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from fx.backends.llvm import codegen as cg
from fx.backends.llvm.fused import entry_alloca
from fx.ir import kernels as K


# Work (element operations) below which a kernel stays on the calling thread, and the
# least work worth a chunk of its own: a parallel launch costs a few microseconds.
PARALLEL_MIN_WORK = 1 << 16
CHUNK_MIN_WORK = 1 << 14


def outer_loop(stmt):
    """(extent, work per iteration) of the loop that a statement's function takes as a
    [start, end) range, so that parallel_for can split it; None if it runs whole."""
    if isinstance(stmt, K.Kernel) and stmt.shape:
        return stmt.shape[0], (int(np.prod(stmt.shape[1:], dtype=np.int64))
                               * int(np.prod(stmt.reduce_shape, dtype=np.int64)))
    if isinstance(stmt, K.Sort):  # lines, each n log n comparisons
        return stmt.lines, stmt.n * max(stmt.n.bit_length(), 1)
    return None


def parallel_grain(stmt):
    """The grain (outer iterations per chunk) to run a statement with, or None for serial."""
    outer = outer_loop(stmt)
    if outer is None or outer[0] < 2:
        return None
    rows, per_row = outer
    if per_row * rows < PARALLEL_MIN_WORK:
        return None
    return max(1, -(-CHUNK_MIN_WORK // max(per_row, 1)))


def call_parallel(b, module, fn, args, n, grain):
    """fx_parallel_for(task, ctx, n, grain): ctx holds the buffer pointers; the task
    unpacks them and runs the kernel over its chunk of the outermost loop."""
    from fx.backends.llvm import runtime
    i8p = ir.PointerType(cg.I8)
    task = module.globals.get(fn.name + "_task")  # a function called more than once
    if task is None:
        task = ir.Function(module, runtime.BODY_TYPE, fn.name + "_task")
        task.linkage = "internal"
        tb = ir.IRBuilder(task.append_basic_block("entry"))
        ctx_array = tb.bitcast(task.args[0], ir.PointerType(i8p))
        unpacked = [tb.bitcast(tb.load(tb.gep(ctx_array, [ir.Constant(cg.I64, i)])), a.type)
                    for i, a in enumerate(args)]
        tb.call(fn, unpacked + [task.args[1], task.args[2]])
        tb.ret_void()
    ctx = entry_alloca(b, ir.ArrayType(i8p, max(len(args), 1)))
    for i, a in enumerate(args):
        b.store(b.bitcast(a, i8p), b.gep(ctx, [ir.Constant(cg.I32, 0), ir.Constant(cg.I32, i)]))
    b.call(runtime.declare_parallel_for(module),
           [task, b.bitcast(ctx, i8p), ir.Constant(cg.I64, n), ir.Constant(cg.I64, grain)])
