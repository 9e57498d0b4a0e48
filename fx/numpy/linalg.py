"""fx.numpy.linalg: jax.numpy.linalg's functions.

The factorisations are primitives (fx.lax.linalg; LAPACK under jit): cholesky, qr, eigh
(and eigvalsh), svd, and the LU factorisation and triangular solves that det, slogdet,
solve and inv are written with. Everything else is plain fx on top of them: det,
slogdet, solve, inv, lstsq, pinv, matrix_rank, matrix_power, norm, cond, multi_dot,
tensorsolve, tensorinv. Derivatives follow from the primitives' rules (det's through
the LU, so it is finite for any nonsingular input); those through eigh and svd need
distinct eigenvalues / singular values, as in JAX.
"""
from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

import fx.numpy as jnp
from fx import dtypes
from fx.core import get_aval
from fx.lax import linalg as lax_linalg
from fx.argcheck import array_sequence, canonicalize_axes, check_choice, index, describe
from fx.numpy._promote import _operand, broadcast_shapes, promote_dtypes_inexact


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


def _inexact(*arrays):
    return promote_dtypes_inexact(*(jnp.asarray(_operand(a)) for a in arrays))


def _matrices(name, a, square=False):
    """a as a float array of matrices (..., m, n), or a clear error."""
    (a,) = _inexact(a)
    shape = get_aval(a).shape
    if len(shape) < 2:
        raise ValueError(f"{name}: expected an array of matrices (rank >= 2), got shape {shape}")
    if square and shape[-1] != shape[-2]:
        raise ValueError(f"{name}: expected square matrices (..., n, n), got shape {shape}")
    return a


def _swap(x):
    return jnp.swapaxes(x, -1, -2)


def _eye_like(a):
    n = get_aval(a).shape[-1]
    return jnp.broadcast_to(jnp.eye(n, dtype=get_aval(a).dtype), get_aval(a).shape)


# ---------------------------------------------------------------------------- factorisations

def cholesky(a, *, upper=False, symmetrize_input=True):
    """The Cholesky factor (lower, or upper with upper=True); NaNs where a is not
    positive definite."""
    factor = lax_linalg.cholesky(_matrices("cholesky", a, square=True), symmetrize_input=symmetrize_input)
    return _swap(factor) if upper else factor


def qr(a, mode="reduced"):
    """QRResult(Q, R) ("reduced" or "complete"), or R alone (mode "r")."""
    check_choice(mode, ("reduced", "complete", "r"), "qr: mode")
    q, r = lax_linalg.qr(_matrices("qr", a), full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def eigh(a, UPLO=None, symmetrize_input=True):
    """EighResult(eigenvalues ascending, eigenvectors in columns) of symmetric matrices."""
    if UPLO is not None and not (isinstance(UPLO, str) and UPLO in ("L", "U")):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    v, w = lax_linalg.eigh(_matrices("eigh", a, square=True), lower=UPLO != "U",
                           symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input=True):
    return eigh(a, UPLO, symmetrize_input).eigenvalues


def svd(a, full_matrices=True, compute_uv=True, hermitian=False, subset_by_index=None):
    """SVDResult(U, S, Vh) with S descending, or S alone. `hermitian` is accepted and
    ignored (the general algorithm is used)."""
    del hermitian
    if subset_by_index is not None:
        raise NotImplementedError("svd: subset_by_index is not implemented")
    a = _matrices("svd", a)
    if not compute_uv:
        return lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=False)
    return SVDResult(*lax_linalg.svd(a, full_matrices=full_matrices))


# ---------------------------------------------------------------------------- through the LU

def _lu_parts(a):
    """(diagonal of U, sign of the row permutation) of each matrix."""
    lu, pivots, _ = lax_linalg.lu(a)
    n = get_aval(a).shape[-1]
    swaps = jnp.sum(pivots != jnp.arange(n, dtype=get_aval(pivots).dtype), axis=-1)
    parity = 1 - 2 * (swaps % 2)
    return jnp.sum(lu * _eye_like(lu), axis=-1), parity.astype(get_aval(a).dtype)


def det(a):
    diagonal, parity = _lu_parts(_matrices("det", a, square=True))
    return parity * jnp.prod(diagonal, axis=-1)


def _check_order(what, order):
    """A norm order is None, a number or a name ('fro', 'nuc'); an array would be compared
    elementwise with each of those."""
    if order is not None and not isinstance(order, (int, float, str, np.number)):
        raise TypeError(f"{what} must be None, a number or 'fro' / 'nuc', got "
                        f"{describe(order)}")


def slogdet(a, *, method=None):
    """SlogdetResult(sign, log|det|): sign 0 and log|det| -inf for a singular matrix."""
    if method is not None:
        check_choice(method, ("lu",), "slogdet: method")
    diagonal, parity = _lu_parts(_matrices("slogdet", a, square=True))
    sign = parity * jnp.prod(jnp.sign(diagonal), axis=-1)
    return SlogdetResult(sign, jnp.sum(jnp.log(jnp.abs(diagonal)), axis=-1))


def _lu_solve(a, b):
    """x with a x = b, a (..., m, m) and b (..., m, n) of equal batch dims."""
    lu, _, permutation = lax_linalg.lu(a)
    pb = jnp.matmul(lax_linalg.permutation_matrix(permutation, get_aval(a).dtype), b)
    y = lax_linalg.triangular_solve(lu, pb, left_side=True, lower=True, unit_diagonal=True)
    return lax_linalg.triangular_solve(lu, y, left_side=True, lower=False)


def solve(a, b):
    """x with a @ x = b: b is a vector (m,) or a stack of matrices (..., m, n), batch dims
    broadcast against a's."""
    a = _matrices("solve", a, square=True)
    a, b = _inexact(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if len(sb) == 0 or sb[-1 if len(sb) == 1 else -2] != sa[-1]:
        raise ValueError(f"solve: b must have shape ({sa[-1]},) or (..., {sa[-1]}, n) to match a "
                         f"of shape {sa}, got {sb}")
    if len(sb) == 1:
        b = jnp.broadcast_to(b[:, None], sa[:-1] + (1,))
        return _lu_solve(a, b)[..., 0]
    batch = broadcast_shapes(sa[:-2], sb[:-2])
    return _lu_solve(jnp.broadcast_to(a, batch + sa[-2:]), jnp.broadcast_to(b, batch + sb[-2:]))


def inv(a):
    a = _matrices("inv", a, square=True)
    return _lu_solve(a, _eye_like(a))


def matrix_power(a, n):
    """a @ a @ ... (n times), by repeated squaring; a negative n inverts a first."""
    a = _matrices("matrix_power", a, square=True)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: n must be an integer, got {n!r}") from None
    if n < 0:
        a, n = inv(a), -n
    if n == 0:
        return _eye_like(a)
    result, power = None, a  # no product with the identity: 0 * inf would give NaN
    while n:
        if n & 1:
            result = power if result is None else jnp.matmul(result, power)
        n >>= 1
        if n:
            power = jnp.matmul(power, power)
    return result


# ---------------------------------------------------------------------------- through the SVD

def _default_rtol(a):
    aval = get_aval(a)
    return max(aval.shape[-2:]) * float(dtypes.finfo(aval.dtype).eps)


def _reciprocal_kept(s, kept):
    """1 / s where kept, else 0; the inner `where` keeps a dropped (zero) singular value
    from making the gradient NaN."""
    return jnp.where(kept, 1 / jnp.where(kept, s, 1), 0)


def pinv(a, rtol=None, hermitian=False, *, rcond=None):
    """The pseudo-inverse, dropping singular values below rtol * the largest (JAX's
    default rtol: 10 * max(m, n) * eps)."""
    del hermitian
    if rcond is not None:
        if rtol is not None:
            raise ValueError("pinv: only one of rtol and rcond may be given")
        rtol = rcond
    a = _matrices("pinv", a)
    u, s, vt = lax_linalg.svd(a, full_matrices=False)
    rtol = 10 * _default_rtol(a) if rtol is None else jnp.asarray(rtol)[..., None]
    s_inv = _reciprocal_kept(s, s > rtol * s[..., :1])
    return jnp.matmul(_swap(vt) * s_inv[..., None, :], _swap(u))


def matrix_rank(M, rtol=None, *, hermitian=False, tol=None):
    """The number of singular values above rtol * the largest (default max(m, n) * eps)."""
    del hermitian
    if tol is not None:
        if rtol is not None:
            raise ValueError("matrix_rank: only one of rtol and tol may be given")
        rtol = tol
    (M,) = _inexact(M)
    if get_aval(M).ndim < 2:
        return jnp.any(M != 0).astype(np.int32)
    s = svd(M, compute_uv=False)
    rtol = _default_rtol(M) if rtol is None else jnp.asarray(rtol)[..., None]
    return jnp.sum(s > rtol * s[..., :1], axis=-1)


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """(x, residuals, rank, s) minimising |a x - b|, a of shape (m, n), through the SVD.
    Residuals are always computed (numpy_resid=True gives NumPy's empty array when the
    rank is below n or m <= n)."""
    a = _matrices("lstsq", a)
    a, b = _inexact(a, b)
    (m, n), sb = get_aval(a).shape, get_aval(b).shape
    if get_aval(a).ndim != 2 or len(sb) not in (1, 2) or sb[0] != m:
        raise ValueError(f"lstsq: expected a (m, n) and b (m,) or (m, k), got {get_aval(a).shape} "
                         f"and {sb}")
    vector = len(sb) == 1
    if vector:
        b = b[:, None]
    u, s, vt = lax_linalg.svd(a, full_matrices=False)
    rcond = float(dtypes.finfo(get_aval(a).dtype).eps) * max(m, n) if rcond is None else jnp.asarray(
        _operand(rcond))
    kept = s >= rcond * s[:1]
    rank = jnp.sum(kept)
    s_inv = _reciprocal_kept(s, kept)
    x = jnp.matmul(_swap(vt), s_inv[:, None] * jnp.matmul(_swap(u), b))
    if numpy_resid and (int(rank) < n or m <= n):
        resid = jnp.zeros((0,), get_aval(a).dtype)
    else:
        resid = jnp.sum((b - jnp.matmul(a, x)) ** 2, axis=0)
    return (x[:, 0] if vector else x), resid, rank, s


def cond(x, p=None):
    """The condition number in norm p (None or 2: through the singular values); inf for
    a singular matrix."""
    x = _matrices("cond", x)
    _check_order("cond: p", p)
    if p in (None, 2, -2):
        s = svd(x, compute_uv=False)
        r = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    else:
        r = norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))
    return jnp.where(jnp.isnan(r) & ~jnp.any(jnp.isnan(x), axis=(-2, -1)), jnp.inf, r)


# ---------------------------------------------------------------------------- norms

_VECTOR_ORDS = "None, 2, 1, inf, -inf, 0 or any other number"
_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)


def _vector_norm(x, ord, axis, keepdims):
    if isinstance(ord, str):
        raise ValueError(f"norm: ord {ord!r} is not a vector norm (expected {_VECTOR_ORDS})")
    if ord is None or ord == 2:
        return jnp.sqrt(jnp.sum(x * x, axis=axis, keepdims=keepdims))
    a = jnp.abs(x)
    if ord == np.inf:
        return jnp.max(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return jnp.min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return jnp.sum(x != 0, axis=axis, keepdims=keepdims).astype(get_aval(x).dtype)
    if ord == 1:
        return jnp.sum(a, axis=axis, keepdims=keepdims)
    return jnp.sum(a ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _matrix_norm(x, ord, axis, keepdims):
    if ord not in _MATRIX_ORDS and ord is not None:
        raise ValueError(f"norm: ord {ord!r} is not a matrix norm (expected one of "
                         f"{', '.join(map(repr, _MATRIX_ORDS))})")
    row, col = axis
    if ord in (None, "fro"):
        return jnp.sqrt(jnp.sum(x * x, axis=axis, keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        # 1: the largest column sum of |x|; inf: the largest row sum
        summed, over = (row, col) if ord in (1, -1) else (col, row)
        sums = jnp.sum(jnp.abs(x), axis=summed, keepdims=True)
        pick = jnp.max if ord > 0 else jnp.min
        out = pick(sums, axis=over, keepdims=True)
        return out if keepdims else jnp.squeeze(out, axis=(row, col))
    s = svd(jnp.moveaxis(x, (row, col), (-2, -1)), compute_uv=False)
    out = jnp.sum(s, axis=-1) if ord == "nuc" else s[..., 0] if ord == 2 else s[..., -1]
    return jnp.expand_dims(out, tuple(sorted((row, col)))) if keepdims else out


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector norms (ord None/2, 1, inf, -inf, 0, any p) over one axis, matrix norms
    (None/'fro', 'nuc', 1, -1, 2, -2, inf, -inf) over two; axis=None means every axis
    for ord None (the 2-norm of the flattened array), else the one or two axes x has."""
    (x,) = _inexact(x)
    _check_order("norm: ord", ord)
    ndim = get_aval(x).ndim
    if axis is None:
        if ord is None:
            out = jnp.sqrt(jnp.sum(x * x))
            return jnp.reshape(out, (1,) * ndim) if keepdims else out
        if ndim not in (1, 2):
            raise ValueError(f"norm: with an ord, axis=None needs a 1-D or 2-D array, got {ndim}-D")
        axis = tuple(range(ndim))
    axes = canonicalize_axes(axis, ndim, "norm axis")
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis must name one or two axes, got {axis}")


# ---------------------------------------------------------------------------- products, tensors

def multi_dot(arrays, *, precision=None):
    """arrays[0] @ arrays[1] @ ..., left to right; the first and last may be vectors."""
    del precision
    arrays = array_sequence(arrays, "multi_dot: the arrays")
    if len(arrays) < 2:
        raise ValueError(f"multi_dot: expected at least two arrays, got {len(arrays)}")
    out = jnp.asarray(arrays[0])
    for a in arrays[1:]:
        out = jnp.matmul(out, a)
    return out


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def tensorinv(a, ind=2):
    """The inverse of a as the matrix (prod(shape[:ind]), prod(shape[ind:]))."""
    (a,) = _inexact(a)
    shape = get_aval(a).shape
    ind = index(ind, "tensorinv ind")
    if not 0 < ind <= len(shape) or _size(shape[:ind]) != _size(shape[ind:]):
        raise ValueError(f"tensorinv: shape {shape} split at ind={ind} is not square")
    matrix = inv(jnp.reshape(a, (_size(shape[:ind]), _size(shape[ind:]))))
    return jnp.reshape(matrix, shape[ind:] + shape[:ind])


def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) = b."""
    a, b = _inexact(a, b)
    if axes is not None:
        a = jnp.moveaxis(a, axes, tuple(range(-len(axes), 0)))
    sa, sb = get_aval(a).shape, get_aval(b).shape
    rest = sa[len(sb):]
    if sa[:len(sb)] != sb or _size(sb) != _size(rest):
        raise ValueError(f"tensorsolve: a of shape {sa} does not pair with b of shape {sb}")
    x = solve(jnp.reshape(a, (_size(sb), _size(rest))), jnp.reshape(b, (_size(sb),)))
    return jnp.reshape(x, rest)


__all__ = ["EighResult", "QRResult", "SVDResult", "SlogdetResult", "cholesky", "cond", "det",
           "eigh", "eigvalsh", "inv", "lstsq", "matrix_power", "matrix_rank", "multi_dot", "norm",
           "pinv", "qr", "slogdet", "solve", "svd", "tensorinv", "tensorsolve"]


# ---------------------------------------------------------------------------- array API names
# The Python array API's linalg functions: stricter about ranks than their fx.numpy
# namesakes (and positional-only), as in jax.numpy.linalg.

def cross(x1, x2, /, *, axis=-1):
    """The cross product of 3-vectors along `axis` (both operands must have size 3 there)."""
    x1, x2 = jnp.asarray(_operand(x1)), jnp.asarray(_operand(x2))
    for name, x in (("x1", x1), ("x2", x2)):
        if not x.ndim or x.shape[axis] != 3:
            raise ValueError(f"linalg.cross: {name} must have size 3 along axis {axis}, got shape {x.shape}")
    return jnp.cross(x1, x2, axis=axis)


def diagonal(x, /, *, offset=0):
    """The diagonals of the matrices in the last two axes."""
    return jnp.diagonal(x, offset, axis1=-2, axis2=-1)


def matmul(x1, x2, /, *, precision=None, preferred_element_type=None):
    return jnp.matmul(x1, x2, precision=precision, preferred_element_type=preferred_element_type)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The norm of each matrix in the last two axes."""
    return norm(x, ord, axis=(-2, -1), keepdims=keepdims)


def matrix_transpose(x, /):
    return jnp.matrix_transpose(x)


def outer(x1, x2, /):
    """The outer product of two vectors (1-D only, unlike fx.numpy.outer, which flattens)."""
    x1, x2 = jnp.asarray(_operand(x1)), jnp.asarray(_operand(x2))
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"linalg.outer takes 1-D vectors, got shapes {x1.shape} and {x2.shape}")
    return jnp.outer(x1, x2)


def svdvals(x, /):
    """The singular values of each matrix in the last two axes, largest first."""
    return svd(x, compute_uv=False)


def tensordot(x1, x2, /, *, axes=2, precision=None, preferred_element_type=None):
    return jnp.tensordot(x1, x2, axes, precision=precision, preferred_element_type=preferred_element_type)


def trace(x, /, *, offset=0, dtype=None):
    """The trace of each matrix in the last two axes."""
    return jnp.trace(x, offset, axis1=-2, axis2=-1, dtype=dtype)


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    return jnp.vecdot(x1, x2, axis=axis, precision=precision, preferred_element_type=preferred_element_type)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The vector norm over `axis` (every axis by default, or several at once: the norm of
    the vectors they make together)."""
    (x,) = _inexact(x)
    axes = tuple(range(x.ndim)) if axis is None else canonicalize_axes(
        (axis,) if isinstance(axis, int) else axis, x.ndim, "linalg.vector_norm: axis")
    kept = [d for d in range(x.ndim) if d not in axes]
    flat = jnp.transpose(x, kept + list(axes)).reshape([x.shape[d] for d in kept] + [-1])
    out = norm(flat, ord, axis=-1)
    if keepdims:
        out = out.reshape([1 if d in axes else x.shape[d] for d in range(x.ndim)])
    return out
