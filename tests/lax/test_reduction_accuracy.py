"""Float sums stay accurate at any length (issue #9, part 4): sums add their terms in
blocks whose sums are combined pairwise, and cumulative sums restart each block from the
total before, so rounding error no longer grows with the number of terms. Every case
runs eagerly (NumPy impls), compiled (native code) and in the reference interpreter,
against float64 references, at sizes where one running float32 total is far off."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax

F32 = np.finfo(np.float32)

MODES = {"eager": lambda f: f, "jit": fx.jit,
         "interpreter": lambda f: fx.jit(f, backend="interpreter")}


@pytest.fixture(params=list(MODES))
def run(request):
    return MODES[request.param]


def assert_sum_close(got, want, magnitude, ulps):
    """|got - want| within `ulps` float32 epsilons of `magnitude` (the sum of |terms|,
    which bounds the error of any order of summation by n eps * magnitude)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    error = np.max(np.abs(got - want) / magnitude)
    assert error <= ulps * F32.eps, f"error {error / F32.eps:.1f} eps of the magnitude"


@pytest.fixture(scope="module")
def uniform():
    """2**21 x 3 values in [0, 1): positive, so rounding errors add up instead of cancelling
    (one running float32 total per column is off by hundreds of eps)."""
    return np.random.default_rng(0).random((2 ** 21, 3)).astype(np.float32)


def test_mean_of_ten_million_tenths_is_within_an_ulp(run):
    got = run(jnp.mean)(np.full(10_000_000, 0.1, np.float32))  # one running total: 0.27% off
    assert abs(float(got) - float(np.float32(0.1))) <= np.spacing(np.float32(0.1))


@pytest.mark.parametrize("axis", [0, 1, None, (0, 1)])
def test_long_sums_over_any_axes(run, uniform, axis):
    x = uniform if axis != 1 else np.ascontiguousarray(uniform.T)
    x64 = x.astype(np.float64)
    assert_sum_close(run(lambda a: jnp.sum(a, axis))(x), x64.sum(axis), x64.sum(axis), ulps=4)


def test_fused_long_sum_of_squares(run, uniform):
    """A sum whose term is computed in the reduction loop (x * x + 1) and a mean."""
    x64 = uniform.astype(np.float64)
    want = (x64 * x64 + 1).sum(0)
    assert_sum_close(run(lambda a: jnp.sum(a * a + 1, axis=0))(uniform), want, want, ulps=4)
    assert_sum_close(run(lambda a: jnp.mean(a, axis=0))(uniform), x64.mean(0), x64.mean(0), ulps=4)


def test_column_sums_of_rows_wider_than_a_tile(run):
    """Compiled column sums in blocks keep a tile of the row's sums on the stack; these rows
    (and the three-dimensional case's lines) take two tiles."""
    rng = np.random.default_rng(2)
    for x, axis in [(rng.random((1100, 4100)).astype(np.float32), 0),
                    (rng.random((600, 2, 4100)).astype(np.float32), (0, 1))]:
        want = x.astype(np.float64).sum(axis)
        assert_sum_close(run(lambda a: jnp.sum(a, axis))(x), want, want, ulps=8)


def test_softmax_over_rows_longer_than_a_block(run):
    """The exponentials are stored by the blocked reduction that sums them (side outputs)."""
    x = np.random.default_rng(3).standard_normal((4, 3000)).astype(np.float32)
    e = np.exp(x.astype(np.float64))
    np.testing.assert_allclose(run(lambda a: fx.nn.softmax(a, axis=1))(x), e / e.sum(1, keepdims=True),
                               rtol=1e-5)


@pytest.mark.parametrize("product", [jnp.dot, lambda x, y: jnp.sum(x * y),
                                     lambda x, y: jnp.einsum("bi,bi->b", x.reshape(4, -1), y.reshape(4, -1))],
                         ids=["dot", "sum_of_products", "batched"])
def test_long_dot_products(run, product):
    """Products of a row by a column become matrix products (gemm) that fx computes as
    blocked sums: a running total, or a BLAS dot, loses accuracy with the length."""
    rng = np.random.default_rng(4)
    x, y = rng.random((2, 400_000)).astype(np.float32)
    want = np.asarray(product(x.astype(np.float64), y.astype(np.float64)))
    assert_sum_close(run(product)(x, y), want, want, ulps=4)


@pytest.mark.parametrize("seed", [0, 1])
def test_variance_of_data_far_from_zero_matches_the_float64_value(run, seed):
    """With one running total, var gave 29.7 instead of 15.3 for such data. Two passes need
    the mean's rounding corrected too: for seed 1 float32's nearest mean is 1e7, but a sum
    one ulp off makes it 1e7 + 1, and plain two-pass variance 17.04 instead of 16.03."""
    x = (np.random.default_rng(seed).standard_normal(1_000_000) * 4 + 1e7).astype(np.float32)
    want = np.var(x.astype(np.float64))
    assert float(run(jnp.var)(x)) == pytest.approx(want, rel=1e-5)
    assert float(run(jnp.std)(x)) == pytest.approx(np.sqrt(want), rel=1e-5)


def test_variance_of_equal_values_is_zero(run):
    """The correction never takes the sum of squares below zero."""
    x = np.full((3, 1001), 1e7 + 3, np.float32)
    np.testing.assert_array_equal(run(lambda a: jnp.var(a, axis=1))(x), 0)


def test_cumsum_of_ones_counts_past_2_24(run):
    """A running float32 total of ones stops at 2**24 = 16,777,216."""
    n = 2 ** 24 + 2 ** 20 + 3
    got = np.asarray(run(jnp.cumsum)(np.ones(n, np.float32)))
    at = np.r_[0:n:997, n - 5:n]
    np.testing.assert_array_equal(got[at], (at + 1).astype(np.float32))  # each count, rounded


@pytest.mark.parametrize("axis,reverse", [(0, False), (0, True), (1, False), (1, True)])
def test_long_cumulative_sums(run, uniform, axis, reverse):
    x = uniform[:2 ** 19] if axis == 0 else np.ascontiguousarray(uniform[:2 ** 19].T)
    x64 = x.astype(np.float64)
    flip = (lambda v: np.flip(v, axis)) if reverse else (lambda v: v)
    want = flip(np.cumsum(flip(x64), axis))
    got = run(lambda a: lax.cumsum(a, axis, reverse=reverse))(x)
    assert_sum_close(got, want, want, ulps=8)


def test_cumsum_keeps_infinities_and_nan(run):
    """The compensation term of the blocks' total must not turn inf into NaN."""
    x = np.ones(2000, np.float32)
    x[300], x[1200] = np.inf, -np.inf
    got = np.asarray(run(jnp.cumsum)(x))
    assert np.isfinite(got[:300]).all() and (got[300:1200] == np.inf).all()
    assert np.isnan(got[1200:]).all()


# Sums of more than 2**31 terms, computed in the reduction loops (no input in memory), run
# in native code only: one float32 accumulator per vector lane stops counting at 2**24.
M = 2 ** 30 + 5


def _odd(shape, dimension):
    """1.0 where the index along `dimension` is odd, else 0.0."""
    return (lax.broadcasted_iota(np.int32, shape, dimension) & 1).astype(np.float32)


@pytest.mark.parametrize("f,want", [
    (lambda: jnp.sum(_odd((2, M), 1)), 2 * (M // 2)),
    (lambda: jnp.sum(_odd((2, M), 1), axis=1), [M // 2] * 2),
    (lambda: jnp.sum(_odd((M, 2), 0), axis=0), [M // 2] * 2),
    (lambda: jnp.mean(_odd((2, M), 1)), (M // 2) / M),
], ids=["all", "rows", "columns", "mean"])
def test_sums_of_over_two_billion_terms(f, want):
    np.testing.assert_allclose(fx.jit(f)(), want, rtol=2 * F32.eps)
