"""BFGS (Nocedal & Wright, Numerical Optimization, Algorithm 6.1): quasi-Newton steps
p = -H g along which a strong-Wolfe line search picks the step, H being the running
estimate of the inverse Hessian. The whole iteration is one fx.lax.while_loop, so
minimize jits, and vmap over x0 runs every start until the slowest converges."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fx import lax
from fx import numpy as jnp
from fx.api import value_and_grad
from fx.scipy.optimize._line_search import line_search


class _State(NamedTuple):
    k: jnp.ndarray
    nfev: jnp.ndarray
    x: jnp.ndarray
    f: jnp.ndarray
    g: jnp.ndarray
    H: jnp.ndarray
    f_before: jnp.ndarray     # f one step back: the line search's first step uses it
    converged: jnp.ndarray
    failed: jnp.ndarray
    ls_status: jnp.ndarray


def _inverse_hessian_update(H, s, y):
    """(I - rho s y^T) H (I - rho y s^T) + rho s s^T, rho = 1 / (y . s), expanded so that it
    costs O(n^2) (H is symmetric): H - rho (s Hy^T + Hy s^T) + (rho^2 y.Hy + rho) s s^T.
    H is kept when y . s = 0, where the update is undefined."""
    rho = 1 / jnp.dot(y, s)
    Hy = H @ y
    new = (H - rho * (jnp.outer(s, Hy) + jnp.outer(Hy, s))
           + (rho * rho * jnp.dot(y, Hy) + rho) * jnp.outer(s, s))
    return jnp.where(jnp.isfinite(rho), new, H)


def minimize_bfgs(fun, x0, maxiter=None, norm=np.inf, gtol=1e-5, line_search_maxiter=10):
    """Run BFGS from x0 until |grad|_norm < gtol, the line search fails or maxiter
    (200 * size by default, as SciPy) iterations. Returns (state, status) with JAX's
    status codes: 0 converged, 1 maxiter, 2 + the line search's status, -1 otherwise."""
    if maxiter is None:
        maxiter = np.size(x0) * 200
    f0, g0 = value_and_grad(fun)(x0)
    false = jnp.zeros((), bool)
    state = _State(k=jnp.zeros((), int), nfev=jnp.ones((), int), x=x0, f=f0, g=g0,
                   H=jnp.eye(x0.shape[0], dtype=x0.dtype),
                   f_before=f0 + jnp.linalg.norm(g0) / 2,    # SciPy's first step guess
                   converged=jnp.linalg.norm(g0, ord=norm) < gtol, failed=false,
                   ls_status=jnp.zeros((), int))

    def cond(s):
        return ~s.converged & ~s.failed & (s.k < maxiter)

    def body(s):
        p = -(s.H @ s.g)
        ls = line_search(fun, s.x, p, old_fval=s.f, old_old_fval=s.f_before, gfk=s.g,
                         maxiter=line_search_maxiter)
        step = ls.a_k * p
        return _State(k=s.k + 1, nfev=s.nfev + ls.nfev, x=s.x + step, f=ls.f_k, g=ls.g_k,
                      H=_inverse_hessian_update(s.H, step, ls.g_k - s.g), f_before=s.f,
                      converged=jnp.linalg.norm(ls.g_k, ord=norm) < gtol,
                      failed=ls.failed, ls_status=ls.status)

    state = lax.while_loop(cond, body, state)
    status = jnp.where(state.converged, 0, jnp.where(
        state.k == maxiter, 1, jnp.where(state.failed, 2 + state.ls_status, -1)))
    return state, status
