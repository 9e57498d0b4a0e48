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
    a2 = lax.expand_dims(a, (0,)) if len(sa) == 1 else a
    b2 = lax.expand_dims(b, (1,)) if len(sb) == 1 else b
    sa2, sb2 = get_aval(a2).shape, get_aval(b2).shape
    if sa2[-1] != sb2[-2]:
        raise ValueError(f"matmul: contracting dimensions differ: {sa} @ {sb}")
    batch = broadcast_shapes(sa2[:-2], sb2[:-2])
    a2 = broadcast_to(a2, batch + sa2[-2:])
    b2 = broadcast_to(b2, batch + sb2[-2:])
    nb = len(batch)
    dims = tuple(range(nb))
    out = _dot_general(a2, b2, ((nb + 1,), (nb,)), (dims, dims))
    drop = tuple(d for d, vector in ((nb, len(sa) == 1), (nb + 1, len(sb) == 1)) if vector)
    return lax.squeeze(out, drop) if drop else out


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
