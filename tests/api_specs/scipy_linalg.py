"""fx.scipy.linalg against scipy.linalg: factorisations and their solvers (every `trans`,
triangle and right-hand-side shape, batched), eigh / svd with sign-normalised vectors
(defined up to sign), qr's modes, polar, expm over every Padé degree and with squarings,
expm_frechet, and the structured matrices. Inputs are well conditioned, with distinct
eigenvalues and singular values, so that derivatives exist."""
import numpy as np
import scipy.linalg as sla

import fx.numpy as jnp
from fx.scipy import linalg as L
from tests.api_specs import Spec, draws, normal
from tests.api_specs.numpy_linalg import spd, well_conditioned


def triangular(*shape):
    """A random matrix whose diagonal is kept away from zero (either triangle is
    well conditioned; the other one is junk the solvers must not read)."""
    return lambda rng: rng.standard_normal(shape) + 3 * np.eye(shape[-1])


def scaled(scale, *shape):
    return lambda rng: scale * rng.standard_normal(shape) / shape[-1]


def signed(vectors, xp):
    """Columns of `vectors` multiplied by the sign of their first entry."""
    return vectors * xp.sign(vectors[..., :1, :])


def eigh_normalised(w, v, xp=np):
    return w, signed(v, xp)


def svd_normalised(u, s, vh, xp=np):
    sign = xp.sign(u[..., :1, :])
    k = s.shape[-1]
    return u[..., :, :k] * sign[..., :k], s, vh[..., :k, :] * xp.swapaxes(sign[..., :k], -1, -2)


def symmetric(a, xp=np):
    return (a + xp.swapaxes(a, -1, -2)) / 2


SPECS = [
    # cholesky and its solver: only the named triangle is read
    Spec("scipy_linalg_cholesky", L.cholesky, sla.cholesky, draws(spd(4, 4)), grad=2),
    Spec("scipy_linalg_cholesky_lower_batched", lambda a: L.cholesky(a, lower=True),
         lambda a: sla.cholesky(a, lower=True), draws(spd(2, 3, 3))),
    Spec("scipy_linalg_cho_solve", lambda a, b: L.cho_solve(L.cho_factor(a), b),
         lambda a, b: sla.cho_solve(sla.cho_factor(a), b), draws(spd(4, 4), normal(4, 2)), grad=2),
    Spec("scipy_linalg_cho_solve_lower_vector", lambda a, b: L.cho_solve(L.cho_factor(a, True), b),
         lambda a, b: sla.cho_solve(sla.cho_factor(a, True), b), draws(spd(2, 3, 3), normal(3))),
    # lu and its solver
    Spec("scipy_linalg_lu", L.lu, sla.lu, draws(normal(4, 4)), grad=2),
    Spec("scipy_linalg_lu_permute_l_batched", lambda a: L.lu(a, permute_l=True),
         lambda a: sla.lu(a, permute_l=True), draws(normal(2, 3, 3))),
    Spec("scipy_linalg_lu_factor", L.lu_factor, sla.lu_factor, draws(normal(5, 5))),
    Spec("scipy_linalg_lu_solve", lambda a, b: L.lu_solve(L.lu_factor(a), b),
         lambda a, b: sla.lu_solve(sla.lu_factor(a), b), draws(normal(4, 4), normal(4, 2)), grad=2),
    Spec("scipy_linalg_lu_solve_trans1_vector", lambda a, b: L.lu_solve(L.lu_factor(a), b, trans=1),
         lambda a, b: sla.lu_solve(sla.lu_factor(a), b, trans=1), draws(normal(4, 4), normal(4))),
    Spec("scipy_linalg_lu_solve_trans2_batched", lambda a, b: L.lu_solve(L.lu_factor(a), b, trans=2),
         lambda a, b: sla.lu_solve(sla.lu_factor(a), b, trans=2),
         draws(normal(2, 3, 3), normal(2, 3, 2))),
    Spec("scipy_linalg_lu_solve_broadcast", lambda a, b: L.lu_solve(L.lu_factor(a), b),
         lambda a, b: np.stack([sla.lu_solve(sla.lu_factor(a), x) for x in b]),
         draws(normal(3, 3), normal(2, 3, 2))),
    # general solvers
    Spec("scipy_linalg_solve", L.solve, sla.solve, draws(well_conditioned(4, 4), normal(4, 2)), grad=2),
    Spec("scipy_linalg_solve_sym_vector", lambda a, b: L.solve(symmetric(a, jnp), b, assume_a="sym"),
         lambda a, b: sla.solve(symmetric(a), b, assume_a="sym"),
         draws(well_conditioned(4, 4), normal(4))),
    Spec("scipy_linalg_solve_pos", lambda a, b: L.solve(symmetric(a, jnp), b, assume_a="pos"),
         lambda a, b: sla.solve(symmetric(a), b, assume_a="pos"), draws(spd(4, 4), normal(4, 2)),
         grad=2),
    Spec("scipy_linalg_solve_pos_lower_batched",
         lambda a, b: L.solve(symmetric(a, jnp), b, assume_a="pos", lower=True),
         lambda a, b: sla.solve(symmetric(a), b, assume_a="pos", lower=True),
         draws(spd(2, 3, 3), normal(2, 3, 2))),
    Spec("scipy_linalg_inv", L.inv, sla.inv, draws(well_conditioned(2, 3, 3)), grad=2),
    Spec("scipy_linalg_det", L.det, sla.det, draws(normal(4, 4)), grad=2),
    # decompositions defined up to signs: vectors normalised on both sides
    Spec("scipy_linalg_eigh", lambda a: eigh_normalised(*L.eigh(a), jnp),
         lambda a: eigh_normalised(*sla.eigh(a)), draws(spd(4, 4))),
    Spec("scipy_linalg_eigh_upper_values_batched", lambda a: L.eigh(a, lower=False, eigvals_only=True),
         lambda a: sla.eigh(a, lower=False, eigvals_only=True), draws(spd(2, 3, 3)), grad=2),
    Spec("scipy_linalg_eigh_eigvals_subset", lambda a: eigh_normalised(*L.eigh(a, eigvals=(1, 2)), jnp),
         lambda a: eigh_normalised(*sla.eigh(a, subset_by_index=(1, 2))), draws(spd(4, 4))),
    Spec("scipy_linalg_svd_square", lambda a: svd_normalised(*L.svd(a), jnp),
         lambda a: svd_normalised(*sla.svd(a)), draws(normal(3, 3))),
    Spec("scipy_linalg_svd_economic_tall", lambda a: svd_normalised(*L.svd(a, False), jnp),
         lambda a: svd_normalised(*sla.svd(a, False)), draws(normal(5, 3))),
    Spec("scipy_linalg_svd_values_wide_batched", lambda a: L.svd(a, compute_uv=False),
         lambda a: sla.svd(a, compute_uv=False), draws(normal(2, 3, 5)), grad=2),
    Spec("scipy_linalg_qr_square", L.qr, sla.qr, draws(normal(3, 3))),
    Spec("scipy_linalg_qr_economic_tall", lambda a: L.qr(a, mode="economic"),
         lambda a: sla.qr(a, mode="economic"), draws(normal(5, 3))),
    Spec("scipy_linalg_qr_full_tall", L.qr, sla.qr, draws(normal(4, 3)), grad=0),
    Spec("scipy_linalg_qr_r_wide_batched", lambda a: L.qr(a, mode="r"), lambda a: sla.qr(a, mode="r"),
         draws(normal(2, 3, 4)), grad=0),
    Spec("scipy_linalg_polar", L.polar, sla.polar, draws(normal(4, 3))),
    Spec("scipy_linalg_polar_left_batched", lambda a: L.polar(a, "left", method="svd"),
         lambda a: sla.polar(a, "left"), draws(normal(2, 3, 4))),
    Spec("scipy_linalg_eigh_tridiagonal", lambda d, e: eigh_normalised(*L.eigh_tridiagonal(d, e), jnp),
         lambda d, e: eigh_normalised(*sla.eigh_tridiagonal(d, e)), draws(normal(5), normal(4))),
    Spec("scipy_linalg_eigh_tridiagonal_select",
         lambda d, e: L.eigh_tridiagonal(d, e, eigvals_only=True, select="i", select_range=(1, 3)),
         lambda d, e: sla.eigh_tridiagonal(d, e, eigvals_only=True, select="i", select_range=(1, 3)),
         draws(normal(5), normal(4))),
    # solve_triangular: every trans spelling, both triangles, unit diagonal, vector b
    *[Spec(f"scipy_linalg_solve_triangular_{trans}_{'lower' if lower else 'upper'}",
           lambda a, b, t=trans, lo=lower: L.solve_triangular(a, b, trans=t, lower=lo),
           lambda a, b, t=trans, lo=lower: sla.solve_triangular(a, b, trans=t, lower=lo),
           draws(triangular(4, 4), normal(4, 2)), grad=2 if trans == 0 else 1)
      for trans, lower in [(0, False), (1, True), (2, False), ("N", True), ("T", False), ("C", True)]],
    Spec("scipy_linalg_solve_triangular_unit_vector",
         lambda a, b: L.solve_triangular(a, b, lower=True, unit_diagonal=True),
         lambda a, b: sla.solve_triangular(a, b, lower=True, unit_diagonal=True),
         draws(normal(4, 4), normal(4))),
    Spec("scipy_linalg_solve_triangular_broadcast",
         lambda a, b: L.solve_triangular(a, b, trans="T"),
         lambda a, b: sla.solve_triangular(np.broadcast_to(a, (2, 3, 3)), b, trans="T"),
         draws(triangular(3, 3), normal(2, 3, 2))),
    # expm: each Padé degree (float64 picks it from the 1-norm), squarings, triangular
    *[Spec(f"scipy_linalg_expm_norm_{scale}", L.expm, sla.expm, draws(scaled(scale, 4, 4)),
           rtol=1e-9, atol=1e-10)
      for scale in (0.02, 0.5, 1.5, 3.5, 8.0, 60.0)],
    Spec("scipy_linalg_expm_batched", L.expm, sla.expm, draws(scaled(4.0, 2, 3, 3)), grad=2,
         rtol=1e-9, atol=1e-10),
    Spec("scipy_linalg_expm_upper_triangular", lambda a: L.expm(jnp.triu(a), upper_triangular=True),
         lambda a: sla.expm(np.triu(a)), draws(scaled(12.0, 4, 4)), rtol=1e-9, atol=1e-10),
    Spec("scipy_linalg_expm_frechet", L.expm_frechet, sla.expm_frechet,
         draws(scaled(6.0, 3, 3), normal(3, 3)), rtol=1e-9, atol=1e-10),
    Spec("scipy_linalg_expm_frechet_only", lambda a, e: L.expm_frechet(a, e, compute_expm=False),
         lambda a, e: sla.expm_frechet(a, e, compute_expm=False), draws(scaled(0.3, 3, 3), normal(3, 3)),
         rtol=1e-9, atol=1e-10),
    # structured matrices
    Spec("scipy_linalg_block_diag", lambda a, b, c: L.block_diag(a, b, c, 2.0),
         lambda a, b, c: sla.block_diag(a, b, c, 2.0), draws(normal(2, 3), normal(3), normal(1, 1))),
    Spec("scipy_linalg_toeplitz", L.toeplitz, sla.toeplitz, draws(normal(4), normal(3))),
    Spec("scipy_linalg_toeplitz_symmetric", L.toeplitz, sla.toeplitz, draws(normal(4))),
    Spec("scipy_linalg_hankel", L.hankel, sla.hankel, draws(normal(3), normal(5))),
    Spec("scipy_linalg_hankel_square", L.hankel, sla.hankel, draws(normal(4))),
    Spec("scipy_linalg_circulant", L.circulant, sla.circulant, draws(normal(4))),
]
