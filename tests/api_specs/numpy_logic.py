"""fx.numpy whole-array comparisons: isclose, allclose, array_equal, array_equiv."""
import numpy as np

import fx.numpy as jnp
from tests.api_specs import Spec, draws, normal


def near(*shape):
    """Pairs of arrays, some elements equal, some within tolerance, some far apart, with
    infinities and NaNs in fixed places."""
    def draw(rng):
        a = rng.standard_normal(shape)
        b = a + rng.choice([0.0, 1e-9, 1e-3], shape)
        a.flat[0], b.flat[0] = np.inf, np.inf
        a.flat[1], b.flat[1] = np.nan, np.nan
        a.flat[2], b.flat[2] = 1e10, np.inf
        return a, b
    return draw


SPECS = [
    Spec("isclose", jnp.isclose, np.isclose, near(3, 4), grad=0),
    Spec("isclose_equal_nan_tolerances", lambda a, b: jnp.isclose(a, b, rtol=1e-4, atol=0.0, equal_nan=True),
         lambda a, b: np.isclose(a, b, rtol=1e-4, atol=0.0, equal_nan=True), near(3, 4), grad=0),
    Spec("allclose", lambda a, b: jnp.allclose(a, a + 1e-9 * b), lambda a, b: np.allclose(a, a + 1e-9 * b),
         draws(normal(3), normal(3)), grad=0),
    Spec("array_equal", lambda a: jnp.array_equal(a, jnp.asarray(a) + 0), lambda a: np.array_equal(a, a + 0),
         draws(normal(2, 3)), grad=0),
    Spec("array_equal_nan", lambda a, b: jnp.array_equal(a, b, equal_nan=True),
         lambda a, b: np.array_equal(a, b, equal_nan=True),
         lambda rng: (np.array([1.0, np.nan]), np.array([1.0, np.nan])), grad=0),
    Spec("array_equal_shapes_differ", lambda a, b: jnp.array_equal(a, b), np.array_equal,
         draws(normal(2), normal(3)), grad=0),
    Spec("array_equiv_broadcast", lambda a: jnp.array_equiv(a, jnp.stack([a, a])),
         lambda a: np.array_equiv(a, np.stack([a, a])), draws(normal(3)), grad=0),
]
