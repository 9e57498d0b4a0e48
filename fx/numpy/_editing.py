"""Building new arrays from old ones by position or condition: append, insert, delete,
select, choose, piecewise, extract, place, put, put_along_axis, fill_diagonal, resize.

fx arrays are immutable, so the functions NumPy documents as in-place (put, place,
fill_diagonal, put_along_axis) return the updated array and require inplace=False, as
in JAX. Positions that change an output's shape (delete's indices, insert's, without
assume_unique_indices) must be concrete.
"""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.argcheck import canonicalize_axis, canonicalize_shape, check_choice
from fx.core import ConcretizationTypeError, Tracer
from fx.numpy._promote import _operand, promote_dtypes


def _check_not_inplace(name, inplace):
    if inplace:
        raise ValueError(f"fx.numpy.{name} cannot modify arrays in place (fx arrays are immutable); "
                         f"pass inplace=False to get the updated array")


def append(arr, values, axis=None):
    """arr with values joined at the end of `axis` (both flattened when axis is None)."""
    if axis is None:
        return jnp.concatenate([jnp.ravel(jnp.asarray(arr)), jnp.ravel(jnp.asarray(values))], 0)
    return jnp.concatenate([arr, values], axis=axis)


def _flat_or_axis(arr, axis):
    arr = jnp.asarray(arr)
    if axis is None:
        return jnp.ravel(arr), 0
    return arr, canonicalize_axis(axis, arr.ndim)


def insert(arr, obj, values, axis=None):
    """arr with values inserted before the positions obj (an int, a 1-D integer array or a
    slice) along `axis`. A scalar obj inserts values as one block; an array of k positions
    inserts k slices. Positions may be traced; their count fixes the shape."""
    a, axis = _flat_or_axis(arr, axis)
    n = a.shape[axis]
    if isinstance(obj, slice):
        indices = jnp.arange(*obj.indices(n))
    else:
        indices = jnp.asarray(obj)
        if indices.ndim > 1:
            raise ValueError(f"fx.numpy.insert: obj must be a slice, an int or a 1-D array, got shape "
                             f"{indices.shape}")
        if not dtypes.is_integer(indices.dtype):
            raise ValueError(f"fx.numpy.insert: positions must be integers, got {indices.dtype}")
    values = jnp.asarray(values, a.dtype)
    values = jnp.reshape(values, (1,) * (a.ndim - values.ndim) + values.shape)
    if indices.size == 1:
        position = jnp.ravel(indices)[0]
        if indices.ndim == 0:  # one block: values' first axis runs along `axis`
            values = jnp.moveaxis(values, 0, axis)
        indices = jnp.full(values.shape[axis], position)
    count = jnp.broadcast_shapes(indices.shape, (values.shape[axis],))[0]
    indices = jnp.clip(jnp.where(indices < 0, indices + n, indices), 0, n)
    # the k-th inserted slice (in order of position) lands k places further on
    at = indices.at[jnp.argsort(indices)].add(jnp.arange(count, dtype=indices.dtype))
    keep = jnp.ones(n + count, bool).at[at].set(False)
    original = jnp.nonzero(keep, size=n)[0]
    out_shape = a.shape[:axis] + (n + count,) + a.shape[axis + 1:]
    lead = (slice(None),) * axis
    target = jnp.broadcast_to(jnp.moveaxis(values, axis, -1),
                              a.shape[:axis] + a.shape[axis + 1:] + (count,))
    out = jnp.zeros(out_shape, a.dtype).at[lead + (at,)].set(jnp.moveaxis(target, -1, axis))
    return out.at[lead + (original,)].set(a)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """arr without the slices at positions obj (an int, integer or boolean array, or a
    slice) along `axis`. Integer positions must be concrete, unless
    assume_unique_indices promises they are distinct (then they may be traced)."""
    a, axis = _flat_or_axis(arr, axis)
    n = a.shape[axis]
    lead = (slice(None),) * axis
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, (bool, np.bool_)):
        i = canonicalize_axis(obj, n, "fx.numpy.delete: index")
        return jnp.concatenate([a[lead + (slice(0, i),)], a[lead + (slice(i + 1, None),)]], axis=axis)
    if isinstance(obj, slice):
        obj, assume_unique_indices = np.arange(n)[obj], True
    obj_dtype = dtypes.result_type(obj)
    if assume_unique_indices and dtypes.is_integer(obj_dtype):
        gone = jnp.sort(jnp.clip(jnp.ravel(jnp.where(jnp.asarray(obj) < 0, jnp.asarray(obj) + n, obj)), 0, n))
        gone = gone - jnp.arange(gone.shape[0], dtype=gone.dtype)
        kept = jnp.arange(n - gone.shape[0], dtype=gone.dtype)
        kept = kept + jnp.sum(kept[None, :] >= gone[:, None], axis=0, dtype=kept.dtype)
        return a[lead + (kept,)]
    if isinstance(obj, Tracer):
        raise ConcretizationTypeError(obj, "the positions `obj` of fx.numpy.delete (they fix the "
                                           "output shape); pass assume_unique_indices=True for "
                                           "distinct traced integer positions")
    positions = np.asarray(obj)
    if positions.dtype == bool:
        if positions.shape != (n,):
            raise ValueError(f"fx.numpy.delete: a boolean obj must have shape ({n},), got "
                             f"{positions.shape}")
        keep = ~positions
    elif positions.dtype.kind in "iu" or positions.size == 0:
        keep = np.ones(n, bool)
        keep[positions.astype(np.int64)] = False
    else:
        raise ValueError(f"fx.numpy.delete: obj must be integers or bools, got {positions.dtype}")
    return a[lead + (np.flatnonzero(keep),)]


def select(condlist, choicelist, default=0):
    """choicelist[k] where condlist[k] is the first true condition, else default."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"fx.numpy.select: condlist and choicelist must have the same length, got "
                         f"{len(condlist)} and {len(choicelist)}")
    if not condlist:
        raise ValueError("fx.numpy.select: condlist must not be empty")
    choices = promote_dtypes(default, *(jnp.asarray(c) for c in choicelist))
    conditions = [jnp.asarray(c).astype(bool) for c in condlist]
    shape = jnp.broadcast_shapes(*(jnp.shape(x) for x in choices + conditions))
    # case 0 is the default; case k + 1 the k-th condition: argmax finds the first true
    # one, and the leading False row wins only when no condition holds
    which = jnp.argmax(jnp.stack([jnp.broadcast_to(c, shape) for c in [False, *conditions]]), axis=0)
    return lax.select_n(which.astype(np.int32), *(jnp.broadcast_to(c, shape) for c in choices))


def choose(a, choices, out=None, mode="raise"):
    """choices[a[i]][i] for each position (everything broadcast together). mode 'clip'
    clamps a into range, 'wrap' takes it modulo len(choices); 'raise' checks a, which
    must then be concrete."""
    if out is not None:
        raise NotImplementedError("fx.numpy.choose: out= is not supported (fx arrays are immutable)")
    check_choice(mode, ("raise", "wrap", "clip"), "fx.numpy.choose: mode")
    a = jnp.asarray(a)
    if not dtypes.is_integer(a.dtype):
        raise TypeError(f"fx.numpy.choose: a must be integers, got {a.dtype}")
    choices = promote_dtypes(*choices)
    k = len(choices)
    if mode == "raise":
        if isinstance(a, Tracer):
            raise ConcretizationTypeError(a, "fx.numpy.choose with mode='raise' (it checks a's values); "
                                             "use mode='clip' or mode='wrap' under transforms")
        if np.any((np.asarray(a) < 0) | (np.asarray(a) >= k)):
            raise ValueError(f"fx.numpy.choose: entries of a must be in [0, {k}) with mode='raise'")
    elif mode == "clip":
        a = jnp.clip(a, 0, k - 1)
    else:
        a = jnp.remainder(a, k)
    shape = jnp.broadcast_shapes(a.shape, *(jnp.shape(c) for c in choices))
    return lax.select_n(jnp.broadcast_to(a, shape).astype(np.int32),
                        *(jnp.broadcast_to(c, shape) for c in choices))


def piecewise(x, condlist, funclist, *args, **kw):
    """funclist[k](x, *args, **kw) where condlist[k] holds (later conditions win, as
    NumPy); one extra function (or value) applies where none holds, else 0. Each function
    is evaluated on all of x and the results selected, so it must accept any x."""
    x = jnp.asarray(x)
    conditions = [jnp.broadcast_to(jnp.asarray(c).astype(bool), x.shape)
                  for c in (condlist if isinstance(condlist, (list, tuple)) or jnp.ndim(condlist) > x.ndim
                            else [condlist])]
    if len(funclist) not in (len(conditions), len(conditions) + 1):
        raise ValueError(f"fx.numpy.piecewise: {len(conditions)} conditions need {len(conditions)} or "
                         f"{len(conditions) + 1} functions, got {len(funclist)}")
    if len(funclist) == len(conditions) + 1:
        otherwise, funclist = funclist[-1], funclist[:-1]
        conditions = [jnp.logical_not(jnp.any(jnp.stack(conditions), axis=0))] + conditions
        funclist = [otherwise, *funclist]
    out = jnp.zeros_like(x)
    for condition, f in zip(conditions, funclist):
        value = f(x, *args, **kw) if callable(f) else f
        out = jnp.where(condition, jnp.asarray(value, x.dtype), out)
    return out


def extract(condition, arr, *, size=None, fill_value=0):
    """The elements of the flattened arr where the flattened condition is true; with
    `size`, that many (padded with fill_value), else condition must be concrete. As in
    JAX, the longer of condition and arr is cut to the other's size."""
    arr = jnp.ravel(jnp.asarray(_operand(arr)))
    condition = jnp.ravel(jnp.asarray(_operand(condition)))
    _operand(fill_value)  # an array or a scalar, as in JAX
    n = min(condition.shape[0], arr.shape[0])
    arr, condition = arr[:n], condition[:n]
    # padding positions point past the end, where take's "fill" mode gives fill_value
    (positions,) = jnp.nonzero(condition, size=size, fill_value=arr.shape[0])
    return jnp.take(arr, positions, mode="fill", fill_value=fill_value)


def place(arr, mask, vals, *, inplace=True):
    """arr with the positions where mask is true set to vals in order (vals repeated as
    needed)."""
    _check_not_inplace("place", inplace)
    arr = jnp.asarray(arr)
    mask = jnp.broadcast_to(jnp.asarray(mask).astype(bool), arr.shape)
    vals = jnp.ravel(jnp.asarray(vals, arr.dtype))
    if vals.shape[0] == 0:
        raise ValueError("fx.numpy.place: vals must not be empty")
    flat_mask = jnp.ravel(mask)
    rank = jnp.cumsum(flat_mask) - 1  # the k-th masked position takes vals[k mod len(vals)]
    filled = jnp.where(flat_mask, vals[jnp.remainder(rank, vals.shape[0])], jnp.ravel(arr))
    return filled.reshape(arr.shape)


def put(a, ind, v, mode=None, *, inplace=True):
    """a with the flat positions ind set to v (repeated as needed). mode None or 'fill'
    drops out-of-range positions (negative ones count from the end), 'clip' clamps them,
    'wrap' takes them modulo a.size, as NumPy."""
    _check_not_inplace("put", inplace)
    mode = check_choice("fill" if mode is None else mode, ("fill", "clip", "wrap", "raise"),
                        "fx.numpy.put: mode")
    a = jnp.asarray(a)
    flat = jnp.ravel(a)
    ind = jnp.ravel(jnp.asarray(ind))
    v = jnp.ravel(jnp.asarray(v, a.dtype))
    if ind.shape[0] == 0:
        return a
    v = jnp.resize(v, ind.shape) if v.shape[0] else v
    n = flat.shape[0]
    if mode == "clip":
        ind = jnp.clip(ind, 0, n - 1)
    elif mode == "wrap":
        ind = jnp.remainder(ind, n)
    elif mode == "raise":
        raise NotImplementedError("fx.numpy.put: mode='raise' is not supported (as in JAX); use "
                                  "'fill', 'clip' or 'wrap'")
    return flat.at[ind].set(v, mode="drop" if mode == "fill" else None).reshape(a.shape)


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """arr with values written at `indices` along `axis` (take_along_axis's positions)."""
    _check_not_inplace("put_along_axis", inplace)
    arr, indices = jnp.asarray(arr), jnp.asarray(indices)
    if axis is None:
        return put(arr, indices, values, mode=mode, inplace=False)
    axis = canonicalize_axis(axis, arr.ndim)
    if indices.ndim != arr.ndim:
        raise ValueError(f"fx.numpy.put_along_axis: indices must have arr's rank {arr.ndim}, got shape "
                         f"{indices.shape}")
    shape = tuple(i if d == axis else max(s, i) if 1 in (s, i) else s
                  for d, (s, i) in enumerate(zip(arr.shape, indices.shape)))
    index = tuple(indices if d == axis else
                  jnp.arange(shape[d]).reshape((1,) * d + (shape[d],) + (1,) * (arr.ndim - d - 1))
                  for d in range(arr.ndim))
    return arr.at[index].set(values, mode=mode)


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """a with its main diagonal (all indices equal) set to val (repeated as needed)."""
    _check_not_inplace("fill_diagonal", inplace)
    if wrap:
        raise NotImplementedError("fx.numpy.fill_diagonal: wrap=True is not supported (as in JAX)")
    a = jnp.asarray(a)
    if a.ndim < 2:
        raise ValueError(f"fx.numpy.fill_diagonal: a must be at least 2-D, got shape {a.shape}")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise ValueError(f"fx.numpy.fill_diagonal: all dimensions of a must be equal when it has more "
                         f"than 2, got shape {a.shape}")
    n = min(a.shape)
    values = jnp.resize(jnp.ravel(jnp.asarray(val, a.dtype)), (n,))
    i = jnp.arange(n)
    return a.at[(i,) * a.ndim].set(values)


def resize(a, new_shape):
    """An array of new_shape filled with a's flattened elements, repeated as needed (zeros
    if a is empty)."""
    a = jnp.ravel(jnp.asarray(a))
    new_shape = canonicalize_shape((new_shape,) if np.ndim(new_shape) == 0 else new_shape,
                                   "fx.numpy.resize: new_shape")
    size = int(np.prod(new_shape, dtype=np.int64))
    if a.shape[0] == 0:
        return jnp.zeros(new_shape, a.dtype)
    repeats = -(-size // a.shape[0])
    return jnp.tile(a, repeats)[:size].reshape(new_shape)
