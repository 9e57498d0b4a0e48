"""Sorting natively (the kernel program's Sort statement) and the errors of sorting,
searching and data-dependent indexing; values and derivatives are in the registry and
API-harness tests."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax
from fx.backends.llvm import parallel
from fx.ir import kernels as K
from fx.ir.lower import lower_jaxpr
from fx.ir.passes import optimize


@pytest.mark.parametrize("shape, axis", [((300, 257), 1), ((513, 3), 0), ((2, 3, 1025), 1), ((1,), 0),
                                         ((4, 0), 1)])
def test_native_sort_matches_a_stable_numpy_sort(shape, axis, backend):
    x = np.random.default_rng(7).integers(-20, 20, shape).astype(np.float32)  # many ties
    f = fx.jit(lambda x: lax.sort((x, lax.broadcasted_iota(np.int32, x.shape, axis)), dimension=axis),
               backend=backend)
    values, perm = f(x)
    np.testing.assert_array_equal(perm, np.argsort(x, axis=axis, kind="stable"))
    np.testing.assert_array_equal(values, np.sort(x, axis=axis))


def test_big_sorts_run_in_parallel_and_fuse_their_operands():
    x = np.random.default_rng(8).standard_normal((64, 2000)).astype(np.float32)
    program = lower_jaxpr(optimize(fx.make_jaxpr(lambda x: lax.sort(x * 2.0 + 1.0))(x)))
    (sort,) = [s for s in program.body if isinstance(s, K.Sort)]
    assert parallel.parallel_grain(sort) and len(program.body) == 1  # no kernel for x * 2 + 1
    assert "sort" in str(program)
    np.testing.assert_array_equal(fx.jit(lambda x: lax.sort(x * 2.0 + 1.0))(x), np.sort(x * np.float32(2) + np.float32(1)))


def test_top_k_natively_orders_nans_and_signed_zeros_like_jax(backend):
    x = np.array([0.0, -0.0, 1.0, np.nan, -np.nan, -1.0, -0.0, 0.0, -np.inf], np.float32)
    values, indices = fx.jit(lambda x: lax.top_k(x, 9), backend=backend)(x)
    np.testing.assert_array_equal(indices, [3, 2, 0, 7, 1, 6, 5, 8, 4])
    assert np.array_equal(np.signbit(values), np.signbit(x[[3, 2, 0, 7, 1, 6, 5, 8, 4]]))


def test_sort_verifier_checks_the_scratch_buffer():
    out = K.Buffer("out0", (3, 4), np.dtype(np.float32), "output")
    src = K.Buffer("in0", (3, 4), np.dtype(np.float32), "input")
    small = K.Buffer("t1", (2, 3, 3), np.dtype(np.int64), "temp")
    load = K.Load(np.dtype(np.float32), src, (K.IVar(0), K.IVar(1)))
    program = K.Program([src], [out], [], [small], [K.Sort("s", [out], [load], 1, 1, small)])
    with pytest.raises(K.OutOfBoundsError, match="sort buffers"):
        K.verify_bounds(program)


def test_data_dependent_shapes_need_size_under_jit():
    x = np.array([0.0, 3.0, 0.0, 1.0])
    with pytest.raises(jnp.NonConcreteBooleanIndexError, match="jnp.nonzero|where"):
        fx.jit(lambda x: x[x > 0])(x)
    with pytest.raises(jnp.NonConcreteBooleanIndexError):
        fx.jit(lambda x: jnp.asarray(x).at[x > 0].set(0.0))(x)
    for f in (jnp.unique, jnp.nonzero, jnp.flatnonzero, jnp.argwhere, lambda x: jnp.where(x)):
        with pytest.raises(TypeError, match="size="):
            fx.jit(f)(x)
    np.testing.assert_array_equal(fx.jit(lambda x: jnp.unique(x, size=3))(x), [0.0, 1.0, 3.0])
    np.testing.assert_array_equal(jnp.unique(x), [0.0, 1.0, 3.0])  # concrete: no size needed


def test_bad_arguments_are_reported():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="num_keys"):
        lax.sort((x, x), num_keys=3)
    with pytest.raises(ValueError, match="k must be in"):
        lax.top_k(x, 4)
    with pytest.raises(TypeError, match="one shape"):
        lax.sort((x, np.ones(3)))
    with pytest.raises(ValueError, match="side"):
        jnp.searchsorted(np.arange(3.0), 1.0, side="middle")
    with pytest.raises(ValueError, match="1-D"):
        jnp.searchsorted(x, 1.0)
    with pytest.raises(ValueError, match="method"):
        jnp.quantile(x, 0.5, method="cubic")
    with pytest.raises(ValueError, match="mode"):
        jnp.take(x, np.array([0]), mode="bounce")


def test_scatter_mul_is_differentiable_in_updates_only_with_unique_indices():
    f = lambda v, unique: jnp.sum(jnp.ones(3).at[np.array([0, 0])].multiply(v, unique_indices=unique))  # noqa: E731
    with pytest.raises(NotImplementedError, match="unique_indices=True"):
        fx.grad(f)(np.array([3.0, 1.0]), False)
    np.testing.assert_allclose(fx.grad(lambda v: jnp.sum(jnp.ones(3).at[np.array([0, 2])].multiply(
        v, unique_indices=True)))(np.array([3.0, 1.0])), [1.0, 1.0])
