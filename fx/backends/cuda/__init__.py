"""The GPU backend: kernel programs as numba.cuda kernels (backend.py)."""
