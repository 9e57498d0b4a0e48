"""fx.scipy.linalg beyond the table in tests/api_specs/scipy_linalg.py: JAX's signatures,
clear errors, dtypes (float32 by default, float64 with x64), expm's accuracy and
gradient on matrices of large norm, and the conventions the table cannot see (which
triangle is read, SciPy's pivots, the derivative of the positive-definite solve)."""
import inspect

import numpy as np
import pytest
import scipy.linalg as sla

import fx
import fx.numpy as jnp
import fx.scipy
from fx.scipy import linalg as L


def spd(rng, *shape):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def test_import_fx_scipy_brings_linalg():
    assert fx.scipy.linalg is L


# jax.scipy.linalg's signatures (JAX 0.10.2); "kw:" marks keyword-only parameters.
JAX_SIGNATURES = {
    "block_diag": "*arrs",
    "cho_factor": "a, lower=False, overwrite_a=False, check_finite=True",
    "cho_solve": "c_and_lower, b, overwrite_b=False, check_finite=True",
    "cholesky": "a, lower=False, overwrite_a=False, check_finite=True",
    "circulant": "c",
    "det": "a, overwrite_a=False, check_finite=True",
    "eigh": "a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False, "
            "turbo=True, eigvals=None, type=1, check_finite=True",
    "eigh_tridiagonal": "d, e, kw:eigvals_only=False, kw:select='a', kw:select_range=None, "
                        "kw:tol=None, kw:key=None",
    "expm": "A, kw:upper_triangular=False, kw:max_squarings=16",
    "expm_frechet": "A, E, kw:method=None, kw:compute_expm=True",
    "hankel": "c, r=None",
    "inv": "a, overwrite_a=False, check_finite=True",
    "lu": "a, permute_l=False, overwrite_a=False, check_finite=True",
    "lu_factor": "a, overwrite_a=False, check_finite=True",
    "lu_solve": "lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True",
    "polar": "a, side='right', kw:method='qdwh', kw:eps=None, kw:max_iterations=None",
    "qr": "a, overwrite_a=False, lwork=None, mode='full', pivoting=False, check_finite=True",
    "solve": "a, b, lower=False, overwrite_a=False, overwrite_b=False, debug=False, "
             "check_finite=True, assume_a='gen'",
    "solve_triangular": "a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, "
                        "debug=None, check_finite=True",
    "svd": "a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, "
           "lapack_driver='gesdd'",
    "toeplitz": "c, r=None",
}


def spelled(fn):
    def one(p):
        if p.kind is p.VAR_POSITIONAL:
            return "*" + p.name
        text = p.name if p.default is p.empty else f"{p.name}={p.default!r}"
        return "kw:" + text if p.kind is p.KEYWORD_ONLY else text
    return ", ".join(one(p) for p in inspect.signature(fn).parameters.values())


@pytest.mark.parametrize("name", sorted(JAX_SIGNATURES))
def test_signature_matches_jax(name):
    assert spelled(getattr(L, name)) == JAX_SIGNATURES[name]
    assert name in L.__all__


def test_ignored_scipy_arguments_are_accepted(rng):
    a = spd(rng, 3, 3)
    b = rng.standard_normal(3)
    x = L.solve(a, b, overwrite_a=True, overwrite_b=True, debug=True, check_finite=False)
    np.testing.assert_allclose(a @ np.asarray(x), b, rtol=1e-4, atol=1e-4)
    c = L.cho_factor(a, overwrite_a=True, check_finite=False)
    np.testing.assert_allclose(L.cho_solve(c, b, overwrite_b=True, check_finite=False), x, rtol=1e-5)
    r, = L.qr(a, overwrite_a=True, lwork=10, mode="r", check_finite=False)
    assert r.shape == (3, 3)


# ---------------------------------------------------------------------------- errors

E3 = np.eye(3)


@pytest.mark.parametrize("call, error, match", [
    (lambda: L.cholesky(np.ones((3, 4))), ValueError, "square"),
    (lambda: L.cholesky(np.ones(3)), ValueError, r"matrices \(\.\.\., m, n\)"),
    (lambda: L.lu(np.ones((2, 3))), ValueError, "square"),
    (lambda: L.lu_factor(np.ones(())), ValueError, "matrices"),
    (lambda: L.inv(np.ones((2, 3))), ValueError, "square"),
    (lambda: L.det(np.ones(3)), ValueError, "rank >= 2"),
    (lambda: L.expm(np.ones((2, 3))), ValueError, "square"),
    (lambda: L.expm(E3, max_squarings=-1), ValueError, "max_squarings"),
    (lambda: L.expm_frechet(E3, np.eye(2)), ValueError, "one shape"),
    (lambda: L.solve_triangular(E3, np.ones(4)), ValueError, r"b must have shape \(3,\)"),
    (lambda: L.solve_triangular(E3, np.ones(())), ValueError, "b must have shape"),
    (lambda: L.solve_triangular(E3, np.ones(3), trans=3), ValueError, "trans"),
    (lambda: L.solve_triangular(E3, np.ones(3), trans="X"), ValueError, "trans"),
    (lambda: L.solve_triangular(E3, np.ones(3), trans=True), ValueError, "trans"),
    (lambda: L.solve_triangular(E3, np.ones(3), trans=1.0), ValueError, "trans"),
    (lambda: L.lu_solve(L.lu_factor(E3), np.ones(3), trans=3), ValueError, "trans"),
    (lambda: L.lu_solve((E3, np.zeros(3)), np.ones(3)), ValueError, "piv must be integers"),
    (lambda: L.lu_solve((E3, np.zeros(2, np.int32)), np.ones(3)), ValueError, "piv"),
    (lambda: L.cho_solve((np.ones((3, 2)), False), np.ones(3)), ValueError, "square"),
    (lambda: L.cho_solve((E3, False), np.ones((2, 2))), ValueError, "b must have shape"),
    (lambda: L.solve(E3, np.ones(3), assume_a="banded"), ValueError, "assume_a"),
    (lambda: L.solve(E3, np.ones(2), assume_a="pos"), ValueError, "b must have shape"),
    (lambda: L.solve(E3, np.ones(2)), ValueError, "b must have shape"),
    (lambda: L.qr(E3, mode="reduced"), ValueError, "mode"),
    (lambda: L.qr(E3, pivoting=True), NotImplementedError, "pivoting"),
    (lambda: L.svd(np.ones(3)), ValueError, "matrices"),
    (lambda: L.eigh(E3, E3), NotImplementedError, "generalised"),
    (lambda: L.eigh(E3, eigvals=(2, 3)), ValueError, "eigvals"),
    (lambda: L.eigh(E3, eigvals=(0, 1, 2)), ValueError, "eigvals"),
    (lambda: L.expm(E3.astype(np.float16)), TypeError, "float32 or float64"),
    (lambda: L.eigh(np.ones((2, 3))), ValueError, "square"),
    (lambda: L.polar(E3, side="up"), ValueError, "side"),
    (lambda: L.polar(np.ones(3)), ValueError, "matrices"),
    (lambda: L.block_diag(np.ones((2, 2, 2))), ValueError, "at most 2 dimensions"),
    (lambda: L.toeplitz([1.0, 2.0]), TypeError, "asarray"),
    (lambda: L.eigh_tridiagonal(np.ones(3), np.ones(2, np.int32)), TypeError, "one dtype"),
    (lambda: L.eigh_tridiagonal(np.ones(3), np.ones(3)), ValueError, r"\(n - 1,\)"),
    (lambda: L.eigh_tridiagonal(np.ones(3), np.ones(2), select="v"), NotImplementedError, "'v'"),
    (lambda: L.eigh_tridiagonal(np.ones(3), np.ones(2), select="i"), ValueError, "select_range"),
])
def test_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------- dtypes

CALLS = {
    "cholesky": lambda a, b: L.cholesky(a),
    "cho_solve": lambda a, b: L.cho_solve(L.cho_factor(a), b),
    "lu": lambda a, b: L.lu(a),
    "lu_solve": lambda a, b: L.lu_solve(L.lu_factor(a), b, trans=1),
    "solve_pos": lambda a, b: L.solve(a, b, assume_a="pos"),
    "solve_triangular": lambda a, b: L.solve_triangular(a, b),
    "inv": lambda a, b: L.inv(a),
    "det": lambda a, b: L.det(a),
    "eigh": lambda a, b: L.eigh(a),
    "svd": lambda a, b: L.svd(a),
    "qr": lambda a, b: L.qr(a),
    "polar": lambda a, b: L.polar(a),
    "expm": lambda a, b: L.expm(a),
    "expm_frechet": lambda a, b: L.expm_frechet(a, a),
    "toeplitz": lambda a, b: L.toeplitz(b),
    "block_diag": lambda a, b: L.block_diag(a, b),
}
INT_SPD = np.array([[4, 1, 0], [1, 3, 1], [0, 1, 2]])
KEEP_INTEGERS = ("toeplitz", "block_diag")


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("x64", [False, True])
def test_float32_by_default_and_float64_with_x64(name, x64):
    """float64 (and 64-bit integer) inputs give float32 results unless x64 is on, float32
    stays float32, as in JAX; toeplitz and block_diag keep integers. jit agrees."""
    wide = np.float64 if x64 else np.float32
    cases = [(np.float64, wide), (np.float32, np.float32),
             (np.int64, (np.int64 if x64 else np.int32) if name in KEEP_INTEGERS else wide)]
    with fx.config.override("enable_x64", x64):
        for dtype, expected in cases:
            a, b = INT_SPD.astype(dtype), np.arange(1, 4).astype(dtype)
            for out in (CALLS[name](a, b), fx.jit(CALLS[name])(a, b)):
                assert [x.dtype for x in fx.tree.leaves(out)] == [expected] * len(fx.tree.leaves(out))


def test_integer_inputs_are_solved_as_floats():
    with fx.config.override("enable_x64", False):
        x = L.solve(INT_SPD.astype(np.int32), np.array([1, 2, 3], np.int32), assume_a="pos")
    assert x.dtype == np.float32
    np.testing.assert_allclose(INT_SPD @ np.asarray(x), [1, 2, 3], rtol=1e-5)


# ---------------------------------------------------------------------------- expm

def known_exponentials(scale, rng):
    """(A, exp(A)) pairs with exact exponentials and 1-norms around `scale`."""
    rotation = scale * np.array([[0.0, -1.0], [1.0, 0.0]])
    c, s = np.cos(scale), np.sin(scale)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    d = np.linspace(-scale, min(scale, 20), 5)
    jordan = -scale / 4 * np.eye(4) + np.diag(np.ones(3) * scale / 8, 1)
    n = jordan + scale / 4 * np.eye(4)  # nilpotent: exp(jordan) = e^(-scale/4) (I + n + n^2/2 + n^3/6)
    return [(rotation, np.array([[c, -s], [s, c]])),
            (q @ np.diag(d) @ q.T, q @ np.diag(np.exp(d)) @ q.T),
            (jordan, np.exp(-scale / 4) * (np.eye(4) + n + n @ n / 2 + n @ n @ n / 6))]


@pytest.mark.parametrize("scale", [0.01, 1.0, 10.0, 30.0, 200.0, 1500.0])
def test_expm_accurate_on_matrices_of_large_norm(scale, rng, x64):
    for a, exact in known_exponentials(scale, rng):
        for out in (L.expm(a), fx.jit(L.expm)(a)):
            error = np.linalg.norm(np.asarray(out) - exact) / np.linalg.norm(exact)
            # rounding grows with the norm (the squarings, the rotation's angle) but stays
            # tiny; JAX's floor in the scaling gave 3e-9 at scale 10 and 9e-12 at 30
            assert error < 1e-15 * max(scale, 10), (scale, error)
        np.testing.assert_allclose(L.expm(a), sla.expm(a), rtol=1e-9, atol=1e-12 * np.abs(exact).max())


@pytest.mark.parametrize("scale", [0.3, 3.0, 40.0])
def test_expm_float32(scale, rng):
    with fx.config.override("enable_x64", False):
        for a, exact in known_exponentials(scale, rng):
            out = np.asarray(L.expm(a.astype(np.float32)))
            assert out.dtype == np.float32
            assert np.linalg.norm(out - exact) / np.linalg.norm(exact) < 2e-6 * max(scale, 1)


def test_expm_nans_beyond_max_squarings_and_identity_of_zero(x64):
    a = np.array([[0.0, 1e7], [0.0, 0.0]])  # 1-norm 1e7 needs 21 squarings
    assert np.isnan(np.asarray(L.expm(a))).all()
    np.testing.assert_allclose(L.expm(a, max_squarings=24), [[1, 1e7], [0, 1]], rtol=1e-12)
    np.testing.assert_array_equal(L.expm(np.zeros((2, 3, 3))), np.broadcast_to(np.eye(3), (2, 3, 3)))
    assert L.expm(np.zeros((0, 0))).shape == (0, 0)


@pytest.mark.parametrize("scale", [5.0, 80.0])
def test_expm_gradient_matches_finite_differences_at_large_norm(scale, rng, x64):
    a = scale * rng.standard_normal((4, 4)) / 4
    w, t = rng.standard_normal((2, 4, 4))

    def f(a):
        expm_a = L.expm(a)
        return jnp.sum(w * expm_a) / jnp.linalg.norm(expm_a)

    eps = 1e-6
    fd = (float(f(a + eps * t)) - float(f(a - eps * t))) / (2 * eps)
    for g in (fx.grad(f)(a), fx.jit(fx.grad(f))(a)):
        np.testing.assert_allclose(np.sum(np.asarray(g) * t), fd, rtol=1e-5, atol=1e-7)
    # and the Frechet derivative is that directional derivative
    _, frechet = L.expm_frechet(a, t)
    np.testing.assert_allclose(frechet, sla.expm_frechet(a, t)[1], rtol=1e-8,
                               atol=1e-10 * np.abs(sla.expm(a)).max())


# ---------------------------------------------------------------------------- conventions

def test_cholesky_and_pos_solve_read_one_triangle(rng, x64):
    a = spd(rng, 4, 4)
    junk = rng.standard_normal((4, 4))
    junk_above, junk_below = a + np.triu(junk, 1), a + np.tril(junk, -1)
    np.testing.assert_allclose(L.cholesky(junk_below), sla.cholesky(a), rtol=1e-12)
    np.testing.assert_allclose(L.cholesky(junk_above, lower=True), sla.cholesky(a, lower=True), rtol=1e-12)
    b = rng.standard_normal(4)
    np.testing.assert_allclose(L.solve(junk_above, b, assume_a="pos", lower=True), np.linalg.solve(a, b),
                               rtol=1e-10)
    np.testing.assert_allclose(L.solve(junk_below, b, assume_a="pos"), np.linalg.solve(a, b), rtol=1e-10)


def test_pos_solve_has_the_general_solve_derivative(rng, x64):
    """As JAX's (a custom linear solve): the derivative with respect to every entry of a,
    not only the triangle the Cholesky factor reads."""
    a, b, w = spd(rng, 4, 4), rng.standard_normal((4, 2)), rng.standard_normal((4, 2))

    def loss(assume_a):
        return lambda a, b: jnp.sum(w * L.solve(a, b, assume_a=assume_a)) ** 2
    for argnum in (0, 1):
        expected = fx.grad(loss("gen"), argnum)(a, b)
        np.testing.assert_allclose(fx.grad(loss("pos"), argnum)(a, b), expected, rtol=1e-9)
        np.testing.assert_allclose(fx.jit(fx.grad(loss("pos"), argnum))(a, b), expected, rtol=1e-9)
    assert not np.allclose(np.triu(fx.grad(loss("pos"))(a, b), 1), 0)  # both triangles move


def test_lu_solve_takes_scipys_factorisation(rng, x64):
    a, b = rng.standard_normal((5, 5)), rng.standard_normal((5, 3))
    for trans in (0, 1, np.int64(2)):
        np.testing.assert_allclose(L.lu_solve(sla.lu_factor(a), b, trans=trans),
                                   sla.lu_solve(sla.lu_factor(a), b, trans=trans), rtol=1e-10)


def test_lu_factors_reconstruct_batched_under_jit(rng, x64):
    a = rng.standard_normal((3, 4, 4))
    p, lower, upper = fx.jit(L.lu)(a)
    p, lower, upper = map(np.asarray, (p, lower, upper))
    np.testing.assert_allclose(p @ lower @ upper, a, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.sort(p, axis=-1)[..., -1], 1)  # one 1 per row and column
    np.testing.assert_array_equal(p.sum(axis=-2), 1)
    np.testing.assert_array_equal(np.diagonal(lower, axis1=-2, axis2=-1), 1)
    np.testing.assert_array_equal(np.triu(lower, 1), 0)
    np.testing.assert_array_equal(np.tril(upper, -1), 0)


def test_batched_vector_right_hand_side_warns_as_jax(rng, x64):
    """b of shape (..., n) against a of (..., n, n): JAX's deprecated batch of vectors."""
    a = np.tril(rng.standard_normal((2, 3, 3))) + 3 * np.eye(3)
    b = rng.standard_normal((2, 3))
    with pytest.warns(FutureWarning, match="batched 1D solves"):
        x = L.solve_triangular(a, b, lower=True)
    np.testing.assert_allclose(x, [sla.solve_triangular(ai, bi, lower=True) for ai, bi in zip(a, b)],
                               rtol=1e-12)
    with pytest.warns(FutureWarning):
        x = L.lu_solve(L.lu_factor(a), b)
    np.testing.assert_allclose(np.einsum("bij,bj->bi", a, x), b, rtol=1e-10)


def test_eigh_is_symmetrised_as_jax(rng, x64):
    """JAX averages the triangles before eigh: `lower` does not change a symmetric
    result, and an asymmetric input gives the eigenvalues of (a + a^T) / 2."""
    a = rng.standard_normal((4, 4))
    expected = np.linalg.eigvalsh((a + a.T) / 2)
    for lower in (True, False):
        np.testing.assert_allclose(L.eigh(a, lower=lower, eigvals_only=True), expected, rtol=1e-12)


def test_eigh_tridiagonal_is_the_dense_eigh(rng, x64):
    d, e = rng.standard_normal(6), rng.standard_normal(5)
    w, v = L.eigh_tridiagonal(d, e)
    t = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
    np.testing.assert_allclose(t @ np.asarray(v), np.asarray(v) * np.asarray(w), atol=1e-12)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(t), rtol=1e-12)


def test_polar_factors(rng, x64):
    for shape, side in [((5, 3), "right"), ((3, 5), "left"), ((2, 4, 4), "right")]:
        a = rng.standard_normal(shape)
        u, p = map(np.asarray, L.polar(a, side))
        np.testing.assert_allclose(u @ p if side == "right" else p @ u, a, atol=1e-12)
        np.testing.assert_allclose(p, np.swapaxes(p, -1, -2), atol=1e-12)
        assert (np.linalg.eigvalsh(p) > -1e-12).all()
