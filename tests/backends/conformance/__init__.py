"""The backend conformance suite: every backend must agree with the reference interpreter.

The tests here take the `backend` fixture (tests/conftest.py), which runs them once per
backend in COMPARED. A new backend registered in fx.backends joins the suite by itself."""
import numpy as np

import fx
import fx.backends

REFERENCE = "interpreter"  # runs jaxprs equation by equation with NumPy: the answer key
COMPARED = [name for name in fx.backends.backend_names()
            if name != REFERENCE and fx.backends.get_backend(name).devices()]  # those that can run here


def run_both(backend, f, *args):
    """(backend, reference) results of jit(f)(*args), as lists of leaves."""
    want = fx.jit(f, backend=REFERENCE)(*args)
    got = fx.jit(f, backend=backend)(*args)
    return fx.tree.leaves(got), fx.tree.leaves(want)


def assert_same(got, want, rtol=0.0):
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape
        if w.dtype.kind == "c":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * np.abs(w).max(), equal_nan=True)
        elif w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=0, equal_nan=True)
            assert np.array_equal(np.signbit(g[g == 0]), np.signbit(w[w == 0]))  # ±0 kept
        else:
            np.testing.assert_array_equal(g, w)
