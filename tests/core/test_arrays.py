"""fx.Array: operators, weak types, indexing, .at updates, conversion to NumPy."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp


def test_array_basics_and_repr():
    x = jnp.asarray([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(x, fx.Array) and x.shape == (2, 2) and x.ndim == 2 and x.size == 4
    assert x.dtype == np.float32  # float64 input narrows without x64, as in JAX
    assert repr(jnp.asarray([1.0, 2.0])) == "Array([1., 2.], dtype=float32)"
    assert repr(jnp.asarray(3.0)) == "Array(3., dtype=float32, weak_type=True)"
    assert x.T.shape == (2, 2) and float(x.T[0, 1]) == 3.0
    assert x.astype(jnp.int32).dtype == np.int32
    assert x.block_until_ready() is x
    assert len(x) == 2 and [r.shape for r in x] == [(2,), (2,)]


def test_numpy_conversion_is_zero_copy_and_read_only():
    x = jnp.arange(6.0) * 2
    a = np.asarray(x)
    assert np.shares_memory(a, np.asarray(x))
    assert not a.flags.writeable
    src = np.ones(3, np.float32)
    y = jnp.asarray(src)
    src[0] = 5  # fx copied the caller's buffer
    assert float(y[0]) == 1.0


def test_operators_and_weak_type_promotion():
    x = jnp.ones(3, jnp.float32)
    assert (x * 2.0).dtype == np.float32 and not (x * 2.0).weak_type
    assert (2 * x).dtype == np.float32
    i = jnp.asarray([1, 2, 3])
    assert i.dtype == np.int32
    assert (i + 2).dtype == np.int32
    assert (i * 2.5).dtype == np.float32
    assert (i / 2).dtype == np.float32
    np.testing.assert_allclose(i // 2, [0, 1, 1])
    np.testing.assert_allclose(jnp.asarray([-7, 7]) // 2, [-4, 3])
    np.testing.assert_allclose(jnp.asarray([-7, 7]) % 3, [2, 1])
    np.testing.assert_allclose(-x, -np.ones(3))
    np.testing.assert_allclose(x ** 3, np.ones(3))
    np.testing.assert_allclose(i ** 2, [1, 4, 9])
    assert ((x > 0.5) & (x < 2)).dtype == np.bool_
    assert (np.ones(3, np.float32) + x).dtype == np.float32  # numpy defers to fx
    assert isinstance(np.ones(3, np.float32) + x, fx.Array)
    with fx.config.override("enable_x64", True):
        assert (jnp.ones(3, jnp.float32) + np.float64(1.0)).dtype == np.float64
        assert (jnp.ones(3, jnp.float32) + 1.0).dtype == np.float32


def test_matmul_operator_and_dot():
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    b = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    np.testing.assert_allclose(jnp.asarray(a) @ b, a @ b)
    np.testing.assert_allclose(jnp.dot(a[0], b), a[0] @ b)
    np.testing.assert_allclose(jnp.matmul(np.ones((5, 2, 3), np.float32), b), np.ones((5, 2, 3)) @ b)


INDEX_CASES = [
    (1,), (-1,), (slice(1, 3),), (slice(None, None, 2),), (slice(None, None, -1),),
    (Ellipsis, 0), (None, 1), (1, None, slice(0, 2)), (slice(None), 2),
    (np.array([0, 2, 2]),), (np.array([[0], [3]]), np.array([1, 2])),
    (slice(None), np.array([1, 0])), (np.array([0, 1]), slice(None), np.array([2, 3])),
    (np.array([True, False, True, True]),), (np.array([-1, -4]),),
]


@pytest.mark.parametrize("idx", INDEX_CASES, ids=[str(i) for i in range(len(INDEX_CASES))])
def test_indexing_matches_numpy(idx):
    x = np.arange(4 * 3 * 4, dtype=np.float32).reshape(4, 3, 4)
    expected = x[idx]
    np.testing.assert_array_equal(jnp.asarray(x)[idx], expected)
    np.testing.assert_array_equal(fx.jit(lambda a: a[idx])(x), expected)


def test_traced_integer_index_and_clamping():
    x = jnp.arange(10.0)
    assert float(fx.jit(lambda a, i: a[i])(x, 3)) == 3.0
    assert float(fx.jit(lambda a, i: a[i])(x, -2)) == 8.0
    assert float(fx.jit(lambda a, i: a[i])(x, 42)) == 9.0  # out of bounds clamps, as in JAX
    np.testing.assert_array_equal(fx.jit(lambda a, i: a[i])(x, jnp.asarray([0, 12, -1])), [0, 9, 9])
    assert float(x[10]) == 9.0 and float(x[-30]) == 0.0  # static indices clamp too


def test_boolean_mask_needs_concrete_values_under_jit():
    x = jnp.arange(4.0)
    np.testing.assert_array_equal(x[np.array([True, False, True, False])], [0.0, 2.0])
    with pytest.raises(IndexError, match="concrete"):
        fx.jit(lambda a: a[a > 1])(x)


def test_at_set_add_get():
    x = jnp.zeros((3, 4))
    np.testing.assert_array_equal(x.at[1].set(5.0)[1], [5] * 4)
    np.testing.assert_array_equal(x.at[:, 1:3].add(1.0).sum(0), [0, 3, 3, 0])
    np.testing.assert_array_equal(x.at[np.array([0, 0, 2]), 1].add(1.0)[:, 1], [2, 0, 1])
    np.testing.assert_array_equal(x.at[5].set(1.0), np.zeros((3, 4)))  # dropped, as in JAX
    y = jnp.arange(5.0)
    assert float(y.at[2].get()) == 2.0
    assert np.isnan(float(y.at[7].get(mode="fill")))
    np.testing.assert_array_equal(fx.jit(lambda a, i, v: a.at[i].set(v))(y, 1, 9.0), [0, 9, 2, 3, 4])


def test_gradients_flow_through_indexing_and_updates():
    f = lambda x: jnp.sum(x[np.array([0, 0, 2])] ** 2) + x.at[1].set(3.0)[1] * x[1]  # noqa: E731
    x = np.array([1.0, 2.0, 3.0], np.float32)
    np.testing.assert_allclose(fx.grad(f)(x), [4.0, 3.0, 6.0])
    g = fx.vmap(fx.grad(lambda r: jnp.sum(r[1:] * r[:-1])))(np.ones((2, 4), np.float32))
    np.testing.assert_allclose(g, [[1, 2, 2, 1]] * 2)
