"""Numerical calculus and signal helpers on sampled data: interp, trapezoid, gradient,
ediff1d, unwrap; and the sample statistics cov and corrcoef.

All are compositions of fx.numpy operations (searchsorted, slicing, sums, matrix
products), so they jit, differentiate and batch.
"""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes
from fx.argcheck import canonicalize_axis, index
from fx.numpy._promote import _operand, promote_dtypes, promote_dtypes_inexact


def interp(x, xp, fp, left=None, right=None, period=None):
    """The piecewise-linear interpolant through (xp, fp) (xp increasing) at x; fp[0] /
    fp[-1] (or left / right) outside, or the end segments extended with 'extrapolate';
    with `period`, xp is taken modulo it and wraps around."""
    if np.shape(xp) != np.shape(fp) or np.ndim(xp) != 1:
        raise ValueError(f"fx.numpy.interp: xp and fp must be 1-D arrays of the same length, got "
                         f"shapes {np.shape(xp)} and {np.shape(fp)}")
    x, xp = promote_dtypes_inexact(x, xp)
    (fp,) = promote_dtypes_inexact(fp)
    x, xp, fp = jnp.asarray(x), jnp.asarray(xp), jnp.asarray(fp)
    extrapolate = []
    for side, value in (("left", left), ("right", right)):
        if isinstance(value, str) and value != "extrapolate":
            raise ValueError(f"fx.numpy.interp: the only string {side} accepts is 'extrapolate', "
                             f"got {value!r}")
        extrapolate.append(isinstance(value, str))
    if dtypes.is_complex(x.dtype):
        raise ValueError("fx.numpy.interp: complex x is not supported")
    if period is not None:
        if np.ndim(period) != 0:
            raise ValueError(f"fx.numpy.interp: period must be a scalar, got shape {np.shape(period)}")
        period = jnp.abs(period)
        x, xp = x % period, xp % period
        order = jnp.argsort(xp)
        xp, fp = xp[order], fp[order]
        xp = jnp.concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = jnp.concatenate([fp[-1:], fp, fp[:1]])
    i = jnp.clip(jnp.searchsorted(xp, x, side="right"), 1, xp.shape[0] - 1)
    dx = xp[i] - xp[i - 1]
    flat = jnp.abs(dx) <= np.spacing(dtypes.finfo(xp.dtype).eps)  # no NaN gradient at repeated xp
    f = jnp.where(flat, fp[i - 1], fp[i - 1] + (x - xp[i - 1]) / jnp.where(flat, 1, dx) * (fp[i] - fp[i - 1]))
    if period is None:
        if not extrapolate[0]:
            f = jnp.where(x < xp[0], fp[0] if left is None else left, f)
        if not extrapolate[1]:
            f = jnp.where(x > xp[-1], fp[-1] if right is None else right, f)
    return f


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of the samples y along `axis` by the trapezoidal rule, at the points x
    (1-D along the axis, or y's shape) or spaced dx apart."""
    if x is None:
        y, dx = promote_dtypes_inexact(y, dx)
        y = jnp.asarray(y)
        widths = dx
    else:
        y, x = promote_dtypes_inexact(y, x)
        y, x = jnp.asarray(y), jnp.asarray(x)
        if x.ndim == 1:
            widths = jnp.diff(x)
        else:
            widths = jnp.moveaxis(jnp.diff(x, axis=axis), axis, -1)
    y = jnp.moveaxis(y, axis, -1)
    return 0.5 * jnp.sum(widths * (y[..., 1:] + y[..., :-1]), axis=-1)


def ediff1d(ary, to_end=None, to_begin=None):
    """The differences of the flattened array, with to_begin and to_end joined around."""
    flat = jnp.ravel(jnp.asarray(_operand(ary)))
    pieces = [jnp.ravel(jnp.asarray(to_begin, flat.dtype))] if to_begin is not None else []
    pieces.append(flat[1:] - flat[:-1])
    if to_end is not None:
        pieces.append(jnp.ravel(jnp.asarray(to_end, flat.dtype)))
    return jnp.concatenate(pieces) if len(pieces) > 1 else pieces[0]


def gradient(f, *varargs, axis=None, edge_order=None):
    """The gradient of sampled f by second-order central differences inside and one-sided
    first-order ones at the edges; spacing per axis is a scalar or a 1-D coordinate array
    (varargs: none, one for all axes, or one per axis). One axis gives an array, several a
    list, as NumPy."""
    if edge_order is not None and edge_order != 1:
        raise NotImplementedError("fx.numpy.gradient: only edge_order=1 is supported (as in JAX)")
    (f,) = promote_dtypes_inexact(f)
    f = jnp.asarray(f)
    axes = list(range(f.ndim)) if axis is None else [
        canonicalize_axis(a, f.ndim) for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError(f"fx.numpy.gradient: expected 0, 1 or {len(axes)} spacings, got {len(varargs)}")
    out = [_gradient_along(f, a, h) for a, h in zip(axes, spacings)]
    return out[0] if len(out) == 1 else out


def _gradient_along(f, axis, h):
    n = f.shape[axis]
    if n < 2:
        raise ValueError(f"fx.numpy.gradient: axis {axis} has {n} samples; at least 2 are needed")
    g = jnp.moveaxis(f, axis, -1)
    if np.ndim(h) == 0:
        inner = (g[..., 2:] - g[..., :-2]) / (2 * jnp.asarray(h, f.dtype))
        first = (g[..., 1:2] - g[..., :1]) / h
        last = (g[..., -1:] - g[..., -2:-1]) / h
    else:
        x = jnp.asarray(h, f.dtype)
        if x.shape != (n,):
            raise ValueError(f"fx.numpy.gradient: coordinates for axis {axis} must have length {n}, "
                             f"got shape {x.shape}")
        d = jnp.diff(x)
        d1, d2 = d[:-1], d[1:]  # the steps before and after each interior point
        inner = (-d2 / (d1 * (d1 + d2)) * g[..., :-2] + (d2 - d1) / (d1 * d2) * g[..., 1:-1]
                 + d1 / (d2 * (d1 + d2)) * g[..., 2:])
        first = (g[..., 1:2] - g[..., :1]) / d[0]
        last = (g[..., -1:] - g[..., -2:-1]) / d[-1]
    return jnp.moveaxis(jnp.concatenate([first, inner, last], axis=-1), -1, axis)


def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
    """p with jumps of more than `discont` (default period / 2) between neighbours along
    `axis` replaced by their equivalents modulo `period`."""
    p, period = promote_dtypes(p, period)
    p = jnp.asarray(p)
    if dtypes.is_complex(p.dtype):
        raise ValueError("fx.numpy.unwrap does not support complex inputs")
    axis = canonicalize_axis(axis, p.ndim)
    if p.shape[axis] == 0:
        return p
    discont = period / 2 if discont is None else discont
    interval = period // 2 if dtypes.is_integer(p.dtype) else period / 2
    dd = jnp.diff(p, axis=axis)
    ddmod = jnp.mod(dd + interval, period) - interval
    ddmod = jnp.where((ddmod == -interval) & (dd > 0), interval, ddmod)
    correction = jnp.where(jnp.abs(dd) < discont, 0, ddmod - dd)
    head = jnp.take(p, jnp.arange(1), axis=axis)
    rest = jnp.take(p, jnp.arange(1, p.shape[axis]), axis=axis)
    return jnp.concatenate([head, rest + jnp.cumsum(correction, axis=axis)], axis=axis)


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, dtype=None):
    """The covariance matrix of the variables in the rows of m (columns with
    rowvar=False), with y's variables appended; frequency and analytic weights as NumPy."""
    if dtype is not None and not dtypes.is_inexact(dtypes.canonicalize_dtype(dtype)):
        raise ValueError(f"fx.numpy.cov: dtype must be a floating or complex dtype, got {dtype!r}")
    if y is not None:
        m, y = promote_dtypes_inexact(m, y)
    else:
        (m,) = promote_dtypes_inexact(m)
    m = jnp.asarray(m)
    if m.ndim > 2:
        raise ValueError(f"fx.numpy.cov: m has more than 2 dimensions, shape {m.shape}")
    x = jnp.atleast_2d(m)
    if not rowvar and x.shape[0] != 1:
        x = x.T
    if x.shape[0] == 0:
        return jnp.zeros((0, 0), x.dtype)
    if y is not None:
        y = jnp.atleast_2d(jnp.asarray(y))
        if not rowvar and y.shape[0] != 1:
            y = y.T
        x = jnp.concatenate([x, y], axis=0)
    if dtype is not None:
        x = x.astype(dtype)
    if x.shape[1] == 0:  # no observations: NaN, as JAX and NumPy
        return jnp.full(() if x.shape[0] == 1 else (x.shape[0],) * 2, np.nan, x.dtype)
    ddof = (0 if bias else 1) if ddof is None else index(ddof, "fx.numpy.cov: ddof")
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = _weights("fweights", fweights, n, integer=True)
    if aweights is not None:
        a = _weights("aweights", aweights, n, integer=False)
        w = a if w is None else w * a
    if w is None:
        avg = jnp.mean(x, axis=1)
        norm = jnp.asarray(n - ddof)  # an int out of the default int's range overflows, as in JAX
    else:
        w = w.astype(x.dtype) if not dtypes.is_complex(x.dtype) else w
        w_sum = jnp.sum(w)
        avg = jnp.sum(x * w, axis=1) / w_sum
        norm = w_sum - (ddof if aweights is None else ddof * jnp.sum(w * a) / w_sum)
    x = x - avg[:, None]
    xw = x if w is None else x * w
    c = (xw @ jnp.conj(x).T) / norm
    return jnp.squeeze(c)


def _weights(name, w, n, integer):
    w = jnp.asarray(w)
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"fx.numpy.cov: {name} must be 1-D with one entry per observation ({n}), "
                         f"got shape {w.shape}")
    if integer and not dtypes.is_integer(w.dtype):
        raise TypeError(f"fx.numpy.cov: fweights must be integers, got {w.dtype}")
    return w


def corrcoef(x, y=None, rowvar=True, dtype=None):
    """Pearson correlation coefficients: cov divided by the outer product of the standard
    deviations (the real parts clipped to [-1, 1], as NumPy)."""
    if dtype is not None and not dtypes.is_inexact(dtypes.canonicalize_dtype(dtype)):
        raise ValueError(f"fx.numpy.corrcoef: dtype must be a floating or complex dtype, got {dtype!r}")
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return c / c  # NaN for a zero variance, 1 otherwise, as NumPy
    d = jnp.diag(c)
    stddev = jnp.sqrt(jnp.real(d)).astype(c.dtype)
    c = c / stddev[:, None] / stddev[None, :]
    if dtypes.is_complex(c.dtype):
        return jnp.clip(jnp.real(c), -1, 1) + 1j * jnp.clip(jnp.imag(c), -1, 1)
    return jnp.clip(c, -1, 1)
