"""fx.scipy.special beyond the spec table: float32, edge values (poles, infinities, NaN:
JAX's answers, written out), the tails where SciPy itself loses digits (checked against
60-digit values from scripts/fit_special_functions.py), and bad arguments."""
import numpy as np
import pytest
import scipy.special as sp

import fx
import fx.numpy as jnp
import fx.scipy.special as fs

EDGES = np.array([-2.5, -2.0, -1.0, -0.5, 0.0, -0.0, 0.5, 1.0, 2.0, np.inf, -np.inf, np.nan])


def test_float32_by_default_and_close_to_scipy():
    x = np.linspace(0.1, 9.0, 50).astype(np.float32)
    # lgamma's Lanczos sum cancels in float32 (as XLA's): 2e-6 absolute near its zeros at 1
    # and 2; ndtr's x / sqrt(2) rounds, which erfc's tail multiplies by x^2 (as JAX's)
    for name, ref, rtol, atol in [("gammaln", sp.gammaln, 2e-6, 2e-6), ("digamma", sp.digamma, 2e-6, 1e-6),
                                  ("erfc", sp.erfc, 2e-6, 0), ("i0e", sp.i0e, 2e-6, 0), ("i1e", sp.i1e, 2e-6, 0),
                                  ("ndtr", sp.ndtr, 1e-5, 0), ("log_ndtr", sp.log_ndtr, 1e-5, 0)]:
        out = getattr(fs, name)(x)
        assert out.dtype == np.float32, name
        np.testing.assert_allclose(out, ref(x.astype(np.float64)), rtol=rtol, atol=atol, err_msg=name)
    u = np.linspace(-0.99, 0.99, 41).astype(np.float32)
    np.testing.assert_allclose(fs.erfinv(u), sp.erfinv(u.astype(np.float64)), rtol=2e-6)


def test_integers_become_floats():
    assert fs.gammaln(jnp.arange(1, 4)).dtype == np.float32
    np.testing.assert_allclose(fs.gammaln(jnp.arange(1, 5)), np.log([1, 1, 2, 6]), atol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_16_bit_floats_compute_in_float32(dtype):
    x = jnp.asarray([0.5, 1.5, 3.0, 7.0], dtype=dtype)
    out = fs.gammaln(x)
    assert out.dtype == x.dtype
    expected = sp.gammaln(np.asarray(x, np.float32)).astype(x.dtype)
    np.testing.assert_array_equal(np.asarray(out, np.float32), np.asarray(expected, np.float32))


def test_edges_match_jax():
    fx.config.update("enable_x64", True)
    try:
        inf, nan = np.inf, np.nan
        np.testing.assert_array_equal(fs.gammaln(EDGES)[[1, 2, 4, 5, 9, 10, 11]],
                                      [inf, inf, inf, inf, inf, inf, nan])
        np.testing.assert_array_equal(fs.digamma(EDGES)[[1, 2, 4, 5, 9, 10, 11]],
                                      [nan, nan, nan, nan, inf, nan, nan])
        np.testing.assert_array_equal(fs.erfc(EDGES)[9:], [0.0, 2.0, nan])
        np.testing.assert_array_equal(fs.erfinv(np.array([-1.0, 1.0, 1.5, -0.0])), [-inf, inf, nan, -0.0])
        np.testing.assert_array_equal(fs.i0e(EDGES)[9:], [0.0, 0.0, nan])
        np.testing.assert_array_equal(np.signbit(fs.i1e(np.array([-0.0, -inf]))), [True, True])
        np.testing.assert_array_equal(fs.gammasgn(np.array([0.0, -0.0, -1.0, -0.5, -1.5])),
                                      [1.0, -1.0, nan, -1.0, 1.0])
        np.testing.assert_array_equal(fs.zeta(np.array([1.0, 0.5, 2.0, 2.5]), np.array([1.0, 1.0, -1.0, -0.5])),
                                      [inf, nan, inf, nan])
        np.testing.assert_array_equal(fs.ndtri(np.array([0.0, 1.0, -0.1, 1.1])), [-inf, inf, nan, nan])
        np.testing.assert_array_equal(fs.entr(np.array([0.0, -1.0, nan])), [0.0, -inf, nan])
    finally:
        fx.config.update("enable_x64", False)


def test_tails_to_a_few_ulp():
    """SciPy's own erfc is 11 to 62 ulp off at these points; fx's is within 2."""
    fx.config.update("enable_x64", True)
    try:
        exact = {7.3: 5.502573750691923e-25, 19.9: 2.9313494281519416e-174, 26.0: 5.663192408856143e-296}
        for x, value in exact.items():
            assert abs(float(fs.erfc(x)) - value) <= 2 * np.spacing(value), x
        for x, i0e, i1e in [(0.5, 0.6450352704491501, 0.1564208031848717),
                            (7.9, 0.14436986414104191, 0.13489649943989376),
                            (30.0, 0.0731459464822373, 0.07191633059864755)]:
            assert abs(float(fs.i0e(x)) - i0e) <= 8 * np.spacing(i0e), x
            assert abs(float(fs.i1e(x)) - i1e) <= 12 * np.spacing(i1e), x
        # far tails that 1 - p or erfc cannot represent
        np.testing.assert_allclose(fs.ndtri(np.array([1e-300, 1e-20])), sp.ndtri([1e-300, 1e-20]), rtol=1e-14)
        np.testing.assert_allclose(fs.log_ndtr(np.array([-1e5, -40.0])), sp.log_ndtr([-1e5, -40.0]), rtol=1e-14)
        np.testing.assert_allclose(fs.erfinv(1 - 2.0 ** -52), sp.erfinv(1 - 2.0 ** -52), rtol=1e-14)
        # betaln of large arguments: the lgammas cancel to 1e-10 of their size
        assert abs(float(fs.betaln(0.001, 145634.84775012443)) - 6.895290031088616) < 1e-14
        # digamma of a negative argument far from 0 (JAX's polygamma is wrong below -12)
        np.testing.assert_allclose(fs.polygamma(1, -20.5), sp.polygamma(1, -20.5), rtol=1e-13)
    finally:
        fx.config.update("enable_x64", False)


def test_gradients_are_the_known_functions():
    fx.config.update("enable_x64", True)
    try:
        x = 3.7
        assert np.isclose(fx.grad(fs.gammaln)(x), sp.digamma(x), rtol=1e-14)
        assert np.isclose(fx.grad(fs.digamma)(x), sp.polygamma(1, x), rtol=1e-13)
        assert np.isclose(fx.grad(lambda q: fs.zeta(3.0, q))(x), -3 * sp.zeta(4.0, x), rtol=1e-13)
        assert np.isclose(fx.grad(fs.log_ndtr)(-900.0), 900.0011111097, rtol=1e-12)
        assert np.isclose(fx.grad(fs.ndtri)(1e-10), 1 / np.exp(sp.log_ndtr(0) * 0 - 0.5 * sp.ndtri(1e-10) ** 2
                                                                - 0.5 * np.log(2 * np.pi)), rtol=1e-12)
        jit_vmap = fx.jit(fx.vmap(fx.grad(fs.gammaln)))(np.array([0.5, 2.0, -1.5]))
        np.testing.assert_allclose(jit_vmap, sp.digamma([0.5, 2.0, -1.5]), rtol=1e-13)
    finally:
        fx.config.update("enable_x64", False)


def test_bad_arguments():
    with pytest.raises(ValueError, match="integer dtype"):
        fs.polygamma(1.0, 2.0)
    with pytest.raises(ValueError, match="positive Python int"):
        fs.multigammaln(3.0, 2.5)
    with pytest.raises(NotImplementedError, match="exact=True"):
        fs.factorial(3, exact=True)
    with pytest.raises(NotImplementedError, match="first argument"):
        fx.grad(lambda s: fx.lax.zeta(s, 2.0))(3.0)
    with pytest.raises(TypeError, match="lgamma"):
        fx.lax.lgamma(np.int32(3))
