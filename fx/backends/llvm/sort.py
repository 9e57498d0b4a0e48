"""Native code for the kernel program's `Sort`: a stable bottom-up merge sort per line.

Each line sorts a permutation of its positions (the keys are read through it, never
moved), ping-ponging between the two halves of its scratch; the values are then read
once through the final permutation. No recursion, O(n log n) comparisons, and every
load is in bounds: the merge reads both runs at clamped positions and selects, without
branching on which run is exhausted. Keys compare as integers: floats are mapped to an
integer whose signed order is the statement's total order.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from fx import dtypes
from fx.backends.llvm import codegen as cg
from fx.ir import kernels as K

_I64 = cg.I64


def _c(v):
    return ir.Constant(_I64, v)


def _order_key(b, value, dtype, canonical):
    """(integer, signed?) ordered as the statement orders `value`."""
    dtype = np.dtype(dtype)
    if not dtypes.is_floating(dtype):
        return value, dtype.kind == "i"
    t = value.type
    bits_type = cg.I32 if t == cg.F32 else cg.I64
    if canonical:  # -0.0 -> 0.0, any NaN -> the positive quiet NaN
        value = b.select(b.fcmp_ordered("==", value, ir.Constant(t, 0.0)), ir.Constant(t, 0.0), value)
        value = b.select(b.fcmp_unordered("uno", value, value), ir.Constant(t, float("nan")), value)
    bits = b.bitcast(value, bits_type)
    width = bits_type.width
    magnitude = b.and_(b.ashr(bits, ir.Constant(bits_type, width - 1)),
                       ir.Constant(bits_type, (1 << (width - 1)) - 1))
    return b.xor(bits, magnitude), True  # negative floats: flip the magnitude's order


def _while(b, cond, body):
    """while cond(b): body(b), with the loop state in stack slots."""
    head = b.append_basic_block("while")
    inner = b.append_basic_block("do")
    after = b.append_basic_block("done")
    b.branch(head)
    b.position_at_end(head)
    b.cbranch(cond(b), inner, after)
    b.position_at_end(inner)
    body(b)
    b.branch(head)
    b.position_at_end(after)


def emit_sort(b, module, pointers, s: K.Sort, start, end, entry_alloca):
    """Sort lines [start, end) of `s`."""
    n, axis, lines = s.n, s.axis, s.lines
    others = s.shape[:axis] + s.shape[axis + 1:]
    scratch = pointers[s.scratch]
    slot = lambda: entry_alloca(b, _I64)  # noqa: E731
    width, lo, i, j = slot(), slot(), slot(), slot()
    src_slot, dst_slot = (entry_alloca(b, ir.PointerType(_I64)) for _ in range(2))
    loops = cg.Loops(b)

    def line(b, lv):
        r = lv[0]
        coords, rest = [], r
        for extent in reversed(others):  # the line's position along the other axes
            coords.insert(0, b.srem(rest, _c(extent)))
            rest = b.sdiv(rest, _c(extent))

        def at(pos):
            return coords[:axis] + [pos] + coords[axis:]

        def keys(b, pos):
            em = cg.ExprEmitter(b, module, pointers, at(pos))
            return [_order_key(b, em.expr(e), e.dtype, s.canonical) for e in s.operands[:s.num_keys]]

        def before(b, p, q):
            """Whether position p's keys come strictly before q's."""
            if s.descending:
                p, q = q, p
            result = None
            for (kp, signed), (kq, _) in reversed(list(zip(keys(b, p), keys(b, q)))):
                lt = b.icmp_signed("<", kp, kq) if signed else b.icmp_unsigned("<", kp, kq)
                result = lt if result is None else b.or_(lt, b.and_(b.icmp_unsigned("==", kp, kq), result))
            return result

        perm = b.gep(scratch, [b.mul(r, _c(n))], inbounds=True)
        spare = b.gep(scratch, [b.mul(b.add(r, _c(lines)), _c(n))], inbounds=True)
        loops.nest([(0, n)], lambda b, jv: b.store(jv[0], b.gep(perm, [jv[0]], inbounds=True)))
        b.store(perm, src_slot)
        b.store(spare, dst_slot)
        b.store(_c(1), width)

        def merge_pass(b):
            w = b.load(width)
            src, dst = b.load(src_slot), b.load(dst_slot)
            b.store(_c(0), lo)

            def merge_runs(b):
                first = b.load(lo)
                mid = _min(b, b.add(first, w), _c(n))
                hi = _min(b, b.add(first, b.add(w, w)), _c(n))
                last = b.sub(hi, _c(1))
                b.store(first, i)
                b.store(mid, j)

                def step(b, kv):
                    iv, jv = b.load(i), b.load(j)
                    left = b.load(b.gep(src, [_min(b, iv, last)], inbounds=True))
                    right = b.load(b.gep(src, [_min(b, jv, last)], inbounds=True))
                    take_left = b.and_(b.icmp_signed("<", iv, mid),
                                       b.or_(b.icmp_signed(">=", jv, hi),
                                             b.not_(before(b, right, left))))
                    b.store(b.select(take_left, left, right), b.gep(dst, [kv[0]], inbounds=True))
                    b.store(b.add(iv, b.zext(take_left, _I64)), i)
                    b.store(b.add(jv, b.zext(b.not_(take_left), _I64)), j)
                loops.nest([(first, hi)], step)
                b.store(hi, lo)
            _while(b, lambda b: b.icmp_signed("<", b.load(lo), _c(n)), merge_runs)
            b.store(dst, src_slot)
            b.store(src, dst_slot)
            b.store(b.add(w, w), width)
        _while(b, lambda b: b.icmp_signed("<", b.load(width), _c(n)), merge_pass)

        result = b.load(src_slot)

        def gather(b, jv):
            p = b.load(b.gep(result, [jv[0]], inbounds=True))
            read = cg.ExprEmitter(b, module, pointers, at(p))
            write = cg.ExprEmitter(b, module, pointers, at(jv[0]))
            index = K.loop_index(len(s.shape))
            for out, e in zip(s.outs, s.operands):
                write.store(out, index, read.expr(e))
        loops.nest([(0, n)], gather)

    loops.nest([(start, end)], line)


def _min(b, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)
