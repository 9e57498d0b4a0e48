"""A NumPy evaluator of the kernel program: the reference every backend is checked
against at this level, and a readable statement of what each statement means.

Each statement runs whole-array: a kernel's loop nest becomes one broadcast grid of loop
variables, its expression one NumPy expression over that grid. Temporaries live in one
workspace at their buffer plan's slots, as in compiled code, so a plan that lets two live
buffers share memory gives wrong answers here too. Float sums are NumPy's (pairwise), so
they agree with a backend's to rounding, not bit for bit.
"""
from __future__ import annotations

import math

import numpy as np

from fx import dtypes
from fx.ir import kernels as K
from fx.ir.workspace import slot_offsets


def evaluate(program: K.Program, inputs) -> list[np.ndarray]:
    """The program's outputs for `inputs` (one array per program input)."""
    buffers = {b: np.asarray(x, b.dtype).reshape(b.shape) for b, x in zip(program.inputs, inputs)}
    buffers.update((c, np.asarray(c.value, c.dtype).reshape(c.shape)) for c in program.consts)
    offsets, total = slot_offsets(program)
    workspace = np.zeros(total, np.uint8)
    for t in program.temps:
        start = offsets[t.slot]
        buffers[t] = workspace[start:start + t.nbytes].view(t.dtype).reshape(t.shape)
    for b in program.outputs:
        if b not in buffers:
            buffers[b] = np.zeros(b.shape, b.dtype)
    _Evaluator(buffers).block(program.body)
    return [buffers[b].copy() for b in program.outputs]


def expressions(buffers, extents):
    """An evaluator of expressions over the loop nest `extents` (`buffers`: Buffer ->
    array): `.expr(node)` is the node's value at every point (broadcastable to
    `extents`), each subexpression computed once and kept."""
    return _Evaluator(buffers).expressions(extents)


def run_statement(stmt: K.Statement, buffers):
    """Run one statement on host arrays (`buffers`: Buffer -> array of its shape), as a
    backend without a native form of it may."""
    _Evaluator(buffers).block([stmt])


class _Evaluator:
    def __init__(self, buffers):
        self.buffers = buffers

    def block(self, statements):
        for s in statements:
            getattr(self, type(s).__name__.lower())(s)

    # -- expressions over a grid of loop variables ------------------------------------
    def grid(self, extents):
        """Loop variable k as an int64 array along axis k, broadcastable over `extents`."""
        n = len(extents)
        return [np.arange(e, dtype=np.int64).reshape([e if d == k else 1 for d in range(n)])
                for k, e in enumerate(extents)]

    def values(self, expr, extents):
        """An expression's value at every point of the loop nest `extents`."""
        return np.broadcast_to(self.expressions(extents).expr(expr), extents)

    def expressions(self, extents):
        """An evaluator of expressions over the loop nest `extents`: `.expr(node)` is the
        node's value there (broadcastable to `extents`), each subexpression computed once."""
        return _Expressions(self.buffers, self.grid(extents))

    def indices(self, index, extents):
        ex = _Expressions(self.buffers, self.grid(extents))
        return tuple(np.broadcast_to(ex.idx(i), extents) for i in index)

    # -- statements ---------------------------------------------------------------
    def kernel(self, k: K.Kernel):
        extents = tuple(k.shape) + tuple(k.reduce_shape)
        results = []
        for buf, expr in k.outputs:  # every output from the values before any store
            x = self.values(expr, extents)
            for side, index in k.side_outputs:
                self.buffers[side][self.indices(index, extents)] = x
            results.append((buf, _reduce(x, k.reducer, len(k.shape), buf.dtype) if k.reducer else x))
        for buf, x in results:
            if k.store_index is None:
                self.buffers[buf][...] = x
            else:
                self.buffers[buf][self.indices(k.store_index, tuple(k.shape))] = x

    def gemm(self, g: K.Gemm):
        at = [int(_Expressions(self.buffers, []).idx(o)) for o in g.offsets]

        def operand(buf, offset, rows, cols, transposed):
            flat = self.buffers[buf].reshape(-1)[offset:offset + g.batch * rows * cols]
            return flat.reshape(g.batch, cols, rows).transpose(0, 2, 1) if transposed else \
                flat.reshape(g.batch, rows, cols)
        product = np.matmul(operand(g.lhs, at[0], g.m, g.k, g.trans_lhs),
                            operand(g.rhs, at[1], g.k, g.n, g.trans_rhs))
        out = self.buffers[g.out].reshape(-1)[at[2]:at[2] + g.batch * g.m * g.n].reshape(g.batch, g.m, g.n)
        out[...] = out + product if g.accumulate else product

    def scatter(self, s: K.Scatter):
        out = self.buffers[s.out]
        out[...] = self.values(s.operand, tuple(s.out.shape))
        shape = tuple(s.shape)
        keep = self.values(s.in_bounds, shape).reshape(-1)
        index = tuple(i.reshape(-1)[keep] for i in self.indices(s.index, shape))
        updates = self.values(s.update, shape).reshape(-1)[keep]
        if s.mode == "set":  # in update order: the last update of a position wins
            out[index] = updates
        else:
            _SCATTER[s.mode].at(out, index, updates)

    def cumulative(self, c: K.Cumulative):
        x = self.values(c.expr, tuple(c.out.shape))
        if c.reverse:
            x = np.flip(x, c.axis)
        with np.errstate(all="ignore"):
            y = _CUMULATIVE[c.reducer](x, axis=c.axis, dtype=c.out.dtype) if c.reducer in ("add", "mul") \
                else _CUMULATIVE[c.reducer](x, axis=c.axis)
        self.buffers[c.out][...] = np.flip(y, c.axis) if c.reverse else y

    def sort(self, s: K.Sort):
        values = [np.moveaxis(self.values(e, s.shape), s.axis, -1) for e in s.operands]
        keys = [k for x in values[:s.num_keys] for k in _sort_keys(x, s.canonical, s.descending)]
        perm = np.lexsort(keys[::-1], axis=-1)  # stable; the last key given is the primary
        for buf, x in zip(s.outs, values):
            self.buffers[buf][...] = np.moveaxis(np.take_along_axis(x, perm, -1), -1, s.axis)

    def linalg(self, s: K.Linalg):
        arrays = [self.buffers[b].reshape((s.batch, *shape))
                  for b, (_, shape, _) in zip(s.args, s.signature())]
        for i in range(s.batch):
            _LINALG[s.op]([a[i] for a in arrays], **dict(s.params))

    def loop(self, loop: K.Loop):
        it = 0
        while loop.length is None or it < loop.length:
            if loop.counter is not None:
                self.buffers[loop.counter][()] = loop.length - 1 - it if loop.reverse else it
            self.block(loop.cond)
            if loop.pred is not None and not self.buffers[loop.pred][()]:
                break
            self.block(loop.body)
            it += 1

    def branch(self, branch: K.Branch):
        index = int(self.buffers[branch.index][()])
        self.block(branch.bodies[min(max(index, 0), len(branch.bodies) - 1)])


class _Expressions:
    """Evaluates index and scalar expressions over a grid, each shared subtree once."""

    def __init__(self, buffers, grid):
        self.buffers, self.grid, self.memo = buffers, grid, {}

    def idx(self, i):
        if i not in self.memo:
            self.memo[i] = self._idx(i)
        return self.memo[i]

    def _idx(self, i):
        if isinstance(i, K.IVar):
            return self.grid[i.k]
        if isinstance(i, K.IConst):
            return np.int64(i.value)
        if isinstance(i, K.IAdd):
            return self.idx(i.a) + self.idx(i.b)
        if isinstance(i, K.IMul):
            return self.idx(i.a) * i.c
        if isinstance(i, K.IDiv):
            return self.idx(i.a) // i.c
        if isinstance(i, K.IMod):
            return self.idx(i.a) % i.c
        if isinstance(i, K.IClamp):
            return np.clip(self.idx(i.a), i.lo, i.hi)
        if isinstance(i, K.IFromExpr):
            return np.asarray(self.expr(i.expr)).astype(np.int64)
        raise TypeError(i)

    def expr(self, e):
        if e not in self.memo:
            self.memo[e] = self._expr(e)
        return self.memo[e]

    def _expr(self, e):
        if isinstance(e, K.Load):
            index = self.buffers[e.buffer][tuple(self.idx(i) for i in e.index)]
            return np.asarray(index, e.dtype)
        if isinstance(e, K.Const):
            return np.asarray(e.value, e.dtype)
        if isinstance(e, K.IndexValue):
            return np.asarray(self.idx(e.index)).astype(e.dtype)
        if isinstance(e, K.Op):
            args = [self.expr(a) for a in e.args]
            with np.errstate(all="ignore"):
                return np.asarray(scalar_op(e.op, args, e.dtype), e.dtype)
        raise TypeError(e)


# ---------------------------------------------------------------------------- scalar ops
# JAX's semantics (K.SCALAR_OPS), elementwise over arrays of the operand dtypes.

def _int_div(x, y):
    """C's truncating division; x / 0 = -1 (all bits set) and INT_MIN / -1 = INT_MIN."""
    signed = x.dtype.kind == "i"
    safe = np.where((y == 0) | (y == -1) if signed else y == 0, 1, y).astype(x.dtype)
    q = (x - np.fmod(x, safe)) // safe
    if signed:
        q = np.where(y == -1, -x, q)
    return np.where(y == 0, np.invert(x.dtype.type(0)), q)


def _int_rem(x, y):
    """C's %; x % 0 = x and INT_MIN % -1 = 0."""
    return np.where(y == 0, x, np.fmod(x, np.where(y == 0, 1, y).astype(x.dtype)))


def _round_away(x):
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t)


def _shift(name, x, y):
    bits = x.dtype.itemsize * 8
    unsigned = np.dtype(f"u{x.dtype.itemsize}")
    amount = y.astype(unsigned)
    too_far = amount >= bits
    safe = np.where(too_far, 0, amount).astype(x.dtype)
    if name == "shift_left":
        return np.where(too_far, 0, np.left_shift(x, safe))
    if name == "shift_right_logical":
        shifted = np.right_shift(x.astype(unsigned), safe.astype(unsigned))
        return np.where(too_far, 0, shifted.astype(x.dtype))
    signed = np.dtype(f"i{x.dtype.itemsize}")  # the sign fill is the top bit's, unsigned too
    return np.right_shift(x.astype(signed), np.where(too_far, bits - 1, safe).astype(signed)).astype(x.dtype)


def convert(x, dtype):
    """x as `dtype`: floats to integers saturate, NaN giving 0; to bool, x != 0."""
    dtype, x = np.dtype(dtype), np.asarray(x)
    if dtype == np.bool_:
        return x != 0
    if dtypes.is_complex(x.dtype) and not dtypes.is_complex(dtype):
        x = x.real  # the real part, as JAX
    if dtypes.is_floating(x.dtype) and dtypes.is_integer(dtype):
        info = np.iinfo(dtype)
        t = np.where(np.isnan(x), 0, np.trunc(x))
        high, low = t >= float(info.max), t <= float(info.min)
        safe = np.where(high | low, 0, t).astype(dtype)
        return np.where(high, info.max, np.where(low, info.min, safe)).astype(dtype)
    return x.astype(dtype)


_NUMPY = {
    "neg": np.negative, "abs": np.abs, "floor": np.floor, "ceil": np.ceil, "round_even": np.rint,
    "round_away": _round_away, "exp": np.exp, "exp2": np.exp2, "log": np.log, "log1p": np.log1p,
    "expm1": np.expm1, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x), "tanh": np.tanh,
    "logistic": lambda x: 1 / (1 + np.exp(-x)), "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "cbrt": np.cbrt,
    "is_finite": np.isfinite, "add": np.add, "sub": np.subtract, "mul": np.multiply,
    "pow": np.power, "max": np.maximum, "min": np.minimum, "and": np.bitwise_and,
    "or": np.bitwise_or, "xor": np.bitwise_xor, "eq": np.equal, "ne": np.not_equal,
    "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
    "atan2": np.arctan2, "select": lambda pred, a, b: np.where(pred, a, b),
    "erf": np.vectorize(math.erf, otypes=[np.float64]),
    "real": np.real, "imag": np.imag, "conj": np.conj, "complex": lambda x, y: x + 1j * y,
}


def scalar_op(name, args, dtype):
    """K.SCALAR_OPS[name] applied to arrays `args`, giving `dtype`."""
    x = args[0]
    integer = x.dtype.kind in "iub"
    if name == "convert":
        return convert(x, dtype)
    if name == "bitcast":
        return np.asarray(x).view(dtype)
    if name == "not":
        return np.logical_not(x) if x.dtype == np.bool_ else np.invert(x)
    if name == "sign" and dtypes.is_floating(x.dtype):
        return np.where(x > 0, 1, np.where(x < 0, -1, x + 0)).astype(x.dtype)  # -0 + 0 = +0
    if name == "sign":
        return np.sign(x)
    if name in ("div", "rem") and integer:
        return (_int_div if name == "div" else _int_rem)(x, args[1].astype(x.dtype))
    if name == "div":
        return np.divide(*args)
    if name == "rem":
        return np.fmod(*args)
    if name.startswith("shift_"):
        return _shift(name, x, args[1])
    if name in ("max", "min") and dtypes.is_floating(x.dtype):  # IEEE: max(-0, +0) = +0, min = -0
        a, b = args
        zeros = (a == 0) & (b == 0)
        signed_zero = a + b if name == "max" else -(-a + -b)
        return np.where(zeros, signed_zero, _NUMPY[name](a, b))
    return _NUMPY[name](*args)


# ---------------------------------------------------------------------------- reductions

def _reduce(x, reducer, kept, dtype):
    """Reduce x over its axes from `kept` on."""
    axes = tuple(range(kept, x.ndim))
    if reducer in ("argmax", "argmin"):  # first occurrence; NaN is the extremum, as in NumPy
        flat = x.reshape(*x.shape[:kept], -1)
        if flat.shape[-1] == 0:
            return np.zeros(x.shape[:kept], dtype)
        return (np.argmax if reducer == "argmax" else np.argmin)(flat, axis=-1).astype(dtype)
    with np.errstate(all="ignore"):
        if reducer == "add":
            return np.sum(x, axis=axes, dtype=dtype)
        if reducer == "mul":
            return np.prod(x, axis=axes, dtype=dtype)
        ufunc = np.maximum if reducer == "max" else np.minimum
        return ufunc.reduce(x, axis=axes, initial=_lowest(dtype) if reducer == "max" else _highest(dtype))


def _lowest(dtype):
    dtype = np.dtype(dtype)
    return False if dtype == np.bool_ else -np.inf if dtypes.is_floating(dtype) else np.iinfo(dtype).min


def _highest(dtype):
    dtype = np.dtype(dtype)
    return True if dtype == np.bool_ else np.inf if dtypes.is_floating(dtype) else np.iinfo(dtype).max


_SCATTER = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}
_CUMULATIVE = {"add": np.cumsum, "mul": np.cumprod, "max": np.maximum.accumulate,
               "min": np.minimum.accumulate}


def _sort_keys(x, canonical, descending):
    """Integer or float arrays whose lexicographic order is a Sort key's order."""
    floating = dtypes.is_floating(x.dtype)
    if floating and canonical:  # -0.0 equals 0.0; every NaN equal, and last
        nan = np.isnan(x)
        keys = [nan.astype(np.int8), np.where(nan | (x == 0), 0, x)]
    elif floating:  # by sign and bits: -NaN < -inf < ... < -0.0 < 0.0 < ... < NaN
        bits = np.ascontiguousarray(x).view(f"i{x.dtype.itemsize}")
        keys = [bits ^ ((bits >> (8 * x.dtype.itemsize - 1)) & np.iinfo(bits.dtype).max)]
    else:
        keys = [x.astype(np.int64) if x.dtype == np.bool_ else x]
    if descending:
        keys = [np.negative(k) if dtypes.is_floating(k.dtype) else np.invert(k) for k in keys]
    return keys


# ---------------------------------------------------------------------------- linear algebra
# One matrix at a time, in place, with LAPACK's conventions (K.Linalg's docstring).

def _cholesky(args, lower):
    a, info = args
    try:
        factor = np.linalg.cholesky(a if lower else a.T)
    except np.linalg.LinAlgError:
        info[0] = 1
        return
    triangle = np.tril_indices_from(a) if lower else np.triu_indices_from(a)
    a[triangle] = (factor if lower else factor.T)[triangle]
    info[0] = 0


def _triangular_solve(args, left_side, lower, transpose_a, unit_diagonal):
    a, b = args
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        np.fill_diagonal(t, 1)
    t = t.T if transpose_a else t
    b[...] = np.linalg.solve(t, b) if left_side else np.linalg.solve(t.T, b.T).T


def _lu(args):
    a, pivots, permutation, info = args
    n = a.shape[0]
    permutation[:] = np.arange(n)
    info[0] = 0
    for j in range(n):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        pivots[j] = p
        a[[j, p]] = a[[p, j]]
        permutation[[j, p]] = permutation[[p, j]]
        if a[j, j] == 0:
            info[0] = info[0] or j + 1
            continue
        a[j + 1:, j] /= a[j, j]
        a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])


def _householder(args):
    a, tau, info = args
    h, t = np.linalg.qr(a, mode="raw")
    a[...], tau[:], info[0] = h.T, t, 0


def _householder_q(args, k):
    q, tau, info = args
    m, n = q.shape
    result = np.eye(m, n, dtype=q.dtype)
    for i in reversed(range(k)):
        v = np.zeros(m, q.dtype)
        v[i], v[i + 1:] = 1, q[i + 1:, i]
        result -= tau[i] * np.outer(v, v @ result)
    q[...], info[0] = result, 0


def _eigh(args, lower):
    a, w, info = args
    w[:], vectors = np.linalg.eigh(a, UPLO="L" if lower else "U")
    a[...], info[0] = vectors, 0


def _svd(args, full_matrices, compute_uv):
    a, s, *uv, info = args
    if compute_uv:
        u, s[:], vt = np.linalg.svd(a, full_matrices=full_matrices)
        uv[0][...], uv[1][...] = u, vt
    else:
        s[:] = np.linalg.svd(a, compute_uv=False)
    info[0] = 0


_LINALG = {"cholesky": _cholesky, "triangular_solve": _triangular_solve, "lu": _lu,
           "householder": _householder, "householder_q": _householder_q, "eigh": _eigh,
           "svd": _svd}
