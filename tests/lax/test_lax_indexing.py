"""gather / scatter_add / scatter and the dynamic slicing primitives, by hand.

The registry tests (test_primitives.py) run every registered example through impl, jit,
jvp, vjp, transpose and vmap. These tests cover what examples cannot say alone: NumPy's
integer-array indexing patterns expressed as gathers, the out-of-bounds modes, random
dimension numbers against a one-element-at-a-time oracle, derivatives through repeated
indices, and vmap over every combination of batched operand / indices / updates.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import fx
from fx import lax
from fx.lax.indexing import GatherDimensionNumbers as GDN
from fx.lax.indexing import (
    GatherScatterMode,
    _gather_reference,
    _scatter_reference,
    gather,
    scatter,
    scatter_add,
)
from fx.lax.indexing import ScatterDimensionNumbers as SDN
from fx.lax.slicing import dynamic_slice, dynamic_update_slice, pad
from tests.helpers import directional_derivative


pytestmark = pytest.mark.usefixtures("x64")


RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 6))


def take_rows(x, idx, **kw):            # x[idx], idx of any shape
    return gather(x, idx[..., None], GDN((idx.ndim,), (0,), (0,)), (1, x.shape[1]), **kw)


def take_columns(x, idx, **kw):         # x[:, idx]
    return gather(x, idx[..., None], GDN((0,), (1,), (1,)), (x.shape[0], 1), **kw)


def take_points(x, i, j, **kw):         # x[i, j]
    return gather(x, np.stack(np.broadcast_arrays(i, j), -1), GDN((), (0, 1), (0, 1)), (1, 1), **kw)


# ---------------------------------------------------------------------------- NumPy patterns

@pytest.mark.parametrize("idx", [np.array([4, 0, 0, 2]), np.array([[1, 3], [4, 0]]), np.array(3)])
def test_integer_array_indexing_matches_numpy(idx):
    np.testing.assert_array_equal(take_rows(X, idx, mode="clip"), X[idx])
    np.testing.assert_array_equal(take_columns(X, idx, mode="clip"), X[:, idx])
    j = np.array([5, 0, 2, 1])[: idx.size].reshape(idx.shape)
    np.testing.assert_array_equal(take_points(X, idx, j, mode="clip"), X[idx, j])


def test_points_broadcast_like_numpy():
    i, j = np.array([[0], [3]]), np.array([1, 5, 2])
    np.testing.assert_array_equal(take_points(X, i, j, mode="clip"), X[i, j])


def test_scatter_add_matches_numpy_add_at():
    idx, upd = np.array([1, 4, 1, 1]), RNG.standard_normal((4, 6))
    expected = X.copy()
    np.add.at(expected, idx, upd)
    out = scatter_add(X, idx[:, None], upd, SDN((1,), (0,), (0,)), mode="clip")
    np.testing.assert_allclose(out, expected, rtol=1e-14)


# ---------------------------------------------------------------------------- out-of-bounds modes

def test_clip_clamps_each_start_so_the_window_fits():
    idx = np.array([-3, 7, 4])
    np.testing.assert_array_equal(take_rows(X, idx, mode="clip"), X[np.clip(idx, 0, 4)])
    windows = gather(X, np.array([[4, 5], [-1, 2]]), GDN((1, 2), (), (0, 1)), (2, 3), mode="clip")
    np.testing.assert_array_equal(windows, [X[3:5, 3:6], X[0:2, 2:5]])


def test_promise_in_bounds_clamps():
    mode = GatherScatterMode.PROMISE_IN_BOUNDS
    np.testing.assert_array_equal(take_rows(X, np.array([9]), mode=mode), X[[4]])


@pytest.mark.parametrize("dtype, fill", [(np.float64, np.nan), (np.int32, np.iinfo(np.int32).min),
                                         (np.uint32, np.iinfo(np.uint32).max), (np.bool_, True)])
def test_fill_defaults_like_jax(dtype, fill):
    x = np.arange(12).reshape(3, 4).astype(dtype)
    out = np.asarray(take_rows(x, np.array([2, 3, -1]), mode="fill"))
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out[0], x[2])
    np.testing.assert_array_equal(out[1:], np.full((2, 4), fill, dtype))


def test_fill_fills_whole_windows_that_do_not_fit():
    out = gather(X, np.array([[3, 3], [4, 3], [0, -1]]), GDN((1, 2), (), (0, 1)), (2, 3),
                 mode="fill", fill_value=7.0)
    np.testing.assert_array_equal(np.asarray(out), [X[3:5, 3:6], np.full((2, 3), 7.0),
                                                    np.full((2, 3), 7.0)])


def test_default_modes_are_fill_and_drop_as_in_jax_lax():
    assert np.isnan(np.asarray(take_rows(X, np.array([5])))).all()
    out = scatter_add(X, np.array([[5], [-1]]), np.ones((2, 6)), SDN((1,), (0,), (0,)))
    np.testing.assert_array_equal(out, X)


def test_drop_skips_whole_windows_and_clip_accumulates_at_clamped_starts():
    dnums = SDN((1,), (), (0,))        # windows of 2 elements along a length-5 axis
    x, idx, upd = np.zeros(5), np.array([[3], [4], [-1], [0]]), np.ones((4, 2))
    np.testing.assert_array_equal(scatter_add(x, idx, upd, dnums, mode="drop"), [1, 1, 0, 1, 1])
    np.testing.assert_array_equal(scatter_add(x, idx, upd, dnums, mode="clip"), [2, 2, 0, 2, 2])


def test_scatter_last_writer_wins():
    upd = np.arange(18.0).reshape(3, 6)
    out = scatter(X, np.array([[2], [0], [2]]), upd, SDN((1,), (0,), (0,)), mode="clip")
    expected = X.copy()
    expected[0], expected[2] = upd[1], upd[2]
    np.testing.assert_array_equal(out, expected)


# ---------------------------------------------------------------------------- random dimension numbers

def _random_case(rng):
    """Random operand, index vectors (some out of bounds) and dimension numbers."""
    rank = int(rng.integers(0, 4))
    shape = tuple(int(n) for n in rng.integers(1, 5, rank))
    collapsed = tuple(d for d in range(rank) if rng.random() < 0.4)
    start_map = tuple(int(d) for d in rng.permutation(rank)[: rng.integers(0, rank + 1)])
    sizes = tuple(1 if d in collapsed else int(rng.integers(0, shape[d] + 1)) for d in range(rank))
    batch = tuple(int(n) for n in rng.integers(1, 4, rng.integers(0, 3)))
    idx = np.stack([rng.integers(-2, shape[d] + 2, batch) for d in start_map] or [np.zeros(batch, int)],
                   -1)[..., : len(start_map)].astype(np.int32)
    n_window = rank - len(collapsed)
    offset = tuple(sorted(int(d) for d in rng.permutation(len(batch) + n_window)[:n_window]))
    return rng.standard_normal(shape), idx, GDN(offset, collapsed, start_map), sizes


@pytest.mark.parametrize("seed", range(40))
def test_random_dimension_numbers_against_elementwise_oracle(seed):
    rng = np.random.default_rng(seed)
    x, idx, dnums, sizes = _random_case(rng)
    for gather_mode, scatter_mode in [("clip", "clip"), ("fill", "drop")]:
        out = np.asarray(gather(x, idx, dnums, sizes, mode=gather_mode))
        ref = _gather_reference(x, idx, dimension_numbers=dnums, slice_sizes=sizes,
                                mode=gather_mode, fill_value=None)
        np.testing.assert_array_equal(out, ref)
        upd, sdnums = rng.standard_normal(out.shape), SDN(*dnums)
        params = dict(dimension_numbers=sdnums, mode=scatter_mode)
        np.testing.assert_allclose(scatter_add(x, idx, upd, sdnums, mode=scatter_mode),
                                   _scatter_reference(np.add)(x, idx, upd, **params), rtol=1e-13)
        np.testing.assert_array_equal(scatter(x, idx, upd, sdnums, mode=scatter_mode),
                                      _scatter_reference(lambda old, new: new)(x, idx, upd, **params))


# ---------------------------------------------------------------------------- derivatives

def _check_jvp_and_vjp(f, *args):
    tangents = [RNG.standard_normal(np.shape(a)) for a in args]
    out, t_out = fx.jvp(f, args, tangents)
    np.testing.assert_allclose(t_out, directional_derivative(f, args, tangents), rtol=1e-6, atol=1e-8)
    ct = RNG.standard_normal(np.shape(out))
    cts = fx.vjp(f, *args)[1](ct)
    lhs = np.sum(np.asarray(t_out) * ct)
    rhs = sum(np.sum(np.asarray(c) * t) for c, t in zip(cts, tangents))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def test_gather_derivatives_with_repeated_and_out_of_bounds_indices():
    idx = np.array([[1], [4], [1], [9]])
    _check_jvp_and_vjp(lambda x: lax.sin(take_rows(x, idx[:, 0], mode="clip")), X)
    # filled windows are constant: their tangent is 0, not the fill value
    def fill(x):
        return take_rows(x, idx[:, 0], mode="fill", fill_value=3.0)
    _, t = fx.jvp(fill, (X,), (np.ones_like(X),))
    np.testing.assert_array_equal(np.asarray(t)[3], 0.0)
    _check_jvp_and_vjp(fill, X)


def test_gradient_of_gather_accumulates_repeated_rows():
    idx = np.array([1, 4, 1])
    grad = fx.grad(lambda x: lax.reduce_sum(take_rows(x, idx, mode="clip"), (0, 1)))(X)
    np.testing.assert_array_equal(np.asarray(grad)[:, 0], [0, 2, 0, 0, 1])


@pytest.mark.parametrize("prim", [scatter, scatter_add])
@pytest.mark.parametrize("mode", ["clip", "drop"])
def test_scatter_derivatives_with_repeated_indices(prim, mode):
    idx = np.array([[1], [3], [1], [7], [-1]])
    upd = RNG.standard_normal((5, 6))

    def f(x, u):
        return lax.tanh(prim(x, idx, u, SDN((1,), (0,), (0,)), mode=mode))
    _check_jvp_and_vjp(f, X, upd)


def test_dynamic_slice_derivative_at_traced_start():
    def f(x, i):
        return lax.sin(dynamic_slice(x, (i, 2), (2, 3)))
    for i in (np.int32(1), np.int32(-1), np.int32(7)):
        _check_jvp_and_vjp(lambda x, i=i: f(x, i), X)
        _check_jvp_and_vjp(lambda x, i=i: fx.jit(f)(x, i), X)


# ---------------------------------------------------------------------------- vmap

B = 3
XS = RNG.standard_normal((B, 5, 6))
IDX = np.array([[[0], [4]], [[2], [9]], [[-1], [1]]])     # [B, 2, 1], some out of bounds
UPD = RNG.standard_normal((B, 2, 6))
ROWS = GDN((1,), (0,), (0,))


def _vmap_vs_loop(f, args, batched, axis):
    """fx.vmap(f) with args[i] batched (along `axis`) for i in `batched`, against a loop."""
    in_axes = tuple(axis if i in batched else None for i in range(len(args)))
    moved = [np.moveaxis(a, 0, axis) if i in batched else a[0] for i, a in enumerate(args)]
    out = fx.vmap(f, in_axes=in_axes)(*moved)
    loop = np.stack([np.asarray(f(*[a[b] if i in batched else a[0] for i, a in enumerate(args)]))
                     for b in range(B)])
    np.testing.assert_allclose(out, loop, rtol=1e-14, equal_nan=True)


@pytest.mark.parametrize("batched", [(0,), (1,), (0, 1)], ids=["operand", "indices", "both"])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("mode", ["clip", "fill"])
def test_vmap_gather(batched, axis, mode):
    _vmap_vs_loop(lambda x, i: gather(x, i, ROWS, (1, 6), mode=mode), (XS, IDX), batched, axis)


@pytest.mark.parametrize("batched", [s for r in (1, 2, 3) for s in itertools.combinations(range(3), r)])
@pytest.mark.parametrize("prim", [scatter_add, scatter])
@pytest.mark.parametrize("mode", ["clip", "drop"])
def test_vmap_scatter(batched, prim, mode):
    _vmap_vs_loop(lambda x, i, u: prim(x, i, u, SDN((1,), (0,), (0,)), mode=mode),
                  (XS, IDX, UPD), batched, 0)


@pytest.mark.parametrize("batched", [(0,), (1,), (0, 1), (1, 2), (0, 1, 2)])
def test_vmap_dynamic_slicing_with_per_example_starts(batched):
    starts = np.array([[-1, 2], [4, 5], [1, 0]], np.int32)
    args = (XS, starts[:, 0], starts[:, 1])
    _vmap_vs_loop(lambda x, i, j: dynamic_slice(x, (i, j), (2, 3)), args, batched, 0)
    _vmap_vs_loop(lambda x, i, j: dynamic_update_slice(x, np.ones((2, 3)), (i, j)), args, batched, 0)


def test_vmap_of_grad_through_gather():
    def loss(x, i):
        return lax.reduce_sum(lax.sin(gather(x, i, ROWS, (1, 6), mode="clip")), (0, 1))
    grads = fx.vmap(fx.grad(loss))(XS, IDX)
    for b in range(B):
        np.testing.assert_allclose(np.asarray(grads)[b], fx.grad(loss)(XS[b], IDX[b]), rtol=1e-14)


# ---------------------------------------------------------------------------- binders and errors

def test_negative_starts_count_from_the_end_then_clamp():
    np.testing.assert_array_equal(dynamic_slice(X, (-2, -9), (2, 3)), X[3:5, 0:3])
    out = dynamic_update_slice(X, np.zeros((1, 2)), (np.int32(-1), 9))
    expected = X.copy()
    expected[4, 4:6] = 0
    np.testing.assert_array_equal(out, expected)


def test_pad_with_negative_and_interior_padding():
    out = pad(np.arange(1.0, 6.0), -1.0, [(-2, -1, 2)])
    np.testing.assert_array_equal(out, [-1, 2, -1, -1, 3, -1, -1, 4, -1, -1])


@pytest.mark.parametrize("call, message", [
    (lambda: gather(X, np.zeros((3, 1), np.float32), ROWS, (1, 6)), "integer array"),
    (lambda: gather(X, np.zeros((3, 2), np.int32), ROWS, (1, 6)), "len(start_index_map)=1"),
    (lambda: gather(X, np.zeros((3, 1), np.int32), ROWS, (2, 6)), "collapsed_slice_dims"),
    (lambda: gather(X, np.zeros((3, 1), np.int32), GDN((2,), (0,), (0,)), (1, 6)), "offset_dims"),
    (lambda: scatter_add(X, np.zeros((3, 1), np.int32), np.zeros((3, 7)), SDN((1,), (0,), (0,))),
     "window of shape (1, 7)"),
    (lambda: scatter(X, np.zeros((3, 1), np.int32), np.zeros((2, 6)), SDN((1,), (0,), (0,))),
     "must have shape (3, 6)"),
    (lambda: gather(X, np.zeros((3, 1), np.int32), ROWS, (1, 6), mode="wrap"), "unknown"),
])
def test_bad_input_says_what_was_expected(call, message):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert message in str(info.value)
