"""associative_scan: all prefix combinations of an associative function in O(log n)
rounds of whole-array operations, written with slices and concatenations (no primitive
of its own, so every transform comes for free).

Each round combines neighbouring pairs, scans the half-length result recursively (giving
the prefixes that end at odd positions), then combines those with the elements at the
following even positions; interleaving the two gives every prefix.
"""
from __future__ import annotations

from fx import tree_util
from fx.argcheck import check_callable, index
from fx.core import get_aval
from fx.transforms.call import leaf_aval
def associative_scan(fn, elems, reverse=False, axis=0):
    """[e0, fn(e0, e1), fn(fn(e0, e1), e2), ...] along `axis` of every leaf of elems
    (JAX's lax.associative_scan); fn must be associative and work on pytrees of arrays
    like elems, elementwise along `axis`."""
    from fx import lax
    check_callable(fn, "associative_scan: fn")
    axis = index(axis, "associative_scan: axis")
    leaves, tree = tree_util.tree_flatten(elems)
    if not leaves:
        raise ValueError("associative_scan: elems has no arrays")
    for x in leaves:
        leaf_aval(x, "associative_scan elems")  # a TypeError naming a non-array leaf
    leaves = [lax._as_operand(x) for x in leaves]
    ndim = get_aval(leaves[0]).ndim
    if not -ndim <= axis < max(ndim, 1) or ndim == 0:
        raise ValueError(f"associative_scan: axis {axis} is out of bounds for elems of rank {ndim}")
    axis %= ndim
    sizes = {get_aval(x).shape[axis] if get_aval(x).ndim > axis else None for x in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(f"associative_scan: every leaf of elems needs axis {axis} of one size, "
                         f"got shapes {[get_aval(x).shape for x in leaves]}")

    def combine(a, b):
        out = fn(tree_util.tree_unflatten(tree, a), tree_util.tree_unflatten(tree, b))
        out_leaves, out_tree = tree_util.tree_flatten(out)
        if out_tree != tree:
            raise TypeError(f"associative_scan: fn must return a pytree structured like elems "
                            f"({tree}), got {out_tree}")
        return out_leaves

    if reverse:
        leaves = [lax.rev(x, (axis,)) for x in leaves]
    out = _scan(combine, leaves, axis)
    if reverse:
        out = [lax.rev(x, (axis,)) for x in out]
    return tree_util.tree_unflatten(tree, out)


def _scan(combine, elems, axis):
    n = get_aval(elems[0]).shape[axis]
    if n < 2:
        return elems
    pairs = combine([_take(x, 0, n - 1, 2, axis) for x in elems],
                    [_take(x, 1, n, 2, axis) for x in elems])
    odd = _scan(combine, pairs, axis)  # prefixes ending at positions 1, 3, 5, ...
    # prefixes ending at positions 2, 4, ...: an odd prefix combined with the next element
    n_even = (n - 1) // 2
    evens = [_take(x, 0, 1, 1, axis) for x in elems]
    if n_even:
        later = combine([_take(x, 0, n_even, 1, axis) for x in odd],
                        [_take(x, 2, n, 2, axis) for x in elems])
        evens = [_concat([e, v], axis) for e, v in zip(evens, later)]
    return [_interleave(e, o, axis) for e, o in zip(evens, odd)]


def _take(x, start, stop, step, axis):
    from fx import lax
    shape = get_aval(x).shape
    starts = [0] * len(shape)
    limits = list(shape)
    strides = [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, max(start, stop), step
    return lax.slice(x, starts, limits, strides)


def _concat(xs, axis):
    from fx import lax
    return lax.concatenate(xs, axis)


def _interleave(a, b, axis):
    """a[0], b[0], a[1], b[1], ... along axis (a is as long as b or one longer)."""
    from fx import lax
    na, nb = get_aval(a).shape[axis], get_aval(b).shape[axis]
    head = _take(a, 0, nb, 1, axis)
    shape = get_aval(head).shape
    pair = lax.concatenate([lax.expand_dims(head, (axis + 1,)), lax.expand_dims(b, (axis + 1,))],
                           axis + 1)
    out = lax.reshape(pair, shape[:axis] + (2 * nb,) + shape[axis + 1:])
    return out if na == nb else _concat([out, _take(a, nb, na, 1, axis)], axis)
