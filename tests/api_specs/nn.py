"""fx.nn: activations (values against NumPy formulas, derivatives to second order away
from the kinks), softmax family with axis/where/b/return_sign, normalisation."""
import math

import numpy as np

import fx.nn as nn
import fx.numpy as jnp
from tests.api_specs import Spec, draws, integers, normal, uniform

_ERF = np.vectorize(math.erf)
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(x, 0)


def _away_from_kinks(*kinks, scale=4.0):
    """Normal draws scaled by `scale`, moved at least 0.05 away from each kink (finite
    differences across a kink are meaningless)."""
    def gen(rng):
        x = scale * rng.standard_normal((3, 4))
        for k in kinks:
            near = np.abs(x - k) < 0.05
            x[near] = k + np.where(x[near] >= k, 0.05, -0.05)
        return x
    return draws(gen)


def _logsumexp(a, axis=None, b=None, keepdims=False):
    s = np.sum(np.exp(a) * (1 if b is None else b), axis=axis, keepdims=keepdims)
    return np.log(np.abs(s)), np.sign(s)


def _softmax(x, axis=-1, where=None):
    e = np.exp(x) if where is None else np.where(where, np.exp(x), 0)
    return e / e.sum(axis, keepdims=True)


_MASK = np.array([[True, False, True, True], [False, True, True, False], [True, True, True, True]])

SPECS = [
    Spec("relu", nn.relu, lambda x: np.maximum(x, 0), _away_from_kinks(0), grad=2),
    Spec("sigmoid_huge", lambda x: nn.sigmoid(x * 1e3), lambda x: 0.5 * (1 + np.tanh(x * 500)),
         draws(normal(6,))),
    Spec("log_sigmoid_huge", lambda x: nn.log_sigmoid(x * 1e3), lambda x: -_softplus(-x * 1e3),
         draws(normal(6,))),
    Spec("one_hot", lambda i: nn.one_hot(i, 5), lambda i: np.where((i >= 0) & (i < 5), 1.0, 0.0)[..., None]
         * np.eye(5)[np.clip(i, 0, 4)], draws(integers(2, 3, low=-1, high=6)), grad=0),
    Spec("one_hot_axis0_dtype", lambda i: nn.one_hot(i, 3, dtype=jnp.int32, axis=0),
         lambda i: np.moveaxis(np.eye(3, dtype=np.int32)[i], -1, 0), draws(integers(4, high=3)), grad=0),
    Spec("relu6", nn.relu6, lambda x: np.clip(x, 0, 6), _away_from_kinks(0, 6)),
    Spec("leaky_relu", lambda x: nn.leaky_relu(x, negative_slope=0.2),
         lambda x: np.where(x >= 0, x, 0.2 * x), _away_from_kinks(0)),
    Spec("elu", lambda x: nn.elu(x, alpha=0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)),
         _away_from_kinks(0), grad=2),
    Spec("celu", lambda x: nn.celu(x, alpha=1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x / 1.5)),
         _away_from_kinks(0), grad=2),
    Spec("selu", nn.selu, lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(x)),
         _away_from_kinks(0), grad=2),
    Spec("gelu_tanh", nn.gelu,
         lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))),
         draws(normal(3, 4)), grad=2),
    Spec("gelu_exact", lambda x: nn.gelu(x, approximate=False),
         lambda x: 0.5 * x * (1 + _ERF(x / np.sqrt(2))), draws(normal(3, 4)), grad=2),
    Spec("silu", nn.silu, lambda x: x * _sigmoid(x), draws(normal(3, 4)), grad=2),
    Spec("swish", nn.swish, lambda x: x * _sigmoid(x), draws(normal(3, 4))),
    Spec("soft_sign", nn.soft_sign, lambda x: x / (np.abs(x) + 1), _away_from_kinks(0), grad=2),
    Spec("sigmoid", nn.sigmoid, _sigmoid, draws(normal(3, 4)), grad=2),
    Spec("log_sigmoid", nn.log_sigmoid, lambda x: -_softplus(-x), draws(normal(3, 4)), grad=2),
    Spec("hard_sigmoid", nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6, _away_from_kinks(-3, 3)),
    Spec("hard_silu", nn.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6, _away_from_kinks(-3, 3)),
    Spec("hard_swish", nn.hard_swish, lambda x: x * np.clip(x + 3, 0, 6) / 6, _away_from_kinks(-3, 3)),
    Spec("hard_tanh", nn.hard_tanh, lambda x: np.clip(x, -1, 1), _away_from_kinks(-1, 1, scale=1.5)),
    Spec("softplus", nn.softplus, _softplus, draws(normal(3, 4)), grad=2),
    Spec("softplus_large", lambda x: nn.softplus(x * 1e3), lambda x: _softplus(x * 1e3), draws(normal(6,))),
    Spec("sparse_plus", nn.sparse_plus,
         lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
         _away_from_kinks(-1, 1, scale=2)),
    Spec("mish", nn.mish, lambda x: x * np.tanh(_softplus(x)), draws(normal(3, 4)), grad=2),
    Spec("glu", nn.glu, lambda x: x[:, :2] * _sigmoid(x[:, 2:]), draws(normal(3, 4)), grad=2),
    Spec("glu_axis0", lambda x: nn.glu(x, axis=0), lambda x: x[:2] * _sigmoid(x[2:]), draws(normal(4, 3))),
    Spec("softmax", nn.softmax, _softmax, draws(normal(3, 4)), grad=2),
    Spec("softmax_axis0", lambda x: nn.softmax(x, axis=0), lambda x: _softmax(x, axis=0),
         draws(normal(3, 4))),
    Spec("softmax_where", lambda x: nn.softmax(x, where=_MASK), lambda x: _softmax(x, where=_MASK),
         draws(normal(3, 4)), vmap=False),
    Spec("log_softmax", nn.log_softmax, lambda x: np.log(_softmax(x)), draws(normal(3, 4)), grad=2),
    Spec("log_softmax_where", lambda x: nn.log_softmax(x, where=_MASK),
         lambda x: np.where(_MASK, np.log(np.where(_MASK, _softmax(x, where=_MASK), 1)), -np.inf),
         draws(normal(3, 4)), grad=0, vmap=False),
    Spec("log_softmax_where_grad", lambda x: jnp.where(_MASK, nn.log_softmax(x, where=_MASK), 0),
         None, draws(normal(3, 4)), grad=2, vmap=False),
    Spec("logsumexp", lambda x: nn.logsumexp(x, axis=1), lambda x: _logsumexp(x, axis=1)[0],
         draws(normal(3, 4)), grad=2),
    Spec("logsumexp_large", lambda x: nn.logsumexp(x * 1e4, axis=0, keepdims=True),
         lambda x: np.max(x * 1e4, 0, keepdims=True) + _logsumexp(x * 1e4 - np.max(x * 1e4, 0), axis=0,
                                                                 keepdims=True)[0], draws(normal(3, 4))),
    Spec("logsumexp_b", lambda x, b: nn.logsumexp(x, axis=-1, b=b), lambda x, b: _logsumexp(x, -1, b)[0],
         draws(normal(3, 4), uniform(3, 4, low=0.5, high=2.0)), grad=2),
    Spec("logsumexp_return_sign", lambda x, b: nn.logsumexp(x, b=b, return_sign=True),
         lambda x, b: _logsumexp(x, None, b), draws(normal(3, 4), normal(3, 4))),
    Spec("logsumexp_where", lambda x: nn.logsumexp(x, axis=1, where=_MASK),
         lambda x: np.log(np.sum(np.where(_MASK, np.exp(x), 0), axis=1)), draws(normal(3, 4)), vmap=False),
    Spec("standardize", nn.standardize,
         lambda x: (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5),
         draws(normal(3, 4)), grad=2),
    Spec("standardize_where", lambda x: nn.standardize(x, where=_MASK),
         lambda x: (x - np.mean(x, -1, keepdims=True, where=_MASK))
         / np.sqrt(np.var(x, -1, keepdims=True, where=_MASK) + 1e-5), draws(normal(3, 4)), vmap=False),
]
