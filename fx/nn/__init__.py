"""fx.nn: jax.nn's activation and normalisation functions, and fx.nn.initializers."""
from fx.nn._functions import (gelu, log_sigmoid, log_softmax, logsumexp, one_hot, relu, sigmoid,
                              silu, softmax, softplus, standardize, swish)
