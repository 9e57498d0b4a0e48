"""fx.numpy.linalg: factorisations (values vs NumPy's LAPACK), the LU-based det, slogdet,
solve and inv (with second derivatives), the SVD-based pinv, rank and norms, every norm
ord. Inputs are well conditioned, with distinct eigenvalues and singular values."""
import numpy as np

import fx.numpy as jnp
from tests.api_specs import Spec, draws, normal


def spd(*shape):
    def draw(rng):
        a = rng.standard_normal(shape)
        return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])
    return draw


def well_conditioned(*shape):
    return lambda rng: rng.standard_normal(shape) + 2 * shape[-1] ** 0.5 * np.eye(shape[-1])


def rank_two(rng):
    return rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))


LA = jnp.linalg
EPS = np.finfo(np.float64).eps

SPECS = [
    Spec("linalg_cholesky", LA.cholesky, np.linalg.cholesky, draws(spd(4, 4)), grad=2),
    Spec("linalg_cholesky_upper_batched", lambda a: LA.cholesky(a, upper=True),
         lambda a: np.swapaxes(np.linalg.cholesky(a), -1, -2), draws(spd(2, 3, 3))),
    Spec("linalg_qr_reduced", LA.qr, lambda a: tuple(np.linalg.qr(a)), draws(normal(4, 3))),
    Spec("linalg_qr_complete_batched", lambda a: LA.qr(a, "complete"),
         lambda a: tuple(np.linalg.qr(a, "complete")), draws(normal(2, 3, 3))),
    Spec("linalg_qr_r_wide", lambda a: LA.qr(a, "r"), lambda a: np.linalg.qr(a, "r"),
         draws(normal(3, 5)), grad=0),
    Spec("linalg_eigh", LA.eigh, lambda a: tuple(np.linalg.eigh(a)), draws(spd(4, 4))),
    Spec("linalg_eigh_upper", lambda a: LA.eigh(a, UPLO="U"),
         lambda a: tuple(np.linalg.eigh(a, UPLO="U")), draws(spd(3, 3))),
    Spec("linalg_eigvalsh_batched", LA.eigvalsh, np.linalg.eigvalsh, draws(spd(2, 3, 3)), grad=2),
    Spec("linalg_svd_reduced", lambda a: LA.svd(a, full_matrices=False),
         lambda a: tuple(np.linalg.svd(a, full_matrices=False)), draws(normal(4, 3))),
    Spec("linalg_svd_square_full", LA.svd, lambda a: tuple(np.linalg.svd(a)), draws(normal(3, 3))),
    Spec("linalg_svd_values_wide", lambda a: LA.svd(a, compute_uv=False),
         lambda a: np.linalg.svd(a, compute_uv=False), draws(normal(2, 3, 5)), grad=2),
    Spec("linalg_det", LA.det, np.linalg.det, draws(normal(4, 4)), grad=2),
    Spec("linalg_det_batched", LA.det, np.linalg.det, draws(normal(2, 3, 3)), grad=2),
    Spec("linalg_slogdet", LA.slogdet, lambda a: tuple(np.linalg.slogdet(a)), draws(normal(2, 4, 4))),
    Spec("linalg_inv", LA.inv, np.linalg.inv, draws(well_conditioned(4, 4)), grad=2),
    Spec("linalg_solve_vector", LA.solve, np.linalg.solve,
         draws(well_conditioned(4, 4), normal(4)), grad=2),
    Spec("linalg_solve_batched", LA.solve, np.linalg.solve,
         draws(well_conditioned(2, 3, 3), normal(2, 3, 2)), grad=2),
    Spec("linalg_solve_broadcast", LA.solve, np.linalg.solve,
         draws(well_conditioned(3, 3), normal(2, 3, 2))),
    Spec("linalg_pinv", LA.pinv, lambda a: np.linalg.pinv(a, rcond=40 * EPS), draws(normal(4, 3))),
    Spec("linalg_matrix_rank", LA.matrix_rank, np.linalg.matrix_rank, draws(rank_two), grad=0),
    Spec("linalg_matrix_power_3", lambda a: LA.matrix_power(a, 3),
         lambda a: np.linalg.matrix_power(a, 3), draws(normal(3, 3)), grad=2),
    Spec("linalg_matrix_power_negative", lambda a: LA.matrix_power(a, -2),
         lambda a: np.linalg.matrix_power(a, -2), draws(well_conditioned(3, 3))),
    Spec("linalg_matrix_power_0", lambda a: LA.matrix_power(a, 0),
         lambda a: np.linalg.matrix_power(a, 0), draws(normal(2, 3, 3)), grad=0),
    Spec("linalg_cond", LA.cond, np.linalg.cond, draws(normal(4, 4))),
    Spec("linalg_cond_1", lambda a: LA.cond(a, 1), lambda a: np.linalg.cond(a, 1),
         draws(well_conditioned(3, 3))),
    Spec("linalg_multi_dot", lambda v, a, b: LA.multi_dot([v, a, b]),
         lambda v, a, b: np.linalg.multi_dot([v, a, b]), draws(normal(3), normal(3, 4), normal(4, 2)),
         grad=2),
    Spec("linalg_lstsq", lambda a, b: LA.lstsq(a, b), lambda a, b: np.linalg.lstsq(a, b),
         draws(normal(5, 3), normal(5))),
    Spec("linalg_tensorinv", lambda a: LA.tensorinv(a, ind=1), lambda a: np.linalg.tensorinv(a, ind=1),
         draws(lambda rng: well_conditioned(4, 4)(rng).reshape(4, 2, 2))),
    Spec("linalg_tensorsolve", LA.tensorsolve, np.linalg.tensorsolve,
         draws(lambda rng: well_conditioned(6, 6)(rng).reshape(2, 3, 6), normal(2, 3))),
]

# Every NumPy norm: vector ords over one axis, matrix ords over two, with keepdims.
_VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, -1.5]
_MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]
SPECS += [Spec(f"linalg_norm_vector_{o}", lambda x, o=o: LA.norm(x, o, axis=1),
               lambda x, o=o: np.linalg.norm(x, o, axis=1), draws(normal(3, 4)),
               grad=0 if o == 0 else 1) for o in _VECTOR_ORDS]
SPECS += [Spec(f"linalg_norm_matrix_{o}", lambda x, o=o: LA.norm(x, o, axis=(2, 0), keepdims=True),
               lambda x, o=o: np.linalg.norm(x, o, axis=(2, 0), keepdims=True), draws(normal(3, 2, 4)))
          for o in _MATRIX_ORDS]
SPECS += [
    Spec("linalg_norm_flat", LA.norm, np.linalg.norm, draws(normal(2, 3, 4)), grad=2),
    Spec("linalg_norm_2d_default_axes", lambda x: LA.norm(x, 2), lambda x: np.linalg.norm(x, 2),
         draws(normal(3, 4))),
]
