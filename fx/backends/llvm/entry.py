"""The entry function of a program: the one native function Python calls.

`build_modules` lays out the entry (pointer arguments, storage slots in the caller's
workspace, one call per statement, loops and branches as native control flow around the
calls of their bodies) and spreads the statements' functions (statements.py) over part
modules that LLVM compiles on parallel threads (engine.py). `entry_kind` and
`entry_point` say how Python calls it.
"""
from __future__ import annotations

import ctypes
import functools
import re

import numpy as np
from llvmlite import ir

from fx.backends.llvm import codegen as cg
from fx.backends.llvm import interrupt, nonfinite, profile
from fx.backends.llvm.parallel import call_parallel, parallel_grain
from fx.backends.llvm.statements import pointer_type, statement_function
from fx.ir import kernels as K
from fx.ir.workspace import slot_offsets

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
        m.excess_precision = program.excess_precision
    params = program.inputs + program.outputs
    n_args = len(params) + 1
    body = _EntryBody(module, parts, prefix, None, program)
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
            cg.VOID, [pointer_type(b) for b in params] + [ir.PointerType(cg.I8)]), entry_name)
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
        pointers = {buf: arg(i, pointer_type(buf)) for i, buf in enumerate(params) if buf in used}
        _segment(body, sb, pointers, arg(len(params), i8p), stmts, constants, offsets)
        sb.ret_void()
        b.call(fn, packed.args)
        if body.numbers:  # a segment that stopped at a NaN stops the program
            workspace = b.bitcast(b.load(b.gep(packed.args[0], [ir.Constant(cg.I64, len(params))])), i8p)
            nonfinite.return_if_stopped(b, nonfinite.status_pointer(b, workspace, body.status_offset))
    b.ret_void()
    return packed


def status_offset(program):
    """Where debug_nans' status word lives: just past the temporaries in the workspace."""
    return slot_offsets(program)[1]


def ticks_offset(program):
    """Where a profiled program's ticks (one per top-level statement, and one before them)
    live: past the temporaries and the status word."""
    return status_offset(program) + (8 if program.check_nans or program.check_infs else 0)


def workspace_bytes(program):
    """The workspace a program needs: its temporaries, the status word if it checks,
    the ticks if it is profiled."""
    return ticks_offset(program) + (8 * (len(program.body) + 1) if program.profile else 0)


def _buffers_used(stmts):
    return set().union(*(set(s.reads()) | set(s.writes()) for s in stmts))


def _segment(body, b, pointers, workspace, stmts, constants, offsets):
    """Emit `stmts` at `b`: the addresses of the constants (globals) and temporaries
    (workspace offsets) they use, in program order (the program's inputs and outputs
    are in `pointers`), then the statements."""
    body.pointers = pointers
    if body.numbers:
        body.status = nonfinite.status_pointer(b, workspace, body.status_offset)
    used = _buffers_used(stmts)
    for buf, g in constants.items():
        if buf in used:
            pointers[buf] = b.bitcast(g, pointer_type(buf))
    for buf, offset in offsets.items():
        if buf in used:
            slot = b.gep(workspace, [ir.Constant(cg.I64, offset)], inbounds=True)
            pointers[buf] = b.bitcast(slot, pointer_type(buf))
    if not body.positions:
        body.block(b, stmts)
        return
    ticks = profile.ticks_pointer(b, workspace, body.ticks_offset)
    for stmt in stmts:  # profiled: the cycle counter after each top-level statement
        position = body.positions[id(stmt)]
        if position == 0:
            profile.mark(b, body.module, ticks, 0)
        body.block(b, [stmt])
        profile.mark(b, body.module, ticks, position + 1)


class _EntryBody:
    """Emits the statements into the entry function: a call per statement (its function
    goes to the smallest part module), loops and branches as native control flow around
    the calls of their blocks. Statements that differ only in their buffers share one
    function (see `_function_key`)."""

    def __init__(self, module, parts, prefix, pointers, program):
        self.module, self.parts, self.prefix, self.pointers = module, parts, prefix, pointers
        self.part_sizes = [0] * len(parts)
        self.functions = {}  # _function_key -> the function, declared in the entry module
        # debug_nans/debug_infs: statements are numbered from 1 in all_statements order
        self.checks = (program.check_nans, program.check_infs)
        self.numbers = {id(s): k + 1 for k, s in enumerate(K.all_statements(program.body))} \
            if any(self.checks) else {}
        self.status = None  # the status word's pointer, in the function being built
        self.status_offset = status_offset(program)
        # profiled: each top-level statement's position, and where the ticks go
        self.positions = {id(s): k for k, s in enumerate(program.body)} if program.profile else {}
        self.ticks_offset = ticks_offset(program)

    def block(self, b, stmts):
        for stmt in stmts:
            if isinstance(stmt, K.Loop):
                self.loop(b, stmt)
            elif isinstance(stmt, K.Branch):
                self.branch(b, stmt)
            else:
                self.call(b, stmt)

    def call(self, b, stmt):
        buffers = stmt.buffers()
        key = _function_key(stmt, buffers)
        fn = self.functions.get(key)
        if fn is None:
            k = self.part_sizes.index(min(self.part_sizes))
            fn = statement_function(self.parts[k], self.prefix, stmt, buffers)
            self.part_sizes[k] += sum(len(block.instructions) for block in fn.blocks) + 1
            fn = self.functions[key] = ir.Function(self.module, fn.function_type, fn.name)  # called by name
        args = [self.pointers[buf] for buf in buffers]
        grain, outer = parallel_grain(stmt), stmt.parallel_loop()
        if grain is None:
            b.call(fn, args + ([ir.Constant(cg.I64, 0), ir.Constant(cg.I64, outer[0])] if outer else []))
        else:
            call_parallel(b, self.module, fn, args, outer[0], grain)
        if self.numbers:
            nonfinite.check_statement(b, self.module, self.prefix, self.pointers, stmt,
                                      self.numbers[id(stmt)], self.status, *self.checks)

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
    text = re.sub(r"\w+", lambda m: names.get(m.group(0), m.group(0)), stmt.pp())
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


def entry_point(address, n_args, kind=""):
    """A Python callable for the entry point of `entry_kind(n_args)` at `address`."""
    if kind == "packed":
        packed = ctypes.CFUNCTYPE(None, ctypes.POINTER(ctypes.c_void_p))(address)
        pointers = ctypes.c_void_p * n_args
        return lambda *args: packed(pointers(*args))  # the array lives until the call returns
    arg = ctypes.py_object if kind == "objects" else ctypes.c_void_p
    return ctypes.CFUNCTYPE(None, *([arg] * n_args))(address)
