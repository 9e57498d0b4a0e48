"""custom_root and custom_linear_solve: solvers differentiated implicitly, as JAX's.

The derivative of a solution comes from the equation it solves, not from the solver's
iterations: for a root x* of f(x, θ) = 0, dx* = -(∂f/∂x)^-1 (∂f/∂θ dθ), solved by the
user's tangent_solve; for x = A^-1 b, dx = A^-1 (db - dA x), solved by the user's solve.
Both are custom_jvp functions (JAX writes custom_root the same way), so the solver may be
a while_loop that could not be differentiated itself.

The functions the user passes close over the values being differentiated (θ, A); each
is traced once into a jaxpr whose constants become explicit arguments of the custom_jvp
function, so their tangents reach the rule (only f's and matvec's are used: the solvers'
constants steer the iteration and have no derivative, as in JAX).

Reverse mode transposes the tangent computation. For custom_root that is JAX's rule too
(tangent_solve must be transposable); for custom_linear_solve JAX calls transpose_solve
through a primitive of its own, while fx transposes the tangent `solve`, which must then
be linear in its right-hand side and built from transposable operations (a direct
solve, a scan or fori_loop of fixed length; not a while_loop).
"""
from __future__ import annotations

import functools

from fx import tree_util
from fx.argcheck import check_callable
from fx.core import get_aval
from fx.ir.jaxpr import eval_jaxpr
from fx.lax.ops import _as_operand, neg, sub
from fx.transforms.custom import custom_jvp
from fx.transforms.jvp import instantiate, jvp_flat, zeros_like_aval
from fx.transforms.staging import trace_to_jaxpr


class _Traced:
    """A user function of one pytree argument, traced on `avals` into a jaxpr: calling
    it with (consts, leaves) evaluates that jaxpr, so the constants it closed over are
    explicit. Hashable by identity, to sit in custom_jvp's nondiff arguments."""

    def __init__(self, fun, tree, avals, what):
        self.out_tree = None

        def flat(*leaves):
            out = fun(tree_util.tree_unflatten(tree, leaves))
            leaves_out, self.out_tree = tree_util.tree_flatten(out)
            return [_as_operand(x) for x in leaves_out]
        self.jaxpr, self.consts = trace_to_jaxpr(flat, avals, what)

    def __call__(self, consts, leaves):
        return eval_jaxpr(self.jaxpr, consts, *leaves)


def _flatten(x, what):
    leaves, tree = tree_util.tree_flatten(x)
    leaves = [_as_operand(leaf) for leaf in leaves]
    if not leaves:
        raise ValueError(f"{what} must hold at least one array, got {tree}")
    return leaves, tree, [get_aval(leaf) for leaf in leaves]


def _check_tree(what, got, want, has_aux=False):
    """got (an output's structure, or of the first of (solution, aux)) is want."""
    if has_aux:
        value = tree_util.tree_unflatten(got, [0] * got.num_leaves)
        got = (tree_util.tree_structure(value[0])
               if isinstance(value, (tuple, list)) and len(value) == 2 else None)
    if got != want:
        raise TypeError(f"{what} must return a pytree structured like its input {want}"
                        f"{' (as the first of (solution, aux))' if has_aux else ''}, got {got}")


def _nonzero_jvp(fun, primals, tangents):
    """fun's output tangents (Zero ones as zeros) for these input tangents."""
    _, out_tangents = jvp_flat(fun, primals, tangents)
    return [instantiate(t) for t in out_tangents]


def _with_aux_zeros(tangents, out):
    """tangents for out's first leaves, zeros for the aux leaves after them."""
    return list(tangents) + [zeros_like_aval(get_aval(a)) for a in out[len(tangents):]]


# ---------------------------------------------------------------------------- custom_root

@functools.partial(custom_jvp, nondiff_argnums=(0, 1, 2))
def _root(f, solver, tangent_solver, f_consts, solver_consts, tangent_consts, guess):
    del f, tangent_solver, f_consts, tangent_consts
    return solver(solver_consts, guess)


@_root.defjvp
def _root_jvp(f, solver, tangent_solver, primals, tangents):
    f_consts, solver_consts, tangent_consts, guess = primals
    out = _root(f, solver, tangent_solver, *primals)  # so that an outer derivative is implicit too
    solution = out[:len(guess)]
    # 0 = f(x*(θ), θ):  ∂f/∂x dx* = -∂f/∂θ dθ
    rhs = _nonzero_jvp(lambda *c: f(c, solution), f_consts, tangents[0])
    solution_dot = [neg(t) for t in tangent_solver(tangent_consts, list(solution) + rhs)]
    return out, _with_aux_zeros(solution_dot, out)


def custom_root(f, initial_guess, solve, tangent_solve, has_aux=False):
    """solve(f, initial_guess), a root of f, differentiated by the implicit function
    theorem with respect to what f closes over: tangent_solve(g, y) must return x with
    g(x) = y for g, f linearized at the root (for a scalar, `lambda g, y: y / g(1.0)`).
    With has_aux, solve returns (solution, aux) and aux gets no derivative."""
    for fun, what in ((f, "f"), (solve, "solve"), (tangent_solve, "tangent_solve")):
        check_callable(fun, f"custom_root: {what}")
    leaves, tree, avals = _flatten(initial_guess, "custom_root: initial_guess")
    f_traced = _Traced(f, tree, avals, "custom_root f")
    _check_tree("custom_root: f", f_traced.out_tree, tree)
    solver = _Traced(functools.partial(solve, f), tree, avals, "custom_root solve")
    _check_tree("custom_root: solve", solver.out_tree, tree, has_aux)

    def linearize_and_solve(x_and_y):
        x, y = x_and_y
        x_leaves = tree_util.tree_leaves(x)

        def f_jvp(t):
            return tree_util.tree_unflatten(tree, _nonzero_jvp(
                lambda *v: f_traced(f_traced.consts, v), x_leaves, tree_util.tree_leaves(t)))
        return tangent_solve(f_jvp, y)

    pair_tree = tree_util.tree_structure((initial_guess, initial_guess))
    tangent_solver = _Traced(linearize_and_solve, pair_tree, avals + avals,
                             "custom_root tangent_solve")
    _check_tree("custom_root: tangent_solve", tangent_solver.out_tree, tree)
    out = _root(f_traced, solver, tangent_solver, list(f_traced.consts), list(solver.consts),
                list(tangent_solver.consts), leaves)
    return tree_util.tree_unflatten(solver.out_tree, out)


# ---------------------------------------------------------------------------- custom_linear_solve

@functools.partial(custom_jvp, nondiff_argnums=(0, 1))
def _linear_solve(matvec, solver, matvec_consts, solver_consts, b):
    del matvec, matvec_consts
    return solver(solver_consts, b)


@_linear_solve.defjvp
def _linear_solve_jvp(matvec, solver, primals, tangents):
    matvec_consts, solver_consts, b = primals
    out = _linear_solve(matvec, solver, *primals)  # so that an outer derivative is implicit too
    x = out[:len(b)]
    # A x = b:  A dx = db - dA x
    a_dot_x = _nonzero_jvp(lambda *c: matvec(c, x), matvec_consts, tangents[0])
    rhs = [sub(db, t) for db, t in zip(tangents[2], a_dot_x)]
    return out, _with_aux_zeros(solver(solver_consts, rhs)[:len(b)], out)


def custom_linear_solve(matvec, b, solve, transpose_solve=None, symmetric=False, has_aux=False):
    """x = solve(matvec, b), the solution of matvec(x) = b, differentiated implicitly with
    respect to b and what matvec closes over (the linear operator): dx = solve(matvec,
    db - dmatvec(x)). With has_aux, solve returns (x, aux) and aux gets no derivative.
    transpose_solve and symmetric are accepted for JAX compatibility; reverse mode
    transposes `solve` (see the module's docstring)."""
    del symmetric
    check_callable(matvec, "custom_linear_solve: matvec")
    check_callable(solve, "custom_linear_solve: solve")
    if transpose_solve is not None:
        check_callable(transpose_solve, "custom_linear_solve: transpose_solve")
    leaves, tree, avals = _flatten(b, "custom_linear_solve: b")
    matvec_traced = _Traced(matvec, tree, avals, "custom_linear_solve matvec")
    _check_tree("custom_linear_solve: matvec", matvec_traced.out_tree, tree)
    solver = _Traced(functools.partial(solve, matvec), tree, avals, "custom_linear_solve solve")
    _check_tree("custom_linear_solve: solve", solver.out_tree, tree, has_aux)
    out = _linear_solve(matvec_traced, solver, list(matvec_traced.consts), list(solver.consts),
                        leaves)
    return tree_util.tree_unflatten(solver.out_tree, out)
