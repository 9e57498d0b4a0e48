"""fx.numpy indexing: boolean masks, strided and new-axis updates, the .at[] methods, take,
and the data-dependent-size functions with size=."""
import numpy as np

import fx.numpy as jnp
from tests.api_specs import Spec, assigned, draws, integers, normal, positive, updated

MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, False]])
ROWS = np.array([1, 4, 1, 0])


def _padded(indices, size, fill=0):
    return tuple(np.concatenate([i, np.full(max(size - len(i), 0), fill)])[:size] for i in indices)


def _applied(f, x, idx):
    """f applied once per occurrence of each index (JAX's .at[].apply)."""
    out = x.copy()
    for i in idx:
        out[i] = f(out[i])
    return out


SPECS = [
    Spec("getitem_mask", lambda x: x[MASK], lambda x: x[MASK], draws(normal(3, 4))),
    Spec("getitem_mask_rows", lambda x: x[MASK[:, 0]], lambda x: x[MASK[:, 0]], draws(normal(3, 2))),
    Spec("at_mask_set", lambda x, v: jnp.asarray(x).at[MASK].set(v), lambda x, v: assigned(x, MASK, v),
         draws(normal(3, 4), normal(6))),
    Spec("at_strided_set", lambda x, v: jnp.asarray(x).at[::2, 1:].set(v),
         lambda x, v: assigned(x, (slice(None, None, 2), slice(1, None)), v), draws(normal(5, 3), normal(2))),
    Spec("at_reversed_add", lambda x, v: jnp.asarray(x).at[::-2].add(v),
         lambda x, v: assigned(x, slice(None, None, -2), x[::-2] + v), draws(normal(5), normal(3))),
    Spec("at_new_axis_add", lambda x, v: jnp.asarray(x).at[None, 1].add(v),
         lambda x, v: assigned(x, 1, x[1] + v[0]), draws(normal(3, 4), normal(1, 4))),
    Spec("at_multiply_unique", lambda x, v: jnp.asarray(x).at[np.array([3, 0])].multiply(v, unique_indices=True),
         lambda x, v: updated(np.multiply, x, np.array([3, 0]), v), draws(normal(5, 2), normal(2, 2))),
    Spec("at_multiply_repeated", lambda x, v: jnp.asarray(x).at[ROWS].multiply(v),
         lambda x, v: updated(np.multiply, x, ROWS, v), draws(normal(5, 2), normal(4, 2)),
         diff_argnums=(0,)),
    Spec("at_min", lambda x, v: jnp.asarray(x).at[ROWS].min(v), lambda x, v: updated(np.minimum, x, ROWS, v),
         draws(normal(5, 2), normal(4, 2))),
    Spec("at_max_traced_index", lambda x, i, v: jnp.asarray(x).at[i].max(v),
         lambda x, i, v: updated(np.maximum, x, i, v), draws(normal(6), integers(4, high=6), normal(4))),
    Spec("at_divide", lambda x, v: jnp.asarray(x).at[ROWS].divide(v),
         lambda x, v: updated(np.divide, x, ROWS, v), draws(normal(5), positive(4)),
         diff_argnums=(0,)),  # repeated indices: not differentiable in v, as in JAX
    Spec("at_power", lambda x, v: jnp.asarray(x).at[1:3].power(v),
         lambda x, v: assigned(x, slice(1, 3), x[1:3] ** v), draws(positive(4), normal(2))),
    Spec("at_subtract", lambda x, v: jnp.asarray(x).at[ROWS].subtract(v),
         lambda x, v: updated(np.subtract, x, ROWS, v), draws(normal(5), normal(4))),
    Spec("at_apply_repeated", lambda x: jnp.asarray(x).at[ROWS].apply(jnp.sin),
         lambda x: _applied(np.sin, x, ROWS), draws(normal(5))),
    Spec("at_set_clip", lambda x, v: jnp.asarray(x).at[np.array([7, -9])].set(v, mode="clip"),
         lambda x, v: assigned(x, [4, 0], v), draws(normal(5), normal(2))),
    Spec("at_set_drop", lambda x, i, v: jnp.asarray(x).at[i].set(v),
         lambda x, i, v: assigned(x, i[(i >= -5) & (i < 5)], v[(i >= -5) & (i < 5)]),
         draws(normal(5), lambda rng: rng.permutation(np.array([7, -9, 2, 3])), normal(4))),
    Spec("take_fill", lambda x, i: jnp.take(x, i, axis=1, fill_value=0.0),
         lambda x, i: np.where((i >= -4) & (i < 4), np.take(x, np.clip(i, -4, 3), axis=1), 0.0),
         draws(normal(3, 4), integers(2, 3, low=-6, high=6))),
    Spec("take_clip", lambda x, i: jnp.take(x, i, mode="clip"), lambda x, i: np.take(x, i, mode="clip"),
         draws(normal(3, 4), integers(5, low=-3, high=15))),
    Spec("take_wrap", lambda x, i: jnp.take(x, i, axis=0, mode="wrap"),
         lambda x, i: np.take(x, i, axis=0, mode="wrap"), draws(normal(3, 2), integers(5, low=-7, high=7))),
    Spec("nonzero_size", lambda x: jnp.nonzero(x, size=8, fill_value=-1),
         lambda x: _padded(np.nonzero(x), 8, -1), draws(integers(3, 4, high=2)), grad=0),
    Spec("flatnonzero_size", lambda x: jnp.flatnonzero(x, size=3), lambda x: _padded(np.flatnonzero(x)[None], 3)[0],
         draws(integers(6, high=2)), grad=0),
    Spec("argwhere_size", lambda x: jnp.argwhere(x > 0, size=12),
         lambda x: np.stack(_padded(np.nonzero(x > 0), 12), axis=1), draws(normal(3, 3)), grad=0),
    Spec("where_one_argument", lambda x: jnp.where(x > 0.5, size=4)[0],
         lambda x: _padded(np.where(x > 0.5), 4)[0], draws(normal(7)), grad=0),
    Spec("compress_concrete", lambda x: jnp.compress(MASK[0], x, axis=1),
         lambda x: np.compress(MASK[0], x, axis=1), draws(normal(2, 4))),
    # basic and integer-array indexing; out-of-bounds integer indices clamp on retrieval
    Spec("getitem_basic", lambda x: jnp.asarray(x)[1, ::-2, None, 1:],
         lambda x: x[1, ::-2, None, 1:], draws(normal(2, 5, 3))),
    Spec("getitem_ellipsis_negative", lambda x: jnp.asarray(x)[..., -1, 0:2],
         lambda x: x[..., -1, 0:2], draws(normal(2, 3, 4))),
    Spec("getitem_integer_arrays_broadcast", lambda x: jnp.asarray(x)[ROWS[:, None] % 3, np.array([0, -1])],
         lambda x: x[ROWS[:, None] % 3, np.array([0, -1])], draws(normal(3, 4))),
    Spec("getitem_traced_indices_clamp", lambda x, i: jnp.asarray(x)[:, i],
         lambda x, i: x[:, np.clip(np.where(i < 0, i + 4, i), 0, 3)],
         draws(normal(3, 4), integers(5, low=-6, high=7))),
    Spec("getitem_mixed_slice_array", lambda x: jnp.asarray(x)[1:, np.array([2, 0, 2])],
         lambda x: x[1:, np.array([2, 0, 2])], draws(normal(3, 4))),
    Spec("at_get_fill", lambda x: jnp.asarray(x).at[np.array([-12, -1, 3, 10])].get(mode="fill", fill_value=-1.0),
         lambda x: np.where([False, True, True, False], x[[0, -1, 3, 0]], -1.0), draws(normal(10))),
    Spec("at_get_clip", lambda x: jnp.asarray(x).at[np.array([-12, -1, 3, 10])].get(mode="clip"),
         lambda x: x[[0, 9, 3, 9]], draws(normal(10))),
    Spec("at_get_slice", lambda x: jnp.asarray(x).at[1:, ::2].get(), lambda x: x[1:, ::2], draws(normal(3, 4))),
    Spec("at_add_repeated", lambda x, v: jnp.asarray(x).at[ROWS].add(v),
         lambda x, v: updated(np.add, x, ROWS, v), draws(normal(5, 2), normal(4, 2)), grad=2),
    Spec("at_mul_alias", lambda x, v: jnp.asarray(x).at[np.array([3, 0])].mul(v, unique_indices=True),
         lambda x, v: updated(np.multiply, x, np.array([3, 0]), v), draws(normal(5, 2), normal(2, 2))),
    Spec("at_max_drop", lambda x, v: jnp.asarray(x).at[np.array([1, 9, 2])].max(v, mode="drop"),
         lambda x, v: updated(np.maximum, x, np.array([1, 2]), v[[0, 2]]), draws(normal(5), normal(3))),
    Spec("at_set_mask_scalar", lambda x: jnp.asarray(x).at[MASK].set(0.0), lambda x: assigned(x, MASK, 0.0),
         draws(normal(3, 4))),
]
