"""The FloatingPointError of debug_nans / debug_infs, made from a program stopped at the
statement that wrote the first NaN (or infinity): without running anything again but
that one statement, on its inputs (still in place: the program stopped right after it),
in the kernel program's NumPy evaluator, whose values for every subexpression say which
operation made the first bad value from good operands. Each operation knows the
primitive and the user's line it was lowered from (`Op.origin`).
"""
from __future__ import annotations

import numpy as np

from fx import dtypes
from fx.ir import kernels as K
from fx.source_info import in_pass
from fx.ir.evaluate import expressions
from fx.ir.workspace import slot_offsets


def error(program, number, args, outs, workspace, nans, infs) -> FloatingPointError:
    stmt = list(K.all_statements(program.body))[number - 1]
    buffers = _buffers(program, args, outs, workspace)
    bad = _bad_test(nans, infs)
    origin, index, value = _culprit(stmt, buffers, bad) if isinstance(stmt, K.Kernel) else (None, None, None)
    if origin is not None:
        prim, source = origin
    else:
        prim, source = _statement_origin(stmt), (stmt.sources[-1] if stmt.sources else None)
        written = [buffers[b] for b in stmt.writes() if dtypes.is_inexact(b.dtype)]
        value = next((v for a in written for v in np.asarray(a, np.complex128).ravel() if bad(v)), np.nan)
    what = "NaN" if np.isnan(value) else "an infinity"
    where = f" at index {index}" if index is not None else ""
    return FloatingPointError(
        f"{what} produced by {prim}{in_pass(prim, source)} (debug_nans: in {type(stmt).__name__.lower()} "
        f"{stmt.name}{_shape(stmt)}{where}; the program stopped there)")


def _shape(stmt):
    shape = getattr(stmt, "shape", None)
    return f" over {tuple(shape)}" if shape else ""


def _statement_origin(stmt):
    if isinstance(stmt, K.Gemm):
        return "dot_general"
    if isinstance(stmt, K.Kernel) and stmt.reducer:
        return f"a reduction ({stmt.reducer})"
    return getattr(stmt, "kind", None) or type(stmt).__name__.lower()


def _bad_test(nans, infs):
    def bad(values):
        values = np.asarray(values)
        if not dtypes.is_inexact(values.dtype):
            return np.zeros(values.shape, bool)
        with np.errstate(invalid="ignore"):
            return (np.isnan(values) if nans else False) | (np.isinf(values) if infs else False)
    return bad


def _culprit(stmt, buffers, bad):
    """((primitive, source) of the innermost operation whose value is bad where none of
    its operands is, first index), evaluating the kernel's expressions over its loops."""
    extents = tuple(stmt.shape) + tuple(stmt.reduce_shape)
    values = expressions(buffers, extents)
    for _, expr in stmt.outputs:
        for node in _postorder(expr):
            if not isinstance(node, K.Op):
                continue
            here = np.broadcast_to(bad(values.expr(node)), extents)
            for a in node.args:
                if isinstance(a, K.Expr):
                    here = here & ~np.broadcast_to(bad(values.expr(a)), extents)
            if here.any():  # (for a reduction, the index runs over its operand)
                index = tuple(int(i) for i in np.argwhere(here)[0])
                value = np.broadcast_to(values.expr(node), extents)[index]
                return getattr(node, "origin", (node.op, None)), index, value
    return None, None, None


def _postorder(expr):
    """The expression's nodes, operands before the operations reading them, each once."""
    seen, order, stack = set(), [], [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in seen:
            continue
        if expanded or not isinstance(node, K.Op):
            seen.add(id(node))
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args) if isinstance(a, K.Expr))
    return order


def _buffers(program, args, outs, workspace):
    buffers = {b: np.asarray(x).reshape(b.shape) for b, x in zip(program.inputs, args)}
    buffers.update((b, np.asarray(x).reshape(b.shape)) for b, x in zip(program.outputs, outs))
    buffers.update((c, np.asarray(c.value, c.dtype).reshape(c.shape)) for c in program.consts)
    offsets = slot_offsets(program)[0]
    for t in program.temps:
        start = offsets[t.slot]
        buffers[t] = workspace[start:start + t.nbytes].view(t.dtype).reshape(t.shape)
    return buffers
