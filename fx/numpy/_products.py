"""Products: dot, matmul (the `@` operator), vdot, outer, inner, tensordot, kron, cross,
and the 1-D convolve and correlate."""
from __future__ import annotations

import numpy as np

from fx import dtypes, lax
from fx.core import get_aval
from fx.argcheck import index, int_tuple
from fx.lax.dot import canonicalize_precision
from fx.numpy._promote import (broadcast_arrays, broadcast_shapes, broadcast_to, promote_dtypes,
                               promote_dtypes_inexact)
from fx.numpy._shape import _axis, moveaxis, ravel, slice_along, stack


def _dot_general(a, b, contract, batch=((), ()), precision=None, preferred_element_type=None):
    return lax.dot_general(a, b, (contract, batch), precision=precision,
                           preferred_element_type=preferred_element_type)


def _scalar_product(a, b, precision, preferred_element_type):
    canonicalize_precision(precision)
    product = lax.mul(*broadcast_arrays(a, b))
    if preferred_element_type is None:
        return product
    return lax.convert_element_type(product, preferred_element_type)


def dot(a, b, *, precision=None, preferred_element_type=None):
    """NumPy's dot: sum over the last axis of a and the second-to-last of b.
    `preferred_element_type` is the result's (and accumulation's) dtype; `precision` as
    lax.dot_general's."""
    a, b = promote_dtypes(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if na == 0 or nb == 0:
        return _scalar_product(a, b, precision, preferred_element_type)
    return _dot_general(a, b, ((na - 1,), (max(nb - 2, 0),)), precision=precision,
                        preferred_element_type=preferred_element_type)


def matmul(a, b, *, precision=None, preferred_element_type=None):
    """NumPy's matmul: batch dims broadcast, 1-D operands promoted and then dropped;
    `precision` and `preferred_element_type` as in `dot`."""
    a, b = promote_dtypes(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if not sa or not sb:
        raise ValueError("matmul: operands must not be scalars (use * instead)")
    if sa[-1] != sb[max(len(sb) - 2, 0)]:
        raise ValueError(f"matmul: contracting dimensions differ: {sa} @ {sb}")
    options = dict(precision=precision, preferred_element_type=preferred_element_type)
    if len(sa) == 1 or len(sb) == 1:  # a vector operand: a plain contraction, as dot
        return _dot_general(a, b, ((len(sa) - 1,), (max(len(sb) - 2, 0),)), **options)
    batch = broadcast_shapes(sa[:-2], sb[:-2])
    a = broadcast_to(a, batch + sa[-2:])
    b = broadcast_to(b, batch + sb[-2:])
    dims = tuple(range(len(batch)))
    return _dot_general(a, b, ((len(batch) + 1,), (len(batch),)), (dims, dims), **options)


def vdot(a, b, *, precision=None, preferred_element_type=None):
    """The dot product of the flattened arrays, conjugating the first if complex (NumPy's)."""
    a, b = promote_dtypes(a, b)
    if dtypes.is_complex(get_aval(a).dtype):
        a = lax.conj(a)
    return dot(ravel(a), ravel(b), precision=precision, preferred_element_type=preferred_element_type)


def inner(a, b, *, precision=None, preferred_element_type=None):
    a, b = promote_dtypes(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if na == 0 or nb == 0:
        return _scalar_product(a, b, precision, preferred_element_type)
    return _dot_general(a, b, ((na - 1,), (nb - 1,)), precision=precision,
                        preferred_element_type=preferred_element_type)


def outer(a, b, out=None):
    if out is not None:
        raise NotImplementedError("fx.numpy.outer: `out` is not supported (fx arrays are immutable)")
    a, b = promote_dtypes(a, b)
    a = lax.reshape(a, (get_aval(a).size, 1))
    b = lax.reshape(b, (1, get_aval(b).size))
    return _dot_general(a, b, ((1,), (0,)))


def _axes_list(axes, ndim, name):
    axes = (axes,) if isinstance(axes, (int, np.integer)) else int_tuple(axes, f"tensordot {name}")
    return [_axis(a, ndim, name) for a in axes]


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    """Sum over the last `axes` axes of a and the first of b, or over the given axis pairs."""
    a, b = promote_dtypes(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if not isinstance(axes, (list, tuple)):
        axes = index(axes, "tensordot axes")
        if not 0 <= axes <= min(na, nb):
            raise ValueError(f"tensordot: axes={axes} must be in [0, {min(na, nb)}] for operands "
                             f"of rank {na} and {nb}")
        ca, cb = list(range(na - axes, na)), list(range(axes))
    else:
        if len(axes) != 2:
            raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, got {axes!r}")
        ca, cb = _axes_list(axes[0], na, "axes[0]"), _axes_list(axes[1], nb, "axes[1]")
        if len(ca) != len(cb):
            raise ValueError(f"tensordot: axes {axes!r} pair {len(ca)} axes of a with {len(cb)} of b")
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if [sa[i] for i in ca] != [sb[i] for i in cb]:
        raise ValueError(f"tensordot: contracted axes of shapes {sa} and {sb} differ in size "
                         f"(axes {ca} and {cb})")
    return lax.dot_general(a, b, ((ca, cb), ((), ())), precision=precision,
                           preferred_element_type=preferred_element_type)


def kron(a, b):
    """The Kronecker product: every element of a scaling a whole copy of b."""
    a, b = (lax._as_operand(x) for x in promote_dtypes(a, b))
    ndim = max(get_aval(a).ndim, get_aval(b).ndim)
    sa = (1,) * (ndim - get_aval(a).ndim) + get_aval(a).shape
    sb = (1,) * (ndim - get_aval(b).ndim) + get_aval(b).shape
    interleaved = tuple(n for pair in zip(sa, sb) for n in pair)
    a = lax.broadcast_in_dim(lax.reshape(a, sa), interleaved, tuple(range(0, 2 * ndim, 2)))
    b = lax.broadcast_in_dim(lax.reshape(b, sb), interleaved, tuple(range(1, 2 * ndim, 2)))
    return lax.reshape(lax.mul(a, b), tuple(x * y for x, y in zip(sa, sb)))


def _components(x, axis, name):
    x = moveaxis(x, axis, -1)
    n = get_aval(x).shape[-1]
    if n not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product: axis {axis} of "
                         f"{name} has length {n} (dimension must be 2 or 3)")
    last = get_aval(x).ndim - 1
    return [lax.squeeze(slice_along(x, last, i, i + 1), (last,)) for i in range(n)]


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors have z = 0; two 2-vectors give the z
    component alone), vectors along axisa/axisb, result vectors along axisc."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = promote_dtypes(a, b)
    ca, cb = _components(a, axisa, "a"), _components(b, axisb, "b")
    both = broadcast_arrays(*ca, *cb)
    ca, cb = both[:len(ca)], both[len(ca):]
    z = lax.sub(lax.mul(ca[0], cb[1]), lax.mul(ca[1], cb[0]))
    if len(ca) == len(cb) == 2:
        return z
    zero = lax.full_like(z, 0)
    a2 = ca[2] if len(ca) == 3 else zero
    b2 = cb[2] if len(cb) == 3 else zero
    x = lax.sub(lax.mul(ca[1], b2), lax.mul(a2, cb[1]))
    y = lax.sub(lax.mul(a2, cb[0]), lax.mul(ca[0], b2))
    return moveaxis(stack([x, y, z], -1), -1, axisc)


def _convolution(op, a, v, mode, precision, preferred_element_type):
    """1-D convolution or correlation as one lax.conv_general_dilated (JAX's way): the
    longer operand slides over the shorter, flipped for a convolution and conjugated for
    a correlation."""
    a, v = promote_dtypes_inexact(a, v)
    if get_aval(a).ndim != 1 or get_aval(v).ndim != 1:
        raise ValueError(f"{op}() only supports 1-dimensional inputs, got shapes "
                         f"{get_aval(a).shape} and {get_aval(v).shape}")
    if get_aval(a).shape[0] == 0 or get_aval(v).shape[0] == 0:
        raise ValueError(f"{op}: inputs cannot be empty, got shapes {get_aval(a).shape} and "
                         f"{get_aval(v).shape}")
    reverse = False
    if op == "correlate":
        if dtypes.is_complex(get_aval(v).dtype):
            v = lax.conj(v)
        if get_aval(a).shape[0] < get_aval(v).shape[0]:
            a, v, reverse = v, a, True
    else:
        if get_aval(a).shape[0] < get_aval(v).shape[0]:
            a, v = v, a
        v = lax.rev(v, (0,))
    m = get_aval(v).shape[0]
    padding = {"valid": [(0, 0)], "same": [(m // 2, m - m // 2 - 1)], "full": [(m - 1, m - 1)]}
    if mode not in padding:
        raise ValueError(f"{op}: mode must be one of 'full', 'same', 'valid', got {mode!r}")
    out = lax.conv_general_dilated(lax.reshape(a, (1, 1, get_aval(a).shape[0])),
                                   lax.reshape(v, (1, 1, m)), (1,), padding[mode], precision=precision,
                                   preferred_element_type=preferred_element_type)
    out = lax.reshape(out, (get_aval(out).shape[-1],))
    return lax.rev(out, (0,)) if reverse else out


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """NumPy's discrete linear convolution of two 1-D arrays (mode: full, same or valid)."""
    return _convolution("convolve", a, v, mode, precision, preferred_element_type)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """NumPy's cross-correlation of two 1-D arrays, conjugating v (mode: valid, same or full)."""
    return _convolution("correlate", a, v, mode, precision, preferred_element_type)
