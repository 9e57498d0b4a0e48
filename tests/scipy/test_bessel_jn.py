"""fx.scipy.special.bessel_jn (Miller's backward recurrence) against scipy.special.jv, with
JAX 0.10.2's float64 values written out, and the places where JAX's overflows to NaN
(float32, z = 0, tiny z) that fx's rescaled recurrence gets right."""
import numpy as np
import pytest
import scipy.special as sp

import fx
import fx.numpy as jnp
from fx.scipy.special import bessel_jn

ORDERS = np.arange(4)[:, None]


def test_float64_matches_scipy_and_jax(x64):
    z = np.array([0.5, -1.5, 3.0, 10.0, 25.0])
    out = bessel_jn(z, v=3)
    assert out.shape == (4, 5) and out.dtype == np.float64
    np.testing.assert_allclose(out, sp.jv(ORDERS, z), rtol=0, atol=2e-13)
    jax_values = [[0.9384698072408129, 0.5118276717359181, -0.26005195490193345],  # jax, z = 0.5, -1.5, 3
                  [0.24226845767487387, -0.5579365079100997, 0.3390589585259364],
                  [0.03060402345868264, 0.23208767214421475, 0.4860912605858911],
                  [0.00256372999458724, -0.06096395114113964, 0.30906272225525167]]
    np.testing.assert_allclose(out[:, :3], jax_values, rtol=1e-14)


def test_float32_and_small_arguments_do_not_overflow():
    # JAX 0.10.2 returns NaN for all of these: its unscaled recurrence overflows
    z = np.array([0.0, 1e-6, 0.5, 2.0, 7.0], np.float32)
    out = bessel_jn(z, v=3)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, sp.jv(ORDERS, z.astype(np.float64)), rtol=0, atol=2e-7)
    np.testing.assert_array_equal(out[:, 0], [1, 0, 0, 0])


def test_shape_and_many_orders(x64):
    z = np.linspace(-30, 30, 12).reshape(3, 4)
    out = bessel_jn(z, v=10, n_iter=80)
    assert out.shape == (11, 3, 4)
    np.testing.assert_allclose(out, sp.jv(np.arange(11)[:, None, None], z), rtol=0, atol=1e-14)


def test_too_few_iterations_for_large_z_lose_accuracy(x64):
    # n_iter must be well above |z| (the docstring's rule): 50 is not enough at z = 40
    assert abs(float(bessel_jn(40.0, v=0)[0]) - sp.j0(40.0)) > 1e-6
    assert abs(float(bessel_jn(40.0, v=0, n_iter=90)[0]) - sp.j0(40.0)) < 1e-14


def test_integers_become_floats_and_transforms(x64):
    assert bessel_jn(3, v=1).dtype == np.float64
    np.testing.assert_allclose(fx.grad(lambda z: bessel_jn(z, v=1)[1])(2.0), sp.jvp(1, 2.0), rtol=1e-12)
    z = jnp.array([1.0, 2.0])
    np.testing.assert_allclose(fx.jit(lambda z: bessel_jn(z, v=2))(z), sp.jv(np.arange(3)[:, None], z), rtol=1e-14)
    np.testing.assert_allclose(fx.vmap(lambda z: bessel_jn(z, v=2))(z), sp.jv(np.arange(3), np.asarray(z)[:, None]),
                               rtol=1e-14)


def test_bad_arguments():
    with pytest.raises(TypeError):
        bessel_jn(1.0, v=1.5)
    with pytest.raises(ValueError, match="complex input not supported"):
        bessel_jn(1.0 + 1j, v=1)
