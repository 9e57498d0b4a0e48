"""Matrix products: dot, matmul (the `@` operator), vdot, outer, inner."""
from __future__ import annotations

from fx import lax
from fx.core import get_aval
from fx.numpy._promote import broadcast_arrays, broadcast_shapes, broadcast_to, promote_dtypes


def _dot_general(a, b, contract, batch=((), ())):
    return lax.dot_general(a, b, (contract, batch))


def dot(a, b):
    """NumPy's dot: sum over the last axis of a and the second-to-last of b."""
    a, b = promote_dtypes(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if na == 0 or nb == 0:
        return lax.mul(*broadcast_arrays(a, b))
    return _dot_general(a, b, ((na - 1,), (max(nb - 2, 0),)))


def matmul(a, b):
    """NumPy's matmul: batch dims broadcast, 1-D operands promoted and then dropped."""
    a, b = promote_dtypes(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if not sa or not sb:
        raise ValueError("matmul: operands must not be scalars (use * instead)")
    if sa[-1] != sb[max(len(sb) - 2, 0)]:
        raise ValueError(f"matmul: contracting dimensions differ: {sa} @ {sb}")
    if len(sa) == 1 or len(sb) == 1:  # a vector operand: a plain contraction, as dot
        return _dot_general(a, b, ((len(sa) - 1,), (max(len(sb) - 2, 0),)))
    batch = broadcast_shapes(sa[:-2], sb[:-2])
    a = broadcast_to(a, batch + sa[-2:])
    b = broadcast_to(b, batch + sb[-2:])
    dims = tuple(range(len(batch)))
    return _dot_general(a, b, ((len(batch) + 1,), (len(batch),)), (dims, dims))


def vdot(a, b):
    return dot(lax.reshape(a, (get_aval(a).size,)), lax.reshape(b, (get_aval(b).size,)))


def inner(a, b):
    a, b = promote_dtypes(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if na == 0 or nb == 0:
        return lax.mul(*broadcast_arrays(a, b))
    return _dot_general(a, b, ((na - 1,), (nb - 1,)))


def outer(a, b):
    a, b = promote_dtypes(a, b)
    a = lax.reshape(a, (get_aval(a).size, 1))
    b = lax.reshape(b, (1, get_aval(b).size))
    return _dot_general(a, b, ((1,), (0,)))
