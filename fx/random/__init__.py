"""fx.random: JAX's random numbers. Keys are explicit values (uint32[2] arrays, as JAX's
`PRNGKey` gives), split into new keys rather than mutated, so random functions stay pure
and trace, jit and vmap like any other; the streams are JAX's default threefry2x32 ones."""
from fx.random._distributions import (bernoulli, categorical, exponential, gumbel, laplace,  # noqa: F401
                                      logistic, normal, randint, truncated_normal, uniform)
from fx.random._gamma import dirichlet, gamma, loggamma  # noqa: F401
from fx.random._shuffle import choice, permutation  # noqa: F401
from fx.random._threefry import PRNGKey, bits, fold_in, key, key_data, split  # noqa: F401
