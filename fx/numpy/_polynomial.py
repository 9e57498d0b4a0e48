"""Polynomials as coefficient arrays, highest power first (NumPy's legacy poly* API):
polyval, polyadd, polysub, polymul, polydiv, polyder, polyint, polyfit, poly, roots,
vander, trim_zeros.

Coefficient counts fix output shapes, so they are static; coefficient values may be
traced. Results are inexact (integers promote to the default float), as in JAX.
"""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.argcheck import check_choice, index
from fx.core import ConcretizationTypeError, Tracer
from fx.numpy._promote import _operand, promote_dtypes, promote_dtypes_inexact
from fx.transforms.custom import custom_jvp


def _coefficients(name, *ps, inexact=True):
    ps = (promote_dtypes_inexact if inexact else promote_dtypes)(*ps)
    for p in ps:
        if jnp.ndim(p) != 1:
            raise ValueError(f"fx.numpy.{name}: coefficients must be a 1-D array, got shape "
                             f"{jnp.shape(p)}")
    return [jnp.asarray(p) for p in ps]


def _complex_dtype(dtype):
    """The complex dtype whose parts are the inexact `dtype` (complex64 for 16-bit floats)."""
    wide = np.dtype(dtype) in (np.float64, np.complex128)
    return np.dtype(np.complex128 if wide else np.complex64)


def polyval(p, x, *, unroll=16):
    """p[0] x^(n-1) + ... + p[n-1] by Horner's rule, unrolled over the (static) number of
    coefficients; a 2-D p gives one polynomial per column. `unroll` is accepted for JAX
    compatibility."""
    del unroll
    p, x = promote_dtypes(p, x)
    p, x = jnp.asarray(p), jnp.asarray(x)
    if p.ndim == 0:
        raise ValueError("fx.numpy.polyval: p must be at least 1-D (the coefficients), got a scalar")
    y = jnp.zeros(jnp.broadcast_shapes(p.shape[1:], x.shape), x.dtype)
    for k in range(p.shape[0]):
        y = y * x + p[k]
    return y


def polyadd(a1, a2):
    """The sum: the shorter coefficient array is aligned at the end (the constant term)."""
    a1, a2 = promote_dtypes(a1, a2)
    a1, a2 = jnp.asarray(a1), jnp.asarray(a2)
    if a1.ndim == 0 or a2.ndim == 0:  # JAX indexes shape[0] too (an IndexError there)
        raise ValueError(f"fx.numpy.polyadd: coefficients must be arrays of at least one dimension, "
                         f"got shapes {a1.shape} and {a2.shape}")
    if a2.shape[0] > a1.shape[0]:
        a1, a2 = a2, a1
    return a1.at[a1.shape[0] - a2.shape[0]:].add(a2)


def polysub(a1, a2):
    return polyadd(a1, -jnp.asarray(_operand(a2)))


def polymul(a1, a2, *, trim_leading_zeros=False):
    """The product: the full convolution of the coefficients (leading zeros trimmed first
    on request, which needs concrete input)."""
    a1, a2 = _coefficients("polymul", a1, a2)
    if trim_leading_zeros and (a1.shape[0] > 1 or a2.shape[0] > 1):
        a1, a2 = trim_zeros(a1, "f"), trim_zeros(a2, "f")
    if a1.shape[0] == 0:
        a1 = jnp.zeros(1, a2.dtype)
    if a2.shape[0] == 0:
        a2 = jnp.zeros(1, a1.dtype)
    return jnp.convolve(a1, a2, mode="full")


def polydiv(u, v, *, trim_leading_zeros=False):
    """(quotient, remainder) by long division; the remainder keeps u's length (its leading
    entries are zero) unless trim_leading_zeros, which needs concrete input."""
    u, v = _coefficients("polydiv", u, v)
    m, n = u.shape[0] - 1, v.shape[0] - 1
    scale = 1.0 / v[0]
    q = jnp.zeros(max(m - n + 1, 1), u.dtype)
    for k in range(m - n + 1):
        d = scale * u[k]
        q = q.at[k].set(d)
        u = u.at[k:k + n + 1].add(-d * v)
    if trim_leading_zeros:
        if isinstance(u, Tracer):
            raise ConcretizationTypeError(u, "fx.numpy.polydiv with trim_leading_zeros=True")
        tol = float(np.sqrt(dtypes.finfo(u.dtype).eps))
        nonzero = np.flatnonzero(np.abs(np.asarray(u)) > tol)
        u = u[nonzero[0]:] if nonzero.size else u[:0]
    return q, u


def polyder(p, m=1):
    """The m-th derivative's coefficients."""
    m = index(m, "fx.numpy.polyder: m")
    if m < 0:
        raise ValueError(f"fx.numpy.polyder: the order m must be non-negative, got {m}")
    (p,) = _coefficients("polyder", p)
    if m == 0:
        return p
    n = p.shape[0]
    # coefficient of x^j (j = n-1-k) gains j (j-1) ... (j-m+1)
    powers = np.arange(n - 1, m - 1, -1)
    factors = np.prod(powers[None, :] - np.arange(m)[:, None], axis=0) if n > m else np.zeros(0)
    return p[:max(n - m, 0)] * jnp.asarray(factors, p.dtype)


def polyint(p, m=1, k=None):
    """The m-th antiderivative's coefficients, with integration constants k (a scalar for
    all m, or one per integration, the first integration's first)."""
    m = index(m, "fx.numpy.polyint: m")
    if m < 0:
        raise ValueError(f"fx.numpy.polyint: the order m must be non-negative, got {m}")
    p, k = promote_dtypes_inexact(p, 0 if k is None else k)
    (p,) = _coefficients("polyint", p)
    k = jnp.atleast_1d(k)
    if k.shape == (1,):
        k = jnp.broadcast_to(k, (m,))
    if k.shape != (m,):
        raise ValueError(f"fx.numpy.polyint: k must be a scalar or have length 1 or m={m}, got shape "
                         f"{k.shape}")
    if m == 0:
        return p
    n = p.shape[0] + m
    # entry i of [p, k] is divided by the product of the m powers it passes through
    grid = np.arange(n)[None, :] - np.arange(m)[:, None]
    divisors = np.prod(np.maximum(1, grid), axis=0)[::-1].copy()
    return jnp.concatenate([p, k]) / jnp.asarray(divisors, p.dtype)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix: columns x^(N-1), ..., x, 1 (reversed with increasing)."""
    x = jnp.asarray(_operand(x))
    if x.ndim != 1:
        raise ValueError(f"fx.numpy.vander: x must be 1-D, got shape {x.shape}")
    N = x.shape[0] if N is None else index(N, "fx.numpy.vander: N")
    if N < 0:
        raise ValueError(f"fx.numpy.vander: N must be non-negative, got {N}")
    powers = jnp.arange(N) if increasing else jnp.arange(N - 1, -1, -1)
    return jnp.power(x[:, None], powers.astype(dtypes.default_int_dtype())[None, :]).astype(x.dtype) \
        if N else jnp.zeros((x.shape[0], 0), x.dtype)


def trim_zeros(filt, trim="fb", axis=None):
    """filt without its leading ('f') and/or trailing ('b') zeros: the result's length
    depends on the values, so filt must be concrete. `axis` trims along those axes
    (all of them when None) the slices that are zero throughout."""
    check_choice(trim, ("f", "b", "fb", "bf"), "fx.numpy.trim_zeros: trim")
    filt = jnp.asarray(filt)
    if isinstance(filt, Tracer):
        raise ConcretizationTypeError(filt, "fx.numpy.trim_zeros (its result's length depends on the "
                                            "values)")
    value = np.asarray(filt)
    if value.ndim == 0:
        raise ValueError("fx.numpy.trim_zeros: filt must be at least 1-D, got a scalar")
    axes = range(value.ndim) if axis is None else (
        [axis] if np.ndim(axis) == 0 else list(axis))
    index_ = [slice(None)] * value.ndim
    for ax in axes:
        ax = int(ax) % value.ndim
        others = tuple(d for d in range(value.ndim) if d != ax)
        nonzero = np.flatnonzero(np.any(value != 0, axis=others) if others else value != 0)
        start = nonzero[0] if nonzero.size and "f" in trim else (value.shape[ax] if not nonzero.size else 0)
        stop = nonzero[-1] + 1 if nonzero.size and "b" in trim else (start if not nonzero.size else value.shape[ax])
        index_[ax] = slice(int(start), int(stop))
    return filt[tuple(index_)]


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares coefficients of degree `deg` for the points (x, y) (y may hold one
    column per data set), via lstsq on the column-scaled Vandermonde matrix, as NumPy.
    full=True adds (residuals, rank, singular values, rcond); cov=True (or "unscaled")
    adds the coefficients' covariance."""
    deg = index(deg, "fx.numpy.polyfit: deg")
    if deg < 0:
        raise ValueError(f"fx.numpy.polyfit: deg must be non-negative, got {deg}")
    x, y = promote_dtypes_inexact(x, y)
    x, y = jnp.asarray(x), jnp.asarray(y)
    order = deg + 1
    if x.ndim != 1 or x.shape[0] == 0:
        raise TypeError(f"fx.numpy.polyfit: x must be a non-empty 1-D array, got shape {x.shape}")
    if y.ndim not in (1, 2) or y.shape[0] != x.shape[0]:
        raise TypeError(f"fx.numpy.polyfit: y must be 1-D or 2-D with x's length {x.shape[0]}, got "
                        f"shape {y.shape}")
    rcond = x.shape[0] * float(dtypes.finfo(x.dtype).eps) if rcond is None else float(rcond)
    lhs, rhs = vander(x, order), y
    if w is not None:
        (w,) = promote_dtypes_inexact(w)
        w = jnp.asarray(w)
        if w.shape != (x.shape[0],):
            raise TypeError(f"fx.numpy.polyfit: w must be 1-D with x's length {x.shape[0]}, got "
                            f"shape {w.shape}")
        lhs = lhs * w[:, None]
        rhs = rhs * (w[:, None] if rhs.ndim == 2 else w)
    scale = jnp.sqrt(jnp.sum(lhs * lhs, axis=0))
    lhs = lhs / scale[None, :]
    c, residuals, rank, s = jnp.linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale).T
    if full:
        return c, residuals, rank, s, jnp.asarray(rcond)
    if not cov:
        return c
    base = jnp.linalg.inv(lhs.T @ lhs) / jnp.outer(scale, scale)
    if cov == "unscaled":
        factor = jnp.ones((1,), base.dtype)
    else:
        if x.shape[0] <= order:
            raise ValueError("fx.numpy.polyfit: the number of points must exceed deg + 1 to scale the "
                             "covariance matrix")
        factor = jnp.atleast_1d(residuals / (x.shape[0] - order))
    return (c, base * factor[0]) if y.ndim == 1 else (c, base[:, :, None] * factor[None, None, :])


def poly(seq_of_zeros):
    """The coefficients of the monic polynomial with the given roots; of a square matrix,
    its characteristic polynomial det(x I - A) (complex, as in JAX)."""
    (z,) = promote_dtypes_inexact(seq_of_zeros)
    z = jnp.atleast_1d(z)
    if z.ndim == 2 and z.shape[0] == z.shape[1] and z.shape[0]:
        return _characteristic_polynomial(z).astype(_complex_dtype(z.dtype))
    if z.ndim != 1:
        raise ValueError(f"fx.numpy.poly: input must be 1-D or a non-empty square 2-D array, got "
                         f"shape {z.shape}")
    a = jnp.ones((1,), z.dtype)
    for k in range(z.shape[0]):
        a = jnp.convolve(a, jnp.stack([jnp.ones((), z.dtype), -z[k]]), mode="full")
    return a


def _characteristic_polynomial(a):
    """det(x I - a)'s coefficients by the Faddeev-LeVerrier recursion (matrix products
    and traces only, so no eigenvalue decomposition is needed)."""
    n = a.shape[0]
    eye = jnp.eye(n, dtype=a.dtype)
    coefficients = [jnp.ones((), a.dtype)]
    m = jnp.zeros_like(a)
    for k in range(1, n + 1):
        m = a @ m + coefficients[-1] * eye
        coefficients.append(-jnp.trace(a @ m) / k)
    return jnp.stack(coefficients)


def roots(p, *, strip_zeros=True):
    """The complex roots of the polynomial with coefficients p (highest power first).
    Leading zeros are stripped, which needs concrete p; with strip_zeros=False (for jit)
    each leading zero gives a NaN root instead, as in JAX. The roots are found together
    by the Aberth-Ehrlich iteration (no eigenvalue decomposition) and differentiated by
    the implicit function theorem, dr = -dp(r) / p'(r)."""
    (p,) = promote_dtypes_inexact(p)
    p = jnp.atleast_1d(p)
    if p.ndim != 1:
        raise ValueError(f"fx.numpy.roots: p must be 1-D, got shape {p.shape}")
    complex_dtype = _complex_dtype(p.dtype)
    if p.shape[0] < 2:
        return jnp.zeros((0,), complex_dtype)
    if strip_zeros:
        if isinstance(p, Tracer):
            raise ConcretizationTypeError(
                p, "fx.numpy.roots with strip_zeros=True (the number of roots depends on the "
                   "leading zeros); pass strip_zeros=False under jit, vmap or grad")
        nonzero = np.flatnonzero(np.asarray(p) != 0)
        p = p[int(nonzero[0]):] if nonzero.size else p[:0]
        if p.shape[0] < 2:
            return jnp.zeros((0,), complex_dtype)
        return _roots_of(p.astype(complex_dtype))
    all_zero = jnp.all(p == 0)
    leading = jnp.where(all_zero, p.shape[0], jnp.argmax(p != 0))
    # shift the leading zeros to the end: p(x) x^z, whose z extra roots are zero; they are
    # the smallest, so sorted by decreasing magnitude they come last and become NaN
    r = _roots_of(jnp.roll(jnp.where(all_zero, jnp.ones_like(p), p), -leading).astype(complex_dtype))
    r = r[jnp.argsort(-jnp.abs(r), stable=True)]
    nan = jnp.asarray(complex(np.nan, np.nan), complex_dtype)
    return jnp.where(jnp.arange(r.shape[0]) < r.shape[0] - leading, r, nan)


_ABERTH_STEPS = 100


@custom_jvp
def _roots_of(p):
    """The roots of the complex p (p[0] != 0) by Aberth-Ehrlich: each estimate moves by
    Newton's step corrected for the others, a fixed number of times."""
    n = p.shape[0] - 1
    dp = p[:-1] * jnp.arange(n, 0, -1).astype(p.dtype)
    # start on a circle of the roots' magnitude (Cauchy's bound), off the real axis
    radius = 1 + jnp.max(jnp.abs(p[1:] / p[0]))
    angles = 2 * np.pi * np.arange(n) / n + 0.4
    z0 = radius.astype(p.dtype) * jnp.asarray(np.exp(1j * angles), p.dtype)
    off_diagonal = ~np.eye(n, dtype=bool)

    def step(_, z):
        ratio = polyval(p, z) / polyval(dp, z)
        diff = z[:, None] - z[None, :]
        repulsion = jnp.sum(jnp.where(off_diagonal, 1 / jnp.where(off_diagonal, diff, 1), 0), axis=1)
        update = ratio / (1 - ratio * repulsion)
        return jnp.where(jnp.isfinite(update), z - update, z)

    return lax.fori_loop(0, _ABERTH_STEPS, step, z0)


@_roots_of.defjvp
def _roots_of_jvp(primals, tangents):
    (p,), (dp_,) = primals, tangents
    r = _roots_of(p)
    n = p.shape[0] - 1
    derivative = p[:-1] * jnp.arange(n, 0, -1).astype(p.dtype)
    return r, -polyval(dp_, r) / polyval(derivative, r)
