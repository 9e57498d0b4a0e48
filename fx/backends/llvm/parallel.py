"""Splitting a statement over fx's thread pool: by its outermost loop, in chunks of at
least `CHUNK_MIN_WORK`, when it has `PARALLEL_MIN_WORK` or more to do."""
from __future__ import annotations

from llvmlite import ir

from fx.backends.llvm import codegen as cg
from fx.backends.llvm.fused import entry_alloca


# Work (element operations) below which a kernel stays on the calling thread, and the
# least work worth a chunk of its own: a parallel launch costs a few microseconds.
PARALLEL_MIN_WORK = 1 << 16
CHUNK_MIN_WORK = 1 << 14


def parallel_grain(stmt):
    """The grain (iterations of its `parallel_loop` per chunk) to run a statement with, or
    None to run it whole on the calling thread."""
    outer = stmt.parallel_loop()
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
