"""From a kernel program to a native entry point: module building, optimisation, JIT.

`build_modules` lays out the entry function (pointer arguments, storage slots, one call
per statement, loops and branches as control flow around the calls of their bodies);
`statement_function` emits each statement's loop nest. `Engine` owns
llvmlite's MCJIT engine for the host CPU; it optimises (the new pass manager, with loop
and SLP vectorisation) and compiles a program's modules on parallel threads (past a
number of modules, in compile workers: compile_worker.py).
"""
from __future__ import annotations

import atexit
import ctypes
import functools
import hashlib
import itertools
import os
import re
import struct
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from fx.backends.llvm import codegen as cg
from fx.backends.llvm import compile_worker, interrupt, lapack, objcheck, sort
from fx.ir import kernels as K

SLOT_ALIGN = 64


def slot_offsets(program: K.Program):
    """(offset of each storage slot in the workspace, workspace bytes), 64-byte aligned."""
    offsets, total = [], 0
    for size in program.slot_sizes:
        offsets.append(total)
        total += -(-max(size, 1) // SLOT_ALIGN) * SLOT_ALIGN
    return offsets, total


def build_modules(program: K.Program, prefix: str, groups: int = 1):
    """([module, ...], entry name): entry(in..., out..., workspace) runs the whole program.

    The first module holds the entry point and the constants; the statements' functions
    are spread over `groups` more modules of about equal size, which LLVM can then
    optimise and compile on as many threads (the entry calls them by name).

    Temporaries live in the caller's workspace (see `slot_offsets`), which the caller
    keeps across calls: fresh memory for large temporaries would page-fault on every
    call, and that can cost more than the computation.

    With a known NumPy array layout, the entry module also gets `<entry>_objects`, which
    takes the ndarray objects themselves and reads their data pointers natively:
    extracting addresses in Python (`__array_interface__`) would cost more than the call.
    A program with more arguments than ctypes can pass gets `<entry>_packed` instead,
    taking one array of the pointers (see `entry_kind`). A program of more than
    `SEGMENT_STATEMENTS` statements runs them in functions of that many each, which
    `<entry>_packed` calls in turn (`<entry>` passes them its arguments in an array)."""
    module = ir.Module(prefix + "program")
    parts = [ir.Module(f"{prefix}part{k}") for k in range(max(groups, 1))]
    budget = [cg.MAX_INLINE_TRANSCENDENTALS]
    for m in [module, *parts]:
        m.inline_transcendentals = budget  # shared by the program's modules
    params = program.inputs + program.outputs
    n_args = len(params) + 1
    body = _EntryBody(module, parts, prefix, None)
    constants = {buf: _global_constant(module, prefix, buf) for buf in program.consts}
    slots = slot_offsets(program)[0]
    offsets = {buf: slots[buf.slot] for buf in program.temps}
    segments = [program.body[k:k + SEGMENT_STATEMENTS]
                for k in range(0, len(program.body), SEGMENT_STATEMENTS)]
    entry_name = prefix + "entry"
    if len(segments) > 1:
        packed = _segmented_entry(module, entry_name + "_packed", body, params, segments,
                                  constants, offsets)
    if entry_kind(n_args) != "packed" or len(segments) <= 1:
        entry = ir.Function(module, ir.FunctionType(
            cg.VOID, [_ptr(b) for b in params] + [ir.PointerType(cg.I8)]), entry_name)
        for a in entry.args:
            a.add_attribute("noalias")
        b = ir.IRBuilder(entry.append_basic_block("entry"))
        if len(segments) > 1:
            array = b.alloca(ir.PointerType(cg.I8), n_args)
            for k, a in enumerate(entry.args):
                b.store(b.bitcast(a, ir.PointerType(cg.I8)), b.gep(array, [ir.Constant(cg.I64, k)]))
            b.call(packed, [array])
        else:
            _segment(body, b, dict(zip(params, entry.args)), entry.args[-1], program.body,
                     constants, offsets)
        b.ret_void()
        if entry_kind(n_args) == "packed":
            _packed_entry(module, entry)
        elif ndarray_data_offset() is not None:
            _objects_entry(module, entry)
    return [module] + [part for part, size in zip(parts, body.part_sizes) if size], entry_name


# Top-level statements per function of the entry: LLVM's instruction selection, register
# allocation and scheduling grow faster than linearly in the size of one function
# (4,000 statement calls in one: 7.5 s; 2,000: 0.8 s), so a long program's entry calls
# a sequence of functions of at most this many statements each.
SEGMENT_STATEMENTS = 256


def _segmented_entry(module, name, body, params, segments, constants, offsets):
    """name(args): runs each segment of statements in a function of its own, passing
    the array of the entry's pointers (inputs, outputs, workspace) on."""
    i8p = ir.PointerType(cg.I8)
    packed = ir.Function(module, ir.FunctionType(cg.VOID, [ir.PointerType(i8p)]), name)
    b = ir.IRBuilder(packed.append_basic_block("entry"))
    for k, stmts in enumerate(segments):
        fn = ir.Function(module, packed.function_type, f"{name}_seg{k}")
        fn.linkage = "internal"
        fn.attributes.add("noinline")
        sb = ir.IRBuilder(fn.append_basic_block("entry"))

        def arg(i, t):
            return sb.bitcast(sb.load(sb.gep(fn.args[0], [ir.Constant(cg.I64, i)])), t)
        used = _buffers_used(stmts)
        pointers = {buf: arg(i, _ptr(buf)) for i, buf in enumerate(params) if buf in used}
        _segment(body, sb, pointers, arg(len(params), i8p), stmts, constants, offsets)
        sb.ret_void()
        b.call(fn, packed.args)
    b.ret_void()
    return packed


def _buffers_used(stmts):
    return set().union(*(set(s.reads()) | set(s.writes()) for s in stmts))


def _segment(body, b, pointers, workspace, stmts, constants, offsets):
    """Emit `stmts` at `b`: the addresses of the constants (globals) and temporaries
    (workspace offsets) they use, in program order (the program's inputs and outputs
    are in `pointers`), then the statements."""
    body.pointers = pointers
    used = _buffers_used(stmts)
    for buf, g in constants.items():
        if buf in used:
            pointers[buf] = b.bitcast(g, _ptr(buf))
    for buf, offset in offsets.items():
        if buf in used:
            slot = b.gep(workspace, [ir.Constant(cg.I64, offset)], inbounds=True)
            pointers[buf] = b.bitcast(slot, _ptr(buf))
    body.block(b, stmts)


class _EntryBody:
    """Emits the statements into the entry function: a call per statement (its function
    goes to the smallest part module), loops and branches as native control flow around
    the calls of their blocks. Statements that differ only in their buffers share one
    function (see `_function_key`)."""

    def __init__(self, module, parts, prefix, pointers):
        self.module, self.parts, self.prefix, self.pointers = module, parts, prefix, pointers
        self.part_sizes = [0] * len(parts)
        self.functions = {}  # _function_key -> the function, declared in the entry module

    def block(self, b, stmts):
        for stmt in stmts:
            if isinstance(stmt, K.Loop):
                self.loop(b, stmt)
            elif isinstance(stmt, K.Branch):
                self.branch(b, stmt)
            else:
                self.call(b, stmt)

    def call(self, b, stmt):
        buffers = _stmt_buffers(stmt)
        key = _function_key(stmt, buffers)
        fn = self.functions.get(key)
        if fn is None:
            k = self.part_sizes.index(min(self.part_sizes))
            fn = statement_function(self.parts[k], self.prefix, stmt, buffers)
            self.part_sizes[k] += sum(len(block.instructions) for block in fn.blocks) + 1
            fn = self.functions[key] = ir.Function(self.module, fn.function_type, fn.name)  # called by name
        args = [self.pointers[buf] for buf in buffers]
        grain, outer = _parallel_grain(stmt), _outer_loop(stmt)
        if grain is None:
            b.call(fn, args + ([ir.Constant(cg.I64, 0), ir.Constant(cg.I64, outer[0])] if outer else []))
        else:
            _call_parallel(b, self.module, fn, args, outer[0], grain)

    def loop(self, b, loop: K.Loop):
        """it = 0; head: [it < length,] [counter = it,] cond, [pred,] body, it += 1."""
        i64 = lambda v: ir.Constant(cg.I64, v)  # noqa: E731
        pre, head = b.block, b.append_basic_block(f"{loop.name}_head")
        after = b.append_basic_block(f"{loop.name}_after")
        b.branch(head)
        b.position_at_end(head)
        it = b.phi(cg.I64, "it")
        it.add_incoming(i64(0), pre)
        if loop.length is not None:
            _continue_if(b, b.icmp_signed("<", it, i64(loop.length)), after)
        self.return_if_interrupted(b)
        if loop.counter is not None:
            b.store(b.sub(i64(loop.length - 1), it) if loop.reverse else it,
                    self.pointers[loop.counter])
        self.block(b, loop.cond)
        if loop.pred is not None:
            flag = b.load(self.pointers[loop.pred])
            _continue_if(b, b.icmp_unsigned("!=", flag, ir.Constant(flag.type, 0)), after)
        self.block(b, loop.body)
        it.add_incoming(b.add(it, i64(1)), b.block)
        b.branch(head)
        b.position_at_end(after)

    def return_if_interrupted(self, b):
        """Leave the entry point when a SIGINT asks the loop to stop (interrupt.py): a
        relaxed load and a branch predicted not taken per iteration."""
        flag, interrupted = interrupt.declare(self.module)
        check, stop, go_on = (b.append_basic_block(n) for n in ("sigint", "stop", "go_on"))
        raised = b.load_atomic(flag, "monotonic", 4)
        b.cbranch(b.icmp_unsigned("!=", raised, ir.Constant(raised.type, 0)), check,
                  go_on).set_weights([1, 1 << 20])
        b.position_at_end(check)
        b.cbranch(b.icmp_unsigned("!=", b.call(interrupted, []), ir.Constant(cg.I32, 0)), stop, go_on)
        b.position_at_end(stop)
        b.ret_void()
        b.position_at_end(go_on)

    def branch(self, b, branch: K.Branch):
        """A switch on the index: below 0 runs case 0, above the last case the last."""
        index = b.load(self.pointers[branch.index])
        zero = ir.Constant(index.type, 0)
        index = b.select(b.icmp_signed("<", index, zero), zero, index)
        cases = [b.append_basic_block(f"{branch.name}_case{k}") for k in range(len(branch.bodies))]
        after = b.append_basic_block(f"{branch.name}_after")
        switch = b.switch(index, cases[-1])
        for k, case in enumerate(cases[:-1]):
            switch.add_case(ir.Constant(index.type, k), case)
        for case, body in zip(cases, branch.bodies):
            b.position_at_end(case)
            self.block(b, body)
            b.branch(after)
        b.position_at_end(after)


def _function_key(stmt, buffers):
    """What a statement's function depends on: the statement's text with its name and its
    buffers' names replaced by their positions among the function's arguments, and those
    buffers' types. (The text is complete: the disk cache keys object code by it.) A long
    elementwise chain split into kernels, or a layer applied many times, then costs LLVM
    one function, not one per statement."""
    names = {b.name: f"%{k}" for k, b in enumerate(buffers)}
    names[stmt.name] = "%s"
    text = re.sub(r"\w+", lambda m: names.get(m.group(0), m.group(0)), K.pp_stmt(stmt))
    return text, tuple((tuple(b.shape), np.dtype(b.dtype)) for b in buffers)


def _continue_if(b, flag, exit_block):
    """Go on in a fresh block when `flag` holds, else jump to `exit_block`."""
    go = b.append_basic_block("go")
    b.cbranch(flag, go, exit_block)
    b.position_at_end(go)


# ctypes passes at most 1024 arguments; beyond this many (a gradient's forward pass
# can return thousands of residuals) the entry takes one array of the pointers.
MAX_DIRECT_ARGS = 1000


def entry_kind(n_args):
    """Which entry point Python calls: "packed" (one array of the n_args pointers),
    "objects" (the ndarray objects) or "" (the pointers)."""
    if n_args > MAX_DIRECT_ARGS:
        return "packed"
    return "objects" if ndarray_data_offset() is not None else ""


def _packed_entry(module, entry):
    i8p = ir.PointerType(cg.I8)
    fn = ir.Function(module, ir.FunctionType(cg.VOID, [ir.PointerType(i8p)]), entry.name + "_packed")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    b.call(entry, [b.bitcast(b.load(b.gep(fn.args[0], [ir.Constant(cg.I64, k)])), arg.type)
                   for k, arg in enumerate(entry.args)])
    b.ret_void()


def _objects_entry(module, entry):
    fn = ir.Function(module, ir.FunctionType(cg.VOID, [ir.PointerType(cg.I8)] * len(entry.args)),
                     entry.name + "_objects")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    data = [b.bitcast(b.load(b.bitcast(b.gep(obj, [ir.Constant(cg.I64, ndarray_data_offset())]),
                                       ir.PointerType(ir.PointerType(cg.I8)))), arg.type)
            for obj, arg in zip(fn.args, entry.args)]
    b.call(entry, data)
    b.ret_void()


@functools.cache
def ndarray_data_offset():
    """Where a NumPy array object stores its data pointer (PyArrayObject.data), verified on
    probe arrays; None if the layout is not the expected one (then addresses go through
    __array_interface__)."""
    probes = [np.arange(3.0), np.zeros((2, 5), np.int32)[1:]]
    for offset in (16, 24, 32):
        if all(ctypes.c_void_p.from_address(id(p) + offset).value == p.__array_interface__["data"][0]
               for p in probes):
            return offset
    return None


def _ptr(buf):
    return ir.PointerType(cg.storage_type(buf.dtype))


def _global_constant(module, prefix, buf):
    data = np.ascontiguousarray(buf.value, dtype=buf.dtype)
    if data.dtype == np.bool_:
        data = data.astype(np.uint8)
    array_type = ir.ArrayType(cg.I8, max(data.nbytes, 1))
    g = ir.GlobalVariable(module, array_type, prefix + buf.name)
    g.initializer = ir.Constant(array_type, bytearray(data.tobytes() or b"\0"))
    g.global_constant = True
    g.align = 64
    return g


# Work (element operations) below which a kernel stays on the calling thread, and the
# least work worth a chunk of its own: a parallel launch costs a few microseconds.
PARALLEL_MIN_WORK = 1 << 16
CHUNK_MIN_WORK = 1 << 14


def _outer_loop(stmt):
    """(extent, work per iteration) of the loop that a statement's function takes as a
    [start, end) range, so that parallel_for can split it; None if it runs whole."""
    if isinstance(stmt, K.Kernel) and stmt.shape:
        return stmt.shape[0], (int(np.prod(stmt.shape[1:], dtype=np.int64))
                               * int(np.prod(stmt.reduce_shape, dtype=np.int64)))
    if isinstance(stmt, K.Sort):  # lines, each n log n comparisons
        return stmt.lines, stmt.n * max(stmt.n.bit_length(), 1)
    return None


def _parallel_grain(stmt):
    """The grain (outer iterations per chunk) to run a statement with, or None for serial."""
    outer = _outer_loop(stmt)
    if outer is None or outer[0] < 2:
        return None
    rows, per_row = outer
    if per_row * rows < PARALLEL_MIN_WORK:
        return None
    return max(1, -(-CHUNK_MIN_WORK // max(per_row, 1)))


def _call_parallel(b, module, fn, args, n, grain):
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
    ctx = _entry_alloca(b, ir.ArrayType(i8p, max(len(args), 1)))
    for i, a in enumerate(args):
        b.store(b.bitcast(a, i8p), b.gep(ctx, [ir.Constant(cg.I32, 0), ir.Constant(cg.I32, i)]))
    b.call(runtime.declare_parallel_for(module),
           [task, b.bitcast(ctx, i8p), ir.Constant(cg.I64, n), ir.Constant(cg.I64, grain)])


def _stmt_buffers(stmt):
    """The distinct buffers a statement touches, writes first (stable order)."""
    seen = list(stmt.writes())
    seen += sorted((b for b in stmt.reads() if b not in seen), key=lambda b: b.name)
    return seen


# ---------------------------------------------------------------------------- statements

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
        return stmt.lines * _outer_loop(stmt)[1]
    if isinstance(stmt, K.Linalg):  # the work is LAPACK's; fx's own code loops over the batch
        return stmt.batch
    return stmt.out.size


def statement_function(module, prefix, stmt, buffers):
    """The statement as a function of its buffers; a kernel also takes the [start, end)
    range of its outermost loop, so that parallel_for can hand out chunks."""
    ranged = _outer_loop(stmt) is not None
    params = [_ptr(b) for b in buffers] + [cg.I64, cg.I64] * ranged
    fn = ir.Function(module, ir.FunctionType(cg.VOID, params), f"{prefix}{stmt.name}")
    for arg in fn.args[:len(buffers)]:
        arg.add_attribute("noalias")
    if _work(stmt) < SMALL_STATEMENT_WORK:  # vectorising a tiny loop costs compile time, saves nothing
        fn.attributes.add("optsize")
        fn.attributes.add("minsize")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    pointers = dict(zip(buffers, fn.args))
    if isinstance(stmt, K.Sort):
        sort.emit_sort(b, module, pointers, stmt, fn.args[-2], fn.args[-1], _entry_alloca)
    elif ranged:
        _emit_kernel(b, module, pointers, stmt, outer=(fn.args[-2], fn.args[-1]))
    else:
        emit = {K.Kernel: _emit_kernel, K.Gemm: _emit_gemm, K.Scatter: _emit_scatter,
                K.Cumulative: _emit_cumulative, K.Linalg: lapack.emit_linalg}[type(stmt)]
        emit(b, module, pointers, stmt)
    b.ret_void()
    return fn


def _emitter(b, module, pointers, loop_vars):
    return cg.ExprEmitter(b, module, pointers, loop_vars)


def _emit_kernel(b, module, pointers, k: K.Kernel, outer=None):
    loops = cg.Loops(b)
    if k.reducer:
        acc = _entry_alloca(b, cg.value_type(k.outputs[0][1].dtype))
        best_index = _entry_alloca(b, cg.I64)

    def body(b, ivars):
        if k.reducer:
            return _emit_reduction(b, module, pointers, k, ivars, loops, acc, best_index)
        em = _emitter(b, module, pointers, ivars)
        at = _loop_index(len(ivars)) if k.store_index is None else k.store_index
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
    (lo0, hi0), (lo1, hi1) = [(_i64(lo), _i64(hi)) for lo, hi in bounds]

    def tiles(b, tvars):
        ranges = [_piece(b, lo0, hi0, TILE, tvars[0]), _piece(b, lo1, hi1, TILE, tvars[1])]
        loops.nest(ranges, body)
    loops.nest([(0, _piece_count(b, lo0, hi0, TILE)), (0, _piece_count(b, lo1, hi1, TILE))], tiles)


def _i64(v):
    """An i64 value: v itself if it is one already, else the constant v."""
    return v if isinstance(v, ir.Value) else ir.Constant(cg.I64, v)


def _piece_count(b, lo, hi, size):
    """How many pieces of `size` cover [lo, hi)."""
    return b.sdiv(b.add(b.sub(hi, lo), _i64(size - 1)), _i64(size))


def _piece(b, lo, hi, size, t):
    """The t-th piece of `size` of [lo, hi): (start, end), the last one shorter."""
    start = b.add(lo, b.mul(t, _i64(size)))
    end = b.add(start, _i64(size))
    return start, b.select(b.icmp_signed("<", end, hi), end, hi)


def _in_pieces(b, loops, lo, hi, size, body):
    """body(b, start, end) for each piece of `size` of [lo, hi) in turn."""
    lo, hi = _i64(lo), _i64(hi)
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
    if _blocked(k):
        return _emit_blocked_reduction_outside(b, module, pointers, k, bounds, loops)
    (buf, expr), = k.outputs
    dtype = np.dtype(expr.dtype)
    index = _loop_index(len(k.shape))

    def line(b, outer_vars):
        loops.nest([bounds[-1]], lambda b, j: _emitter(b, module, pointers, outer_vars + j).store(
            buf, index, cg.reduce_init(k.reducer, dtype)))

        def update(b, j, rvars):
            em = _emitter(b, module, pointers, outer_vars + j + rvars)
            current = em.expr(K.Load(dtype, buf, index))
            em.store(buf, index, cg.combine(em, k.reducer, current, _term(em, k), dtype))
        loops.nest([(0, n) for n in k.reduce_shape],
                   lambda b, rvars: loops.nest([bounds[-1]], lambda b, j: update(b, j, rvars)))
    loops.nest(bounds[:-1], line)


def _entry_alloca(b, t):
    """A stack slot in the function's entry block (mem2reg turns it into registers)."""
    here = b.block
    b.position_at_start(b.function.entry_basic_block)
    slot = b.alloca(t)
    b.position_at_end(here)
    return slot


def _emit_reduction(b, module, pointers, k, out_vars, loops, acc, best_index):
    if _blocked(k):
        return _emit_blocked_reduction(b, module, pointers, k, out_vars, loops)
    (buf, expr), = k.outputs
    dtype = np.dtype(expr.dtype)
    arg = k.reducer in ("argmax", "argmin")
    b.store(cg.reduce_init(k.reducer, dtype), acc)
    b.store(ir.Constant(cg.I64, 0), best_index)
    strides = _row_major(k.reduce_shape)

    def body(b, rvars):
        em = _emitter(b, module, pointers, list(out_vars) + rvars)
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
    em = _emitter(b, module, pointers, list(out_vars))
    result = b.load(best_index) if arg else b.load(acc)
    if arg:
        result = cg.convert(b, result, np.dtype(np.int64), buf.dtype)
    em.store(buf, _loop_index(len(out_vars)), result)


# ---------------------------------------------------------------------------- blocked sums

# Float sums of more terms than this are computed in blocks: each block by the plain
# vectorised loop, the blocks' results then pairwise (`_Cascade`). In one running
# accumulator, rounding error grows with the number of terms (float32 ones stop counting
# at 2**24 in each vector lane); in blocks, with log2 of the number of blocks, for a few
# instructions per block. Reductions of at most a block run as before.
REDUCE_BLOCK = 512
# Outputs a blocked column-wise reduction (`_reduce_outside`) computes at once, so that its
# block and cascade rows, on the stack, take at most BLOCK_TILE_BYTES. Shorter tiles read
# the rows in shorter pieces, which costs: summing 1100 x 4096 float32 over axis 0 in
# tiles of 1024 takes 15% longer than in one of 4096 (8% for 2048).
BLOCK_TILE = 4096
BLOCK_TILE_BYTES = 256 * 1024


def _blocked(k: K.Kernel) -> bool:
    """Whether a reduction combines its terms in blocks: float sums longer than a block.
    Max and min are exact in any order and integer sums associative; a product's relative
    error is the sum of those of its n - 1 multiplications in any order, so pairwise
    products would be no more accurate."""
    return (k.reducer == "add" and np.dtype(k.outputs[0][1].dtype).kind == "f"
            and int(np.prod(k.reduce_shape, dtype=np.int64)) > REDUCE_BLOCK)


def _block_split(shape):
    """(d, step, blocks): a block is `step` iterations of reduction loop d, each running the
    loops inside d in full, about REDUCE_BLOCK terms; an output combines `blocks` blocks."""
    inner = 1
    for d in reversed(range(len(shape))):
        if inner * shape[d] > REDUCE_BLOCK:
            step = max(1, REDUCE_BLOCK // inner)
            return d, step, int(np.prod(shape[:d], dtype=np.int64)) * -(-shape[d] // step)
        inner *= shape[d]
    raise ValueError(f"a reduction over {shape} fits in one block of {REDUCE_BLOCK}")


def _in_blocks(b, loops, shape, start_block, add_term, end_block):
    """The reduction loops over `shape`, cut into `_block_split`'s blocks: each block runs
    start_block(b), add_term(b, rvars) for each of its terms, end_block(b)."""
    d, step, _ = _block_split(shape)

    def block(b, outer, lo, hi):
        start_block(b)
        loops.nest([(lo, hi)] + [(0, n) for n in shape[d + 1:]],
                   lambda b, inner: add_term(b, outer + inner))
        end_block(b)
    loops.nest([(0, n) for n in shape[:d]],
               lambda b, outer: _in_pieces(b, loops, 0, shape[d], step,
                                           lambda b, lo, hi: block(b, outer, lo, hi)))


class _Cascade:
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
        self.levels = _entry_alloca(b, ir.ArrayType(ir.ArrayType(t, width), blocks.bit_length()))
        self.block = _entry_alloca(b, ir.ArrayType(t, width))
        self.pushed = _entry_alloca(b, cg.I64)
        self.active = _i64(width)

    def start(self, b, active=None):
        """Begin new reductions: `active` of them (an i64 value), or all `width`."""
        self.active = self.active if active is None else active
        b.store(_i64(0), self.pushed)

    def slot(self, b, j):
        """Where the current block's result for reduction j accumulates."""
        return b.gep(self.block, [_i64(0), j], inbounds=True)

    def clear(self, b):
        """Start a block."""
        self._each(b, lambda b, j: b.store(self.zero, self.slot(b, j)))

    def push(self, b):
        """End a block: carry its results into the levels."""
        count = b.add(b.load(self.pushed), _i64(1))
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
                v = b.load(self._at(b, _i64(level), j))
                total = v if total is None else b.fadd(total, v)
        return total

    def _at(self, b, level, j):
        return b.gep(self.levels, [_i64(0), level, j], inbounds=True)

    def _each(self, b, fn):
        if isinstance(self.active, ir.Constant) and self.active.constant == 1:
            fn(b, _i64(0))  # one reduction: constant indices, so its rows become registers
        else:
            self.loops.nest([(0, self.active)], lambda b, j: fn(b, j[0]))


def _emit_blocked_reduction(b, module, pointers, k, out_vars, loops):
    """One output's reduction in blocks, combined by a `_Cascade`."""
    (buf, expr), = k.outputs
    dtype = np.dtype(expr.dtype)
    cascade = _Cascade(b, loops, dtype, _block_split(k.reduce_shape)[2], 1)
    slot = cascade.slot(b, _i64(0))

    def add_term(b, rvars):
        em = _emitter(b, module, pointers, list(out_vars) + rvars)
        b.store(cg.combine(em, k.reducer, b.load(slot), _term(em, k), dtype), slot)
    cascade.start(b)
    _in_blocks(b, loops, k.reduce_shape, cascade.clear, add_term, cascade.push)
    em = _emitter(b, module, pointers, list(out_vars))
    em.store(buf, _loop_index(len(out_vars)), cascade.result(b, _i64(0)))


def _emit_blocked_reduction_outside(b, module, pointers, k, bounds, loops):
    """`_emit_reduction_outside` in blocks: the line of outputs in tiles (see BLOCK_TILE),
    each tile's reductions in blocks, combined by a `_Cascade` of the tile's width."""
    (buf, expr), = k.outputs
    dtype = np.dtype(expr.dtype)
    index = _loop_index(len(k.shape))
    blocks = _block_split(k.reduce_shape)[2]
    rows = blocks.bit_length() + 1  # the levels and the block
    width = min(BLOCK_TILE, k.shape[-1], max(1, BLOCK_TILE_BYTES // (rows * dtype.itemsize)))
    cascade = _Cascade(b, loops, dtype, blocks, width)

    def tile(b, outer_vars, lo, hi):
        def update(b, j, rvars):
            em = _emitter(b, module, pointers, outer_vars + j + rvars)
            slot = cascade.slot(b, b.sub(j[0], lo))
            b.store(cg.combine(em, k.reducer, b.load(slot), _term(em, k), dtype), slot)

        def store(b, j):
            em = _emitter(b, module, pointers, outer_vars + j)
            em.store(buf, index, cascade.result(b, b.sub(j[0], lo)))
        cascade.start(b, b.sub(hi, lo))
        _in_blocks(b, loops, k.reduce_shape, cascade.clear,
                   lambda b, rvars: loops.nest([(lo, hi)], lambda b, j: update(b, j, rvars)),
                   cascade.push)
        loops.nest([(lo, hi)], store)
    lo, hi = bounds[-1]
    loops.nest(bounds[:-1], lambda b, outer_vars: _in_pieces(
        b, loops, lo, hi, width, lambda b, tlo, thi: tile(b, outer_vars, tlo, thi)))


def _term(em, k):
    """A reduction's term at the emitter's loop point, stored to the side outputs too."""
    x = em.expr(k.outputs[0][1])
    for buf, index in k.side_outputs:
        em.store(buf, index, x)
    return x


def _loop_index(n):
    return tuple(K.IVar(k) for k in range(n))


def _row_major(shape):
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= n
    return strides[::-1]


def _emit_scatter(b, module, pointers, s: K.Scatter):
    loops = cg.Loops(b)

    def copy(b, ivars):
        em = _emitter(b, module, pointers, ivars)
        em.store(s.out, _loop_index(len(ivars)), em.expr(s.operand))
    loops.nest([(0, n) for n in s.out.shape], copy)

    def update(b, uvars):
        em = _emitter(b, module, pointers, uvars)
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


def _emit_cumulative(b, module, pointers, c: K.Cumulative):
    """A sequential loop along the axis, innermost, carrying the running value; a float
    cumulative sum in blocks of SCAN_BLOCK, each element the total of the blocks before
    plus its running value within its block."""
    loops = cg.Loops(b)
    dtype = np.dtype(c.expr.dtype)
    acc = _entry_alloca(b, cg.value_type(dtype))
    n = c.out.shape[c.axis]
    others = [(0, m) for d, m in enumerate(c.out.shape) if d != c.axis]
    blocked = c.reducer == "add" and dtype.kind == "f" and n > SCAN_BLOCK
    before = _CompensatedSum(b, module, dtype) if blocked else None

    def run(b, outer, lo, hi, offset=None):
        """The running value from `acc` over positions [lo, hi), stored plus `offset`."""
        def step(b, jv):
            j = b.sub(ir.Constant(cg.I64, n - 1), jv[0]) if c.reverse else jv[0]
            ivars = list(outer)
            ivars.insert(c.axis, j)
            em = _emitter(b, module, pointers, ivars)
            value = cg.combine(em, c.reducer, b.load(acc), em.expr(c.expr), dtype, exact=True)
            b.store(value, acc)
            em.store(c.out, _loop_index(len(ivars)), value if offset is None else b.fadd(offset, value))
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
        _in_pieces(b, loops, 0, n, SCAN_BLOCK, lambda b, lo, hi: block(b, outer, lo, hi))
    loops.nest(others, line)


class _CompensatedSum:
    """A float running sum that keeps the rounding error of each addition in a second term
    (Neumaier's variant of Kahan summation): its error stays about one rounding however
    many values it adds. An addition that overflows, or meets an infinity or NaN, adds no
    error term (it would be NaN), so infinities and NaN come out as in a plain sum."""

    def __init__(self, b, module, dtype):
        self.em = _emitter(b, module, {}, [])
        self.dtype = dtype
        self.sum = _entry_alloca(b, cg.value_type(dtype))
        self.error = _entry_alloca(b, cg.value_type(dtype))

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


_CBLAS_ROW_MAJOR, _CBLAS_NO_TRANS, _CBLAS_TRANS = 101, 111, 112
# Below this many flops our own vectorised loops are as good as a BLAS call.
SMALL_GEMM_FLOPS = 1 << 20
# fx runs OpenBLAS single-threaded and splits big products into blocks on its own pool:
# one pool, so no two sets of threads spin against each other, and small products never
# wake a thread. A block gets at least this many flops.
GEMM_BLOCK_FLOPS = 1 << 22


def _gemm_pointers(b, module, pointers, g: K.Gemm):
    """Where lhs, rhs and out start: their buffers, each `g.offsets` elements in."""
    em = _emitter(b, module, pointers, [])
    return [b.gep(pointers[buf], [em.idx(offset)], inbounds=True)
            for buf, offset in zip((g.lhs, g.rhs, g.out), g.offsets)]


def _emit_gemm(b, module, pointers, g: K.Gemm):
    """C = op(A) @ op(B) (C += with g.accumulate): CBLAS calls per batch element when a
    BLAS is present, the product is not tiny and its sizes fit BLAS's 32-bit interface;
    else our own loops.

    A big product is split across threads into blocks of C's rows or of its columns. Each
    BLAS call packs the whole of the operand it does not split, so fx splits the dimension
    that makes the repacked operand the smaller one: the rows when m >= n (B, k x n, is
    repacked per block), the columns otherwise (A, m x k, is). For an MLP's (batch 256) x
    (1024 x 1024) product the column split packs 4x less and runs ~1.5x faster."""
    from fx.backends.llvm import runtime
    if g.m == g.n == 1 and np.dtype(g.out.dtype).kind == "f" and g.k > REDUCE_BLOCK:
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
            _call_parallel(b, module, block, args, extent, grain)
    cg.Loops(b).nest([(0, g.batch)], call)


def _emit_dot_products(b, module, pointers, g: K.Gemm):
    """A product of a row by a column (`x @ y`, `jnp.sum(x * y)` of vectors) for each batch
    element, as a blocked float sum (see REDUCE_BLOCK): vectorised, and as accurate as a
    sum, where a BLAS dot or a running total loses accuracy with the length."""
    loops = cg.Loops(b)
    dtype = np.dtype(g.out.dtype)
    A, B, C = _gemm_pointers(b, module, pointers, g)
    cascade = _Cascade(b, loops, dtype, _block_split((g.k,))[2], 1)
    slot = cascade.slot(b, _i64(0))

    def product(b, bvars):
        def add_term(b, pvars):
            at = b.add(b.mul(bvars[0], _i64(g.k)), pvars[0])
            term = b.fmul(b.load(b.gep(A, [at], inbounds=True)), b.load(b.gep(B, [at], inbounds=True)))
            b.store(cg.combine(_emitter(b, module, pointers, []), "add", b.load(slot), term, dtype), slot)
        cascade.start(b)
        _in_blocks(b, loops, (g.k,), cascade.clear, add_term, cascade.push)
        out = b.gep(C, [bvars[0]], inbounds=True)
        total = cascade.result(b, _i64(0))
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
    b.call(runtime.declare_gemm(module, g.out.dtype), [
        i32(_CBLAS_ROW_MAJOR), i32(_CBLAS_TRANS if g.trans_lhs else _CBLAS_NO_TRANS),
        i32(_CBLAS_TRANS if g.trans_rhs else _CBLAS_NO_TRANS), m, n, i32(g.k),
        ir.Constant(t, 1.0), A, i32(max(lda, 1)), B, i32(max(ldb, 1)),
        ir.Constant(t, 1.0 if g.accumulate else 0.0), C, i32(max(g.n, 1))])
    b.ret_void()
    return fn


def _emit_gemm_loops(b, module, pointers, g: K.Gemm):
    """C = A @ B (C += A @ B with g.accumulate) by loops in (batch, i, p, j) order: the
    inner loop streams rows of B and C, so it vectorises."""
    loops = cg.Loops(b)
    dtype = np.dtype(g.out.dtype)
    zero = cg.constant(0, dtype)
    A, B, C = _gemm_pointers(b, module, pointers, g)

    def at(ptr, b, *terms):
        flat = ir.Constant(cg.I64, 0)
        for v, s in terms:
            flat = b.add(flat, b.mul(v, ir.Constant(cg.I64, s)))
        return b.gep(ptr, [flat], inbounds=True)

    def row(b, ivars):
        bi, i = ivars
        c_row = (bi, g.m * g.n), (i, g.n)
        if not g.accumulate:
            loops.nest([(0, g.n)], lambda b, j: b.store(zero, at(C, b, *c_row, (j[0], 1))))

        def accumulate(b, pvars):
            p = pvars[0]
            a_terms = ((bi, g.m * g.k), (p, g.m), (i, 1)) if g.trans_lhs else \
                ((bi, g.m * g.k), (i, g.k), (p, 1))
            a = b.load(at(A, b, *a_terms))

            def inner(b, jvars):
                j = jvars[0]
                b_terms = ((bi, g.k * g.n), (j, g.k), (p, 1)) if g.trans_rhs else \
                    ((bi, g.k * g.n), (p, g.n), (j, 1))
                c_ptr = at(C, b, *c_row, (j, 1))
                b.store(b.fadd(b.load(c_ptr), b.fmul(a, b.load(at(B, b, *b_terms)))), c_ptr)
            loops.nest([(0, g.n)], inner)
        loops.nest([(0, g.k)], accumulate)
    loops.nest([(0, g.batch), (0, g.m)], row)


# ---------------------------------------------------------------------------- engine

class Library:
    """One program's native code, linked into a JIT library of its own. `address` (its
    entry point) is valid while this object lives: ORC frees the code when the object is
    collected (its resource tracker closes), so whatever calls the code holds this."""
    __slots__ = ("tracker", "address", "__weakref__")

    def __init__(self, tracker, address):
        self.tracker, self.address = tracker, address


# Libraries linked into one LLJIT before the engine starts another (see Engine). Fresh
# LLJITs cost ~1.5 ms each; every library ORC has linked costs ~10 KB until its LLJIT goes.
JIT_GENERATION = 64


class Engine:
    """ORC's LLJIT for the host CPU, fed object code that fx compiles itself: a program's
    modules are optimised and compiled on up to `runtime.num_threads()` threads at once
    (LLVM releases the GIL; each thread has its own LLVM context and target machine), and
    the objects go to the on-disk cache, so a restarted process loads them instead.

    Each program is linked (with JITLink) into a library of its own, shared by the
    executables of that program and freed with the last of them. ORC keeps a record of
    every library it linked (~10 KB, even after the code is freed) until its LLJIT goes,
    so the engine links into a fresh LLJIT every `JIT_GENERATION` libraries; each old one
    goes with its last library. Object files from the disk cache are checked before they
    are linked, and a library's entry point must resolve: a bad entry is removed and the
    program compiled again, never run.

    llvmlite leaks ~65 KB per module optimised in-process (compile_worker.py says where),
    so past the first `FX_INPROCESS_COMPILES` modules (default 512, ~33 MB of leak; 0:
    none in-process) the engine compiles in child processes, each recycled after
    `compile_worker.Pool.modules_per_worker` modules."""

    def __init__(self):
        from fx.backends.llvm.disk_cache import DiskCache
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        self.cpu = llvm.get_host_cpu_name()
        self.features = llvm.get_host_cpu_features().flatten()
        self.jit = None
        self.links = 0
        self.cache = DiskCache()
        self.lock = threading.Lock()
        self.libraries = weakref.WeakValueDictionary()   # program key -> its live Library
        self.compiled = self.from_disk = 0   # programs LLVM compiled / loaded from the cache
        self._identity = self._symbols = None   # made on first use
        self.inprocess_compiles = inprocess_compiles()
        self.modules = itertools.count()   # modules compiled (next() is atomic)
        self.workers = compile_worker.Pool(self.cpu, self.features)
        atexit.register(self.workers.close)   # they would exit anyway; this reaps them

    def target_machine(self):
        return compile_worker.target_machine(self.cpu, self.features)

    def object_code(self, module_ir: str) -> bytes:
        """Optimise and compile one module (safe to run on several threads at once): in
        this process for the first `inprocess_compiles` modules, then in compile workers,
        unless they fail (see compile_worker.py)."""
        if next(self.modules) >= self.inprocess_compiles:
            code = self.workers.object_code(module_ir)
            if code is not None:
                return code
        return compile_worker.object_code(self.target_machine(), module_ir)

    def library(self, key, symbol, build_irs) -> Library:
        """The program cached under `key`, linked, with `symbol` as its entry point;
        `build_irs()` gives its modules' IR texts when neither a live library nor the disk
        cache has it."""
        with self.lock:
            library = self.libraries.get(key)
            if library is None:
                library = self._from_disk(key, symbol) or self._compile(key, symbol, build_irs)
                self.libraries[key] = library
            return library

    def _compile(self, key, symbol, build_irs):
        from fx.backends.llvm import runtime
        texts = build_irs()
        with ThreadPoolExecutor(min(len(texts), runtime.num_threads())) as threads:
            objects = list(threads.map(self.object_code, texts))
        library = self._link(key, symbol, objects)
        self.cache.put(key, _pack(objects))
        self.compiled += 1
        return library

    def _from_disk(self, key, symbol):
        """The library linked from the disk cache's entry for `key`, or None: no entry, or a
        bad one (removed)."""
        objects = _unpack(self.cache.get(key))
        if objects is None:
            return None
        try:
            self._check_objects(objects)
            library = self._link(key, symbol, objects)
        except (objcheck.BadObject, RuntimeError) as e:   # RuntimeError: llvmlite's link errors
            self.cache.discard(key, str(e).strip()[:200])
            return None
        self.from_disk += 1
        return library

    def _check_objects(self, objects):
        """Raise objcheck.BadObject unless each object starts as this engine's objects do
        and is structurally sound (see objcheck.py)."""
        if self._identity is None:
            empty = self.target_machine().emit_object(llvm.parse_assembly(""))
            self._identity = empty[:objcheck.identity_length(empty)]
        for obj in objects:
            objcheck.check_object(obj, self._identity)

    def _link(self, key, symbol, objects) -> Library:
        if self.links % JIT_GENERATION == 0:
            # JITLink: unlike RuntimeDyld, it reports a bad object as an error (fuzzed)
            self.jit = llvm.create_lljit_compiler(self.target_machine(), use_jit_link=True,
                                                  suppress_errors=True)
        self.links += 1
        builder = llvm.JITLibraryBuilder()
        for name, address in self._imports(objects).items():
            builder.import_symbol(name, address)
        for obj in objects:
            builder.add_object_img(obj)
        tracker = builder.export_symbol(symbol).link(self.jit, f"fx_{key[:24]}_{self.links}")
        if not tracker[symbol]:
            tracker.close()
            raise RuntimeError(f"the entry point {symbol} resolved to address 0")
        return Library(tracker, tracker[symbol])

    def _imports(self, objects):
        """The address of each symbol the objects use but do not define: fx's runtime
        functions, else what the process (or `llvm.add_symbol`) provides, as MCJIT
        resolved them. A symbol with no address anywhere is an error before linking."""
        runtime_symbols = self._runtime_symbols()
        tables = [objcheck.global_symbols(obj) for obj in objects]
        if None in tables:   # not ELF: ORC looks up what the runtime does not define in the process
            return runtime_symbols
        imports = {}
        for name in set().union(*(u for _, u in tables)).difference(*(d for d, _ in tables)):
            imports[name] = runtime_symbols.get(name) or llvm.address_of_symbol(name)
            if not imports[name]:
                raise RuntimeError(f"compiled code calls {name!r}, which this process does not define")
        return imports

    def _runtime_symbols(self):
        """The runtime functions generated code calls by name (runtime.bind_symbols), each
        at a nonzero address."""
        from fx.backends.llvm import runtime
        if self._symbols is None:
            symbols = runtime.bind_symbols()
            missing = sorted(name for name, address in symbols.items() if not address)
            if missing:
                raise RuntimeError(f"fx runtime symbols {missing} have no address")
            self._symbols = symbols
        return self._symbols


def _pack(objects: list[bytes]) -> bytes:
    """Object files as one cache entry: a count, their lengths, their bytes."""
    header = struct.pack(f"<I{len(objects)}Q", len(objects), *map(len, objects))
    return header + b"".join(objects)


def _unpack(data: bytes | None) -> list[bytes] | None:
    if data is None or len(data) < 4:
        return None
    (count,) = struct.unpack_from("<I", data)
    offset = 4 + 8 * count
    if len(data) < offset:
        return None
    objects = []
    for length in struct.unpack_from(f"<{count}Q", data, 4):
        objects.append(data[offset:offset + length])
        offset += length
    return objects if offset == len(data) else None


DEFAULT_INPROCESS_COMPILES = 512


def inprocess_compiles() -> int:
    """``FX_INPROCESS_COMPILES`` (a module count >= 0), else `DEFAULT_INPROCESS_COMPILES`."""
    raw = os.environ.get("FX_INPROCESS_COMPILES", "").strip()
    if not raw:
        return DEFAULT_INPROCESS_COMPILES
    if not raw.isdigit():
        raise ValueError(f"environment variable FX_INPROCESS_COMPILES={raw!r}: expected how "
                         "many modules to compile in-process before using compile workers, "
                         "an integer >= 0")
    return int(raw)


@functools.cache
def engine() -> Engine:
    return Engine()


def program_key(program: K.Program) -> str:
    """What the object code depends on: the program (constants by content), the code
    generator's settings, and the machine and toolchain."""
    from fx.backends.llvm.disk_cache import cache_key, environment_key_parts
    consts = [hashlib.sha256(np.ascontiguousarray(c.value).tobytes()).hexdigest() for c in program.consts]
    from fx.backends.llvm import runtime
    blas = [runtime.blas_gemm(d) is not None for d in ("float32", "float64")]
    settings = f"objects={ndarray_data_offset()} parallel={PARALLEL_MIN_WORK},{CHUNK_MIN_WORK} " \
               f"gemm={SMALL_GEMM_FLOPS},{GEMM_BLOCK_FLOPS} small={SMALL_STATEMENT_WORK} blas={blas} " \
               f"threads={runtime.num_threads()}"
    return cache_key(str(program), *consts, settings, _codegen_fingerprint(), *environment_key_parts())


@functools.cache
def _codegen_fingerprint():
    """A digest of the code generator's own source: changing how code is generated must
    never load object code generated the old way."""
    import pathlib
    here = pathlib.Path(__file__).parent
    sources = sorted(here.glob("*.py")) + [here.parents[1] / "ir" / "kernels.py"]
    return hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()


def entry_point(address, n_args, kind=""):
    """A Python callable for the entry point of `entry_kind(n_args)` at `address`."""
    if kind == "packed":
        packed = ctypes.CFUNCTYPE(None, ctypes.POINTER(ctypes.c_void_p))(address)
        pointers = ctypes.c_void_p * n_args
        return lambda *args: packed(pointers(*args))  # the array lives until the call returns
    arg = ctypes.py_object if kind == "objects" else ctypes.c_void_p
    return ctypes.CFUNCTYPE(None, *([arg] * n_args))(address)
