"""fx.numpy sorting, searching and order statistics, and lax.sort / lax.top_k."""
import numpy as np

import fx.numpy as jnp
from tests.api_specs import Spec, draws, integers, normal
from fx import lax


def _with_nans(*shape, where=((0, 1), (2, 0), (2, 3))):
    def draw(rng):
        x = rng.standard_normal(shape)
        for i in where:
            x[i] = np.nan
        return x
    return draw


def _sorted(n):
    return lambda rng: np.sort(rng.standard_normal(n))


def _stable_argsort_descending(x, axis):
    n = x.shape[axis]
    return n - 1 - np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)


def _unique_padded(x, size, **flags):
    """NumPy's unique, padded to `size` as jnp.unique pads (smallest value, its index, 0)."""
    values, index, counts = np.unique(x, return_index=True, return_counts=True)
    pad = size - len(values)
    out = [np.concatenate([values, np.full(pad, values[0])])]
    if flags.get("return_index"):
        out.append(np.concatenate([index, np.full(pad, index[0])]))
    if flags.get("return_counts"):
        out.append(np.concatenate([counts, np.zeros(pad, int)]))
    return tuple(out)


def _top_k(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order


SPECS = [
    Spec("sort_axis0", lambda x: jnp.sort(x, axis=0), lambda x: np.sort(x, axis=0), draws(normal(4, 5))),
    Spec("sort_flat_descending", lambda x: jnp.sort(x, axis=None, descending=True),
         lambda x: np.sort(x, axis=None)[::-1], draws(normal(3, 4))),
    Spec("argsort", lambda x: jnp.argsort(x), lambda x: np.argsort(x, kind="stable"),
         draws(normal(3, 6)), grad=0),
    Spec("argsort_ties_descending", lambda x: jnp.argsort(x, axis=0, descending=True),
         lambda x: _stable_argsort_descending(x, 0), draws(integers(7, 3, high=3)), grad=0),
    Spec("lexsort", lambda a, b: jnp.lexsort((a, b)), lambda a, b: np.lexsort((a, b)),
         draws(integers(9, high=3), integers(9, high=3)), grad=0),
    Spec("take_along_axis", lambda x, i: jnp.take_along_axis(x, i, axis=1),
         lambda x, i: np.take_along_axis(x, i, axis=1), draws(normal(3, 5), integers(3, 4, low=-5, high=5))),
    Spec("take_along_axis_argsort", lambda x: jnp.take_along_axis(x, jnp.argsort(x, axis=0), axis=0),
         lambda x: np.sort(x, axis=0), draws(normal(5, 2))),
    Spec("searchsorted_left", lambda a, v: jnp.searchsorted(a, v), lambda a, v: np.searchsorted(a, v),
         draws(_sorted(7), normal(2, 3)), grad=0),
    Spec("searchsorted_right_ties", lambda a, v: jnp.searchsorted(a, v, side="right"),
         lambda a, v: np.searchsorted(a, v, side="right"),
         draws(lambda rng: np.sort(rng.integers(0, 4, 8)), integers(5, high=5)), grad=0),
    Spec("searchsorted_sorter", lambda a, v: jnp.searchsorted(a, v, sorter=jnp.argsort(a)),
         lambda a, v: np.searchsorted(a, v, sorter=np.argsort(a)), draws(normal(6), normal(4)), grad=0),
    Spec("unique_size_counts", lambda x: jnp.unique(x, size=7, return_index=True, return_counts=True),
         lambda x: _unique_padded(x, 7, return_index=True, return_counts=True),
         draws(integers(10, high=5)), grad=0),
    Spec("unique_values_grad", lambda x: jnp.unique(x, size=6), lambda x: np.unique(x), draws(normal(6))),
    Spec("unique_inverse", lambda x: jnp.unique(x, size=12, return_inverse=True)[1],
         lambda x: np.unique(x, return_inverse=True)[1].reshape(x.shape),
         draws(integers(3, 4, high=4)), grad=0),
    Spec("median_axis", lambda x: jnp.median(x, axis=1), lambda x: np.median(x, axis=1),
         draws(normal(3, 6))),
    Spec("median_nan", lambda x: jnp.median(x, axis=1, keepdims=True),
         lambda x: np.median(x, axis=1, keepdims=True), draws(_with_nans(3, 5)), grad=0),
    Spec("quantile_linear_axes", lambda x, q: jnp.quantile(x, q, axis=(0, 2)),
         lambda x, q: np.quantile(x, q, axis=(0, 2)),
         draws(normal(2, 3, 4), lambda rng: rng.uniform(0, 1, 3)), diff_argnums=(0, 1)),
    *[Spec(f"quantile_{m}", lambda x, m=m: jnp.quantile(x, np.array([0.2, 0.45, 1.0]), axis=0, method=m),
           lambda x, m=m: np.quantile(x, np.array([0.2, 0.45, 1.0]), axis=0, method=m), draws(normal(6, 2)))
      for m in ("lower", "higher", "nearest", "midpoint")],
    Spec("percentile_keepdims", lambda x: jnp.percentile(x, 30.0, axis=1, keepdims=True),
         lambda x: np.percentile(x, 30.0, axis=1, keepdims=True), draws(normal(2, 5))),
    Spec("nanmedian", lambda x: jnp.nanmedian(x, axis=1), lambda x: np.nanmedian(x, axis=1),
         draws(_with_nans(3, 5))),
    Spec("nanquantile", lambda x: jnp.nanquantile(x, 0.3, axis=0), lambda x: np.nanquantile(x, 0.3, axis=0),
         draws(_with_nans(4, 4))),
    Spec("partition", lambda x: jnp.partition(x, 2), lambda x: np.sort(x), draws(normal(3, 5))),
    Spec("lax_sort_two_keys", lambda k, v: lax.sort((k, v), dimension=0, num_keys=1),
         lambda k, v: (np.sort(k, axis=0, kind="stable"),
                       np.take_along_axis(v, np.argsort(k, axis=0, kind="stable"), 0)),
         draws(integers(6, 2, high=3), normal(6, 2))),
    Spec("lax_top_k", lambda x: lax.top_k(x, 3), lambda x: _top_k(x, 3), draws(normal(4, 6))),
]
