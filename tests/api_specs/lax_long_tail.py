"""The long tail of jax.lax, jax.lax.linalg and jax.scipy.linalg that fx composes from its
primitives (fx/lax/utilities.py, fx/lax/solves.py, the compositions in fx/lax/linalg.py,
the matrix constructors of fx/scipy/linalg.py), against NumPy and SciPy. Spec names start
with "long_tail_"."""
import numpy as np
import scipy.linalg as sla

import fx.numpy as jnp
from fx import lax
from fx.lax import linalg as lax_linalg
from fx.scipy import linalg as L
from tests.api_specs import Spec, draws, integers, normal, positive, uniform, updated

SDN = lax.ScatterDimensionNumbers
SCATTER_ROWS = SDN(update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
ROWS = np.array([[3], [0], [3], [1]])  # row 3 twice: the updates accumulate


def _start(i, dim, size):
    """JAX's start: negative counts from the end, then clamped so the window fits."""
    return int(np.clip(i + dim if i < 0 else i, 0, dim - size))


def _dynamic_update(x, update, i, axis):
    out = np.moveaxis(x.copy(), axis, 0)
    s = _start(int(i), out.shape[0], update.shape[axis])
    out[s:s + update.shape[axis]] = np.moveaxis(update, axis, 0)
    return np.moveaxis(out, 0, axis)


def _bits(x, width=64):
    return [int(v) & ((1 << width) - 1) for v in x.ravel()]


def _clz(x, width):
    return np.array([width - b.bit_length() for b in _bits(x, width)]).reshape(x.shape)


def _mulhi(x, y):
    """The high 64 bits of the 128-bit signed products, from Python's big integers."""
    out = [((int(a) * int(b)) >> 64) for a, b in zip(x.ravel(), y.ravel())]
    return np.array(out, np.int64).reshape(x.shape)


def _logcumsumexp(x, axis, reverse=False):
    x = np.flip(x, axis) if reverse else x
    out = np.logaddexp.accumulate(x, axis=axis)
    return np.flip(out, axis) if reverse else out


def _top_k(x, k, largest):
    order = np.argsort(-x if largest else x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order.astype(np.int32)


def _permutation(pivots, size):
    perm = np.arange(size)
    for i, p in enumerate(pivots):
        perm[i], perm[p] = perm[p], perm[i]
    return perm.astype(pivots.dtype)


def _tridiagonal(dl, d, du):
    return np.diag(d) + np.diag(dl[1:], -1) + np.diag(du[:-1], 1)


def _upper_factor(rng, n=4):
    a = rng.standard_normal((n, n))
    return np.linalg.cholesky(a @ a.T + n * np.eye(n)).T


def _argmax_pair(a, b):
    """(max, index of the first max) of two (value, index) pairs: a variadic reduction
    that is not one of fx's reductions."""
    take_a = (a[0] > b[0]) | ((a[0] == b[0]) & (a[1] < b[1]))
    return jnp.where(take_a, a[0], b[0]), jnp.where(take_a, a[1], b[1])


def _real_and_imaginary(z, xp):
    return xp.real(z), xp.imag(z)


def _sqrt_by_newton(a):
    """custom_root: Newton's iteration in a while_loop, differentiated implicitly."""
    def f(x):
        return x * x - a

    def solve(f, x0):
        return lax.while_loop(lambda x: jnp.any(jnp.abs(f(x)) > 1e-13 * a),
                              lambda x: x - f(x) / (2 * x), x0)
    return lax.custom_root(f, jnp.ones_like(a), solve, lambda g, y: y / g(jnp.ones_like(a)))


def _linear_solve(a, b):
    """custom_linear_solve with a direct (transposable) solve."""
    return lax.custom_linear_solve(lambda x: a @ x, b, lambda matvec, rhs: jnp.linalg.solve(a, rhs))


SPECS = [
    # shapes
    Spec("long_tail_broadcast_to_rank", lambda x: lax.broadcast_to_rank(x, 3),
         lambda x: x[None, None], draws(normal(4))),
    Spec("long_tail_collapse", lambda x: lax.collapse(x, 1), lambda x: x.reshape(2, 12),
         draws(normal(2, 3, 4))),
    Spec("long_tail_collapse_range", lambda x: lax.collapse(x, 0, -1), lambda x: x.reshape(6, 4),
         draws(normal(2, 3, 4))),
    Spec("long_tail_tile", lambda x: lax.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)),
         draws(normal(2, 3, 2))),
    Spec("long_tail_split", lambda x: lax.split(x, (1, 3, 0), axis=1),
         lambda x: np.split(x, [1, 4, 4], axis=1)[:3], draws(normal(2, 4))),
    Spec("long_tail_stack", lambda x, y: lax.stack([x, y], axis=1), lambda x, y: np.stack([x, y], 1),
         draws(normal(2, 3), normal(2, 3))),
    Spec("long_tail_unstack", lambda x: lax.unstack(x, axis=-1),
         lambda x: tuple(np.moveaxis(x, -1, 0)), draws(normal(2, 3))),
    # one-axis indexing
    Spec("long_tail_index_in_dim", lambda x: lax.index_in_dim(x, -1, axis=1, keepdims=False),
         lambda x: x[:, -1], draws(normal(3, 4))),
    Spec("long_tail_dynamic_slice_in_dim", lambda x, i: lax.dynamic_slice_in_dim(x, i, 2, axis=1),
         lambda x, i: x[:, _start(int(i), 5, 2):_start(int(i), 5, 2) + 2],
         draws(normal(3, 5), integers(low=-7, high=7))),
    Spec("long_tail_dynamic_slice_in_dim_no_negative",
         lambda x, i: lax.dynamic_slice_in_dim(x, i, 2, allow_negative_indices=False),
         lambda x, i: x[_start(max(int(i), 0), 5, 2):][:2], draws(normal(5), integers(low=-3, high=5))),
    Spec("long_tail_dynamic_index_in_dim", lambda x, i: lax.dynamic_index_in_dim(x, i, 0, False),
         lambda x, i: x[_start(int(i), 4, 1)], draws(normal(4, 3), integers(low=-4, high=6))),
    Spec("long_tail_dynamic_update_slice_in_dim",
         lambda x, u, i: lax.dynamic_update_slice_in_dim(x, u, i, axis=1),
         lambda x, u, i: _dynamic_update(x, u, i, 1),
         draws(normal(3, 5), normal(3, 2), integers(low=-6, high=6))),
    Spec("long_tail_dynamic_update_index_in_dim",
         lambda x, u, i: lax.dynamic_update_index_in_dim(x, u, i, 0),
         lambda x, u, i: _dynamic_update(x, u[None], i, 0),
         draws(normal(4, 3), normal(3), integers(low=-5, high=5))),
    Spec("long_tail_index_take", lambda x, i, j: lax.index_take(x, (i, j), (0, 2)),
         lambda x, i, j: x[i, :, j],
         draws(normal(3, 2, 4), integers(5, high=3), integers(5, high=4))),
    Spec("long_tail_scatter_sub", lambda x, u: lax.scatter_sub(x, ROWS, u, SCATTER_ROWS),
         lambda x, u: updated(np.subtract, x, ROWS[:, 0], u), draws(normal(5, 3), normal(4, 3))),
    Spec("long_tail_sort_key_val", lambda k, v: lax.sort_key_val(k, v, dimension=0),
         lambda k, v: (np.sort(k, 0), np.take_along_axis(v, np.argsort(k, 0), 0)),
         draws(normal(5, 2), normal(5, 2))),
    # reductions
    Spec("long_tail_reduce_and", lambda x: lax.reduce_and(x, (1,)),
         lambda x: np.bitwise_and.reduce(x, 1), draws(integers(3, 5, low=-60, high=60)), grad=0),
    Spec("long_tail_reduce_or_uint8", lambda x: lax.reduce_or(x, (0, 1)),
         lambda x: np.bitwise_or.reduce(x.ravel()),
         draws(integers(3, 3, high=255, dtype=np.uint8)), grad=0),
    Spec("long_tail_reduce_xor", lambda x: lax.reduce_xor(x, (0,)), lambda x: np.bitwise_xor.reduce(x, 0),
         draws(integers(7, 2, low=-1000, high=1000)), grad=0),
    Spec("long_tail_reduce_and_bool", lambda x: lax.reduce_and(x > 0, (1,)),
         lambda x: np.all(x > 0, 1), draws(integers(4, 3, low=-1, high=6)), grad=0),
    Spec("long_tail_reduce_sum", lambda x: lax.reduce(x, 0.0, lax.add, (1,)), lambda x: x.sum(1),
         draws(normal(3, 4)), grad=2),
    Spec("long_tail_reduce_max_init", lambda x: lax.reduce(x, 0.5, lax.max, (0,)),
         lambda x: np.maximum(x.max(0), 0.5), draws(normal(5, 3))),
    Spec("long_tail_reduce_lambda_mul", lambda x: lax.reduce(x, 1.0, lambda a, b: a * b, (0, 1)),
         lambda x: np.prod(x), draws(normal(2, 3)), grad=2),
    Spec("long_tail_reduce_variadic_argmax",
         lambda x: lax.reduce((x, lax.broadcasted_iota(np.int64, x.shape, 0)), (-np.inf, 0), _argmax_pair,
                             (0,)),
         lambda x: (x.max(0), np.argmax(x, 0)), draws(normal(7, 3)), diff_argnums=(0,)),
    Spec("long_tail_cumlogsumexp", lambda x: lax.cumlogsumexp(x, axis=1),
         lambda x: _logcumsumexp(x, 1), draws(normal(3, 6)), grad=2),
    Spec("long_tail_cumlogsumexp_reverse_large", lambda x: lax.cumlogsumexp(800 * x, reverse=True),
         lambda x: _logcumsumexp(800 * x, 0, reverse=True), draws(normal(9))),
    # arithmetic and bits
    Spec("long_tail_reciprocal", lax.reciprocal, lambda x: 1 / x, draws(positive(3, 4)), grad=2),
    Spec("long_tail_population_count", lax.population_count,
         lambda x: np.bitwise_count(x.view(np.uint64)).astype(np.int64),
         draws(integers(9, low=-2**62, high=2**62)), grad=0),
    Spec("long_tail_population_count_uint8", lax.population_count, np.bitwise_count,
         draws(integers(9, high=256, dtype=np.uint8)), grad=0),
    Spec("long_tail_clz", lax.clz, lambda x: _clz(x, 64), draws(integers(9, low=-5, high=2**40)), grad=0),
    Spec("long_tail_clz_int16", lax.clz, lambda x: _clz(x, 16).astype(np.int16),
         draws(integers(9, low=-2**15, high=2**15, dtype=np.int16)), grad=0),
    Spec("long_tail_mulhi", lax.mulhi, _mulhi,
         draws(integers(9, low=-2**63, high=2**63 - 1), integers(9, low=-2**63, high=2**63 - 1)), grad=0),
    Spec("long_tail_mulhi_uint32", lax.mulhi,
         lambda x, y: ((x.astype(np.uint64) * y) >> 32).astype(np.uint32),
         draws(integers(9, high=2**32, dtype=np.uint32), integers(9, high=2**32, dtype=np.uint32)),
         grad=0),
    Spec("long_tail_nextafter", lax.nextafter, np.nextafter,
         lambda rng: (np.r_[rng.standard_normal(6), 0.0, 0.0, 1.0, np.inf, np.nan],
                      np.r_[rng.standard_normal(6), 1.0, -1.0, 1.0, 0.0, 2.0]), grad=0),
    Spec("long_tail_approx_max_k", lambda x: lax.approx_max_k(x, 3), lambda x: list(_top_k(x, 3, True)),
         draws(normal(2, 6))),
    Spec("long_tail_approx_min_k_axis0", lambda x: lax.approx_min_k(x, 2, reduction_dimension=0),
         lambda x: [np.swapaxes(r, 0, 1) for r in _top_k(x.T, 2, False)], draws(normal(5, 3))),
    Spec("long_tail_approx_min_k_int", lambda x: lax.approx_min_k(x, 2),
         lambda x: list(_top_k(x, 2, False)), draws(integers(6, low=-2**63, high=2**63 - 1)), grad=0),
    Spec("long_tail_optimization_barrier", lambda x, y: lax.optimization_barrier((x, [y])),
         lambda x, y: (x, [y]), draws(normal(3), normal(2, 2)), grad=2),
    Spec("long_tail_platform_dependent", lambda x: lax.platform_dependent(x, cpu=jnp.sin, default=jnp.cos),
         np.sin, draws(normal(3))),
    # implicit differentiation
    Spec("long_tail_custom_root_sqrt", _sqrt_by_newton, np.sqrt, draws(positive(4)), grad=2),
    Spec("long_tail_custom_linear_solve", _linear_solve, np.linalg.solve,
         lambda rng: (rng.standard_normal((3, 3)) + 3 * np.eye(3), rng.standard_normal(3)), grad=2),
    # fx.lax.linalg
    Spec("long_tail_lu_pivots_to_permutation", lambda p: lax_linalg.lu_pivots_to_permutation(p, 6),
         lambda p: _permutation(p, 6), lambda rng: (rng.integers(np.arange(4), 6).astype(np.int32),),
         grad=0),
    Spec("long_tail_tridiagonal_solve", lax_linalg.tridiagonal_solve,
         lambda dl, d, du, b: np.linalg.solve(_tridiagonal(dl, d, du), b),
         draws(normal(5), lambda rng: rng.standard_normal(5) + 4, normal(5), normal(5, 2)), grad=2),
    Spec("long_tail_tridiagonal_solve_batched", lax_linalg.tridiagonal_solve,
         lambda dl, d, du, b: np.stack([np.linalg.solve(_tridiagonal(*t), r)
                                        for *t, r in zip(dl, d, du, b)]),
         draws(normal(2, 4), lambda rng: rng.standard_normal((2, 4)) + 4, normal(2, 4), normal(2, 4, 3))),
    Spec("long_tail_symmetric_product",
         lambda a, c: lax_linalg.symmetric_product(a, c, alpha=2.0, beta=-0.5),
         lambda a, c: 2 * a @ np.swapaxes(a, -1, -2) - 0.5 * c, draws(normal(2, 3, 4), normal(2, 3, 3)),
         grad=2),
    Spec("long_tail_symmetric_product_symmetrized",
         lambda a, c: lax_linalg.symmetric_product(a, c, beta=1.0, symmetrize_output=True),
         lambda a, c: a @ a.T + np.tril(c) + np.tril(c, -1).T, draws(normal(3, 2), normal(3, 3))),
    Spec("long_tail_cholesky_update", lax_linalg.cholesky_update,
         lambda r, w: np.linalg.cholesky(r.T @ r + np.outer(w, w)).T,
         lambda rng: (_upper_factor(rng), rng.standard_normal(4)), vmap=True, rtol=1e-9),
    # fx.scipy.linalg's matrix constructors
    Spec("long_tail_companion", L.companion, sla.companion, draws(positive(5))),
    Spec("long_tail_companion_batched", L.companion,
         lambda a: np.stack([sla.companion(r) for r in a]), draws(positive(2, 4))),
    Spec("long_tail_fiedler_companion", L.fiedler_companion, sla.fiedler_companion, draws(positive(7))),
    Spec("long_tail_fiedler", L.fiedler, sla.fiedler, draws(normal(5)), grad=0),
    Spec("long_tail_leslie", L.leslie, sla.leslie, draws(normal(4), uniform(3))),
    Spec("long_tail_convolution_matrix_full", lambda a: L.convolution_matrix(a, 4),
         lambda a: sla.convolution_matrix(a, 4), draws(normal(3))),
    Spec("long_tail_convolution_matrix_same", lambda a: L.convolution_matrix(a, 6, "same"),
         lambda a: sla.convolution_matrix(a, 6, "same"), draws(normal(4))),
    Spec("long_tail_convolution_matrix_valid", lambda a: L.convolution_matrix(a, 3, "valid"),
         lambda a: sla.convolution_matrix(a, 3, "valid"), draws(normal(5))),
    Spec("long_tail_hilbert", lambda: L.hilbert(5), lambda: sla.hilbert(5), lambda rng: (), grad=0,
         vmap=False),
    Spec("long_tail_invhilbert", lambda: L.invhilbert(6), lambda: sla.invhilbert(6), lambda rng: (),
         grad=0, vmap=False),
    Spec("long_tail_pascal", lambda: L.pascal(6), lambda: sla.pascal(6).astype(float), lambda rng: (),
         grad=0, vmap=False, rtol=0, atol=0),
    Spec("long_tail_invpascal_upper", lambda: L.invpascal(5, "upper"),
         lambda: sla.invpascal(5, "upper").astype(float), lambda rng: (), grad=0, vmap=False, rtol=0,
         atol=0),
    Spec("long_tail_hadamard", lambda: L.hadamard(8), lambda: sla.hadamard(8), lambda rng: (), grad=0,
         vmap=False),
    Spec("long_tail_helmert_full", lambda: L.helmert(5, full=True), lambda: sla.helmert(5, full=True),
         lambda rng: (), grad=0, vmap=False),
    Spec("long_tail_dft_sqrtn", lambda: _real_and_imaginary(L.dft(6, "sqrtn"), jnp),
         lambda: _real_and_imaginary(sla.dft(6, "sqrtn"), np), lambda rng: (), grad=0, vmap=False),
]
