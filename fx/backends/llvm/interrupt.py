"""Ctrl-C for native loops: a SIGINT stops a jitted while_loop/fori_loop/scan early and
raises KeyboardInterrupt (JAX's compiled loops run on until they finish).

Python runs its signal handlers between bytecodes, so native code never sees them. fx
therefore puts a native handler in front of CPython's C-level one: it sets bit 0 of the
global ``fx_interrupt_flag`` and calls CPython's handler, which schedules the Python-level
handler (KeyboardInterrupt by default, or the user's) as usual. Every iteration of a
native loop (the kernel program's `Loop`s, in the entry function) does a relaxed load of
the flag and a branch predicted not taken; when the flag is set, ``fx_interrupted()``
decides: on the main thread it sets bit 1 ("a loop stopped") and the entry point returns
at once. Other threads' loops run on, as Python interrupts only the main thread. The
parallel chunks of a statement inside an iteration finish first; a long statement
outside any loop (one huge elementwise kernel, a matrix product) is not interruptible.

After a call of a program with loops, `Executable` (backend.py) calls `check()`: if a loop
stopped, the outputs are incomplete, so it runs Python's pending handlers now and, if
the handler did not raise (a user's handler that only records the signal), raises
KeyboardInterrupt itself: a call never returns partial results. A flag left from a
SIGINT outside any loop is cleared before the next call (`clear_stale()`): Python has
handled that one already.

The handler is installed (``install()``, at every compilation, so that a handler that
``signal.signal`` put back in front of it is displaced again) only where CPython's
handler is in place: with SIGINT ignored or at its default action, fx leaves it alone.
"""
from __future__ import annotations

import ctypes
import signal
import threading

import llvmlite.binding as llvm
from llvmlite import ir

from fx.backends.llvm.pool import permanent_engine

FLAG_SYMBOL = "fx_interrupt_flag"
INTERRUPTED_SYMBOL = "fx_interrupted"
PENDING, STOPPED = 1, 2   # the flag's bits: a SIGINT arrived; a loop stopped for it

_i32, _i64 = ir.IntType(32), ir.IntType(64)
_HANDLER_TYPE = ir.FunctionType(ir.VoidType(), [_i32])
_INTERRUPTED_TYPE = ir.FunctionType(_i32, [])
_SIG_DFL, _SIG_IGN = 0, 1


def declare(module: ir.Module):
    """(the flag, ``fx_interrupted``) declared (external) in a generated module."""
    flag = module.globals.get(FLAG_SYMBOL)
    if flag is None:
        flag = ir.GlobalVariable(module, _i32, FLAG_SYMBOL)
    fn = module.globals.get(INTERRUPTED_SYMBOL)
    if fn is None:
        fn = ir.Function(module, _INTERRUPTED_TYPE, INTERRUPTED_SYMBOL)
    return flag, fn


def _build_ir() -> str:
    mod = ir.Module(name="fx_interrupt")
    mod.triple = llvm.get_process_triple()

    def global_var(name, ty, init):
        g = ir.GlobalVariable(mod, ty, name=name)
        g.initializer = ir.Constant(ty, init)
        g.align = 64  # its own cache line: loops read it, nothing else writes near it
        return g

    flag = global_var(FLAG_SYMBOL, _i32, 0)
    previous = global_var("fx_interrupt_previous", _HANDLER_TYPE.as_pointer(), None)
    main_thread = global_var("fx_interrupt_main_thread", _i64, 0)
    pthread_self = ir.Function(mod, ir.FunctionType(_i64, []), "pthread_self")

    # void fx_interrupt_handler(int sig): set the flag, then chain to CPython's handler
    handler = ir.Function(mod, _HANDLER_TYPE, "fx_interrupt_handler")
    b = ir.IRBuilder(handler.append_basic_block("entry"))
    b.atomic_rmw("or", flag, ir.Constant(_i32, PENDING), "seq_cst")
    b.call(b.load(previous), [handler.args[0]])
    b.ret_void()

    # i32 fx_interrupted(void): whether the calling loop must stop (main thread only)
    fn = ir.Function(mod, _INTERRUPTED_TYPE, INTERRUPTED_SYMBOL)
    entry, stop, go_on = (fn.append_basic_block(n) for n in ("entry", "stop", "go_on"))
    b = ir.IRBuilder(entry)
    b.cbranch(b.icmp_unsigned("==", b.call(pthread_self, []), b.load(main_thread)), stop, go_on)
    b.position_at_end(stop)
    b.atomic_rmw("or", flag, ir.Constant(_i32, STOPPED), "seq_cst")
    b.ret(ir.Constant(_i32, 1))
    b.position_at_end(go_on)
    b.ret(ir.Constant(_i32, 0))
    return str(mod)


class _Native:
    """The compiled module (kept for the life of the process, like the thread pool's: a
    signal may arrive at any time) and ctypes views of its globals."""

    def __init__(self):
        self.engine = permanent_engine(_build_ir(), ["pthread_self"])
        address = self.engine.get_global_value_address
        self.flag_address = address(FLAG_SYMBOL)
        self.flag = ctypes.c_int32.from_address(self.flag_address)
        self.previous = ctypes.c_void_p.from_address(address("fx_interrupt_previous"))
        ctypes.c_uint64.from_address(address("fx_interrupt_main_thread")).value = \
            threading.main_thread().ident
        self.handler = self.engine.get_function_address("fx_interrupt_handler")
        self.interrupted = self.engine.get_function_address(INTERRUPTED_SYMBOL)


_NATIVE: _Native | None = None
_LOCK = threading.Lock()
_getsig = ctypes.pythonapi.PyOS_getsig
_getsig.argtypes, _getsig.restype = [ctypes.c_int], ctypes.c_void_p
_setsig = ctypes.pythonapi.PyOS_setsig
_setsig.argtypes, _setsig.restype = [ctypes.c_int, ctypes.c_void_p], ctypes.c_void_p


def native() -> _Native:
    global _NATIVE
    if _NATIVE is None:
        with _LOCK:
            if _NATIVE is None:
                _NATIVE = _Native()
    return _NATIVE


def symbols() -> dict[str, int]:
    """{name: address} of what generated loops refer to (for runtime.bind_symbols)."""
    n = native()
    return {FLAG_SYMBOL: n.flag_address, INTERRUPTED_SYMBOL: n.interrupted}


def install() -> bool:
    """Put the native handler in front of CPython's SIGINT handler, unless it is there
    already or SIGINT is ignored or at its default action; whether it is in place."""
    n = native()
    with _LOCK:
        current = _getsig(signal.SIGINT) or _SIG_DFL
        if current == n.handler:
            return True
        if current in (_SIG_DFL, _SIG_IGN):
            return False
        n.previous.value = current   # before the handler can run
        _setsig(signal.SIGINT, n.handler)
        return True


def clear_stale(flag: ctypes.c_int32):
    """Before a call with the flag set, on the main thread: forget a SIGINT that arrived
    outside a loop (Python's own handler takes care of it)."""
    if threading.get_ident() == threading.main_thread().ident:
        flag.value = 0


def check(flag: ctypes.c_int32):
    """After a call with the flag set: if a loop of it stopped for a SIGINT, never return
    its results."""
    if flag.value & STOPPED and threading.get_ident() == threading.main_thread().ident:
        flag.value = 0
        ctypes.pythonapi.PyErr_CheckSignals()  # runs Python's handler: raises by default
        raise KeyboardInterrupt("a jitted loop was interrupted (SIGINT): its results are incomplete")
