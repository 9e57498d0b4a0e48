"""The GPU backend: kernel programs as numba.cuda kernels (backend.py)."""
import os


def simulated():
    """Whether numba's CUDA simulator stands in for a GPU (NUMBA_ENABLE_CUDASIM=1, read by
    numba when it is first imported)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
