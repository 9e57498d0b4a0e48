"""The kernel program: fx's backend-neutral lower IR (the "XLA-like" level).

A `Program` is a list of statements over `Buffer`s:

- `Kernel`: a fused loop nest. Its parallel loops span the output shape; optional
  reduction loops run innermost. Each output element is a scalar expression tree
  (`Expr`) over loads whose indices are maps of the loop variables (`Idx`): this is how
  broadcasts, transposes, slices, pads, concatenations, iotas, clamped dynamic indices
  and gathers cost no memory traffic of their own.
- `Gemm`: a library call for a (batched) matrix product.
- `Scatter`: updates read-modify-written into a buffer at computed indices.
- `Sort`: lines of arrays sorted by keys (stable), with values riding along.
- `Linalg`: a dense linear-algebra routine (a factorisation, a triangular solve) per
  matrix of a batch, working in place.
- `Loop` and `Branch`: structured control flow around blocks of statements (a scan, a
  while loop, a cond), so a loop runs natively, its body's kernels inside it.

Backends implement the scalar ops (`SCALAR_OPS`), loops, reductions, library calls and
buffers; they never see jaxpr primitives. Expressions are immutable trees, compared
structurally, so identical subtrees are emitted once; each node computes its hash once,
from its children's, so hashing a tree costs O(1) however deep it is (a per-node hash
over the whole subtree made code generation quadratic in the expression's size).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# ---------------------------------------------------------------------------- buffers


def row_major_strides(shape):
    """The element strides of a row-major (C-order) array of `shape`."""
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return tuple(reversed(out))


def loop_index(rank):
    """The index (i0, i1, ...) of a loop nest `rank` deep."""
    return tuple(IVar(k) for k in range(rank))


@dataclass(eq=False)
class Buffer:
    """A dense row-major array: a program input, output, constant or temporary."""
    name: str
    shape: tuple
    dtype: np.dtype
    role: str                 # "input" | "output" | "const" | "temp"
    value: np.ndarray | None = None   # for constants
    slot: int | None = None   # temporaries: which storage slot the buffer plan assigned

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self):
        return self.size * np.dtype(self.dtype).itemsize

    def strides(self):
        """Row-major element strides."""
        return row_major_strides(self.shape)

    def __repr__(self):
        return self.name


# ---------------------------------------------------------------------------- tree nodes

class _Node:
    """An immutable tree node (index or scalar expression), equal to another of its type
    with equal fields. The hash is computed once, at construction, from the fields'
    hashes (the children's own cached ones), and equality compares hashes first."""
    __slots__ = ()

    def __post_init__(self):
        object.__setattr__(self, "_hash", hash((type(self).__name__, self._key())))

    def _key(self):
        return tuple(getattr(self, f) for f in self.__match_args__)

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        pending = [(self, other)]  # a worklist, so comparing deep trees needs no recursion
        while pending:
            a, b = pending.pop()
            if a is b:
                continue
            if not isinstance(a, _Node) and not isinstance(a, tuple):
                if a != b:
                    return False
            elif type(a) is not type(b) or (isinstance(a, tuple) and len(a) != len(b)) or (
                    isinstance(a, _Node) and a._hash != b._hash):
                return False
            else:
                pending += zip(a, b) if isinstance(a, tuple) else zip(a._key(), b._key())
        return True

    def __ne__(self, other):
        return not self == other


# ---------------------------------------------------------------------------- index expressions
# Integer (int64) functions of the loop variables. Constructors fold constants, so index
# maps composed by lowering stay small.

@dataclass(frozen=True, eq=False)
class Idx(_Node):
    pass


@dataclass(frozen=True, eq=False)
class IVar(Idx):
    """Loop variable number k of the enclosing kernel (parallel first, then reduction)."""
    k: int


@dataclass(frozen=True, eq=False)
class IConst(Idx):
    value: int


@dataclass(frozen=True, eq=False)
class IAdd(Idx):
    a: Idx
    b: Idx


@dataclass(frozen=True, eq=False)
class IMul(Idx):
    a: Idx
    c: int


@dataclass(frozen=True, eq=False)
class IDiv(Idx):
    """Floor division by a positive constant (operands are never negative)."""
    a: Idx
    c: int


@dataclass(frozen=True, eq=False)
class IMod(Idx):
    a: Idx
    c: int


@dataclass(frozen=True, eq=False)
class IClamp(Idx):
    a: Idx
    lo: int
    hi: int


@dataclass(frozen=True, eq=False)
class IFromExpr(Idx):
    """The value of an integer scalar expression, as an index (gathers, dynamic slices)."""
    expr: "Expr"


def iadd(a, b):
    if isinstance(a, IConst) and isinstance(b, IConst):
        return IConst(a.value + b.value)
    if isinstance(b, IConst) and b.value == 0:
        return a
    if isinstance(a, IConst) and a.value == 0:
        return b
    return IAdd(a, b)


def imul(a, c):
    if c == 1:
        return a
    if c == 0:
        return IConst(0)
    if isinstance(a, IConst):
        return IConst(a.value * c)
    return IMul(a, c)


def idiv(a, c):
    if c == 1:
        return a
    if isinstance(a, IConst):
        return IConst(a.value // c)
    return IDiv(a, c)


def imod(a, c):
    if c == 1:
        return IConst(0)
    if isinstance(a, IConst):
        return IConst(a.value % c)
    return IMod(a, c)


def iclamp(a, lo, hi):
    if isinstance(a, IConst):
        return IConst(min(max(a.value, lo), hi))
    return IClamp(a, lo, hi)


# ---------------------------------------------------------------------------- scalar expressions

# name -> number of operands. Every backend implements each of these for every dtype
# that its `check` in lower.py admits; semantics are JAX's (integer division by zero
# gives 0 and never traps, float -> int conversion saturates and maps NaN to 0, ...).
SCALAR_OPS = {
    "neg": 1, "abs": 1, "sign": 1, "not": 1, "floor": 1, "ceil": 1, "round_away": 1,
    "round_even": 1, "exp": 1, "exp2": 1, "log": 1, "log1p": 1, "expm1": 1, "sqrt": 1,
    "rsqrt": 1, "tanh": 1, "logistic": 1, "sin": 1, "cos": 1, "tan": 1, "erf": 1,
    "add": 2, "sub": 2, "mul": 2, "div": 2, "rem": 2, "pow": 2, "max": 2, "min": 2,
    "and": 2, "or": 2, "xor": 2, "eq": 2, "ne": 2, "lt": 2, "le": 2, "gt": 2, "ge": 2,
    "select": 3, "convert": 1, "bitcast": 1,  # bitcast: the bits as a type of the same width
    "real": 1, "imag": 1, "conj": 1, "complex": 2,  # complex numbers and their parts
    "asin": 1, "acos": 1, "atan": 1, "sinh": 1, "cosh": 1, "asinh": 1, "acosh": 1, "atanh": 1,
    "cbrt": 1, "atan2": 2, "is_finite": 1,  # floats only; is_finite gives a bool
    # integers only; the amount reads as unsigned, amounts >= the bit width give 0
    # (left, logical) or the sign fill (arithmetic)
    "shift_left": 2, "shift_right_logical": 2, "shift_right_arithmetic": 2,
}

@dataclass(frozen=True, eq=False)
class Expr(_Node):
    dtype: np.dtype


@dataclass(frozen=True, eq=False)
class Load(Expr):
    buffer: Buffer
    index: tuple  # one Idx per buffer dimension


@dataclass(frozen=True, eq=False)
class Const(Expr):
    value: object  # a Python scalar of the dtype's kind

    def _key(self):  # repr tells -0.0 from 0.0 and makes NaN equal NaN, unlike ==
        return self.dtype, repr(self.value)


@dataclass(frozen=True, eq=False)
class Op(Expr):
    op: str
    args: tuple


@dataclass(frozen=True, eq=False)
class IndexValue(Expr):
    """An index expression's value as a scalar of `dtype` (iota, pad/concat predicates)."""
    index: Idx


def op(name, *args, dtype=None):
    assert SCALAR_OPS[name] == len(args), name
    node = Op(np.dtype(dtype if dtype is not None else args[-1].dtype), name, tuple(args))
    if _origin is not None:
        object.__setattr__(node, "origin", _origin)
    return node


# (primitive name, fx.source_info.SourceInfo) of the equation whose lowering makes Ops
# now (lowering sets it): an Op's `origin`, which debug_nans reports
_origin = None


def set_origin(origin):
    """Make `origin` the origin of the Ops made from now on; returns the previous one."""
    global _origin
    previous, _origin = _origin, origin
    return previous


def const(value, dtype):
    dtype = np.dtype(dtype)
    return Const(dtype, np.asarray(value, dtype).item())


# ---------------------------------------------------------------------------- statements

class Statement:
    """What every statement of a program answers for itself, so that passes, the
    verifier, the printer and backends need no chain of type tests:

    - `reads()` / `writes()`: the buffers it reads (a set) and writes (a list, in order);
      `buffers()`: all of them, once each, in a stable order;
    - `blocks()`: the statement lists nested inside it (loops and branches);
    - `verify()`: raise OutOfBoundsError unless every index it uses is in bounds and its
      buffers fit its shape (the checks that let generated code skip bounds checks);
    - `pp()`: its text (the disk cache keys object code by it, so it is complete);
    - `work()`: loop iterations it runs, the base of every backend's cost estimates;
    - `parallel_loop()`: (extent, work per iteration) of its outermost loop when the
      iterations are independent and may run concurrently, else None;
    - `rename_writes(old, new)`: write buffer `new` where it wrote `old`.

    `sources` (set by lowering, not part of the text) are the source lines
    (fx.source_info.SourceInfo) of the equations a statement computes.
    """
    name: str
    sources = ()

    def buffers(self):
        """The distinct buffers it touches, those it writes first (a stable order: a
        backend's function for the statement takes them in this order)."""
        seen = list(dict.fromkeys(self.writes()))
        return seen + sorted((b for b in self.reads() if b not in seen), key=lambda b: b.name)

    def blocks(self):
        return []

    def parallel_loop(self):
        return None

    def verify(self):
        pass


@dataclass(eq=False)
class Kernel(Statement):
    """out[i...] = expr(i...), or out[i...] = reduce over r... of expr(i..., r...).

    Loop variables 0 .. len(shape)-1 index the output; len(shape) .. index the
    reduction. Several outputs of one shape (siblings reading the same inputs) share the
    loop nest. For argmax/argmin the expression is the value compared and the output
    holds the index (first occurrence; NaN counts as the extremum, as in JAX).

    A reduction's `side_outputs` also store each term it combines, x(i..., r...), at
    buffer[index]: a value that is both materialised and reduced (softmax's exp) is then
    computed and read in one pass instead of being written, then read back.

    With a `block` (a pipeline's choice: `kernel_passes.block_float_sums`), the terms of
    each output are summed in blocks of about `block` terms (`block_split`), the blocks'
    sums then combined pairwise, so rounding error grows with the log of the length.
    """
    name: str
    shape: tuple
    outputs: list                 # [(Buffer, Expr)]
    reduce_shape: tuple = ()
    reducer: str | None = None    # add, mul, max, min, argmax or argmin when reduce_shape is not empty
    # where element i... is stored: one Idx per output-buffer dim; None stores at i...
    # itself (a scan writes its ys into row `counter` of their stacked buffers)
    store_index: tuple | None = None
    side_outputs: list = field(default_factory=list)  # [(Buffer, index over all loop vars)]
    block: int | None = None

    def reads(self):
        found = set()
        for _, expr in self.outputs:
            _collect_loads(expr, found)
        for i in (*(self.store_index or ()), *(i for _, index in self.side_outputs for i in index)):
            for e in _idx_exprs(i):
                _collect_loads(e, found)
        return found

    def writes(self):
        return [b for b, _ in self.outputs] + [b for b, _ in self.side_outputs]

    def rename_writes(self, old, new):
        self.outputs = [(new if b is old else b, e) for b, e in self.outputs]

    def work(self):
        return _size(self.shape + self.reduce_shape)

    def parallel_loop(self):
        if not self.shape:
            return None
        return self.shape[0], _size(self.shape[1:]) * _size(self.reduce_shape)

    def block_split(self):
        """(d, step, blocks): a block is `step` iterations of reduction loop d, each running
        the loops inside d in full, about `block` terms; an output combines `blocks` blocks."""
        return block_split(self.reduce_shape, self.block)

    def verify(self):
        extents = tuple(self.shape) + tuple(self.reduce_shape)
        for b, e in self.outputs:
            _verify_loads(e, extents, self.name)
            if self.store_index is not None:
                if self.reducer or len(self.store_index) != len(b.shape):
                    raise OutOfBoundsError(f"{self.name}: a store index needs no reduction and "
                                           f"one index per dim of {b.name}")
                _verify_index(b, self.store_index, extents, self.name)
        for b, index in self.side_outputs:
            if (not self.reducer or len(self.outputs) != 1 or len(index) != len(b.shape)
                    or np.dtype(b.dtype) != self.outputs[0][1].dtype):
                raise OutOfBoundsError(f"{self.name}: a side output needs a reduction of one "
                                       f"output and one index per dim of {b.name}, of its dtype")
            _verify_index(b, index, extents, self.name)
        if self.block is not None and (self.reducer != "add" or _size(self.reduce_shape) <= self.block):
            raise OutOfBoundsError(f"{self.name}: only a sum of more than {self.block} terms "
                                   "combines them in blocks")

    def pp(self):
        loops = f"({','.join(map(str, self.shape))})"
        red = (f" reduce {self.reducer} over ({','.join(map(str, self.reduce_shape))})"
               if self.reducer else "")
        red += f" in blocks of {self.block}" if self.block is not None else ""
        lines = [f"kernel {self.name} over {loops}{red}:"]
        at = "..." if self.store_index is None else ",".join(map(pp_idx, self.store_index))
        lines += [f"    {b.name}[{at}] = {pp_expr(e)}" for b, e in self.outputs]
        lines += [f"    {b.name}[{','.join(map(pp_idx, index))}] = each term"
                  for b, index in self.side_outputs]
        return "\n".join(lines)


def block_split(shape, block):
    """(d, step, blocks) for summing over the loops `shape` in blocks of about `block`
    terms: a block is `step` iterations of loop d, each running the loops inside d in
    full; each output combines `blocks` blocks."""
    inner = 1
    for d in reversed(range(len(shape))):
        if inner * shape[d] > block:
            step = max(1, block // inner)
            return d, step, _size(shape[:d]) * -(-shape[d] // step)
        inner *= shape[d]
    raise ValueError(f"a reduction over {shape} fits in one block of {block}")


@dataclass(eq=False)
class Gemm(Statement):
    """out[b] = op(lhs[b]) @ op(rhs[b]) for each batch b, all row-major and contiguous;
    with `accumulate`, out[b] += op(lhs[b]) @ op(rhs[b]) (BLAS's beta = 1).

    lhs is (batch, m, k) or, with trans_lhs, (batch, k, m); rhs is (batch, k, n) or,
    with trans_rhs, (batch, n, k); out is (batch, m, n). Each starts `offsets` (lhs, rhs,
    out) elements into its buffer: index expressions without loop variables, evaluated
    when the gemm runs, so that a loop's gemm reads row `counter` of a stacked buffer in
    place instead of a copy of it. With a `block`, each product of a row by a column
    (m = n = 1) is summed in blocks of `block` terms, as a Kernel's.
    """
    name: str
    lhs: Buffer
    rhs: Buffer
    out: Buffer
    batch: int
    m: int
    n: int
    k: int
    trans_lhs: bool = False
    trans_rhs: bool = False
    accumulate: bool = False
    offsets: tuple = (IConst(0), IConst(0), IConst(0))
    block: int | None = None

    def reads(self):
        found = {self.lhs, self.rhs} | ({self.out} if self.accumulate else set())
        for i in self.offsets:
            for e in _idx_exprs(i):
                _collect_loads(e, found)
        return found

    def writes(self):
        return [self.out]

    def rename_writes(self, old, new):
        self.out = new if self.out is old else self.out

    def work(self):
        return self.batch * self.m * self.n * self.k

    def operand_sizes(self):
        """Elements of lhs, rhs and out that the product touches."""
        return self.batch * self.m * self.k, self.batch * self.k * self.n, self.batch * self.m * self.n

    def verify(self):
        if self.out in (self.lhs, self.rhs):
            raise OutOfBoundsError(f"{self.name}: a gemm cannot write a buffer it reads")
        if self.block is not None and not (self.m == self.n == 1 and self.k > self.block):
            raise OutOfBoundsError(f"{self.name}: only a product of a row by a column of more "
                                   f"than {self.block} terms sums them in blocks")
        for buffer, size, offset in zip((self.lhs, self.rhs, self.out), self.operand_sizes(), self.offsets):
            for e in _idx_exprs(offset):
                _verify_loads(e, (), self.name)
            if not buffer.size:  # as for kernels: only a loop that never runs indexes it
                continue
            lo, hi = index_range(offset, ()) if uses_no_loop_vars(offset) else (None, None)
            if lo is None or hi is None or lo < 0 or hi + size > buffer.size:
                raise OutOfBoundsError(f"{self.name}: gemm operand of {size} elements at offset "
                                       f"{pp_idx(offset)} does not fit in {buffer.name} "
                                       f"({buffer.size} elements)")

    def pp(self):
        lhs, rhs, out = (b.name + ("" if o == IConst(0) else f"[{pp_idx(o)}:]")
                         for b, o in zip((self.lhs, self.rhs, self.out), self.offsets))
        t = lambda flag: "T" if flag else ""  # noqa: E731
        blocks = f" in blocks of {self.block}" if self.block is not None else ""
        return (f"gemm {self.name}: {out} {'+=' if self.accumulate else '='} {lhs}{t(self.trans_lhs)} @ "
                f"{rhs}{t(self.trans_rhs)}  (batch={self.batch} m={self.m} n={self.n} k={self.k}){blocks}")


# How a Scatter applies its updates and a Cumulative runs its lines: a pipeline's choice
# (`kernel_passes.schedule_updates`), None until it is made.
SEQUENTIAL = "sequential"   # in order, on one thread: a set's last update wins
CONCURRENT = "concurrent"   # independent pieces at once: atomic updates, any winner of a set
SCHEDULES = (SEQUENTIAL, CONCURRENT)


def _verify_schedule(s):
    if s.schedule not in SCHEDULES:
        raise OutOfBoundsError(f"{s.name}: its schedule must be one of {SCHEDULES}, "
                               f"not {s.schedule!r} (the pipeline chooses it)")


@dataclass(eq=False)
class Scatter(Statement):
    """out = operand, then for each update position u: out[index(u)] (op)= update(u).

    `shape` is the update iteration space; `index` maps its loop variables to an index
    into `out` (one Idx per dim); `in_bounds` is a boolean Expr (updates outside the
    array are dropped). op is "set" (last writer wins when `schedule` is sequential),
    "add", "mul", "min" or "max".
    """
    name: str
    out: Buffer
    operand: Expr                  # initial value, as an expression over out's index
    shape: tuple
    index: tuple
    in_bounds: Expr
    update: Expr
    mode: str = "add"
    schedule: str | None = None

    def reads(self):
        found = set()
        for e in (self.operand, self.in_bounds, self.update):
            _collect_loads(e, found)
        for i in self.index:
            for e in _idx_exprs(i):
                _collect_loads(e, found)
        return found

    def writes(self):
        return [self.out]

    def rename_writes(self, old, new):
        self.out = new if self.out is old else self.out

    def work(self):
        return _size(self.shape) + self.out.size

    def verify(self):
        _verify_schedule(self)
        _verify_loads(self.operand, self.out.shape, self.name)
        for e in (self.in_bounds, self.update):
            _verify_loads(e, self.shape, self.name)
        _verify_index(self.out, self.index, self.shape, self.name)

    def pp(self):
        return (f"scatter-{self.mode} {self.name} over ({','.join(map(str, self.shape))}) "
                f"{self.schedule}:\n"
                f"    {self.out.name} = {pp_expr(self.operand)}\n"
                f"    {self.out.name}[{','.join(map(pp_idx, self.index))}] {self.mode}= "
                f"{pp_expr(self.update)} if {pp_expr(self.in_bounds)}")


@dataclass(eq=False)
class Cumulative(Statement):
    """out = the running `reducer` ("add", "mul", "max", "min") of `expr` along `axis`
    (from the end when `reverse`); `expr` is indexed by out's loop variables. The lines
    along `axis` are independent: `schedule` says whether they run one after another."""
    name: str
    out: Buffer
    expr: Expr
    axis: int
    reducer: str
    reverse: bool = False
    schedule: str | None = None

    def reads(self):
        found = set()
        _collect_loads(self.expr, found)
        return found

    def writes(self):
        return [self.out]

    def rename_writes(self, old, new):
        self.out = new if self.out is old else self.out

    def work(self):
        return self.out.size

    def verify(self):
        _verify_schedule(self)
        _verify_loads(self.expr, self.out.shape, self.name)

    def pp(self):
        direction = " reverse" if self.reverse else ""
        return (f"cumulative {self.name} {self.reducer}{direction} along axis {self.axis} "
                f"{self.schedule}:\n    {self.out.name}[...] = {pp_expr(self.expr)}")


@dataclass(eq=False)
class Sort(Statement):
    """A stable sort of every line along `axis` of the outputs' shape.

    outs[k] at (..., j, ...) = operands[k] at (..., perm[j], ...), where perm orders the
    line by the first `num_keys` operands lexicographically, equal keys keeping their
    order. Operands are expressions over the loop variables of that shape, read with the
    axis variable at a position in the line. Floats order totally: `canonical` (lax.sort)
    makes -0.0 equal 0.0 and every NaN equal and last; otherwise (top_k) the order is by
    sign and bits, -NaN < -inf < ... < -0.0 < 0.0 < ... < inf < NaN. `descending`
    reverses the order, not the ties'. `scratch`, when the backend's sort needs one, is
    its working memory (`kernel_passes.merge_sort_scratch`: int64 (2, lines, n), each
    line's permutation and its merge buffer, so lines sort independently, in parallel).
    """
    name: str
    outs: list                    # Buffers, one per operand, all of one shape
    operands: list                # Exprs
    axis: int
    num_keys: int
    scratch: Buffer | None = None
    descending: bool = False
    canonical: bool = True

    @property
    def shape(self):
        return tuple(self.outs[0].shape)

    @property
    def n(self):
        return self.shape[self.axis]

    @property
    def lines(self):
        return _size(self.shape) // max(self.n, 1)

    def reads(self):
        found = set()
        for e in self.operands:
            _collect_loads(e, found)
        return found

    def writes(self):
        return [*self.outs] + ([self.scratch] if self.scratch is not None else [])

    def rename_writes(self, old, new):
        self.outs = [new if b is old else b for b in self.outs]

    def work(self):
        lines, per_line = self.parallel_loop()
        return lines * per_line

    def parallel_loop(self):  # lines, each n log n comparisons
        return self.lines, self.n * max(self.n.bit_length(), 1)

    def verify(self):
        for e in self.operands:
            _verify_loads(e, self.shape, self.name)
        if any(tuple(b.shape) != self.shape for b in self.outs) or self.scratch is not None and (
                self.scratch.dtype != np.int64 or tuple(self.scratch.shape) != (2, self.lines, self.n)):
            raise OutOfBoundsError(f"{self.name}: sort buffers do not match its shape {self.shape}")

    def pp(self):
        order = " descending" if self.descending else ""
        order += "" if self.canonical else " total-order"
        scratch = self.scratch.name if self.scratch is not None else "none"
        return (f"sort {self.name} along axis {self.axis} by {self.num_keys} key(s){order}, scratch "
                f"{scratch}:\n    {', '.join(b.name for b in self.outs)} = "
                f"{', '.join(map(pp_expr, self.operands))}")


@dataclass(eq=False)
class Linalg(Statement):
    """A linear-algebra routine applied to each of `batch` row-major matrices.

    `args` are buffers whose leading dims hold the batch; `signature()` gives each one's
    role (r: read, w: written, rw: updated in place), its per-matrix shape and whether it
    is int32 (else the floating dtype of args[0]). With k = min(m, n):

      cholesky (lower)          a (n,n) rw: its `lower` (else upper) triangle becomes L
                                (a = L L^T; L^T if upper), the other triangle is kept
      triangular_solve (left_side, lower, transpose_a, unit_diagonal)
                                a r: (m,m) if left_side else (n,n), read as LAPACK's trsm;
                                b (m,n) rw: becomes x with op(a) x = b (or x op(a) = b)
      lu                        a (n,n) rw: becomes L\\U, partial pivoting; pivots (n,) w:
                                0-based, row i swapped with pivots[i] at step i;
                                permutation (n,) w: a[permutation] = L U
      householder               a (m,n) rw: R on and above the diagonal, reflectors below;
                                tau (k,) w
      householder_q (k)         q (m,n) rw: the first k reflectors in its columns become
                                Q's first n columns; tau (k,) r
      eigh (lower)              a (n,n) rw: eigenvectors in its columns; w (n,) w: the
                                eigenvalues, ascending
      svd (full_matrices, compute_uv)  a (m,n) rw: destroyed; s (k,) w: descending;
                                with compute_uv u (m, m or k) w and vt (n or k, n) w

    Every op but triangular_solve also writes info (1,) int32, LAPACK's: 0 on success,
    < 0 for a rejected input (LAPACKE rejects NaNs), > 0 when the routine failed (not
    positive definite, no convergence; for lu, an exactly singular U, not a failure).
    """
    name: str
    op: str
    args: tuple
    batch: int
    m: int
    n: int
    params: tuple = ()      # sorted (name, value) pairs

    def signature(self):
        """(role, per-matrix shape, is_int32) of each arg, in order."""
        p, m, n = dict(self.params), self.m, self.n
        k, info = min(m, n), ("w", (1,), True)
        if self.op == "cholesky":
            return [("rw", (n, n), False), info]
        if self.op == "triangular_solve":
            side = m if p["left_side"] else n
            return [("r", (side, side), False), ("rw", (m, n), False)]
        if self.op == "lu":
            return [("rw", (n, n), False), ("w", (n,), True), ("w", (n,), True), info]
        if self.op == "householder":
            return [("rw", (m, n), False), ("w", (k,), False), info]
        if self.op == "householder_q":
            return [("rw", (m, n), False), ("r", (p["k"],), False), info]
        if self.op == "eigh":
            return [("rw", (n, n), False), ("w", (n,), False), info]
        if self.op == "svd":
            uv = [("w", (m, m if p["full_matrices"] else k), False),
                  ("w", (n if p["full_matrices"] else k, n), False)] if p["compute_uv"] else []
            return [("rw", (m, n), False), ("w", (k,), False), *uv, info]
        raise ValueError(f"unknown linalg op {self.op!r}")

    def reads(self):
        return {b for b, (role, _, _) in zip(self.args, self.signature()) if "r" in role}

    def writes(self):
        return [b for b, (role, _, _) in zip(self.args, self.signature()) if "w" in role]

    def rename_writes(self, old, new):
        self.args = tuple(new if b is old else b for b in self.args)

    def work(self):  # the work is LAPACK's; fx's own code loops over the batch
        return self.batch

    def verify(self):
        signature = self.signature()
        dtype = np.dtype(self.args[0].dtype)
        if len(signature) != len(self.args) or any(
                b.size != self.batch * _size(shape)
                or np.dtype(b.dtype) != (np.dtype(np.int32) if is_int else dtype)
                for b, (_, shape, is_int) in zip(self.args, signature)):
            raise OutOfBoundsError(f"{self.name}: {self.op} buffers do not match its signature")

    def pp(self):
        params = "".join(f" {k}={v}" for k, v in self.params)
        return (f"linalg {self.name}: {self.op}({', '.join(b.name for b in self.args)})  "
                f"(batch={self.batch} m={self.m} n={self.n}{params})")


@dataclass(eq=False)
class Callback(Statement):
    """Calls a Python function (`callback`, fx/lax/callback.py's) on the `inputs` as NumPy
    arrays; it writes its results into the `outputs`. `kind` is the primitive's name;
    `index` numbers the program's callbacks (0, 1, ...): compiled code calls back by
    number, so that object code cached on disk never holds a function's identity."""
    name: str
    kind: str
    callback: object
    inputs: tuple
    outputs: tuple
    index: int = 0

    def reads(self):
        return set(self.inputs)

    def writes(self):
        return list(self.outputs)

    def rename_writes(self, old, new):
        self.outputs = tuple(new if b is old else b for b in self.outputs)

    def work(self):
        return sum(b.size for b in self.inputs + self.outputs)

    def pp(self):
        results = f" -> {', '.join(b.name for b in self.outputs)}" if self.outputs else ""
        return (f"callback {self.name} #{self.index} {self.kind} {self.callback!r}"
                f"({', '.join(b.name for b in self.inputs)}){results}")


class _Structured(Statement):
    """A statement around blocks of statements (Loop, Branch)."""

    def reads(self):
        return set().union(*(s.reads() for block in self.blocks() for s in block))

    def writes(self):
        return list(dict.fromkeys(b for block in self.blocks() for s in block for b in s.writes()))

    def rename_writes(self, old, new):
        for block in self.blocks():
            for s in block:
                if old in s.writes():
                    s.rename_writes(old, new)

    def work(self):  # one run of every block
        return sum(s.work() for block in self.blocks() for s in block)


@dataclass(eq=False)
class Loop(_Structured):
    """Runs the statements of `body` again and again: `length` times when it is given,
    each iteration first writing its number (length - 1 minus it when `reverse`) into the
    int64 scalar `counter`; and, with a `pred`, only while the bool scalar `pred`, which
    the `cond` statements compute at the start of every iteration, is true.

    A loop's carries are buffers that its body reads, then overwrites for the next
    iteration; lowering orders the body so that no statement reads a buffer that an
    earlier one of the same iteration has overwritten.
    """
    name: str
    body: list
    length: int | None = None
    counter: Buffer | None = None
    reverse: bool = False
    cond: list = field(default_factory=list)
    pred: Buffer | None = None

    def blocks(self):
        return [self.cond, self.body]

    def reads(self):
        return super().reads() | ({self.pred} if self.pred is not None else set())

    def writes(self):
        counter = [self.counter] if self.counter is not None else []
        return list(dict.fromkeys(counter + super().writes()))

    def verify(self):
        if self.length is None and (self.pred is None or self.counter is not None):
            raise OutOfBoundsError(f"{self.name}: a loop needs a length or a predicate, and a "
                                   "counter only with a length")
        if self.counter is not None:
            _verify_scalar(self.counter, np.int64, "counter", self.name)
        if self.pred is not None:
            _verify_scalar(self.pred, np.bool_, "predicate", self.name)

    def pp(self):
        trips = f" {self.length} times" if self.length is not None else ""
        trips += f" while {self.pred.name}" if self.pred is not None else ""
        counter = f", counter {self.counter.name}" if self.counter is not None else ""
        lines = [f"loop {self.name}{trips}{counter}{' reverse' if self.reverse else ''}:"]
        if self.cond:
            lines += ["  condition:", *_pp_block(self.cond, 4), "  body:"]
        return "\n".join(lines + _pp_block(self.body, 4 if self.cond else 2))


@dataclass(eq=False)
class Branch(_Structured):
    """Runs the statements of bodies[index], the int32 scalar `index` clamped to
    [0, len(bodies) - 1]. Every body writes the same buffers."""
    name: str
    index: Buffer
    bodies: list

    def blocks(self):
        return self.bodies

    def reads(self):
        return super().reads() | {self.index}

    def verify(self):
        _verify_scalar(self.index, np.int32, "index", self.name)
        if not self.bodies:
            raise OutOfBoundsError(f"{self.name}: a branch needs at least one body")

    def pp(self):
        lines = [f"branch {self.name} on {self.index.name}:"]
        for k, body in enumerate(self.bodies):
            lines += [f"  case {k}:", *_pp_block(body, 4)]
        return "\n".join(lines)


def all_statements(body):
    """Every statement of a body, those inside loops and branches included (pre-order)."""
    for s in body:
        yield s
        for block in s.blocks():
            yield from all_statements(block)


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


@dataclass(eq=False)
class Program:
    """A compiled function's statements and buffers. With `excess_precision`, an Op of a
    16-bit float dtype may keep its float32 value until a store or a convert rounds it
    (config.allow_excess_precision); without, every such Op rounds its result."""
    inputs: list
    outputs: list                 # may repeat or alias inputs/consts (handled by the caller)
    consts: list
    temps: list
    body: list = field(default_factory=list)
    excess_precision: bool = True
    check_nans: bool = False     # debug_nans: stop at the first statement that writes a NaN
    check_infs: bool = False     # debug_infs: ... or an infinity
    profile: bool = False        # time each top-level statement (a backend's profile())

    def __str__(self):
        return pp_program(self)


def tree_size(expr):
    """Nodes of an expression, index expressions included, counted as a tree: a subtree
    shared by several parents once per parent, as printing and the passes that walk
    trees see it (index maps composed by reshapes share, so this can grow exponentially
    in their number). Computed over the shared structure, without recursion."""
    sizes, pending = {}, [expr]
    while pending:
        e = pending[-1]
        if id(e) in sizes:
            pending.pop()
            continue
        kids = list(_subnodes(e))
        missing = [c for c in kids if id(c) not in sizes]
        if missing:
            pending += missing
            continue
        pending.pop()
        sizes[id(e)] = 1 + sum(sizes[id(c)] for c in kids)
    return sizes[id(expr)]


def _subnodes(e):
    """The nodes (scalar or index expressions) directly inside a node."""
    for f in e._key():
        if isinstance(f, _Node):
            yield f
        elif isinstance(f, tuple):
            yield from (x for x in f if isinstance(x, _Node))


def loads(expr):
    """Every Load in an expression (indices included), in a stable order: each shared
    subexpression visited once, without recursion."""
    found, seen, pending = [], set(), [expr]
    while pending:
        e = pending.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, Load):
            found.append(e)
        pending += reversed(list(_children(e)))
    return found


def reindex(e, index):
    """An expression or index with loop variable k replaced by index[k] (an Idx)."""
    if isinstance(e, IVar):
        return index[e.k]
    if isinstance(e, IAdd):
        return iadd(reindex(e.a, index), reindex(e.b, index))
    if isinstance(e, (IMul, IDiv, IMod)):
        return type(e)(reindex(e.a, index), e.c)
    if isinstance(e, IClamp):
        return IClamp(reindex(e.a, index), e.lo, e.hi)
    if isinstance(e, IFromExpr):
        return IFromExpr(reindex(e.expr, index))
    if isinstance(e, Load):
        return Load(e.dtype, e.buffer, tuple(reindex(i, index) for i in e.index))
    if isinstance(e, IndexValue):
        return IndexValue(e.dtype, reindex(e.index, index))
    if isinstance(e, Op):
        node = Op(e.dtype, e.op, tuple(reindex(a, index) for a in e.args))
        if hasattr(e, "origin"):
            object.__setattr__(node, "origin", e.origin)
        return node
    return e  # IConst, Const


def _collect_loads(expr, found):
    """Every buffer an expression reads, including through indices (gathers)."""
    found.update(load.buffer for load in loads(expr))



# ---------------------------------------------------------------------------- bounds

class OutOfBoundsError(AssertionError):
    """Lowering produced an index it cannot prove in bounds: a bug, caught before codegen."""


def index_range(i, extents):
    """Inclusive (lo, hi) bounds of an index expression, given loop extents (interval
    arithmetic; None for an unbounded side, e.g. a value loaded from memory)."""
    if isinstance(i, IVar):
        return 0, extents[i.k] - 1
    if isinstance(i, IConst):
        return i.value, i.value
    if isinstance(i, IAdd):
        (a, b), (c, d) = index_range(i.a, extents), index_range(i.b, extents)
        return (None if a is None or c is None else a + c), (None if b is None or d is None else b + d)
    if isinstance(i, IMul):
        lo, hi = index_range(i.a, extents)
        lo, hi = (None if lo is None else lo * i.c), (None if hi is None else hi * i.c)
        return (lo, hi) if i.c >= 0 else (hi, lo)
    if isinstance(i, IDiv):
        lo, hi = index_range(i.a, extents)
        return (None if lo is None else lo // i.c), (None if hi is None else hi // i.c)
    if isinstance(i, IMod):
        return 0, i.c - 1
    if isinstance(i, IClamp):
        lo, hi = index_range(i.a, extents)
        return (i.lo if lo is None else min(max(lo, i.lo), i.hi)), (i.hi if hi is None else max(min(hi, i.hi), i.lo))
    if isinstance(i, IFromExpr):
        return None, None
    raise TypeError(i)


def verify_bounds(program: Program):
    """Check every statement: its indices against its buffers' shapes, its buffers
    against its own shape and kind."""
    for s in all_statements(program.body):
        s.verify()


def _verify_index(buffer, index, extents, where):
    for d, (i, n) in enumerate(zip(index, buffer.shape)):
        lo, hi = index_range(i, extents)
        if n and (lo is None or hi is None or lo < 0 or hi >= n):
            raise OutOfBoundsError(f"{where}: index {pp_idx(i)} of {buffer.name} axis {d} "
                                   f"spans [{lo}, {hi}], outside [0, {n - 1}]")


def _verify_loads(e, extents, where):
    for load in loads(e):
        _verify_index(load.buffer, load.index, extents, where)


def _verify_scalar(buffer, dtype, what, where):
    if buffer is None or tuple(buffer.shape) != () or np.dtype(buffer.dtype) != dtype:
        raise OutOfBoundsError(f"{where}: its {what} must be a {np.dtype(dtype).name} scalar buffer")


def uses_no_loop_vars(i):
    """Whether an index expression is the same at every point of a loop nest (it may
    still read memory, e.g. a loop counter)."""
    if isinstance(i, IVar):
        return False
    if isinstance(i, IFromExpr):
        return all(map(uses_no_loop_vars, _expr_indices(i.expr)))
    if isinstance(i, IAdd):
        return uses_no_loop_vars(i.a) and uses_no_loop_vars(i.b)
    if isinstance(i, (IMul, IDiv, IMod, IClamp)):
        return uses_no_loop_vars(i.a)
    return True


def _expr_indices(e):
    """The index expressions directly inside a scalar expression."""
    if isinstance(e, Load):
        yield from e.index
    elif isinstance(e, IndexValue):
        yield e.index
    elif isinstance(e, Op):
        for a in e.args:
            yield from _expr_indices(a)


def _children(e):
    """Sub-expressions, including those inside index expressions."""
    if isinstance(e, Op):
        yield from e.args
    elif isinstance(e, Load):
        for i in e.index:
            yield from _idx_exprs(i)
    elif isinstance(e, IndexValue):
        yield from _idx_exprs(e.index)


def _idx_exprs(i):
    """The scalar expressions (gathered values) inside an index expression, each shared
    subexpression visited once, without recursion."""
    seen, pending = set(), [i]
    while pending:
        j = pending.pop()
        if id(j) in seen:
            continue
        seen.add(id(j))
        if isinstance(j, IFromExpr):
            yield j.expr
        elif isinstance(j, IAdd):
            pending += [j.b, j.a]
        elif isinstance(j, (IMul, IDiv, IMod, IClamp)):
            pending.append(j.a)


# ---------------------------------------------------------------------------- printing

def _short(dtype):
    from fx.dtypes import short_name
    return short_name(np.dtype(dtype))


def pp_idx(i):
    if isinstance(i, IVar):
        return f"i{i.k}"
    if isinstance(i, IConst):
        return str(i.value)
    if isinstance(i, IAdd):
        return f"{pp_idx(i.a)}+{pp_idx(i.b)}"
    if isinstance(i, IMul):
        return f"{pp_idx(i.a)}*{i.c}" if not isinstance(i.a, IAdd) else f"({pp_idx(i.a)})*{i.c}"
    if isinstance(i, IDiv):
        return f"({pp_idx(i.a)})//{i.c}"
    if isinstance(i, IMod):
        return f"({pp_idx(i.a)})%{i.c}"
    if isinstance(i, IClamp):
        return f"clamp({pp_idx(i.a)},{i.lo},{i.hi})"
    if isinstance(i, IFromExpr):
        return f"int({pp_expr(i.expr)})"
    raise TypeError(i)


def pp_expr(e):
    if isinstance(e, Load):
        return f"{e.buffer.name}[{','.join(map(pp_idx, e.index))}]"
    if isinstance(e, Const):
        return f"{e.value!r}:{_short(e.dtype)}"
    if isinstance(e, IndexValue):
        return f"idx:{_short(e.dtype)}({pp_idx(e.index)})"
    if isinstance(e, Op):
        suffix = f":{_short(e.dtype)}" if e.op == "convert" else ""
        return f"{e.op}{suffix}({', '.join(map(pp_expr, e.args))})"
    raise TypeError(e)


def _buf_decl(b):
    return f"{b.name}:{_short(b.dtype)}[{','.join(map(str, b.shape))}]"


def _pp_block(body, indent):
    return [" " * indent + line for s in body for line in s.pp().split("\n")]


def pp_program(p: Program, sources=False) -> str:
    """The program's text (complete: the disk cache keys object code by it); with
    `sources`, each top-level statement's first line ends with the source lines it
    computes (not part of the key: editing a file must not invalidate its code)."""
    text = _pp_program(p)
    if not sources:
        return text
    lines = text.split("\n")
    heads = {s.pp().split("\n")[0]: s for s in p.body}
    return "\n".join(line + (f"  # {', '.join(map(str, heads[line].sources))}"
                             if line in heads and heads[line].sources else "") for line in lines)


def _pp_program(p: Program) -> str:
    slots = {}
    for t in p.temps:
        slots.setdefault(t.slot, []).append(t.name)
    lines = [f"inputs: {', '.join(map(_buf_decl, p.inputs))}",
             f"outputs: {', '.join(map(_buf_decl, p.outputs))}"]  # the key needs their dtypes
    if not p.excess_precision:
        lines.append("16-bit floats: rounded after every op")
    if p.check_nans or p.check_infs:
        lines.append("checks: " + ", ".join(k for k, on in (("nan", p.check_nans), ("inf", p.check_infs)) if on))
    if p.profile:
        lines.append("profile: each top-level statement timed")
    if p.consts:
        lines.append(f"consts: {', '.join(map(_buf_decl, p.consts))}")
    if p.temps:
        lines.append(f"temps: {', '.join(map(_buf_decl, p.temps))}")
        lines.append("buffer plan: " + "; ".join(f"slot {k}: {', '.join(v)}" for k, v in sorted(slots.items())))
    lines += [s.pp() for s in p.body]
    return "\n".join(lines)
