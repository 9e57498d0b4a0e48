"""fx.nn: jax.nn's activation and normalisation functions, and fx.nn.initializers."""
from fx.nn._functions import (celu, elu, gelu, glu, hard_sigmoid, hard_silu, hard_swish, hard_tanh,
                              identity, leaky_relu, log1mexp, log_sigmoid, log_softmax, logmeanexp,
                              logsumexp, mish, one_hot, relu, relu6, selu, sigmoid, silu, soft_sign,
                              softmax, softplus, sparse_plus, sparse_sigmoid, squareplus,
                              standardize, swish, tanh)
from fx.nn._attention import dot_product_attention  # noqa: F401
from fx.nn import initializers  # noqa: F401
