"""Where a program's temporaries live: one workspace, cut into the buffer plan's slots.

Lowering gives every temporary a storage slot (`Buffer.slot`; temporaries whose lives do
not overlap share one) and `Program.slot_sizes` their sizes; a backend allocates one
workspace per executable and addresses each slot at its offset. Slots start on
`SLOT_ALIGN`-byte boundaries: a cache line, and the widest vector load (AVX-512).
"""
from __future__ import annotations

from fx.ir import kernels as K

SLOT_ALIGN = 64


def slot_offsets(program: K.Program):
    """(offset of each storage slot in the workspace, workspace bytes), aligned."""
    offsets, total = [], 0
    for size in program.slot_sizes:
        offsets.append(total)
        total += -(-max(size, 1) // SLOT_ALIGN) * SLOT_ALIGN
    return offsets, total
