"""debug_nans / debug_infs in native code: after each statement, the entry checks the
floating buffers it wrote and, at the first NaN (or infinity), records the statement's
number (1-based, in `K.all_statements` order) in the status word at the end of the
workspace and returns at once, so that the statement's inputs are still there for
Python to find the operation that produced it (fx/backends/nonfinite.py).

The check is a vectorised OR over the buffer (no branch per element), one function per
dtype, in the entry module.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from fx import dtypes
from fx.backends.llvm import codegen as cg
from fx.backends.llvm.statements import pointer_type

I8, I16 = ir.IntType(8), ir.IntType(16)
_HALF_BITS = {np.dtype(np.float16): (0x7FFF, 0x7C00), np.dtype(dtypes.bfloat16): (0x7FFF, 0x7F80)}


def checked(buf) -> bool:
    return dtypes.is_inexact(buf.dtype)


def status_pointer(b, workspace, offset):
    """The i64 status word at `offset` in the workspace (0: no NaN so far)."""
    slot = b.gep(workspace, [ir.Constant(cg.I64, offset)], inbounds=True)
    return b.bitcast(slot, ir.PointerType(cg.I64))


def check_statement(b, module, prefix, pointers, stmt, number, status, nans, infs):
    """After `stmt` ran: if a buffer it wrote holds a NaN (when `nans`) or an infinity
    (when `infs`), store `number` in *status and return from the function being built."""
    bad = None
    for buf in dict.fromkeys(stmt.writes()):
        if not checked(buf) or buf.size == 0:
            continue
        found = b.call(_checker(module, prefix, buf.dtype, nans, infs), [
            b.bitcast(pointers[buf], pointer_type(buf)), ir.Constant(cg.I64, buf.size)])
        bad = found if bad is None else b.or_(bad, found)
    if bad is None:
        return
    stop, go_on = b.append_basic_block("nonfinite"), b.append_basic_block("finite")
    b.cbranch(b.icmp_unsigned("!=", bad, ir.Constant(I8, 0)), stop, go_on).set_weights([1, 1 << 20])
    b.position_at_end(stop)
    b.store(ir.Constant(cg.I64, number), status)
    b.ret_void()
    b.position_at_end(go_on)


def return_if_stopped(b, status):
    """After a segment of the entry: return when the segment stopped at a NaN."""
    stop, go_on = b.append_basic_block("stopped"), b.append_basic_block("go_on")
    b.cbranch(b.icmp_unsigned("!=", b.load(status), ir.Constant(cg.I64, 0)), stop, go_on)
    b.position_at_end(stop)
    b.ret_void()
    b.position_at_end(go_on)


def _checker(module, prefix, dtype, nans, infs):
    """i8 check(T* p, i64 n): whether p[0:n] holds a NaN (when `nans`) or an infinity
    (when `infs`); complex buffers are checked as their float parts."""
    dtype = np.dtype(dtype)
    name = f"{prefix}nonfinite_{dtype.name}{'_nan' * nans}{'_inf' * infs}"
    fn = module.globals.get(name)
    if fn is not None:
        return fn
    storage = cg.storage_type(dtype)
    fn = ir.Function(module, ir.FunctionType(I8, [ir.PointerType(storage), cg.I64]), name)
    fn.linkage = "internal"
    entry, loop, done = (fn.append_basic_block(n) for n in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    pointer, n = fn.args
    parts = 2 if dtypes.is_complex(dtype) else 1
    if parts == 2:
        part = ir.DoubleType() if dtype == np.complex128 else ir.FloatType()
        pointer = b.bitcast(pointer, ir.PointerType(part))
        n = b.mul(n, ir.Constant(cg.I64, 2))
        element = part
    else:
        element = storage
    b.branch(loop)
    b.position_at_end(loop)
    i, acc = b.phi(cg.I64), b.phi(I8)
    i.add_incoming(ir.Constant(cg.I64, 0), entry)
    acc.add_incoming(ir.Constant(I8, 0), entry)
    x = b.load(b.gep(pointer, [i], inbounds=True))
    flag = b.zext(_nonfinite(b, x, element, dtype, nans, infs), I8)
    acc_next, i_next = b.or_(acc, flag), b.add(i, ir.Constant(cg.I64, 1))
    i.add_incoming(i_next, loop)
    acc.add_incoming(acc_next, loop)
    b.cbranch(b.icmp_signed("<", i_next, n), loop, done)
    b.position_at_end(done)
    b.ret(acc_next)
    return fn


def _nonfinite(b, x, element, dtype, nans, infs):
    if dtype in _HALF_BITS:  # 16-bit floats are stored as their bits
        mask, exponent = _HALF_BITS[dtype]
        magnitude = b.and_(x, ir.Constant(I16, mask))
        op = ">=" if nans and infs else ">" if nans else "=="
        return b.icmp_unsigned(op, magnitude, ir.Constant(I16, exponent))
    infinite = b.fcmp_ordered("==", b.call(_fabs(b.module, element), [x]), ir.Constant(element, float("inf")))
    nan = b.fcmp_unordered("uno", x, x)
    return b.or_(nan, infinite) if nans and infs else nan if nans else infinite


def _fabs(module, element):
    name = f"llvm.fabs.{'f64' if isinstance(element, ir.DoubleType) else 'f32'}"
    return module.globals.get(name) or ir.Function(module, ir.FunctionType(element, [element]), name)
