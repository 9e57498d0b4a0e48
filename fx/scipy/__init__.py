"""fx.scipy: JAX's jax.scipy, the SciPy functions written with fx.numpy and fx.lax, so
that they jit, differentiate and batch like everything else."""
from fx.scipy import optimize, special, stats  # noqa: F401
from fx.scipy import linalg  # noqa: F401
