"""Native code for `Linalg` statements: a loop over the batch calling LAPACK.

The routines come from the scipy-openblas32 library (see runtime.py): LAPACKE's row-major
wrappers, which transpose to LAPACK's column-major layout and allocate their own
workspace, and CBLAS's trsm. They are declared by name ("fx_LAPACKE_dpotrf") and bound
when the engine loads the code. Each call gets pointers to one batch element of buffers
whose sizes `verify_bounds` checked against the op's signature, and leading dimensions
equal to the row lengths, so LAPACK never touches memory outside them. What LAPACK leaves
undefined (the pivots of an input it rejects) is initialised first; the pivots it returns
are clamped into range before they index anything.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from fx.backends.llvm import codegen as cg
from fx.ir import kernels as K

ROW_MAJOR = 101
# CBLAS enums
LEFT, RIGHT, UPPER, LOWER, NO_TRANS, TRANS, NON_UNIT, UNIT = 141, 142, 121, 122, 111, 112, 131, 132

# argument kinds after LAPACKE's matrix_layout: c char, i int, p float array, q int array
_LAPACKE = {"potrf": "cipi", "getrf": "iipiq", "geqrf": "iipip", "orgqr": "iiipip",
            "syevd": "ccipip", "gesdd": "ciipippipi"}
_ROUTINE = {"cholesky": "potrf", "lu": "getrf", "householder": "geqrf", "householder_q": "orgqr",
            "eigh": "syevd", "svd": "gesdd", "triangular_solve": "trsm"}


class LapackUnavailable(RuntimeError):
    """A program needs LAPACK, and this process has none (FX_BLAS=off, or no library)."""


def library_name(op, dtype):
    letter = "s" if np.dtype(dtype) == np.float32 else "d"
    routine = _ROUTINE[op]
    return f"cblas_{letter}trsm" if routine == "trsm" else f"LAPACKE_{letter}{routine}"


def _declare(module, name, dtype):
    """`fx_<name>`, declared once per module with LAPACKE's (or trsm's) C signature."""
    existing = module.globals.get("fx_" + name)
    if existing is not None:
        return existing
    f = cg.storage_type(dtype)
    kinds = {"c": cg.I8, "i": cg.I32, "p": ir.PointerType(f), "q": ir.PointerType(cg.I32)}
    if name.startswith("cblas"):  # layout, side, uplo, trans, diag, m, n, alpha, a, lda, b, ldb
        fnty = ir.FunctionType(cg.VOID, [cg.I32] * 7 + [f, kinds["p"], cg.I32, kinds["p"], cg.I32])
        return ir.Function(module, fnty, "fx_" + name)
    signature = _LAPACKE[name[len("LAPACKE_") + 1:]]
    fn = ir.Function(module, ir.FunctionType(cg.I32, [cg.I32] + [kinds[c] for c in signature]),
                     "fx_" + name)
    for arg, kind in zip(fn.args[1:], signature):
        if kind == "c":  # C passes a char widened to int
            arg.add_attribute("signext")
    return fn


def emit_linalg(b, module, pointers, s: K.Linalg):
    """for each batch element: the op's LAPACK call(s) on that element's matrices."""
    from fx.backends.llvm import runtime
    dtype = np.dtype(s.args[0].dtype)
    name = library_name(s.op, dtype)
    if runtime.lapack_address(name) is None:
        raise LapackUnavailable(
            f"jit: {s.op} compiles to a call of LAPACK's {name}, but this process has no LAPACK: "
            "fx takes it from the scipy-openblas32 wheel, which is disabled (FX_BLAS=off) or "
            "missing. Run it without jit, or with FX_BLAS unset and scipy-openblas32 installed.")
    fn = _declare(module, name, dtype)
    sizes = [int(np.prod(shape, dtype=np.int64)) for _, shape, _ in s.signature()]

    def element(b, bvars):
        args = [b.gep(pointers[buf], [b.mul(bvars[0], ir.Constant(cg.I64, size))])
                for buf, size in zip(s.args, sizes)]
        _EMIT[s.op](b, fn, s, dict(s.params), *args)
    cg.Loops(b).nest([(0, s.batch)], element)


def _i32(v):
    return ir.Constant(cg.I32, int(v))


def _char(c):
    return ir.Constant(cg.I8, ord(c))


def _ld(cols):
    return _i32(max(cols, 1))


def _cholesky(b, fn, s, p, a, info):
    b.store(b.call(fn, [_i32(ROW_MAJOR), _char("L" if p["lower"] else "U"), _i32(s.n), a,
                        _ld(s.n)]), info)


def _triangular_solve(b, fn, s, p, a, x):
    side = s.m if p["left_side"] else s.n
    b.call(fn, [_i32(ROW_MAJOR), _i32(LEFT if p["left_side"] else RIGHT),
                _i32(LOWER if p["lower"] else UPPER), _i32(TRANS if p["transpose_a"] else NO_TRANS),
                _i32(UNIT if p["unit_diagonal"] else NON_UNIT), _i32(s.m), _i32(s.n),
                ir.Constant(fn.args[7].type, 1.0), a, _ld(side), x, _ld(s.n)])


def _lu(b, fn, s, p, a, pivots, permutation, info):
    n, loops = s.n, cg.Loops(b)
    one = ir.Constant(cg.I32, 1)
    loops.nest([(0, n)], lambda b, j: b.store(b.add(b.trunc(j[0], cg.I32), one),
                                               b.gep(pivots, [j[0]])))
    b.store(b.call(fn, [_i32(ROW_MAJOR), _i32(n), _i32(n), a, _ld(n), pivots]), info)

    def to_zero_based(b, j):  # LAPACK counts rows from 1
        slot = b.gep(pivots, [j[0]])
        row = b.sub(b.load(slot), one)
        row = b.select(b.icmp_signed("<", row, _i32(0)), _i32(0), row)
        b.store(b.select(b.icmp_signed(">", row, _i32(n - 1)), _i32(n - 1), row), slot)
    loops.nest([(0, n)], to_zero_based)
    loops.nest([(0, n)], lambda b, i: b.store(b.trunc(i[0], cg.I32), b.gep(permutation, [i[0]])))

    def swap(b, j):
        here = b.gep(permutation, [j[0]])
        there = b.gep(permutation, [b.sext(b.load(b.gep(pivots, [j[0]])), cg.I64)])
        x, y = b.load(here), b.load(there)
        b.store(y, here)
        b.store(x, there)
    loops.nest([(0, n)], swap)


def _householder(b, fn, s, p, a, tau, info):
    b.store(b.call(fn, [_i32(ROW_MAJOR), _i32(s.m), _i32(s.n), a, _ld(s.n), tau]), info)


def _householder_q(b, fn, s, p, q, tau, info):
    b.store(b.call(fn, [_i32(ROW_MAJOR), _i32(s.m), _i32(s.n), _i32(p["k"]), q, _ld(s.n), tau]),
            info)


def _eigh(b, fn, s, p, a, w, info):
    b.store(b.call(fn, [_i32(ROW_MAJOR), _char("V"), _char("L" if p["lower"] else "U"), _i32(s.n),
                        a, _ld(s.n), w]), info)


def _svd(b, fn, s, p, a, sv, *rest):
    m, n, k = s.m, s.n, min(s.m, s.n)
    if p["compute_uv"]:
        u, vt, info = rest
        jobz, ldu = ("A", m) if p["full_matrices"] else ("S", k)
    else:
        (info,) = rest
        u = vt = ir.Constant(a.type, None)  # not referenced with jobz="N"
        jobz, ldu = "N", 1
    b.store(b.call(fn, [_i32(ROW_MAJOR), _char(jobz), _i32(m), _i32(n), a, _ld(n), sv, u, _ld(ldu),
                        vt, _ld(n)]), info)


_EMIT = {"cholesky": _cholesky, "triangular_solve": _triangular_solve, "lu": _lu,
         "householder": _householder, "householder_q": _householder_q, "eigh": _eigh, "svd": _svd}
