"""fx.numpy.fft against numpy.fft: every function with NumPy's n/s, axis/axes and norm
arguments, eagerly (pocketfft) and compiled (fx's radix-2 / DFT / Bluestein algorithm,
fx/lax/fft.py) at power-of-two, composite and prime lengths; gradients against finite
differences; vmap. And jnp.convolve / jnp.correlate, real and complex."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 6, 10))
Z = X + 1j * RNG.standard_normal(X.shape)

CASES = [("fft", (Z,), {}), ("fft", (X,), {"n": 12}), ("fft", (Z,), {"n": 7, "axis": 1, "norm": "ortho"}),
         ("ifft", (Z,), {"norm": "forward"}), ("rfft", (X,), {}), ("rfft", (X,), {"n": 9, "axis": 0}),
         ("irfft", (np.fft.rfft(X),), {}), ("irfft", (np.fft.rfft(X),), {"n": 11, "norm": "ortho"}),
         ("fft2", (Z,), {}), ("ifft2", (Z,), {"s": (5, 8)}), ("rfft2", (X,), {"axes": (0, 2)}),
         ("irfft2", (np.fft.rfft2(X),), {}), ("fftn", (Z,), {}), ("ifftn", (Z,), {"axes": (0, 1)}),
         ("rfftn", (X,), {"norm": "forward"}), ("irfftn", (np.fft.rfftn(X),), {"s": (4, 6, 10), "axes": (0, 1, 2)}),
         ("fftshift", (X,), {}), ("ifftshift", (X,), {"axes": 1})]


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_numpy(x64, name, args, kwargs):
    want = getattr(np.fft, name)(*args, **kwargs)
    for f in (getattr(jnp.fft, name), fx.jit(lambda *a: getattr(jnp.fft, name)(*a, **kwargs))):
        got = np.asarray(f(*args, **kwargs) if f is getattr(jnp.fft, name) else f(*args))
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-13 * np.abs(want).max())


@pytest.mark.parametrize("n", [16, 1024, 4096, 96, 250, 1009, 3000], ids=lambda n: f"n{n}")
def test_compiled_accuracy_in_single_precision(n):
    """complex64, against NumPy's float64 transform: within a few eps times log2 n."""
    z = (RNG.standard_normal((2, n)) + 1j * RNG.standard_normal((2, n))).astype(np.complex64)
    want = np.fft.fft(z.astype(np.complex128))
    got = np.asarray(fx.jit(jnp.fft.fft)(z))
    assert got.dtype == np.complex64
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err < 4 * np.log2(n) * np.finfo(np.float32).eps, err
    back = np.asarray(fx.jit(jnp.fft.ifft)(got))
    assert np.abs(back - z).max() < 8 * np.log2(n) * np.finfo(np.float32).eps * np.abs(z).max()


def test_real_inputs_promote_to_complex_as_in_jax():
    assert jnp.fft.fft(np.ones(4, np.float32)).dtype == np.complex64
    assert jnp.fft.fft(np.arange(4)).dtype == np.complex64
    assert jnp.fft.rfft(np.ones(4, np.float32)).dtype == np.complex64
    assert jnp.fft.irfft(np.ones(3, np.complex64)).dtype == np.float32
    with pytest.raises(TypeError, match="real input"):
        jnp.fft.rfft(np.ones(4, np.complex64))
    with pytest.raises(ValueError, match="norm"):
        jnp.fft.fft(np.ones(4), norm="both")


H = 1e-6


def test_gradients_match_finite_differences(x64):
    x = RNG.standard_normal(12)
    w = RNG.standard_normal(7)

    def loss(v):  # a real loss through rfft, a filter, irfft and a complex fft
        spectrum = jnp.fft.rfft(v) * (1 + 0.5j * w)
        smooth = jnp.fft.irfft(spectrum, n=12)
        return jnp.sum(smooth ** 3) + jnp.sum(jnp.abs(jnp.fft.fft(v * smooth, norm="ortho")))
    want = np.array([(float(loss(x + H * e)) - float(loss(x - H * e))) / (2 * H) for e in np.eye(12)])
    for g in (fx.grad(loss), fx.jit(fx.grad(loss))):
        np.testing.assert_allclose(g(x), want, rtol=1e-6, atol=1e-8)
    z = x[:8] + 1j * x[4:]
    jac = fx.jacfwd(jnp.fft.fft, holomorphic=True)(z)   # fft is linear: its Jacobian is the DFT matrix
    np.testing.assert_allclose(jac, np.fft.fft(np.eye(8), axis=0), atol=1e-12)


def test_vmap_is_a_loop(x64):
    batch = RNG.standard_normal((5, 3, 16))
    got = fx.vmap(lambda v: jnp.fft.rfft2(v), in_axes=2, out_axes=0)(batch)
    want = np.stack([np.fft.rfft2(batch[:, :, i]) for i in range(16)])
    np.testing.assert_allclose(got, want, atol=1e-12)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_convolve_and_correlate_match_numpy(x64, name, mode):
    a, v = Z[0, 0, :9], Z[1, 1, :4]
    for x, y in ((a, v), (v, a), (a.real, v.real), (a, v.real)):
        want = getattr(np, name)(x, y, mode)
        for f in (getattr(jnp, name), fx.jit(lambda p, q: getattr(jnp, name)(p, q, mode))):
            got = f(x, y, mode) if f is getattr(jnp, name) else f(x, y)
            assert got.shape == want.shape and got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="1-dimensional"):
        getattr(jnp, name)(np.ones((2, 2)), np.ones(2))
    # linear in each argument: the gradient of a real loss is a correlation / convolution
    loss = lambda p: jnp.sum(jnp.abs(getattr(jnp, name)(p, v, mode)) ** 2)  # noqa: E731
    value = lambda p: float(loss(jnp.asarray(p)))  # noqa: E731
    e = np.eye(9)[3]
    want = (value(a + 1e-6 * e) - value(a - 1e-6 * e)) / 2e-6 - 1j * (value(a + 1e-6j * e) - value(a - 1e-6j * e)) / 2e-6
    np.testing.assert_allclose(fx.grad(loss)(a)[3], want, rtol=1e-6)
