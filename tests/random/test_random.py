"""fx.random: JAX's streams (golden values taken from jax 0.10.2), determinism across eager,
jit and vmap, independence of split and fold_in keys, distribution checks (Kolmogorov-
Smirnov on uniform and normal at p = 1e-4, moments for the others; fixed keys make them
deterministic), the shift primitives behind threefry, and errors."""
import math

import numpy as np
import pytest

import fx
import fx.numpy as jnp
import fx.random as random
from tests.api_specs.random import bits_reference

KEY = random.PRNGKey(3)


def ks_statistic(samples, cdf):
    """The Kolmogorov-Smirnov distance between the empirical CDF of `samples` and `cdf`."""
    x = np.sort(np.asarray(samples, np.float64))
    n = len(x)
    f = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


def ks_critical(n, alpha=1e-4):
    """The asymptotic critical distance: P(D > c / sqrt(n)) = 2 exp(-2 c^2) = alpha."""
    return math.sqrt(-math.log(alpha / 2) / 2) / math.sqrt(n)


_erf = np.vectorize(math.erf)


def normal_cdf(x):
    return 0.5 * (1 + _erf(x / math.sqrt(2)))


# ---------------------------------------------------------------------------- JAX's streams

def test_keys_and_bits_match_jax():
    assert random.PRNGKey(0).tolist() == [0, 0]
    assert random.PRNGKey(42).tolist() == [0, 42]
    assert random.PRNGKey(-1).tolist() == [0, 4294967295]
    assert random.PRNGKey(2 ** 32 + 5).tolist() == [0, 5]  # 32-bit seeds without x64, as JAX
    k0 = random.PRNGKey(0)
    assert random.split(k0, 3).tolist() == [[1797259609, 2579123966], [928981903, 3453687069],
                                            [4146024105, 2718843009]]
    assert random.fold_in(k0, 7).tolist() == [2716826189, 292468403]
    assert random.fold_in(KEY, 2 ** 31 + 5).tolist() == [1887271982, 2728263104]
    assert random.bits(k0, (2, 3)).tolist() == [[4070199207, 4202968722, 1427181096],
                                                [2012915765, 2447653815, 710830403]]


def test_samplers_match_jax():
    assert random.uniform(KEY, (4,)).tolist() == [0.07405257225036621, 0.938144326210022,
                                                  0.6489570140838623, 0.9756209850311279]
    assert random.randint(KEY, (6,), -5, 100).tolist() == [40, 29, 20, 99, 26, -3]
    assert random.bernoulli(KEY, 0.3, (8,)).tolist() == [1, 0, 0, 0, 1, 0, 1, 0]
    assert random.permutation(KEY, 10).tolist() == [0, 5, 6, 7, 4, 2, 1, 3, 9, 8]
    assert random.choice(KEY, 7, (5,)).tolist() == [3, 6, 4, 6, 3]
    assert random.choice(KEY, 10, (4,), replace=False).tolist() == [0, 5, 6, 7]
    assert random.choice(KEY, 4, (6,), p=np.array([0.1, 0.2, 0.3, 0.4])).tolist() == [3, 0, 2, 0, 3, 2]
    assert random.choice(KEY, 6, (3,), replace=False,
                         p=np.array([.1, .2, .3, .1, .2, .1])).tolist() == [3, 1, 2]
    x = np.arange(12).reshape(3, 4)
    assert random.permutation(KEY, x, axis=1, independent=True).tolist() == [
        [0, 2, 1, 3], [5, 6, 7, 4], [10, 9, 11, 8]]
    assert random.permutation(KEY, x, independent=True).tolist() == [
        [0, 5, 6, 7], [4, 1, 10, 3], [8, 9, 2, 11]]
    # 2000 elements take two rounds of sort keys
    assert random.permutation(KEY, 2000)[:8].tolist() == [1883, 819, 811, 456, 1123, 377, 1813, 1511]
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    assert random.categorical(KEY, logits, shape=(10,)).tolist() == [3, 3, 2, 2, 2, 3, 3, 3, 3, 3]
    # transcendental functions: fx's own, within a few ulp of XLA's
    np.testing.assert_allclose(random.normal(KEY, (4,)), [-1.4462569952011108, 1.5393810272216797,
                                                          0.38250625133514404, 1.970701813697815], rtol=2e-6)
    np.testing.assert_allclose(random.truncated_normal(KEY, -1.5, 2.0, (4,)),
                               [-1.1066259145736694, 1.4113808870315552, 0.4060453772544861,
                                1.6959692239761353], rtol=2e-6)
    np.testing.assert_allclose(random.gumbel(KEY, (3,)), [-0.9566569328308105, 2.7511956691741943,
                                                          0.8384301662445068], rtol=2e-6)
    np.testing.assert_allclose(random.gamma(KEY, np.array([0.3, 1.0, 2.5, 10.0])),
                               [0.0506771020591259, 0.19266697764396667, 6.683927536010742,
                                6.982831954956055], rtol=2e-6)
    np.testing.assert_allclose(random.loggamma(KEY, np.array([1e-3, 0.3, 4.0])),
                               [-482.3670654296875, -2.195373058319092, 2.200307846069336], rtol=2e-6)
    np.testing.assert_allclose(random.dirichlet(KEY, np.array([0.5, 1.0, 2.0])),
                               [0.021804511547088623, 0.031196990981698036, 0.9469984769821167],
                               rtol=2e-6)


def test_x64_streams_match_jax():
    with fx.config.override("enable_x64", True):
        assert random.PRNGKey(-2 ** 40 - 7).tolist() == [4294967039, 4294967289]
        u = random.uniform(KEY, (3,), dtype=np.float64)
        assert u.dtype == np.float64
        assert u.tolist() == [0.8653929000279257, 0.4532044109693594, 0.2385376809645079]
        assert random.randint(KEY, (3,), -2 ** 63, 2 ** 63 - 1).tolist() == [
            -1802494624579987717, -1710215166975839698, -4229304426182327403]
        np.testing.assert_allclose(random.gamma(KEY, np.array([0.3, 1.0, 2.5, 10.0])),
                                   [0.6273437244454242, 0.26217018881125326, 0.41582191886567255,
                                    10.793795426184662], rtol=1e-13)
        np.testing.assert_allclose(random.dirichlet(KEY, np.array([[0.1, 0.2], [3., 4.]])),
                                   [[0.3423246282586263, 0.6576753717413737],
                                    [0.12601434074440665, 0.8739856592555935]], rtol=1e-13)


# ---------------------------------------------------------------------------- determinism

SAMPLERS = {
    "bits": lambda k: random.bits(k, (3, 5)),
    "uniform": lambda k: random.uniform(k, (7,), minval=-2.0, maxval=3.0),
    "normal": lambda k: random.normal(k, (2, 4)),
    "truncated_normal": lambda k: random.truncated_normal(k, -1.0, 0.5, (6,)),
    "randint": lambda k: random.randint(k, (9,), -4, 1000),
    "bernoulli": lambda k: random.bernoulli(k, 0.25, (5,)),
    "categorical": lambda k: random.categorical(k, jnp.arange(4.0), shape=(3,)),
    "gumbel": lambda k: random.gumbel(k, (4,)),
    "exponential": lambda k: random.exponential(k, (4,)),
    "laplace": lambda k: random.laplace(k, (4,)),
    "logistic": lambda k: random.logistic(k, (4,)),
    "permutation": lambda k: random.permutation(k, 9),
    "permutation_independent": lambda k: random.permutation(k, np.arange(12).reshape(3, 4), 1, True),
    "gamma": lambda k: random.gamma(k, np.array([0.3, 1.0, 4.5]), (2, 3)),
    "dirichlet": lambda k: random.dirichlet(k, np.array([1e-3, 1.0, 2.0]), (2,)),  # log space
    "choice": lambda k: random.choice(k, 5, (3,), replace=False),
    "split": lambda k: random.split(k, 3),
    "fold_in": lambda k: random.fold_in(k, 11),
}


SLOW_SAMPLERS = {"gamma", "dirichlet"}  # rejection loops: seconds to compile under vmap


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_SAMPLERS else n
                                  for n in sorted(SAMPLERS)])
def test_eager_jit_and_vmap_agree(name):
    f = SAMPLERS[name]
    eager = np.asarray(f(KEY))
    np.testing.assert_array_equal(np.asarray(f(KEY)), eager)  # same key, same values
    rtol = 4e-7 if eager.dtype.kind == "f" else 0  # jit's log/exp are fx's own, within an ulp
    np.testing.assert_allclose(fx.jit(f)(KEY), eager, rtol=rtol, atol=rtol)
    keys = random.split(KEY, 3)
    looped = np.stack([np.asarray(f(k)) for k in keys])
    np.testing.assert_array_equal(fx.vmap(f)(keys), looped)
    np.testing.assert_allclose(fx.jit(fx.vmap(f))(keys), looped, rtol=rtol, atol=rtol)


def test_traced_seeds_and_fold_in_data():
    seeds = np.array([0, 7, -3], np.int32)
    expected = np.stack([random.PRNGKey(int(s)) for s in seeds])
    np.testing.assert_array_equal(fx.vmap(random.PRNGKey)(seeds), expected)
    np.testing.assert_array_equal(fx.jit(random.PRNGKey)(np.int32(7)), expected[1])
    folded = fx.jit(fx.vmap(random.fold_in, in_axes=(None, 0)))(KEY, np.arange(3))
    np.testing.assert_array_equal(folded, np.stack([random.fold_in(KEY, i) for i in range(3)]))


def test_split_and_fold_in_give_independent_streams():
    # split(key)[i] is fold_in(key, i) by construction (JAX's too), so fold in other numbers
    np.testing.assert_array_equal(random.split(KEY, 4)[2], random.fold_in(KEY, 2))
    keys = [*random.split(KEY, 4), random.fold_in(KEY, 100), random.fold_in(KEY, 101), KEY]
    assert len({tuple(np.asarray(k).tolist()) for k in keys}) == len(keys)
    n = 20000
    streams = np.stack([np.asarray(random.uniform(k, (n,)), np.float64) for k in keys])
    corr = np.corrcoef(streams)
    off = corr[~np.eye(len(keys), dtype=bool)]
    assert np.max(np.abs(off)) < 5 / math.sqrt(n)
    # neighbouring elements of one stream are uncorrelated too
    s = streams[0]
    assert abs(np.corrcoef(s[:-1], s[1:])[0, 1]) < 5 / math.sqrt(n)


# ---------------------------------------------------------------------------- distributions

N = 50000


def test_uniform_passes_kolmogorov_smirnov_and_stays_in_range():
    u = np.asarray(random.uniform(KEY, (N,)))
    assert u.dtype == np.float32 and u.min() >= 0 and u.max() < 1
    assert ks_statistic(u, lambda x: np.clip(x, 0, 1)) < ks_critical(N)
    v = np.asarray(random.uniform(KEY, (N,), minval=-3.0, maxval=-1.0))
    assert v.min() >= -3 and v.max() < -1
    assert ks_statistic(v, lambda x: np.clip((x + 3) / 2, 0, 1)) < ks_critical(N)


def test_ks_statistic_rejects_a_wrong_distribution():
    u = np.asarray(random.uniform(KEY, (N,)))
    assert ks_statistic(u ** 1.05, lambda x: np.clip(x, 0, 1)) > ks_critical(N)


@pytest.mark.parametrize("x64", [False, True])
def test_normal_passes_kolmogorov_smirnov_with_moments(x64):
    with fx.config.override("enable_x64", x64):
        z = np.asarray(random.normal(random.PRNGKey(11), (N,)))
    assert z.dtype == (np.float64 if x64 else np.float32)
    assert ks_statistic(z, normal_cdf) < ks_critical(N)
    assert abs(z.mean()) < 5 / math.sqrt(N) and abs(z.var() - 1) < 5 * math.sqrt(2 / N)
    assert np.all(np.isfinite(z))


def _check_moments(x, mean, var):
    x = np.asarray(x, np.float64)
    sd = math.sqrt(var)
    assert abs(x.mean() - mean) < 5 * sd / math.sqrt(len(x)), (x.mean(), mean)
    assert abs(x.var() - var) < 0.05 * var, (x.var(), var)


def test_moments_of_the_other_samplers():
    key = random.PRNGKey(5)
    _check_moments(random.gumbel(key, (N,)), 0.5772156649, math.pi ** 2 / 6)
    _check_moments(random.exponential(key, (N,)), 1.0, 1.0)
    _check_moments(random.laplace(key, (N,)), 0.0, 2.0)
    _check_moments(random.logistic(key, (N,)), 0.0, math.pi ** 2 / 3)
    b = np.asarray(random.bernoulli(key, 0.3, (N,)))
    assert b.dtype == np.bool_ and abs(b.mean() - 0.3) < 5 * math.sqrt(0.21 / N)


def test_truncated_normal_stays_inside_its_bounds():
    t = np.asarray(random.truncated_normal(random.PRNGKey(2), -2.0, 2.0, (N,)))
    assert t.min() > -2 and t.max() < 2
    _check_moments(t, 0.0, 0.87962566103423978 ** 2)
    one_sided = np.asarray(random.truncated_normal(random.PRNGKey(2), 1.0, np.inf, (N,)))
    assert one_sided.min() > 1 and np.all(np.isfinite(one_sided))
    # the mean of a normal truncated to (1, inf) is pdf(1) / (1 - cdf(1))
    expected = math.exp(-0.5) / math.sqrt(2 * math.pi) / (1 - normal_cdf(1.0))
    assert abs(one_sided.mean() - expected) < 0.01


def gamma3_cdf(x):
    """P(3, x) = 1 - e^-x (1 + x + x^2 / 2): Gamma(3)'s CDF (an integer shape has a closed form)."""
    return 1 - np.exp(-x) * (1 + x + x * x / 2)


def test_gamma_passes_kolmogorov_smirnov_on_both_branches():
    n = 20000
    # alpha >= 1: Marsaglia-Tsang directly
    g3 = np.asarray(random.gamma(random.PRNGKey(8), 3.0, (n,)))
    assert g3.dtype == np.float32 and g3.min() > 0
    assert ks_statistic(g3, gamma3_cdf) < ks_critical(n)
    # alpha < 1: boosted by u^(1/alpha); Gamma(1/2) is Z^2 / 2, whose CDF is erf(sqrt(x))
    half = np.asarray(random.gamma(random.PRNGKey(9), 0.5, (n,)), np.float64)
    assert ks_statistic(half, lambda x: _erf(np.sqrt(x))) < ks_critical(n)
    assert ks_statistic(half, gamma3_cdf) > ks_critical(n)  # the test can tell them apart


def test_gamma_moments_and_log_space_for_tiny_alpha():
    alpha = np.array([0.2, 1.0, 7.5])
    g = np.asarray(random.gamma(random.PRNGKey(4), alpha, (N // 5, 3)), np.float64)
    for j, a in enumerate(alpha):
        _check_moments(g[:, j], a, a)  # mean and variance are both alpha
    with fx.config.override("enable_x64", True):
        lg = np.asarray(random.loggamma(random.PRNGKey(4), 1e-3, (N // 5,)))
        assert np.all(np.isfinite(lg))  # where gamma itself underflows to 0 ...
        assert np.mean(np.asarray(random.gamma(random.PRNGKey(4), 1e-3, (N // 5,))) == 0) > 0.4
        # ... log(Gamma(a)) for small a is about log(u) / a: its mean is near -1 / a
        assert abs(lg.mean() * 1e-3 + 1) < 0.05
        np.testing.assert_allclose(np.exp(np.asarray(random.loggamma(KEY, alpha))),
                                   random.gamma(KEY, alpha), rtol=1e-12)


def test_dirichlet_lies_on_the_simplex_with_dirichlet_moments():
    alpha = np.array([0.3, 1.0, 2.7])
    d = np.asarray(random.dirichlet(random.PRNGKey(6), alpha, (N // 5,)), np.float64)
    assert d.shape == (N // 5, 3) and d.min() >= 0
    np.testing.assert_allclose(d.sum(-1), 1, rtol=1e-5)
    total = alpha.sum()
    mean = alpha / total
    for j in range(3):
        _check_moments(d[:, j], mean[j], mean[j] * (1 - mean[j]) / (total + 1))
    tiny = np.asarray(random.dirichlet(KEY, np.full(4, 1e-3), (50,)))
    assert np.all(np.isfinite(tiny)) and np.allclose(tiny.sum(-1), 1, rtol=1e-5)


@pytest.mark.parametrize("alpha", [0.3, 2.0, 15.0])
def test_gamma_derivative_in_alpha_is_the_implicit_one(alpha):
    """dx/dalpha holds the draw at its quantile: -(dP/dalpha) / (dP/dx), P = gammainc."""
    import scipy.special
    import scipy.stats
    fx.config.update("enable_x64", True)
    try:
        x = float(random.gamma(KEY, alpha))
        h = 1e-6
        dp_dalpha = (scipy.special.gammainc(alpha + h, x) - scipy.special.gammainc(alpha - h, x)) / (2 * h)
        expected = -dp_dalpha / scipy.stats.gamma.pdf(x, alpha)
        assert np.isclose(fx.grad(lambda a: random.gamma(KEY, a))(alpha), expected, rtol=1e-8)
        # log space: d log x / dalpha
        assert np.isclose(fx.grad(lambda a: random.loggamma(KEY, a))(alpha), expected / x, rtol=1e-8)
    finally:
        fx.config.update("enable_x64", False)
    # a constant alpha leaves other derivatives alone
    assert fx.grad(lambda s: s * random.gamma(KEY, 2.0))(1.0) == random.gamma(KEY, 2.0)


def test_randint_covers_its_range_uniformly():
    r = np.asarray(random.randint(KEY, (N,), -3, 7))
    assert r.dtype == np.int32 and r.min() == -3 and r.max() == 6
    counts = np.bincount(r + 3)
    assert np.all(np.abs(counts - N / 10) < 5 * math.sqrt(N / 10))
    assert np.all(np.asarray(random.randint(KEY, (5,), 4, 2)) == 4)  # empty range: minval
    full = np.asarray(random.randint(KEY, (N,), -2 ** 31, 2 ** 31 - 1))
    assert full.min() < -2 ** 30 and full.max() > 2 ** 30


def test_categorical_frequencies_follow_softmax():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    draws = np.asarray(random.categorical(KEY, np.log(p), shape=(N,)))
    freq = np.bincount(draws, minlength=4) / N
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / N))


def test_permutation_and_choice_without_replacement_are_permutations():
    perm = np.asarray(random.permutation(KEY, 300))
    assert sorted(perm.tolist()) == list(range(300)) and not np.array_equal(perm, np.arange(300))
    x = np.arange(12.0).reshape(4, 3)
    rows = np.asarray(random.permutation(KEY, x))
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, x.tolist()))
    picked = np.asarray(random.choice(KEY, 50, (20,), replace=False))
    assert len(set(picked.tolist())) == 20 and picked.max() < 50
    weighted = np.asarray(random.choice(KEY, 6, (4,), replace=False, p=np.array([0, 1, 1, 1, 1, 0.0])))
    assert sorted(weighted.tolist()) == [1, 2, 3, 4]  # zero-probability items never come up
    assert random.choice(KEY, np.arange(12).reshape(3, 4), (2, 5), axis=1).shape == (3, 2, 5)


def test_bits_of_narrow_and_wide_types():
    for dtype in (np.uint8, np.uint16):  # the low bits of the 32-bit draw, as in JAX
        narrow = random.bits(KEY, (4,), dtype)
        assert narrow.dtype == dtype
        np.testing.assert_array_equal(narrow, bits_reference(KEY, (4,)).astype(dtype))
    with pytest.raises(TypeError, match="x64"):
        random.bits(KEY, (2,), np.uint64)
    with fx.config.override("enable_x64", True):
        wide = random.bits(KEY, (3,), np.uint64)
        assert wide.dtype == np.uint64
        assert np.asarray(wide).tolist() == [
            15963681350020464357, 8360145782228061838, 4400243552688456428]


# ---------------------------------------------------------------------------- shifts

def test_numpy_shifts_follow_numpy():
    x = np.array([-8, 8, 2 ** 30, -1], np.int32)
    u = x.astype(np.uint32)
    s = np.array([1, 3, 2, 31], np.int32)
    for f in (lambda a, b: jnp.right_shift(a, b), fx.jit(jnp.right_shift)):
        np.testing.assert_array_equal(f(x, s), np.right_shift(x, s))      # arithmetic
        np.testing.assert_array_equal(f(u, s.astype(np.uint32)), np.right_shift(u, s.astype(np.uint32)))
    np.testing.assert_array_equal(fx.jit(jnp.left_shift)(u, s.astype(np.uint32)),
                                  np.left_shift(u, s.astype(np.uint32)))
    with pytest.raises(TypeError, match="integer"):
        jnp.right_shift(np.ones(2, np.float32), 1)


def test_shift_amounts_past_the_width_are_defined_under_jit():
    x = np.array([5, -5, 5, -5], np.int32)
    amounts = np.array([32, 32, -1, 100], np.int32)
    for shift, expected in [(fx.lax.shift_left, [0, 0, 0, 0]), (fx.lax.shift_right_logical, [0, 0, 0, 0]),
                            (fx.lax.shift_right_arithmetic, [0, -1, 0, -1])]:
        assert fx.jit(shift)(x, amounts).tolist() == expected
        assert shift(x, amounts).tolist() == expected


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call,error,match", [
    (lambda: random.uniform(np.zeros(2, np.float32), (2,)), TypeError, "uint32\\[2\\]"),
    (lambda: random.uniform(random.split(KEY, 2), (2,)), TypeError, "vmap"),
    (lambda: random.normal(42, (2,)), TypeError, "PRNG key"),
    (lambda: random.uniform(KEY, (2,), dtype=np.int32), TypeError, "floating"),
    (lambda: random.randint(KEY, (2,), 0, 5, dtype=np.float32), TypeError, "integer"),
    (lambda: random.uniform(KEY, (2,), minval=np.zeros(3)), ValueError, "broadcast"),
    (lambda: random.normal(KEY, (-1,)), ValueError, "non-negative"),
    (lambda: random.PRNGKey(1.5), TypeError, "integer"),
    (lambda: random.PRNGKey(np.zeros(2, np.int32)), TypeError, "scalar"),
    (lambda: random.bernoulli(KEY, np.array([1, 0])), TypeError, "floating"),
    (lambda: random.choice(KEY, 3, (5,), replace=False), ValueError, "without replacement"),
    (lambda: random.choice(KEY, 3, (2,), p=np.ones(4) / 4), ValueError, "probabilities"),
    (lambda: random.fold_in(KEY, np.ones(2, np.int32)), TypeError, "scalar"),
    (lambda: random.bits(KEY, (2,), np.int32), TypeError, "unsigned"),
    (lambda: random.gamma(KEY, 1.0, (2,), np.int32), TypeError, "floating"),
    (lambda: random.gamma(KEY, np.ones(3), (2,)), ValueError, "broadcast"),
    (lambda: random.dirichlet(KEY, 1.0), ValueError, "at least one dimension"),
    (lambda: random.dirichlet(KEY, np.ones((2, 3)), (4,)), ValueError, "broadcast"),
])
def test_bad_input_raises_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
