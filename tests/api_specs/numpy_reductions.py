"""fx.numpy reductions: axis, keepdims, where, initial, ddof; NaN-ignoring reductions,
average, ptp, count_nonzero, cumulative sums and products."""
import numpy as np

import fx.numpy as jnp
from tests.api_specs import Spec, draws, integers, normal


def with_nans(*shape, fraction=0.3):
    """Normal values with about `fraction` NaNs, never a whole row of them."""
    def draw(rng):
        x = rng.standard_normal(shape)
        nan = rng.random(shape) < fraction
        nan[..., 0] = False
        return np.where(nan, np.nan, x)
    return draw


def mask(*shape):
    """A boolean mask with at least one True per row (reductions over axis -1 stay defined)."""
    def draw(rng):
        m = rng.random(shape) < 0.6
        m[..., 0] = True
        return m
    return draw


SPECS = [
    Spec("sum_axis", lambda x: jnp.sum(x, axis=1), lambda x: np.sum(x, axis=1), draws(normal(3, 4)),
         grad=2),
    Spec("sum_where_initial", lambda x, m: jnp.sum(x, axis=-1, where=m, initial=2.0, keepdims=True),
         lambda x, m: np.sum(x, axis=-1, where=m, initial=2.0, keepdims=True), draws(normal(3, 4), mask(3, 4))),
    Spec("sum_ints_dtype", lambda x: jnp.sum(x, axis=0), lambda x: np.sum(x, axis=0), draws(integers(3, 4)),
         grad=0),
    Spec("prod_where", lambda x, m: jnp.prod(x, axis=(0, 2), where=m),
         lambda x, m: np.prod(x, axis=(0, 2), where=m), draws(normal(2, 3, 2), mask(2, 3, 2)), grad=2),
    Spec("mean_keepdims", lambda x: jnp.mean(x, axis=0, keepdims=True),
         lambda x: np.mean(x, axis=0, keepdims=True), draws(normal(3, 4))),
    Spec("mean_where", lambda x, m: jnp.mean(x, axis=1, where=m), lambda x, m: np.mean(x, axis=1, where=m),
         draws(normal(3, 4), mask(3, 4))),
    Spec("mean_of_ints", jnp.mean, np.mean, draws(integers(3, 4)), grad=0),
    Spec("var_ddof", lambda x: jnp.var(x, ddof=1), lambda x: np.var(x, ddof=1), draws(normal(5,)),
         grad=2),
    Spec("var_where_axis", lambda x, m: jnp.var(x, axis=1, where=m, keepdims=True),
         lambda x, m: np.var(x, axis=1, where=m, keepdims=True), draws(normal(3, 5), mask(3, 5)), grad=2),
    Spec("std_axes_ddof", lambda x: jnp.std(x, axis=(0, 2), ddof=1), lambda x: np.std(x, axis=(0, 2), ddof=1),
         draws(normal(2, 3, 4))),
    Spec("max_axis", lambda x: jnp.max(x, axis=-1), lambda x: np.max(x, axis=-1), draws(normal(3, 4))),
    Spec("max_where_initial", lambda x, m: jnp.max(x, axis=0, where=m, initial=-0.5),
         lambda x, m: np.max(x, axis=0, where=m, initial=-0.5), draws(normal(4, 3), mask(4, 3))),
    Spec("min_keepdims_tuple", lambda x: jnp.min(x, axis=(0, 1), keepdims=True),
         lambda x: np.min(x, axis=(0, 1), keepdims=True), draws(normal(2, 3, 2))),
    Spec("max_ties", lambda x: jnp.max(jnp.concatenate([x, x]), axis=0),
         lambda x: np.max(np.concatenate([x, x]), axis=0), draws(normal(3, 2))),
    Spec("argmax", lambda x: jnp.argmax(x, axis=0), lambda x: np.argmax(x, axis=0), draws(normal(3, 4)),
         grad=0),
    Spec("argmin_flat_keepdims", lambda x: jnp.argmin(x, keepdims=True),
         lambda x: np.argmin(x, keepdims=True), draws(normal(3, 4)), grad=0),
    Spec("all_where", lambda x, m: jnp.all(x > -1, axis=1, where=m), lambda x, m: np.all(x > -1, axis=1, where=m),
         draws(normal(3, 4), mask(3, 4)), grad=0),
    Spec("any_keepdims", lambda x: jnp.any(x > 1, axis=0, keepdims=True),
         lambda x: np.any(x > 1, axis=0, keepdims=True), draws(normal(3, 4)), grad=0),
    Spec("count_nonzero", lambda x: jnp.count_nonzero(x, axis=1), lambda x: np.count_nonzero(x, axis=1),
         draws(integers(3, 4, high=3)), grad=0),
    Spec("ptp", lambda x: jnp.ptp(x, axis=1, keepdims=True), lambda x: np.ptp(x, axis=1, keepdims=True),
         draws(normal(3, 4))),
    Spec("cumsum_flat", jnp.cumsum, np.cumsum, draws(normal(2, 3))),
    Spec("diff_twice", lambda x: jnp.diff(x, n=2), lambda x: np.diff(x, n=2), draws(normal(3, 5))),
    Spec("diff_axis0_prepend_append", lambda x, e: jnp.diff(x, axis=0, prepend=0.5, append=e),
         lambda x, e: np.diff(x, axis=0, prepend=0.5, append=e), draws(normal(3, 4), normal(1, 4))),
    Spec("diff_bools_past_length", lambda x: (jnp.diff(x > 0), jnp.diff(x, n=7)),
         lambda x: (np.diff(x > 0), np.diff(x, n=7)), draws(normal(2, 5)), grad=0),
    Spec("cumprod_axis", lambda x: jnp.cumprod(x, axis=1), lambda x: np.cumprod(x, axis=1), draws(normal(2, 4)),
         grad=2),
    Spec("cumsum_bool", lambda x: jnp.cumsum(x > 0, axis=0), lambda x: np.cumsum(x > 0, axis=0),
         draws(normal(4, 2)), grad=0),
    Spec("nansum", lambda x: jnp.nansum(x, axis=0), lambda x: np.nansum(x, axis=0), draws(with_nans(4, 3))),
    Spec("nanprod", lambda x: jnp.nanprod(x, axis=1), lambda x: np.nanprod(x, axis=1), draws(with_nans(3, 4))),
    Spec("nanmax", lambda x: jnp.nanmax(x, axis=1), lambda x: np.nanmax(x, axis=1), draws(with_nans(3, 4))),
    Spec("nanmin_all_nan_row", lambda x: jnp.nanmin(x, axis=1), lambda x: np.nanmin(x, axis=1),
         lambda rng: (np.array([[np.nan, np.nan], [1.0, np.nan]]),), grad=0, vmap=False),
    Spec("nanmean", lambda x: jnp.nanmean(x, axis=1), lambda x: np.nanmean(x, axis=1), draws(with_nans(3, 4))),
    Spec("nanvar_ddof", lambda x: jnp.nanvar(x, axis=1, ddof=1), lambda x: np.nanvar(x, axis=1, ddof=1),
         draws(with_nans(3, 5, fraction=0.2)), grad=2),
    Spec("nanstd", lambda x: jnp.nanstd(x, axis=0), lambda x: np.nanstd(x, axis=0),
         draws(with_nans(5, 3, fraction=0.2))),
    Spec("nancumsum", lambda x: jnp.nancumsum(x, axis=1), lambda x: np.nancumsum(x, axis=1),
         draws(with_nans(2, 4))),
    Spec("average_weights_axis", lambda x, w: jnp.average(x, axis=1, weights=w, returned=True),
         lambda x, w: np.average(x, axis=1, weights=w, returned=True), draws(normal(3, 4), normal(4))),
    Spec("average_full_weights", lambda x, w: jnp.average(x, weights=w),
         lambda x, w: np.average(x, weights=w), lambda rng: (rng.standard_normal((2, 3)), rng.uniform(1, 2, (2, 3)))),
    Spec("average_unweighted", lambda x: jnp.average(x, axis=0, returned=True),
         lambda x: np.average(x, axis=0, returned=True), draws(normal(3, 2))),
]
