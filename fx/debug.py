"""Seeing values inside traced and compiled code (jax.debug): `print`, `callback` and
`breakpoint` run when the program runs, with the values it computes, under jit, grad
(on the forward pass; inside a custom_vjp's backward function, on the backward pass),
vmap (once per batch element) and in loop bodies (once per iteration)."""
from __future__ import annotations

import bdb
import cmd
import linecache
import pprint

from fx.array import Array
from fx.callbacks import debug_callback as callback, debug_print as print  # noqa: A001 (jax.debug's names)
from fx.core import Tracer
from fx.source_info import user_frame

__all__ = ["breakpoint", "callback", "print"]


def breakpoint(*, backend=None, filter_frames=True, num_frames=None, ordered=False, token=None):  # noqa: A001
    """Stop when the program reaches this line and open a pdb-style prompt (works in a
    notebook) on the values the caller's local arrays have then: `p expr` (or any
    expression) evaluates, `l` lists the source, `w` says where, `c` continues, `q`
    quits by raising bdb.BdbQuit. The other arguments are JAX's and are accepted."""
    frame = user_frame(2)
    names, values, static = [], [], {}
    for name, value in frame.f_locals.items():
        if isinstance(value, (Tracer, Array)):
            names.append(name)
            values.append(value)
        else:
            static[name] = value
    where = (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)

    def stop(*arrays):
        Debugger({**static, **dict(zip(names, arrays))}, where).cmdloop()
    stop.__name__ = "breakpoint"
    callback(stop, *values, ordered=ordered)


class Debugger(cmd.Cmd):
    """The prompt of fx.debug.breakpoint: the traced function's local values, as arrays."""
    prompt = "(fxdb) "

    def __init__(self, namespace, where):
        super().__init__()
        self.namespace, (self.file, self.line, self.function) = namespace, where
        self.intro = f"Entering fx.debug.breakpoint at {self.file}:{self.line} ({self.function})\n" + \
                     self._source(self.line, self.line)

    def _source(self, first, last):
        lines = []
        for n in range(max(first, 1), last + 1):
            text = linecache.getline(self.file, n)
            if text:
                lines.append(f"{'->' if n == self.line else '  '} {n:4d} {text.rstrip()}")
        return "\n".join(lines)

    def _evaluate(self, text):
        try:
            return repr(eval(text, {}, self.namespace))  # noqa: S307 (the user's own expression)
        except Exception as e:  # noqa: BLE001 (shown, as pdb does)
            return f"*** {type(e).__name__}: {e}"

    def do_p(self, arg):
        """p expression: print its value."""
        self.stdout.write(self._evaluate(arg) + "\n")

    def do_pp(self, arg):
        """pp expression: pretty-print its value."""
        try:
            self.stdout.write(pprint.pformat(eval(arg, {}, self.namespace)) + "\n")  # noqa: S307
        except Exception as e:  # noqa: BLE001
            self.stdout.write(f"*** {type(e).__name__}: {e}\n")

    def do_list(self, arg):
        """l(ist): the source around the breakpoint."""
        self.stdout.write(self._source(self.line - 5, self.line + 5) + "\n")

    def do_where(self, arg):
        """w(here): where the breakpoint is."""
        self.stdout.write(f"{self.file}:{self.line} ({self.function})\n")

    def do_continue(self, arg):
        """c(ontinue): leave the prompt and let the program go on."""
        return True

    def do_quit(self, arg):
        """q(uit): stop the program (raises bdb.BdbQuit)."""
        raise bdb.BdbQuit

    do_l, do_w, do_c, do_cont, do_q, do_exit = do_list, do_where, do_continue, do_continue, do_quit, do_quit

    def do_EOF(self, arg):  # noqa: N802 (cmd's name for end of input)
        self.stdout.write("\n")
        return True

    def default(self, line):
        self.stdout.write(self._evaluate(line) + "\n")

    def emptyline(self):
        pass
