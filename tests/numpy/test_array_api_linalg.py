"""fx.numpy.linalg's array-API names and fx.numpy.fft's Hermitian transforms, against
NumPy (whose numpy.linalg has the same names)."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4)).astype(np.float32)
V = np.array([1.0, -2.0, 0.5], np.float32)


@pytest.mark.parametrize("name, call", [
    ("vector_norm", lambda L, x: L.vector_norm(x)),
    ("vector_norm_axes", lambda L, x: L.vector_norm(x, axis=(0, 2), keepdims=True)),
    ("vector_norm_l1", lambda L, x: L.vector_norm(x, axis=1, ord=1)),
    ("matrix_norm", lambda L, x: L.matrix_norm(x)),
    ("matrix_norm_nuc", lambda L, x: L.matrix_norm(x, ord="nuc", keepdims=True)),
    ("svdvals", lambda L, x: L.svdvals(x)),
    ("trace", lambda L, x: L.trace(x, offset=1)),
    ("diagonal", lambda L, x: L.diagonal(x, offset=-1)),
    ("matrix_transpose", lambda L, x: L.matrix_transpose(x)),
    ("matmul", lambda L, x: L.matmul(x, L.matrix_transpose(x))),
    ("vecdot", lambda L, x: L.vecdot(x, x, axis=1)),
    ("tensordot", lambda L, x: L.tensordot(x, x, axes=((1, 2), (1, 2)))),
])
def test_matches_numpy_linalg(name, call):
    np.testing.assert_allclose(call(jnp.linalg, X), call(np.linalg, X), rtol=2e-5, atol=1e-5)


def test_vector_functions_check_their_ranks():
    np.testing.assert_allclose(jnp.linalg.cross(V, V[::-1]), np.linalg.cross(V, V[::-1]))
    np.testing.assert_allclose(jnp.linalg.outer(V, V), np.linalg.outer(V, V))
    with pytest.raises(ValueError, match="size 3"):
        jnp.linalg.cross(X, X)
    with pytest.raises(ValueError, match="1-D"):
        jnp.linalg.outer(X, V)


def test_vector_norm_differentiates():
    g = fx.grad(lambda x: jnp.linalg.vector_norm(x, axis=(0, 1)).sum())(X)
    norms = np.linalg.vector_norm(X, axis=(0, 1))
    np.testing.assert_allclose(g, X / norms, rtol=1e-5)


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_hermitian_ffts(norm):
    a = (RNG.standard_normal(5) + 1j * RNG.standard_normal(5)).astype(np.complex64)
    np.testing.assert_allclose(jnp.fft.hfft(a, norm=norm), np.fft.hfft(a, norm=norm), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(jnp.fft.hfft(a, 7, norm=norm), np.fft.hfft(a, 7, norm=norm), rtol=1e-5, atol=1e-5)
    r = RNG.standard_normal(8).astype(np.float32)
    np.testing.assert_allclose(jnp.fft.ihfft(r, norm=norm), np.fft.ihfft(r, norm=norm), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="norm"):
        jnp.fft.hfft(a, norm="sideways")
