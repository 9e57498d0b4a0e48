"""fx.scipy.optimize: jax.scipy.optimize's `minimize` (BFGS) and its `OptimizeResults`,
written with fx.lax.while_loop and fx.value_and_grad so that it jits and batches over x0."""
from __future__ import annotations

from typing import NamedTuple

from fx import numpy as jnp
from fx.scipy.optimize._bfgs import minimize_bfgs

__all__ = ["OptimizeResults", "minimize"]


class OptimizeResults(NamedTuple):
    """What minimize returns (JAX's fields). status: 0 converged, 1 maxiter reached,
    3 the line search's zoom failed, 4 saddle point, 5 the line search ran past its
    maxiter, -1 undefined. nfev and njev count evaluations of fun and of its gradient
    (equal: both come from one value_and_grad); nit counts BFGS iterations."""
    x: jnp.ndarray
    success: jnp.ndarray
    status: jnp.ndarray
    fun: jnp.ndarray
    jac: jnp.ndarray
    hess_inv: jnp.ndarray | None
    nfev: jnp.ndarray
    njev: jnp.ndarray
    nit: jnp.ndarray


def minimize(fun, x0, args=(), *, method, tol=None, options=None):
    """Minimise fun(x, *args) over 1-D x from x0, as jax.scipy.optimize.minimize.

    method: "BFGS" (any case). options: maxiter, norm (of the gradient in the convergence
    test; inf by default), gtol (1e-5), line_search_maxiter (10). tol is accepted for
    SciPy's signature and, as in JAX, unused: set options["gtol"].
    """
    if not isinstance(args, tuple):
        raise TypeError(f"args argument to fx.scipy.optimize.minimize must be a tuple, got {args}")
    if method.lower() != "bfgs":
        raise ValueError(f"Method {method} not recognized")
    x0 = jnp.asarray(x0)
    if x0.ndim != 1:
        raise TypeError(f"minimize: x0 must be a 1-D array (shape (n,)), got shape {x0.shape}")
    state, status = minimize_bfgs(lambda x: fun(x, *args), x0, **(options or {}))
    return OptimizeResults(x=state.x, success=state.converged & ~state.failed, status=status,
                           fun=state.f, jac=state.g, hess_inv=state.H, nfev=state.nfev,
                           njev=state.nfev, nit=state.k)
