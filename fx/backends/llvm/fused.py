"""Loop nests of a fused kernel: elementwise stores, tiles for transposed reads, and
reductions (a cascade of blocked pairwise sums, so float sums stay accurate)."""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from fx.backends.llvm import codegen as cg
from fx.ir import kernels as K

def emitter(b, module, pointers, loop_vars):
    return cg.ExprEmitter(b, module, pointers, loop_vars)


def emit_kernel(b, module, pointers, k: K.Kernel, outer=None):
    loops = cg.Loops(b)
    if k.reducer:
        acc = entry_alloca(b, cg.value_type(k.outputs[0][1].dtype))
        best_index = entry_alloca(b, cg.I64)

    def body(b, ivars):
        if k.reducer:
            return _emit_reduction(b, module, pointers, k, ivars, loops, acc, best_index)
        em = emitter(b, module, pointers, ivars)
        at = K.loop_index(len(ivars)) if k.store_index is None else k.store_index
        for buf, expr in k.outputs:
            em.store(buf, at, em.expr(expr))

    bounds = [(0, n) for n in k.shape]
    if outer is not None:
        bounds[0] = outer
    if _reduce_outside(k):
        return _emit_reduction_outside(b, module, pointers, k, bounds, loops)
    if _tile_last_two(k):
        return loops.nest(bounds[:-2], lambda b, outer_vars: _tiled(
            b, loops, bounds[-2:], lambda b, ij: body(b, outer_vars + ij)))
    loops.nest(bounds, body)


# Tile edge for kernels that read a buffer transposed. 16 x 16: larger tiles touch more
# rows than L1's ways when the row stride is a power of two (1024 x 1024 float32 `a.T +
# b.T`: untiled 5.0 ms, tile 32: 3.8 ms, tile 16: 1.6 ms; 1000 x 1000: 1.6 -> 0.9 ms).
TILE = 16


def _tile_last_two(k: K.Kernel) -> bool:
    """Whether a map kernel reads a buffer transposed (`x.T + y`): a load indexed by the
    innermost loop variable, but with the second-to-last one in its last position, walks
    memory a row apart per element (a row-broadcast load like `x / s[i0]` does not).
    Tiling the last two loops keeps both access orders within a cache-sized block."""
    if k.reducer or len(k.shape) < 2 or k.store_index is not None or min(k.shape[-2:]) < 2 * TILE:
        return False
    across, inner = K.IVar(len(k.shape) - 2), K.IVar(len(k.shape) - 1)
    return any(load.index and load.index[-1] == across and inner in load.index[:-1]
               for _, expr in k.outputs for load in K.loads(expr))


def _tiled(b, loops, bounds, body):
    """for ii, jj in tiles of TILE x TILE over bounds: for i, j in the tile: body."""
    (lo0, hi0), (lo1, hi1) = [(i64(lo), i64(hi)) for lo, hi in bounds]

    def tiles(b, tvars):
        ranges = [_piece(b, lo0, hi0, TILE, tvars[0]), _piece(b, lo1, hi1, TILE, tvars[1])]
        loops.nest(ranges, body)
    loops.nest([(0, _piece_count(b, lo0, hi0, TILE)), (0, _piece_count(b, lo1, hi1, TILE))], tiles)


def i64(v):
    """An i64 value: v itself if it is one already, else the constant v."""
    return v if isinstance(v, ir.Value) else ir.Constant(cg.I64, v)


def _piece_count(b, lo, hi, size):
    """How many pieces of `size` cover [lo, hi)."""
    return b.sdiv(b.add(b.sub(hi, lo), i64(size - 1)), i64(size))


def _piece(b, lo, hi, size, t):
    """The t-th piece of `size` of [lo, hi): (start, end), the last one shorter."""
    start = b.add(lo, b.mul(t, i64(size)))
    end = b.add(start, i64(size))
    return start, b.select(b.icmp_signed("<", end, hi), end, hi)


def in_pieces(b, loops, lo, hi, size, body):
    """body(b, start, end) for each piece of `size` of [lo, hi) in turn."""
    lo, hi = i64(lo), i64(hi)
    loops.nest([(0, _piece_count(b, lo, hi, size))], lambda b, t: body(b, *_piece(b, lo, hi, size, t[0])))


def _reduce_outside(k: K.Kernel) -> bool:
    """Whether to run a reduction's loops outside the innermost output loop. When the
    loads walk memory along that output axis (a column sum: `x.sum(0)`), reducing one
    output at a time reads with a stride of a whole row per term; swapping the loops
    streams contiguous rows through a vectorised update of a line of outputs. Each output
    still combines its terms in the same order, so the results are bit-identical."""
    if k.reducer not in ("add", "mul", "max", "min") or not k.shape:
        return False
    inner_output = K.IVar(len(k.shape) - 1)
    inner_reduction = K.IVar(len(k.shape) + len(k.reduce_shape) - 1)
    (_, expr), = k.outputs
    votes = 0
    # the loads and side stores that stream: they move with the reduction
    for index in {load.index for load in K.loads(expr)} | {index for _, index in k.side_outputs}:
        if index and any(v >= len(k.shape) for i in index for v in _index_vars(i)):
            votes += (index[-1] == inner_output) - (index[-1] == inner_reduction)
    return votes > 0


def _index_vars(i):
    """The loop variables an index depends on (not through gathered values)."""
    if isinstance(i, K.IVar):
        return {i.k}
    return set().union(*(_index_vars(getattr(i, f)) for f in ("a", "b") if hasattr(i, f)))


def _emit_reduction_outside(b, module, pointers, k, bounds, loops):
    """for outer outputs: out[..., :] = init; for r...: out[..., j] = out[..., j] (+) x."""
    if k.block is not None:
        return _emit_blocked_reduction_outside(b, module, pointers, k, bounds, loops)
    (buf, expr), = k.outputs
    dtype = np.dtype(expr.dtype)
    index = K.loop_index(len(k.shape))

    def line(b, outer_vars):
        loops.nest([bounds[-1]], lambda b, j: emitter(b, module, pointers, outer_vars + j).store(
            buf, index, cg.reduce_init(k.reducer, dtype)))

        def update(b, j, rvars):
            em = emitter(b, module, pointers, outer_vars + j + rvars)
            current = em.expr(K.Load(dtype, buf, index))
            em.store(buf, index, cg.combine(em, k.reducer, current, _term(em, k), dtype))
        loops.nest([(0, n) for n in k.reduce_shape],
                   lambda b, rvars: loops.nest([bounds[-1]], lambda b, j: update(b, j, rvars)))
    loops.nest(bounds[:-1], line)


def entry_alloca(b, t):
    """A stack slot in the function's entry block (mem2reg turns it into registers)."""
    here = b.block
    b.position_at_start(b.function.entry_basic_block)
    slot = b.alloca(t)
    b.position_at_end(here)
    return slot


def _emit_reduction(b, module, pointers, k, out_vars, loops, acc, best_index):
    if k.block is not None:
        return _emit_blocked_reduction(b, module, pointers, k, out_vars, loops)
    (buf, expr), = k.outputs
    dtype = np.dtype(expr.dtype)
    arg = k.reducer in ("argmax", "argmin")
    b.store(cg.reduce_init(k.reducer, dtype), acc)
    b.store(ir.Constant(cg.I64, 0), best_index)
    strides = K.row_major_strides(k.reduce_shape)

    def body(b, rvars):
        em = emitter(b, module, pointers, list(out_vars) + rvars)
        x = _term(em, k)
        current = b.load(acc)
        if not arg:
            b.store(cg.combine(em, k.reducer, current, x, dtype), acc)
            return
        position = ir.Constant(cg.I64, 0)
        for v, s in zip(rvars, strides):
            position = b.add(position, b.mul(v, ir.Constant(cg.I64, s)))
        better = cg.arg_better(b, k.reducer, current, x, dtype)
        b.store(b.select(better, x, current), acc)
        b.store(b.select(better, position, b.load(best_index)), best_index)

    loops.nest([(0, n) for n in k.reduce_shape], body)
    em = emitter(b, module, pointers, list(out_vars))
    result = b.load(best_index) if arg else b.load(acc)
    if arg:
        result = cg.convert(b, result, np.dtype(np.int64), buf.dtype)
    em.store(buf, K.loop_index(len(out_vars)), result)


# ---------------------------------------------------------------------------- blocked sums

# A sum with a `block` (kernel_passes.block_float_sums) is computed in blocks: each block
# by the plain vectorised loop, the blocks' results then pairwise (`Cascade`).
# Outputs a blocked column-wise reduction (`_reduce_outside`) computes at once, so that its
# block and cascade rows, on the stack, take at most BLOCK_TILE_BYTES. Shorter tiles read
# the rows in shorter pieces, which costs: summing 1100 x 4096 float32 over axis 0 in
# tiles of 1024 takes 15% longer than in one of 4096 (8% for 2048).
BLOCK_TILE = 4096
BLOCK_TILE_BYTES = 256 * 1024


def in_blocks(b, loops, shape, block, start_block, add_term, end_block):
    """The reduction loops over `shape`, cut into blocks of about `block` terms
    (`K.block_split`): each block runs start_block(b), add_term(b, rvars) for each of its
    terms, end_block(b)."""
    d, step, _ = K.block_split(shape, block)

    def block(b, outer, lo, hi):
        start_block(b)
        loops.nest([(lo, hi)] + [(0, n) for n in shape[d + 1:]],
                   lambda b, inner: add_term(b, outer + inner))
        end_block(b)
    loops.nest([(0, n) for n in shape[:d]],
               lambda b, outer: in_pieces(b, loops, 0, shape[d], step,
                                           lambda b, lo, hi: block(b, outer, lo, hi)))


class Cascade:
    """Adds the block sums of `width` reductions at once pairwise (cascade summation).
    Level l holds the result of 2**l blocks; a new block carries through the levels as an
    increment does through a binary counter (block k through as many levels as k has
    trailing zero bits), so each term goes through about log2(blocks) roundings. The
    levels are rows of `width` values on the stack; `block` is the row of the block being
    computed."""

    def __init__(self, b, loops, dtype, blocks, width):
        t = cg.value_type(dtype)
        self.loops, self.blocks = loops, blocks
        self.zero = cg.constant(0, dtype)
        self.levels = entry_alloca(b, ir.ArrayType(ir.ArrayType(t, width), blocks.bit_length()))
        self.block = entry_alloca(b, ir.ArrayType(t, width))
        self.pushed = entry_alloca(b, cg.I64)
        self.active = i64(width)

    def start(self, b, active=None):
        """Begin new reductions: `active` of them (an i64 value), or all `width`."""
        self.active = self.active if active is None else active
        b.store(i64(0), self.pushed)

    def slot(self, b, j):
        """Where the current block's result for reduction j accumulates."""
        return b.gep(self.block, [i64(0), j], inbounds=True)

    def clear(self, b):
        """Start a block."""
        self._each(b, lambda b, j: b.store(self.zero, self.slot(b, j)))

    def push(self, b):
        """End a block: carry its results into the levels."""
        count = b.add(b.load(self.pushed), i64(1))
        b.store(count, self.pushed)
        cttz = cg.declare(b.module, "llvm.cttz.i64", cg.I64, [cg.I64, cg.I1])
        carries = b.call(cttz, [count, ir.Constant(cg.I1, 1)])

        def carry(b, level):
            self._each(b, lambda b, j: b.store(
                b.fadd(b.load(self._at(b, level, j)), b.load(self.slot(b, j))),
                self.slot(b, j)))
        self.loops.nest([(0, carries)], lambda b, lv: carry(b, lv[0]))
        self._each(b, lambda b, j: b.store(b.load(self.slot(b, j)), self._at(b, carries, j)))

    def result(self, b, j):
        """Reduction j's result, once all its blocks are in: the levels that the block
        count's set bits name, smallest first."""
        total = None
        for level in range(self.blocks.bit_length()):
            if self.blocks >> level & 1:
                v = b.load(self._at(b, i64(level), j))
                total = v if total is None else b.fadd(total, v)
        return total

    def _at(self, b, level, j):
        return b.gep(self.levels, [i64(0), level, j], inbounds=True)

    def _each(self, b, fn):
        if isinstance(self.active, ir.Constant) and self.active.constant == 1:
            fn(b, i64(0))  # one reduction: constant indices, so its rows become registers
        else:
            self.loops.nest([(0, self.active)], lambda b, j: fn(b, j[0]))


def _emit_blocked_reduction(b, module, pointers, k, out_vars, loops):
    """One output's reduction in blocks, combined by a `Cascade`."""
    (buf, expr), = k.outputs
    dtype = np.dtype(expr.dtype)
    cascade = Cascade(b, loops, dtype, k.block_split()[2], 1)
    slot = cascade.slot(b, i64(0))

    def add_term(b, rvars):
        em = emitter(b, module, pointers, list(out_vars) + rvars)
        b.store(cg.combine(em, k.reducer, b.load(slot), _term(em, k), dtype), slot)
    cascade.start(b)
    in_blocks(b, loops, k.reduce_shape, k.block, cascade.clear, add_term, cascade.push)
    em = emitter(b, module, pointers, list(out_vars))
    em.store(buf, K.loop_index(len(out_vars)), cascade.result(b, i64(0)))


def _emit_blocked_reduction_outside(b, module, pointers, k, bounds, loops):
    """`_emit_reduction_outside` in blocks: the line of outputs in tiles (see BLOCK_TILE),
    each tile's reductions in blocks, combined by a `Cascade` of the tile's width."""
    (buf, expr), = k.outputs
    dtype = np.dtype(expr.dtype)
    index = K.loop_index(len(k.shape))
    blocks = k.block_split()[2]
    rows = blocks.bit_length() + 1  # the levels and the block
    width = min(BLOCK_TILE, k.shape[-1], max(1, BLOCK_TILE_BYTES // (rows * dtype.itemsize)))
    cascade = Cascade(b, loops, dtype, blocks, width)

    def tile(b, outer_vars, lo, hi):
        def update(b, j, rvars):
            em = emitter(b, module, pointers, outer_vars + j + rvars)
            slot = cascade.slot(b, b.sub(j[0], lo))
            b.store(cg.combine(em, k.reducer, b.load(slot), _term(em, k), dtype), slot)

        def store(b, j):
            em = emitter(b, module, pointers, outer_vars + j)
            em.store(buf, index, cascade.result(b, b.sub(j[0], lo)))
        cascade.start(b, b.sub(hi, lo))
        in_blocks(b, loops, k.reduce_shape, k.block, cascade.clear,
                   lambda b, rvars: loops.nest([(lo, hi)], lambda b, j: update(b, j, rvars)),
                   cascade.push)
        loops.nest([(lo, hi)], store)
    lo, hi = bounds[-1]
    loops.nest(bounds[:-1], lambda b, outer_vars: in_pieces(
        b, loops, lo, hi, width, lambda b, tlo, thi: tile(b, outer_vars, tlo, thi)))


def _term(em, k):
    """A reduction's term at the emitter's loop point, stored to the side outputs too."""
    x = em.expr(k.outputs[0][1])
    for buf, index in k.side_outputs:
        em.store(buf, index, x)
    return x
