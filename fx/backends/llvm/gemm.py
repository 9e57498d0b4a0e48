"""Matrix products: a BLAS call (sgemm/dgemm, blocked over fx's thread pool when large)
or, for small ones, fx's own vectorised loops."""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from fx import dtypes
from fx.backends.llvm import codegen as cg
from fx.backends.llvm import complex as cx
from fx.backends.llvm.fused import Cascade, emitter, i64, in_blocks
from fx.backends.llvm.parallel import call_parallel
from fx.ir import kernels as K

_CBLAS_ROW_MAJOR, _CBLAS_NO_TRANS, _CBLAS_TRANS = 101, 111, 112
# Below this many flops our own vectorised loops are as good as a BLAS call.
SMALL_GEMM_FLOPS = 1 << 20
# fx runs OpenBLAS single-threaded and splits big products into blocks on its own pool:
# one pool, so no two sets of threads spin against each other, and small products never
# wake a thread. A block gets at least this many flops.
GEMM_BLOCK_FLOPS = 1 << 22


def _gemm_pointers(b, module, pointers, g: K.Gemm):
    """Where lhs, rhs and out start: their buffers, each `g.offsets` elements in."""
    em = emitter(b, module, pointers, [])
    return [b.gep(pointers[buf], [em.idx(offset)], inbounds=True)
            for buf, offset in zip((g.lhs, g.rhs, g.out), g.offsets)]


def emit_gemm(b, module, pointers, g: K.Gemm):
    """C = op(A) @ op(B) (C += with g.accumulate): CBLAS calls per batch element when a
    BLAS is present, the product is not tiny and its sizes fit BLAS's 32-bit interface;
    else our own loops.

    A big product is split across threads into blocks of C's rows or of its columns. Each
    BLAS call packs the whole of the operand it does not split, so fx splits the dimension
    that makes the repacked operand the smaller one: the rows when m >= n (B, k x n, is
    repacked per block), the columns otherwise (A, m x k, is). For an MLP's (batch 256) x
    (1024 x 1024) product the column split packs 4x less and runs ~1.5x faster."""
    from fx.backends.llvm import runtime
    if g.block is not None:
        return _emit_dot_products(b, module, pointers, g)
    if (runtime.blas_gemm(g.out.dtype) is None or max(g.m, g.n, g.k) >= 2 ** 31
            or 2 * g.m * g.n * g.k < SMALL_GEMM_FLOPS):
        return _emit_gemm_loops(b, module, pointers, g)
    A, B, C = _gemm_pointers(b, module, pointers, g)
    split_rows = g.m >= g.n
    block = _gemm_block_function(module, g, split_rows)
    extent, other = (g.m, g.n) if split_rows else (g.n, g.m)
    # one block per thread: every block repacks the other operand, so fewer, larger
    # blocks run faster (1024^3 float32: 8 blocks 176 GFLOP/s, 2 blocks 199)
    grain = max(1, -(-GEMM_BLOCK_FLOPS // (2 * other * g.k)), -(-extent // runtime.num_threads()))

    def call(b, bvars):
        offset = lambda size: b.mul(bvars[0], ir.Constant(cg.I64, size))  # noqa: E731
        args = [b.gep(A, [offset(g.m * g.k)]), b.gep(B, [offset(g.k * g.n)]), b.gep(C, [offset(g.m * g.n)])]
        if extent < 2 * grain:
            b.call(block, args + [ir.Constant(cg.I64, 0), ir.Constant(cg.I64, extent)])
        else:
            call_parallel(b, module, block, args, extent, grain)
    cg.Loops(b).nest([(0, g.batch)], call)


def _emit_dot_products(b, module, pointers, g: K.Gemm):
    """A product of a row by a column (`x @ y`, `jnp.sum(x * y)` of vectors) for each batch
    element, as a float sum in blocks (`g.block`): vectorised, and as accurate as a
    sum, where a BLAS dot or a running total loses accuracy with the length."""
    loops = cg.Loops(b)
    dtype = np.dtype(g.out.dtype)
    A, B, C = _gemm_pointers(b, module, pointers, g)
    cascade = Cascade(b, loops, dtype, K.block_split((g.k,), g.block)[2], 1)
    slot = cascade.slot(b, i64(0))

    def product(b, bvars):
        def add_term(b, pvars):
            at = b.add(b.mul(bvars[0], i64(g.k)), pvars[0])
            term = b.fmul(b.load(b.gep(A, [at], inbounds=True)), b.load(b.gep(B, [at], inbounds=True)))
            b.store(cg.combine(emitter(b, module, pointers, []), "add", b.load(slot), term, dtype), slot)
        cascade.start(b)
        in_blocks(b, loops, (g.k,), g.block, cascade.clear, add_term, cascade.push)
        out = b.gep(C, [bvars[0]], inbounds=True)
        total = cascade.result(b, i64(0))
        b.store(b.fadd(b.load(out), total) if g.accumulate else total, out)
    loops.nest([(0, g.batch)], product)


def _gemm_block_function(module, g, split_rows):
    """block(A, B, C, start, end): one CBLAS call computing C[start:end, :] (split_rows) or
    C[:, start:end] = op(A) @ op(B)'s block. A block of rows of op(A) starts `start` rows in
    (A untransposed) or columns in (transposed); a block of columns of op(B) starts `start`
    columns in (B untransposed) or rows in (transposed)."""
    from fx.backends.llvm import runtime
    t = cg.value_type(g.out.dtype)
    p = ir.PointerType(t)
    name = f"{g.name}_{'rows' if split_rows else 'cols'}_{id(g)}"
    fn = ir.Function(module, ir.FunctionType(cg.VOID, [p, p, p, cg.I64, cg.I64]), name)
    fn.linkage = "internal"
    A, B, C, start, end = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    i32 = lambda v: ir.Constant(cg.I32, v)  # noqa: E731
    i64 = lambda v: ir.Constant(cg.I64, v)  # noqa: E731
    size = b.trunc(b.sub(end, start), cg.I32)
    m, n = (size, i32(g.n)) if split_rows else (i32(g.m), size)
    if split_rows:
        A = b.gep(A, [start if g.trans_lhs else b.mul(start, i64(g.k))])
        C = b.gep(C, [b.mul(start, i64(g.n))])
    else:
        B = b.gep(B, [b.mul(start, i64(g.k)) if g.trans_rhs else start])
        C = b.gep(C, [start])
    lda = g.m if g.trans_lhs else g.k
    ldb = g.k if g.trans_rhs else g.n
    alpha, beta = cg.constant(1, g.out.dtype), cg.constant(1 if g.accumulate else 0, g.out.dtype)
    if dtypes.is_complex(g.out.dtype):  # the complex gemms take their scalars by pointer
        alpha, beta = (_stack_constant(b, c) for c in (alpha, beta))
    b.call(runtime.declare_gemm(module, g.out.dtype), [
        i32(_CBLAS_ROW_MAJOR), i32(_CBLAS_TRANS if g.trans_lhs else _CBLAS_NO_TRANS),
        i32(_CBLAS_TRANS if g.trans_rhs else _CBLAS_NO_TRANS), m, n, i32(g.k),
        alpha, A, i32(max(lda, 1)), B, i32(max(ldb, 1)), beta, C, i32(max(g.n, 1))])
    b.ret_void()
    return fn


def _stack_constant(b, value):
    slot = b.alloca(value.type)
    b.store(value, slot)
    return slot


def _emit_gemm_loops(b, module, pointers, g: K.Gemm):
    """C = A @ B (C += A @ B with g.accumulate) by loops in (batch, i, p, j) order: the
    inner loop streams rows of B and C, so it vectorises."""
    loops = cg.Loops(b)
    dtype = np.dtype(g.out.dtype)
    zero = cg.constant(0, dtype)
    A, B, C = _gemm_pointers(b, module, pointers, g)
    complex_ = dtypes.is_complex(dtype)
    load = (lambda b, ptr: cx.load(b, ptr)) if complex_ else (lambda b, ptr: b.load(ptr))
    store = (lambda b, v, ptr: cx.store(b, v, ptr)) if complex_ else (lambda b, v, ptr: b.store(v, ptr))

    def multiply_add(b, acc, x, y):
        em = emitter(b, module, pointers, [])
        return cg.scalar_op(em, "add", [acc, cg.scalar_op(em, "mul", [x, y], [dtype] * 2, dtype)],
                            [dtype] * 2, dtype)

    def at(ptr, b, *terms):
        flat = ir.Constant(cg.I64, 0)
        for v, s in terms:
            flat = b.add(flat, b.mul(v, ir.Constant(cg.I64, s)))
        return b.gep(ptr, [flat], inbounds=True)

    def row(b, ivars):
        bi, i = ivars
        c_row = (bi, g.m * g.n), (i, g.n)
        if not g.accumulate:
            loops.nest([(0, g.n)], lambda b, j: store(b, zero, at(C, b, *c_row, (j[0], 1))))

        def accumulate(b, pvars):
            p = pvars[0]
            a_terms = ((bi, g.m * g.k), (p, g.m), (i, 1)) if g.trans_lhs else \
                ((bi, g.m * g.k), (i, g.k), (p, 1))
            a = load(b, at(A, b, *a_terms))

            def inner(b, jvars):
                j = jvars[0]
                b_terms = ((bi, g.k * g.n), (j, g.k), (p, 1)) if g.trans_rhs else \
                    ((bi, g.k * g.n), (p, g.n), (j, 1))
                c_ptr = at(C, b, *c_row, (j, 1))
                store(b, multiply_add(b, load(b, c_ptr), a, load(b, at(B, b, *b_terms))), c_ptr)
            loops.nest([(0, g.n)], inner)
        loops.nest([(0, g.k)], accumulate)
    loops.nest([(0, g.batch), (0, g.m)], row)
