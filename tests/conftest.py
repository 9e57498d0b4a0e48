"""Test-session set-up and the fixtures every area shares.

Compiled object code goes to a temporary cache, not the user's. `x64` runs a test with
64-bit types enabled (a module opts in with `pytestmark = pytest.mark.usefixtures("x64")`)
and restores the setting after; `rng` is a NumPy generator with a fixed seed, so that a
failure reproduces. `backend` runs a test once per backend that is compared with the
reference interpreter (tests/backends/conformance)."""
import os
import tempfile

os.environ.setdefault("FX_CACHE_DIR", tempfile.mkdtemp(prefix="fx-test-cache-"))  # before fx reads it
# Without a GPU the cuda backend runs on numba's simulator (read when numba is imported).
# Tests name the backends they compare; everything else runs on the CPU's by default.
if not os.path.exists("/dev/nvidiactl"):
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
os.environ.setdefault("FX_PLATFORM", "llvm")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import fx  # noqa: E402
import fx.backends  # noqa: E402
from tests.backends.conformance import COMPARED  # noqa: E402


@pytest.fixture
def x64():
    with fx.config.override("enable_x64", True):
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session", params=COMPARED)
def backend(request):
    """A backend under test (session-scoped, so Hypothesis tests can take it too)."""
    return request.param


GPU_BACKENDS = {"cuda"}  # backends that need a GPU (or its simulator); tests marked gpu need one


def pytest_collection_modifyitems(config, items):
    """Skip the tests marked gpu when no GPU backend has a device (a GPU or the simulator)."""
    if any(fx.backends.get_backend(name).devices() for name in GPU_BACKENDS & set(fx.backends.backend_names())):
        return
    skip = pytest.mark.skip(reason="no GPU backend with a device (a GPU or NUMBA_ENABLE_CUDASIM=1)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
