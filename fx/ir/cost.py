"""What a kernel program costs, statement by statement: floating-point operations,
transcendental functions and bytes moved, counted from the program itself (as XLA's
cost analysis counts them from HLO), and the bytes its buffers occupy.

The counts are a model, not a measurement: an elementwise or reduction kernel does one
flop per arithmetic node of its expression (shared subexpressions once, as the code
generator computes them) and one per reduction step; a transcendental node counts once
as a transcendental and not as a flop; a matrix product does 2·m·n·k flops. Bytes are
those of the distinct buffers a statement reads and writes, each once, as a cache that
held them would move them. A loop's body counts once per trip (a while loop's trip count
is unknown: once), a branch's costliest block counts.
"""
from __future__ import annotations

import dataclasses

from fx.ir import kernels as K

# scalar ops that do not compute (data movement, comparisons, selects and conversions)
_FREE_OPS = frozenset({"select", "convert", "bitcast", "real", "imag", "conj", "complex", "eq", "ne",
                       "lt", "le", "gt", "ge", "and", "or", "xor", "not", "neg", "abs", "is_finite",
                       "shift_left", "shift_right_logical", "shift_right_arithmetic"})
TRANSCENDENTAL_OPS = frozenset({"exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sin", "cos",
                                "tan", "erf", "pow", "asin", "acos", "atan", "sinh", "cosh", "asinh",
                                "acosh", "atanh", "cbrt", "atan2"})


@dataclasses.dataclass(frozen=True)
class StatementCost:
    """One top-level statement of a program: its name and kind ("kernel", "gemm", "loop", ...)
    and what a run of it costs (a loop: all its trips)."""
    name: str
    kind: str
    flops: float
    transcendentals: float
    bytes_accessed: float

    def __add__(self, other):
        return dataclasses.replace(self, flops=self.flops + other.flops,
                                   transcendentals=self.transcendentals + other.transcendentals,
                                   bytes_accessed=self.bytes_accessed + other.bytes_accessed)


def program_costs(program: K.Program) -> list[StatementCost]:
    """The cost of each top-level statement of `program`, in order."""
    return [statement_cost(s) for s in program.body]


def total(costs) -> dict:
    """The sum of statement costs as XLA's cost_analysis names it."""
    return {"flops": sum(c.flops for c in costs),
            "transcendentals": sum(c.transcendentals for c in costs),
            "bytes accessed": sum(c.bytes_accessed for c in costs)}


def statement_cost(s) -> StatementCost:
    kind = type(s).__name__.lower()
    if isinstance(s, K.Loop):
        body = [statement_cost(t) for t in s.cond + s.body]
        trips = s.length if s.length is not None else 1
        return StatementCost(s.name, kind, *(trips * sum(getattr(c, f) for c in body)
                                             for f in ("flops", "transcendentals", "bytes_accessed")))
    if isinstance(s, K.Branch):
        blocks = [[statement_cost(t) for t in block] for block in s.blocks()]
        costliest = max(blocks, key=lambda block: sum(c.flops + c.bytes_accessed for c in block))
        return StatementCost(s.name, kind, *(sum(getattr(c, f) for c in costliest)
                                             for f in ("flops", "transcendentals", "bytes_accessed")))
    moved = sum(b.nbytes for b in s.reads()) + sum(b.nbytes for b in dict.fromkeys(s.writes()))
    if isinstance(s, K.Gemm):
        return StatementCost(s.name, kind, 2.0 * s.work(), 0.0, moved)
    flops, transcendentals = _expression_ops(_expressions(s))
    if isinstance(s, K.Kernel) and s.reducer:
        flops += len(s.outputs)   # one combining step per term
    return StatementCost(s.name, kind, float(flops * s.work()), float(transcendentals * s.work()), moved)


def _expressions(s):
    """The scalar expressions a statement evaluates per iteration."""
    if isinstance(s, K.Kernel):
        return [e for _, e in s.outputs]
    return [v for v in vars(s).values() if isinstance(v, K.Expr)]


def _expression_ops(roots):
    """(arithmetic ops, transcendental ops) in expressions, each distinct node once."""
    seen, pending, flops, transcendentals = set(), list(roots), 0, 0
    while pending:
        e = pending.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, K.Op):
            if e.op in TRANSCENDENTAL_OPS:
                transcendentals += 1
            elif e.op not in _FREE_OPS:
                flops += 1
            pending.extend(e.args)
    return flops, transcendentals


def memory_sizes(program: K.Program, workspace_bytes: int) -> dict:
    """Bytes of a program's arguments, outputs, constants and temporaries (the workspace
    its buffer plan lays out), as XLA's memory_analysis names them."""
    return {"argument_size_in_bytes": sum(b.nbytes for b in program.inputs),
            "output_size_in_bytes": sum(b.nbytes for b in dict.fromkeys(program.outputs)),
            "constant_size_in_bytes": sum(b.nbytes for b in program.consts),
            "temp_size_in_bytes": workspace_bytes}
