"""The kernel program's scalar ops (K.SCALAR_OPS) as Python source that numba.cuda
compiles, with the CPU backend's semantics: NaN, ±Inf and ±0 as IEEE and JAX say,
integer division by zero defined, float to integer conversion saturating.

`op_source` writes one op as an expression over already-named operands; every result is
cast to its dtype (`f32(...)`), so that a float32 computation stays float32 in numba's
typing (which widens int32 arithmetic to int64 and mixes float32 with Python floats as
float64) and in the simulator (NumPy scalars). Ops are inline expressions (a kernel
compiled ahead of time for PTX cannot call separately compiled device functions); the
math functions they call come from `namespace(simulator)`: libdevice on a GPU, NumPy
where the simulator has no libdevice.
"""
from __future__ import annotations

import math

import numpy as np

TYPE_NAMES = {np.dtype(t): n for t, n in [
    (np.float32, "f32"), (np.float64, "f64"), (np.int8, "i8"), (np.int16, "i16"), (np.int32, "i32"),
    (np.int64, "i64"), (np.uint8, "u8"), (np.uint16, "u16"), (np.uint32, "u32"), (np.uint64, "u64"),
    (np.bool_, "b1")]}

# ops whose float form is one libdevice function (name without the "f" of float32)
_MATH = {"exp": "exp", "exp2": "exp2", "log": "log", "log1p": "log1p", "expm1": "expm1",
         "sqrt": "sqrt", "tanh": "tanh", "sin": "sin", "cos": "cos", "tan": "tan", "erf": "erf",
         "asin": "asin", "acos": "acos", "atan": "atan", "sinh": "sinh", "cosh": "cosh",
         "asinh": "asinh", "acosh": "acosh", "atanh": "atanh", "cbrt": "cbrt", "floor": "floor",
         "ceil": "ceil", "round_even": "rint", "round_away": "round", "atan2": "atan2",
         "pow": "pow", "rem": "fmod", "abs": "fabs"}
_INFIX = {"add": "+", "sub": "-", "mul": "*", "and": "&", "or": "|", "xor": "^", "eq": "==",
          "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def type_name(dtype):
    return TYPE_NAMES[np.dtype(dtype)]


def math_name(name, dtype):
    """The namespace name of float function `name` for `dtype` (libdevice's spelling)."""
    return f"{_MATH[name]}{'f' if np.dtype(dtype) == np.float32 else ''}"


def op_source(name, args, arg_dtypes, dtype):
    """Source of K.SCALAR_OPS[name] applied to the named operands `args`."""
    src, t = np.dtype(arg_dtypes[0]), type_name(dtype)
    a = args[0]
    if name == "convert":
        return _convert(a, src, np.dtype(dtype))
    if name == "bitcast":
        return _bitcast(a, src, np.dtype(dtype))
    if name in _INFIX:
        return f"{t}({a} {_INFIX[name]} {args[1]})"
    if name == "select":
        return f"({args[1]} if {a} else {args[2]})"
    if name == "is_finite":
        return f"({a} - {a} == 0)"  # False for ±Inf and NaN
    floating = src.kind == "f"
    if floating:
        if name in _MATH:
            return f"{t}({math_name(name, src)}({', '.join(args)}))"
        if name == "neg":
            return f"{t}(-{a})"
        if name == "div":
            return f"{t}({a} / {args[1]})"
        if name == "rsqrt":
            return f"{t}({t}(1) / {math_name('sqrt', src)}({a}))"
        if name == "logistic":
            return f"{t}({t}(1) / ({t}(1) + {math_name('exp', src)}(-{a})))"
        if name == "max":  # IEEE: NaN wins; of equal zeros +0 unless both are -0
            b = args[1]
            return f"({a} if {a} > {b} else {b} if {b} > {a} else {a} if {a} == {b} and {a} != 0 else {t}({a} + {b}))"
        if name == "min":  # -0 unless both are +0
            b = args[1]
            return f"({a} if {a} < {b} else {b} if {b} < {a} else {a} if {a} == {b} and {a} != 0 else {t}(-(-{a} + -{b})))"
        if name == "sign":  # ±0 -> +0; NaN stays NaN
            return f"({t}(1) if {a} > 0 else {t}(-1) if {a} < 0 else {t}({a} + 0))"
        raise NotImplementedError(f"the cuda backend has no float {name}")
    bits = 8 * src.itemsize
    if name == "neg":
        return f"{t}(-{a})"
    if name == "abs":
        return f"{t}(abs({a}))"
    if name == "not":
        return f"(not {a})" if src == np.bool_ else f"{t}(~{a})"
    if name == "sign":
        return f"({t}(1) if {a} > 0 else {t}(-1) if {a} < 0 else {t}(0))"
    if name in ("max", "min"):  # (not Python's max/min: numba types those through a device function)
        return f"{t}({a} if {a} {'>' if name == 'max' else '<'} {args[1]} else {args[1]})"
    if name in ("div", "rem"):
        return _int_divide(name, a, args[1], t, src.kind == "u")
    if name == "shift_left":
        return f"{t}(0 if u64({args[1]}) >= {bits} else {a} << {args[1]})"
    if name == "shift_right_logical":
        u = type_name(f"u{src.itemsize}")
        return f"{t}(0 if u64({args[1]}) >= {bits} else {u}({a}) >> {u}({args[1]}))"
    if name == "shift_right_arithmetic":
        s = type_name(f"i{src.itemsize}")
        return f"{t}({s}({a}) >> ({bits - 1} if u64({args[1]}) >= {bits} else {args[1]}))"
    raise NotImplementedError(f"the cuda backend has no integer {name}")


# libdevice's reinterpreting casts, by the float type they read or give
_FLOAT_AS_INT = {np.dtype(np.float32): ("float_as_int", np.dtype(np.int32)),
                 np.dtype(np.float64): ("double_as_longlong", np.dtype(np.int64))}
_INT_AS_FLOAT = {np.dtype(np.float32): ("int_as_float", np.dtype(np.int32)),
                 np.dtype(np.float64): ("longlong_as_double", np.dtype(np.int64))}


def _bitcast(a, src, dst):
    """The bits of `a` as `dst` (same width): libdevice's casts between floats and ints;
    between integer types, numba's cast (a same-width cast keeps the bits)."""
    if src in _FLOAT_AS_INT:
        fn, signed = _FLOAT_AS_INT[src]
        a, src = f"{fn}({a})", signed
    if dst in _INT_AS_FLOAT:
        fn, signed = _INT_AS_FLOAT[dst]
        return f"{fn}({type_name(signed)}({a}))"
    return f"{type_name(dst)}({a})"


def _convert(a, src, dst):
    t = type_name(dst)
    if dst == np.bool_:
        return f"({a} != 0)"
    if src.kind == "f" and dst.kind in "iu":  # saturating; NaN -> 0
        info = np.iinfo(dst)
        return (f"({t}(0) if {a} != {a} else {t}({info.max}) if {a} >= {float(info.max) + 1!r} "
                f"else {t}({info.min}) if {a} < {float(info.min)!r} else {t}({a}))")
    return f"{t}({a})"


def _int_divide(name, x, y, t, unsigned):
    """C's truncating x / y and x % y, never trapping, with XLA's values where C has none:
    x / 0 = -1 (all bits set), x % 0 = x, INT_MIN / -1 wraps, INT_MIN % -1 = 0. Each
    branch is a conditional expression, so no division by zero is ever evaluated."""
    if unsigned:
        return f"({t}(~({x} - {x})) if {y} == 0 else {t}({x} // {y}))" if name == "div" else \
            f"({x} if {y} == 0 else {t}({x} % {y}))"
    inexact = f"(({x} % {y} != 0) and (({x} < 0) != ({y} < 0)))"  # floor != truncation
    if name == "div":
        return f"({t}(-1) if {y} == 0 else {t}(-{x}) if {y} == -1 else {t}({x} // {y} + {inexact}))"
    return f"({x} if {y} == 0 else {t}(0) if {y} == -1 else {t}({x} % {y} - ({y} if {inexact} else 0)))"


def _simulator_math():
    """NumPy stand-ins for libdevice, by libdevice's names."""
    def round_away(x):
        t = np.trunc(x)
        return t + np.sign(x) if np.isfinite(x) and abs(x - t) >= 0.5 else t
    numpy = {"exp": np.exp, "exp2": np.exp2, "log": np.log, "log1p": np.log1p, "expm1": np.expm1,
             "sqrt": np.sqrt, "tanh": np.tanh, "sin": np.sin, "cos": np.cos, "tan": np.tan,
             "erf": lambda x: type(x)(math.erf(x)), "asin": np.arcsin, "acos": np.arccos,
             "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "asinh": np.arcsinh,
             "acosh": np.arccosh, "atanh": np.arctanh, "cbrt": np.cbrt, "floor": np.floor,
             "ceil": np.ceil, "rint": np.rint, "round": round_away, "atan2": np.arctan2,
             "pow": np.power, "fmod": np.fmod, "fabs": np.abs}
    casts = {"float_as_int": lambda x: np.float32(x).view(np.int32),
             "double_as_longlong": lambda x: np.float64(x).view(np.int64),
             "int_as_float": lambda x: np.int32(x).view(np.float32),
             "longlong_as_double": lambda x: np.int64(x).view(np.float64)}
    return {**numpy, **{name + "f": fn for name, fn in numpy.items()}, **casts}


def namespace(simulator):
    """The names generated source refers to: types and math functions."""
    from numba import cuda
    names = {n: np.dtype(t).type for t, n in TYPE_NAMES.items()}
    names["cuda"], names["math"] = cuda, math
    if simulator:
        names.update(_simulator_math())
    else:
        from numba.cuda import libdevice
        names.update((name, getattr(libdevice, name)) for name in
                     {math_name(op, d) for op in _MATH for d in (np.float32, np.float64)}
                     | {fn for fn, _ in (*_FLOAT_AS_INT.values(), *_INT_AS_FLOAT.values())})
    return names
