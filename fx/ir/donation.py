"""Which outputs of a kernel program may be written into donated inputs' buffers.

`jit(f, donate_argnums=...)` lets a backend reuse an argument's device memory for an
output (JAX's donation): a training step's new parameters take the old ones' place
instead of doubling the memory they need. Reuse is safe when nothing reads the input
after the output's first write. At the top level of the program, in order, that holds
when the last statement that reads the input comes before the first one that writes the
output, or is that same statement and it is an elementwise kernel of one output reading
the input only at the element it writes (each element is read, then overwritten).
Loops and branches count as one statement: inside them nothing is shared.
"""
from __future__ import annotations

import numpy as np

from fx.ir import kernels as K


def donation_aliases(program: K.Program, donated) -> dict:
    """{output position: input position} for the outputs that may take the buffer of a
    donated input (positions in `program.inputs`); each input serves one output at most."""
    reads, writes = {}, {}
    for k, s in enumerate(program.body):
        for b in s.reads():
            reads[b] = k           # the last top-level statement reading b
        for b in s.writes():
            writes.setdefault(b, k)  # the first one writing b
    aliases, taken = {}, set()
    for j, out in enumerate(program.outputs):
        if out in program.inputs or out not in writes:
            continue  # an output that is an input, or a constant: no statement writes it
        for i in donated:
            x = program.inputs[i]
            if (i in taken or x in program.outputs or np.dtype(x.dtype) != np.dtype(out.dtype)
                    or x.size != out.size):
                continue
            first_write, last_read = writes[out], reads.get(x, -1)
            if last_read < first_write or (
                    last_read == first_write and _in_place(program.body[first_write], x, out)):
                aliases[j] = i
                taken.add(i)
                break
    return aliases


def _in_place(stmt, x, out):
    """Whether `stmt` may write `out` over `x`: an elementwise kernel with `out` its only
    output, reading `x` only at the element it stores."""
    if not (isinstance(stmt, K.Kernel) and stmt.reducer is None and stmt.store_index is None
            and len(stmt.outputs) == 1 and stmt.outputs[0][0] is out
            and tuple(x.shape) == tuple(stmt.shape) == tuple(out.shape)):
        return False
    here = K.loop_index(len(stmt.shape))
    return all(load.index == here for load in K.loads(stmt.outputs[0][1]) if load.buffer is x)
