"""fx.scipy.stats against scipy.stats: every distribution's functions on arguments inside
the support and away from its edges (so that finite differences are meaningful), one spec
per distribution returning all its functions at once (values, jit, gradients w.r.t. the
argument and every parameter, vmap); then the multivariate and discrete distributions and
sem, mode, rankdata."""
import numpy as np
import scipy.stats as ss

import fx.scipy.stats as fs
from tests.api_specs import Spec, draws, normal, positive, uniform

N = 5
QUANTILES = ("ppf", "isf")


def _all(module, names):
    """fn(x, q, *params): the tuple of module.<name>(x or q, *params) over names (q for the
    quantile functions)."""
    return lambda x, q, *params: tuple(getattr(module, n)(q if n in QUANTILES else x, *params)
                                       for n in names)


def family(name, names, args, grad=1, rtol=1e-10, atol=1e-12, dist=None):
    """One spec for the functions `names` of fs.<dist> against ss.<dist> (dist: the name)."""
    dist = dist or name
    return Spec(f"stats_{name}", _all(getattr(fs, dist), names), _all(getattr(ss, dist), names),
                args, grad=grad, rtol=rtol, atol=atol)


ALL8 = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")
EXPON = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf")
q = uniform(N, low=0.02, high=0.98)
loc = normal(N)
scale = positive(N, low=0.5, high=2.5)


def _shifted(low, high):
    """(x, q, loc, scale) with x in loc + scale * [low, high]."""
    def draw(rng):
        loc_, scale_ = rng.standard_normal(N), rng.uniform(0.5, 2.5, N)
        return (loc_ + scale_ * rng.uniform(low, high, N), rng.uniform(0.02, 0.98, N), loc_, scale_)
    return draw


def _shifted_shape(low, high, shape_low, shape_high, shapes=1, loc_scale=True):
    """(x, q, *shape parameters, loc, scale) with x in loc + scale * [low, high]."""
    def draw(rng):
        loc_, scale_ = rng.standard_normal(N), rng.uniform(0.5, 2.5, N)
        params = tuple(rng.uniform(shape_low, shape_high, N) for _ in range(shapes))
        z = rng.uniform(low, high, N)
        if not loc_scale:
            return (z, rng.uniform(0.02, 0.98, N), *params)
        return (loc_ + scale_ * z, rng.uniform(0.02, 0.98, N), *params, loc_, scale_)
    return draw


def _truncnorm_args(rng):
    """Intervals [a, b] left of, around and right of 0, x inside them."""
    a = np.array([-3.0, -1.5, 0.5, 2.0, -0.7])
    b = a + rng.uniform(0.5, 3.0, N)
    loc_, scale_ = loc(rng), scale(rng)
    return (loc_ + scale_ * rng.uniform(a + 0.05, b - 0.05), q(rng), a, b, loc_, scale_)


def _discrete(k_high, *params, k_low=0):
    """(k, *params, loc): integer k - loc in [k_low, k_high), loc an integer."""
    def draw(rng):
        loc_ = rng.integers(-2, 3, N).astype(np.float64)
        return (loc_ + rng.integers(k_low, k_high, N), *(p(rng) for p in params), loc_)
    return draw


def _spd(rng):
    a = rng.standard_normal((3, 3))
    return a @ a.T + np.eye(3)


def _counts(rng):
    p = rng.uniform(0.2, 1.0, 3)
    return rng.multinomial(6, p / p.sum()), np.array(6), p / p.sum()


def _simplex(rng):
    alpha = rng.uniform(0.5, 3.0, 3)
    return rng.dirichlet(alpha, 4).T, alpha


def _ties(rng):
    return (rng.integers(0, 4, (4, 6)).astype(np.float64),)


SPECS = [
    family("norm", ALL8, draws(normal(N), q, loc, scale), grad=2),
    family("cauchy", ALL8, draws(lambda rng: rng.standard_normal(N) * 5, q, loc, scale), grad=2),
    family("expon", EXPON, _shifted(0.05, 6.0), grad=2),
    family("laplace", ("logpdf", "pdf", "cdf"), draws(normal(N), q, loc, scale)),
    family("logistic", ("logpdf", "pdf", "cdf", "sf", "ppf", "isf"), draws(normal(N), q, loc, scale), grad=2),
    family("gumbel_l", EXPON + ("logsf",), draws(normal(N), q, loc, scale), grad=2),
    family("gumbel_r", EXPON + ("logsf",), draws(normal(N), q, loc, scale), grad=2),
    family("pareto", EXPON, _shifted_shape(1.05, 8.0, 0.5, 4.0)),
    family("uniform", ("logpdf", "pdf", "cdf", "ppf"), _shifted(0.05, 0.95)),
    family("t", ("logpdf", "pdf"), _shifted_shape(-4.0, 4.0, 0.5, 30.0), grad=2),
    family("truncnorm", ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"), _truncnorm_args, rtol=1e-9),
    family("vonmises", ("logpdf", "pdf"), _shifted_shape(-3.0, 3.0, 0.1, 40.0, loc_scale=False), grad=2),
    family("wrapcauchy", ("logpdf", "pdf"), _shifted_shape(0.05, 6.2, 0.05, 0.95, loc_scale=False)),
    family("gennorm", ("logpdf", "pdf", "cdf"), _shifted_shape(0.1, 3.0, 0.5, 4.0, loc_scale=False), rtol=1e-9),
    family("gennorm_negative", ("logpdf", "pdf", "cdf"), _shifted_shape(-3.0, -0.1, 0.5, 4.0, loc_scale=False),
           rtol=1e-9, dist="gennorm"),
    family("beta", ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"), _shifted_shape(0.05, 0.95, 0.6, 6.0, shapes=2),
           rtol=1e-9),
    family("gamma", ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"), _shifted_shape(0.05, 8.0, 0.6, 6.0),
           rtol=1e-9),
    family("chi2", ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"), _shifted_shape(0.05, 12.0, 1.0, 8.0),
           rtol=1e-9),
    Spec("stats_multivariate_normal", fs.multivariate_normal.logpdf, ss.multivariate_normal.logpdf,
         draws(normal(4, 3), normal(3), _spd), grad=2),
    Spec("stats_multivariate_normal_pdf", fs.multivariate_normal.pdf, ss.multivariate_normal.pdf,
         draws(normal(4, 3), normal(3), _spd)),
    Spec("stats_dirichlet", lambda x, alpha: (fs.dirichlet.logpdf(x, alpha), fs.dirichlet.pdf(x, alpha)),
         lambda x, alpha: (ss.dirichlet.logpdf(x, alpha), ss.dirichlet.pdf(x, alpha)), _simplex,
         diff_argnums=(1,)),
    Spec("stats_bernoulli", lambda k, p, loc: (fs.bernoulli.logpmf(k, p, loc), fs.bernoulli.pmf(k, p, loc)),
         lambda k, p, loc: (ss.bernoulli.logpmf(k, p, loc), ss.bernoulli.pmf(k, p, loc)),
         _discrete(2, uniform(N, low=0.05, high=0.95)), diff_argnums=(1,)),
    Spec("stats_bernoulli_cdf_ppf", lambda k, q, p: (fs.bernoulli.cdf(k, p), fs.bernoulli.ppf(q, p)),
         lambda k, q, p: (ss.bernoulli.cdf(k, p), ss.bernoulli.ppf(q, p)),
         draws(uniform(N, low=-1.5, high=2.5), q, uniform(N, low=0.05, high=0.95)), grad=0),
    Spec("stats_binom", lambda k, n, p, loc: (fs.binom.logpmf(k, n, p, loc), fs.binom.pmf(k, n, p, loc)),
         lambda k, n, p, loc: (ss.binom.logpmf(k, n, p, loc), ss.binom.pmf(k, n, p, loc)),
         _discrete(6, lambda rng: rng.integers(6, 12, N).astype(np.float64), uniform(N, low=0.05, high=0.95)),
         diff_argnums=(2,)),
    Spec("stats_betabinom",
         lambda k, n, a, b, loc: (fs.betabinom.logpmf(k, n, a, b, loc), fs.betabinom.pmf(k, n, a, b, loc)),
         lambda k, n, a, b, loc: (ss.betabinom.logpmf(k, n, a, b, loc), ss.betabinom.pmf(k, n, a, b, loc)),
         _discrete(6, lambda rng: rng.integers(6, 12, N).astype(np.float64), positive(N, low=0.3, high=5.0),
                   positive(N, low=0.3, high=5.0)), diff_argnums=(2, 3), rtol=1e-9),
    Spec("stats_geom", lambda k, p, loc: (fs.geom.logpmf(k, p, loc), fs.geom.pmf(k, p, loc)),
         lambda k, p, loc: (ss.geom.logpmf(k, p, loc), ss.geom.pmf(k, p, loc)),
         _discrete(9, uniform(N, low=0.05, high=0.95), k_low=1), diff_argnums=(1,)),
    Spec("stats_nbinom", lambda k, n, p, loc: (fs.nbinom.logpmf(k, n, p, loc), fs.nbinom.pmf(k, n, p, loc)),
         lambda k, n, p, loc: (ss.nbinom.logpmf(k, n, p, loc), ss.nbinom.pmf(k, n, p, loc)),
         _discrete(12, positive(N, low=0.5, high=8.0), uniform(N, low=0.05, high=0.95)), diff_argnums=(1, 2),
         rtol=1e-9),
    Spec("stats_poisson", lambda k, mu, loc: (fs.poisson.logpmf(k, mu, loc), fs.poisson.pmf(k, mu, loc),
                                              fs.poisson.cdf(k, mu, loc)),
         lambda k, mu, loc: (ss.poisson.logpmf(k, mu, loc), ss.poisson.pmf(k, mu, loc), ss.poisson.cdf(k, mu, loc)),
         _discrete(12, positive(N, low=0.2, high=9.0)), diff_argnums=(1,), rtol=1e-9),
    Spec("stats_poisson_entropy", fs.poisson.entropy, ss.poisson.entropy, draws(positive(N, low=0.1, high=60.0)),
         rtol=1e-9),
    Spec("stats_multinomial", lambda x, n, p: (fs.multinomial.logpmf(x, n, p), fs.multinomial.pmf(x, n, p)),
         lambda x, n, p: (ss.multinomial.logpmf(x, n, p), ss.multinomial.pmf(x, n, p)), _counts,
         diff_argnums=(2,)),
    Spec("stats_sem", lambda a: (fs.sem(a), fs.sem(a, axis=1, ddof=0), fs.sem(a, axis=None)),
         lambda a: (ss.sem(a), ss.sem(a, axis=1, ddof=0), ss.sem(a, axis=None)), draws(normal(4, 6))),
    Spec("stats_mode", lambda a: tuple(fs.mode(a)) + tuple(fs.mode(a, axis=1, keepdims=True)),
         lambda a: tuple(ss.mode(a)) + tuple(ss.mode(a, axis=1, keepdims=True)), _ties, grad=0),
    Spec("stats_rankdata", lambda a: tuple(fs.rankdata(a, m, axis=1) for m in ("average", "min", "max", "dense",
                                                                                "ordinal")) + (fs.rankdata(a),),
         lambda a: tuple(ss.rankdata(a, m, axis=1).astype(float) for m in ("average", "min", "max", "dense", "ordinal"))
         + (ss.rankdata(a),), _ties, grad=0),
]
