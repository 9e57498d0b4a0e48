"""Transcendental scalar ops for generated code.

LLVM intrinsics where LLVM has them, the C math library otherwise: correct, but scalar
calls do not vectorise. The vectorisable inline polynomials of `mathlib` replace these
function by function as they land.
"""
from __future__ import annotations

from llvmlite import ir

from fx.backends.llvm import codegen as cg

_INTRINSICS = {"exp": "llvm.exp", "exp2": "llvm.exp2", "log": "llvm.log", "sin": "llvm.sin",
               "cos": "llvm.cos", "pow": "llvm.pow", "tan": "llvm.tan"}
_LIBM = {"tanh", "log1p", "expm1", "erf"}


def emit(em, name, args):
    b, t = em.b, args[0].type
    if name in _INTRINSICS:
        fn = cg.declare(em.module, f"{_INTRINSICS[name]}.{cg.mangle(t)}", t, [a.type for a in args])
        return b.call(fn, args)
    if name in _LIBM:
        fn = cg.declare(em.module, name + ("f" if t == cg.F32 else ""), t, [t])
        return b.call(fn, args)
    if name == "logistic":  # exp(-|x|) never overflows; the form is chosen by sign
        e = emit(em, "exp", [b.fneg(_fabs(em, args[0]))])
        one = ir.Constant(t, 1.0)
        denominator = b.fadd(one, e)
        positive = b.fcmp_ordered(">=", args[0], ir.Constant(t, 0.0))
        return b.select(positive, b.fdiv(one, denominator), b.fdiv(e, denominator))
    raise NotImplementedError(f"no code generation for scalar op {name!r}")


def _fabs(em, x):
    return em.b.call(cg.declare(em.module, f"llvm.fabs.{cg.mangle(x.type)}", x.type, [x.type]), [x])
