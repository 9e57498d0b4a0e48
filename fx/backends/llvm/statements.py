"""One native function per statement of a kernel program, and how the entry calls it:
serially, or split over fx's thread pool by its outermost loop (`parallel_grain`).
"""
from __future__ import annotations

from llvmlite import ir

from fx.backends.llvm import codegen as cg
from fx.backends.llvm import callbacks, lapack, sort
from fx.backends.llvm.fused import emit_kernel, entry_alloca
from fx.backends.llvm.gemm import emit_gemm
from fx.backends.llvm.sequential import emit_cumulative, emit_scatter
from fx.ir import kernels as K


def pointer_type(buf):
    return ir.PointerType(cg.storage_type(buf.dtype))


# Work below which a statement's function is optimised for size: vectorising a tiny loop
# costs compile time and saves nothing.
SMALL_STATEMENT_WORK = 4096


def statement_function(module, prefix, stmt, buffers):
    """The statement as a function of its buffers; a kernel also takes the [start, end)
    range of its outermost loop, so that parallel_for can hand out chunks."""
    ranged = stmt.parallel_loop() is not None
    params = [pointer_type(b) for b in buffers] + [cg.I64, cg.I64] * ranged
    fn = ir.Function(module, ir.FunctionType(cg.VOID, params), f"{prefix}{stmt.name}")
    for arg in fn.args[:len(buffers)]:
        arg.add_attribute("noalias")
    if stmt.work() < SMALL_STATEMENT_WORK:
        fn.attributes.add("optsize")
        fn.attributes.add("minsize")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    pointers = dict(zip(buffers, fn.args))
    if isinstance(stmt, K.Sort):
        sort.emit_sort(b, module, pointers, stmt, fn.args[-2], fn.args[-1], entry_alloca)
    elif ranged:
        emit_kernel(b, module, pointers, stmt, outer=(fn.args[-2], fn.args[-1]))
    else:
        emit = {K.Kernel: emit_kernel, K.Gemm: emit_gemm, K.Scatter: emit_scatter,
                K.Cumulative: emit_cumulative, K.Linalg: lapack.emit_linalg,
                K.Callback: callbacks.emit_callback}[type(stmt)]
        emit(b, module, pointers, stmt)
    b.ret_void()
    return fn
