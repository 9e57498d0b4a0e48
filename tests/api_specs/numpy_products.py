"""fx.numpy products: dot, matmul, vdot, inner, outer, tensordot, einsum, trace, diagonal,
kron, cross."""
import numpy as np

import fx.numpy as jnp
from tests.api_specs import Spec, draws, integers, normal


def einsum(subscripts, *shapes, grad=1):
    name = "einsum_" + "".join(c if c.isalpha() else {",": "_", "-": "", ">": "_to_", ".": "E"}[c]
                               for c in subscripts.replace(" ", ""))
    return Spec(name, lambda *xs: jnp.einsum(subscripts, *xs), lambda *xs: np.einsum(subscripts, *xs),
                draws(*(normal(*s) for s in shapes)), grad=grad)


SPECS = [
    Spec("dot_matrix_vector", jnp.dot, np.dot, draws(normal(3, 4), normal(4))),
    Spec("dot_nd", jnp.dot, np.dot, draws(normal(2, 3), normal(4, 3, 2))),
    Spec("matmul_broadcast", jnp.matmul, np.matmul, draws(normal(2, 1, 3, 4), normal(3, 4, 2)), grad=2),
    Spec("matmul_operator_vector", lambda a, b: jnp.asarray(a) @ b, lambda a, b: a @ b,
         draws(normal(4), normal(2, 4, 3))),
    Spec("vdot", jnp.vdot, np.vdot, draws(normal(2, 3), normal(3, 2))),
    Spec("inner", jnp.inner, np.inner, draws(normal(2, 3), normal(4, 3))),
    Spec("outer", jnp.outer, np.outer, draws(normal(2, 2), normal(3))),
    Spec("tensordot_int", lambda a, b: jnp.tensordot(a, b, 2), lambda a, b: np.tensordot(a, b, 2),
         draws(normal(2, 3, 4), normal(3, 4, 5)), grad=2),
    Spec("tensordot_pairs", lambda a, b: jnp.tensordot(a, b, ((0, 2), (1, 0))),
         lambda a, b: np.tensordot(a, b, ((0, 2), (1, 0))), draws(normal(2, 3, 4), normal(4, 2))),
    Spec("tensordot_outer", lambda a, b: jnp.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0),
         draws(normal(2), normal(3))),
    Spec("tensordot_ints", lambda a, b: jnp.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1),
         draws(integers(2, 3), integers(3, 2)), grad=0),
    einsum("ij,jk->ik", (3, 4), (4, 5), grad=2),
    einsum("ij,jk", (3, 4), (4, 2)),
    einsum("ii", (3, 3)),
    einsum("ii->i", (3, 3)),
    einsum("iij->ji", (3, 3, 2)),
    einsum("ij->", (3, 4)),
    einsum("i,j", (3,), (2,)),
    einsum("bij,bjk->bik", (2, 3, 4), (2, 4, 5), grad=2),
    einsum("...ij,...jk->...ik", (2, 1, 3, 4), (3, 4, 2)),
    einsum("i...,...i->...", (3, 2), (2, 3)),
    einsum("ij,jk,kl->il", (2, 8), (8, 8), (8, 3), grad=2),
    einsum("ab,bc,cd,de->ae", (5, 2), (2, 6), (6, 2), (2, 4)),
    einsum("ijk,jl,lk->i", (2, 3, 4), (3, 5), (5, 4)),
    einsum("i,i,i->", (4,), (4,), (4,)),
    Spec("einsum_sublists", lambda a, b: jnp.einsum(a, [0, 1], b, [1, 2], [2, 0]),
         lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [2, 0]), draws(normal(2, 3), normal(3, 4))),
    Spec("einsum_ints", lambda a, b: jnp.einsum("ij,j->i", a, b), lambda a, b: np.einsum("ij,j->i", a, b),
         draws(integers(2, 3), integers(3)), grad=0),
    Spec("trace_offset", lambda x: jnp.trace(x, -1), lambda x: np.trace(x, -1), draws(normal(3, 4))),
    Spec("trace_axes", lambda x: jnp.trace(x, 1, axis1=2, axis2=0), lambda x: np.trace(x, 1, axis1=2, axis2=0),
         draws(normal(3, 2, 4))),
    Spec("diagonal_axes", lambda x: jnp.diagonal(x, 1, 2, 0), lambda x: np.diagonal(x, 1, 2, 0),
         draws(normal(3, 2, 4))),
    Spec("diagonal_empty", lambda x: jnp.diagonal(x, 5), lambda x: np.diagonal(x, 5), draws(normal(3, 4)),
         grad=0),
    Spec("kron", jnp.kron, np.kron, draws(normal(2, 3), normal(3, 2))),
    Spec("kron_mixed_rank", jnp.kron, np.kron, draws(normal(3), normal(2, 2))),
    Spec("cross_3", jnp.cross, np.cross, draws(normal(4, 3), normal(3)), grad=2),
    Spec("cross_axes", lambda a, b: jnp.cross(a, b, axisa=0, axisb=1, axisc=0),
         lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0), draws(normal(3, 2), normal(2, 3))),
    Spec("cross_axis", lambda a, b: jnp.cross(a, b, axis=0), lambda a, b: np.cross(a, b, axis=0),
         draws(normal(3, 2), normal(3, 2))),
    Spec("cross_2_and_3", jnp.cross, lambda a, b: np.cross(np.pad(a, ((0, 0), (0, 1))), b),
         draws(normal(4, 2), normal(4, 3))),
    Spec("cross_2d_vectors", jnp.cross, lambda a, b: a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0],
         draws(normal(4, 2), normal(4, 2))),
]
