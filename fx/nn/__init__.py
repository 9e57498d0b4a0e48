"""fx.nn: jax.nn's activation and normalisation functions, and fx.nn.initializers."""
from fx.nn._functions import (celu, elu, gelu, glu, hard_sigmoid, hard_silu, hard_swish, hard_tanh,
                              leaky_relu, log_sigmoid, log_softmax, logsumexp, mish, one_hot, relu,
                              relu6, selu, sigmoid, silu, soft_sign, softmax, softplus, sparse_plus,
                              standardize, swish)
from fx.nn import initializers  # noqa: F401
