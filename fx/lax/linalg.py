"""Dense linear algebra primitives (jax.lax.linalg's names): cholesky, triangular_solve, lu,
qr, eigh and svd, each over any leading batch dimensions.

Eagerly they run NumPy; under jit they lower to `Linalg` statements of the kernel program,
which the LLVM backend compiles into calls of LAPACK (from the scipy-openblas32 wheel).
A factorisation that fails (a matrix that is not positive definite, a NaN input, no
convergence) gives NaNs, never an exception, as in JAX. Derivatives are the standard
matrix-calculus results, written with these same primitives so that they compose
(reverse mode transposes triangular_solve; higher orders differentiate the rules).
Routines that read one triangle of a symmetric input (cholesky, eigh) are differentiated
as the functions of that triangle they are: the other triangle's tangent is ignored.
"""
from __future__ import annotations

import numpy as np

from fx import dtypes
from fx.argcheck import index
from fx.core import Primitive, ShapedArray, UndefinedPrimal, Zero, get_aval, tangent_aval
from fx.lax.examples import example, randn
from fx.transforms.batching import bdim_at_front, moveaxis
from fx.transforms.jvp import defjvp, instantiate

cholesky_p = Primitive("cholesky")
triangular_solve_p = Primitive("triangular_solve")
lu_p = Primitive("lu", multiple_results=True)
qr_p = Primitive("qr", multiple_results=True)
eigh_p = Primitive("eigh", multiple_results=True)
svd_p = Primitive("svd", multiple_results=True)


# ---------------------------------------------------------------------------- checks

def _check_matrix(name, aval, square=False):
    if aval.ndim < 2:
        raise ValueError(f"{name}: expected a matrix (an array of rank >= 2, batch dims first), "
                         f"got {aval.str_short()}")
    if not dtypes.is_floating(aval.dtype) or aval.dtype.itemsize < 4:
        raise TypeError(f"{name}: expected a float32 or float64 matrix, got {aval.str_short()}")
    if square and aval.shape[-1] != aval.shape[-2]:
        raise ValueError(f"{name}: expected square matrices (..., n, n), got {aval.str_short()}")


def _out(aval, shape, dtype=None):
    return ShapedArray(aval.shape[:-2] + tuple(shape), aval.dtype if dtype is None else dtype)


# ---------------------------------------------------------------------------- array helpers
# Traced building blocks of the derivative rules; x is (..., m, n).

def _lax():
    from fx import lax  # fx.lax imports this module
    return lax


def _swap(x):
    """The transpose of each matrix."""
    nd = get_aval(x).ndim
    return _lax().transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _mm(a, b):
    """Batched a @ b (equal batch dims)."""
    nd = get_aval(a).ndim
    batch = tuple(range(nd - 2))
    return _lax().dot_general(a, b, (((nd - 1,), (nd - 2,)), (batch, batch)))


def _const_matrix(x, matrix):
    """A constant (m, n) matrix broadcast to x's shape and dtype."""
    aval = get_aval(x)
    c = _lax()._as_operand(np.asarray(matrix, aval.dtype))
    return _lax().broadcast_in_dim(c, aval.shape, (aval.ndim - 2, aval.ndim - 1))


def _masked(x, keep):
    return _lax().mul(x, _const_matrix(x, keep))


def _tril(x, k=0):
    m, n = get_aval(x).shape[-2:]
    return _masked(x, np.tri(m, n, k))


def _triu(x, k=0):
    m, n = get_aval(x).shape[-2:]
    return _masked(x, 1 - np.tri(m, n, k - 1))


def _eye_like(x):
    return _const_matrix(x, np.eye(*get_aval(x).shape[-2:]))


def _diag(x):
    """The diagonal of each square matrix, (..., n)."""
    return _lax().reduce_sum(_lax().mul(x, _eye_like(x)), (get_aval(x).ndim - 1,))


def _rows(v, rows=None):
    """(..., n) -> (..., rows, n) (default n rows), every row equal to v."""
    aval = get_aval(v)
    n = aval.shape[-1]
    return _lax().broadcast_in_dim(v, aval.shape[:-1] + (n if rows is None else rows, n),
                                   tuple(range(aval.ndim - 1)) + (aval.ndim,))


def _symmetric_input(name, x, symmetrize_input):
    """x, or (x + x^T) / 2 when symmetrize_input: the public cholesky and eigh average the
    triangles so that a slightly asymmetric input does not depend on which one is read."""
    x = _lax()._as_operand(x)
    if not symmetrize_input:
        return x
    _check_matrix(name, get_aval(x), square=True)
    return _lax().mul(_lax().add(x, _swap(x)), 0.5)


def _reciprocal_off_diagonal(differences):
    """1 / differences off the diagonal and 0 on it, where differences is 0 (adding the
    identity first avoids dividing by zero there)."""
    eye = _eye_like(differences)
    gaps = _lax().add(differences, eye)
    return _lax().sub(_lax().div(_lax().full_like(gaps, 1), gaps), eye)


def _symmetrized(t, lower):
    """The symmetric matrix a routine sees when it reads only one triangle of t."""
    half = _tril(t) if lower else _triu(t)
    strict = _tril(t, -1) if lower else _triu(t, 1)
    return _lax().add(half, _swap(strict))


def _batch_unary(prim):
    """The primitives act on the trailing two dims: a vmapped axis moves to the front."""
    def rule(args, dims, **params):
        (x,), (d,) = args, dims
        out = prim.bind(moveaxis(x, d, 0), **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)
    prim.batch = rule


def _numpy_batched(fn, a, n_outs):
    """Apply fn to each matrix of a (..., m, n). A matrix that holds a NaN, or where fn
    raises LinAlgError, gives NaN outputs (JAX's convention, and LAPACKE's NaN check)."""
    batch = a.shape[:-2]
    flat = a.reshape((int(np.prod(batch, dtype=np.int64)),) + a.shape[-2:])
    results = []
    for mat in flat:
        try:
            if np.isnan(mat).any():
                raise np.linalg.LinAlgError
            with np.errstate(all="ignore"):
                outs = fn(mat)
        except np.linalg.LinAlgError:
            outs = None
        results.append(outs)
    template = next((r for r in results if r is not None), None)
    if template is None:
        template = fn(np.eye(*a.shape[-2:], dtype=a.dtype))
    stacked = []
    for k in range(n_outs):
        parts = [np.full_like(template[k], np.nan) if r is None else r[k] for r in results]
        stacked.append(np.asarray(parts, a.dtype).reshape(batch + np.shape(template[k])))
    return stacked


# ---------------------------------------------------------------------------- cholesky

def _cholesky_abstract_eval(a):
    _check_matrix("cholesky", a, square=True)
    return a.strip_weak_type()


def _cholesky_impl(a):
    (out,) = _numpy_batched(lambda m: (np.linalg.cholesky(np.tril(m) + np.tril(m, -1).T),),
                            a, 1)
    return out


def _cholesky_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    factor = cholesky_p.bind(a)
    t = _symmetrized(instantiate(t), lower=True)
    # L^-1 T L^-T, then Phi: its lower triangle with the diagonal halved
    inner = triangular_solve(factor, t, left_side=True, lower=True)
    inner = triangular_solve(factor, inner, left_side=False, lower=True, transpose_a=True)
    n = get_aval(a).shape[-1]
    phi = _masked(inner, np.tri(n) - 0.5 * np.eye(n))
    return factor, _mm(factor, phi)


cholesky_p.impl = _cholesky_impl
cholesky_p.abstract_eval = _cholesky_abstract_eval
cholesky_p.jvp = _cholesky_jvp
_batch_unary(cholesky_p)


def cholesky(x, *, symmetrize_input=True):
    """The lower Cholesky factor L (x = L L^T) of each matrix; NaNs where x is not
    positive definite. Only the lower triangle is read, after (x + x^T) / 2 if
    symmetrize_input."""
    return cholesky_p.bind(_symmetric_input("cholesky", x, symmetrize_input))


# ---------------------------------------------------------------------------- triangular_solve

def _triangular_solve_abstract_eval(a, b, *, left_side, lower, transpose_a, unit_diagonal):
    _check_matrix("triangular_solve", a, square=True)
    _check_matrix("triangular_solve", b)
    if a.dtype != b.dtype:
        raise TypeError(f"triangular_solve: a and b must have equal dtypes, got {a.str_short()} "
                        f"and {b.str_short()}")
    m = b.shape[-2] if left_side else b.shape[-1]
    if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != m:
        side = "(..., m, n) with a (..., m, m)" if left_side else "(..., n, m) with a (..., m, m)"
        raise ValueError(f"triangular_solve: expected b {side} and equal batch dims, got a "
                         f"{a.str_short()} and b {b.str_short()}")
    return b.strip_weak_type()


def _triangle(a, lower, unit_diagonal):
    """The triangular matrix a routine reads from a."""
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        n = a.shape[-1]
        t = t.copy()
        t[..., np.arange(n), np.arange(n)] = 1
    return t


def _triangular_solve_impl(a, b, *, left_side, lower, transpose_a, unit_diagonal):
    """Substitution, row by row, vectorised over the batch and the right-hand sides."""
    t = _triangle(a, lower, unit_diagonal)
    if transpose_a:
        t, lower = np.swapaxes(t, -1, -2), not lower
    if not left_side:  # x op(a) = b  <=>  op(a)^T x^T = b^T
        t, lower, b = np.swapaxes(t, -1, -2), not lower, np.swapaxes(b, -1, -2)
    x = np.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:], b.dtype)
    m = t.shape[-1]
    with np.errstate(all="ignore"):
        for i in (range(m) if lower else range(m - 1, -1, -1)):
            done = slice(0, i) if lower else slice(i + 1, m)
            partial = np.einsum("...k,...kn->...n", t[..., i, done], x[..., done, :])
            x[..., i, :] = (b[..., i, :] - partial) / t[..., i, i:i + 1]
    return x if left_side else np.swapaxes(x, -1, -2)


def _triangular_solve_jvp_a(g, x, a, b, *, left_side, lower, transpose_a, unit_diagonal):
    """d op(A)^-1 B = -op(A)^-1 op(dA) op(A)^-1 B (left; mirrored on the right)."""
    params = dict(left_side=left_side, lower=lower, transpose_a=transpose_a,
                  unit_diagonal=unit_diagonal)
    n = get_aval(a).shape[-1]
    keep = np.tri(n) if lower else np.tri(n).T
    g = _masked(g, keep - np.eye(n) if unit_diagonal else keep)
    if transpose_a:
        g = _swap(g)
    product = _mm(g, x) if left_side else _mm(x, g)
    return _lax().neg(triangular_solve_p.bind(a, product, **params))


def _triangular_solve_transpose(ct, a, b, *, left_side, lower, transpose_a, unit_diagonal):
    if isinstance(a, UndefinedPrimal):
        raise NotImplementedError("transposition rule for triangular_solve: it is linear in b only")
    return [None, triangular_solve_p.bind(a, ct, left_side=left_side, lower=lower,
                                          transpose_a=not transpose_a,
                                          unit_diagonal=unit_diagonal)]


def _triangular_solve_batch(args, dims, **params):
    size = next(get_aval(x).shape[d] for x, d in zip(args, dims) if d is not None)
    a, b = (bdim_at_front(x, d, size) for x, d in zip(args, dims))
    return triangular_solve_p.bind(a, b, **params), 0


triangular_solve_p.impl = _triangular_solve_impl
triangular_solve_p.abstract_eval = _triangular_solve_abstract_eval
defjvp(triangular_solve_p, _triangular_solve_jvp_a,
       lambda g, x, a, b, **params: triangular_solve_p.bind(a, g, **params))
triangular_solve_p.transpose = _triangular_solve_transpose
triangular_solve_p.batch = _triangular_solve_batch


def triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False, conjugate_a=False,
                     unit_diagonal=False):
    """x with op(a) x = b (left_side) or x op(a) = b, op(a) = a or a^T, reading only a's
    `lower` (or upper) triangle, and taking its diagonal as ones if unit_diagonal.
    conjugate_a is accepted for JAX compatibility (fx's arrays are real)."""
    del conjugate_a
    return triangular_solve_p.bind(_lax()._as_operand(a), _lax()._as_operand(b),
                                   left_side=bool(left_side), lower=bool(lower),
                                   transpose_a=bool(transpose_a), unit_diagonal=bool(unit_diagonal))


# ---------------------------------------------------------------------------- lu

def _lu_abstract_eval(a):
    _check_matrix("lu", a, square=True)
    n = a.shape[-1]
    return [a.strip_weak_type(), _out(a, (n,), np.int32), _out(a, (n,), np.int32)]


def _lu_impl(a):
    """Gaussian elimination with partial pivoting (LAPACK's getrf: the first largest
    |pivot| wins ties), vectorised over the batch; a matrix with a NaN gives NaNs."""
    batch, n = a.shape[:-2], a.shape[-1]
    lu = a.reshape((int(np.prod(batch, dtype=np.int64)), n, n)).copy()
    perm = np.tile(np.arange(n, dtype=np.int32), (lu.shape[0], 1))
    pivots = np.zeros((lu.shape[0], n), np.int32)
    rows = np.arange(lu.shape[0])
    with np.errstate(all="ignore"):
        for j in range(n):
            p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
            pivots[:, j] = p
            lu[rows, j], lu[rows, p] = lu[rows, p], lu[rows, j].copy()
            perm[rows, j], perm[rows, p] = perm[rows, p], perm[rows, j].copy()
            pivot = lu[:, j, j:j + 1]
            lu[:, j + 1:, j] = np.where(pivot != 0, lu[:, j + 1:, j] / pivot, lu[:, j + 1:, j])
            lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    bad = np.isnan(a.reshape(lu.shape)).any(axis=(1, 2))
    lu[bad] = np.nan
    pivots[bad] = perm[bad] = np.arange(n)
    return [lu.reshape(a.shape), pivots.reshape(batch + (n,)), perm.reshape(batch + (n,))]


def permutation_matrix(permutation, dtype):
    """P with (P x)[i] = x[permutation[i]], one per batch element: (..., n, n)."""
    lax = _lax()
    aval = get_aval(permutation)
    shape = aval.shape + (aval.shape[-1],)
    columns = lax.broadcasted_iota(aval.dtype, shape, aval.ndim)
    rows = lax.broadcast_in_dim(permutation, shape, tuple(range(aval.ndim)))
    return lax.convert_element_type(lax.eq(rows, columns), dtype)


def _lu_jvp(primals, tangents):
    """With P A = L U: L^-1 P dA U^-1 = X gives dL = L tril(X, -1), dU = triu(X) U."""
    (a,), (t,) = primals, tangents
    lu, pivots, perm = lu_p.bind(a)
    unit_lower = _lax().add(_tril(lu, -1), _eye_like(lu))
    x = _mm(permutation_matrix(perm, get_aval(a).dtype), instantiate(t))
    x = triangular_solve(lu, x, left_side=True, lower=True, unit_diagonal=True)
    x = triangular_solve(lu, x, left_side=False, lower=False)
    lu_dot = _lax().add(_mm(unit_lower, _tril(x, -1)), _mm(_triu(x), _triu(lu)))
    return [lu, pivots, perm], [lu_dot, Zero(tangent_aval(get_aval(pivots))),
                                Zero(tangent_aval(get_aval(perm)))]


lu_p.impl = _lu_impl
lu_p.abstract_eval = _lu_abstract_eval
lu_p.jvp = _lu_jvp
_batch_unary(lu_p)


def lu(x):
    """(lu, pivots, permutation) of each square matrix, partial pivoting: lu packs the
    unit lower L below the diagonal and U on and above it; pivots[i] is the row swapped
    with row i at step i; x[..., permutation, :] == L @ U."""
    return tuple(lu_p.bind(_lax()._as_operand(x)))


# ---------------------------------------------------------------------------- qr

def _qr_shapes(m, n, full_matrices):
    k = m if full_matrices else min(m, n)
    return (m, k), (k, n)


def _qr_abstract_eval(a, *, full_matrices):
    _check_matrix("qr", a)
    q, r = _qr_shapes(*a.shape[-2:], full_matrices)
    return [_out(a, q), _out(a, r)]


def _qr_impl(a, *, full_matrices):
    mode = "complete" if full_matrices else "reduced"
    return _numpy_batched(lambda m: np.linalg.qr(m, mode=mode), a, 2)


def _qr_jvp(primals, tangents, *, full_matrices):
    """For m >= n (and square or reduced Q): with C = Q^T dA R^-1 and W = the
    antisymmetric matrix built from C's strict lower triangle, dQ = Q (W - C) + dA R^-1
    and dR = (C - W) R."""
    (a,), (t,) = primals, tangents
    m, n = get_aval(a).shape[-2:]
    if m < n or (full_matrices and m != n):
        raise NotImplementedError("differentiation (jvp) rule for primitive 'qr' is not "
                                  "implemented for wide matrices (m < n) or full_matrices with m > n")
    q, r = qr_p.bind(a, full_matrices=full_matrices)
    dx_rinv = triangular_solve(r, instantiate(t), left_side=False, lower=False)
    c = _mm(_swap(q), dx_rinv)
    lower = _tril(c, -1)
    w = _lax().sub(lower, _swap(lower))
    dq = _lax().add(_mm(q, _lax().sub(w, c)), dx_rinv)
    dr = _mm(_lax().sub(c, w), r)
    return [q, r], [dq, dr]


qr_p.impl = _qr_impl
qr_p.abstract_eval = _qr_abstract_eval
qr_p.jvp = _qr_jvp
_batch_unary(qr_p)


def qr(x, *, pivoting=False, full_matrices=True):
    """(q, r) with x = q r, q orthonormal columns, r upper triangular (Householder, as
    LAPACK's geqrf/orgqr: the signs are LAPACK's)."""
    if pivoting:
        raise NotImplementedError("fx.lax.linalg.qr: pivoting=True is not implemented")
    return tuple(qr_p.bind(_lax()._as_operand(x), full_matrices=bool(full_matrices)))


# ---------------------------------------------------------------------------- eigh

def _eigh_abstract_eval(a, *, lower):
    _check_matrix("eigh", a, square=True)
    return [a.strip_weak_type(), _out(a, (a.shape[-1],))]


def _eigh_impl(a, *, lower):
    def one(m):
        w, v = np.linalg.eigh(m, UPLO="L" if lower else "U")
        return v, w
    return _numpy_batched(one, a, 2)


def _eigh_jvp(primals, tangents, *, lower):
    """dw = diag(V^T dA V), dV = V (F o V^T dA V) with F[i, j] = 1 / (w[j] - w[i]) off the
    diagonal (distinct eigenvalues), 0 on it."""
    lax = _lax()
    (a,), (t,) = primals, tangents
    v, w = eigh_p.bind(a, lower=lower)
    vt_t_v = _mm(_swap(v), _mm(_symmetrized(instantiate(t), lower), v))
    f = _reciprocal_off_diagonal(lax.sub(_rows(w), _swap(_rows(w))))
    return [v, w], [_mm(v, lax.mul(f, vt_t_v)), _diag(vt_t_v)]


eigh_p.impl = _eigh_impl
eigh_p.abstract_eval = _eigh_abstract_eval
eigh_p.jvp = _eigh_jvp
_batch_unary(eigh_p)


def eigh(x, *, lower=True, symmetrize_input=True, sort_eigenvalues=True):
    """(v, w): the eigenvectors (columns of v) and ascending eigenvalues w of each
    symmetric matrix, reading its `lower` (else upper) triangle, after (x + x^T) / 2 if
    symmetrize_input. Eigenvalues always come sorted."""
    del sort_eigenvalues
    return tuple(eigh_p.bind(_symmetric_input("eigh", x, symmetrize_input), lower=bool(lower)))


# ---------------------------------------------------------------------------- svd

def _svd_abstract_eval(a, *, full_matrices, compute_uv):
    _check_matrix("svd", a)
    m, n = a.shape[-2:]
    k = min(m, n)
    s = _out(a, (k,))
    if not compute_uv:
        return [s]
    return [s, _out(a, (m, m if full_matrices else k)), _out(a, (n if full_matrices else k, n))]


def _svd_impl(a, *, full_matrices, compute_uv):
    if not compute_uv:
        return _numpy_batched(lambda m: (np.linalg.svd(m, compute_uv=False),), a, 1)
    return _numpy_batched(lambda m: (lambda u, s, vt: (s, u, vt))(
        *np.linalg.svd(m, full_matrices=full_matrices)), a, 3)


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    """ds = diag(U^T dA V); for distinct nonzero singular values dU and dV come from
    F[i, j] = 1 / (s[j]^2 - s[i]^2), plus the components outside the span of U (m > n)
    or V (n > m)."""
    lax = _lax()
    (a,), (t,) = primals, tangents
    m, n = get_aval(a).shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError("differentiation (jvp) rule for primitive 'svd' is not "
                                  "implemented for full_matrices=True with non-square input")
    s, u, vt = svd_p.bind(a, full_matrices=full_matrices and compute_uv, compute_uv=True)
    t = instantiate(t)
    v = _swap(vt)
    ds_mat = _mm(_swap(u), _mm(t, v))
    ds = _diag(ds_mat)
    if not compute_uv:
        return [s], [ds]
    s_row = _rows(s)
    f = _reciprocal_off_diagonal(lax.mul(lax.add(s_row, _swap(s_row)), lax.sub(s_row, _swap(s_row))))
    ds_s = lax.mul(s_row, ds_mat)            # dS diag(s)
    s_ds = lax.mul(_swap(s_row), ds_mat)     # diag(s) dS
    du = _mm(u, lax.mul(f, lax.add(ds_s, _swap(ds_s))))
    dv = _mm(v, lax.mul(f, lax.add(s_ds, _swap(s_ds))))
    if m > n:
        dav = _mm(t, v)
        du = lax.add(du, lax.div(lax.sub(dav, _mm(u, _mm(_swap(u), dav))), _rows(s, m)))
    if n > m:
        datu = _mm(_swap(t), u)
        dv = lax.add(dv, lax.div(lax.sub(datu, _mm(v, _mm(vt, datu))), _rows(s, n)))
    return [s, u, vt], [ds, du, _swap(dv)]


svd_p.impl = _svd_impl
svd_p.abstract_eval = _svd_abstract_eval
svd_p.jvp = _svd_jvp
_batch_unary(svd_p)


def svd(x, *, full_matrices=True, compute_uv=True):
    """(u, s, vt) with x = u diag(s) vt and s descending (LAPACK's gesdd), or s alone."""
    outs = svd_p.bind(_lax()._as_operand(x), full_matrices=bool(full_matrices),
                      compute_uv=bool(compute_uv))
    if not compute_uv:
        return outs[0]
    s, u, vt = outs
    return u, s, vt


# ---------------------------------------------------------------------------- compositions
# The routines below are written with fx.lax's primitives (no LAPACK call of their own),
# so every transform comes from those primitives' rules.

def lu_pivots_to_permutation(pivots, permutation_size):
    """The permutation of LAPACK's `pivots` (row i swapped with row pivots[i], in order),
    (..., permutation_size): P a == a[..., permutation, :]."""
    lax = _lax()
    pivots = lax._as_operand(pivots)
    aval = get_aval(pivots)
    if aval.ndim < 1 or not dtypes.is_integer(aval.dtype):
        raise TypeError(f"lu_pivots_to_permutation: pivots must be integers of shape (..., k), got "
                        f"{aval.str_short()}")
    size = index(permutation_size, "lu_pivots_to_permutation: permutation_size")
    if size < aval.shape[-1]:
        raise ValueError(f"lu_pivots_to_permutation: permutation_size {size} must be at least the "
                         f"number of pivots {aval.shape[-1]}")
    shape, last = aval.shape[:-1] + (size,), aval.ndim - 1
    positions = lax.broadcasted_iota(aval.dtype, shape, last)

    def spread(v):  # (...,) -> (..., size)
        return lax.broadcast_in_dim(v, shape, tuple(range(last)))

    def swap(i, perm):
        j = spread(lax.dynamic_index_in_dim(pivots, i, last, keepdims=False))
        at_i = spread(lax.dynamic_index_in_dim(perm, i, last, keepdims=False))
        at_j = lax.reduce_sum(lax.select(lax.eq(positions, j), perm, lax.full_like(perm, 0)), (last,))
        perm = lax.select(lax.eq(positions, j), at_i, perm)
        return lax.dynamic_update_index_in_dim(perm, at_j, i, last)
    return lax.fori_loop(0, aval.shape[-1], swap, positions)


def _tridiagonal_product(dl, d, du, x):
    """A x for the tridiagonal A of (dl, d, du), x (m, ..., n), diagonals (m, ...)."""
    lax = _lax()
    zero = lax.full_like(lax.slice_in_dim(x, 0, 1), 0)
    below = lax.concatenate([zero, lax.slice_in_dim(x, 0, -1)], 0)   # x[i - 1]
    above = lax.concatenate([lax.slice_in_dim(x, 1, None), zero], 0)  # x[i + 1]
    return lax.add(lax.add(lax.mul(_columns(dl, x), below), lax.mul(_columns(d, x), x)),
                   lax.mul(_columns(du, x), above))


def _columns(v, x):
    """v (m, ...) broadcast against x (m, ..., n)."""
    return _lax().broadcast_in_dim(v, get_aval(x).shape, tuple(range(get_aval(v).ndim)))


def _thomas(dl, d, du, b, perturb_singular):
    """The Thomas algorithm (elimination without pivoting) down the leading axis: the
    diagonals (m, ...) and b (m, ..., n). With perturb_singular a pivot smaller than
    eps * max|A| becomes that (with its sign), so a singular system gives finite numbers."""
    lax = _lax()
    eps = float(dtypes.finfo(get_aval(d).dtype).eps)
    largest = lax.reduce_max(lax.max(lax.max(lax.abs(dl), lax.abs(d)), lax.abs(du)), (0,))
    scale = lax.broadcast_in_dim(largest, get_aval(d).shape, tuple(range(1, get_aval(d).ndim)))

    def pivot(p, s):
        if not perturb_singular:
            return p
        tiny = lax.mul(s, eps)
        sign = lax.select(lax.lt(p, lax.full_like(p, 0)), lax.neg(tiny), tiny)
        return lax.select(lax.lt(lax.abs(p), tiny), sign, p)

    def forward(carry, row):
        c_prev, x_prev = carry
        a, diag, c, rhs, s = row
        p = pivot(lax.sub(diag, lax.mul(a, c_prev)), s)
        c_next = lax.div(c, p)
        x_next = lax.div(lax.sub(rhs, lax.mul(_columns(a, rhs), x_prev)), _columns(p, rhs))
        return (c_next, x_next), (c_next, x_next)

    init = (lax.full_like(lax.index_in_dim(d, 0, keepdims=False), 0),
            lax.full_like(lax.index_in_dim(b, 0, keepdims=False), 0))
    _, (c, x) = lax.scan(forward, init, (dl, d, du, b, scale))

    def backward(x_next, row):
        c_i, x_i = row
        x_i = lax.sub(x_i, lax.mul(_columns(c_i, x_i), x_next))
        return x_i, x_i
    return lax.scan(backward, lax.full_like(init[1], 0), (c, x), reverse=True)[1]


def tridiagonal_solve(dl, d, du, b, *, perturb_singular=False):
    """x with A x = b for the tridiagonal A of lower diagonal dl (dl[0] ignored),
    diagonal d and upper diagonal du (du[-1] ignored), each (..., m), and b (..., m, n).
    Solved by elimination without pivoting (LAPACK's gtsv pivots: for a system that is
    not diagonally dominant the two may round differently), and differentiated
    implicitly, as JAX's: dx = A^-1 (db - dA x)."""
    lax = _lax()
    dl, d, du, b = map(lax._as_operand, (dl, d, du, b))
    avals = [get_aval(v) for v in (dl, d, du, b)]
    if len({a.dtype for a in avals}) != 1 or not dtypes.is_floating(avals[0].dtype):
        raise TypeError(f"tridiagonal_solve: dl, d, du and b must be floats of one dtype, got "
                        f"{[a.str_short() for a in avals]}")
    if avals[0].shape != avals[1].shape or avals[0].shape != avals[2].shape:
        raise TypeError("tridiagonal_solve requires that all diagonal arguments have the same shape.")
    if avals[3].ndim < 1 or avals[0].shape != avals[3].shape[:-1]:
        raise TypeError("tridiagonal_solve requires that the leading ndim-1 dimensions of b equal "
                        "the dimensions of the diagonal arguments.")
    nd = avals[0].ndim
    if nd == 0 or avals[0].shape[-1] == 0:
        return b
    front = (nd - 1,) + tuple(range(nd - 1))  # the m axis first
    dl, d, du = (lax.transpose(v, front) for v in (dl, d, du))
    b = lax.transpose(b, front + (nd,))
    zero = lax.full_like(lax.slice_in_dim(d, 0, 1), 0)
    dl = lax.concatenate([zero, lax.slice_in_dim(dl, 1, None)], 0)   # the ignored corners
    du = lax.concatenate([lax.slice_in_dim(du, 0, -1), zero], 0)

    def matvec(x):
        return _tridiagonal_product(dl, d, du, x)

    def solve(_, rhs):
        return _thomas(dl, d, du, rhs, bool(perturb_singular))
    x = lax.custom_linear_solve(matvec, b, solve)
    return lax.transpose(x, tuple(range(1, nd)) + (0, nd))


def symmetric_product(a_matrix, c_matrix, *, alpha=1.0, beta=0.0, symmetrize_output=False):
    """alpha a a^T + beta c for a (..., m, n) and symmetric c (..., m, m). Every entry is
    computed (JAX's CPU result); symmetrize_output copies the lower triangle onto the
    upper one, as JAX does."""
    lax = _lax()
    a, c = lax._as_operand(a_matrix), lax._as_operand(c_matrix)
    a_aval, c_aval = get_aval(a), get_aval(c)
    if a_aval.ndim < 2 or c_aval.shape != a_aval.shape[:-2] + (a_aval.shape[-2],) * 2:
        raise ValueError(f"symmetric_product: expected a (..., m, n) and c (..., m, m), got "
                         f"{a_aval.str_short()} and {c_aval.str_short()}")
    out = lax.add(lax.mul(_mm(a, _swap(a)), alpha), lax.mul(c, beta))
    return _lax().add(_tril(out), _swap(_tril(out, -1))) if symmetrize_output else out


def cholesky_update(r_matrix, w_vector):
    """The upper Cholesky factor of R^T R + w w^T from the factor R (n, n) of R^T R and w
    (n,): n Givens rotations, each folding one entry of w into a row of R (O(n^2))."""
    lax = _lax()
    r, w = lax._as_operand(r_matrix), lax._as_operand(w_vector)
    r_aval, w_aval = get_aval(r), get_aval(w)
    if r_aval.ndim != 2 or r_aval.shape[0] != r_aval.shape[1] or w_aval.shape != r_aval.shape[:1]:
        raise ValueError("Rank-1 update to Cholesky decomposition takes a square matrix and a "
                         f"vector of the same size as input. Got shapes {r_aval.shape} and "
                         f"{w_aval.shape} instead")
    rows = []
    for k in range(r_aval.shape[0]):
        row = lax.index_in_dim(r, k, keepdims=False)
        x, y = lax.index_in_dim(row, k, keepdims=False), lax.index_in_dim(w, k, keepdims=False)
        zero = lax.eq(y, lax.full_like(y, 0))
        # the rotation (c, s) with c x + s y = hypot(x, y), scaled by max(|x|, |y|) against
        # overflow; the identity when y is 0 (the guard keeps both branches finite)
        scale = lax.select(zero, lax.full_like(x, 1), lax.max(lax.abs(x), lax.abs(y)))
        x, y = lax.div(x, scale), lax.div(y, scale)
        norm = lax.rsqrt(lax.add(lax.mul(x, x), lax.mul(y, y)))
        c = lax.select(zero, lax.full_like(x, 1), lax.mul(x, norm))
        s = lax.select(zero, lax.full_like(x, 0), lax.mul(y, norm))
        rows.append(lax.add(lax.mul(row, c), lax.mul(w, s)))
        w = lax.sub(lax.mul(w, c), lax.mul(row, s))
    return lax.stack(rows) if rows else r


# ---------------------------------------------------------------------------- lowering
# Each routine works in place on a fresh copy of its operand (never on an input); its
# results are read through inline values that put NaNs where LAPACK's info reports a
# failure, and zeros in the triangle a factor leaves undefined.

def _workspace(ctx, x):
    return ctx.materialize(x, dest=ctx.new_buffer(x.shape, x.dtype)).buffer


def _info(ctx, batch):
    return ctx.new_buffer(batch + (1,), np.int32)


def _linalg(ctx, op, args, batch, m, n, **params):
    from fx.ir import kernels as K
    ctx.emit(K.Linalg("", op, tuple(args), int(np.prod(batch, dtype=np.int64)), m, n,
                      tuple(sorted(params.items()))))


def _checked(buf, info, shape=None, triangle=None, failed="ne"):
    """buf (or its leading `shape` block) as an inline value: NaN for every matrix whose
    info compares `failed` to 0, zero outside the "lower"/"upper" `triangle`."""
    from fx.ir import kernels as K
    from fx.ir.lower import InlineValue
    nb = len(info.shape) - 1

    def at(idx):
        value = K.Load(buf.dtype, buf, idx)
        if triangle is not None:
            i, j = (K.IndexValue(np.dtype(np.int64), v) for v in idx[-2:])
            inside = K.op("ge" if triangle == "lower" else "le", i, j, dtype=np.bool_)
            value = K.op("select", inside, value, K.const(0, buf.dtype))
        code = K.Load(np.dtype(np.int32), info, idx[:nb] + (K.IConst(0),))
        bad = K.op(failed, code, K.const(0, np.int32), dtype=np.bool_)
        return K.op("select", bad, K.const(np.nan, buf.dtype), value)
    return InlineValue(shape or buf.shape, buf.dtype, at)


def _lower_cholesky(ctx, a):
    batch, n = a.shape[:-2], a.shape[-1]
    work, info = _workspace(ctx, a), _info(ctx, batch)
    _linalg(ctx, "cholesky", [work, info], batch, n, n, lower=True)
    return _checked(work, info, triangle="lower")


def _lower_triangular_solve(ctx, a, b, **params):
    from fx.ir.lower import BufferValue
    x = _workspace(ctx, b)
    _linalg(ctx, "triangular_solve", [ctx.materialize(a).buffer, x], b.shape[:-2], *b.shape[-2:],
            **params)
    return BufferValue(x)


def _lower_lu(ctx, a):
    from fx.ir.lower import BufferValue
    batch, n = a.shape[:-2], a.shape[-1]
    work, info = _workspace(ctx, a), _info(ctx, batch)
    pivots, permutation = (ctx.new_buffer(batch + (n,), np.int32) for _ in range(2))
    _linalg(ctx, "lu", [work, pivots, permutation, info], batch, n, n)
    # info > 0 only says U is singular; the pivots of a rejected input stay the identity
    return [_checked(work, info, failed="lt"), BufferValue(pivots), BufferValue(permutation)]


def _lower_qr(ctx, a, *, full_matrices):
    from fx.ir import kernels as K
    from fx.ir.lower import InlineValue
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    (_, kq), r_shape = _qr_shapes(m, n, full_matrices)
    k = min(m, n)
    work, tau, info = _workspace(ctx, a), ctx.new_buffer(batch + (k,), a.dtype), _info(ctx, batch)
    _linalg(ctx, "householder", [work, tau, info], batch, m, n)

    def reflectors(idx):  # work's first columns, zeros beyond them
        if n == 0:
            return K.const(0, work.dtype)
        *rest, j = idx
        value = K.Load(work.dtype, work, (*rest, K.iclamp(j, 0, n - 1)))
        inside = K.op("lt", K.IndexValue(np.dtype(np.int64), j), K.const(n, np.int64), dtype=np.bool_)
        return K.op("select", inside, value, K.const(0, work.dtype))
    q = ctx.new_buffer(batch + (m, kq), a.dtype)
    ctx.materialize(InlineValue(q.shape, q.dtype, reflectors), dest=q)
    q_info = _info(ctx, batch)
    _linalg(ctx, "householder_q", [q, tau, q_info], batch, m, kq, k=k)
    return [_checked(q, q_info), _checked(work, info, batch + r_shape, triangle="upper")]


def _lower_eigh(ctx, a, *, lower):
    batch, n = a.shape[:-2], a.shape[-1]
    work, info = _workspace(ctx, a), _info(ctx, batch)
    w = ctx.new_buffer(batch + (n,), a.dtype)
    _linalg(ctx, "eigh", [work, w, info], batch, n, n, lower=lower)
    return [_checked(work, info), _checked(w, info)]


def _lower_svd(ctx, a, *, full_matrices, compute_uv):
    batch = a.shape[:-2]
    if 0 in a.shape[-2:]:  # LAPACK returns at once, leaving u and vt unset: identities
        s, *uv = ctx.out_avals
        return [ctx.constant(np.zeros(s.shape, s.dtype))] + [
            ctx.constant(np.broadcast_to(np.eye(*x.shape[-2:], dtype=x.dtype), x.shape)) for x in uv]
    outs = [ctx.new_buffer(aval.shape, aval.dtype) for aval in ctx.out_avals]
    work, info = _workspace(ctx, a), _info(ctx, batch)
    _linalg(ctx, "svd", [work, *outs, info], batch, *a.shape[-2:], full_matrices=full_matrices,
            compute_uv=compute_uv)
    return [_checked(x, info) for x in outs]


cholesky_p.lower = _lower_cholesky
triangular_solve_p.lower = _lower_triangular_solve
lu_p.lower = _lower_lu
qr_p.lower = _lower_qr
eigh_p.lower = _lower_eigh
svd_p.lower = _lower_svd


# ---------------------------------------------------------------------------- examples
# Well-conditioned inputs: SPD for cholesky, distinct eigenvalues and singular values
# for the derivatives. Eigen- and singular vectors are defined up to sign; jit (LAPACK)
# and eager (NumPy, whose LAPACK runs the same algorithms) agree on them, and finite
# differences keep them continuous. Derivatives that are not implemented (wide or
# full_matrices QR, full_matrices SVD of a non-square matrix) opt out with diff_argnums=().

def _spd(*shape, seed):
    a = randn(*shape, seed=seed)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _lower_tri(*shape, seed):
    return np.tril(randn(*shape, seed=seed)) + 3 * np.eye(shape[-1])


def _cholesky_reference(a):
    return np.linalg.cholesky(np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2))


def _triangular_solve_reference(a, b, *, left_side, lower, transpose_a, unit_diagonal):
    t = _triangle(a, lower, unit_diagonal)
    t = np.swapaxes(t, -1, -2) if transpose_a else t
    if left_side:
        return np.linalg.solve(t, b)
    return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


example(cholesky_p, _spd(4, 4, seed=40), reference=_cholesky_reference)
example(cholesky_p, _spd(2, 3, 3, seed=41) + np.triu(randn(3, 3, seed=42), 1),
        reference=_cholesky_reference, name="batched_upper_ignored")
for _i, (_left, _lower, _trans, _unit) in enumerate([(True, True, False, False), (True, False, True, False),
                                                     (False, True, False, True), (False, False, True, False)]):
    _a = _lower_tri(2, 3, 3, seed=43 + _i)
    example(triangular_solve_p, _a if _lower else np.swapaxes(_a, -1, -2) + np.tril(_a, -1),
            randn(2, 3, 2, seed=50 + _i) if _left else randn(2, 2, 3, seed=50 + _i),
            params=dict(left_side=_left, lower=_lower, transpose_a=_trans, unit_diagonal=_unit),
            reference=_triangular_solve_reference, linear_argnums=(1,),
            name=f"{'left' if _left else 'right'}_{'lower' if _lower else 'upper'}"
                 f"{'_transposed' if _trans else ''}{'_unit' if _unit else ''}")
example(lu_p, randn(4, 4, seed=60))
example(lu_p, randn(2, 3, 3, seed=61), name="batched")
example(qr_p, randn(4, 3, seed=62), params=dict(full_matrices=False), name="tall")
example(qr_p, randn(2, 3, 3, seed=63), params=dict(full_matrices=True), name="batched_square")
example(qr_p, randn(4, 3, seed=64), params=dict(full_matrices=True), diff_argnums=(), name="tall_full")
example(qr_p, randn(3, 5, seed=65), params=dict(full_matrices=False), diff_argnums=(), name="wide")
example(eigh_p, _spd(4, 4, seed=66), params=dict(lower=True))
example(eigh_p, _spd(2, 3, 3, seed=67) + np.tril(randn(3, 3, seed=68), -1), params=dict(lower=False),
        name="batched_upper")
example(svd_p, randn(4, 3, seed=69), params=dict(full_matrices=False, compute_uv=True), name="tall")
example(svd_p, randn(2, 3, 4, seed=70), params=dict(full_matrices=False, compute_uv=True),
        name="batched_wide")
example(svd_p, randn(3, 3, seed=71), params=dict(full_matrices=True, compute_uv=True), name="square")
example(svd_p, randn(4, 3, seed=72), params=dict(full_matrices=False, compute_uv=False),
        reference=lambda a, **_: [np.linalg.svd(a, compute_uv=False)], name="values")
example(svd_p, randn(3, 4, seed=73), params=dict(full_matrices=True, compute_uv=True), diff_argnums=(),
        name="wide_full")
