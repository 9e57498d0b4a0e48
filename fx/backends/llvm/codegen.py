"""LLVM IR for a kernel program, built with llvmlite.ir.

The module has one entry point, `<prefix>entry(in0, ..., out0, ..., workspace)` taking one
pointer per program input and output and the workspace: a jitted call is one native call.
Temporaries live at fixed offsets in the workspace, which the caller (the `Executable`)
allocates once and reuses; constants are global data. Each statement becomes a function
taking its buffers as `noalias` pointers (the buffer plan guarantees that a statement never
writes a buffer it reads, but for a loop carry updated elementwise in place, which reads
each element where it writes it), which lets LLVM's loop vectoriser work without runtime
alias checks.

Scalar semantics match the reference interpreter: IEEE maximum/minimum for floats (NaN
wins, max(-0, +0) = +0), integer division and remainder by zero as in JAX (x / 0 = -1,
x % 0 = x) and INT_MIN / -1 wrapping, never trapping, float-to-int conversion that
saturates and maps NaN to 0.
No fast-math flags assume NaN or Inf away; only reduction accumulators may be
reassociated, so that reductions vectorise.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from fx import dtypes
from fx.backends.llvm import complex as cx
from fx.backends.llvm import half, mathlib
from fx.ir import kernels as K

I1, I8, I16, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(16), ir.IntType(32), ir.IntType(64)
F32, F64 = ir.FloatType(), ir.DoubleType()
VOID = ir.VoidType()

_STORAGE = {dtypes.bool_: I8, dtypes.int8: I8, dtypes.uint8: I8, dtypes.int16: I16,
            dtypes.uint16: I16, dtypes.int32: I32, dtypes.uint32: I32, dtypes.int64: I64,
            dtypes.uint64: I64, dtypes.float16: I16, dtypes.bfloat16: I16,
            dtypes.float32: F32, dtypes.float64: F64,
            dtypes.complex64: cx.struct_type(dtypes.complex64),
            dtypes.complex128: cx.struct_type(dtypes.complex128)}
# Booleans compute as i1 and 16-bit floats as float32 (see half.py).
_VALUE = {**_STORAGE, dtypes.bool_: I1, dtypes.float16: F32, dtypes.bfloat16: F32}


def storage_type(dtype):
    return _STORAGE[np.dtype(dtype)]


def value_type(dtype):
    return _VALUE[np.dtype(dtype)]


def _is_float(dtype):
    return dtypes.kind(dtype) == "f"


def _is_unsigned(dtype):
    return np.dtype(dtype).kind in "ub"


def constant(value, dtype):
    if dtypes.is_complex(dtype):
        return cx.constant(value, dtype)
    t = value_type(dtype)
    if _is_float(dtype):
        return ir.Constant(t, float(np.asarray(value).astype(dtype)))
    if np.dtype(dtype) == np.bool_:
        return ir.Constant(t, int(bool(value)))
    bits = t.width
    return ir.Constant(t, int(value) & ((1 << bits) - 1))


# ---------------------------------------------------------------------------- loops

class Loops:
    """Emit nested counted loops; `body(builder, indices)` fills the innermost block."""

    def __init__(self, builder):
        self.b = builder

    def nest(self, bounds, body, indices=()):
        """bounds: list of (start, stop) i64 values or ints."""
        if not bounds:
            return body(self.b, list(indices))
        (start, stop), rest = bounds[0], bounds[1:]
        b = self.b
        start = start if isinstance(start, ir.Value) else ir.Constant(I64, start)
        stop = stop if isinstance(stop, ir.Value) else ir.Constant(I64, stop)
        pre = b.block
        head = b.append_basic_block("loop")
        inner = b.append_basic_block("body")
        after = b.append_basic_block("after")
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64, "i")
        i.add_incoming(start, pre)
        b.cbranch(b.icmp_signed("<", i, stop), inner, after)
        b.position_at_end(inner)
        result = self.nest(rest, body, (*indices, i))
        nxt = b.add(i, ir.Constant(I64, 1))
        i.add_incoming(nxt, b.block)
        b.branch(head)
        b.position_at_end(after)
        return result


# ---------------------------------------------------------------------------- expressions

class ExprEmitter:
    """Emits index and scalar expressions at the builder's position, memoised per scope."""

    def __init__(self, builder, module, pointers, loop_vars):
        self.b, self.module, self.ptrs, self.vars = builder, module, pointers, loop_vars
        self.memo = {}
        # see K.Program; modules built outside a program (tests) round after every op
        self.excess_precision = getattr(module, "excess_precision", False)

    # -- indices --------------------------------------------------------------------
    def idx(self, i):
        key = ("idx", i)
        if key in self.memo:
            return self.memo[key]
        b = self.b
        if isinstance(i, K.IVar):
            v = self.vars[i.k]
        elif isinstance(i, K.IConst):
            v = ir.Constant(I64, i.value)
        elif isinstance(i, K.IAdd):
            v = b.add(self.idx(i.a), self.idx(i.b))
        elif isinstance(i, K.IMul):
            v = b.mul(self.idx(i.a), ir.Constant(I64, i.c))
        elif isinstance(i, K.IDiv):
            v = b.sdiv(self.idx(i.a), ir.Constant(I64, i.c))
        elif isinstance(i, K.IMod):
            v = b.srem(self.idx(i.a), ir.Constant(I64, i.c))
        elif isinstance(i, K.IClamp):
            a = self.idx(i.a)
            lo, hi = ir.Constant(I64, i.lo), ir.Constant(I64, i.hi)
            a = b.select(b.icmp_signed("<", a, lo), lo, a)
            v = b.select(b.icmp_signed(">", a, hi), hi, a)
        elif isinstance(i, K.IFromExpr):
            v = self.to_i64(self.expr(i.expr), i.expr.dtype)
        else:
            raise TypeError(i)
        self.memo[key] = v
        return v

    def to_i64(self, v, dtype):
        if v.type == I64:
            return v
        return self.b.zext(v, I64) if _is_unsigned(dtype) else self.b.sext(v, I64)

    def address(self, buffer, index):
        flat = None
        for i, stride in zip(index, buffer.strides()):
            term = self.idx(i) if stride == 1 else self.b.mul(self.idx(i), ir.Constant(I64, stride))
            flat = term if flat is None else self.b.add(flat, term)
        return self.b.gep(self.ptrs[buffer], [flat or ir.Constant(I64, 0)], inbounds=True)

    def load(self, buffer, index):
        if dtypes.is_complex(buffer.dtype):
            return cx.load(self.b, self.address(buffer, index))
        v = self.b.load(self.address(buffer, index))
        if half.is_half(buffer.dtype):
            return half.widen(self.b, v, buffer.dtype)
        return self.b.icmp_unsigned("!=", v, ir.Constant(I8, 0)) if buffer.dtype == np.bool_ else v

    def store(self, buffer, index, value):
        if buffer.dtype == np.bool_:
            value = self.b.zext(value, I8)
        elif half.is_half(buffer.dtype):
            value = half.narrow(self.b, value, buffer.dtype)
        elif dtypes.is_complex(buffer.dtype):
            return cx.store(self.b, value, self.address(buffer, index))
        self.b.store(value, self.address(buffer, index))

    # -- scalars --------------------------------------------------------------------
    def expr(self, e):
        if e in self.memo:
            return self.memo[e]
        if isinstance(e, K.Load):
            v = self.load(e.buffer, e.index)
        elif isinstance(e, K.Const):
            v = constant(e.value, e.dtype)
        elif isinstance(e, K.IndexValue):
            v = convert(self.b, self.idx(e.index), np.dtype(np.int64), e.dtype)
        elif isinstance(e, K.Op):
            args = [self.expr(a) for a in e.args]
            v = scalar_op(self, e.op, args, [a.dtype for a in e.args], e.dtype)
            if half.is_half(e.dtype) and e.op not in half.EXACT_OPS and not self.excess_precision:
                v = half.round_to(self.b, v, e.dtype)
        else:
            raise TypeError(e)
        self.memo[e] = v
        return v


def scalar_op(em, name, args, arg_dtypes, dtype):
    b = em.b
    in_dtype = arg_dtypes[0] if arg_dtypes else dtype
    if any(map(dtypes.is_complex, (*arg_dtypes, dtype))):
        return _complex_op(em, name, args, arg_dtypes, dtype)
    if name == "convert":
        if em.excess_precision and half.is_half(in_dtype):
            # a convert reads the 16-bit value its operand holds, not its excess precision
            return convert(b, half.round_to(b, args[0], in_dtype), in_dtype, dtype)
        return convert(b, args[0], in_dtype, dtype)
    if name == "bitcast":
        return _bitcast(b, args[0], in_dtype, dtype)
    if name == "select":
        return b.select(*args)
    if name in _COMPARISONS:
        return _compare(b, name, args[0], args[1], in_dtype)
    if _is_float(in_dtype):
        return _float_op(em, name, args, dtype)
    return _int_op(b, name, args, dtype)


_COMPARISONS = {"eq": ("==", "=="), "ne": ("!=", "!="), "lt": ("<", "<"), "le": ("<=", "<="),
                "gt": (">", ">"), "ge": (">=", ">=")}


def _compare(b, name, x, y, dtype):
    int_op, float_op = _COMPARISONS[name]
    if _is_float(dtype):
        # ordered comparisons are false on NaN, except != which is true (NumPy's)
        return b.fcmp_unordered(float_op, x, y) if name == "ne" else b.fcmp_ordered(float_op, x, y)
    if _is_unsigned(dtype):
        return b.icmp_unsigned(int_op, x, y)
    return b.icmp_signed(int_op, x, y)


def mangle(t):
    return {F32: "f32", F64: "f64"}.get(t) or f"i{t.width}"


def declare(module, name, ret, args):
    """The function `name` of the module, declared on first use (intrinsics, libm)."""
    fn = module.globals.get(name)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(ret, args), name)
    return fn


def _intrinsic(em, name, x):
    """A one-argument float intrinsic such as llvm.fabs, at x's type."""
    return em.b.call(declare(em.module, f"{name}.{mangle(x.type)}", x.type, [x.type]), [x])


def _float_op(em, name, args, dtype):
    b = em.b
    x = args[0]
    if name == "add":
        return b.fadd(*args)
    if name == "sub":
        return b.fsub(*args)
    if name == "mul":
        return b.fmul(*args)
    if name == "div":
        return b.fdiv(*args)
    if name == "rem":
        return b.frem(*args)
    if name == "neg":
        return b.fneg(x)
    if name in ("max", "min"):  # IEEE maximum/minimum: NaN wins, max(-0, +0) = +0
        fn = declare(em.module, f"llvm.{name}imum.{mangle(x.type)}", x.type, [x.type, x.type])
        return b.call(fn, args)
    if name == "abs":
        return _intrinsic(em, "llvm.fabs", x)
    if name == "sign":
        one = ir.Constant(x.type, 1.0)
        pos = b.fcmp_ordered(">", x, ir.Constant(x.type, 0.0))
        neg = b.fcmp_ordered("<", x, ir.Constant(x.type, 0.0))
        zero_or_nan = b.fadd(x, ir.Constant(x.type, 0.0))  # -0 + 0 = +0; NaN stays NaN
        return b.select(pos, one, b.select(neg, b.fneg(one), zero_or_nan))
    if name == "floor":
        return _intrinsic(em, "llvm.floor", x)
    if name == "ceil":
        return _intrinsic(em, "llvm.ceil", x)
    if name == "round_even":
        return _intrinsic(em, "llvm.roundeven", x)
    if name == "round_away":
        return _intrinsic(em, "llvm.round", x)
    if name == "sqrt":
        return _intrinsic(em, "llvm.sqrt", x)
    if name == "rsqrt":
        return b.fdiv(ir.Constant(x.type, 1.0), _intrinsic(em, "llvm.sqrt", x))
    if name == "is_finite":
        return b.fcmp_ordered("<", _intrinsic(em, "llvm.fabs", x), ir.Constant(x.type, float("inf")))
    return _transcendental(em, name, args)


# Transcendental call sites a program inlines; past this many, they call one out-of-line
# copy per function and type (see `_transcendental`).
MAX_INLINE_TRANSCENDENTALS = 256


def _transcendental(em, name, args):
    """Inline, vectorisable polynomials (mathlib), for the first MAX_INLINE_TRANSCENDENTALS
    sites of a program; beyond them, a call to a copy shared by the module. Each inlined
    float32 sin costs LLVM ~5 ms, so a program of thousands of distinct ones would spend
    minutes compiling; its later kernels run scalar instead (not vectorised), which costs
    less than that for any array of ordinary size. The budget is the module's
    `inline_transcendentals` (a one-element list shared by a program's modules; absent:
    no limit)."""
    budget = getattr(em.module, "inline_transcendentals", None)
    if budget is None or budget[0] > 0:
        if budget is not None:
            budget[0] -= 1
        return mathlib.emit(em.b, name, args)
    fn_name = f"fx_math_{name}_{mangle(args[0].type)}"
    fn = em.module.globals.get(fn_name)
    if fn is None:
        t = args[0].type
        fn = ir.Function(em.module, ir.FunctionType(t, [t] * len(args)), fn_name)
        fn.linkage = "internal"
        fn.attributes.add("noinline")
        fb = ir.IRBuilder(fn.append_basic_block("entry"))
        fb.ret(mathlib.emit(fb, name, list(fn.args)))
    return em.b.call(fn, args)


def _int_op(b, name, args, dtype):
    x = args[0]
    t = x.type
    unsigned = _is_unsigned(dtype)
    if name == "add":
        return b.add(*args)
    if name == "sub":
        return b.sub(*args)
    if name == "mul":
        return b.mul(*args)
    if name == "neg":
        return b.sub(ir.Constant(t, 0), x)
    if name in ("and", "or", "xor"):
        return getattr(b, name + "_" if name != "xor" else name)(*args)
    if name == "not":
        return b.xor(x, ir.Constant(t, -1 if t != I1 else 1))
    if name in ("max", "min"):
        cmp = b.icmp_unsigned if unsigned else b.icmp_signed
        return b.select(cmp(">=" if name == "max" else "<=", x, args[1]), x, args[1])
    if name == "abs":
        return x if unsigned else b.select(b.icmp_signed("<", x, ir.Constant(t, 0)),
                                           b.sub(ir.Constant(t, 0), x), x)
    if name == "sign":
        if unsigned:
            return b.zext(b.icmp_unsigned("!=", x, ir.Constant(t, 0)), t)
        pos = b.zext(b.icmp_signed(">", x, ir.Constant(t, 0)), t)
        neg = b.zext(b.icmp_signed("<", x, ir.Constant(t, 0)), t)
        return b.sub(pos, neg)
    if name in ("div", "rem"):
        return _int_divide(b, name, x, args[1], unsigned)
    if name in _SHIFTS:
        return _shift(b, name, x, args[1])
    raise NotImplementedError(f"integer scalar op {name!r} for {np.dtype(dtype).name}")


_SHIFTS = {"shift_left": "shl", "shift_right_logical": "lshr", "shift_right_arithmetic": "ashr"}


def _shift(b, name, x, y):
    """LLVM's shifts are poison for amounts >= the width: clamp the amount (read as unsigned)
    and select the defined result, 0 or, for ashr, a shift by width - 1 (the sign fill)."""
    width = ir.Constant(x.type, x.type.width)
    too_far = b.icmp_unsigned(">=", y, width)
    if name == "shift_right_arithmetic":
        return b.ashr(x, b.select(too_far, ir.Constant(x.type, x.type.width - 1), y))
    shifted = getattr(b, _SHIFTS[name])(x, b.select(too_far, ir.Constant(x.type, 0), y))
    return b.select(too_far, ir.Constant(x.type, 0), shifted)


def _int_divide(b, name, x, y, unsigned):
    """x / y and x % y without traps, with XLA's (JAX's) values: x / 0 is -1 (all bits set:
    the unsigned maximum), x % 0 is x; INT_MIN / -1 wraps to INT_MIN, INT_MIN % -1 is 0."""
    t = x.type
    zero, one, all_ones = ir.Constant(t, 0), ir.Constant(t, 1), ir.Constant(t, -1)
    by_zero = b.icmp_unsigned("==", y, zero)
    if unsigned:
        safe = b.select(by_zero, one, y)
        q = b.udiv(x, safe) if name == "div" else b.urem(x, safe)
        return b.select(by_zero, all_ones if name == "div" else x, q)
    minus_one = b.icmp_signed("==", y, all_ones)
    safe = b.select(b.or_(by_zero, minus_one), one, y)
    if name == "div":
        q = b.select(minus_one, b.sub(zero, x), b.sdiv(x, safe))
        return b.select(by_zero, all_ones, q)
    r = b.select(minus_one, zero, b.srem(x, safe))
    return b.select(by_zero, x, r)


def convert(b, v, src, dst):
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return v
    if dtypes.is_complex(src) or dtypes.is_complex(dst):
        return cx.complex_op(b, "convert", [v], [src], dst, real_op=None)
    if half.is_half(dst):
        return _convert_to_half(b, v, src, dst)
    st, dt = value_type(src), value_type(dst)
    if st == dt == F32:  # from a 16-bit float to float32: exact
        return v
    if dst == np.bool_:
        return (b.fcmp_unordered("!=", v, ir.Constant(st, 0.0)) if _is_float(src)
                else b.icmp_unsigned("!=", v, ir.Constant(st, 0)))
    if _is_float(src) and _is_float(dst):
        return b.fpext(v, dt) if dt == F64 else b.fptrunc(v, dt)
    if _is_float(dst):
        return b.uitofp(v, dt) if _is_unsigned(src) else b.sitofp(v, dt)
    if _is_float(src):  # saturating, NaN -> 0 (never poison)
        name = "llvm.fptoui.sat" if _is_unsigned(dst) else "llvm.fptosi.sat"
        return b.call(declare(b.module, f"{name}.{mangle(dt)}.{mangle(st)}", dt, [st]), [v])
    if dt.width > st.width:
        return b.zext(v, dt) if _is_unsigned(src) else b.sext(v, dt)
    if dt.width < st.width:
        return b.trunc(v, dt)
    return v


def _complex_op(em, name, args, arg_dtypes, dtype):
    complex_dtype = next(d for d in (*arg_dtypes, dtype) if dtypes.is_complex(d))
    real = dtypes.real_dtype(complex_dtype)

    def real_op(op, *xs):
        return scalar_op(em, op, list(xs), [real] * len(xs), dtypes.bool_ if op in _COMPARISONS else real)
    v = cx.complex_op(em.b, name, args, arg_dtypes, dtype, real_op)
    if v is None:
        raise TypeError(f"the llvm backend does not compile {name} of {np.dtype(complex_dtype).name} yet")
    return v


def _bitcast(b, v, src, dst):
    """v's bits (as stored) read as dst, a type of the same width."""
    bits = half.narrow(b, v, src) if half.is_half(src) else v
    if half.is_half(dst):
        return half.widen(b, b.bitcast(bits, I16), dst)
    return b.bitcast(bits, value_type(dst))


def _convert_to_half(b, v, src, dst):
    """Round once to 16 bits: from a type wider than float32's 24-bit significand, through
    float64 and float32 rounded to odd (rounding to nearest twice would be wrong)."""
    if value_type(src) in (F32, I1, I8, I16):  # every value is exact in float32
        return half.round_to(b, convert(b, v, src, dtypes.float32), dst)
    wide = convert(b, v, src, dtypes.float64)
    return half.round_to(b, half.float64_to_float32_odd(b, wide), dst)


# ---------------------------------------------------------------------------- reductions

_REDUCE_INIT = {"add": 0, "mul": 1}


def reduce_init(reducer, dtype):
    dtype = np.dtype(dtype)
    if reducer in _REDUCE_INIT:
        return constant(_REDUCE_INIT[reducer], dtype)
    if dtype == np.bool_:
        return constant(reducer in ("min", "argmin"), dtype)
    if _is_float(dtype) or dtypes.is_complex(dtype):
        highest = complex(np.inf, np.inf) if dtypes.is_complex(dtype) else np.inf  # lexicographic
        return constant(-highest if reducer in ("max", "argmax") else highest, dtype)
    info = np.iinfo(dtype)
    return constant(info.min if reducer in ("max", "argmax") else info.max, dtype)


def combine(em, reducer, acc, x, dtype, exact=False):
    """acc (op) x for the plain reducers; reassociable for floats (unless `exact`, for
    running values whose every prefix is an output) so that reductions vectorise."""
    b = em.b
    if dtype == np.bool_:  # add and max are "or", mul and min "and"
        return b.or_(acc, x) if reducer in ("add", "max") else b.and_(acc, x)
    if _is_float(dtype) and reducer in ("add", "mul") and not exact:
        op = b.fadd if reducer == "add" else b.fmul
        return op(acc, x, flags=("reassoc", "nsz"))
    return scalar_op(em, reducer, [acc, x], [dtype, dtype], dtype)


def arg_better(b, reducer, best, x, dtype):
    """Whether x replaces the running extremum `best` (first occurrence wins; NaN is the
    extremum, as in JAX and NumPy)."""
    if _is_float(dtype):
        strictly = b.fcmp_ordered(">" if reducer == "argmax" else "<", x, best)
        x_nan = b.fcmp_unordered("uno", x, x)
        best_nan = b.fcmp_unordered("uno", best, best)
        return b.and_(b.or_(strictly, x_nan), b.not_(best_nan))
    cmp = b.icmp_unsigned if _is_unsigned(dtype) else b.icmp_signed
    return cmp(">" if reducer == "argmax" else "<", x, best)
