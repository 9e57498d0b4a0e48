"""fx.scipy.stats: jax.scipy.stats' distributions, one module each (norm.logpdf(x, loc,
scale), ...), with JAX's names, defaults, broadcasting, dtypes and values outside the
support, and sem, mode and rankdata. Written with fx.numpy and fx.scipy.special, so that
every function jits, batches and differentiates."""
from fx.scipy.stats import (bernoulli, beta, betabinom, binom, cauchy, chi2, dirichlet,  # noqa: F401
                            expon, gamma, gennorm, geom, gumbel_l, gumbel_r, laplace, logistic,
                            multinomial, multivariate_normal, nbinom, norm, pareto, poisson, t,
                            truncnorm, uniform, vonmises, wrapcauchy)
from fx.scipy.stats._core import ModeResult, mode, rankdata, sem  # noqa: F401
