"""Kernel-program statements as Python source of numba.cuda kernels.

Every buffer reaches a kernel as a flat 1-D device array, indexed row-major by the
statement's index expressions, so a temporary can be a slice of the workspace.
Expressions become straight-line assignments, one per distinct subexpression (trees
share subtrees; emitting them once keeps the source linear in the program's size).

- An elementwise kernel is a grid-stride loop over its flattened output.
- A reduction runs one block per output (blocks stride over the outputs): its threads
  stride over the reduction, then combine their partial results in shared memory as a
  tree, so a row reduction (softmax, layer norm) reads each row with a whole block. A
  short reduction (a convolution's window) runs a thread per output instead.
- A cumulative reduction runs one thread per line (`K.CONCURRENT`).
- A sort runs a block per line (a bitonic network in shared memory) for lines of 64 to
  2,048, else a thread per line (a stable merge sort in the statement's scratch).
- A scatter runs in one block: the operand copied by all its threads, then the updates
  added by all of them with atomics (a scatter-add), or applied in order by one.
- A gemm is tiled: a block per tile of outputs, strips of both operands staged in shared
  memory (cuBLAS comes later).
"""
from __future__ import annotations

import numpy as np

from fx.backends.cuda import simulated
from fx.backends.cuda.scalar import op_source, type_name
from fx.ir import kernels as K


class _Writer:
    """Lines of a function body, indented."""

    def __init__(self):
        self.lines, self.depth = [], 1

    def __call__(self, line):
        self.lines.append("    " * self.depth + line)

    def indent(self):
        self.depth += 1

    def dedent(self):
        self.depth -= 1


class _Expressions:
    """Writes index and scalar expressions as assignments to fresh names, each distinct
    subexpression once (per loop level: names bound inside a loop stay inside it)."""

    def __init__(self, write, params, loop_vars, prefix="v"):
        self.write, self.params, self.loop_vars, self.prefix = write, params, loop_vars, prefix
        self.names, self.count = {}, 0

    def _bind(self, key, source):
        if key not in self.names:
            self.count += 1
            name = f"{self.prefix}{self.count}"
            self.write(f"{name} = {source}")
            self.names[key] = name
        return self.names[key]

    def idx(self, i):
        if isinstance(i, K.IVar):
            return self.loop_vars[i.k]
        if isinstance(i, K.IConst):
            return str(i.value)
        if i in self.names:
            return self.names[i]
        if isinstance(i, K.IAdd):
            source = f"{self.idx(i.a)} + {self.idx(i.b)}"
        elif isinstance(i, K.IMul):
            source = f"{self.idx(i.a)} * {i.c}"
        elif isinstance(i, K.IDiv):
            source = f"{self.idx(i.a)} // {i.c}"
        elif isinstance(i, K.IMod):
            source = f"{self.idx(i.a)} % {i.c}"
        elif isinstance(i, K.IClamp):
            a = self.idx(i.a)  # (numba types min/max of literals through a device function)
            source = f"({i.lo} if {a} < {i.lo} else {i.hi} if {a} > {i.hi} else {a})"
        elif isinstance(i, K.IFromExpr):
            source = f"i64({self.expr(i.expr)})"
        else:
            raise TypeError(i)
        return self._bind(i, source)

    def flat(self, buffer, index):
        """The element offset of `index` in row-major `buffer`."""
        terms = [f"{self.idx(i)} * {s}" if s != 1 else self.idx(i)
                 for i, s in zip(index, buffer.strides()) if buffer.shape]
        return " + ".join(terms) or "0"

    def expr(self, e):
        if e in self.names:
            return self.names[e]
        if isinstance(e, K.Load):
            source = f"{self.params[e.buffer]}[{self.flat(e.buffer, e.index)}]"
        elif isinstance(e, K.Const):
            source = _constant(e.value, e.dtype)
        elif isinstance(e, K.IndexValue):
            source = f"{type_name(e.dtype)}({self.idx(e.index)})"
        elif isinstance(e, K.Op):
            args = [self.expr(a) for a in e.args]
            source = op_source(e.op, args, [a.dtype for a in e.args], e.dtype)
        else:
            raise TypeError(e)
        return self._bind(e, source)

    def store(self, buffer, index, value):
        self.write(f"{self.params[buffer]}[{self.flat(buffer, index)}] = {value}")


def _constant(value, dtype):
    t = type_name(dtype)
    if np.dtype(dtype).kind == "f" and not np.isfinite(value):
        return f"{t}({'np.nan' if np.isnan(value) else ('np.inf' if value > 0 else '-np.inf')})"
    return f"{t}({value!r})"


def _unflatten(write, flat, shape, names):
    """Assign loop variables `names` from a row-major flat index over `shape`."""
    if not shape:
        return
    rest = flat
    for k in reversed(range(1, len(shape))):
        write(f"{names[k]} = {rest} % {shape[k]}")
        write(f"rest_{k} = {rest} // {shape[k]}")
        rest = f"rest_{k}"
    write(f"{names[0]} = {rest}")



def _shared_arrays(w, declarations):
    """Declare a block's shared arrays. numba's simulator creates each on the first call
    of its line without a lock, so threads racing to that call can each get an array of
    their own (a wrong gemm now and then); there the declarations run twice with a
    barrier between, and the second time every thread gets the array that was kept."""
    if not simulated():
        for line in declarations:
            w(line)
        return
    w("for declaration in range(2):")
    w.indent()
    for line in declarations:
        w(line)
    w("cuda.syncthreads()")
    w.dedent()

def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


# ---------------------------------------------------------------------------- kernels

REDUCE_INIT = {"add": "0", "mul": "1"}


def _init(reducer, dtype):
    dtype = np.dtype(dtype)
    t = type_name(dtype)
    if reducer in REDUCE_INIT:
        return f"{t}({REDUCE_INIT[reducer]})"
    high = reducer in ("min", "argmin")
    if dtype == np.bool_:
        return f"{t}({high})"
    if dtype.kind == "f":
        return f"{t}({'np.inf' if high else '-np.inf'})"
    info = np.iinfo(dtype)
    return f"{t}({info.max if high else info.min})"


def _combine(reducer, acc, x, dtype):
    t = type_name(dtype)
    if np.dtype(dtype) == np.bool_:
        return f"({acc} or {x})" if reducer == "max" else f"({acc} and {x})"
    if reducer in ("add", "mul"):
        return f"{t}({acc} {'+' if reducer == 'add' else '*'} {x})"
    return op_source(reducer, [acc, x], [dtype, dtype], dtype)


def _better(reducer, best, x, best_i, i, dtype):
    """Whether (x, i) replaces (best, best_i): the extremum, NaN first, then the first index."""
    cmp = ">" if reducer == "argmax" else "<"
    if np.dtype(dtype).kind == "f":
        return (f"(({x} {cmp} {best} or ({x} != {x} and {best} == {best})) or "
                f"(({x} == {best} or ({x} != {x} and {best} != {best})) and {i} < {best_i}))")
    return f"({x} {cmp} {best} or ({x} == {best} and {i} < {best_i}))"


def kernel_source(name, k: K.Kernel, params, block):
    """A numba.cuda kernel `name` for Kernel `k`; `params` names its buffers."""
    w = _Writer()
    n_out, extents = len(k.shape), tuple(k.shape) + tuple(k.reduce_shape)
    loop_vars = [f"i{d}" for d in range(len(extents))]
    if k.reducer is None:
        w("for flat in range(cuda.grid(1), {}, cuda.gridsize(1)):".format(_size(k.shape)))
        w.indent()
        _unflatten(w, "flat", k.shape, loop_vars)
        ex = _Expressions(w, params, loop_vars)
        values = [(b, ex.expr(e)) for b, e in k.outputs]  # every value before any store
        for b, v in values:
            ex.store(b, k.store_index if k.store_index is not None else K.loop_index(n_out), v)
        return _function(name, params, w)
    if len(k.outputs) != 1:
        raise NotImplementedError(f"{k.name}: a reduction of several outputs")
    if thread_per_output(k):
        return _thread_per_output_reduction(name, k, params)
    buf, dtype = k.outputs[0][0], np.dtype(k.outputs[0][1].dtype)
    arg = k.reducer in ("argmax", "argmin")
    rsize = _size(k.reduce_shape)
    _shared_arrays(w, [f"partial = cuda.shared.array({block}, {type_name(dtype)})"]
                   + ([f"partial_index = cuda.shared.array({block}, i64)"] if arg else []))
    w("tid = cuda.threadIdx.x")
    w(f"for out in range(cuda.blockIdx.x, {_size(k.shape)}, cuda.gridDim.x):")
    w.indent()
    _unflatten(w, "out", k.shape, loop_vars)
    _accumulate(w, k, params, loop_vars, f"range(tid, {rsize}, {block})")
    w("partial[tid] = acc")
    if arg:
        w("partial_index[tid] = acc_index")
    w("cuda.syncthreads()")
    w(f"step = {block // 2}")
    w("while step > 0:")
    w.indent()
    w("if tid < step:")
    w.indent()
    if arg:
        other = ("partial[tid + step]", "partial_index[tid + step]")
        w(f"if {_better(k.reducer, 'partial[tid]', other[0], 'partial_index[tid]', other[1], dtype)}:")
        w(f"    partial[tid] = {other[0]}")
        w(f"    partial_index[tid] = {other[1]}")
    else:
        w(f"partial[tid] = {_combine(k.reducer, 'partial[tid]', 'partial[tid + step]', dtype)}")
    w.dedent()
    w("cuda.syncthreads()")
    w("step //= 2")
    w.dedent()
    w("if tid == 0:")
    result = (f"{type_name(buf.dtype)}(0 if partial_index[0] == {rsize} else partial_index[0])"
              if arg else "partial[0]")
    w(f"    {params[buf]}[{_Expressions(w, params, loop_vars).flat(buf, K.loop_index(n_out))}] = {result}")
    w("cuda.syncthreads()")
    return _function(name, params, w)


SHORT_REDUCTION = 64  # elements: below this a block's threads would mostly idle


def thread_per_output(k: K.Kernel):
    """Whether reduction kernel `k` runs a thread per output, reducing sequentially (short
    reductions: a convolution's window, a small axis), rather than a block per output."""
    return _size(k.reduce_shape) < SHORT_REDUCTION


def _thread_per_output_reduction(name, k: K.Kernel, params):
    buf = k.outputs[0][0]
    arg = k.reducer in ("argmax", "argmin")
    n_out, rsize = len(k.shape), _size(k.reduce_shape)
    loop_vars = [f"i{d}" for d in range(n_out + len(k.reduce_shape))]
    w = _Writer()
    w(f"for out in range(cuda.grid(1), {_size(k.shape)}, cuda.gridsize(1)):")
    w.indent()
    _unflatten(w, "out", k.shape, loop_vars)
    _accumulate(w, k, params, loop_vars, f"range({rsize})")
    result = (f"{type_name(buf.dtype)}(0 if acc_index == {rsize} else acc_index)" if arg else "acc")
    _Expressions(w, params, loop_vars).store(buf, K.loop_index(n_out), result)
    return _function(name, params, w)


def _accumulate(w, k: K.Kernel, params, loop_vars, terms):
    """Lines folding the terms `terms` (a range over the flat reduction index r) into
    `acc` (and `acc_index` for argmax/argmin), storing each term's side outputs."""
    expr, dtype = k.outputs[0][1], np.dtype(k.outputs[0][1].dtype)
    arg = k.reducer in ("argmax", "argmin")
    w(f"acc = {_init(k.reducer, dtype)}")
    if arg:
        w(f"acc_index = i64({_size(k.reduce_shape)})")
    w(f"for r in {terms}:")
    w.indent()
    _unflatten(w, "r", k.reduce_shape, loop_vars[len(k.shape):])
    ex = _Expressions(w, params, loop_vars)
    x = ex.expr(expr)
    for side, index in k.side_outputs:
        ex.store(side, index, x)
    if arg:
        w(f"if {_better(k.reducer, 'acc', x, 'acc_index', 'r', dtype)}:")
        w(f"    acc = {x}")
        w("    acc_index = r")
    else:
        w(f"acc = {_combine(k.reducer, 'acc', x, dtype)}")
    w.dedent()


def cumulative_source(name, c: K.Cumulative, params):
    """One thread per line along the axis, carrying the running value."""
    shape, axis = tuple(c.out.shape), c.axis
    n, dtype = shape[axis], np.dtype(c.expr.dtype)
    others = shape[:axis] + shape[axis + 1:]
    loop_vars = [f"i{d}" for d in range(len(shape))]
    w = _Writer()
    w(f"for line in range(cuda.grid(1), {_size(others)}, cuda.gridsize(1)):")
    w.indent()
    _unflatten(w, "line", others, loop_vars[:axis] + loop_vars[axis + 1:])
    w(f"acc = {_init(c.reducer, dtype)}")
    w(f"for j in range({n}):")
    w.indent()
    w(f"{loop_vars[axis]} = {f'{n - 1} - j' if c.reverse else 'j'}")
    ex = _Expressions(w, params, loop_vars)
    w(f"acc = {_combine(c.reducer, 'acc', ex.expr(c.expr), dtype)}")
    ex.store(c.out, K.loop_index(len(shape)), "acc")
    return _function(name, params, w)


def gemm_source(name, g: K.Gemm, params, tile):
    """A tiled product: each block computes `tile` x `tile` outputs of one batch entry
    (blocks stride over the tiles), staging `tile`-wide strips of op(lhs) and op(rhs) in
    shared memory so each element read from global memory serves `tile` products. Threads
    outside the matrix load zeros and store nothing; every thread reaches every barrier.
    The operands' offsets are evaluated in the kernel (a loop's gemm reads its counter)."""
    lhs, rhs, out = (params[b] for b in (g.lhs, g.rhs, g.out))
    t = type_name(g.out.dtype)
    tiles_m, tiles_n = -(-g.m // tile), -(-g.n // tile)
    w = _Writer()
    ex = _Expressions(w, params, [])
    at = [ex.idx(o) for o in g.offsets]
    a_at = (f"{at[0]} + b * {g.m * g.k} + " +
            ("p * {m} + i".format(m=g.m) if g.trans_lhs else "i * {k} + p".format(k=g.k)))
    b_at = (f"{at[1]} + b * {g.k * g.n} + " +
            ("j * {k} + p".format(k=g.k) if g.trans_rhs else "p * {n} + j".format(n=g.n)))
    _shared_arrays(w, [f"lhs_tile = cuda.shared.array(({tile}, {tile}), {t})",
                       f"rhs_tile = cuda.shared.array(({tile}, {tile}), {t})"])
    w(f"tx = cuda.threadIdx.x % {tile}")
    w(f"ty = cuda.threadIdx.x // {tile}")
    w(f"for tile_index in range(cuda.blockIdx.x, {g.batch * tiles_m * tiles_n}, cuda.gridDim.x):")
    w.indent()
    w(f"b = tile_index // {tiles_m * tiles_n}")
    w(f"row = (tile_index // {tiles_n}) % {tiles_m} * {tile} + ty")
    w(f"col = tile_index % {tiles_n} * {tile} + tx")
    w(f"acc = {t}(0)")
    w(f"for strip in range(0, {g.k}, {tile}):")
    w.indent()
    w("i, p = row, strip + tx")  # this thread's element of the lhs strip
    w(f"lhs_tile[ty, tx] = {lhs}[{a_at}] if i < {g.m} and p < {g.k} else {t}(0)")
    w("p, j = strip + ty, col")  # and of the rhs strip
    w(f"rhs_tile[ty, tx] = {rhs}[{b_at}] if p < {g.k} and j < {g.n} else {t}(0)")
    w("cuda.syncthreads()")
    w(f"for q in range({tile}):")
    w(f"    acc = {t}(acc + lhs_tile[ty, q] * rhs_tile[q, tx])")
    w("cuda.syncthreads()")
    w.dedent()
    w(f"if row < {g.m} and col < {g.n}:")
    o = f"{at[2]} + b * {g.m * g.n} + row * {g.n} + col"
    w(f"    {out}[{o}] = {t}({out}[{o}] + acc)" if g.accumulate else f"    {out}[{o}] = acc")
    return _function(name, params, w)



ATOMIC_ADD = frozenset(map(np.dtype, (np.float32, np.float64, np.int32, np.int64, np.uint32,
                                      np.uint64)))  # the dtypes cuda.atomic.add takes


def scatter_schedule(sc: K.Scatter):
    """K.CONCURRENT for a scatter-add the GPU can add atomically, else K.SEQUENTIAL."""
    concurrent = sc.mode == "add" and np.dtype(sc.out.dtype) in ATOMIC_ADD
    return K.CONCURRENT if concurrent else K.SEQUENTIAL


def scatter_source(name, sc: K.Scatter, params, block):
    """One block: its threads write the operand into the output, then, after a barrier,
    apply the updates: all of them at once with atomic adds (`K.CONCURRENT`), or its first
    thread in order (`K.SEQUENTIAL`: the last update of a position wins, float sums are
    deterministic). Updates outside the array are dropped."""
    out, dtype = sc.out, np.dtype(sc.out.dtype)
    w = _Writer()
    w("tid = cuda.threadIdx.x")
    w(f"for flat in range(tid, {out.size}, {block}):")
    w.indent()
    out_vars = [f"o{d}" for d in range(len(out.shape))]
    _unflatten(w, "flat", out.shape, out_vars)
    w(f"{params[out]}[flat] = {_Expressions(w, params, out_vars).expr(sc.operand)}")
    w.dedent()
    w("cuda.syncthreads()")
    concurrent = sc.schedule == K.CONCURRENT
    if concurrent:
        w(f"for u in range(tid, {_size(sc.shape)}, {block}):")
    else:
        w("if tid == 0:")
        w.indent()
        w(f"for u in range({_size(sc.shape)}):")
    w.indent()
    loop_vars = [f"i{d}" for d in range(len(sc.shape))]
    _unflatten(w, "u", sc.shape, loop_vars)
    ex = _Expressions(w, params, loop_vars)
    w(f"if {ex.expr(sc.in_bounds)}:")
    w.indent()
    value = ex.expr(sc.update)
    w(f"at = {ex.flat(out, sc.index)}")
    if concurrent:
        w(f"cuda.atomic.add({params[out]}, at, {value})")
    else:
        new = value if sc.mode == "set" else _combine(sc.mode, f"{params[out]}[at]", value, dtype)
        w(f"{params[out]}[at] = {new}")
    return _function(name, params, w)


def sort_source(name, st: K.Sort, params):
    """A thread per line: a stable bottom-up merge sort of the line's positions in the
    statement's scratch (its permutation and merge buffer, `kernel_passes.merge_sort_scratch`),
    comparing the keys' values at two positions, then the operands gathered in that order."""
    shape, axis, n, lines = st.shape, st.axis, st.n, st.lines
    scratch = params[st.scratch]
    loop_vars = [f"i{d}" for d in range(len(shape))]
    w = _Writer()
    w(f"for line in range(cuda.grid(1), {lines}, cuda.gridsize(1)):")
    w.indent()
    _unflatten(w, "line", shape[:axis] + shape[axis + 1:], loop_vars[:axis] + loop_vars[axis + 1:])
    w(f"base = line * {n}")
    w(f"for j in range({n}):")
    w(f"    {scratch}[base + j] = j")
    w(f"src, dst, width = 0, {lines * n}, 1")
    w(f"while width < {n}:")
    w.indent()
    w(f"for lo in range(0, {n}, 2 * width):")
    w.indent()
    w(f"mid = lo + width if lo + width < {n} else {n}")
    w(f"hi = lo + 2 * width if lo + 2 * width < {n} else {n}")
    w("left, right = lo, mid")
    w("for k in range(lo, hi):")
    w.indent()
    w("take_right = right < hi")  # ... unless the left run still has one at least as small
    w("if take_right and left < mid:")
    w.indent()
    w(f"{loop_vars[axis]} = {scratch}[src + base + right]")
    at_right = _Expressions(w, params, loop_vars, "r")
    a = [at_right.expr(e) for e in st.operands[:st.num_keys]]
    w(f"{loop_vars[axis]} = {scratch}[src + base + left]")
    at_left = _Expressions(w, params, loop_vars, "l")
    b = [at_left.expr(e) for e in st.operands[:st.num_keys]]
    w(f"take_right = {_lexicographic_less(w, a, b, st)}")
    w.dedent()
    w("if take_right:")
    w(f"    {scratch}[dst + base + k] = {scratch}[src + base + right]")
    w("    right += 1")
    w("else:")
    w(f"    {scratch}[dst + base + k] = {scratch}[src + base + left]")
    w("    left += 1")
    w.dedent()
    w.dedent()
    w("src, dst, width = dst, src, width * 2")
    w.dedent()
    w(f"for j in range({n}):")
    w.indent()
    w(f"{loop_vars[axis]} = {scratch}[src + base + j]")
    ex = _Expressions(w, params, loop_vars)
    values = [ex.expr(e) for e in st.operands]
    at = _Expressions(w, params, loop_vars[:axis] + ["j"] + loop_vars[axis + 1:], "s")
    for out, value in zip(st.outs, values):
        at.store(out, K.loop_index(len(shape)), value)
    return _function(name, params, w)


BITONIC_MAX = 2048  # line length up to which a sort runs a block per line (shared memory)


def bitonic(st: K.Sort):
    """Whether Sort `st` runs a block per line (a bitonic sort in shared memory): lines
    long enough to need many threads, short enough for shared memory."""
    return SHORT_REDUCTION <= st.n <= BITONIC_MAX


def bitonic_sort_source(name, st: K.Sort, params, block):
    """A block per line: the block sorts the line's positions, padded to a power of two,
    in shared memory with a bitonic network, then gathers the operands in that order. Ties
    go by position, so the sort is stable; padding sorts last."""
    shape, axis, n = st.shape, st.axis, st.n
    size = 1 << (n - 1).bit_length()
    loop_vars = [f"i{d}" for d in range(len(shape))]
    w = _Writer()
    _shared_arrays(w, [f"perm = cuda.shared.array({size}, i64)"])
    w("tid = cuda.threadIdx.x")
    w(f"for line in range(cuda.blockIdx.x, {st.lines}, cuda.gridDim.x):")
    w.indent()
    _unflatten(w, "line", shape[:axis] + shape[axis + 1:], loop_vars[:axis] + loop_vars[axis + 1:])
    w(f"for t in range(tid, {size}, {block}):")
    w("    perm[t] = t")
    w("cuda.syncthreads()")
    w("k = 2")
    w(f"while k <= {size}:")
    w.indent()
    w("j = k // 2")
    w("while j > 0:")
    w.indent()
    w(f"for t in range(tid, {size}, {block}):")
    w.indent()
    w("partner = t ^ j")
    w("if partner > t:")
    w.indent()
    w("x, y = perm[t], perm[partner]")
    # y_first: whether y belongs before x (padding last; ties by position)
    w(f"if x >= {n} or y >= {n}:")
    w("    y_first = y < x")
    w("else:")
    w.indent()
    w(f"{loop_vars[axis]} = y")
    at_y = _Expressions(w, params, loop_vars, "y")
    ys = [at_y.expr(e) for e in st.operands[:st.num_keys]]
    w(f"{loop_vars[axis]} = x")
    at_x = _Expressions(w, params, loop_vars, "x")
    xs = [at_x.expr(e) for e in st.operands[:st.num_keys]]
    w(f"y_before = {_lexicographic_less(w, ys, xs, st)}")
    w(f"x_before = {_lexicographic_less(w, xs, ys, st)}")
    w("y_first = y_before or (not x_before and y < x)")
    w.dedent()
    w("if y_first == ((t & k) == 0):")  # ascending runs put the first one at t
    w("    perm[t], perm[partner] = y, x")
    w.dedent()
    w.dedent()
    w("cuda.syncthreads()")
    w("j //= 2")
    w.dedent()
    w("k *= 2")
    w.dedent()
    w(f"for j in range(tid, {n}, {block}):")
    w.indent()
    w(f"{loop_vars[axis]} = perm[j]")
    ex = _Expressions(w, params, loop_vars)
    values = [ex.expr(e) for e in st.operands]
    at = _Expressions(w, params, loop_vars[:axis] + ["j"] + loop_vars[axis + 1:], "s")
    for out, value in zip(st.outs, values):
        at.store(out, K.loop_index(len(shape)), value)
    w.dedent()
    w("cuda.syncthreads()")
    return _function(name, params, w)


def _lexicographic_less(w, a, b, st: K.Sort):
    """An expression: whether the keys `a` come strictly before the keys `b` in the sort's
    order (each key's before/after computed into names first)."""
    result = "False"
    for k in reversed(range(len(a))):
        before, after = _key_order(w, a[k], b[k], np.dtype(st.operands[k].dtype), st.canonical, k)
        if st.descending:
            before, after = after, before
        result = f"({before} or (not {after} and {result}))"
    return result


def _key_order(w, x, y, dtype, canonical, k):
    """Names of (x strictly before y, y strictly before x) in a key's total order:
    canonical floats put every NaN last, equal to each other, and -0.0 equal to 0.0; other
    floats order -NaN < -inf < ... < -0.0 < 0.0 < ... < inf < NaN (NaN payloads tie)."""
    lt, gt = f"lt{k}", f"gt{k}"
    if dtype.kind != "f":
        w(f"{lt}, {gt} = {x} < {y}, {y} < {x}")
        return lt, gt
    w(f"xn{k}, yn{k} = {x} != {x}, {y} != {y}")
    if canonical:
        w(f"{lt} = (yn{k} and not xn{k}) or (not xn{k} and not yn{k} and {x} < {y})")
        w(f"{gt} = (xn{k} and not yn{k}) or (not xn{k} and not yn{k} and {y} < {x})")
        return lt, gt
    # a class (0: -NaN, 1: a number, 2: +NaN), then the value, then the sign (-0.0 < 0.0)
    w(f"xs{k}, ys{k} = math.copysign(1.0, {x}), math.copysign(1.0, {y})")
    w(f"xc{k} = (0 if xs{k} < 0 else 2) if xn{k} else 1")
    w(f"yc{k} = (0 if ys{k} < 0 else 2) if yn{k} else 1")
    w(f"{lt} = xc{k} < yc{k} or (xc{k} == 1 and yc{k} == 1 and ({x} < {y} or ({x} == {y} and xs{k} < ys{k})))")
    w(f"{gt} = yc{k} < xc{k} or (xc{k} == 1 and yc{k} == 1 and ({y} < {x} or ({x} == {y} and ys{k} < xs{k})))")
    return lt, gt

def _function(name, params, w):
    return f"def {name}({', '.join(params.values())}):\n" + "\n".join(w.lines) + "\n"
