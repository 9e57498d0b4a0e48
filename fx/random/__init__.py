"""fx.random: JAX's random numbers. Keys are explicit values (typed keys from `key`, or the
raw uint32[2] arrays `PRNGKey` gives), split into new keys rather than mutated, so random functions stay pure
and trace, jit and vmap like any other; the streams are JAX's default threefry2x32 ones."""
from fx.random._counts import binomial, multinomial, poisson  # noqa: F401
from fx.random._distributions import (bernoulli, categorical, exponential, gumbel, laplace,  # noqa: F401
                                      logistic, normal, randint, truncated_normal, uniform)
from fx.random._gamma import dirichlet, gamma, loggamma  # noqa: F401
from fx.random._multivariate import ball, multivariate_normal, orthogonal  # noqa: F401
from fx.random._samplers import (beta, cauchy, chisquare, double_sided_maxwell, f,  # noqa: F401
                                 generalized_normal, geometric, lognormal, maxwell, pareto,
                                 rademacher, rayleigh, t, triangular, wald, weibull_min)
from fx.random._keys import PRNGKeyArray, key_dtype  # noqa: F401
from fx.random._shuffle import choice, permutation  # noqa: F401
from fx.random._threefry import (PRNGKey, bits, clone, fold_in, key, key_data, key_impl,  # noqa: F401
                                 split, wrap_key_data)
