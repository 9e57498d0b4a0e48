"""fx.numpy's long tail, where a Spec cannot say it: errors and their messages, dtypes and
weak types, static arguments under jit, concrete-only paths, and JAX's own results
(written down as literals, checked against JAX 0.10 by hand)."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.errors import ConcretizationTypeError


# ---------------------------------------------------------------------------- dtypes

def test_dtype_hierarchy_is_numpys():
    assert jnp.issubdtype(jnp.arange(3.0).dtype, jnp.floating)
    assert jnp.issubdtype(jnp.int32, jnp.signedinteger)
    assert not jnp.issubdtype(jnp.uint8, jnp.signedinteger)
    assert jnp.issubdtype(jnp.bfloat16, jnp.inexact)
    assert jnp.issubdtype(jnp.complex64, jnp.complexfloating)
    assert jnp.generic is np.generic and jnp.character is np.character and jnp.flexible is np.flexible


def test_dtype_aliases():
    assert jnp.bool(3).dtype == np.bool_
    assert jnp.int_(2.5).dtype == np.int32 and jnp.double(1).dtype == np.float32  # x64 off
    assert jnp.single == np.float32 and jnp.csingle == np.complex64 and jnp.cdouble == np.complex128
    assert jnp.object_ is np.object_ and jnp.ComplexWarning is np.exceptions.ComplexWarning
    assert jnp.euler_gamma == np.euler_gamma


def test_isdtype():
    assert jnp.isdtype(jnp.float32, "real floating")
    assert jnp.isdtype(jnp.bfloat16, "real floating")
    assert jnp.isdtype(np.dtype("int8"), ("bool", "integral"))
    assert not jnp.isdtype(np.dtype("uint8"), "signed integer")
    assert jnp.isdtype(np.dtype("int32"), jnp.int32)
    with pytest.raises(ValueError, match="unrecognised kind 'foo'"):
        jnp.isdtype(jnp.float32, "foo")


def test_default_dtypes_and_weak_types():
    assert jnp.interp(jnp.array([1, 2]), jnp.array([0, 3]), jnp.array([0, 6])).dtype == np.float32
    assert jnp.trapezoid(jnp.array([1, 2, 3])).dtype == np.float32
    assert jnp.polyder(jnp.array([1, 2, 3])).dtype == np.float32
    assert jnp.cov(jnp.array([1, 2, 4])).dtype == np.float32
    assert jnp.bitwise_count(jnp.array([5])).dtype == np.uint8
    assert jnp.frexp(jnp.array([3]))[1].dtype == np.int32
    assert jnp.roots(jnp.array([1.0, 3, 2])).dtype == np.complex64
    assert jnp.poly(jnp.array([[1.0, 2], [3, 4]])).dtype == np.complex64
    assert jnp.histogram(jnp.array([1, 2, 2]))[0].dtype == np.float32  # weights are ones_like(a)
    assert jnp.histogram2d(jnp.array([1.0, 2]), jnp.array([0.0, 1]))[0].dtype == np.int32
    assert jnp.cumulative_sum(jnp.array([1, 2], jnp.int8)).dtype == np.int32
    assert jnp.unravel_index(5, (3, 4))[0].aval.weak_type


def test_x64_results(x64):
    assert jnp.roots(jnp.array([1.0, 3, 2])).dtype == np.complex128
    assert jnp.interp(jnp.array([1.0]), jnp.array([0.0, 3]), jnp.array([0.0, 6])).dtype == np.float64
    assert jnp.bincount(jnp.array([0, 1, 1])).dtype == np.int64


# ---------------------------------------------------------------------------- static sizes

def test_bincount_needs_length_under_jit():
    x = jnp.array([0, 1, 1, 3, -1])
    np.testing.assert_array_equal(jnp.bincount(x), [2, 2, 0, 1])  # negatives count as 0, as JAX
    np.testing.assert_array_equal(fx.jit(lambda x: jnp.bincount(x, length=3))(x), [2, 2, 0])
    with pytest.raises(ConcretizationTypeError, match="bincount without a static length="):
        fx.jit(jnp.bincount)(x)
    with pytest.raises(TypeError, match="integer dtype"):
        jnp.bincount(jnp.array([1.0]))


@pytest.mark.parametrize("name", ["union1d", "setdiff1d", "setxor1d", "intersect1d"])
def test_set_operations_need_size_under_jit(name):
    f = getattr(jnp, name)
    a, b = jnp.array([3, 1, 2, 2, 5]), jnp.array([2, 7, 5])
    with pytest.raises(ConcretizationTypeError, match=f"{name} without a static size="):
        fx.jit(f)(a, b)
    expected = getattr(np, name)(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(f(a, b), expected)
    sized = fx.jit(lambda a, b: f(a, b, size=expected.size))(a, b)
    np.testing.assert_array_equal(sized, expected)


def test_set_operation_padding_is_jaxs():
    a, b = jnp.array([3, 1, 2, 2, 5]), jnp.array([2, 7, 5])
    np.testing.assert_array_equal(jnp.setdiff1d(a, b, size=4), [1, 3, 0, 0])
    np.testing.assert_array_equal(jnp.union1d(a, b, size=8), [1, 2, 3, 5, 7, 1, 1, 1])
    np.testing.assert_array_equal(jnp.intersect1d(a, b, size=4), [2, 5, 2, 2])
    np.testing.assert_array_equal(jnp.setxor1d(a, b, size=6), [1, 3, 7, 1, 1, 1])
    values, ia, ib = jnp.intersect1d(a, b, size=4, return_indices=True)
    np.testing.assert_array_equal(ia, [2, 4, 5, 5])
    np.testing.assert_array_equal(ib, [0, 2, 3, 3])


def test_unique_all_and_friends():
    x = jnp.array([3, 1, 2, 2, 5])
    result = jnp.unique_all(x)
    np.testing.assert_array_equal(result.values, [1, 2, 3, 5])
    np.testing.assert_array_equal(result.indices, [1, 2, 0, 4])
    np.testing.assert_array_equal(result.inverse_indices, [2, 0, 1, 1, 3])
    np.testing.assert_array_equal(result.counts, [1, 2, 1, 1])
    np.testing.assert_array_equal(jnp.unique_counts(x).counts, [1, 2, 1, 1])
    np.testing.assert_array_equal(jnp.unique_inverse(x).inverse_indices, [2, 0, 1, 1, 3])
    # the array API keeps NaNs apart; unique merges them by default
    with_nans = jnp.array([np.nan, 1.0, np.nan])
    assert jnp.unique_values(with_nans).shape == (3,)
    assert jnp.unique(with_nans).shape == (2,)


def test_unique_axis():
    x = np.array([[1, 2], [1, 2], [0, 3]])
    values, index, inverse, counts = jnp.unique(x, axis=0, return_index=True, return_inverse=True,
                                                return_counts=True)
    expected = np.unique(x, axis=0, return_index=True, return_inverse=True, return_counts=True)
    for a, e in zip((values, index, inverse, counts), expected):
        np.testing.assert_array_equal(a, e)
    np.testing.assert_array_equal(jnp.unique(x, axis=1), np.unique(x, axis=1))
    np.testing.assert_array_equal(jnp.unique(x, axis=0, size=4, fill_value=9),
                                  [[0, 3], [1, 2], [9, 9], [9, 9]])
    rows_with_nan = jnp.array([[1.0, np.nan], [1.0, np.nan], [0, 3]])
    assert jnp.unique(rows_with_nan, axis=0).shape == (2, 2)  # JAX merges equal NaN rows
    assert jnp.unique(rows_with_nan, axis=0, equal_nan=False).shape == (3, 2)
    assert jnp.unique(jnp.zeros((2, 3, 4)), axis=1).shape == (2, 1, 4)
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        jnp.unique(x, axis=2)


def test_delete_and_insert_positions():
    a = jnp.arange(5)
    with pytest.raises(ConcretizationTypeError, match="assume_unique_indices=True"):
        fx.jit(lambda a, i: jnp.delete(a, i))(a, jnp.array([1, 3]))
    np.testing.assert_array_equal(fx.jit(lambda a, i: jnp.insert(a, i, 9))(a, 2), [0, 1, 9, 2, 3, 4])
    np.testing.assert_array_equal(jnp.insert(jnp.arange(3), 1, 2.7), [0, 2, 1, 2])  # cast, as JAX
    with pytest.raises(ValueError, match="positions must be integers"):
        jnp.insert(a, jnp.array([1.5]), 0)
    with pytest.raises(ValueError, match="boolean obj must have shape"):
        jnp.delete(a, np.array([True, False]))


def test_roots_strip_zeros():
    p = jnp.array([0.0, 0, 1, 3, 2])
    np.testing.assert_allclose(np.sort_complex(np.asarray(jnp.roots(p))), [-2, -1], atol=1e-6)
    unstripped = np.asarray(fx.jit(lambda p: jnp.roots(p, strip_zeros=False))(p))
    np.testing.assert_allclose(np.sort_complex(unstripped[:2]), [-2, -1], atol=1e-6)
    assert np.isnan(unstripped[2:]).all()
    with pytest.raises(ConcretizationTypeError, match="strip_zeros=False"):
        fx.jit(jnp.roots)(p)


def test_roots_gradient_is_implicit(x64):
    # d(root)/dp for p = (x - 1)(x - 2)(x - 3): -x^(n-k) / p'(x) at each root
    p = np.array([1.0, -6, 11, -6])
    grad = fx.grad(lambda p: jnp.max(jnp.real(jnp.roots(p, strip_zeros=False))))(p)
    np.testing.assert_allclose(grad, -np.array([27.0, 9, 3, 1]) / 2.0, rtol=1e-8)


# ---------------------------------------------------------------------------- errors

def test_mode_raise_checks_concrete_values():
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.ravel_multi_index((jnp.array([0, 5]), jnp.array([1, 3])), (3, 4))
    with pytest.raises(ConcretizationTypeError, match="mode='raise'"):
        fx.jit(lambda i: jnp.ravel_multi_index((i, i), (3, 4)))(jnp.array([0, 1]))
    with pytest.raises(ValueError, match=r"in \[0, 2\)"):
        jnp.choose(jnp.array([0, 4]), [jnp.array([1, 2]), jnp.array([10, 20])])


def test_inplace_is_refused():
    a = jnp.zeros((3, 3))
    for f in (lambda: jnp.put(a, 1, 9.0), lambda: jnp.place(a, a > 0, 1.0),
              lambda: jnp.fill_diagonal(a, 1.0), lambda: jnp.put_along_axis(a, jnp.zeros((3, 1), int), 1.0, 1)):
        with pytest.raises(ValueError, match="inplace=False"):
            f()


def test_input_errors_name_what_was_expected():
    with pytest.raises(TypeError, match="fabs does not accept complex"):
        jnp.fabs(jnp.array([1j]))
    with pytest.raises(ValueError, match="arguments must be integers"):
        jnp.gcd(1.5, 2)
    with pytest.raises(ValueError, match="exponent x2 must be an integer"):
        jnp.ldexp(1.0, 2.0)
    with pytest.raises(TypeError, match="a must be uint8"):
        jnp.unpackbits(jnp.array([1]))
    with pytest.raises(ValueError, match="at least 2-D"):
        jnp.matrix_transpose(jnp.ones(3))
    with pytest.raises(ValueError, match="axis must be given"):
        jnp.cumulative_sum(jnp.ones((2, 2)))
    with pytest.raises(ValueError, match="xp and fp must be 1-D"):
        jnp.interp(jnp.ones(2), jnp.ones(3), jnp.ones(2))
    with pytest.raises(ValueError, match="'extrapolate'"):
        jnp.interp(jnp.ones(2), jnp.ones(2), jnp.ones(2), left="nearest")
    with pytest.raises(ValueError, match="condlist must not be empty"):
        jnp.select([], [])
    with pytest.raises(ValueError, match="inconsistent size for core dimension 'k'"):
        jnp.vectorize(lambda m, v: m @ v, signature="(n,k),(k)->(n)")(jnp.ones((2, 3)), jnp.ones(4))
    with pytest.raises(ValueError, match="invalid signature"):
        jnp.vectorize(lambda x: x, signature="(n)->")
    with pytest.raises(NotImplementedError, match="string bins"):
        jnp.histogram(jnp.ones(3), bins="auto")


# ---------------------------------------------------------------------------- values JAX gives

def test_float_bits_edge_cases():
    mantissa, exponent = jnp.frexp(jnp.array([8.0, 0.0, -5, np.inf, np.nan, 1e-40]))
    np.testing.assert_array_equal(mantissa[:4], [0.5, 0.0, -0.625, np.inf])
    np.testing.assert_array_equal(exponent, [4, 0, 3, 0, 0, -132])
    assert float(jnp.ldexp(jnp.float32(1), 200)) == np.inf
    assert float(jnp.ldexp(jnp.float32(1e-40), 200)) == np.ldexp(np.float32(1e-40), 200)
    np.testing.assert_array_equal(jnp.nextafter(jnp.array([0.0, 1.0]), jnp.array([-1.0, 1.0])),
                                  np.nextafter(np.float32([0, 1]), np.float32([-1, 1])))
    assert np.isnan(jnp.nextafter(jnp.nan, 1.0))


def test_integer_functions_follow_jax():
    np.testing.assert_array_equal(jnp.bitwise_count(jnp.array([-1, 7], jnp.int8)), [1, 3])  # of |x|
    np.testing.assert_array_equal(jnp.gcd(jnp.array([12, -18, 0]), jnp.array([8, 12, 0])), [4, 6, 0])
    np.testing.assert_array_equal(jnp.lcm(jnp.array([4, -6, 0]), 6), [12, 6, 0])


def test_index_tricks():
    np.testing.assert_array_equal(jnp.r_[1:4, 7, jnp.array([8, 9])], np.r_[1:4, 7, [8, 9]])
    np.testing.assert_array_equal(jnp.r_["0,2", [1, 2], [3, 4]], np.r_["0,2", [1, 2], [3, 4]])
    np.testing.assert_array_equal(jnp.r_["r", 1:3], [[1, 2]])
    np.testing.assert_array_equal(jnp.c_[jnp.array([1, 2]), jnp.array([3, 4])], np.c_[[1, 2], [3, 4]])
    np.testing.assert_array_equal(jnp.mgrid[0:2, 0:3], np.mgrid[0:2, 0:3])
    np.testing.assert_allclose(jnp.mgrid[0:1:5j], np.mgrid[0:1:5j])
    for a, e in zip(jnp.ogrid[0:2, 0:3], np.ogrid[0:2, 0:3]):
        np.testing.assert_array_equal(a, e)
    assert jnp.s_[1:2] == np.s_[1:2] and jnp.index_exp[1] == np.index_exp[1]
    for a, e in zip(jnp.mask_indices(3, jnp.triu, 1), np.mask_indices(3, np.triu, 1)):
        np.testing.assert_array_equal(a, e)
    for a, e in zip(jnp.tril_indices_from(jnp.ones((3, 4)), k=-1), np.tril_indices_from(np.ones((3, 4)), k=-1)):
        np.testing.assert_array_equal(a, e)
    for a, e in zip(jnp.diag_indices_from(jnp.ones((3, 3, 3))), np.diag_indices_from(np.ones((3, 3, 3)))):
        np.testing.assert_array_equal(a, e)
    with pytest.raises(ValueError, match="directive must come first"):
        jnp.r_[1, "r"]


def test_small_predicates():
    assert jnp.isscalar(3) and jnp.isscalar(jnp.array(3)) and jnp.isscalar(np.float32(1))
    assert not jnp.isscalar(jnp.array([1])) and not jnp.isscalar("a")
    assert jnp.iterable([1]) and not jnp.iterable(jnp.array(1))
    np.testing.assert_array_equal(jnp.nanargmax(jnp.array([np.nan, np.nan])), -1)  # JAX's value
    assert jnp.copy(jnp.arange(2)).shape == (2,)


def test_fromfunction_traces_with_scalar_indices():
    np.testing.assert_array_equal(jnp.fromfunction(lambda i, j: i + 10 * j, (2, 3), dtype=int),
                                  np.fromfunction(lambda i, j: i + 10 * j, (2, 3), dtype=int))
    np.testing.assert_array_equal(jnp.fromfunction(lambda i: jnp.where(i > 1, i, 0), (4,)), [0, 0, 2, 3])


def test_vectorize_excluded_and_outputs():
    power = jnp.vectorize(lambda x, p: x ** p, excluded={1})
    np.testing.assert_array_equal(power(jnp.arange(3.0), 2), [0, 1, 4])
    both = jnp.vectorize(lambda x: (x, 2 * x), signature="()->(),()")
    a, b = both(jnp.arange(3.0))
    np.testing.assert_array_equal(b, [0, 2, 4])
    assert jnp.vectorize(lambda x: x).__name__ == "<lambda>"


def test_printing_follows_numpys_options():
    with jnp.printoptions(precision=2):
        assert jnp.get_printoptions()["precision"] == 2
        assert jnp.array_str(jnp.array([1 / 3])) == "[0.33]"
    assert jnp.array_repr(jnp.arange(3)) == "ArrayImpl([0, 1, 2], dtype=int32)"


def test_array_methods():
    x = jnp.arange(6.0).reshape(2, 3)
    assert x.nbytes == 24 and x.itemsize == 4
    assert x.item(4) == 4.0 and isinstance(jnp.array(3).item(), int)
    np.testing.assert_array_equal(divmod(x, 4)[1], np.divmod(np.arange(6.0).reshape(2, 3), 4)[1])
    assert float(round(jnp.array(2.567), 1)) == pytest.approx(2.6)
    np.testing.assert_array_equal(jnp.array([0, 1]).choose([jnp.array([5, 6]), jnp.array([7, 8])]), [5, 8])
    with pytest.raises(ConcretizationTypeError):
        fx.jit(lambda x: x.item())(x)
