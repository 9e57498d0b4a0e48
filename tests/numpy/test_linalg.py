"""fx.lax.linalg and fx.numpy.linalg beyond the generated tests: the native (LAPACK) path
against NumPy in float32 and float64, batched; what the factors satisfy, whatever their
signs; NaNs for failed factorisations; errors; and compiling without LAPACK."""
import subprocess
import sys

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.ir import kernels as K
from fx.ir.lower import lower_jaxpr
from fx.lax import linalg

TOL = {np.float32: 2e-5, np.float64: 1e-12}


pytestmark = pytest.mark.usefixtures("x64")


def spd(rng, *shape):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def eager_and_jit(f, *args):
    return [[np.asarray(x) for x in fx.tree.leaves(r)] for r in (f(*args), fx.jit(f)(*args))]


def close(x, y, dtype, scale=1.0):
    np.testing.assert_allclose(x, np.broadcast_to(y, np.shape(x)), rtol=TOL[dtype], atol=TOL[dtype] * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_factorisations_satisfy_their_definitions(dtype, rng):
    a = rng.standard_normal((2, 3, 5, 4)).astype(dtype)
    s = spd(rng, 2, 3, 4, 4).astype(dtype)
    sq = a[..., :4, :]
    eye = np.eye(4, dtype=dtype)
    t = lambda x: np.swapaxes(x, -1, -2)  # noqa: E731
    for outs in eager_and_jit(lambda x: linalg.cholesky(x), s):
        (factor,) = outs
        assert factor.dtype == dtype and np.all(np.triu(factor, 1) == 0)
        close(factor @ t(factor), s, dtype, 10)
    for outs in eager_and_jit(linalg.lu, sq):
        lu, pivots, perm = outs
        assert pivots.dtype == perm.dtype == np.int32
        lower, upper = np.tril(lu, -1) + eye, np.triu(lu)
        close(np.take_along_axis(sq, perm[..., None], -2), lower @ upper, dtype, 10)
        assert np.abs(lower).max() <= 1  # partial pivoting
    for full in (False, True):
        for outs in eager_and_jit(lambda x: linalg.qr(x, full_matrices=full), a):
            q, r = outs
            assert q.shape == (2, 3, 5, 5 if full else 4) and r.shape == (2, 3, 5 if full else 4, 4)
            close(q @ r, a, dtype, 10)
            close(t(q) @ q, np.eye(q.shape[-1]), dtype, 10)
            assert np.all(np.tril(r, -1) == 0)
    for outs in eager_and_jit(lambda x: linalg.eigh(x), s):
        v, w = outs
        close(w, np.linalg.eigvalsh(s.astype(np.float64)), dtype, 10)
        close(v @ (w[..., None] * t(v)), s, dtype, 10)
    for outs in eager_and_jit(lambda x: linalg.svd(x, full_matrices=False), a):
        u, sv, vt = outs
        close(sv, np.linalg.svd(a.astype(np.float64), compute_uv=False), dtype, 10)
        close((u * sv[..., None, :]) @ vt, a, dtype, 10)
    for outs in eager_and_jit(lambda x: linalg.svd(x, compute_uv=False), t(a)):
        close(outs[0], np.linalg.svd(a.astype(np.float64), compute_uv=False), dtype, 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_solves_match_numpy(dtype):
    rng = np.random.default_rng(1)
    a = (rng.standard_normal((3, 4, 4)) + 4 * np.eye(4)).astype(dtype)
    b = rng.standard_normal((3, 4, 2)).astype(dtype)
    f = lambda a, b: (jnp.linalg.solve(a, b), jnp.linalg.inv(a), jnp.linalg.det(a))  # noqa: E731
    want = [np.linalg.solve(a, b), np.linalg.inv(a), np.linalg.det(a)]
    for outs in eager_and_jit(f, a, b):
        for got, expected in zip(outs, want):
            assert got.dtype == dtype
            close(got, expected, dtype, 10)
    for transpose_a in (False, True):
        g = lambda a, b: linalg.triangular_solve(a, b, left_side=True, lower=True,  # noqa: E731
                                                 transpose_a=transpose_a)
        tri = np.tril(a)
        want = np.linalg.solve(np.swapaxes(tri, -1, -2) if transpose_a else tri, b)
        for (got,) in eager_and_jit(g, a, b):
            close(got, want, dtype, 10)


def test_lu_pivots_follow_jax():
    a = np.random.default_rng(0).standard_normal((4, 4))  # JAX: pivots [3 2 2 3], perm [3 2 1 0]
    for lu, pivots, perm in eager_and_jit(linalg.lu, a):
        np.testing.assert_array_equal(pivots, [3, 2, 2, 3])
        np.testing.assert_array_equal(perm, [3, 2, 1, 0])


def test_failed_cholesky_gives_nans_only_where_it_failed():
    rng = np.random.default_rng(2)
    s = spd(rng, 3, 3, 3)
    s[1] = -s[1]          # not positive definite
    s[2, 0, 0] = np.nan   # rejected input
    for (factor,) in eager_and_jit(jnp.linalg.cholesky, s):
        assert np.all(np.isnan(factor[1:])) and not np.isnan(factor[0]).any()
        np.testing.assert_allclose(factor[0], np.linalg.cholesky(s[0]), rtol=1e-12)


@pytest.mark.parametrize("f", [lambda x: linalg.lu(x)[0], lambda x: linalg.eigh(x)[1],
                               lambda x: linalg.svd(x)[1], lambda x: linalg.qr(x)[1]],
                         ids=["lu", "eigh", "svd", "qr"])
def test_nan_input_gives_nans_never_a_crash(f):
    x = np.random.default_rng(3).standard_normal((2, 3, 3))
    x[0, 1, 1] = np.nan
    for (out,) in eager_and_jit(f, x):
        assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()


def test_singular_matrices():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    for det, sign, logdet in eager_and_jit(lambda a: (jnp.linalg.det(a), *jnp.linalg.slogdet(a)), a):
        assert det == 0 and sign == 0 and logdet == -np.inf
    assert int(jnp.linalg.matrix_rank(a)) == 1


def test_grad_det_is_the_cofactor_matrix():
    a = np.random.default_rng(4).standard_normal((4, 4))
    expected = np.linalg.det(a) * np.linalg.inv(a).T
    np.testing.assert_allclose(fx.grad(jnp.linalg.det)(a), expected, rtol=1e-10)
    np.testing.assert_allclose(fx.jit(fx.grad(jnp.linalg.det))(a), expected, rtol=1e-10)


def test_program_calls_lapack_and_checks_buffer_sizes():
    closed = fx.make_jaxpr(jnp.linalg.cholesky)(np.eye(3))
    program = lower_jaxpr(closed)
    (stmt,) = [s for s in program.body if isinstance(s, K.Linalg)]
    assert stmt.op == "cholesky" and "linalg" in str(program)
    stmt.args = (stmt.args[0], K.Buffer("small", (0,), np.dtype(np.int32), "temp"))
    with pytest.raises(K.OutOfBoundsError, match="cholesky buffers"):
        K.verify_bounds(program)


@pytest.mark.parametrize("call, error, match", [
    (lambda: linalg.cholesky(np.ones((3, 3), np.int32)), TypeError, "float32 or float64"),
    (lambda: linalg.cholesky(np.ones((3, 4))), ValueError, "square"),
    (lambda: linalg.svd(np.ones(3)), ValueError, "rank >= 2"),
    (lambda: linalg.triangular_solve(np.eye(3), np.ones((2, 3)), left_side=True), ValueError,
     "triangular_solve"),
    (lambda: jnp.linalg.solve(np.eye(3), np.ones(4)), ValueError, "b must have shape"),
    (lambda: jnp.linalg.qr(np.eye(3), mode="raw"), ValueError, "mode"),
    (lambda: jnp.linalg.norm(np.ones(3), "fro"), ValueError, "not a vector norm"),
    (lambda: jnp.linalg.norm(np.ones((3, 3)), 3), ValueError, "not a matrix norm"),
    (lambda: jnp.linalg.matrix_power(np.eye(3), 1.5), TypeError, "integer"),
    (lambda: fx.grad(lambda x: linalg.qr(x)[0].sum())(np.ones((2, 3))), NotImplementedError, "qr"),
])
def test_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_integer_input_is_promoted_by_numpy_linalg():
    with fx.config.override("enable_x64", False):
        out = jnp.linalg.inv(np.array([[2, 0], [0, 4]], np.int32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.5, 0], [0, 0.25]])


def test_without_lapack_jit_fails_clearly_and_eager_works():
    script = """
import numpy as np, fx, fx.numpy as jnp
a = np.eye(3) * 4.0
print(float(jnp.linalg.det(a)))
try:
    fx.jit(jnp.linalg.det)(a)
except RuntimeError as e:
    print(type(e).__name__, e)
"""
    env = dict(__import__("os").environ, FX_BLAS="off")
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert float(lines[0]) == 64.0
    assert lines[1].startswith("LapackUnavailable") and "FX_BLAS=off" in lines[1]
