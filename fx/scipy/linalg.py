"""fx.scipy.linalg: jax.scipy.linalg's functions, with SciPy's conventions rather than
NumPy's (cholesky upper by default, eigh returning (w, v), lu returning (p, l, u) with
a = p @ l @ u, qr's modes "full" / "economic" / "r" returning tuples, solvers taking a
factorisation and `trans`).

Everything is written with fx.lax.linalg's factorisations and fx.numpy, so it jits,
differentiates and batches over leading dimensions through their rules; no primitive is
added. Arguments that only steer SciPy's memory use or input checks (overwrite_*,
check_finite, lwork, lapack_driver, turbo, debug) are accepted and ignored, as in JAX.
expm is JAX's Padé scaling and squaring (degree and squarings picked from the 1-norm),
so it is differentiable and jittable; expm_frechet is its JVP.

Not provided: schur, sqrtm, logm, funm, rsf2csf and hessenberg (they need a Schur or
Hessenberg factorisation that fx.lax.linalg does not have), qr(pivoting=True), the
generalised eigh (b), and lu of a non-square matrix (fx.lax.linalg.lu is square only).
"""
from __future__ import annotations

import functools
import math
import warnings

import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.api import jvp, vmap
from fx.argcheck import check_choice, describe, index
from fx.lax import linalg as lax_linalg
from fx.numpy import linalg as jnp_linalg
from fx.numpy._promote import _operand, broadcast_shapes, promote_dtypes, promote_dtypes_inexact
from fx.transforms.custom import custom_jvp


# ---------------------------------------------------------------------------- helpers

def _inexact(*arrays):
    return promote_dtypes_inexact(*(jnp.asarray(_operand(a)) for a in arrays))


def _matrices(name, a, square=True):
    """a as a float array of (square) matrices (..., m, n), or a clear error."""
    (a,) = _inexact(a)
    if a.ndim < 2:
        raise ValueError(f"{name}: expected an array of matrices (..., m, n), got shape {a.shape}")
    if square and a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name}: expected square matrices (..., n, n), got shape {a.shape}")
    return a


def _swap(x):
    return jnp.swapaxes(x, -1, -2)


def _eye_like(a):
    return jnp.broadcast_to(jnp.eye(a.shape[-1], dtype=a.dtype), a.shape)


def _system(name, a, b, batched_vectors_warn=True):
    """(a, b as matrices, vector): a (..., n, n) and b (..., n, k) with equal batch dims,
    and whether b was a vector (n,) or, as in JAX, a batch of vectors (a.ndim == b.ndim +
    1, deprecated there with a FutureWarning), whose solution drops the last axis again."""
    a = _matrices(name, a)
    a, b = _inexact(a, b)
    n = a.shape[-1]
    vector = b.ndim == 1 or (a.ndim == b.ndim + 1 and b.shape[-1] == n)
    if vector and b.ndim > 1 and batched_vectors_warn:
        warnings.warn(f"{name}: batched 1D solves with b.ndim > 1 are deprecated (in JAX), and will "
                      f"be treated as batched 2D solves; use {name}(..., b[..., None])[..., 0]",
                      FutureWarning, stacklevel=3)
    if vector:
        b = b[..., None]
    if b.ndim < 2 or b.shape[-2] != n:
        raise ValueError(f"{name}: b must have shape ({n},) or (..., {n}, k) to match a of shape "
                         f"{a.shape}, got {b.shape}")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return jnp.broadcast_to(a, batch + a.shape[-2:]), jnp.broadcast_to(b, batch + b.shape[-2:]), vector


def _solution(x, vector):
    return x[..., 0] if vector else x


def _per_matrix(fn, a):
    """fn, written for one matrix, mapped over a's leading dimensions."""
    for _ in range(a.ndim - 2):
        fn = vmap(fn)
    return fn(a)


def _transposes(name, trans, allowed):
    """Whether `trans`, one of `allowed` (0 / "N": a; 1 / "T", 2 / "C": a^T, conjugation
    being moot for real arrays), asks for the transpose."""
    valid = isinstance(trans, (int, np.integer, str)) and not isinstance(trans, (bool, np.bool_))
    if not valid or trans not in allowed:
        raise ValueError(f"{name}: trans must be one of {', '.join(map(repr, allowed))}, got "
                         f"{describe(trans)}")
    return trans not in (0, "N")


# ---------------------------------------------------------------------------- cholesky

def _lower_factor(a, lower):
    """The lower Cholesky factor of a, read from its lower (else upper) triangle."""
    return lax_linalg.cholesky(a if lower else _swap(a), symmetrize_input=False)


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The Cholesky factor: upper U with a = U^T U (SciPy's default), or lower L with
    a = L L^T; only that triangle of a is read. NaNs where a is not positive definite."""
    del overwrite_a, check_finite
    factor = _lower_factor(_matrices("cholesky", a), lower)
    return factor if lower else _swap(factor)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(c, lower): the Cholesky factor and its triangle, for cho_solve."""
    return cholesky(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite), lower


def _cho_solve(c, b, lower):
    """x with a x = b, a = c c^T (lower) or c^T c; c and b of equal batch dims."""
    y = lax_linalg.triangular_solve(c, b, left_side=True, lower=lower, transpose_a=not lower)
    return lax_linalg.triangular_solve(c, y, left_side=True, lower=lower, transpose_a=lower)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """x with a x = b, from cho_factor(a)."""
    del overwrite_b, check_finite
    c, lower = c_and_lower
    c, b, vector = _system("cho_solve", c, b)
    return _solution(_cho_solve(c, b, bool(lower)), vector)


# ---------------------------------------------------------------------------- lu

def lu_factor(a, overwrite_a=False, check_finite=True):
    """(lu, piv): L (unit, below the diagonal) and U packed in one matrix, and LAPACK's
    pivots (row i was swapped with row piv[i], in order)."""
    del overwrite_a, check_finite
    lu_, pivots, _ = lax_linalg.lu(_matrices("lu_factor", a))
    return lu_, pivots


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """x with a x = b (trans 0) or a^T x = b (trans 1 or 2), from lu_factor(a)."""
    del overwrite_b, check_finite
    transpose = _transposes("lu_solve", trans, (0, 1, 2))
    lu_, pivots = lu_and_piv
    lu_, b, vector = _system("lu_solve", lu_, b)
    n = lu_.shape[-1]
    pivots = jnp.asarray(_operand(pivots))
    if not np.issubdtype(pivots.dtype, np.integer) or pivots.ndim < 1 or pivots.shape[-1] != n:
        raise ValueError(f"lu_solve: piv must be integers of shape (..., {n}) to match lu of shape "
                         f"{lu_.shape}, got {describe(pivots)}")
    p = lax_linalg.permutation_matrix(lax_linalg.lu_pivots_to_permutation(pivots, n), lu_.dtype)
    # P a = L U:  a x = b  <=>  x = U^-1 L^-1 P b;  a^T x = b  <=>  x = P^T L^-T U^-T b
    if not transpose:
        y = lax_linalg.triangular_solve(lu_, jnp.matmul(p, b), left_side=True, lower=True,
                                        unit_diagonal=True)
        x = lax_linalg.triangular_solve(lu_, y, left_side=True, lower=False)
    else:
        y = lax_linalg.triangular_solve(lu_, b, left_side=True, lower=False, transpose_a=True)
        y = lax_linalg.triangular_solve(lu_, y, left_side=True, lower=True, transpose_a=True,
                                        unit_diagonal=True)
        x = jnp.matmul(_swap(p), y)
    return _solution(x, vector)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    """(p, l, u) with a = p @ l @ u, l unit lower and u upper triangular, p a permutation
    matrix; (p @ l, u) if permute_l. Square matrices only."""
    del overwrite_a, check_finite
    lu_, _, permutation = lax_linalg.lu(_matrices("lu", a))
    p = _swap(lax_linalg.permutation_matrix(permutation, lu_.dtype))
    unit_lower, upper = jnp.tril(lu_, -1) + _eye_like(lu_), jnp.triu(lu_)
    return (jnp.matmul(p, unit_lower), upper) if permute_l else (p, unit_lower, upper)


# ---------------------------------------------------------------------------- solvers

def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     debug=None, check_finite=True):
    """x with op(a) x = b, op(a) = a (trans 0 / "N") or a^T (1 / "T", 2 / "C"), reading
    only a's lower (else upper) triangle, its diagonal taken as ones if unit_diagonal."""
    del overwrite_b, debug, check_finite
    transpose = _transposes("solve_triangular", trans, (0, 1, 2, "N", "T", "C"))
    a, b, vector = _system("solve_triangular", a, b)
    x = lax_linalg.triangular_solve(a, b, left_side=True, lower=bool(lower),
                                    transpose_a=transpose,
                                    unit_diagonal=bool(unit_diagonal))
    return _solution(x, vector)


def _solve_positive(lower, a, b):
    """x with a x = b through the Cholesky factor of a's lower (else upper) triangle."""
    return _cho_solve(_lower_factor(a, lower), b, lower=True)


def _solve_positive_jvp(lower, primals, tangents):
    """As JAX's (a custom linear solve): dx = a^-1 (db - da x), with the whole of da."""
    (a, b), (da, db) = primals, tangents
    factor = _lower_factor(a, lower)
    x = _cho_solve(factor, b, lower=True)
    return x, _cho_solve(factor, db - jnp.matmul(da, x), lower=True)


_solve_positive = custom_jvp(_solve_positive, nondiff_argnums=(0,))
_solve_positive.defjvp(_solve_positive_jvp)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, debug=False, check_finite=True,
          assume_a="gen"):
    """x with a x = b: by LU ("gen", and "sym" / "her", as in JAX), or by Cholesky ("pos",
    reading a's lower or upper triangle; derivatives as for a general a, as JAX's)."""
    del overwrite_a, overwrite_b, debug, check_finite
    check_choice(assume_a, ("gen", "sym", "her", "pos"), "solve: assume_a")
    if assume_a != "pos":
        return jnp_linalg.solve(a, b)
    a, b, vector = _system("solve", a, b, batched_vectors_warn=False)
    return _solution(_solve_positive(bool(lower), a, b), vector)


def inv(a, overwrite_a=False, check_finite=True):
    del overwrite_a, check_finite
    return jnp_linalg.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    del overwrite_a, check_finite
    return jnp_linalg.det(a)


# ---------------------------------------------------------------------------- eigh, svd, qr, polar

def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         turbo=True, eigvals=None, type=1, check_finite=True):
    """(w, v): ascending eigenvalues and eigenvectors (columns) of symmetric matrices, or
    w alone; eigvals=(lo, hi) keeps eigenvalues lo..hi inclusive (SciPy's
    subset_by_index). a is symmetrised first, as in JAX, so `lower` changes nothing for a
    symmetric input."""
    del overwrite_a, overwrite_b, turbo, check_finite
    if b is not None or type != 1:
        raise NotImplementedError("eigh: the generalised problem (b, type) is not implemented")
    v, w = lax_linalg.eigh(_matrices("eigh", a), lower=bool(lower))
    if eigvals is not None:
        n = w.shape[-1]
        lo, hi = (index(i, "eigh: eigvals") for i in eigvals) if len(eigvals) == 2 else (0, -1)
        if not 0 <= lo <= hi < n:
            raise ValueError(f"eigh: eigvals must be (lo, hi) with 0 <= lo <= hi < {n}, got {eigvals}")
        v, w = v[..., lo:hi + 1], w[..., lo:hi + 1]
    return w if eigvals_only else (w, v)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """(u, s, vh) with a = u diag(s) vh, s descending, or s alone."""
    del overwrite_a, check_finite, lapack_driver
    a = _matrices("svd", a, square=False)
    return lax_linalg.svd(a, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """(q, r) with a = q r: q square ("full") or with min(m, n) columns ("economic"); (r,)
    alone for mode "r" (r as in "full")."""
    del overwrite_a, lwork, check_finite
    check_choice(mode, ("full", "r", "economic"), "qr: mode")
    if pivoting:
        raise NotImplementedError("qr: pivoting=True is not implemented")
    q, r = lax_linalg.qr(_matrices("qr", a, square=False), full_matrices=mode != "economic")
    return (r,) if mode == "r" else (q, r)


def polar(a, side="right", *, method="qdwh", eps=None, max_iterations=None):
    """(u, p) with a = u p (side "right", p of shape (n, n)) or a = p u ("left", p (m, m)),
    u with orthonormal columns or rows and p positive semidefinite. Computed from the SVD
    whatever the method ("qdwh" or "svd"); eps and max_iterations are accepted for JAX's
    iteration and ignored."""
    del eps, max_iterations
    check_choice(side, ("right", "left"), "polar: side")
    check_choice(method, ("qdwh", "svd"), "polar: method")
    u, s, vh = lax_linalg.svd(_matrices("polar", a, square=False), full_matrices=False)
    basis = _swap(vh) if side == "right" else u
    return jnp.matmul(u, vh), jnp.matmul(basis * s[..., None, :], _swap(basis))


def eigh_tridiagonal(d, e, *, eigvals_only=False, select="a", select_range=None, tol=None,
                     key=None):
    """The eigenvalues (and eigenvectors) of the symmetric tridiagonal matrix with diagonal
    d and off-diagonal e; select "i" keeps eigenvalues select_range[0]..[1] inclusive.
    Computed by eigh of the dense matrix, so tol and key are not needed."""
    del tol, key
    d, e = jnp.asarray(_operand(d)), jnp.asarray(_operand(e))
    if d.dtype != e.dtype or not np.issubdtype(d.dtype, np.floating):
        raise TypeError(f"eigh_tridiagonal: d and e must be floats of one dtype, got {describe(d)} "
                        f"and {describe(e)}")
    n = d.shape[0] if d.ndim == 1 else -1
    if n < 0 or e.shape != (max(n - 1, 0),):
        raise ValueError(f"eigh_tridiagonal: expected d of shape (n,) and e of shape (n - 1,), got "
                         f"{d.shape} and {e.shape}")
    check_choice(select, ("a", "i", "v"), "eigh_tridiagonal: select")
    if select == "v":
        raise NotImplementedError("eigh_tridiagonal: select='v' is not implemented")
    if select == "i" and select_range is None:
        raise ValueError("eigh_tridiagonal: select='i' needs select_range=(lo, hi)")
    matrix = jnp.diag(d) + jnp.diag(e, 1) + jnp.diag(e, -1)
    return eigh(matrix, eigvals_only=eigvals_only,
                eigvals=tuple(select_range) if select == "i" else None)


# ---------------------------------------------------------------------------- expm

# Padé approximant coefficients b[0..degree], and JAX's (Higham's) 1-norm bounds: the
# degree is the first whose bound the norm stays under, else 13 (float64) or 7 (float32)
# after scaling the norm under `maxnorm`. Unlike JAX, the scaling rounds the number of
# squarings up: JAX's floor leaves norms up to twice `maxnorm`, outside the bound, and
# loses digits (a relative error of 3e-9 for the rotation by 10 radians).
_PADE = {
    3: (120., 60., 12., 1.),
    5: (30240., 15120., 3360., 420., 30., 1.),
    7: (17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.),
    9: (17643225600., 8821612800., 2075673600., 302702400., 30270240., 2162160., 110880.,
        3960., 90., 1.),
    13: (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
         129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
         40840800., 960960., 16380., 182., 1.),
}
_EXPM_BOUNDS = {  # dtype: (maxnorm, degree bounds, degrees)
    np.dtype(np.float64): (5.371920351148152, (0.01495585217958292, 0.253939833006323,
                                               0.9504178996162932, 2.097847961257068),
                           (3, 5, 7, 9, 13)),
    np.dtype(np.float32): (3.92572478313866, (0.4258730016922831, 1.880152677804762), (3, 5, 7)),
}


def _pade(degree, a):
    """(U, V), the odd and even parts of the degree-`degree` Padé numerator of exp(a)."""
    b = _PADE[degree]
    eye = jnp.eye(a.shape[-1], dtype=a.dtype)
    a2 = jnp.matmul(a, a)
    if degree == 13:  # Higham's evaluation: powers up to a^6 only
        a4 = jnp.matmul(a2, a2)
        a6 = jnp.matmul(a4, a2)
        u = jnp.matmul(a, jnp.matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2)
                       + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
        v = (jnp.matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2)
             + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye)
        return u, v
    powers = [eye, a2]  # a^0, a^2, a^4, ...
    while len(powers) <= degree // 2:
        powers.append(jnp.matmul(powers[-1], a2))
    u = jnp.matmul(a, sum(b[2 * k + 1] * p for k, p in enumerate(powers)))
    v = sum(b[2 * k] * p for k, p in enumerate(powers))
    return u, v


def _expm(a, upper_triangular, max_squarings):
    """exp of one matrix: scale by 2^-s, Padé approximant, square s times (NaNs if s >
    max_squarings)."""
    maxnorm, bounds, degrees = _EXPM_BOUNDS[np.dtype(a.dtype)]
    norm = lax.stop_gradient(jnp.max(jnp.sum(jnp.abs(a), axis=0)))  # steers choices only
    squarings = jnp.maximum(0, jnp.ceil(jnp.log2(norm / maxnorm)))
    scaled = a / 2 ** squarings
    degree = sum((norm >= bound).astype(np.int32) for bound in bounds)
    u, v = lax.switch(degree, [functools.partial(_pade, k) for k in degrees], scaled)
    solver = solve_triangular if upper_triangular else jnp_linalg.solve

    def square(r, i):
        return lax.cond(i < squarings, lambda x: jnp.matmul(x, x), lambda x: x, r), None

    def compute(u, v):
        r = solver(v - u, u + v)
        return lax.scan(square, r, jnp.arange(max_squarings, dtype=a.dtype))[0]
    return lax.cond(squarings > max_squarings, lambda u, v: jnp.full_like(u, np.nan), compute, u, v)


def expm(A, *, upper_triangular=False, max_squarings=16):
    """The matrix exponential of each square matrix (Padé scaling and squaring, as JAX's);
    upper_triangular solves with the triangle only. NaNs when the norm would need more than
    max_squarings squarings."""
    a = _matrices("expm", A)
    if np.dtype(a.dtype) not in _EXPM_BOUNDS:
        raise TypeError(f"expm: expected float32 or float64 matrices, got {describe(a)}")
    max_squarings = index(max_squarings, "expm: max_squarings", minimum=0)
    if a.shape[-1] == 0:
        return a
    return _per_matrix(functools.partial(_expm, upper_triangular=bool(upper_triangular),
                                         max_squarings=max_squarings), a)


def expm_frechet(A, E, *, method=None, compute_expm=True):
    """(expm(A), L(A, E)), the Fréchet derivative of expm at A in direction E (its JVP), or
    L(A, E) alone."""
    del method
    a, e = _inexact(_matrices("expm_frechet", A), _matrices("expm_frechet", E))
    if a.shape != e.shape:
        raise ValueError(f"expm_frechet: A and E must have one shape, got {a.shape} and {e.shape}")
    expm_a, frechet = jvp(expm, (a,), (e,))
    return (expm_a, frechet) if compute_expm else frechet


# ---------------------------------------------------------------------------- special matrices

def block_diag(*arrs):
    """The block-diagonal matrix of the arrays (scalars and vectors count as one row)."""
    if not arrs:
        return jnp.zeros((1, 0))
    arrs = [jnp.atleast_2d(x) for x in promote_dtypes(*arrs)]
    for i, x in enumerate(arrs):
        if x.ndim > 2:
            raise ValueError(f"block_diag: arguments must have at most 2 dimensions, got shape "
                             f"{x.shape} at argument {i}")
    widths = [x.shape[1] for x in arrs]
    starts = np.cumsum([0] + widths)
    return jnp.concatenate([jnp.pad(x, ((0, 0), (int(s), int(starts[-1] - s - w))))
                            for x, s, w in zip(arrs, starts, widths)], axis=0)


def _from_diagonals(values, indices):
    """values[..., indices]: the (..., m, n) matrix whose entries are picked from `values`."""
    return jnp.take(values, jnp.asarray(indices), axis=-1)


def _first_and_rest(c, r):
    """c and r as 1-D (or batched) arrays of one dtype and equal batch dims."""
    c, r = promote_dtypes(jnp.atleast_1d(_operand(c)), jnp.atleast_1d(_operand(r)))
    batch = broadcast_shapes(c.shape[:-1], r.shape[:-1])
    return jnp.broadcast_to(c, batch + c.shape[-1:]), jnp.broadcast_to(r, batch + r.shape[-1:])


def toeplitz(c, r=None):
    """The Toeplitz matrix with first column c and first row r (default c; r[0] is
    ignored), batched over leading dimensions."""
    c, r = _first_and_rest(c, c if r is None else r)
    m, n = c.shape[-1], r.shape[-1]
    values = jnp.concatenate([jnp.flip(c, -1), r[..., 1:]], axis=-1)
    return _from_diagonals(values, (m - 1) - np.arange(m)[:, None] + np.arange(n))


def hankel(c, r=None):
    """The Hankel matrix with first column c and last row r (default zeros; r[0] is
    ignored), batched over leading dimensions."""
    c = jnp.asarray(_operand(c))
    c, r = _first_and_rest(c, jnp.zeros_like(c) if r is None else r)
    m, n = c.shape[-1], r.shape[-1]
    values = jnp.concatenate([c, r[..., 1:]], axis=-1)
    return _from_diagonals(values, np.arange(m)[:, None] + np.arange(n))


def circulant(c):
    """The circulant matrix with first column c, batched over leading dimensions."""
    c = jnp.atleast_1d(_operand(c))
    n = c.shape[-1]
    return _from_diagonals(c, (np.arange(n)[:, None] - np.arange(n)) % max(n, 1))


# ---------------------------------------------------------------------------- matrix constructors
# Matrices of a static size n are NumPy constants, computed exactly in integers (JAX
# goes through lgamma, which rounds pascal(4) to 0.9999995); those built from an array
# pick its entries through a static index map (_from_diagonals), so they differentiate
# and batch over leading dimensions.

def _structured(values, indices):
    """The matrices whose entry (i, j) is values[..., indices[i, j]]; index 0 of `values`
    is a 0 and index 1 a 1 (prepended here)."""
    batch = values.shape[:-1]
    constants = jnp.broadcast_to(jnp.asarray([0, 1], values.dtype), batch + (2,))
    return _from_diagonals(jnp.concatenate([constants, values], axis=-1), indices)


def _vector_argument(name, a, minimum, inexact=True):
    (a,) = _inexact(a) if inexact else (jnp.asarray(_operand(a)),)
    a = jnp.atleast_1d(a)
    if a.shape[-1] < minimum:
        raise ValueError(f"{name}: the length of `a` along the last axis must be at least "
                         f"{minimum}; got shape {a.shape}.")
    return a


def companion(a):
    """The companion matrix of the polynomial with coefficients a (highest degree first):
    first row -a[1:] / a[0], ones below the diagonal."""
    a = _vector_argument("companion", a, 2)
    m = a.shape[-1] - 1
    indices = np.zeros((m, m), np.intp)
    indices[0] = 2 + np.arange(m)
    indices[np.arange(1, m), np.arange(m - 1)] = 1
    return _structured(-a[..., 1:] / a[..., :1], indices)


def fiedler_companion(a):
    """Fiedler's pentadiagonal companion matrix of the polynomial a (highest degree
    first), whose eigenvalues are its roots, as SciPy's."""
    a = _vector_argument("fiedler_companion", a, 1)
    n = a.shape[-1] - 1
    indices = np.zeros((n, n), np.intp)  # -a[k] / a[0] is entry k + 1 of the values
    for i in range(0, n, 2):
        if i + 1 < n:
            indices[i, i + 1] = i + 3
        if i + 2 < n:
            indices[i, i + 2] = 1
        if i >= 2:
            indices[i, i - 1] = i + 2
    for i in range(3, n, 2):
        indices[i, i - 2] = 1
    if n:
        indices[0, 0] = 2
    if n > 1:
        indices[1, 0] = 1
    return _structured(-a[..., 1:] / a[..., :1], indices)


def leslie(f, s):
    """The Leslie matrix: fecundities f (n,) on the first row, survival rates s (n - 1,)
    below the diagonal."""
    f, s = promote_dtypes(jnp.atleast_1d(_operand(f)), jnp.atleast_1d(_operand(s)))
    n = f.shape[-1]
    if n < 2:
        raise ValueError(f"leslie: the length of f along the last axis must be at least 2; got "
                         f"shape {f.shape}.")
    if s.shape[-1] != n - 1:
        raise ValueError(f"leslie: the length of s along the last axis must be one less than the "
                         f"length of f; got f shape {f.shape} and s shape {s.shape}.")
    f, s = _first_and_rest(f, s)
    indices = np.zeros((n, n), np.intp)
    indices[0] = 2 + np.arange(n)
    indices[np.arange(1, n), np.arange(n - 1)] = 2 + n + np.arange(n - 1)
    return _structured(jnp.concatenate([f, s], axis=-1), indices)


def fiedler(a):
    """The symmetric matrix |a[i] - a[j]|, batched over leading dimensions."""
    a = jnp.atleast_1d(_operand(a))
    return jnp.abs(a[..., :, None] - a[..., None, :])


def convolution_matrix(a, n, mode="full"):
    """The Toeplitz matrix A with A @ v == numpy.convolve(a, v, mode) for v of length n."""
    n = index(n, "convolution_matrix: n", minimum=1)
    check_choice(mode, ("full", "valid", "same"), "convolution_matrix: mode")
    a = jnp.asarray(_operand(a))
    if a.ndim == 0 or a.shape[-1] < 1:
        raise ValueError(f"convolution_matrix: a must be at least 1-dimensional and non-empty, got "
                         f"shape {a.shape}")
    m = a.shape[-1]
    trim = min(n, m) - 1
    begin, end = {"full": (0, 0), "valid": (trim, trim), "same": (trim // 2, trim - trim // 2)}[mode]
    padding = [(0, 0)] * (a.ndim - 1) + [(0, n - 1)]
    column, row = jnp.pad(a, padding), jnp.pad(jnp.flip(a, -1), padding)
    total = m + n - 1
    return toeplitz(column[..., begin:total - end], row[..., total - n - begin:total - begin])


def _float_constant(values):
    return jnp.asarray(np.asarray(values, np.float64), dtype=dtypes.default_float_dtype())


def hilbert(n):
    """The Hilbert matrix 1 / (i + j + 1)."""
    i = np.arange(index(n, "hilbert: n", minimum=0))
    return _float_constant(1 / (i[:, None] + i + 1))


def invhilbert(n):
    """The inverse of hilbert(n), from its closed form in exact integers."""
    n = index(n, "invhilbert: n", minimum=0)
    return _float_constant([[(-1) ** (i + j) * (i + j + 1) * math.comb(n + i, n - j - 1)
                             * math.comb(n + j, n - i - 1) * math.comb(i + j, i) ** 2
                             for j in range(n)] for i in range(n)])


def _pascal_lower(n, alternating=False):
    """C(i, j) below the diagonal ((-1)^(i - j) C(i, j) if alternating), exact integers."""
    out = np.zeros((n, n), dtype=object)
    for i in range(n):
        for j in range(i + 1):
            out[i, j] = (-1) ** ((i - j) * alternating) * math.comb(i, j)
    return out


def _pascal_kind(kind):
    kind = "symmetric" if kind is None else kind
    check_choice(kind, ("symmetric", "lower", "upper"), "pascal: kind")
    return kind


def pascal(n, kind=None):
    """The Pascal matrix: binomial coefficients C(i, j) ("lower"), its transpose
    ("upper"), or their product C(i + j, i) ("symmetric", the default)."""
    lower = _pascal_lower(index(n, "pascal: n", minimum=0))
    return _float_constant({"lower": lower, "upper": lower.T,
                            "symmetric": lower.dot(lower.T)}[_pascal_kind(kind)])


def invpascal(n, kind=None):
    """The inverse of pascal(n, kind): (-1)^(i - j) C(i, j) for "lower"."""
    lower = _pascal_lower(index(n, "invpascal: n", minimum=0), alternating=True)
    return _float_constant({"lower": lower, "upper": lower.T,
                            "symmetric": lower.T.dot(lower)}[_pascal_kind(kind)])


def hadamard(n, dtype=int):
    """The n x n Hadamard matrix (n a power of 2), Sylvester's construction."""
    n = index(n, "hadamard: n")
    if n < 1 or n & (n - 1):
        raise ValueError(f"n must be a positive power of 2; got {n}.")
    h = np.ones((1, 1), np.int64)
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return jnp.asarray(h, dtype=dtype)


def helmert(n, full=False):
    """The Helmert matrix: n - 1 orthonormal contrasts, below the row of 1 / sqrt(n) if
    full."""
    n = index(n, "helmert: n", minimum=1)
    k = np.arange(1, n)[:, None]
    j = np.arange(n)
    h = np.where(j < k, 1.0, np.where(j == k, -k, 0.0)) / np.sqrt(k * (k + 1.0))
    return _float_constant(np.concatenate([np.full((1, n), 1 / np.sqrt(n)), h]) if full else h)


def dft(n, scale=None, *, dtype=None):
    """The discrete Fourier transform matrix exp(-2 pi i j k / n), divided by sqrt(n)
    ("sqrtn") or n ("n") if asked; complex. The exponent is reduced mod n first, so
    large n loses no digits."""
    n = index(n, "dft: n", minimum=0)
    if scale not in (None, "sqrtn", "n"):
        raise ValueError(f"scale must be None, 'sqrtn', or 'n'; got {scale!r}.")
    dtype = dtypes.canonicalize_dtype(dtypes.dtype_of(1j) if dtype is None else dtype)
    if not dtypes.is_complex(dtype):
        raise ValueError(f"dtype must be a complex floating-point type; got {dtype}.")
    k = np.arange(n)
    omegas = np.exp(-2j * np.pi * (np.outer(k, k) % max(n, 1)) / max(n, 1))
    divisor = {None: 1, "sqrtn": np.sqrt(n), "n": n}[scale]
    return jnp.asarray(omegas / divisor, dtype=dtype)


__all__ = ["block_diag", "cho_factor", "cho_solve", "cholesky", "circulant", "companion",
           "convolution_matrix", "det", "dft", "eigh", "eigh_tridiagonal", "expm", "expm_frechet",
           "fiedler", "fiedler_companion", "hadamard", "hankel", "helmert", "hilbert", "inv",
           "invhilbert", "invpascal", "leslie", "lu", "lu_factor", "lu_solve", "pascal", "polar",
           "qr", "solve", "solve_triangular", "svd", "toeplitz"]
