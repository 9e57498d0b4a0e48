"""One native function per statement of a kernel program, and how the entry calls it:
serially, or split over fx's thread pool by its outermost loop (`parallel_grain`).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from fx.backends.llvm import codegen as cg
from fx.backends.llvm import lapack, sort
from fx.backends.llvm.fused import emit_kernel, entry_alloca
from fx.backends.llvm.gemm import emit_gemm
from fx.backends.llvm.parallel import outer_loop
from fx.backends.llvm.sequential import emit_cumulative, emit_scatter
from fx.ir import kernels as K


def pointer_type(buf):
    return ir.PointerType(cg.storage_type(buf.dtype))


def statement_buffers(stmt):
    """The distinct buffers a statement touches, writes first (stable order)."""
    seen = list(stmt.writes())
    seen += sorted((b for b in stmt.reads() if b not in seen), key=lambda b: b.name)
    return seen


# Work below which a statement's function is optimised for size: vectorising a tiny loop
# costs compile time and saves nothing.
SMALL_STATEMENT_WORK = 4096


def _work(stmt):
    """Loop iterations a statement runs (its output, reduction or update space)."""
    if isinstance(stmt, K.Kernel):
        return int(np.prod(stmt.shape + stmt.reduce_shape, dtype=np.int64))
    if isinstance(stmt, K.Gemm):
        return stmt.batch * stmt.m * stmt.n * stmt.k
    if isinstance(stmt, K.Scatter):
        return int(np.prod(stmt.shape, dtype=np.int64)) + stmt.out.size
    if isinstance(stmt, K.Sort):
        return stmt.lines * outer_loop(stmt)[1]
    if isinstance(stmt, K.Linalg):  # the work is LAPACK's; fx's own code loops over the batch
        return stmt.batch
    return stmt.out.size


def statement_function(module, prefix, stmt, buffers):
    """The statement as a function of its buffers; a kernel also takes the [start, end)
    range of its outermost loop, so that parallel_for can hand out chunks."""
    ranged = outer_loop(stmt) is not None
    params = [pointer_type(b) for b in buffers] + [cg.I64, cg.I64] * ranged
    fn = ir.Function(module, ir.FunctionType(cg.VOID, params), f"{prefix}{stmt.name}")
    for arg in fn.args[:len(buffers)]:
        arg.add_attribute("noalias")
    if _work(stmt) < SMALL_STATEMENT_WORK:  # vectorising a tiny loop costs compile time, saves nothing
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
                K.Cumulative: emit_cumulative, K.Linalg: lapack.emit_linalg}[type(stmt)]
        emit(b, module, pointers, stmt)
    b.ret_void()
    return fn
