"""Focused tests for the reduction, cumulative and dot_general primitives: values against
NumPy, derivatives at zeros and ties, NaN handling, transposes and batching layouts.
(The registry-wide generated tests also run these primitives' examples.)"""
import numpy as np
import pytest

import fx
from fx.lax.dot import dot, dot_general
from fx.lax.reductions import (argmax, argmin, cummax, cummin, cumprod, cumsum, reduce_max,
                               reduce_min, reduce_prod, reduce_sum)


pytestmark = pytest.mark.usefixtures("x64")


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def finite_difference(f, x, t, eps=1e-6):
    return (np.asarray(f(x + eps * t)) - np.asarray(f(x - eps * t))) / (2 * eps)


def jvp(f, x, t):
    return np.asarray(fx.jvp(f, (x,), (t,))[1])


def vjp(f, x, ct):
    return np.asarray(fx.vjp(f, x)[1](ct)[0])


# ---------------------------------------------------------------------------- values

AXES = [(), (0,), (1,), (2,), (0, 2), (1, 2), (0, 1, 2)]


@pytest.mark.parametrize("axes", AXES)
@pytest.mark.parametrize("fx_op, np_op", [(reduce_sum, np.sum), (reduce_max, np.max),
                                          (reduce_min, np.min), (reduce_prod, np.prod)])
def test_reductions_match_numpy(fx_op, np_op, axes):
    x = rand(3, 4, 5)
    np.testing.assert_allclose(fx_op(x, axes), np_op(x, axis=axes), rtol=1e-12)
    i = np.arange(-30, 30, dtype=np.int32).reshape(3, 4, 5) % 7
    out = fx_op(i, axes)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, np_op(i, axis=axes).astype(np.int32))


def test_reductions_of_empty_axes_give_the_identity():
    np.testing.assert_array_equal(reduce_max(np.zeros((0, 2)), (0,)), [-np.inf, -np.inf])
    np.testing.assert_array_equal(reduce_min(np.zeros((0, 2), np.int32), (0,)),
                                  [np.iinfo(np.int32).max] * 2)
    np.testing.assert_array_equal(reduce_prod(np.zeros((2, 0)), (1,)), [1.0, 1.0])


def test_max_min_propagate_nan_and_accept_bool():
    x = np.array([[1.0, np.nan, 3.0], [0.0, 2.0, -1.0]])
    np.testing.assert_array_equal(reduce_max(x, (1,)), [np.nan, 2.0])
    np.testing.assert_array_equal(reduce_min(x, (1,)), [np.nan, -1.0])
    b = np.array([[True, False], [False, False]])
    np.testing.assert_array_equal(reduce_max(b, (1,)), [True, False])
    np.testing.assert_array_equal(reduce_min(b, (0,)), [False, False])


def test_weak_type_is_kept():
    assert reduce_max(2.0, ()).weak_type
    assert cumsum(fx.lax.full((3,), 1.0), 0).weak_type
    assert not argmax(fx.lax.full((3,), 1.0), 0, np.int32).weak_type


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("fx_op, ufunc", [(cumsum, np.add), (cumprod, np.multiply),
                                          (cummax, np.maximum), (cummin, np.minimum)])
def test_cumulative_match_numpy(fx_op, ufunc, axis, reverse):
    x = rand(3, 4, 5, seed=1)
    flip = (lambda v: np.flip(v, axis)) if reverse else (lambda v: v)
    np.testing.assert_allclose(fx_op(x, axis, reverse), flip(ufunc.accumulate(flip(x), axis)),
                               rtol=1e-12)


def test_bad_operands_raise():
    with pytest.raises(TypeError, match="numeric"):
        reduce_prod(np.ones(3, bool), (0,))
    with pytest.raises(TypeError, match="numeric"):
        cumsum(np.ones(3, bool))
    with pytest.raises(ValueError, match="axes"):
        reduce_max(np.ones((2, 3)), (2,))
    with pytest.raises(ValueError, match="out of bounds"):
        cummax(np.ones((2, 3)), 2)
    with pytest.raises(ValueError, match="non-empty"):
        argmax(np.ones((0, 3)), 0, np.int32)
    with pytest.raises(TypeError, match="index_dtype"):
        argmin(np.ones(3), 0, np.float32)


# ---------------------------------------------------------------------------- argmax / argmin

def test_argmax_argmin_first_occurrence_on_ties():
    x = np.array([[1.0, 5.0, 5.0, 0.0], [-2.0, 3.0, -2.0, 3.0]])
    np.testing.assert_array_equal(argmax(x, 1, np.int32), [1, 1])
    np.testing.assert_array_equal(argmin(x, 1, np.int32), [3, 0])
    np.testing.assert_array_equal(argmax(x, 0, np.int32), [0, 0, 0, 1])


def test_argmax_argmin_treat_nan_as_the_extremum():
    x = np.array([[1.0, np.nan, 7.0, np.nan], [np.nan, -5.0, 2.0, 0.0], [3.0, 4.0, -1.0, 2.0]])
    np.testing.assert_array_equal(argmax(x, 1, np.int32), [1, 0, 1])
    np.testing.assert_array_equal(argmin(x, 1, np.int32), [1, 0, 2])
    np.testing.assert_array_equal(argmax(x, 0, np.int64), [1, 0, 0, 0])
    assert argmax(x, 0, np.int64).dtype == np.int64


def test_argmax_vmap_and_zero_gradient():
    x = rand(4, 5, seed=2)
    np.testing.assert_array_equal(fx.vmap(lambda v: argmax(v, 0, np.int32), in_axes=1)(x),
                                  np.argmax(x, 0))
    out, out_t = fx.jvp(lambda v: argmin(v, 1, np.int32), (x,), (rand(4, 5, seed=3),))
    np.testing.assert_array_equal(out, np.argmin(x, 1))
    np.testing.assert_array_equal(out_t, np.zeros(4))


# ---------------------------------------------------------------------------- derivatives

def test_reduce_max_gradient_averages_over_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, 4.0]])
    g = fx.grad(lambda v: reduce_sum(reduce_max(v, (1,)), (0,)))(x)
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [0, 0, 1]])
    g = fx.grad(lambda v: reduce_min(v, (0, 1)))(x)
    np.testing.assert_allclose(g, np.where(x == -1.0, 1.0, 0.0))


@pytest.mark.parametrize("zeros", [[], [(1, 2)], [(0, 1), (0, 3)], [(0, 1), (2, 2), (1, 0)]])
@pytest.mark.parametrize("axes", [(0,), (1,), (0, 1)])
def test_reduce_prod_derivative_with_zeros(zeros, axes):
    x = rand(3, 4, seed=3)
    for z in zeros:
        x[z] = 0.0
    f = lambda v: reduce_prod(v, axes)  # noqa: E731
    for seed in range(3):
        t = rand(3, 4, seed=10 + seed)
        np.testing.assert_allclose(jvp(f, x, t), finite_difference(f, x, t), rtol=1e-6, atol=1e-9)
    # the gradient of a full product is the product of the others, exactly
    g = fx.grad(lambda v: reduce_prod(v, (0, 1)))(x)
    flat = x.ravel()
    others = [np.prod(np.delete(flat, k)) for k in range(flat.size)]
    np.testing.assert_allclose(np.asarray(g).ravel(), others, rtol=1e-12, atol=1e-300)


def test_reduce_prod_second_derivative_at_two_zeros():
    x = np.array([0.0, 2.0, 0.0, 3.0])
    hessian = np.stack([jvp(fx.grad(lambda v: reduce_prod(v, (0,))), x, e) for e in np.eye(4)])
    expected = np.zeros((4, 4))
    expected[0, 2] = expected[2, 0] = 6.0
    np.testing.assert_allclose(hessian, expected)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("fx_op", [cumprod, cummax, cummin])
def test_cumulative_derivative(fx_op, reverse):
    x = rand(3, 5, seed=4)
    if fx_op is cumprod:
        x[0, 1] = x[1, 2] = x[1, 4] = 0.0
    f = lambda v: fx_op(v, 1, reverse)  # noqa: E731
    t = rand(3, 5, seed=5)
    np.testing.assert_allclose(jvp(f, x, t), finite_difference(f, x, t), rtol=1e-6, atol=1e-9)
    ct = rand(3, 5, seed=6)
    np.testing.assert_allclose(np.sum(vjp(f, x, ct) * t), np.sum(jvp(f, x, t) * ct), rtol=1e-10)


@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_transpose_is_reversed_cumsum(reverse):
    ct = rand(4, 3, seed=7)
    got = vjp(lambda v: cumsum(v, 0, reverse), rand(4, 3), ct)
    np.testing.assert_allclose(got, np.asarray(cumsum(ct, 0, not reverse)))


@pytest.mark.parametrize("fx_op", [reduce_max, reduce_prod])
def test_reduction_vmap_matches_loop(fx_op):
    x = rand(3, 4, 5, seed=8)
    for in_axis in range(3):
        got = fx.vmap(lambda v: fx_op(v, (1,)), in_axes=in_axis)(x)
        want = np.stack([np.asarray(fx_op(np.take(x, k, in_axis), (1,)))
                         for k in range(x.shape[in_axis])])
        np.testing.assert_allclose(got, want)


# ---------------------------------------------------------------------------- dot_general

def einsum_dot(lhs, rhs, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    ls = [chr(ord("a") + i) for i in range(lhs.ndim)]
    rs = [chr(ord("n") + i) for i in range(rhs.ndim)]
    for left, right in zip(lc + lb, rc + rb):
        rs[right] = ls[left]
    out = ([ls[d] for d in lb] + [ls[d] for d in range(lhs.ndim) if d not in lc + lb]
           + [rs[d] for d in range(rhs.ndim) if d not in rc + rb])
    return np.einsum(f"{''.join(ls)},{''.join(rs)}->{''.join(out)}", lhs, rhs)


LAYOUTS = [  # (lhs shape, rhs shape, dimension numbers)
    ((3, 4), (4, 5), (((1,), (0,)), ((), ()))),
    ((4, 3), (5, 4), (((0,), (1,)), ((), ()))),
    ((4,), (4,), (((0,), (0,)), ((), ()))),
    ((3,), (2,), (((), ()), ((), ()))),
    ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),
    ((4, 2, 3, 5), (5, 6, 2, 4), (((0, 3), (3, 0)), ((1,), (2,)))),
    ((3, 2, 4), (2, 4, 3, 5), (((2,), (1,)), ((0, 1), (2, 0)))),
    ((2, 3), (3, 2), (((), ()), ((0, 1), (1, 0)))),
]


@pytest.mark.parametrize("ls, rs, dn", LAYOUTS)
def test_dot_general_matches_einsum(ls, rs, dn):
    lhs, rhs = rand(*ls, seed=1), rand(*rs, seed=2)
    np.testing.assert_allclose(dot_general(lhs, rhs, dn), einsum_dot(lhs, rhs, dn), rtol=1e-12)
    li, ri = (np.arange(np.prod(s), dtype=np.int32).reshape(s) % 5 - 2 for s in (ls, rs))
    out = dot_general(li, ri, dn)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, einsum_dot(li, ri, dn))


@pytest.mark.parametrize("ls, rs, dn", LAYOUTS)
def test_dot_general_transposes(ls, rs, dn):
    """<A x, y> = <x, Aᵀ y> for the map in each operand."""
    lhs, rhs = rand(*ls, seed=1), rand(*rs, seed=2)
    ct = rand(*np.shape(einsum_dot(lhs, rhs, dn)), seed=3)
    x_lhs, x_rhs = rand(*ls, seed=4), rand(*rs, seed=5)
    lhs_t = vjp(lambda a: dot_general(a, rhs, dn), lhs, ct)
    rhs_t = vjp(lambda b: dot_general(lhs, b, dn), rhs, ct)
    assert lhs_t.shape == ls and rhs_t.shape == rs
    np.testing.assert_allclose(np.sum(einsum_dot(x_lhs, rhs, dn) * ct), np.sum(x_lhs * lhs_t))
    np.testing.assert_allclose(np.sum(einsum_dot(lhs, x_rhs, dn) * ct), np.sum(x_rhs * rhs_t))


@pytest.mark.parametrize("ls, rs, dn", LAYOUTS)
def test_dot_general_jvp(ls, rs, dn):
    lhs, rhs = rand(*ls, seed=1), rand(*rs, seed=2)
    tl, tr = rand(*ls, seed=3), rand(*rs, seed=4)
    _, out_t = fx.jvp(lambda a, b: dot_general(a, b, dn), (lhs, rhs), (tl, tr))
    np.testing.assert_allclose(out_t, einsum_dot(tl, rhs, dn) + einsum_dot(lhs, tr, dn), rtol=1e-12)


def _batched(shape, axis, seed):
    return rand(*shape[:axis], 3, *shape[axis:], seed=seed)


@pytest.mark.parametrize("ls, rs, dn", LAYOUTS)
def test_dot_general_vmap_matches_loop(ls, rs, dn):
    lhs, rhs = rand(*ls, seed=1), rand(*rs, seed=2)
    f = lambda a, b: dot_general(a, b, dn)  # noqa: E731
    for la in range(len(ls) + 1):  # lhs batched
        a = _batched(ls, la, 6)
        want = np.stack([einsum_dot(np.take(a, k, la), rhs, dn) for k in range(3)])
        np.testing.assert_allclose(fx.vmap(f, in_axes=(la, None))(a, rhs), want, rtol=1e-12)
    for ra in range(len(rs) + 1):  # rhs batched
        b = _batched(rs, ra, 7)
        want = np.stack([einsum_dot(lhs, np.take(b, k, ra), dn) for k in range(3)])
        np.testing.assert_allclose(fx.vmap(f, in_axes=(None, ra))(lhs, b), want, rtol=1e-12)
    for la, ra in [(0, 0), (len(ls), 0), (0, len(rs)), (len(ls) // 2, len(rs))]:  # both
        a, b = _batched(ls, la, 8), _batched(rs, ra, 9)
        want = np.stack([einsum_dot(np.take(a, k, la), np.take(b, k, ra), dn) for k in range(3)])
        np.testing.assert_allclose(fx.vmap(f, in_axes=(la, ra))(a, b), want, rtol=1e-12)


def test_dot_general_vmap_of_grad():
    lhs, rhs = rand(5, 3, 4, seed=1), rand(4, 2, seed=2)
    dn = (((1,), (0,)), ((), ()))
    grads = fx.vmap(fx.grad(lambda a: reduce_sum(dot_general(a, rhs, dn), (0, 1))))(lhs)
    np.testing.assert_allclose(grads, np.broadcast_to(rhs.sum(1), (5, 3, 4)), rtol=1e-12)


@pytest.mark.parametrize("ls, rs", [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2))])
def test_dot(ls, rs):
    lhs, rhs = rand(*ls, seed=1), rand(*rs, seed=2)
    np.testing.assert_allclose(dot(lhs, rhs), np.dot(lhs, rhs), rtol=1e-12)


def test_dot_general_dtypes():
    a = rand(3, 4).astype(np.float32)
    b = rand(4, 2).astype(np.float32)
    dn = (((1,), (0,)), ((), ()))
    assert dot_general(a, b, dn).dtype == np.float32
    wide = dot_general(a, b, dn, preferred_element_type=np.float64)
    assert wide.dtype == np.float64
    np.testing.assert_allclose(wide, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-12)
    g = fx.grad(lambda x: reduce_sum(dot_general(x, b, dn, preferred_element_type=np.float64),
                                     (0, 1)))(a)
    assert g.dtype == np.float32
    batched = fx.vmap(lambda x, y: dot_general(x, y, dn, preferred_element_type=np.float64))(
        np.stack([a, a]), np.stack([b, b]))
    assert batched.dtype == np.float64
    i = np.arange(12, dtype=np.int32).reshape(3, 4)
    assert dot(i, i.T, preferred_element_type=np.int64).dtype == np.int64
    assert dot(i, i.T, preferred_element_type=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="equal dtypes"):
        dot(a, i.T)
    # as JAX: float products may narrow (the sum is taken wide, then converted)
    narrow = dot_general(a.astype(np.float64), b.astype(np.float64), dn, preferred_element_type=np.float32)
    assert narrow.dtype == np.float32
    assert dot_general(a, b, dn, preferred_element_type=np.int32).dtype == np.int32


def test_dot_general_bad_dimension_numbers():
    a, b = rand(3, 4), rand(4, 2)
    with pytest.raises(TypeError, match="equal sizes"):
        dot_general(a, b, (((0,), (0,)), ((), ())))
    with pytest.raises(TypeError, match="distinct axes"):
        dot_general(a, b, (((2,), (0,)), ((), ())))
    with pytest.raises(TypeError, match="as many"):
        dot_general(a, b, (((1,), (0,)), ((0,), ())))
    with pytest.raises(TypeError, match="dimension_numbers"):
        dot_general(a, b, ((1, 0),))
    with pytest.raises(TypeError, match="incompatible shapes"):
        dot(rand(2, 2, 2), rand(2))
