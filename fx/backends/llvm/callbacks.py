"""Python callbacks from native code (fx/lax/callback.py's primitives).

A Callback statement compiles to a call of one runtime function,
``int fx_python_callback(i64 index, i8** pointers)``, with the statement's number in its
program and the addresses of its input buffers then its output buffers. That function is
a ctypes callback: it takes the GIL for the time of the call only, finds the Python
function through the executable running on this thread (`running`), wraps the input
buffers as NumPy arrays, calls it and copies its results into the output buffers. The
generated code never holds a Python object or address, so object code with callbacks is
cached on disk like any other.

An exception in a callback is kept, the callbacks after it in the same run are skipped,
and `running` raises it, with its traceback, when the native call returns: the caller
never sees outputs of a run whose callback failed.
"""
from __future__ import annotations

import ctypes
import threading

import numpy as np
from llvmlite import ir

from fx.backends.llvm import codegen as cg

SYMBOL = "fx_python_callback"
_I8P = ir.PointerType(cg.I8)
_TYPE = ir.FunctionType(ir.IntType(32), [cg.I64, ir.PointerType(_I8P)])

_state = threading.local()   # .stack: the runs in progress on this thread, innermost last


class _Run:
    __slots__ = ("statements", "error")

    def __init__(self, statements):
        self.statements, self.error = statements, None


class running:
    """`with running(statements):` around a native call of a program whose Callback
    statements are `statements` (by index); raises a callback's exception on exit."""

    def __init__(self, statements):
        self.run = _Run(statements)

    def __enter__(self):
        stack = getattr(_state, "stack", None)
        if stack is None:
            stack = _state.stack = []
        stack.append(self.run)

    def __exit__(self, exc_type, exc, tb):
        _state.stack.pop()
        if exc_type is None and self.run.error is not None:
            raise self.run.error


def _call(index, pointers):
    run = _state.stack[-1]
    if run.error is not None:
        return 1
    try:
        stmt = run.statements[index]
        n = len(stmt.inputs)
        args = [np.array(_array(pointers[k], b)) for k, b in enumerate(stmt.inputs)]  # theirs to keep
        results = stmt.callback(*args)
        if stmt.outputs:
            results = list(results) if isinstance(results, (tuple, list)) else [results]
            for k, (buf, value) in enumerate(zip(stmt.outputs, results)):
                _array(pointers[n + k], buf)[...] = value
        return 0
    except BaseException as e:  # noqa: BLE001 (kept, and raised in the caller's thread)
        run.error = e
        return 1


def _array(address, buf):
    """A NumPy view of the buffer at `address` (read-write; copied by callbacks that keep
    it, as the memory is the program's workspace)."""
    nbytes = buf.nbytes
    if nbytes == 0:
        return np.empty(buf.shape, buf.dtype)
    raw = (ctypes.c_char * nbytes).from_address(address)
    return np.frombuffer(raw, dtype=buf.dtype).reshape(buf.shape)


_TRAMPOLINE = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int64, ctypes.POINTER(ctypes.c_void_p))(_call)


def address() -> int:
    return ctypes.cast(_TRAMPOLINE, ctypes.c_void_p).value


def emit_callback(b, module, pointers, stmt):
    """The call of `fx_python_callback` for a Callback statement."""
    fn = module.globals.get(SYMBOL) or ir.Function(module, _TYPE, SYMBOL)
    buffers = list(stmt.inputs) + list(stmt.outputs)
    array = b.alloca(_I8P, max(len(buffers), 1))
    for k, buf in enumerate(buffers):
        b.store(b.bitcast(pointers[buf], _I8P), b.gep(array, [ir.Constant(cg.I64, k)]))
    b.call(fn, [ir.Constant(cg.I64, stmt.index), array])
