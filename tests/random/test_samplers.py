"""fx.random's other samplers (beta ... multinomial): JAX's values for a fixed key (golden
values taken from jax 0.10.2, float32 and float64), the distributions (Kolmogorov-Smirnov
against scipy.stats, or frequencies and moments; fixed keys make every check
deterministic, and the thresholds leave a wide margin), eager, jit and vmap agreeing,
gradients through the reparameterised samplers, the raw-key helpers, and errors."""
import math

import numpy as np
import pytest
from scipy import stats

import fx
import fx.numpy as jnp
import fx.random as random

KEY = random.PRNGKey(3)
COV = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 0.7]])
A = np.array([0.3, 1.0, 2.5, 10.0])
T_DF = np.array([1.0, 2.5, 30.0])
WALD_MEANS = np.array([0.5, 1.0, 3.0, 10.0])
LAMS = np.array([0.5, 3.0, 9.9, 10.0, 25.0, 1000.0])  # both Poisson algorithms
COUNTS, PROBS = np.array([5.0, 20.0, 100.0, 1000.0, 30.0]), np.array([0.3, 0.5, 0.2, 0.9, 0.99])
GEOMETRIC_P = np.array([0.1, 0.5, 0.9, 0.01])
MEAN3 = np.array([1.0, -1.0, 0.0])

CALLS = {
    "beta": lambda k: random.beta(k, A, 2.0),
    "cauchy": lambda k: random.cauchy(k, (4,)),
    "chisquare": lambda k: random.chisquare(k, np.array([0.5, 3.0, 10.0])),
    "f": lambda k: random.f(k, np.array([1.0, 5.0]), 3.0),
    "geometric": lambda k: random.geometric(k, GEOMETRIC_P),
    "lognormal": lambda k: random.lognormal(k, 0.5, (4,)),
    "multivariate_normal": lambda k: random.multivariate_normal(k, MEAN3, COV, (2,)),
    "pareto": lambda k: random.pareto(k, 3.0, (4,)),
    "poisson": lambda k: random.poisson(k, LAMS),
    "rademacher": lambda k: random.rademacher(k, (8,)),
    "rayleigh": lambda k: random.rayleigh(k, 2.0, (4,)),
    "t": lambda k: random.t(k, T_DF),
    "triangular": lambda k: random.triangular(k, -1.0, 0.5, 2.0, (5,)),
    "wald": lambda k: random.wald(k, WALD_MEANS),
    "weibull_min": lambda k: random.weibull_min(k, 2.0, 1.5, (4,)),
    "maxwell": lambda k: random.maxwell(k, (4,)),
    "double_sided_maxwell": lambda k: random.double_sided_maxwell(k, 1.0, 2.0, (4,)),
    "binomial": lambda k: random.binomial(k, COUNTS, PROBS),
    "orthogonal": lambda k: random.orthogonal(k, 3),
    "ball": lambda k: random.ball(k, 3, shape=(2,)),
    "generalized_normal": lambda k: random.generalized_normal(k, 1.5, (4,)),
    "multinomial": lambda k: random.multinomial(k, 20.0, np.array([0.2, 0.3, 0.5])),
}

JAX_FLOAT32 = {
    "beta": [0.0002805416297633201, 0.34802481532096863, 0.5714817643165588, 0.6539204716682434],
    "cauchy": [-4.2205963134765625, 5.081071853637695, 0.5054053068161011, 13.031174659729004],
    "chisquare": [0.06663403660058975, 0.9603685736656189, 21.00743865966797],
    "f": [6.536684989929199, 0.9119493365287781],
    "geometric": [25, 1, 1, 3],
    "lognormal": [0.48523184657096863, 2.159097909927368, 1.2107658386230469, 2.6787517070770264],
    "multivariate_normal": [[-1.045316219329834, -0.07136988639831543, 0.4964755177497864],
                            [3.7869932651519775, -0.8529642224311829, 0.1995372176170349]],
    "pareto": [1.025977611541748, 2.5285611152648926, 1.417576789855957, 3.448746681213379],
    "poisson": [0, 4, 13, 8, 29, 961],
    "rademacher": [1, -1, -1, -1, 1, -1, 1, 1],
    "rayleigh": [4.563314437866211, 0.7147110104560852, 1.8598682880401611, 0.4443521201610565],
    "t": [-2.3484947681427, -1.744295597076416, -0.4991062879562378],
    "triangular": [-0.4227335453033447, 1.4724106788635254, 0.7431414127349854, 1.6687817573547363,
                   0.11924076080322266],
    "wald": [0.10842704772949219, 0.21284961700439453, 1.3116503953933716, 0.8939180374145508],
    "weibull_min": [0.3617900013923645, 3.9570093154907227, 2.0619843006134033, 4.796529769897461],
    "maxwell": [2.1465470790863037, 2.0670928955078125, 1.5122445821762085, 1.6472820043563843],
    "double_sided_maxwell": [6.935983657836914, -1.9695570468902588, 7.647068977355957, -5.1548542976379395],
    "binomial": [0.0, 11.0, 15.0, 906.0, 30.0],
    "orthogonal": [[-0.527179479598999, 0.7591920495033264, -0.38171905279159546],
                   [0.7183464765548706, 0.15819141268730164, -0.6774613261222839],
                   [-0.45393848419189453, -0.6313502192497253, -0.6287581324577332]],
    "ball": [[0.6855275630950928, 0.5922616124153137, 0.4016343355178833],
             [0.2726835012435913, -0.8189635872840881, 0.1326536387205124]],
    "generalized_normal": [0.08286304026842117, -0.9900006651878357, 0.7537884712219238, -0.8563817143440247],
    "multinomial": [4.0, 4.0, 12.0],
}

JAX_FLOAT64 = {
    "beta": [0.47596031661612387, 0.48639670435837296, 0.71985331536458, 0.7693635968009158],
    "cauchy": [2.2220633813529935, -0.14808103066851114, -1.07474370041384, -1.3385417960700683],
    "t": [-1.3480521783197896, -0.28549730291107306, -0.0007479300474543178],
    "wald": [0.25807940813270136, 0.6555666259656242, 2.995905541858982, 1.7698185983762684],
    "poisson": [0, 4, 13, 8, 29, 961],  # drawn in float32 whatever x64 says, as in JAX
    "binomial": [1.0, 8.0, 17.0, 906.0, 29.0],
    "geometric": [2, 2, 1, 159],
    "multivariate_normal": [[2.562527762675809, -0.7193441983243638, -0.5214996039899059],
                            [-0.168961497465409, -1.7366144247835433, 0.003787836242213137]],
    "generalized_normal": [1.9386508550868953, 0.9310492947597211, 0.798948005253741, 0.2602636738967216],
}

# Within a few ulp of JAX's (fx's own log, exp, tan, pow); QR's rounding differs more.
RTOL = {"orthogonal": 1e-5}


def _check_matches(got, expected, dtype, rtol):
    got = np.asarray(got)
    expected = np.asarray(expected)
    if expected.dtype.kind == "i":
        assert got.dtype.kind == "i"
        np.testing.assert_array_equal(got, expected)
    else:
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("name", sorted(JAX_FLOAT32))
def test_float32_values_match_jax(name):
    _check_matches(CALLS[name](KEY), JAX_FLOAT32[name], np.float32, RTOL.get(name, 2e-6))


@pytest.mark.parametrize("name", sorted(JAX_FLOAT64))
def test_float64_values_match_jax(name):
    with fx.config.override("enable_x64", True):
        got = CALLS[name](KEY)
    _check_matches(got, JAX_FLOAT64[name], np.float64, 1e-13)


def test_values_cover_every_sampler():
    assert set(JAX_FLOAT32) == set(CALLS)
    missing = {"beta", "binomial", "cauchy", "chisquare", "f", "geometric", "lognormal", "maxwell",
               "double_sided_maxwell", "multivariate_normal", "pareto", "poisson", "rademacher",
               "rayleigh", "t", "triangular", "wald", "weibull_min", "orthogonal", "ball",
               "generalized_normal", "multinomial", "clone", "key_impl", "wrap_key_data"}
    assert all(hasattr(random, name) for name in missing)


def test_more_shapes_and_dtypes_match_jax():
    # the non-vectorised branches: log space for tiny beta parameters; inverse-CDF extremes
    np.testing.assert_allclose(random.beta(KEY, np.array([1e-3, 0.05]), np.array([0.02, 3.0])),
                               [0.0, 5.854200207977556e-05], rtol=1e-5, atol=1e-30)
    assert random.geometric(KEY, np.array([0.0, 1.0, 1e-6])).tolist() == [2147483647, 1, 432389]  # p = 0: the int32 maximum
    assert random.poisson(KEY, np.array([np.inf, np.nan, -1.0, 0.0])).tolist() == [0, -1, -1, 0]
    edge = random.binomial(KEY, np.array([np.nan, -1, np.inf, 5, 7.5, 5.0]),
                           np.array([0.5, 0.5, 0.5, np.nan, 0.7, 1.0]))
    np.testing.assert_array_equal(edge, [np.nan, np.nan, np.inf, np.nan, 3.0, 5.0])
    batch = random.multinomial(KEY, np.array([10.0, 20.0]), np.array([[0.5, 0.5], [0.1, 0.9]]))
    assert batch.tolist() == [[5.0, 5.0], [2.0, 18.0]]
    assert random.rademacher(KEY, (3,), np.uint8).tolist() == [1, 255, 255]
    # double_sided_maxwell appends the parameters' shape to `shape` (twice if shape is ())
    assert random.double_sided_maxwell(KEY, np.zeros(2), 1.0).shape == (2, 2)
    assert random.weibull_min(KEY, np.array([1.0, 2.0]), np.array([[1.0], [3.0]])).shape == (2, 2)
    assert random.orthogonal(KEY, 2, (3,), m=4).shape == (3, 2, 4)
    z = random.lognormal(KEY, 0.5, (2,), np.complex64)
    assert z.dtype == np.complex64
    np.testing.assert_allclose(z, [0.333478718996048 - 0.2735724449157715j,
                                   0.5466712117195129 + 0.020267868414521217j], rtol=2e-6)


# ---------------------------------------------------------------------------- distributions

N = 10000


def _ks_passes(samples, cdf):
    """Kolmogorov-Smirnov at a level no fixed-key draw that is right comes near."""
    return stats.kstest(np.asarray(samples, np.float64).ravel(), cdf).pvalue > 1e-3


CONTINUOUS = {
    "beta": (lambda k: random.beta(k, 0.7, 2.5, (N,)), stats.beta(0.7, 2.5)),
    "beta_small": (lambda k: random.beta(k, 0.05, 0.2, (N,)), stats.beta(0.05, 0.2)),
    "cauchy": (lambda k: random.cauchy(k, (N,)), stats.cauchy()),
    "chisquare": (lambda k: random.chisquare(k, 3.5, (N,)), stats.chi2(3.5)),
    "f": (lambda k: random.f(k, 4.0, 7.0, (N,)), stats.f(4.0, 7.0)),
    "lognormal": (lambda k: random.lognormal(k, 0.7, (N,)), stats.lognorm(0.7)),
    "pareto": (lambda k: random.pareto(k, 2.5, (N,)), stats.pareto(2.5)),
    "rayleigh": (lambda k: random.rayleigh(k, 1.5, (N,)), stats.rayleigh(scale=1.5)),
    "t": (lambda k: random.t(k, 2.5, (N,)), stats.t(2.5)),
    "triangular": (lambda k: random.triangular(k, -1.0, 0.5, 2.0, (N,)), stats.triang(0.5, -1.0, 3.0)),
    "wald": (lambda k: random.wald(k, 2.0, (N,)), stats.invgauss(2.0)),
    "weibull_min": (lambda k: random.weibull_min(k, 2.0, 1.5, (N,)), stats.weibull_min(1.5, scale=2.0)),
    "maxwell": (lambda k: random.maxwell(k, (N,)), stats.maxwell()),
    "generalized_normal": (lambda k: random.generalized_normal(k, 1.5, (N,)), stats.gennorm(1.5)),
}


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_samplers_pass_kolmogorov_smirnov(name):
    draw, dist = CONTINUOUS[name]
    samples = np.asarray(draw(random.PRNGKey(7)))
    assert np.all(np.isfinite(samples))
    assert _ks_passes(samples, dist.cdf)
    assert not _ks_passes(samples * 1.1 + 0.05, dist.cdf)  # and the check can tell


def test_double_sided_maxwell_is_a_signed_shifted_maxwell():
    x = np.asarray(random.double_sided_maxwell(random.PRNGKey(7), 1.0, 2.0, (N,)), np.float64)
    assert _ks_passes(np.abs(x - 1.0) / 2.0, stats.maxwell.cdf)
    assert abs(np.mean(x > 1.0) - 0.5) < 5 * math.sqrt(0.25 / N)


def _check_frequencies(samples, pmf, support):
    samples = np.asarray(samples)
    for k in support:
        p = pmf(k)
        assert abs(np.mean(samples == k) - p) < 5 * math.sqrt(p * (1 - p) / samples.size) + 1e-3, k


@pytest.mark.parametrize("lam", [3.5, 40.0])  # Knuth's method, then transformed rejection
def test_poisson_frequencies(lam):
    draws = random.poisson(random.PRNGKey(7), lam, (N,))
    assert draws.dtype == np.int32
    _check_frequencies(draws, stats.poisson(lam).pmf, range(int(lam + 4 * math.sqrt(lam))))


@pytest.mark.parametrize("n,p", [(12.0, 0.3), (200.0, 0.4), (60.0, 0.85)])  # inversion, BTRS, 1 - p
def test_binomial_frequencies(n, p):
    draws = random.binomial(random.PRNGKey(7), n, p, (N,))
    assert draws.dtype == np.float32
    _check_frequencies(draws, stats.binom(n, p).pmf, range(int(n) + 1))


def test_geometric_and_rademacher_frequencies():
    _check_frequencies(random.geometric(random.PRNGKey(7), 0.3, (N,)), stats.geom(0.3).pmf, range(1, 15))
    signs = np.asarray(random.rademacher(random.PRNGKey(7), (N,)))
    assert set(signs.tolist()) == {-1, 1} and abs(signs.mean()) < 5 / math.sqrt(N)


def test_multinomial_counts_sum_to_n_with_multinomial_moments():
    p = np.array([0.1, 0.6, 0.3])
    counts = np.asarray(random.multinomial(random.PRNGKey(7), 15.0, p, shape=(2000, 3)), np.float64)
    np.testing.assert_array_equal(counts.sum(-1), 15.0)
    assert np.all(np.abs(counts.mean(0) - 15 * p) < 5 * np.sqrt(15 * p * (1 - p) / 2000))
    np.testing.assert_allclose(np.cov(counts.T), 15 * (np.diag(p) - np.outer(p, p)), atol=0.3)


@pytest.mark.parametrize("method", ["cholesky", "eigh", "svd"])
def test_multivariate_normal_moments(method):
    x = np.asarray(random.multivariate_normal(random.PRNGKey(7), MEAN3, COV, (N,), method=method),
                   np.float64)
    assert x.shape == (N, 3)
    assert np.all(np.abs(x.mean(0) - MEAN3) < 5 * np.sqrt(np.diag(COV) / N))
    np.testing.assert_allclose(np.cov(x.T), COV, atol=0.08)


def test_multivariate_normal_with_a_singular_covariance():
    # "svd" (eigh's rounding can make a zero eigenvalue negative, and its root NaN, as in JAX)
    v = np.array([1.0, 2.0, -1.0])
    x = np.asarray(random.multivariate_normal(random.PRNGKey(7), np.zeros(3), np.outer(v, v), (500,),
                                              method="svd"), np.float64)
    np.testing.assert_allclose(np.cross(x, v), 0, atol=1e-4)  # every draw lies on the line of v
    assert abs(np.std(x @ v / (v @ v)) - 1) < 0.1


def test_orthogonal_matrices_are_orthogonal_and_haar():
    q = np.asarray(random.orthogonal(random.PRNGKey(7), 4, (2000,)), np.float64)
    np.testing.assert_allclose(q @ np.swapaxes(q, -1, -2), np.broadcast_to(np.eye(4), q.shape), atol=1e-5)
    det = np.linalg.det(q)
    assert abs(np.mean(det > 0) - 0.5) < 0.05  # both components of O(4)
    # Haar: each entry has mean 0 and variance 1/n
    assert np.all(np.abs(q.mean(0)) < 5 * math.sqrt(0.25 / 2000))
    np.testing.assert_allclose(np.mean(q ** 2, axis=0), 0.25, atol=0.02)
    wide = np.asarray(random.orthogonal(KEY, 2, m=5))
    np.testing.assert_allclose(wide @ wide.T, np.eye(2), atol=1e-6)


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_ball_is_uniform_in_the_ball(p):
    d = 3
    x = np.asarray(random.ball(random.PRNGKey(7), d, p, (N,)), np.float64)
    radius = np.sum(np.abs(x) ** p, -1) ** (1 / p)
    assert radius.max() < 1
    assert _ks_passes(radius ** d, stats.uniform.cdf)  # the volume below radius r is r^d


# ---------------------------------------------------------------------------- eager, jit, vmap

def _group(names):
    """The named samplers as one function (one compilation), each on its own key. (With one
    key for all, jit currently merges the same computation done at two sizes, e.g. the
    threefry hashes of a (4,) and an (8,) draw: a lowering bug outside fx.random.)"""
    return lambda k: {name: CALLS[name](random.fold_in(k, i)) for i, name in enumerate(names)}


GROUPS = {
    "transforms": ["cauchy", "geometric", "lognormal", "multivariate_normal", "pareto", "rademacher",
                   "rayleigh", "triangular", "wald", "weibull_min", "maxwell", "double_sided_maxwell",
                   "orthogonal"],
    "counts": ["poisson", "binomial", "multinomial"],
    "gamma": ["beta", "chisquare", "f", "t", "ball", "generalized_normal"],
}


# rejection loops and gamma draws take seconds to compile: those groups are marked slow
@pytest.mark.parametrize("group", [pytest.param(g, marks=pytest.mark.slow) if g != "transforms" else g
                                   for g in GROUPS])
def test_eager_jit_and_vmap_agree(group):
    f = _group(GROUPS[group])
    eager = {k: np.asarray(v) for k, v in f(KEY).items()}
    jitted = fx.jit(f)(KEY)
    keys = random.split(KEY, 3)
    looped = [f(k) for k in keys]
    mapped = fx.vmap(f)(keys)
    for name in eager:
        # jit's transcendental functions are fx's own, within an ulp or two of NumPy's
        np.testing.assert_allclose(jitted[name], eager[name], rtol=2e-6, atol=1e-6)
        np.testing.assert_array_equal(mapped[name], np.stack([np.asarray(x[name]) for x in looped]))


@pytest.mark.slow
def test_jit_of_vmap_over_keys_agrees():
    f = _group(GROUPS["transforms"] + GROUPS["counts"])
    keys = random.split(KEY, 3)
    looped = [f(k) for k in keys]
    mapped = fx.jit(fx.vmap(f))(keys)
    for name in mapped:
        np.testing.assert_allclose(mapped[name], np.stack([np.asarray(x[name]) for x in looped]),
                                   rtol=2e-6, atol=1e-6)


# ---------------------------------------------------------------------------- gradients

GRADIENTS = {  # d/ds of the sum of the draws at s = 1.5, from jax.grad
    "lognormal": (lambda s: random.lognormal(KEY, s, (3,)), 16.007675170898438),
    "pareto": (lambda s: random.pareto(KEY, s, (3,)), -8.87901782989502),
    "rayleigh": (lambda s: random.rayleigh(KEY, s, (3,)), 3.5689468383789062),
    "wald": (lambda s: random.wald(KEY, s, (3,)), 0.45500829815864563),
    "triangular": (lambda s: random.triangular(KEY, -1.0, s, 2.0, (3,)), 0.8948870897293091),
    "weibull_min": (lambda s: random.weibull_min(KEY, 2.0, s, (3,)), -1.4295756816864014),
    "multivariate_normal": (lambda s: random.multivariate_normal(
        KEY, np.zeros(2), s * np.array([[2.0, 0.3], [0.3, 1.0]])), -0.3460995554924011),
}


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_gradients_through_the_parameters_match_jax(name):
    draw, expected = GRADIENTS[name]
    np.testing.assert_allclose(fx.grad(lambda s: draw(s).sum())(1.5), expected, rtol=2e-6)


def test_gamma_based_samplers_differentiate_as_jax():
    """Through fx.random.gamma's implicit reparameterisation gradient; JAX's value (x64)."""
    fx.config.update("enable_x64", True)
    try:
        assert np.isclose(fx.grad(lambda a: random.beta(random.PRNGKey(0), a, 2.0))(1.5),
                          0.15449050654308422, rtol=1e-10)
    finally:
        fx.config.update("enable_x64", False)


# ---------------------------------------------------------------------------- key helpers

def test_raw_key_helpers():
    keys = random.split(KEY, 3)
    assert random.key_impl(KEY) == "threefry2x32" == random.key_impl(keys)
    np.testing.assert_array_equal(random.key_data(keys), keys)
    np.testing.assert_array_equal(random.clone(KEY), KEY)
    with pytest.raises(ValueError, match="threefry2x32"):
        random.wrap_key_data(np.asarray(KEY), impl="rbg")
    with pytest.raises(TypeError, match="uint32"):
        random.wrap_key_data(np.zeros(3, np.uint32))


# ---------------------------------------------------------------------------- typed keys
# JAX 0.10.2's values: split(key(0), 3) and the draws below.
SPLIT3 = [[1797259609, 2579123966], [928981903, 3453687069], [4146024105, 2718843009]]


def test_typed_key_is_an_array_of_keys():
    key = random.key(0)
    assert (key.shape, key.ndim, key.size, key.itemsize, str(key.dtype)) == ((), 0, 1, 8, "key<fry>")
    assert repr(key) == "Array((), dtype=key<fry>) overlaying:\n[0 0]"
    assert key.dtype == random.key_dtype() and random.key_impl(key) == "threefry2x32"
    assert jnp.issubdtype(key.dtype, fx.dtypes.prng_key) and jnp.issubdtype(key.dtype, fx.dtypes.extended)
    assert not jnp.issubdtype(key.dtype, jnp.floating) and not jnp.issubdtype(jnp.float32, fx.dtypes.prng_key)
    keys = random.split(key, 3)
    assert isinstance(keys, random.PRNGKeyArray) and keys.shape == (3,) and len(keys) == 3
    np.testing.assert_array_equal(random.key_data(keys), SPLIT3)
    assert keys[0].shape == () and keys[1:].shape == (2,) and keys.reshape(3, 1).shape == (3, 1)
    assert keys.reshape(3, 1).T.shape == (1, 3) and keys[..., None].shape == (3, 1)
    np.testing.assert_array_equal(keys == keys[1], [False, True, False])
    np.testing.assert_array_equal(keys != keys[1], [True, False, True])
    first, second = random.split(key)
    assert isinstance(first, random.PRNGKeyArray) and first.shape == ()


def test_typed_keys_draw_the_legacy_streams():
    key = random.key(0)
    np.testing.assert_array_equal(random.normal(key, (4,)), random.normal(random.PRNGKey(0), (4,)))
    np.testing.assert_array_equal(random.key_data(random.key(7)), random.PRNGKey(7))
    folded = random.fold_in(random.key(0), 3)
    assert isinstance(folded, random.PRNGKeyArray)
    np.testing.assert_array_equal(random.key_data(folded), [2467461003, 3840466878])
    data = np.asarray(SPLIT3, np.uint32)
    wrapped = random.wrap_key_data(data, impl="threefry2x32")
    assert wrapped.shape == (3,) and isinstance(random.clone(wrapped), random.PRNGKeyArray)
    np.testing.assert_array_equal(random.key_data(wrapped), data)


def test_typed_keys_pass_through_transforms():
    keys = random.split(random.key(0), 3)
    np.testing.assert_allclose(fx.vmap(lambda k: random.normal(k, (2,)))(keys),
                               [[1.0040143, -0.9063372], [-2.4424558, -2.0356805],
                                [1.2956359, 1.3550105]], rtol=1e-6)
    jitted = fx.jit(lambda k: random.split(k))(random.key(0))
    assert isinstance(jitted, random.PRNGKeyArray)
    np.testing.assert_array_equal(random.key_data(jitted), SPLIT3[:2])

    def step(carry, _):
        carry, sub = random.split(carry)
        return carry, random.uniform(sub)
    final, draws = fx.lax.scan(step, random.key(0), None, length=3)
    np.testing.assert_array_equal(random.key_data(final), [683029726, 1624662641])
    np.testing.assert_allclose(draws, [0.00729382, 0.10429037, 0.08260381], rtol=1e-6)
    assert fx.eval_shape(lambda k: random.split(k), random.key(0)).shape == (2,)
    grad = fx.grad(lambda x, k: (x * random.normal(k, (3,))).sum())(1.0, random.key(0))
    assert np.isclose(grad, 3.2143123, rtol=1e-6)


def test_typed_key_errors():
    keys = random.split(random.key(0), 3)
    with pytest.raises(ValueError, match=r"normal accepts a single key.*\(3,\).*vmap"):
        random.normal(keys, (2,))
    with pytest.raises(TypeError, match="no numeric value.*key_data"):
        jnp.add(random.key(0), 1)
    with pytest.raises(TypeError, match="shape \\(\\)"):
        len(random.key(0))
    with pytest.raises(ValueError, match="threefry2x32.*rbg"):
        random.key(0, impl="rbg")


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call,error,match", [
    (lambda: random.beta(KEY, 1.0, 2.0, dtype=np.int32), ValueError, "float dtype"),
    (lambda: random.beta(KEY, np.ones(3), 2.0, (2,)), ValueError, "broadcast"),
    (lambda: random.beta(KEY, np.ones(3), np.ones(2)), ValueError, "broadcast"),
    (lambda: random.beta(KEY, 1j, 2.0), ValueError, "safely cast"),
    (lambda: random.cauchy(KEY, (-1,)), ValueError, "non-negative"),
    (lambda: random.cauchy(np.zeros(2, np.float32)), TypeError, "uint32\\[2\\]"),
    (lambda: random.t(random.split(KEY), 3.0), TypeError, "vmap"),
    (lambda: random.pareto(KEY, [1.0, 2.0]), TypeError, "list"),
    (lambda: random.geometric(KEY, 0.5, dtype=np.float32), ValueError, "int dtype"),
    (lambda: random.poisson(KEY, 3.0, dtype=np.float32), ValueError, "int dtype"),
    (lambda: random.poisson(KEY, np.ones(3), (2,)), ValueError, "broadcast"),
    (lambda: random.binomial(KEY, 3.0, 0.5, dtype=np.int32), ValueError, "float dtype"),
    (lambda: random.lognormal(KEY, dtype=np.int32), ValueError, "float or complex"),
    (lambda: random.rayleigh(KEY, 1j), ValueError, "safely cast"),
    (lambda: random.triangular(KEY, 0.0, np.ones(3), 2.0, (4,)), ValueError, "broadcast"),
    (lambda: random.weibull_min(KEY, np.ones(3), 1.0, (2,)), ValueError, "broadcast"),
    (lambda: random.multivariate_normal(KEY, np.zeros(2), np.eye(2), method="qr"), ValueError, "method"),
    (lambda: random.multivariate_normal(KEY, 0.0, np.eye(2)), ValueError, "at least one dimension"),
    (lambda: random.multivariate_normal(KEY, np.zeros(2), np.eye(3)), ValueError, "\\(\\.\\.\\., 2, 2\\)"),
    (lambda: random.multivariate_normal(KEY, np.zeros((3, 2)), np.eye(2), (2,)), ValueError, "broadcast"),
    (lambda: random.orthogonal(KEY, 2.5), TypeError, "integer"),
    (lambda: random.orthogonal(KEY, -1), ValueError, ">= 0"),
    (lambda: random.ball(KEY, 2.0), TypeError, "integer"),
    (lambda: random.multinomial(KEY, 3.0, 0.5), ValueError, "at least one dimension"),
    (lambda: random.key_impl(np.zeros(3, np.uint32)), TypeError, "uint32\\[\\.\\.\\., 2\\]"),
])
def test_bad_input_raises_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
