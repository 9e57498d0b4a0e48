"""Statements whose iterations run in order (the K.SEQUENTIAL schedule, the CPU
pipeline's choice): scatter (updates in index order) and cumulative reductions (a
compensated running sum per line)."""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from fx import dtypes
from fx.backends.llvm import codegen as cg
from fx.backends.llvm.fused import emitter, entry_alloca, in_pieces
from fx.ir import kernels as K


def _check_sequential(s):
    if s.schedule != K.SEQUENTIAL:
        raise NotImplementedError(f"{s.name}: the llvm backend runs {type(s).__name__} "
                                  f"statements sequentially, not {s.schedule}")


def emit_scatter(b, module, pointers, s: K.Scatter):
    _check_sequential(s)
    loops = cg.Loops(b)

    def copy(b, ivars):
        em = emitter(b, module, pointers, ivars)
        em.store(s.out, K.loop_index(len(ivars)), em.expr(s.operand))
    loops.nest([(0, n) for n in s.out.shape], copy)

    def update(b, uvars):
        em = emitter(b, module, pointers, uvars)
        inside = em.expr(s.in_bounds)
        write = b.append_basic_block("write")
        done = b.append_basic_block("done")
        b.cbranch(inside, write, done)
        b.position_at_end(write)
        value = em.expr(s.update)
        if s.mode != "set":  # combine with the value there: add, mul, min or max
            value = cg.scalar_op(em, s.mode, [em.load(s.out, s.index), value],
                                 [s.out.dtype, s.out.dtype], s.out.dtype)
        em.store(s.out, s.index, value)
        b.branch(done)
        b.position_at_end(done)
    loops.nest([(0, n) for n in s.shape], update)


# A float running sum restarts every SCAN_BLOCK elements from the compensated total of the
# blocks before (`_CompensatedSum`): an element's rounding error then depends on its
# position in its block, not in the line.
SCAN_BLOCK = 256


def emit_cumulative(b, module, pointers, c: K.Cumulative):
    """A sequential loop along the axis, innermost, carrying the running value; a float
    cumulative sum in blocks of SCAN_BLOCK, each element the total of the blocks before
    plus its running value within its block."""
    _check_sequential(c)
    loops = cg.Loops(b)
    dtype = np.dtype(c.expr.dtype)
    acc = entry_alloca(b, cg.value_type(dtype))
    n = c.out.shape[c.axis]
    others = [(0, m) for d, m in enumerate(c.out.shape) if d != c.axis]
    blocked = c.reducer == "add" and dtypes.is_floating(dtype) and n > SCAN_BLOCK
    before = _CompensatedSum(b, module, dtype) if blocked else None

    def run(b, outer, lo, hi, offset=None):
        """The running value from `acc` over positions [lo, hi), stored plus `offset`."""
        def step(b, jv):
            j = b.sub(ir.Constant(cg.I64, n - 1), jv[0]) if c.reverse else jv[0]
            ivars = list(outer)
            ivars.insert(c.axis, j)
            em = emitter(b, module, pointers, ivars)
            value = cg.combine(em, c.reducer, b.load(acc), em.expr(c.expr), dtype, exact=True)
            b.store(value, acc)
            em.store(c.out, K.loop_index(len(ivars)), value if offset is None else b.fadd(offset, value))
        loops.nest([(lo, hi)], step)

    def block(b, outer, lo, hi):
        b.store(cg.reduce_init(c.reducer, dtype), acc)
        run(b, outer, lo, hi, before.value(b))
        before.add(b, b.load(acc))

    def line(b, outer):
        if not blocked:
            b.store(cg.reduce_init(c.reducer, dtype), acc)
            return run(b, outer, 0, n)
        before.clear(b)
        in_pieces(b, loops, 0, n, SCAN_BLOCK, lambda b, lo, hi: block(b, outer, lo, hi))
    loops.nest(others, line)


class _CompensatedSum:
    """A float running sum that keeps the rounding error of each addition in a second term
    (Neumaier's variant of Kahan summation): its error stays about one rounding however
    many values it adds. An addition that overflows, or meets an infinity or NaN, adds no
    error term (it would be NaN), so infinities and NaN come out as in a plain sum."""

    def __init__(self, b, module, dtype):
        self.em = emitter(b, module, {}, [])
        self.dtype = dtype
        self.sum = entry_alloca(b, cg.value_type(dtype))
        self.error = entry_alloca(b, cg.value_type(dtype))

    def clear(self, b):
        for slot in (self.sum, self.error):
            b.store(cg.constant(0, self.dtype), slot)

    def value(self, b):
        return b.fadd(b.load(self.sum), b.load(self.error))

    def add(self, b, x):
        s = b.load(self.sum)
        total = b.fadd(s, x)
        s_larger = b.fcmp_ordered(">=", self._op("abs", s), self._op("abs", x))
        error = b.select(s_larger, b.fadd(b.fsub(s, total), x), b.fadd(b.fsub(x, total), s))
        error = b.select(self._op("is_finite", total), error, cg.constant(0, self.dtype))
        b.store(b.fadd(b.load(self.error), error), self.error)
        b.store(total, self.sum)

    def _op(self, name, v):
        return cg.scalar_op(self.em, name, [v], [self.dtype], self.dtype)
