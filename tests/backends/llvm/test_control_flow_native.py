"""Control flow compiled natively: scan, while and cond lower to the kernel program's Loop
and Branch statements, run inside the one native entry point, and must agree with the
reference interpreter (which runs their bodies equation by equation with NumPy)."""
import sys

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax, tree_util
from fx.core import Primitive
from fx.ir import kernels as K
from fx.ir.lower import lower_jaxpr
from fx.ir.passes import optimize

RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 3)).astype(np.float32)
V = RNG.standard_normal(3).astype(np.float32)


def run_both(f, *args):
    """(llvm, interpreter) results of jit(f)(*args), as lists of NumPy leaves."""
    got = fx.jit(f, backend="llvm")(*args)
    want = fx.jit(f, backend="interpreter")(*args)
    return ([np.asarray(x) for x in tree_util.tree_leaves(got)],
            [np.asarray(x) for x in tree_util.tree_leaves(want)])


def check(f, *args, rtol=2e-6, atol=2e-6):
    got, want = run_both(f, *args)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    return got


def program_of(f, *args):
    return lower_jaxpr(optimize(fx.make_jaxpr(f)(*args)))


def statements(f, *args):
    return list(K.all_statements(program_of(f, *args).body))


# ---------------------------------------------------------------------------- scan

@pytest.mark.parametrize("reverse", [False, True])
def test_scan_carry_xs_and_ys(reverse):
    def f(c, xs):
        return lax.scan(lambda c, x: (jnp.tanh(c * 0.9 + x), (c * x, jnp.sum(x))), c, xs,
                        reverse=reverse)
    check(f, V, X)
    assert any(isinstance(s, K.Loop) and s.reverse == reverse for s in statements(f, V, X))


def test_scan_pytrees_and_length_without_xs():
    def f(x):
        init = {"a": x, "n": jnp.int32(0), "pair": (x[0], jnp.zeros(2))}

        def body(c, _):
            new = {"a": jnp.sin(c["a"]) + c["pair"][0], "n": c["n"] + 1,
                   "pair": (c["pair"][0] * 0.5, c["pair"][1] + c["a"][:2])}
            return new, c["n"]
        return lax.scan(body, init, None, length=4)
    carry, ns = fx.jit(f)(V)
    np.testing.assert_array_equal(ns, np.arange(4))
    check(f, V)


def test_scan_carries_that_swap_repeat_or_stay():
    """New carries reading other carries are computed before any carry is overwritten;
    one buffer returned as two carries is copied into both."""
    def f(a, b):
        def body(c, x):
            e = jnp.exp(c[0] * 0.1)
            return (c[1] * x, c[0], e, e), c[0] + c[3]
        return lax.scan(body, (a, b, a, b), X)
    check(f, V, V * 2)


def test_scan_of_length_zero():
    check(lambda c, xs: lax.scan(lambda c, x: (c + x, c), c, xs), V, np.zeros((0, 3), np.float32))


def test_scan_body_with_products_sorts_and_parallel_kernels():
    """A gemm, a transposed gemm, a sort and a kernel big enough for parallel_for, all
    inside the loop body."""
    from fx.backends.llvm import parallel
    w = RNG.standard_normal((64, 64)).astype(np.float32) / 8
    big = RNG.standard_normal((300, 300)).astype(np.float32)

    def f(h, xs, big):
        def body(c, x):
            h, big = c
            h = jnp.tanh(h @ w + x @ w.T)
            return (h, jnp.cos(big) * 0.5 + h[0, 0]), jnp.sort(h[0])
        return lax.scan(body, (h, big), xs)
    h, xs = RNG.standard_normal((8, 64)).astype(np.float32), RNG.standard_normal((3, 8, 64)).astype(np.float32)
    check(f, h, xs, big, rtol=1e-5, atol=1e-5)
    inside = [s for loop in statements(f, h, xs, big) if isinstance(loop, K.Loop) for s in loop.body]
    assert any(isinstance(s, K.Gemm) for s in inside) and any(isinstance(s, K.Sort) for s in inside)
    assert any(parallel.parallel_grain(s) for s in inside)


# ---------------------------------------------------------------------------- fori / while

def test_fori_loop_static_and_dynamic_bounds():
    body = lambda i, v: v * 0.5 + jnp.sin(v) * i  # noqa: E731
    check(lambda x: lax.fori_loop(1, 6, body, x), V)
    dynamic = lambda x, lo, hi: lax.fori_loop(lo, hi, body, x)  # noqa: E731
    for lo, hi in [(0, 7), (3, 3), (5, 2)]:
        check(dynamic, V, np.int32(lo), np.int32(hi))
    assert [s.length for s in statements(dynamic, V, np.int32(0), np.int32(1))
            if isinstance(s, K.Loop)] == [None]  # the trip count is found at run time


def test_while_loop_with_a_data_dependent_trip_count():
    def collatz_steps(n):
        def body(c):
            n, steps = c
            return jnp.where(n % 2 == 0, n // 2, 3 * n + 1), steps + 1
        return lax.while_loop(lambda c: c[0] > 1, body, (n, jnp.int32(0)))[1]
    jf = fx.jit(collatz_steps)
    assert [int(jf(np.int32(n))) for n in (1, 6, 27)] == [0, 8, 111]
    check(collatz_steps, np.int32(97))


def test_while_loop_whose_condition_reads_constants_and_an_array_carry():
    def f(x, limit):
        return lax.while_loop(lambda c: jnp.sum(c * c) < limit, lambda c: c * 1.5 + 0.1, x)
    for limit in (0.0, 10.0, 1e4):
        check(f, V, np.float32(limit))


# ---------------------------------------------------------------------------- cond / switch

def test_cond_and_switch_clamp_the_index():
    def f(x, i):
        three = lax.switch(i, [lambda v: v * 2.0, lambda v: jnp.sin(v), lambda v: v], x)
        two = lax.cond(i > 0, lambda v: (v, v), lambda v: (-v, jnp.exp(v)), x)
        return three, two
    for i in (-3, 0, 1, 2, 9):
        got = check(f, V, np.int32(i))
        k = min(max(i, 0), 2)
        np.testing.assert_allclose(got[0], [V * 2, np.sin(V), V][k], rtol=1e-6)
    assert sum(isinstance(s, K.Branch) for s in statements(f, V, np.int32(0))) == 2
    # switch clamps before binding; the primitive clamps too, natively
    from fx.lax.control_flow import cond_p
    branches = tuple(fx.make_jaxpr(g)(V) for g in (lambda v: v * 2.0, jnp.sin, lambda v: -v))
    for i in (-3, 1, 9):
        got = check(lambda x, i: cond_p.bind(i, x, branches=branches), V, np.int32(i))
        np.testing.assert_allclose(got[0], [V * 2, np.sin(V), -V][min(max(i, 0), 2)], rtol=1e-6)


# ---------------------------------------------------------------------------- nesting

def test_scan_in_scan_and_cond_in_scan():
    def f(c, xs):
        def outer(c, x):
            inner_c, ys = lax.scan(lambda d, y: (d * 0.5 + y * c, d), c, xs)
            c = lax.cond(jnp.sum(inner_c) > 0, lambda v: v - 1.0, lambda v: v * 2.0, inner_c + x)
            return c, ys[-1]
        return lax.scan(outer, c, xs)
    check(f, V, X[:4] / 4)
    loops = [s for s in statements(f, V, X[:4] / 4) if isinstance(s, K.Loop)]
    assert len(loops) == 2 and any(isinstance(s, K.Branch) for s in loops[0].body)


def test_while_in_cond_in_fori():
    def f(x, n):
        def body(i, v):
            return lax.cond(i % 2 == 0, lambda v: lax.while_loop(lambda u: u[0] < n, lambda u: (
                u[0] + 1, u[1] * 1.1), (0, v))[1], lambda v: v - 0.5, v)
        return lax.fori_loop(0, 5, body, x)
    check(f, V, np.int32(3), rtol=1e-5)


# ---------------------------------------------------------------------------- transforms

def test_grad_of_scan_and_of_fori_loop():
    def rnn_loss(w, h, xs):
        h, _ = lax.scan(lambda h, x: (jnp.tanh(h @ w + x), None), h, xs)
        return jnp.sum(h * h)
    w = RNG.standard_normal((3, 3)).astype(np.float32) / 2
    check(fx.value_and_grad(rnn_loss, argnums=(0, 1)), w, V, X, rtol=1e-5, atol=1e-5)
    grad_fori = fx.grad(lambda x: jnp.sum(lax.fori_loop(0, 4, lambda i, v: jnp.sin(v) * v + i, x)))
    check(grad_fori, V, rtol=1e-5, atol=1e-5)
    # the backward pass is a scan too: both directions run as native loops
    assert [s.reverse for s in statements(fx.grad(rnn_loss), w, V, X) if isinstance(s, K.Loop)] \
        == [False, True]


def test_vmap_of_while_with_a_batched_predicate():
    def f(x, limits):
        return fx.vmap(lambda x, n: lax.while_loop(lambda c: c[0] < n, lambda c: (
            c[0] + 1, c[1] * 2.0), (0, x)))(x, limits)
    got = check(f, X[:4], np.array([0, 3, 1, 5], np.int32))
    np.testing.assert_array_equal(got[0], [0, 3, 1, 5])


# ---------------------------------------------------------------------------- the program

def test_printer_shows_a_scan_loop_and_its_body():
    f = lambda c, xs: lax.scan(lambda c, x: (c * x, c + 1.0), c, xs)  # noqa: E731
    text = str(program_of(f, np.zeros(4, np.float32), np.ones((3, 4), np.float32)))
    assert text.split("\n", 2)[2] == """\
temps: t1:f32[4], t3:i64[]
buffer plan: slot 0: t1; slot 1: t3
kernel k2 over (4):
    t1[...] = in0[i0]
loop l7 3 times, counter t3:
  kernel k5 over (4):
      out1[clamp(int(t3[]),0,2),i0] = add(t1[i0], 1.0:f32)
  kernel k6 over (4):
      t1[...] = mul(t1[i0], in1[clamp(int(t3[]),0,2),i0])
kernel k8 over (4):
    out0[...] = t1[i0]"""


def test_buffer_plan_keeps_loop_temporaries_apart():
    """Body temporaries live through the whole loop: none shares a slot with a buffer the
    loop reads or writes, while buffers dead before the loop may be reused after it."""
    def f(x, xs):
        y = jnp.exp(x) * 2.0
        c, _ = lax.scan(lambda c, x: (jnp.sin(c * y) + x, None), y, xs)
        return jnp.exp(c) + 1.0
    program = program_of(f, V, X)
    (loop,) = [s for s in program.body if isinstance(s, K.Loop)]
    touched = {b for b in loop.reads() | set(loop.writes()) if b.role == "temp"}
    assert len({b.slot for b in touched}) == len(touched)
    check(f, V, X)


def test_verifier_checks_loop_and_branch_bodies():
    src = K.Buffer("in0", (4,), np.dtype(np.float32), "input")
    out = K.Buffer("out0", (4,), np.dtype(np.float32), "output")
    counter = K.Buffer("t0", (), np.dtype(np.int64), "temp")
    row = K.IFromExpr(K.Load(np.dtype(np.int64), counter, ()))
    load = K.Load(np.dtype(np.float32), src, (K.iclamp(row, 0, 3),))
    ok = K.Kernel("k", (), [(out, load)], store_index=(K.iclamp(row, 0, 3),))
    program = K.Program([src], [out], [], [counter], [K.Loop("l", [ok], length=4, counter=counter)])
    K.verify_bounds(program)
    unclamped = K.Kernel("k", (), [(out, load)], store_index=(row,))
    program.body = [K.Loop("l", [K.Loop("m", [unclamped], length=4, counter=counter)],
                           length=4, counter=counter)]
    with pytest.raises(K.OutOfBoundsError, match="out0 axis 0"):
        K.verify_bounds(program)
    program.body = [K.Branch("b", counter, [[ok]])]  # an int64 index: not a branch's
    with pytest.raises(K.OutOfBoundsError, match="int32 scalar"):
        K.verify_bounds(program)
    program.body = [K.Loop("l", [ok])]  # neither a length nor a predicate
    with pytest.raises(K.OutOfBoundsError, match="length or a predicate"):
        K.verify_bounds(program)


def test_no_python_runs_per_iteration(monkeypatch):
    """A jitted scan is one native call: no primitive impl runs, and the Python calls
    made by a call of the executable do not grow with the trip count."""
    impl_calls = []
    for prim in {p for p in _all_primitives() if p.impl is not None}:
        monkeypatch.setattr(prim, "impl", _counting(prim.impl, impl_calls))

    def python_calls(length):
        f = fx.jit(lambda c: lax.fori_loop(0, length, lambda i, v: jnp.sin(v) * 0.5 + i, c))
        f(V)  # trace and compile
        calls = []
        sys.setprofile(lambda frame, event, arg: calls.append(event) if event == "call" else None)
        try:
            out = f(V)
        finally:
            sys.setprofile(None)
        return out, len(calls)
    (short, n_short), (long, n_long) = python_calls(10), python_calls(10000)
    assert impl_calls == [] and n_short == n_long
    assert np.all(np.isfinite(long)) and not np.allclose(short, long)


def _all_primitives():
    import gc
    return [o for o in gc.get_objects() if isinstance(o, Primitive)]


def _counting(impl, calls):
    def counted(*args, **kwargs):
        calls.append(impl)
        return impl(*args, **kwargs)
    return counted


def test_a_product_that_is_one_carry_and_feeds_another():
    """The product's buffer is not handed over to the first carry while the second
    carry's update still reads it."""
    w = RNG.standard_normal((3, 3)).astype(np.float32)

    def body(c, _):
        p = c[1] @ w
        return (p, c[1] + p), None
    check(lambda a, b: lax.scan(body, (a, b), None, length=3), V, V)


# ---------------------------------------------------------------------------- products in loops

GEMM_PATHS = ["blas", "blocks", "loops"]


def _gemm_path(monkeypatch, path):
    """Make even tiny products call BLAS ("blas"), in blocks on several threads
    ("blocks"), or take fx's own loops ("loops")."""
    from fx.backends.llvm import gemm, runtime
    if path == "loops":
        monkeypatch.setattr(runtime, "blas_gemm", lambda dtype: None)
    else:
        monkeypatch.setattr(gemm, "SMALL_GEMM_FLOPS", 0)
    if path == "blocks":
        monkeypatch.setattr(gemm, "GEMM_BLOCK_FLOPS", 1)


def _loop_gemms(f, *args):
    (loop,) = [s for s in statements(f, *args) if isinstance(s, K.Loop)]
    return [s for s in loop.body if isinstance(s, K.Gemm)], loop


@pytest.mark.parametrize("path", GEMM_PATHS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_scan_products_read_xs_rows_and_write_ys_rows_in_place(monkeypatch, reverse, path):
    """x @ w, x.T @ h, w.T @ x.T and (x @ w).T (computed as w.T @ x.T) read row `counter`
    of the stacked xs, and the last three write their row of the stacked ys: offset gemm
    operands, no copies."""
    _gemm_path(monkeypatch, path)
    rng = np.random.default_rng(1)
    h, xs, w = rng.standard_normal((2, 3)), rng.standard_normal((5, 2, 4)), rng.standard_normal((4, 3))

    def f(h, xs, w):
        return lax.scan(lambda h, x: (jnp.tanh(x @ w + h), (x.T @ h, w.T @ x.T, (x @ w).T)),
                        h, xs, reverse=reverse)
    with fx.config.override("enable_x64", True):
        check(f, h, xs, w, rtol=1e-12, atol=0)
        gemms, loop = _loop_gemms(f, h, xs, w)
        check(f, h, xs[:0], w)  # no iteration: nothing is read or written at an offset
    assert len(gemms) == 4 and len(loop.body) == 5  # the four products and the tanh
    assert [[o != K.IConst(0) for o in g.offsets] for g in gemms] == \
        [[True, False, False], [True, False, True], [False, True, True], [False, True, True]]


@pytest.mark.parametrize("path", GEMM_PATHS)
def test_rnn_gradient_accumulates_weight_gradients_in_place(monkeypatch, path):
    """The backward scan adds each step's weight gradient x.T @ dz to its carry with one
    gemm (C += A @ B) instead of a product and an addition."""
    _gemm_path(monkeypatch, path)
    rng = np.random.default_rng(2)
    params = rng.standard_normal((4, 6)) / 2, rng.standard_normal((6, 6)) / 3
    h, xs = rng.standard_normal((3, 6)), rng.standard_normal((5, 3, 4))

    def loss(params, h, xs):
        wx, wh = params
        h, _ = lax.scan(lambda h, x: (jnp.tanh(x @ wx + h @ wh), None), h, xs)
        return jnp.sum(h * h)
    grad = fx.value_and_grad(loss)
    with fx.config.override("enable_x64", True):
        check(grad, params, h, xs, rtol=1e-12, atol=1e-15)
        program = program_of(grad, params, h, xs)
    backward = [s for s in program.body if isinstance(s, K.Loop)][-1]
    assert backward.reverse
    accumulating = [s for s in backward.body if isinstance(s, K.Gemm) and s.accumulate]
    assert len(accumulating) == 2 and all(g.out.role == "temp" for g in accumulating)
    assert "+=" in accumulating[0].pp()
    xs_buffer = program.inputs[-1]
    assert not any(xs_buffer in s.reads() for s in backward.body if not isinstance(s, K.Gemm))


def _shared_product(c, x):
    p = x.T @ x
    return c + p, p * 2.0


@pytest.mark.parametrize("path", GEMM_PATHS)
def test_carry_plus_product_accumulates_only_when_nothing_else_reads_them(monkeypatch, path):
    _gemm_path(monkeypatch, path)
    rng = np.random.default_rng(3)
    c, xs = rng.standard_normal((4, 4)) / 4, rng.standard_normal((3, 2, 4))
    bodies = [  # (body, initial carry, how many updates become accumulating gemms)
        (lambda c, x: (c + x.T @ x, None), c, 1),
        (lambda c, x: (x.T @ x + c, jnp.sum(c)), c, 1),  # the gemm moves after the sum
        (lambda c, x: ((c[0] + x.T @ x, c[1] + x.T @ x * 0.5), c[0] @ c[1]), (c, c * 2), 1),
        (_shared_product, c, 0),                          # the product is read again
        (lambda c, x: (c + c.T @ c, None), c, 0),         # the product reads the carry
    ]
    with fx.config.override("enable_x64", True):
        for body, init, accumulating in bodies:
            f = lambda c, xs, body=body: lax.scan(body, c, xs)  # noqa: E731
            check(f, init, xs, rtol=1e-12, atol=1e-15)
            gemms, _ = _loop_gemms(f, init, xs)
            assert sum(g.accumulate for g in gemms) == accumulating


def test_verifier_checks_gemm_offsets():
    f64 = np.dtype(np.float64)
    a, out = K.Buffer("in0", (3, 2, 2), f64, "input"), K.Buffer("out0", (2, 2), f64, "output")
    counter = K.Buffer("t0", (), np.dtype(np.int64), "temp")
    row = K.IFromExpr(K.Load(np.dtype(np.int64), counter, ()))
    gemm = K.Gemm("g", a, a, out, 1, 2, 2, 2, offsets=(K.imul(K.iclamp(row, 0, 2), 4),
                                                      K.IConst(8), K.IConst(0)))
    program = K.Program([a], [out], [], [counter], [K.Loop("l", [gemm], length=3, counter=counter)])
    K.verify_bounds(program)
    past_the_end, unclamped = K.imul(K.iclamp(row, 0, 3), 4), K.imul(row, 4)
    for offsets in [(past_the_end, K.IConst(8), K.IConst(0)), (unclamped, K.IConst(8), K.IConst(0)),
                    (K.IConst(0), K.IConst(9), K.IConst(0)), (K.IConst(0), K.IConst(8), K.IVar(0))]:
        gemm.offsets = offsets
        with pytest.raises(K.OutOfBoundsError, match="does not fit"):
            K.verify_bounds(program)
    gemm.out, gemm.offsets = a, (K.IConst(0),) * 3
    with pytest.raises(K.OutOfBoundsError, match="cannot write a buffer it reads"):
        K.verify_bounds(program)
