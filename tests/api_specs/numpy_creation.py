"""fx.numpy creation: zeros/ones/full(_like), arange, linspace, logspace, eye, tri, tril/triu,
diag, diagflat, meshgrid, indices."""
import numpy as np

import fx.numpy as jnp
from tests.api_specs import Spec, draws, normal


def constant(name, fn, ref):
    """A creation call with no array argument: values and jit only."""
    return Spec(name, fn, ref, lambda rng: (), grad=0, vmap=False)


SPECS = [
    constant("zeros_int", lambda: jnp.zeros((2, 3), jnp.int32), lambda: np.zeros((2, 3), np.int32)),
    constant("ones_shape_int", lambda: jnp.ones(4), lambda: np.ones(4)),
    constant("empty", lambda: jnp.empty((0, 2)), lambda: np.zeros((0, 2))),
    constant("full_array_fill", lambda: jnp.full((2, 3), [1.0, 2.0, 3.0]),
             lambda: np.full((2, 3), [1.0, 2.0, 3.0])),
    constant("arange_float", lambda: jnp.arange(0.5, 3, 0.5), lambda: np.arange(0.5, 3, 0.5)),
    constant("arange_int", lambda: jnp.arange(10, 1, -3), lambda: np.arange(10, 1, -3)),
    constant("eye_k", lambda: jnp.eye(3, 5, k=-1), lambda: np.eye(3, 5, k=-1)),
    constant("identity_int", lambda: jnp.identity(3, jnp.int32), lambda: np.identity(3, np.int32)),
    constant("tri", lambda: jnp.tri(3, 4, k=1), lambda: np.tri(3, 4, k=1)),
    constant("linspace_int_dtype", lambda: jnp.linspace(0, 10, 5, dtype=jnp.int32),
             lambda: np.linspace(0, 10, 5, dtype=np.int32)),
    constant("linspace_one", lambda: jnp.linspace(3.0, 5.0, 1), lambda: np.linspace(3.0, 5.0, 1)),
    constant("indices", lambda: jnp.indices((2, 3)), lambda: np.indices((2, 3))),
    constant("indices_sparse", lambda: jnp.indices((2, 3), sparse=True),
             lambda: np.indices((2, 3), sparse=True)),
    Spec("full_traced_fill", lambda v: jnp.full((2, 3), v), lambda v: np.full((2, 3), v), draws(normal())),
    Spec("full_like_dtype", lambda x: jnp.full_like(x, 7, dtype=jnp.int32),
         lambda x: np.full_like(x, 7, dtype=np.int32), draws(normal(2, 3)), grad=0),
    Spec("zeros_like_shape", lambda x: jnp.zeros_like(x, shape=(4,)), lambda x: np.zeros_like(x, shape=(4,)),
         draws(normal(2, 3)), grad=0),
    Spec("ones_like", lambda x: jnp.ones_like(x), np.ones_like, draws(normal(2, 3)), grad=0),
    Spec("linspace_arrays_axis", lambda a, b: jnp.linspace(a, b, 5, axis=-1),
         lambda a, b: np.linspace(a, b, 5, axis=-1), draws(normal(2, 3), normal(3))),
    Spec("linspace_retstep", lambda a, b: jnp.linspace(a, b, 4, endpoint=False, retstep=True),
         lambda a, b: np.linspace(a, b, 4, endpoint=False, retstep=True), draws(normal(), normal())),
    Spec("logspace_base", lambda a, b: jnp.logspace(a, b, 6, base=2.0),
         lambda a, b: np.logspace(a, b, 6, base=2.0), draws(normal(), normal())),
    Spec("tril_batched", lambda x: jnp.tril(x, -1), lambda x: np.tril(x, -1), draws(normal(2, 3, 4))),
    Spec("triu_k", lambda x: jnp.triu(x, 2), lambda x: np.triu(x, 2), draws(normal(4, 3))),
    Spec("diag_from_vector", lambda v: jnp.diag(v, -2), lambda v: np.diag(v, -2), draws(normal(4))),
    Spec("diag_of_matrix", lambda x: jnp.diag(x, 1), lambda x: np.diag(x, 1), draws(normal(3, 4))),
    Spec("diagflat", lambda x: jnp.diagflat(x, 1), lambda x: np.diagflat(x, 1), draws(normal(2, 2))),
    Spec("meshgrid_xy", lambda a, b, c: jnp.meshgrid(a, b, c), lambda a, b, c: np.meshgrid(a, b, c),
         draws(normal(2), normal(3), normal(4))),
    Spec("meshgrid_ij_sparse", lambda a, b: jnp.meshgrid(a, b, indexing="ij", sparse=True),
         lambda a, b: np.meshgrid(a, b, indexing="ij", sparse=True), draws(normal(2), normal(3))),
]
