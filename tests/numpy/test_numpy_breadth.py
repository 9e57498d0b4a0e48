"""fx.numpy creation, shape, reduction, product and comparison functions beyond what the
table in tests/api_specs checks: JAX's dtypes, gradient conventions, the einsum plan and
jaxpr shape, Array methods, and clear errors for bad arguments."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.numpy import _einsum

I3 = np.arange(3, dtype=np.int32)
F3 = np.arange(3, dtype=np.float32)
M = np.arange(9, dtype=np.int32).reshape(3, 3)

# (result, dtype, weak type), as jax.numpy 0.10 gives them with x64 off.
DTYPES = {
    "linspace": (lambda: jnp.linspace(0, 1, 3), np.float32, False),
    "linspace of int arrays": (lambda: jnp.linspace(I3, I3 + 2, 3), np.float32, False),
    "arange of floats": (lambda: jnp.arange(0.5, 2), np.float32, False),
    "tri": (lambda: jnp.tri(2), np.float32, False),
    "indices": (lambda: jnp.indices((2,)), np.int32, False),
    "count_nonzero": (lambda: jnp.count_nonzero(F3), np.int32, False),
    "average of ints": (lambda: jnp.average(I3, weights=I3), np.float32, False),
    "trace of bools": (lambda: jnp.trace(M > 2), np.int32, False),
    "einsum int and float": (lambda: jnp.einsum("ij,j", M, F3), np.float32, False),
    "cumsum of bools": (lambda: jnp.cumsum(I3 > 0), np.int32, False),
    "var of ints": (lambda: jnp.var(I3), np.float32, False),
    "nanmax of ints": (lambda: jnp.nanmax(I3), np.int32, False),
    "isclose": (lambda: jnp.isclose(I3, I3), np.bool_, False),
    "pad ints with a float": (lambda: jnp.pad(I3, 1, constant_values=2.5), np.int32, False),
    "hstack int and float": (lambda: jnp.hstack([I3, F3]), np.float32, False),
    "full_like int with a float": (lambda: jnp.full_like(I3, 2.5), np.int32, False),
    "sum of uint32": (lambda: jnp.sum(I3.astype(np.uint32)), np.uint32, False),
}


@pytest.mark.parametrize("name", DTYPES)
def test_dtypes_as_jax(name):
    fn, dtype, weak = DTYPES[name]
    out = fn()
    assert out.dtype == dtype and out.aval.weak_type == weak, (out.dtype, out.aval.weak_type)


def test_max_min_split_the_gradient_between_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    np.testing.assert_allclose(fx.grad(lambda x: jnp.max(x, axis=1).sum())(x),
                               [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(fx.grad(lambda x: jnp.min(x, axis=0).sum())(x), [[1, 0, 0], [0, 1, 1]])
    np.testing.assert_allclose(fx.grad(jnp.ptp)(np.array([1.0, 1.0, 4.0])), [-0.5, -0.5, 1.0])


def test_nan_reductions_keep_gradients_finite():
    x = np.array([[np.nan, 1.0, 2.0], [np.nan, np.nan, np.nan]])
    grad = fx.grad(lambda x: jnp.nanmean(x[0]) + jnp.nanvar(x[0]) + jnp.nansum(x))(x)
    np.testing.assert_allclose(grad, [[0, 1, 2], [0, 0, 0]])
    np.testing.assert_allclose(fx.grad(lambda x: jnp.nanmax(x[0]))(x), [[0, 0, 1], [0, 0, 0]])
    assert np.isnan(jnp.nanmax(x, axis=1)[1])


def test_var_is_nan_without_degrees_of_freedom():
    assert np.isnan(jnp.var(np.array([1.0, 2.0]), ddof=2))
    assert np.isnan(jnp.var(np.array([1.0, 2.0]), ddof=3))
    assert np.isnan(jnp.var(np.ones(3), where=np.array([True, False, False]), ddof=1))


def test_einsum_plan_is_never_worse_than_left_to_right():
    # A chain where left to right builds a large intermediate and the greedy order does not.
    inputs, output = [["a", "b"], ["b", "c"], ["c", "d"]], ["a", "d"]
    sizes = {"a": 100, "b": 2, "c": 100, "d": 2}
    _, left_to_right = _einsum._plan(inputs, output, sizes, greedy=False)
    path, greedy = _einsum._plan(inputs, output, sizes, greedy=True)
    assert greedy < left_to_right and path[0] == (1, 2)
    a, b, c = (np.ones((n, m)) for n, m in [(100, 2), (2, 100), (100, 2)])
    jaxpr = fx.make_jaxpr(lambda a, b, c: jnp.einsum("ab,bc,cd->ad", a, b, c))(a, b, c)
    first = next(e for e in jaxpr.jaxpr.eqns if e.prim.name == "dot_general")
    assert [v.aval.shape for v in first.invars] == [(2, 100), (100, 2)]


def test_einsum_batches_and_reads_diagonals_without_gathers():
    a, b = np.ones((2, 3, 4)), np.ones((2, 4, 5))
    jaxpr = fx.make_jaxpr(lambda a, b: jnp.einsum("bij,bjk->bik", a, b))(a, b)
    (dot,) = [e for e in jaxpr.jaxpr.eqns if e.prim.name == "dot_general"]
    assert dot.params["dimension_numbers"] == (((2,), (1,)), ((0,), (0,)))
    names = {e.prim.name for e in fx.make_jaxpr(lambda x: jnp.einsum("ii->i", x))(np.ones((3, 3))).jaxpr.eqns}
    assert "gather" not in names and "slice" in names


def test_array_methods():
    x = jnp.asarray(np.arange(1.0, 7.0).reshape(2, 3))
    np.testing.assert_array_equal(x.cumprod(1), np.cumprod(np.asarray(x), 1))
    np.testing.assert_array_equal(x.ptp(0), [3, 3, 3])
    assert x.trace() == 6 and x.diagonal(1).tolist() == [2, 6]
    np.testing.assert_array_equal(x.repeat(2, axis=0), np.repeat(np.asarray(x), 2, axis=0))


def test_traced_repeats_need_total_repeat_length():
    with pytest.raises(fx.ConcretizationTypeError, match="total_repeat_length"):
        fx.jit(lambda r: jnp.repeat(np.arange(3.0), r))(np.array([1, 2, 0]))


X = np.ones((2, 3))
ERRORS = [
    (lambda: jnp.sum(X, axis=2), ValueError, "out of bounds"),
    (lambda: jnp.mean(X, axis=(0, 0)), ValueError, "duplicate"),
    (lambda: jnp.max(X, where=X > 0), ValueError, "initial"),
    (lambda: jnp.max(np.ones((0, 2)), axis=0), ValueError, "zero-size"),
    (lambda: jnp.argmax(np.ones(0)), ValueError, "empty"),
    (lambda: jnp.sum(X, out=X), NotImplementedError, "out"),
    (lambda: jnp.var(X, ddof=1, correction=1), ValueError, "ddof or correction"),
    (lambda: jnp.average(X, axis=1, weights=np.ones(2)), ValueError, "do not match"),
    (lambda: jnp.average(X, weights=np.ones(3)), ValueError, "axis must be given"),
    (lambda: jnp.zeros((2, -1)), ValueError, "non-negative"),
    (lambda: jnp.ones(2.5), TypeError, "integer"),
    (lambda: jnp.linspace(0, 1, -1), ValueError, "non-negative"),
    (lambda: jnp.arange(0, 3, 0), ValueError, "step"),
    (lambda: jnp.meshgrid(X), ValueError, "1-D"),
    (lambda: jnp.meshgrid(np.ones(2), indexing="yx"), ValueError, "indexing"),
    (lambda: jnp.diag(np.ones((2, 2, 2))), ValueError, "1d or 2d"),
    (lambda: jnp.tril(np.ones(3)), ValueError, "at least 2D"),
    (lambda: jnp.diagonal(X, axis1=1, axis2=-1), ValueError, "same axis"),
    (lambda: jnp.split(np.ones(5), 2), ValueError, "equal division"),
    (lambda: jnp.array_split(np.ones(5), 0), ValueError, "larger than 0"),
    (lambda: jnp.vsplit(np.ones(4), 2), ValueError, "2 or more dimensions"),
    (lambda: jnp.hstack([]), ValueError, "at least one"),
    (lambda: jnp.concatenate([]), ValueError, "at least one"),
    (lambda: jnp.tile(X, -1), ValueError, "non-negative"),
    (lambda: jnp.repeat(X, [1, 2], axis=1), ValueError, "2 repeats for an axis of length 3"),
    (lambda: jnp.repeat(X, -1), ValueError, "negative"),
    (lambda: jnp.repeat(X, 1.5), TypeError, "ints"),
    (lambda: jnp.flip(X, (0, 0)), ValueError, "duplicate axis"),
    (lambda: jnp.fliplr(np.ones(3)), ValueError, "two dimensions"),
    (lambda: jnp.roll(X, (1, 2), (0, 1, 1)), ValueError, "2 shifts do not match 3 axes"),
    (lambda: jnp.rot90(X, axes=(1, 1)), ValueError, "different"),
    (lambda: jnp.pad(X, ((1, 2), (3, 4), (5, 6))), ValueError, "does not fit"),
    (lambda: jnp.pad(X, -1), ValueError, "negative"),
    (lambda: jnp.pad(X, 1.5), TypeError, "integers"),
    (lambda: jnp.pad(X, 1, mode="median"), NotImplementedError, "supported modes"),
    (lambda: jnp.pad(X, 1, mode="edge", constant_values=1), ValueError, "constant_values"),
    (lambda: jnp.pad(X, 1, mode="reflect", reflect_type="both"), ValueError, "reflect_type"),
    (lambda: jnp.pad(np.ones((0, 2)), 1, mode="wrap"), ValueError, "empty axis 0"),
    (lambda: jnp.einsum("ij,jk", X), ValueError, "2 operands, 1 given"),
    (lambda: jnp.einsum("ijk", X), ValueError, "name 3 axes"),
    (lambda: jnp.einsum("ij,ij", X, np.ones((3, 2))), ValueError, "label 'i' has sizes 2 and 3"),
    (lambda: jnp.einsum("ij->k", X), ValueError, "appear in no operand"),
    (lambda: jnp.einsum("ij->ii", X), ValueError, "repeat a label"),
    (lambda: jnp.einsum("i1", X), ValueError, "invalid character"),
    (lambda: jnp.einsum("ii", X), ValueError, "sizes 2 and 3"),
    (lambda: jnp.tensordot(X, X, 1), ValueError, "differ in size"),
    (lambda: jnp.tensordot(X, X, 3), ValueError, r"axes=3 must be in \[0, 2\]"),
    (lambda: jnp.tensordot(X, X, ((0,), (0, 1))), ValueError, "pair 1 axes of a with 2 of b"),
    (lambda: jnp.cross(np.ones(4), np.ones(3)), ValueError, "must be 2 or 3"),
]


@pytest.mark.parametrize("fn, error, match", ERRORS, ids=[m for _, _, m in ERRORS])
def test_bad_arguments_raise_clear_errors(fn, error, match):
    with pytest.raises(error, match=match):
        fn()
