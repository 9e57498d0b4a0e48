"""fx.scipy.optimize.minimize (BFGS with a strong-Wolfe line search) against SciPy's BFGS
and JAX 0.10.2's results, written out. JAX 0.10.2 itself stops early on Rosenbrock (its
zoom gives up when the bracket is ordered hi < lo); fx converges there, taking the
iterations that JAX takes once that test uses |hi - lo|."""
import numpy as np
import pytest
import scipy.optimize as so

import fx
import fx.numpy as jnp
from fx.scipy.optimize import OptimizeResults, minimize


def rosen(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def quadratic(x, A, b):
    return 0.5 * x @ A @ x - b @ x


A = np.array([[3.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 5.0]])
B = np.array([1.0, 2.0, 3.0])


# x0, fx's (nit, nfev), SciPy 1.x BFGS's (nit, nfev) with the exact gradient
ROSENBROCK = [([-1.2, 1.0], (34, 48), (32, 39)), ([0.0, 0.0], (21, 28), (19, 24)),
              ([2.0, 2.0], (24, 37), (30, 35)), ([1.5, -0.5, 0.3], (29, 38), (25, 31)),
              ([-1.2, 1.0, -1.2, 1.0, 0.5], (40, 54), (41, 47))]


@pytest.mark.parametrize("x0, counts, scipy_counts", ROSENBROCK)
def test_rosenbrock_converges_like_scipy(x64, x0, counts, scipy_counts):
    r = minimize(rosen, jnp.array(x0), method="BFGS")
    assert isinstance(r, OptimizeResults)
    np.testing.assert_allclose(r.x, np.ones(len(x0)), rtol=0, atol=1e-6)
    assert bool(r.success) and int(r.status) == 0
    assert (int(r.nit), int(r.nfev)) == counts and int(r.njev) == int(r.nfev)
    assert np.abs(np.asarray(r.jac)).max() < 1e-5 and float(r.fun) < 1e-12
    s = so.minimize(so.rosen, np.array(x0), jac=so.rosen_der, method="BFGS")
    assert (s.nit, s.nfev) == scipy_counts
    assert abs(int(r.nit) - s.nit) <= 0.25 * s.nit and int(r.nfev) <= 1.5 * s.nfev


def test_quadratic_with_args_in_few_iterations(x64):
    r = minimize(quadratic, jnp.zeros(3), args=(jnp.asarray(A), jnp.asarray(B)), method="BFGS")
    np.testing.assert_allclose(r.x, np.linalg.solve(A, B), rtol=1e-9)
    assert (int(r.nit), int(r.nfev), int(r.status)) == (5, 7, 0)        # as JAX
    # the BFGS update keeps the inverse-Hessian estimate symmetric positive definite
    H = np.asarray(r.hess_inv)
    np.testing.assert_allclose(H, H.T, rtol=1e-12)
    assert np.linalg.eigvalsh(H).min() > 0


def test_jit_and_vmap_over_x0(x64):
    starts = jnp.array([[-1.2, 1.0], [0.0, 0.0], [2.0, 2.0]])
    batched = fx.vmap(lambda x0: minimize(rosen, x0, method="BFGS"))(starts)
    np.testing.assert_allclose(batched.x, np.ones((3, 2)), atol=1e-6)
    np.testing.assert_array_equal(batched.nit, [34, 21, 24])
    jitted = fx.jit(lambda x0: minimize(rosen, x0, method="BFGS"))
    for x0, nit in zip(starts, [34, 21]):
        r = jitted(x0)
        np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-6)
        assert int(r.nit) == nit


def test_float32():
    r = minimize(rosen, jnp.array([-1.2, 1.0], dtype=jnp.float32), method="BFGS")
    assert r.x.dtype == r.fun.dtype == r.hess_inv.dtype == np.float32
    assert r.nit.dtype == np.int32 and r.success.dtype == np.bool_
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-4)
    assert bool(r.success)


def test_options(x64):
    r = minimize(rosen, jnp.array([-1.2, 1.0]), method="BFGS", options={"maxiter": 5})
    np.testing.assert_allclose(r.x, [-0.50932331, 0.24283669], rtol=1e-7)    # JAX's values
    assert (int(r.nit), int(r.status), bool(r.success)) == (5, 1, False)
    loose = minimize(rosen, jnp.array([-1.2, 1.0]), method="bfgs", options={"gtol": 1e-2})
    tight = minimize(rosen, jnp.array([-1.2, 1.0]), method="bfgs",
                     options={"gtol": 1e-9, "norm": 2, "line_search_maxiter": 20})
    assert int(loose.nit) < int(tight.nit)
    assert np.linalg.norm(np.asarray(tight.jac)) < 1e-9
    np.testing.assert_allclose(tight.x, [1.0, 1.0], atol=1e-9)


def test_bad_inputs():
    with pytest.raises(TypeError, match="1-D"):
        minimize(rosen, jnp.ones((2, 2)), method="BFGS")
    with pytest.raises(ValueError, match="Method foo not recognized"):
        minimize(rosen, jnp.ones(2), method="foo")
    with pytest.raises(TypeError, match="must be a tuple"):
        minimize(rosen, jnp.ones(2), args=[1], method="BFGS")
    with pytest.raises(TypeError, match="requires real-valued inputs"):
        minimize(rosen, jnp.array([3, 1]), method="BFGS")
