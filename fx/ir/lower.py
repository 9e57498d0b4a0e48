"""Lowering: jaxpr -> kernel program, with fusion and a buffer plan.

Each jaxpr value becomes either a buffer or an *inline* value: a function from an output
index to a scalar expression. Elementwise and layout primitives produce inline values,
so chains of them, and the broadcasts, transposes, slices and pads between them, fuse
into whichever kernel finally reads them. A value is materialised into a buffer when:

- it is a program output, or feeds a library call (matrix products want memory);
- it is expensive (exp, log, division ...: the cost model's) and would be recomputed: read by several
  consumers, broadcast, or gathered from (each of its elements read many times);
- its expression has grown large and is read more than once;
- its expression has grown past `MAX_KERNEL_NODES` nodes or `MAX_KERNEL_DEPTH` levels,
  whoever reads it: a very long elementwise chain becomes several kernels with
  materialised intermediates. This bounds the size of every kernel's expression trees,
  hence the work and the recursion depth of every pass over them (lowering closures,
  printing, hashing, code generation), and LLVM's time per kernel. The bounds are far
  above what ordinary programs reach (GELU, softmax, an MLP step: under 150 nodes).
  Index maps (reshapes, transposes, slices) are counted by `reindexed`; after
  `REINDEX_CHECK` of them the tree is measured, indices included (`K.tree_size`),
  since each reshape can double it: it must stay under `MAX_KERNEL_TREE`.

Reductions take their producers into the same kernel, so `sum(a[:, :, None] * b[None],
axis=1)` never materialises its 3-D product; a value both materialised and reduced
(softmax's exp) is stored by the reduction that computes it, so it is not read back
(`fuse_reduced_producers`). What counts as expensive, and the rewrites and passes that
follow lowering, are the backend's pipeline's (fx/ir/kernel_passes.py). Each primitive's
lowering rule lives with the primitive (`prim.lower`); this module owns the mechanism.
"""
from __future__ import annotations

import bisect
import collections
import contextlib

import numpy as np

from fx import dtypes
from fx.config import config
from fx.ir import kernels as K
from fx.ir.kernel_passes import CPU, Pipeline
from fx.ir.jaxpr import ClosedJaxpr, Literal

MAX_KERNEL_NODES = 256
MAX_KERNEL_DEPTH = 64
REINDEX_CHECK = 4
MAX_KERNEL_TREE = 4096


class Value:
    """A jaxpr value during lowering: `at(index)` gives its element as an expression;
    `sources` are the source lines (fx.source_info) of the equations inlined into it."""
    reindexed = 0  # index maps composed since the last buffer
    sources = frozenset()

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)

    @property
    def ndim(self):
        return len(self.shape)


class BufferValue(Value):
    def __init__(self, buffer):
        super().__init__(buffer.shape, buffer.dtype)
        self.buffer = buffer
        self.cost, self.nodes, self.depth = 0, 1, 1

    def at(self, index):
        assert len(index) == len(self.shape), (index, self.shape)
        return K.Load(self.dtype, self.buffer, tuple(index))


def _made_by(fn, origin):
    """fn(index), with the Ops it makes attributed to `origin` (an inline value's
    expression is built when a later equation reads it)."""
    def at(index):
        previous = K.set_origin(origin)
        try:
            return fn(index)
        finally:
            K.set_origin(previous)
    return at


class InlineValue(Value):
    """A value computed on demand inside its consumers' kernels. `nodes` and `depth`
    estimate the size and height of its expression tree."""

    def __init__(self, shape, dtype, fn, cost=0, nodes=1, depth=1):
        super().__init__(shape, dtype)
        self.fn, self.cost, self.nodes, self.depth = fn, cost, nodes, depth

    def at(self, index):
        assert len(index) == len(self.shape), (index, self.shape)
        return self.fn(tuple(index))


class LoweringContext:
    """What lowering rules build with: values, kernels, buffers. The pipeline's cost model
    guides fusion, and its rewrites apply to each statement as it is emitted."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline, self.cost = pipeline, pipeline.cost
        self.body, self.temps, self.consts = [], [], []
        self._names = 0
        self._materialized = {}  # (shape, expression) -> the temporary that holds it
        self.buffer_uses = {}    # buffer -> how many equations read a variable it backs
        self.callbacks = 0       # Callback statements emitted so far (they are numbered)
        self.source = None       # the source line of the equation being lowered
        self.prim = None         # and its primitive's name

    def _name(self, prefix):
        self._names += 1
        return f"{prefix}{self._names}"

    def new_buffer(self, shape, dtype, role="temp", value=None):
        buf = K.Buffer(self._name("t" if role == "temp" else "c"), tuple(shape), np.dtype(dtype),
                       role, value)
        (self.temps if role == "temp" else self.consts).append(buf)
        return buf

    # -- values ---------------------------------------------------------------------
    def inline(self, shape, dtype, fn, operands=(), index_map=True):
        """An inline value computed by fn(index) from operand values (for cost bookkeeping;
        `index_map`: fn may rewrite the index it passes to its operands)."""
        cost = sum(o.cost for o in operands)
        nodes = 1 + sum(o.nodes for o in operands)
        depth = 1 + max((o.depth for o in operands), default=0)
        value = InlineValue(shape, dtype, _made_by(fn, self.origin()), cost, nodes, depth)
        value.reindexed = max((o.reindexed for o in operands), default=0) + index_map
        value.sources = frozenset().union(*(o.sources for o in operands), self._own_source())
        return value

    def origin(self):
        """(primitive, source line) of the equation being lowered: the origin of its Ops."""
        return (self.prim, self.source)

    def _own_source(self):
        return () if self.source is None else (self.source,)

    def oversized(self, value: InlineValue) -> bool:
        """Whether an inline value's expression passes the bounds every kernel keeps (see
        the module docstring): it must then be materialised, whoever reads it. Lowering
        rules that build big trees within one equation (integer_pow) ask it too."""
        return (value.nodes > MAX_KERNEL_NODES or value.depth > MAX_KERNEL_DEPTH
                or (value.reindexed >= REINDEX_CHECK
                    and K.tree_size(value.at(K.loop_index(len(value.shape)))) > MAX_KERNEL_TREE))

    def elementwise(self, opname, operands, dtype):
        expensive = opname in self.cost.expensive_ops
        value = self.inline(operands[0].shape if operands else (), dtype,
                            lambda idx: K.op(opname, *(o.at(idx) for o in operands), dtype=dtype),
                            operands, index_map=False)
        value.cost += expensive
        return value

    def constant(self, array):
        array = np.asarray(array)
        if array.ndim == 0:
            c = K.const(array.item(), array.dtype)
            return InlineValue((), array.dtype, lambda idx: c)
        return BufferValue(self.new_buffer(array.shape, array.dtype, "const", array))

    # -- materialisation ------------------------------------------------------------
    def materialize(self, value, dest=None, store_index=None):
        """A BufferValue holding `value` (writing into `dest` when given, at `store_index`
        when given: see Kernel). The same expression materialised twice (e.g. recomputed
        by a custom_jvp rule) is computed once."""
        if isinstance(value, BufferValue) and dest is None:
            return value
        expr = value.at(K.loop_index(len(value.shape)))
        # keyed by the shape too: an expression of the loop indices alone (iota, a
        # broadcast scalar) reads the same over any iteration space
        key = (value.shape, expr)
        if dest is None and key in self._materialized:
            return BufferValue(self._materialized[key])
        target = dest or self.new_buffer(value.shape, value.dtype)
        self.emit(K.Kernel("", value.shape, [(target, expr)], store_index=store_index), value.sources)
        if dest is None:
            self._materialized[key] = target
        return BufferValue(target)

    def materialize_if_expensive(self, value):
        return self.materialize(value) if isinstance(value, InlineValue) and value.cost else value

    def reduce(self, value, axes, reducer, out_dtype=None):
        """A kernel reducing `value` over `axes`: parallel loops over the kept dims."""
        kept = [d for d in range(value.ndim) if d not in axes]
        out_shape = tuple(value.shape[d] for d in kept)
        reduce_shape = tuple(value.shape[d] for d in axes)
        index = [None] * value.ndim
        for k, d in enumerate(kept):
            index[d] = K.IVar(k)
        for k, d in enumerate(axes):
            index[d] = K.IVar(len(kept) + k)
        out = self.new_buffer(out_shape, out_dtype or value.dtype)
        self.emit(K.Kernel("", out_shape, [(out, value.at(tuple(index)))], reduce_shape, reducer),
                  value.sources)
        return BufferValue(out)

    def transposed_gemm_result(self, value):
        """If `value` is a 2-D matrix product read only once (by the caller), have the
        product written transposed (C^T = op(B)^T op(A)^T) and return that; else None."""
        buf = value.buffer
        if (self.buffer_uses.get(buf) != 1 or buf.role != "temp" or len(value.shape) != 2
                or any(buf in s.reads() for s in self.body)):
            return None
        (writer,) = [s for s in self.body if value.buffer in s.writes()] or [None]
        if not isinstance(writer, K.Gemm) or writer.batch != 1 or writer.accumulate:
            return None
        out = self.new_buffer(value.shape[::-1], value.dtype)
        self.temps.remove(writer.out)
        writer.lhs, writer.rhs = writer.rhs, writer.lhs
        writer.offsets = (writer.offsets[1], writer.offsets[0], writer.offsets[2])
        writer.trans_lhs, writer.trans_rhs = not writer.trans_rhs, not writer.trans_lhs
        writer.m, writer.n, writer.out = writer.n, writer.m, out
        return BufferValue(out)

    def emit(self, stmt, sources=()):
        """Append a statement (as the pipeline's rewrites make it), named after its kind;
        its `sources` are the source lines of the equations it computes: those inlined
        into it and the one being lowered."""
        stmt = self.pipeline.rewrite(stmt)
        stmt.name = self._name(type(stmt).__name__.lower()[0])
        stmt.sources = tuple(sorted({*sources, *self._own_source()}, key=lambda s: (s.file, s.line, s.transform)))
        self.body.append(stmt)

    # -- control flow ---------------------------------------------------------------
    @contextlib.contextmanager
    def block(self):
        """Collects the statements emitted inside into a fresh list (a loop's body, a
        branch), which it yields. What is materialised inside stays unknown outside, where
        it would hold a later iteration's state, or a branch's that did not run."""
        outer_body, outer_memo = self.body, self._materialized
        self.body, self._materialized = [], dict(outer_memo)
        try:
            yield self.body
        finally:
            self.body, self._materialized = outer_body, outer_memo

    def carries(self, values):
        """Fresh buffers holding copies of `values`: state that a loop overwrites."""
        return [self.materialize(v, dest=self.new_buffer(v.shape, v.dtype)).buffer for v in values]

    def update_carries(self, carries, values):
        """End a loop body: each carry buffer receives its new value. New values that
        read a carry are computed into buffers of their own first, so that no update
        overwrites a carry that another one still reads; only an elementwise update of a
        carry from itself (`c = c * x`) writes it in place."""
        carry_set = set(carries)
        staged = []
        for carry, v in zip(carries, values):
            if isinstance(v, BufferValue) and v.buffer in carry_set and v.buffer is not carry:
                v = self.materialize(v, dest=self.new_buffer(v.shape, v.dtype))
            elif isinstance(v, InlineValue):
                index = K.loop_index(len(v.shape))
                reads = [load for load in K.loads(v.at(index)) if load.buffer in carry_set]
                if any(load.buffer is not carry or load.index != index for load in reads):
                    v = self.materialize(v)
            staged.append(v)
        for k, (carry, v) in enumerate(zip(carries, staged)):
            others = staged[:k] + staged[k + 1:]
            if isinstance(v, InlineValue) and self._accumulate_in_place(carry, v, others):
                staged[k] = BufferValue(carry)
        self.store_all(staged, carries)

    def _accumulate_in_place(self, carry, value, others):
        """Turn the update `carry + a @ b` into one gemm accumulating into the carry
        (C += A @ B, BLAS's beta = 1), saving the product's buffer and a pass over both,
        when nothing else reads the product. The gemm moves to the end of the body, after
        every read of the old carry, so nothing after it may write what it reads. `others`
        are the values the other carries receive. Returns whether it did."""
        index = K.loop_index(len(value.shape))
        expr = value.at(index)
        if not (isinstance(expr, K.Op) and expr.op == "add" and dtypes.is_floating(expr.dtype)
                and all(isinstance(a, K.Load) and a.index == index for a in expr.args)):
            return False
        buffers = [a.buffer for a in expr.args]
        if buffers.count(carry) != 1:
            return False
        (product,) = [b for b in buffers if b is not carry]
        writers = [k for k, s in enumerate(self.body) if product in s.writes()]
        gemm = self.body[writers[0]] if len(writers) == 1 else None
        if (not isinstance(gemm, K.Gemm) or gemm.out is not product or gemm.accumulate
                or gemm.offsets[2] != K.IConst(0) or product.role != "temp"
                or product.shape != carry.shape or product.dtype != carry.dtype
                or carry in gemm.reads()
                or any(product in s.reads() or carry in s.writes() for s in self.body)
                or any(set(s.writes()) & gemm.reads() for s in self.body[writers[0] + 1:])
                or any(product in _value_reads(o) for o in others)):
            return False
        self.body.remove(gemm)
        self.body.append(gemm)
        gemm.out, gemm.accumulate = carry, True
        self.temps.remove(product)
        return True

    def store_all(self, values, dests):
        """End a block by writing each value into its dest buffer: the statement that
        computed a value writes its dest directly when that is safe (no other value
        reads its buffer), else a copy does."""
        reads = [_value_reads(v) for v in values]
        for v, dest in zip(values, dests):
            if isinstance(v, BufferValue) and (v.buffer is dest or (
                    sum(v.buffer in r for r in reads) == 1 and self.redirect(v.buffer, dest))):
                continue
            self.materialize(v, dest=dest)

    def redirect(self, temp, dest, uses=None):
        """Make the one statement of the current block that writes `temp` write `dest`
        instead, if nothing reads `temp` and nothing from that statement on reads or
        writes `dest`. Returns whether it did. `uses`, a `BlockUses` of the current
        block, saves rescanning the block when redirecting many buffers."""
        uses = uses or BlockUses()
        uses.update(self.body)
        writers = uses.writers.get(temp, [])
        if temp.role != "temp" or len(writers) != 1 or uses.readers.get(temp):
            return False
        if any(k >= writers[0] for k in uses.readers.get(dest, []) + uses.writers.get(dest, [])):
            return False
        self.body[writers[0]].rename_writes(temp, dest)
        uses.writers[dest] = sorted(uses.writers.get(dest, []) + uses.writers.pop(temp))
        self.temps.remove(temp)
        self._materialized = {e: b for e, b in self._materialized.items() if b is not temp}
        return True


class BlockUses:
    """The positions of the statements of a block that read and that write each buffer,
    indexed once and then only for statements appended since (`update`)."""

    def __init__(self):
        self.readers, self.writers, self.indexed = {}, {}, 0

    def update(self, body):
        for k in range(self.indexed, len(body)):
            for b in body[k].reads():
                self.readers.setdefault(b, []).append(k)
            for b in dict.fromkeys(body[k].writes()):
                self.writers.setdefault(b, []).append(k)
        self.indexed = len(body)


def _value_reads(value):
    """The buffers a value reads."""
    if isinstance(value, BufferValue):
        return {value.buffer}
    return {load.buffer for load in K.loads(value.at(K.loop_index(len(value.shape))))}


class LoweringError(NotImplementedError):
    pass


def lower_jaxpr(closed: ClosedJaxpr, pipeline: Pipeline = CPU) -> K.Program:
    """The kernel program computing `closed` (nested jit calls already inlined), as
    `pipeline` (a backend's: fx/ir/kernel_passes.py) fuses and rewrites it."""
    jaxpr = closed.jaxpr
    ctx = LoweringContext(pipeline)
    uses = _use_counts(jaxpr)
    inputs = [K.Buffer(f"in{i}", v.aval.shape, v.aval.dtype, "input") for i, v in enumerate(jaxpr.invars)]
    results = lower_eqns(ctx, closed, [BufferValue(b) for b in inputs], uses)
    for i, (value, var) in enumerate(zip(results, jaxpr.outvars)):
        if (tuple(value.shape), value.dtype) != (var.aval.shape, var.aval.dtype):
            raise AssertionError(f"lowering bug: output {i} is {value.dtype}{list(value.shape)}, "
                                 f"the jaxpr says {var.aval.str_short()}")
    outputs = _output_buffers(ctx, results)
    program = K.Program(inputs, outputs, ctx.consts, ctx.temps, ctx.body,
                        excess_precision=config.allow_excess_precision,
                        check_nans=config.debug_nans, check_infs=config.debug_infs)
    pipeline.run(program)
    K.verify_bounds(program)
    plan_buffers(program)
    return program


def lower_eqns(ctx, closed: ClosedJaxpr, args, uses=None):
    """Lower a jaxpr's equations given values for its inputs; returns its output values.
    (Primitives holding jaxprs, like custom_jvp_call, lower their body with this.)"""
    jaxpr = closed.jaxpr
    uses = uses or _use_counts(jaxpr)
    env = dict(zip(jaxpr.invars, args))
    env.update((v, ctx.constant(np.asarray(c))) for v, c in zip(jaxpr.constvars, closed.consts))

    def read(v):
        return ctx.constant(v.val) if type(v) is Literal else env[v]

    outer_source = ctx.source
    for eqn in jaxpr.eqns:
        rule = getattr(eqn.prim, "lower", None)
        if rule is None:
            where = f" (from {eqn.source_info})" if eqn.source_info is not None else ""
            raise LoweringError(f"primitive '{eqn.prim.name}' has no lowering to the kernel program{where}")
        ctx.out_avals = [v.aval for v in eqn.outvars]
        ctx.source, ctx.prim = eqn.source_info or outer_source, eqn.prim.name
        previous_origin = K.set_origin(ctx.origin())
        try:
            out = rule(ctx, *map(read, eqn.invars), **eqn.params)
        except (LoweringError, TypeError, ValueError, NotImplementedError) as e:
            if ctx.source is not None and not getattr(e, "_fx_source_noted", False):
                e.add_note(f"(while compiling {eqn.prim.name}, from {ctx.source})")
                e._fx_source_noted = True  # the innermost equation's line only
            raise
        finally:
            K.set_origin(previous_origin)
        outs = out if eqn.prim.multiple_results else [out]
        for v, value in zip(eqn.outvars, outs):
            if isinstance(value, InlineValue) and (ctx.oversized(value) or (
                    uses.get(v, 0) > 1 and (value.cost or value.nodes > ctx.cost.max_inline_nodes))):
                value = ctx.materialize(value)
            if isinstance(value, BufferValue):  # one buffer may back several variables
                ctx.buffer_uses[value.buffer] = ctx.buffer_uses.get(value.buffer, 0) + uses.get(v, 0)
            env[v] = value
    ctx.source = outer_source
    return [read(v) for v in jaxpr.outvars]


def _output_buffers(ctx, results):
    """Fresh output buffers. Outputs computed inline are materialised first, so that every
    read of a temporary is emitted before the statement writing a temporary is renamed to
    write an output instead; a temporary returned twice is written once and copied."""
    outs = [K.Buffer(f"out{i}", r.shape, r.dtype, "output") for i, r in enumerate(results)]
    temps = [isinstance(r, BufferValue) and r.buffer.role == "temp" for r in results]
    for out, r, is_temp in zip(outs, results, temps):
        if not is_temp:
            ctx.materialize(r, dest=out)
    renamed, uses = {}, BlockUses()
    for out, r, is_temp in zip(outs, results, temps):
        if not is_temp:
            continue
        if r.buffer in renamed:
            ctx.materialize(BufferValue(renamed[r.buffer]), dest=out)
        elif ctx.redirect(r.buffer, out, uses):
            renamed[r.buffer] = out
        else:
            ctx.materialize(r, dest=out)
    return outs


def _use_counts(jaxpr):
    uses = {}
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            if type(v) is not Literal:
                uses[v] = uses.get(v, 0) + 1
    for v in jaxpr.outvars:
        if type(v) is not Literal:
            uses[v] = uses.get(v, 0) + 1
    return uses


def plan_buffers(program: K.Program):
    """Assign temporaries to storage slots, reusing a slot once its buffer is dead.

    A slot is reused by a later temporary of at most its size; liveness is by statement
    position (a buffer is live from its first write to its last read). A loop or branch
    is one position, reading and writing every buffer of its blocks: the temporaries of
    a loop body live through the whole loop, so no iteration finds a carry, or anything
    it reads, overwritten by another buffer sharing its slot.
    """
    last_use = {}
    for pos, stmt in enumerate(program.body):
        for b in stmt.reads():
            last_use[b] = pos
    free, slot_sizes = _FreeSlots(), []
    dying = {}  # position -> the buffers whose slots free up after it, in assignment order
    for pos, stmt in enumerate(program.body):
        for b in stmt.writes():
            if b.role != "temp" or b.slot is not None:
                continue
            nbytes = b.nbytes
            b.slot = free.take(nbytes)
            if b.slot is None:
                b.slot = len(slot_sizes)
                slot_sizes.append(nbytes)
            dying.setdefault(max(pos, last_use.get(b, pos)), []).append(b)
        for b in dying.pop(pos, ()):
            free.give(b.slot, slot_sizes[b.slot])
    program.slot_sizes = slot_sizes


class _FreeSlots:
    """Free storage slots by size: `take(n)` removes and returns the smallest slot of at
    least n bytes, the one freed first among equals (None if there is none), in time
    logarithmic in the number of distinct sizes."""

    def __init__(self):
        self.sizes, self.slots = [], {}  # sorted distinct sizes; size -> deque of slots

    def take(self, nbytes):
        k = bisect.bisect_left(self.sizes, nbytes)
        if k == len(self.sizes):
            return None
        size = self.sizes[k]
        slots = self.slots[size]
        slot = slots.popleft()
        if not slots:
            del self.slots[size], self.sizes[k]
        return slot

    def give(self, slot, size):
        if size not in self.slots:
            bisect.insort(self.sizes, size)
            self.slots[size] = collections.deque()
        self.slots[size].append(slot)
