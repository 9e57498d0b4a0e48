"""fx.numpy reductions: axis, keepdims, where, ddof."""
import numpy as np

import fx.numpy as jnp
from api_specs import Spec, draws, normal

SPECS = [
    Spec("sum_axis", lambda x: jnp.sum(x, axis=1), lambda x: np.sum(x, axis=1), draws(normal(3, 4)),
         grad=2),
    Spec("mean_keepdims", lambda x: jnp.mean(x, axis=0, keepdims=True),
         lambda x: np.mean(x, axis=0, keepdims=True), draws(normal(3, 4))),
    Spec("var_ddof", lambda x: jnp.var(x, ddof=1), lambda x: np.var(x, ddof=1), draws(normal(5,)),
         grad=2),
    Spec("max_axis", lambda x: jnp.max(x, axis=-1), lambda x: np.max(x, axis=-1), draws(normal(3, 4))),
    Spec("argmax", lambda x: jnp.argmax(x, axis=0), lambda x: np.argmax(x, axis=0), draws(normal(3, 4)),
         grad=0),
]
