"""Whole-array comparisons and dtype predicates: isclose, allclose, array_equal, ..."""
from __future__ import annotations

import numpy as np

from fx import dtypes, lax
from fx.core import get_aval
from fx.numpy._promote import _operand, broadcast_shapes, promote_args, promote_args_inexact
from fx.numpy._reductions import all as _all


def _isnan(x):
    return lax.ne(x, x)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol * |b| elementwise (not symmetric in a and b, as NumPy); an
    infinite b is close only to itself; NaNs are close to each other with equal_nan."""
    a, b = promote_args_inexact(a, b)
    tolerance = lax.add(lax.full_like(b, atol), lax.mul(lax.full_like(b, rtol), lax.abs(b)))
    b_finite = lax.lt(lax.abs(b), lax.full_like(b, np.inf))
    out = lax.bitwise_or(lax.eq(a, b), lax.bitwise_and(b_finite, lax.le(lax.abs(lax.sub(a, b)), tolerance)))
    if equal_nan:
        out = lax.bitwise_or(out, lax.bitwise_and(_isnan(a), _isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    """Same shape and the same elements (NaNs equal to each other with equal_nan)."""
    a1, a2 = _operand(a1), _operand(a2)
    if get_aval(a1).shape != get_aval(a2).shape:
        return lax._as_operand(False)
    a1, a2 = promote_args(a1, a2)
    equal = lax.eq(a1, a2)
    if equal_nan and dtypes.is_floating(get_aval(a1).dtype):
        equal = lax.bitwise_or(equal, lax.bitwise_and(_isnan(a1), _isnan(a2)))
    return _all(equal)


def array_equiv(a1, a2):
    """Equal after broadcasting to a common shape (False when they do not broadcast)."""
    a1, a2 = _operand(a1), _operand(a2)
    try:
        broadcast_shapes(get_aval(a1).shape, get_aval(a2).shape)
    except ValueError:
        return lax._as_operand(False)
    return _all(lax.eq(*promote_args(a1, a2)))


def iscomplexobj(x):
    """Whether x has a complex dtype."""
    return np.iscomplexobj(x) or dtypes.is_complex(getattr(x, "dtype", np.float32))


def isrealobj(x):
    return not iscomplexobj(x)


can_cast = dtypes.can_cast
