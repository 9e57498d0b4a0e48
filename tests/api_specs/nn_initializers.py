"""fx.nn.initializers with the key as an argument (so jit and vmap run over keys): zeros
and ones against NumPy, orthogonal against its defining property, the random ones for
jit/vmap agreement (their distributions are tested in tests/nn/test_initializers.py)."""
import numpy as np

from fx.nn import initializers as init
from tests.api_specs import Spec, draws
from tests.api_specs.random import keys


def _gram(q):
    """q^T q: 4 I for a tall orthogonal(scale=2) matrix."""
    return q.T @ q


def _spec(name, initializer, shape, ref=None):
    return Spec(f"init.{name}", lambda k: initializer(k, shape), ref, draws(keys), grad=0)


SPECS = [
    _spec("zeros", init.zeros, (2, 3), lambda k: np.zeros((2, 3))),
    _spec("ones", init.ones, (4,), lambda k: np.ones(4)),
    _spec("normal", init.normal(0.5), (3, 2)),
    _spec("uniform", init.uniform(2.0), (3, 2)),
    _spec("glorot_normal", init.glorot_normal(), (4, 3)),
    _spec("glorot_uniform", init.glorot_uniform(), (4, 3)),
    _spec("he_normal_conv", init.he_normal(), (3, 3, 2, 4)),
    _spec("he_uniform", init.he_uniform(), (5, 2)),
    _spec("lecun_normal", init.lecun_normal(), (2, 6)),
    _spec("lecun_uniform_axes", init.lecun_uniform(in_axis=0, out_axis=1), (3, 4)),
    Spec("init.orthogonal_tall", lambda k: _gram(init.orthogonal(scale=2.0)(k, (5, 3))),
         lambda k: 4 * np.eye(3), draws(keys), grad=0, atol=1e-10),
    Spec("init.orthogonal_wide_column_axis0", lambda k: init.orthogonal(column_axis=0)(k, (3, 4)), None,
         draws(keys), grad=0),
]
