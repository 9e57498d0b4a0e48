"""The Python array API standard's spellings that NumPy 2 added: acos..atanh, pow,
concat, permute_dims, matrix_transpose, the bitwise_* names, unstack, cumulative_sum and
cumulative_prod, vecdot / matvec / vecmat, and isdtype.

Most are other names for fx.numpy functions; the rest are short compositions of them.
"""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes
from fx.argcheck import canonicalize_axis, describe
from fx.numpy._promote import _operand
from fx.numpy._reductions import _accumulator
from fx.numpy._ufuncs import (arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, invert,
                              left_shift, power, right_shift)

acos, acosh, asin, asinh, atan, atan2, atanh = arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh
pow = power
bitwise_invert, bitwise_left_shift, bitwise_right_shift = invert, left_shift, right_shift


def concat(arrays, /, *, axis=0):
    return jnp.concatenate(arrays, axis=axis)


def permute_dims(a, /, axes):
    return jnp.transpose(a, axes)


def matrix_transpose(x, /):
    """x with its last two axes swapped (a stack of matrices, each transposed)."""
    x = jnp.asarray(_operand(x))
    if x.ndim < 2:
        raise ValueError(f"fx.numpy.matrix_transpose: x must be at least 2-D, got shape {x.shape}")
    return jnp.swapaxes(x, -1, -2)


def unstack(x, /, *, axis=0):
    """The slices of x along `axis`, as a tuple."""
    x = jnp.asarray(_operand(x))
    if x.ndim == 0:
        raise ValueError("fx.numpy.unstack: x must be at least 1-D, got a scalar")
    axis = canonicalize_axis(axis, x.ndim)
    return tuple(jnp.moveaxis(x, axis, 0))


def _cumulative(name, scan, identity):
    def cumulative(x, /, *, axis=None, dtype=None, include_initial=False):
        x = jnp.asarray(_operand(x))
        if axis is None:
            if x.ndim > 1:
                raise ValueError(f"fx.numpy.{name}: x has rank {x.ndim}; axis must be given for arrays "
                                 f"of more than one dimension")
            axis = 0
        if x.ndim == 0:
            raise ValueError(f"fx.numpy.{name}: x must be at least 1-D, got a scalar")
        axis = canonicalize_axis(axis, x.ndim)
        dtype = dtypes.canonicalize_dtype(dtype) if dtype is not None else (
            _accumulator(x.dtype) if dtypes.is_bool(x.dtype) or dtypes.is_integer(x.dtype) else x.dtype)
        if dtypes.is_bool(dtype):  # as JAX: the running sum or product of 0s and 1s, nonzero or not
            out = scan(x.astype(dtype).astype(_accumulator(dtype)), axis=axis).astype(dtype)
        else:
            out = scan(x.astype(dtype), axis=axis)
        if include_initial:
            edge = x.shape[:axis] + (1,) + x.shape[axis + 1:]
            out = jnp.concatenate([jnp.full(edge, identity, dtype), out], axis=axis)
        return out
    cumulative.__name__ = name
    cumulative.__doc__ = (f"The running {name.split('_')[1]} along `axis` (required unless x is 1-D); "
                          f"include_initial prepends the identity ({identity}).")
    return cumulative


cumulative_sum = _cumulative("cumulative_sum", jnp.cumsum, 0)
cumulative_prod = _cumulative("cumulative_prod", jnp.cumprod, 1)


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    """sum(conj(x1) * x2) along `axis`, the other axes broadcast."""
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    axis1, axis2 = canonicalize_axis(axis, x1.ndim), canonicalize_axis(axis, x2.ndim)
    if x1.shape[axis1] != x2.shape[axis2]:
        raise ValueError(f"fx.numpy.vecdot: axis {axis} has different lengths in x1 {x1.shape} and "
                         f"x2 {x2.shape}")
    x1, x2 = jnp.moveaxis(x1, axis1, -1), jnp.moveaxis(x2, axis2, -1)
    return jnp.matmul(jnp.conj(x1)[..., None, :], x2[..., :, None], precision=precision,
                      preferred_element_type=preferred_element_type)[..., 0, 0]


def matvec(x1, x2, /):
    """The matrix-vector product of the stacks x1 (..., m, n) and x2 (..., n)."""
    x1, x2 = jnp.asarray(_operand(x1)), jnp.asarray(_operand(x2))
    if x1.ndim < 2 or x2.ndim < 1:
        raise ValueError(f"fx.numpy.matvec: x1 must be at least 2-D (..., m, n) and x2 at least 1-D "
                         f"(..., n), got shapes {x1.shape} and {x2.shape}")
    return jnp.matmul(x1, x2[..., None])[..., 0]


def vecmat(x1, x2, /):
    """The vector-matrix product conj(x1) (..., m) times x2 (..., m, n)."""
    x1, x2 = jnp.asarray(_operand(x1)), jnp.asarray(_operand(x2))
    if x1.ndim < 1 or x2.ndim < 2:
        raise ValueError(f"fx.numpy.vecmat: x1 must be at least 1-D (..., m) and x2 at least 2-D "
                         f"(..., m, n), got shapes {x1.shape} and {x2.shape}")
    return jnp.matmul(jnp.conj(x1)[..., None, :], x2)[..., 0, :]


_KINDS = {
    "bool": lambda d: d == np.bool_,
    "signed integer": lambda d: d.kind == "i",
    "unsigned integer": lambda d: d.kind == "u",
    "integral": lambda d: d.kind in "iu",
    "real floating": lambda d: dtypes.kind(d) == "f",
    "complex floating": lambda d: d.kind == "c",
    "numeric": lambda d: d != np.bool_,
}


def isdtype(dtype, kind):
    """Whether `dtype` is of `kind`: a dtype, one of the array API's kind names ('bool',
    'signed integer', 'unsigned integer', 'integral', 'real floating', 'complex floating',
    'numeric'), or a tuple of them."""
    dtype = _as_dtype(dtype, "dtype must be a dtype")
    for k in kind if isinstance(kind, tuple) else (kind,):
        if isinstance(k, str):
            if k not in _KINDS:
                raise ValueError(f"fx.numpy.isdtype: unrecognised kind {k!r}; expected one of "
                                 f"{list(_KINDS)} or a dtype")
            if _KINDS[k](dtype):
                return True
        elif dtype == _as_dtype(k, f"kind must be a dtype, one of {list(_KINDS)}, or a tuple of them"):
            return True
    return False


def _as_dtype(value, expected):
    try:
        return np.dtype(value)
    except (TypeError, ValueError):
        raise TypeError(f"fx.numpy.isdtype: {expected}, got {describe(value)}") from None
