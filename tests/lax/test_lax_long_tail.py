"""The long tail of fx.lax / fx.lax.linalg / fx.scipy.linalg beyond the value, jit, grad
and vmap checks of tests/api_specs/lax_long_tail.py: JAX's errors, result dtypes with and
without x64 (JAX's values written as literals), and implicit differentiation by
custom_root and custom_linear_solve against closed forms."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax
from fx.lax import linalg as lax_linalg
from fx.scipy import linalg as L


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call, error, match", [
    (lambda: lax.tile(np.ones(3), (2, 2)), TypeError, "reps length must be equal"),
    (lambda: lax.split(np.ones(5), (2, 2)), ValueError, "Sum of sizes 4"),
    (lambda: lax.collapse(np.ones((2, 3)), 1, 0), ValueError, "Invalid dimension range"),
    (lambda: lax.index_in_dim(np.ones(3), 3), IndexError, "out of bounds"),
    (lambda: lax.broadcast_shapes((2, 3), (4,)), ValueError, "Incompatible shapes"),
    (lambda: lax.stack([]), ValueError, "at least one"),
    (lambda: lax.reduce_and(np.ones(3), (0,)), TypeError, "boolean or integer"),
    (lambda: lax.reduce_xor(np.ones(3, np.int32), (1,)), ValueError, "out of bounds"),
    (lambda: lax.reduce(np.ones(3), (0.0, 0.0), lax.add, (0,)), ValueError, "tree structure"),
    (lambda: lax.reduce(np.ones(3), np.zeros(2), lax.add, (0,)), TypeError, "scalar"),
    (lambda: lax.cumlogsumexp(np.arange(3)), TypeError, "floating"),
    (lambda: lax.population_count(np.ones(2)), TypeError, "integer operand"),
    (lambda: lax.clz(np.ones(2, np.float32)), TypeError, "integer operand"),
    (lambda: lax.mulhi(np.ones(2), np.ones(2)), TypeError, "integer operands"),
    (lambda: lax.nextafter(np.ones(2, np.int32), np.ones(2, np.int32)), TypeError, "float operands"),
    (lambda: lax.approx_max_k(np.ones(3), 4), ValueError, "at most the size"),
    (lambda: lax.approx_min_k(np.ones(3), 2, recall_target=0.0), ValueError, "recall_target"),
    (lambda: lax.platform_dependent(1.0, tpu=lambda x: x), NotImplementedError, "no branch"),
    (lambda: lax.custom_root(lambda x: (x, x), 1.0, lambda f, x: x, lambda g, y: y), TypeError,
     "structured like its input"),
    (lambda: lax_linalg.lu_pivots_to_permutation(np.zeros(3, np.int32), 2), ValueError,
     "at least the number of pivots"),
    (lambda: lax_linalg.lu_pivots_to_permutation(np.zeros(3), 3), TypeError, "integers"),
    (lambda: lax_linalg.tridiagonal_solve(np.ones(3), np.ones(3), np.ones(2), np.ones((3, 1))),
     TypeError, "same shape"),
    (lambda: lax_linalg.tridiagonal_solve(np.ones(3), np.ones(3), np.ones(3), np.ones((2, 1))),
     TypeError, "leading ndim-1"),
    (lambda: lax_linalg.cholesky_update(np.eye(3), np.ones(2)), ValueError, "same size"),
    (lambda: lax_linalg.symmetric_product(np.ones((2, 3)), np.ones((3, 3))), ValueError, "(..., m, m)"),
    (lambda: L.hadamard(6), ValueError, "power of 2"),
    (lambda: L.dft(3, "sqrt"), ValueError, "scale must be"),
    (lambda: L.dft(3, dtype=np.float32), ValueError, "complex"),
    (lambda: L.pascal(3, "diagonal"), ValueError, "kind"),
    (lambda: L.convolution_matrix(np.ones(3), 0), ValueError, ">= 1"),
    (lambda: L.convolution_matrix(np.ones(3), 2, "circular"), ValueError, "mode"),
    (lambda: L.companion(np.ones(1)), ValueError, "at least 2"),
    (lambda: L.leslie(np.ones(3), np.ones(3)), ValueError, "one less"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------- dtypes and values

def test_bit_functions_keep_dtype_and_match_jax():
    # jax.lax.population_count(int8 [-1, 7]) == [8, 3]; clz(int8 [-1, 1, 0]) == [0, 7, 8]
    pc = lax.population_count(np.array([-1, 7], np.int8))
    assert pc.dtype == np.int8 and pc.tolist() == [8, 3]
    c = lax.clz(np.array([-1, 1, 0], np.int8))
    assert c.dtype == np.int8 and c.tolist() == [0, 7, 8]
    assert lax.clz(np.array([1], np.uint32)).tolist() == [31]


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32])
def test_mulhi_small_types(dtype):
    info = np.iinfo(dtype)
    x = np.array([info.min, info.max, -1 if info.min else 1, 3, info.max // 3], dtype)
    y = np.array([info.max, info.max, info.max, info.min, 7], dtype)
    bits = info.bits
    want = [((int(a) * int(b)) >> bits) & ((1 << bits) - 1) for a, b in zip(x, y)]
    got = lax.mulhi(x, y)
    assert got.dtype == dtype
    assert np.asarray(got).astype(np.int64).tolist() == np.array(want).astype(dtype).astype(np.int64).tolist()
    assert fx.jit(lax.mulhi)(x, y).tolist() == got.tolist()


def test_mulhi_jax_literals():
    # jax.lax.mulhi(int64 [-5, 2**62], [3, 7]) == [-1, 1]; uint8 200 * 200 -> 156
    with fx.config.override("enable_x64", True):
        assert lax.mulhi(np.array([-5, 2**62]), np.array([3, 7])).tolist() == [-1, 1]
    assert lax.mulhi(np.array([200], np.uint8), np.array([200], np.uint8)).tolist() == [156]


def test_float32_results_without_x64():
    # jax.lax.nextafter(float32 0, 1) == 1e-45 (the smallest subnormal), (1, 2) == 1.0000001
    tiny = lax.nextafter(np.float32(0), np.float32(1))
    assert tiny.dtype == np.float32 and float(tiny) == float(np.float32(1e-45))
    assert float(lax.nextafter(np.float32(1), np.float32(2))) == float(np.nextafter(np.float32(1), 2))
    assert lax.reciprocal(np.float32(4)).dtype == np.float32
    assert L.hilbert(3).dtype == np.float32 and L.dft(2).dtype == np.complex64
    assert L.hadamard(2).dtype == np.int32
    assert lax.dtype(1.0) == np.float32 and lax.dtype(np.int16) == np.int16


def test_small_helpers():
    assert lax.broadcast_shapes((2, 1), (3,), ()) == (2, 3)
    e = lax.empty((2, 3), np.int16)
    assert e.shape == (2, 3) and e.dtype == np.int16
    values, indices = lax.approx_max_k(np.array([[1.0, 5, 3, 2]]), 2)
    assert values.tolist() == [[5.0, 3.0]] and indices.dtype == np.int32 and indices.tolist() == [[1, 2]]
    out = lax.optimization_barrier((1, {"a": np.ones(2)}))
    assert isinstance(out[0], fx.Array) and out[0].weak_type and out[1]["a"].tolist() == [1.0, 1.0]
    assert float(lax.platform_dependent(2.0, cpu=lambda x: x + 1, default=lambda x: x - 1)) == 3.0
    assert float(lax.platform_dependent(2.0, default=lambda x: x - 1)) == 1.0


def test_dynamic_slice_in_dim_without_negative_indices_clamps_to_start():
    x = np.arange(6.0)
    assert lax.dynamic_slice_in_dim(x, -2, 2).tolist() == [4.0, 5.0]
    assert lax.dynamic_slice_in_dim(x, -2, 2, allow_negative_indices=False).tolist() == [0.0, 1.0]


# ---------------------------------------------------------------------------- reductions

def test_reduce_uses_fx_reductions_for_monoids():
    jaxpr = str(fx.make_jaxpr(lambda x: lax.reduce(x, 0.0, lambda a, b: a + b, (0,)))(np.ones(4)))
    assert "reduce_sum" in jaxpr
    jaxpr = str(fx.make_jaxpr(lambda x: lax.reduce(x, -np.inf, lax.max, (0,)))(np.ones(4)))
    assert "reduce_max" in jaxpr


def test_reduce_other_computation_and_empty_axis():
    x = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]])
    got = lax.reduce(x, -np.inf, jnp.logaddexp, (1,))
    np.testing.assert_allclose(got, np.log(np.exp(x).sum(1)), rtol=1e-6)
    assert lax.reduce(np.zeros((2, 0), np.float32), 1.5, lax.mul, (1,)).tolist() == [1.5, 1.5]
    assert lax.reduce_xor(np.zeros((0,), np.int32), (0,)).tolist() == 0


@pytest.mark.usefixtures("x64")
def test_cumlogsumexp_infinities_and_large_values():
    x = np.array([-np.inf, -np.inf, 0.0, 1000.0, 1000.0])
    np.testing.assert_allclose(lax.cumlogsumexp(x), [-np.inf, -np.inf, 0, 1000, 1000 + np.log(2)])
    g = fx.grad(lambda x: lax.cumlogsumexp(x)[-1])(x)
    np.testing.assert_allclose(g, [0, 0, 0, 0.5, 0.5])
    assert lax.cumlogsumexp(np.array([np.inf, 1.0])).tolist() == [np.inf, np.inf]


# ---------------------------------------------------------------------------- implicit differentiation

pytest_x64 = pytest.mark.usefixtures("x64")


@pytest_x64
def test_custom_root_derivative_is_implicit_not_through_the_solver():
    """The solver's own derivative is zero (stop_gradient): only the implicit function
    theorem gives d sqrt(a) / da = 1 / (2 sqrt(a))."""
    def root(a):
        return lax.custom_root(lambda x: x * x - a, 1.0, lambda f, x0: lax.stop_gradient(jnp.sqrt(a)),
                               lambda g, y: y / g(1.0))
    assert float(fx.grad(root)(4.0)) == pytest.approx(0.25, rel=1e-14)
    assert float(fx.jvp(root, (4.0,), (1.0,))[1]) == pytest.approx(0.25, rel=1e-14)
    assert float(fx.grad(fx.grad(root))(4.0)) == pytest.approx(-1 / 32, rel=1e-12)  # -a^(-3/2) / 4
    np.testing.assert_allclose(fx.vmap(fx.grad(root))(np.array([1.0, 4.0, 9.0])), [0.5, 0.25, 1 / 6])


@pytest_x64
def test_custom_root_vector_pytree_with_aux():
    """Root of x -> A x - b (a dict of two blocks) by a while_loop of Jacobi sweeps; aux
    is the number of sweeps. dx/db = A^-1."""
    a = np.array([[4.0, 1.0], [1.0, 3.0]])

    def solve_for(b):
        def f(x):
            v = jnp.stack([x["u"], x["v"]])
            r = a @ v - b
            return {"u": r[0], "v": r[1]}

        def solve(f, x0):
            def sweep(state):
                x, n = state
                r = f(x)
                return {"u": x["u"] - r["u"] / a[0, 0], "v": x["v"] - r["v"] / a[1, 1]}, n + 1
            done = lambda s: jnp.maximum(jnp.abs(f(s[0])["u"]), jnp.abs(f(s[0])["v"])) < 1e-14  # noqa: E731
            return lax.while_loop(lambda s: ~done(s), sweep, (x0, 0))

        def tangent_solve(g, y):
            jac = jnp.stack([jnp.stack([g({"u": 1.0, "v": 0.0})[k], g({"u": 0.0, "v": 1.0})[k]])
                             for k in ("u", "v")])
            sol = jnp.linalg.solve(jac, jnp.stack([y["u"], y["v"]]))
            return {"u": sol[0], "v": sol[1]}
        return lax.custom_root(f, {"u": 0.0, "v": 0.0}, solve, tangent_solve, has_aux=True)

    b = np.array([1.0, 2.0])
    (x, sweeps) = solve_for(b)
    np.testing.assert_allclose([x["u"], x["v"]], np.linalg.solve(a, b), rtol=1e-12)
    assert int(sweeps) > 3
    jac = fx.jacrev(lambda b: jnp.stack(list(solve_for(b)[0].values())))(b)
    np.testing.assert_allclose(jac, np.linalg.inv(a), rtol=1e-12)


def _cg(matvec, b):
    """Conjugate gradients in a while_loop: not differentiable by itself in reverse mode."""
    def step(state):
        x, r, p, k = state
        ap = matvec(p)
        alpha = jnp.dot(r, r) / jnp.dot(p, ap)
        x, r_next = x + alpha * p, r - alpha * ap
        return x, r_next, r_next + jnp.dot(r_next, r_next) / jnp.dot(r, r) * p, k + 1
    init = (jnp.zeros_like(b), b, b, 0)
    return lax.while_loop(lambda s: (s[3] < b.shape[0]) & (jnp.dot(s[1], s[1]) > 1e-28), step, init)[0]


SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])


@pytest_x64
def test_custom_linear_solve_forward_mode_with_an_iterative_solver():
    b, da, db = np.array([1.0, -2.0, 0.5]), np.eye(3)[::-1] * 0.3, np.array([0.2, 0.1, -0.4])

    def solve(a, b):
        return lax.custom_linear_solve(lambda x: a @ x, b, _cg, symmetric=True)
    x = np.linalg.solve(SPD, b)
    np.testing.assert_allclose(solve(SPD, b), x, rtol=1e-12)
    _, dx = fx.jvp(solve, (SPD, b), (da, db))
    np.testing.assert_allclose(dx, np.linalg.solve(SPD, db - da @ x), rtol=1e-10)
    # reverse mode transposes the tangent solve, which a while_loop cannot be
    with pytest.raises(ValueError, match="while_loop"):
        fx.grad(lambda b: solve(SPD, b).sum())(b)


@pytest_x64
def test_custom_linear_solve_reverse_and_second_order_closed_forms():
    def solve(a, b):
        return lax.custom_linear_solve(lambda x: a @ x, b, lambda mv, r: jnp.linalg.solve(a, r))
    b = np.array([1.0, -2.0, 0.5])
    inv = np.linalg.inv(SPD)
    x = inv @ b
    # d x / d a_ij = -inv[:, i] x_j
    np.testing.assert_allclose(fx.jacrev(solve)(SPD, b), -np.einsum("ki,j->kij", inv, x), rtol=1e-12)
    np.testing.assert_allclose(fx.jacfwd(solve, argnums=1)(SPD, b), inv, rtol=1e-12)
    # x is linear in b: every second derivative in b vanishes
    np.testing.assert_allclose(fx.hessian(lambda b: solve(SPD, b)[0])(b), 0, atol=1e-14)


@pytest_x64
def test_tridiagonal_solve_gradient_closed_form():
    rng = np.random.default_rng(3)
    dl, du, b = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal((5, 2))
    d = rng.standard_normal(5) + 4
    a = np.diag(d) + np.diag(dl[1:], -1) + np.diag(du[:-1], 1)
    x = np.linalg.solve(a, b)
    g = np.ones_like(b)
    lam = np.linalg.solve(a.T, g)  # adjoint: dL/dA = -lam x^T, dL/db = lam
    grads = fx.grad(lambda dl, d, du, b: lax_linalg.tridiagonal_solve(dl, d, du, b).sum(),
                    argnums=(0, 1, 2, 3))(dl, d, du, b)
    dA = -lam @ x.T
    np.testing.assert_allclose(grads[1], np.diag(dA), rtol=1e-10)
    np.testing.assert_allclose(grads[0], np.r_[0.0, np.diag(dA, -1)], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads[2], np.r_[np.diag(dA, 1), 0.0], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads[3], lam, rtol=1e-10)


def test_tridiagonal_solve_perturb_singular_is_finite():
    d = np.array([1.0, 0.0, 1.0], np.float32)
    x = lax_linalg.tridiagonal_solve(np.zeros(3, np.float32), d, np.zeros(3, np.float32),
                                     np.ones((3, 1), np.float32), perturb_singular=True)
    assert np.isfinite(np.asarray(x)).all()
    x = lax_linalg.tridiagonal_solve(np.zeros(3, np.float32), d, np.zeros(3, np.float32),
                                     np.ones((3, 1), np.float32))
    assert not np.isfinite(np.asarray(x)).all()
