"""A line search for the strong Wolfe conditions (Nocedal & Wright, Numerical Optimization,
Algorithms 3.5 and 3.6), as jax.scipy.optimize's BFGS uses it, written with
fx.lax.while_loop so that it jits and batches.

It runs in two loops rather than one: the first tries steps a_1, 2 a_1, 4 a_1, ... until
one satisfies both conditions or a bracket [lo, hi] holding such a step is found; the
second ("zoom") shrinks that bracket by safeguarded cubic, then quadratic, interpolation
with bisection as the last resort. Each trial step costs one value_and_grad of f.

Unlike JAX 0.10.2, whose zoom gives up as soon as the bracket is ordered hi < lo (it tests
`a_hi - a_lo <= tol` without the absolute value, so BFGS stops early on Rosenbrock), the
zoom here stops only when the bracket's width is below tol.
"""
from __future__ import annotations

from typing import NamedTuple


from fx import lax
from fx import numpy as jnp
from fx.api import value_and_grad

_ZOOM_MAXITER = 30     # as JAX (SciPy's zoom allows 10)
_CUBIC_MARGIN = 0.2    # an interpolated step must lie this fraction of the bracket inside it
_QUAD_MARGIN = 0.1


class LineSearchResults(NamedTuple):
    """failed: no step satisfies the strong Wolfe conditions; nit: bracketing iterations;
    nfev, ngev: evaluations of f and of its gradient; k: nit + 1 (JAX's field); a_k: the
    step (0 when failed); f_k, g_k: f and its gradient at xk + a_k pk; status: 0 found,
    1 zoom failed, 3 bracketing ran past maxiter."""
    failed: jnp.ndarray
    nit: jnp.ndarray
    nfev: jnp.ndarray
    ngev: jnp.ndarray
    k: jnp.ndarray
    a_k: jnp.ndarray
    f_k: jnp.ndarray
    g_k: jnp.ndarray
    status: jnp.ndarray


class _Point(NamedTuple):
    """A trial step a, phi(a) = f(xk + a pk) and phi'(a) = grad f . pk."""
    a: jnp.ndarray
    phi: jnp.ndarray
    dphi: jnp.ndarray


def _pick(flag, new, old):
    return type(old)(*(jnp.where(flag, n, o) for n, o in zip(new, old)))


def _cubic_min(lo, hi, rec):
    """The minimiser of the cubic through lo (value and slope), hi and rec (values);
    NaN where it has none, which the caller's bounds test rejects."""
    c = lo.dphi
    db, dc = hi.a - lo.a, rec.a - lo.a
    rb, rc = hi.phi - lo.phi - c * db, rec.phi - lo.phi - c * dc
    denom = (db * dc) ** 2 * (db - dc)
    a = (dc ** 2 * rb - db ** 2 * rc) / denom
    b = (db ** 3 * rc - dc ** 3 * rb) / denom
    return lo.a + (-b + jnp.sqrt(b * b - 3 * a * c)) / (3 * a)


def _quad_min(lo, hi):
    """The minimiser of the parabola through lo (value and slope) and hi (value)."""
    db = hi.a - lo.a
    curvature = (hi.phi - lo.phi - lo.dphi * db) / db ** 2
    return lo.a - lo.dphi / (2 * curvature)


def line_search(f, xk, pk, old_fval=None, old_old_fval=None, gfk=None, c1=1e-4, c2=0.9,
                maxiter=20):
    """A step a > 0 along the descent direction pk from xk with
    f(xk + a pk) <= f(xk) + c1 a f'(xk; pk) and |f'(xk + a pk; pk)| <= c2 |f'(xk; pk)|.

    old_fval and gfk (f and its gradient at xk) save an evaluation; old_old_fval, the
    value before the last step, sets the first trial step as SciPy does
    (min(1, 2.02 (f_k - f_k-1) / f'(xk; pk)))."""
    xk, pk = jnp.asarray(xk), jnp.asarray(pk)
    dtype = jnp.result_type(xk, pk, 1.0)
    xk, pk = xk.astype(dtype), pk.astype(dtype)
    fg = value_and_grad(f)

    def evaluate(a):
        phi, g = fg(xk + a * pk)
        return _Point(a, phi.astype(dtype), jnp.dot(g, pk).astype(dtype)), g.astype(dtype)

    zero = jnp.zeros((), dtype)
    if old_fval is None or gfk is None:
        start, gfk = evaluate(zero)
        evals = 1
    else:
        gfk = jnp.asarray(gfk, dtype)
        start = _Point(zero, jnp.asarray(old_fval, dtype), jnp.dot(gfk, pk))
        evals = 0
    if old_old_fval is None:
        a1 = jnp.ones((), dtype)
    else:
        guess = 2.02 * (start.phi - old_old_fval) / start.dphi
        a1 = jnp.where((guess > 0) & (guess < 1), guess, 1.0).astype(dtype)

    def sufficient_decrease(p):
        return p.phi <= start.phi + c1 * p.a * start.dphi

    def curvature(p):
        return jnp.abs(p.dphi) <= -c2 * start.dphi

    # bracketing: (i, previous point, done, bracketed, lo, hi, best point, its gradient)
    def bracket_cond(s):
        i, _, done, bracketed = s[:4]
        return ~done & ~bracketed & (i <= maxiter)

    def bracket_body(s):
        i, prev, done, bracketed, lo, hi, best, g_best = s
        p, g = evaluate(jnp.where(i == 1, a1, 2 * prev.a))
        too_far = ~sufficient_decrease(p) | ((i > 1) & (p.phi >= prev.phi))
        found = ~too_far & curvature(p)
        uphill = ~too_far & ~found & (p.dphi >= 0)
        lo = _pick(too_far, prev, _pick(uphill, p, lo))
        hi = _pick(too_far, p, _pick(uphill, prev, hi))
        best, g_best = _pick(found, p, best), jnp.where(found, g, g_best)
        return i + 1, p, done | found, too_far | uphill, lo, hi, best, g_best

    false = jnp.zeros((), bool)
    i, _, done, bracketed, lo, hi, best, g_best = lax.while_loop(
        bracket_cond, bracket_body, (jnp.ones((), int), start, false, false, start,
                                     start, start, gfk))

    tiny = 1e-10 if jnp.finfo(dtype).bits == 64 else 1e-5

    # zoom: (j, lo, hi, rec: the point that hi or lo replaced last, done, failed, best, g)
    def zoom_cond(s):
        _, _, _, _, done, failed = s[:6]
        return bracketed & ~done & ~failed

    def zoom_body(s):
        j, lo, hi, rec, done, failed, best, g_best = s
        width = hi.a - lo.a
        left, right = jnp.minimum(lo.a, hi.a), jnp.maximum(lo.a, hi.a)
        cubic = _cubic_min(lo, hi, rec)
        quad = _quad_min(lo, hi)
        use_cubic = (j > 0) & (cubic > left + _CUBIC_MARGIN * jnp.abs(width)) & (
            cubic < right - _CUBIC_MARGIN * jnp.abs(width))
        use_quad = (quad > left + _QUAD_MARGIN * jnp.abs(width)) & (
            quad < right - _QUAD_MARGIN * jnp.abs(width))
        a = jnp.where(use_cubic, cubic, jnp.where(use_quad, quad, (lo.a + hi.a) / 2))
        p, g = evaluate(a)
        too_far = ~sufficient_decrease(p) | (p.phi >= lo.phi)
        found = ~too_far & curvature(p)
        flip = ~too_far & ~found & (p.dphi * width >= 0)
        move_lo = ~too_far & ~found
        rec = _pick(too_far | flip, hi, _pick(move_lo, lo, rec))
        hi = _pick(too_far, p, _pick(flip, lo, hi))
        lo = _pick(move_lo, p, lo)
        best, g_best = _pick(found, p, best), jnp.where(found, g, g_best)
        failed = failed | (jnp.abs(width) <= tiny) | (j + 1 >= _ZOOM_MAXITER)
        return j + 1, lo, hi, rec, done | found, failed & ~found, best, g_best

    j, _, _, _, done, zoom_failed, best, g_best = lax.while_loop(
        zoom_cond, zoom_body, (jnp.zeros((), int), lo, hi, hi, done, false, best, g_best))

    evals = evals + (i - 1) + j
    status = jnp.where(zoom_failed, 1, jnp.where(done, 0, 3))
    return LineSearchResults(failed=~done, nit=i - 1, nfev=evals, ngev=evals, k=i,
                             a_k=best.a, f_k=best.phi, g_k=g_best, status=status)
