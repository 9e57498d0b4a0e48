"""The passes that turn a lowered kernel program into the one a backend compiles, and the
choices they make for it: a backend supplies a `Pipeline` (its cost model, its rewrites
and its passes), so that what suits a CPU (sums in short blocks, updates applied in order
on one thread, a merge sort) stays the CPU's, and a GPU backend can choose differently.

- Rewrites run on each statement as lowering emits it, so later lowering decisions see
  the result (a loop body's `carry + a @ b` accumulates into the carry only when the
  product is a Gemm): `reduction_as_gemm`.
- Passes run on the whole program after lowering, in order, before the verifier and the
  buffer plan: `fuse_reduced_producers`, `block_float_sums`, `schedule_updates`,
  `merge_sort_scratch`.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np

from fx import dtypes
from fx.ir import kernels as K


@dataclasses.dataclass(frozen=True)
class CostModel:
    """What lowering weighs when it decides to fuse or to materialise a value."""
    # ops whose cost justifies a buffer rather than recomputation in every consumer
    expensive_ops: frozenset
    # expression size (nodes) past which a value read more than once gets a buffer
    max_inline_nodes: int


@dataclasses.dataclass(frozen=True)
class Pipeline:
    name: str
    cost: CostModel
    rewrites: tuple = ()   # statement -> a replacement statement, or None to keep it
    passes: tuple = ()     # program -> None, rewriting it in place

    def rewrite(self, stmt):
        for rewrite in self.rewrites:
            stmt = rewrite(stmt) or stmt
        return stmt

    def run(self, program: K.Program):
        for run_pass in self.passes:
            run_pass(program)


# ---------------------------------------------------------------------------- rewrites

def reduction_as_gemm(stmt):
    """A Gemm for a kernel summing `A[...] * B[...]` over its reduction loops when both
    loads index by plain loop variables laid out as (batch, rows, contracted) /
    (batch, contracted, cols), up to transposition: the broadcast-multiply-sum spelling
    of a matrix product. None for any other statement."""
    if not (isinstance(stmt, K.Kernel) and stmt.reducer == "add" and len(stmt.outputs) == 1
            and stmt.store_index is None and not stmt.side_outputs):
        return None
    (out, expr), reduce_shape = stmt.outputs[0], stmt.reduce_shape
    if not (isinstance(expr, K.Op) and expr.op == "mul" and expr.dtype in (dtypes.float32, dtypes.float64)):
        return None
    a, b = expr.args
    if not (isinstance(a, K.Load) and isinstance(b, K.Load)):
        return None
    va, vb = (tuple(i.k if isinstance(i, K.IVar) else None for i in x.index) for x in (a, b))
    if None in va or None in vb or len(set(va)) < len(va) or len(set(vb)) < len(vb):
        return None
    n_out = len(out.shape)
    contracted = tuple(range(n_out, n_out + len(reduce_shape)))
    batch = tuple(v for v in range(n_out) if v in va and v in vb)
    rows = tuple(v for v in range(n_out) if v in va and v not in vb)
    cols = tuple(v for v in range(n_out) if v in vb and v not in va)
    if batch + rows + cols != tuple(range(n_out)):
        if batch + cols + rows != tuple(range(n_out)):
            return None
        a, b, va, vb, rows, cols = b, a, vb, va, cols, rows  # out = (batch, cols, rows): swap
    if va not in (batch + rows + contracted, batch + contracted + rows) or \
            vb not in (batch + contracted + cols, batch + cols + contracted):
        return None
    extent = dict(enumerate(out.shape + tuple(reduce_shape)))
    size = lambda vs: int(np.prod([extent[v] for v in vs], dtype=np.int64))  # noqa: E731
    return K.Gemm("", a.buffer, b.buffer, out, size(batch), size(rows), size(cols), size(contracted),
                  trans_lhs=va != batch + rows + contracted, trans_rhs=vb != batch + contracted + cols)


# ---------------------------------------------------------------------------- passes

def fuse_reduced_producers(program: K.Program):
    """Merge each elementwise kernel that writes a buffer into the reduction right after it
    that reads only that buffer, every element once: the reduction computes each term
    itself and stores it as a side output (softmax's exp: written and reduced in one pass,
    not written, then read back). Blocks of loops and branches too."""
    _fuse_in_block(program.body)


def _fuse_in_block(body):
    for block in (b for s in body for b in s.blocks()):
        _fuse_in_block(block)
    k = 0
    while k + 1 < len(body):
        producer, reduction = body[k], body[k + 1]
        index = _term_index(producer, reduction)
        if index is None:
            k += 1
            continue
        (buf, expr), = producer.outputs
        (out, _), = reduction.outputs
        reduction.outputs = [(out, K.reindex(expr, index))]
        reduction.side_outputs = [(buf, index)]
        del body[k]


def _term_index(producer, reduction):
    """If `reduction` reduces exactly the buffer that the elementwise kernel `producer`
    writes, read at a permutation of all its loop variables, that index; else None.
    Neither may write what the producer reads: the merged kernel reads it row by row."""
    if not (isinstance(producer, K.Kernel) and isinstance(reduction, K.Kernel)
            and not producer.reducer and producer.store_index is None and len(producer.outputs) == 1
            and reduction.reducer and len(reduction.outputs) == 1 and not reduction.side_outputs):
        return None
    (buf, _), ((out, term),) = producer.outputs[0], reduction.outputs
    extents = tuple(reduction.shape) + tuple(reduction.reduce_shape)
    if not (isinstance(term, K.Load) and term.buffer is buf and len(term.index) == len(extents)
            and all(isinstance(i, K.IVar) for i in term.index)
            and sorted(i.k for i in term.index) == list(range(len(extents)))
            and all(buf.shape[d] == extents[i.k] for d, i in enumerate(term.index))
            and not {buf, out} & producer.reads()):
        return None
    return term.index


def block_float_sums(program: K.Program, block):
    """Have every float sum of more than `block` terms combine them in blocks (Kernel and
    Gemm `block`): in one running accumulator, rounding error grows with the number of
    terms (float32 ones stop counting at 2**24 in each vector lane); in blocks, with log2
    of the number of blocks. Max and min are exact in any order and integer sums
    associative; a product's relative error is the sum of those of its n - 1
    multiplications in any order, so pairwise products would be no more accurate."""
    for s in K.all_statements(program.body):
        if isinstance(s, K.Kernel) and s.reducer == "add" and dtypes.is_floating(s.outputs[0][1].dtype) \
                and K._size(s.reduce_shape) > block:
            s.block = block
        elif isinstance(s, K.Gemm) and s.m == s.n == 1 and s.k > block \
                and dtypes.is_floating(s.out.dtype):
            s.block = block


def schedule_updates(program: K.Program, scatter, cumulative):
    """Choose how every Scatter applies its updates and every Cumulative runs its lines
    (K.SEQUENTIAL or K.CONCURRENT; `scatter` may also be a function of the Scatter)."""
    for s in K.all_statements(program.body):
        if isinstance(s, K.Scatter):
            s.schedule = scatter(s) if callable(scatter) else scatter
        elif isinstance(s, K.Cumulative):
            s.schedule = cumulative


def merge_sort_scratch(program: K.Program):
    """Give every Sort the scratch of a merge sort of its lines: int64 (2, lines, n), each
    line's permutation and the buffer it merges into."""
    for s in K.all_statements(program.body):
        if isinstance(s, K.Sort) and s.scratch is None:
            s.scratch = K.Buffer(f"{s.name}_scratch", (2, s.lines, s.n), np.dtype(np.int64), "temp")
            program.temps.append(s.scratch)


# ---------------------------------------------------------------------------- the CPU's

# Float sums of more terms than this are computed in blocks, each by the plain vectorised
# loop, the blocks' results then pairwise: a few instructions per block for an error
# that grows with log2 of the number of blocks.
CPU_REDUCE_BLOCK = 512

CPU = Pipeline(
    "cpu",
    CostModel(expensive_ops=frozenset({
        "exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sin", "cos", "tan", "erf",
        "pow", "div", "rem", "sqrt", "rsqrt", "asin", "acos", "atan", "sinh", "cosh", "asinh",
        "acosh", "atanh", "cbrt", "atan2"}), max_inline_nodes=48),
    rewrites=(reduction_as_gemm,),
    passes=(fuse_reduced_producers,
            functools.partial(block_float_sums, block=CPU_REDUCE_BLOCK),
            functools.partial(schedule_updates, scatter=K.SEQUENTIAL, cumulative=K.SEQUENTIAL),
            merge_sort_scratch))
