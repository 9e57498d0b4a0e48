"""Structured control flow (jax.lax's): cond, switch, while_loop, fori_loop, scan, map,
associative_scan. The primitives (cond, while, scan) hold closed jaxprs and transform
them; see each module for its rules.

Compiled by the llvm backend, while_loop, fori_loop and scan run as native loops that
Ctrl-C (SIGINT) stops: the call raises KeyboardInterrupt (fx/backends/llvm/interrupt.py);
a single long statement outside any loop runs to its end first."""
from fx.lax.control_flow.associative_scan import associative_scan
from fx.lax.control_flow.cond import cond, cond_p, switch
from fx.lax.control_flow.loops import fori_loop, while_loop, while_p
from fx.lax.control_flow.scan import map, scan, scan_p

__all__ = ["associative_scan", "cond", "cond_p", "fori_loop", "map", "scan", "scan_p", "switch",
           "while_loop", "while_p"]
