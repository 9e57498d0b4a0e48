"""fx.lax indexing and scans: gather and the scatters with explicit dimension numbers and
out-of-bounds modes, dynamic_slice / dynamic_update_slice with traced (clamped) starts,
cumsum / cumprod / cummax / cummin (forward and reverse), multi-operand sort, and
stop_gradient."""
import numpy as np

import fx.lax as lax
import fx.numpy as jnp
from tests.api_specs import Spec, assigned, draws, integers, normal, positive, updated

GDN = lax.GatherDimensionNumbers
SDN = lax.ScatterDimensionNumbers
ROWS = GDN(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
WINDOWS = GDN(offset_dims=(1, 2), collapsed_slice_dims=(), start_index_map=(0, 1))
SCATTER_ROWS = SDN(update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
SCATTER_POINTS = SDN(update_window_dims=(), inserted_window_dims=(0, 1), scatter_dims_to_operand_dims=(0, 1))
REPEATED = np.array([[3], [0], [3], [1]])       # row 3 twice: updates combine
UNIQUE = np.array([[4], [0], [2]])
OUT_OF_BOUNDS = np.array([[1], [7], [-2], [0]])  # 7 and -2 are outside 5 rows
POINTS = np.array([[0, 1], [2, 2], [0, 1], [1, 0]])


def _windows(x, starts, size):
    """2-D windows of `size` at each start pair, starts clamped into range (JAX's clip)."""
    hi = np.array(x.shape) - size
    out = []
    for s in np.clip(starts, 0, hi):
        out.append(x[s[0]:s[0] + size[0], s[1]:s[1] + size[1]])
    return np.stack(out)


def _rows_fill(x, idx, fill):
    inside = (idx[:, 0] >= 0) & (idx[:, 0] < x.shape[0])
    return np.where(inside[:, None], x[np.clip(idx[:, 0], 0, x.shape[0] - 1)], fill)


def _start(i, dim, size):
    """JAX's start index: negative counts from the end, then clamped so the window fits."""
    return int(np.clip(i + dim if i < 0 else i, 0, dim - size))


def _dynamic_slice(x, i, j, size):
    i, j = _start(i, x.shape[0], size[0]), _start(j, x.shape[1], size[1])
    return x[i:i + size[0], j:j + size[1]]


def _dynamic_update(x, u, i, j):
    i, j = _start(i, x.shape[0], u.shape[0]), _start(j, x.shape[1], u.shape[1])
    out = x.copy()
    out[i:i + u.shape[0], j:j + u.shape[1]] = u
    return out


def _reverse_cumulative(accumulate, axis):
    return lambda x: np.flip(accumulate(np.flip(x, axis), axis=axis), axis)


def _sort_by_two_keys(k1, k2, v):
    order = np.lexsort((k2, k1), axis=0)
    return tuple(np.take_along_axis(a, order, 0) for a in (k1, k2, v))


SPECS = [
    # gather
    Spec("lax.gather/rows_traced_indices",
         lambda x, idx: lax.gather(x, idx, ROWS, (1, 3), mode="clip"),
         lambda x, idx: x[np.clip(idx[:, 0], 0, 4)], draws(normal(5, 3), integers(4, 1, low=-2, high=7)),
         grad=2),
    Spec("lax.gather/windows_clip",
         lambda x: lax.gather(x, np.array([[0, 1], [3, 4], [-1, 2]]), WINDOWS, (2, 2), mode="clip"),
         lambda x: _windows(x, np.array([[0, 1], [3, 4], [-1, 2]]), np.array([2, 2])),
         draws(normal(4, 5))),
    Spec("lax.gather/fill",
         lambda x: lax.gather(x, OUT_OF_BOUNDS, ROWS, (1, 3), mode="fill", fill_value=-1.0),
         lambda x: _rows_fill(x, OUT_OF_BOUNDS, -1.0), draws(normal(5, 3))),
    Spec("lax.gather/fill_nan_default",
         lambda x: lax.gather(x, OUT_OF_BOUNDS, ROWS, (1, 3), mode=lax.GatherScatterMode.FILL_OR_DROP),
         lambda x: _rows_fill(x, OUT_OF_BOUNDS, np.nan), draws(normal(5, 3)), grad=0),
    # scatters
    Spec("lax.scatter/unique", lambda x, u: lax.scatter(x, UNIQUE, u, SCATTER_ROWS),
         lambda x, u: assigned(x, UNIQUE[:, 0], u), draws(normal(5, 3), normal(3, 3))),
    Spec("lax.scatter_add/repeated", lambda x, u: lax.scatter_add(x, REPEATED, u, SCATTER_ROWS),
         lambda x, u: updated(np.add, x, REPEATED[:, 0], u), draws(normal(5, 3), normal(4, 3)), grad=2),
    Spec("lax.scatter_add/drop", lambda x, u: lax.scatter_add(x, OUT_OF_BOUNDS, u, SCATTER_ROWS, mode="drop"),
         lambda x, u: updated(np.add, x, np.array([1, 0]), u[[0, 3]]), draws(normal(5, 3), normal(4, 3))),
    Spec("lax.scatter_add/points_traced_indices",
         lambda x, idx, u: lax.scatter_add(x, idx, u, SCATTER_POINTS, mode="clip"),
         lambda x, idx, u: updated(np.add, x, tuple(np.clip(idx, 0, 2).T), u),
         draws(normal(3, 3), integers(4, 2, low=-1, high=4), normal(4))),
    Spec("lax.scatter_mul/repeated", lambda x, u: lax.scatter_mul(x, REPEATED, u, SCATTER_ROWS),
         lambda x, u: updated(np.multiply, x, REPEATED[:, 0], u), draws(normal(5, 3), normal(4, 3)),
         grad=2, diff_argnums=(0,)),  # towards the updates only with unique indices, as JAX
    Spec("lax.scatter_mul/unique", lambda x, u: lax.scatter_mul(x, UNIQUE, u, SCATTER_ROWS, unique_indices=True),
         lambda x, u: updated(np.multiply, x, UNIQUE[:, 0], u), draws(normal(5, 3), normal(3, 3)), grad=2),
    Spec("lax.scatter_min/points", lambda x, u: lax.scatter_min(x, POINTS, u, SCATTER_POINTS),
         lambda x, u: updated(np.minimum, x, tuple(POINTS.T), u), draws(normal(3, 3), normal(4))),
    Spec("lax.scatter_max/repeated", lambda x, u: lax.scatter_max(x, REPEATED, u, SCATTER_ROWS),
         lambda x, u: updated(np.maximum, x, REPEATED[:, 0], u), draws(normal(5, 3), normal(4, 3))),
    # dynamic slices: starts are traced and clamp so the window fits
    Spec("lax.dynamic_slice", lambda x, i, j: lax.dynamic_slice(x, (i, j), (2, 3)),
         lambda x, i, j: _dynamic_slice(x, i, j, (2, 3)),
         draws(normal(4, 5), integers(low=-7, high=5), integers(low=-1, high=6)), grad=2),
    Spec("lax.dynamic_update_slice", lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)),
         _dynamic_update, draws(normal(4, 5), normal(2, 3), integers(low=-1, high=5), integers(low=0, high=6)),
         grad=2),
    # cumulative reductions
    Spec("lax.cumsum/reverse", lambda x: lax.cumsum(x, axis=1, reverse=True),
         _reverse_cumulative(np.cumsum, 1), draws(normal(3, 4)), grad=2),
    Spec("lax.cumsum/int", lambda x: lax.cumsum(x, axis=0), lambda x: np.cumsum(x, 0),
         draws(integers(5, 2, low=-9, high=9)), grad=0),
    Spec("lax.cumprod", lambda x: lax.cumprod(x, axis=0), lambda x: np.cumprod(x, 0),
         draws(positive(4, 3)), grad=2),
    Spec("lax.cumprod/reverse", lambda x: lax.cumprod(x, axis=1, reverse=True),
         _reverse_cumulative(np.cumprod, 1), draws(normal(3, 4))),
    Spec("lax.cummax", lambda x: lax.cummax(x, axis=1), lambda x: np.maximum.accumulate(x, 1),
         draws(normal(3, 5))),
    Spec("lax.cummax/reverse", lambda x: lax.cummax(x, axis=0, reverse=True),
         _reverse_cumulative(np.maximum.accumulate, 0), draws(normal(5, 2))),
    Spec("lax.cummin", lambda x: lax.cummin(x, axis=0), lambda x: np.minimum.accumulate(x, 0),
         draws(normal(5, 3))),
    # sort with several keys; the values ride along (and their gradient is a permutation)
    Spec("lax.sort/two_keys_three_operands",
         lambda k1, k2, v: lax.sort((k1, k2, v), dimension=0, num_keys=2), _sort_by_two_keys,
         draws(integers(6, 2, low=0, high=3), integers(6, 2, low=0, high=3), normal(6, 2)), grad=2),
    Spec("lax.sort/float_keys_axis1", lambda k, v: lax.sort((k, v), dimension=1),
         lambda k, v: tuple(np.take_along_axis(a, np.argsort(k, 1, kind="stable"), 1) for a in (k, v)),
         draws(normal(3, 5), normal(3, 5))),
    # stop_gradient: the value passes; the derivative is zero, so FD cannot check it here
    Spec("lax.stop_gradient", lambda x, y: lax.stop_gradient((x, jnp.sin(y))),
         lambda x, y: (x, np.sin(y)), draws(normal(3), normal(2, 2)), grad=0),
    Spec("lax.stop_gradient/in_a_sum", lambda x: x + lax.stop_gradient(x) - lax.stop_gradient(x),
         lambda x: x, draws(normal(4))),
]
