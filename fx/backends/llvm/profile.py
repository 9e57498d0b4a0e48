"""Timing each top-level statement of a program from inside its native call.

A program built with `profile` stores the CPU's cycle counter (llvm.readcyclecounter:
rdtsc on x86) in a ticks array at the end of the workspace before its first statement
and after each top-level statement (a loop or branch counts as one); Python turns the
differences into seconds with the counter's rate, measured once per process.
"""
from __future__ import annotations

import ctypes
import functools
import time

import llvmlite.binding as llvm
from llvmlite import ir

from fx.backends.llvm import codegen as cg

_COUNTER = ir.FunctionType(cg.I64, [])


def ticks_pointer(b, workspace, offset):
    slot = b.gep(workspace, [ir.Constant(cg.I64, offset)], inbounds=True)
    return b.bitcast(slot, ir.PointerType(cg.I64))


def mark(b, module, ticks, k):
    """ticks[k] = the cycle counter, now."""
    counter = module.globals.get("llvm.readcyclecounter") or ir.Function(module, _COUNTER, "llvm.readcyclecounter")
    b.store(b.call(counter, []), b.gep(ticks, [ir.Constant(cg.I64, k)], inbounds=True))


@functools.cache
def _cycles():
    from fx.backends.llvm.pool import permanent_engine
    module = ir.Module("fx_cycles")
    module.triple = llvm.get_process_triple()
    fn = ir.Function(module, _COUNTER, "fx_cycles")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    b.ret(b.call(ir.Function(module, _COUNTER, "llvm.readcyclecounter"), []))
    engine = permanent_engine(str(module))
    return ctypes.CFUNCTYPE(ctypes.c_int64)(engine.get_function_address("fx_cycles"))


@functools.cache
def cycles_per_second() -> float:
    """The cycle counter's rate, from 20 ms of busy waiting against perf_counter."""
    cycles = _cycles()
    c0, t0 = cycles(), time.perf_counter()
    while time.perf_counter() - t0 < 0.02:
        pass
    return (cycles() - c0) / (time.perf_counter() - t0)
