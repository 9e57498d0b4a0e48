"""The llvm backend against the reference interpreter: fused programs, BLAS, threads, the
disk cache, and the safety checks of the kernel program (every primitive's examples and
edge values are in the conformance suite, tests/backends/conformance)."""
import dataclasses
import functools

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.ir import kernels as K
from fx.ir.kernel_passes import CPU, fuse_reduced_producers
from fx.ir.lower import lower_jaxpr
from fx.ir.passes import optimize
from tests.backends import conformance
from tests.backends.conformance import assert_same

run_both = functools.partial(conformance.run_both, "llvm")  # these tests are about what the llvm backend does


pytestmark = pytest.mark.usefixtures("x64")


def test_fused_programs_and_their_gradients(rng):
    w1, w2 = rng.standard_normal((8, 16)), rng.standard_normal((16, 3))
    x, labels = rng.standard_normal((5, 8)), np.array([0, 2, 1, 1, 0])

    def loss(params, x):
        h = fx.nn.relu(x @ params[0])
        logits = h @ params[1]
        return -jnp.mean(jnp.sum(fx.nn.one_hot(labels, 3) * fx.nn.log_softmax(logits), axis=-1))
    got, want = run_both(fx.value_and_grad(loss), (w1, w2), x)
    assert_same(got, want, rtol=1e-12)
    got, want = run_both(lambda x: fx.nn.logsumexp(x, axis=0) + jnp.cumsum(x, 1)[-1], x)
    assert_same(got, want, rtol=1e-12)
    got, want = run_both(lambda x, i: x.at[i].set(x[i + 1] * 2).T[1:4:2], x, np.array([0, 3, 3]))
    assert_same(got, want)


def test_fine_grained_product_never_materialises_the_3d_intermediate():
    a, b = np.ones((256, 512), np.float32), np.ones((512, 256), np.float32)
    f = lambda a, b: jnp.sum(a[:, :, None] * b[None, :, :], axis=1)  # noqa: E731
    program = lower_jaxpr(optimize(fx.make_jaxpr(f)(a, b)))
    assert all(len(t.shape) < 3 for t in program.temps + program.outputs)
    assert [type(s).__name__ for s in program.body] == ["Gemm"]  # recognised as a matrix product
    got, want = run_both(f, a[:8, :16], b[:16, :4])
    assert_same(got, want, rtol=1e-12)


@pytest.mark.parametrize("spelling", [
    lambda a, b: jnp.sum(a[:, :, None] * b[None, :, :], axis=1),
    lambda a, b: jnp.sum(a[:, None, :] * b.T[None, :, :], axis=2),
    lambda a, b: jnp.sum(b.T[None, :, :] * a[:, None, :], axis=2),
    lambda a, b: jnp.sum(a[None, :, :, None] * b[None, None, :, :] * jnp.ones((2, 1, 1, 1)), axis=2),
])
def test_contractions_spelled_elementwise_match(spelling):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((5, 7)), rng.standard_normal((7, 4))
    got, want = run_both(spelling, a, b)
    assert_same(got, want, rtol=1e-12)


def test_lowering_fuses_elementwise_chains_into_one_kernel():
    f = lambda x: jnp.tanh(x * 2.0 + 1.0)[::-1].reshape(2, 3).T * 3.0  # noqa: E731
    program = lower_jaxpr(optimize(fx.make_jaxpr(f)(np.ones(6, np.float32))))
    assert len(program.body) == 1 and not program.temps


def test_expensive_values_read_many_times_are_materialised():
    f = lambda x: jnp.exp(x)[:, None] * jnp.ones((1, 100))  # noqa: E731
    program = lower_jaxpr(optimize(fx.make_jaxpr(f)(np.ones(50, np.float32))))
    assert [t.shape for t in program.temps] == [(50,)]  # exp computed 50 times, not 5000


def test_verifier_rejects_out_of_bounds_indices():
    src = K.Buffer("in0", (4,), np.dtype(np.float32), "input")
    out = K.Buffer("out0", (4,), np.dtype(np.float32), "output")
    shifted = K.Load(np.dtype(np.float32), src, (K.iadd(K.IVar(0), K.IConst(1)),))
    program = K.Program([src], [out], [], [], [K.Kernel("k", (4,), [(out, shifted)])])
    with pytest.raises(K.OutOfBoundsError, match=r"spans \[1, 4\]"):
        K.verify_bounds(program)
    unclamped = K.Load(np.dtype(np.float32), src, (K.IFromExpr(K.const(2, np.int32)),))
    program.body = [K.Kernel("k", (4,), [(out, unclamped)])]
    with pytest.raises(K.OutOfBoundsError):
        K.verify_bounds(program)


def test_program_printer_shows_kernels_and_the_buffer_plan():
    text = str(lower_jaxpr(optimize(fx.make_jaxpr(fx.nn.softmax)(np.ones((4, 8), np.float32)))))
    assert "reduce max over (8)" in text and "reduce add over (8)" in text
    assert "buffer plan: slot 0:" in text


def test_large_kernels_run_in_parallel_and_match():
    from fx.backends.llvm import parallel
    rng = np.random.default_rng(5)
    x = rng.standard_normal((512, 300))
    f = lambda x: (fx.nn.gelu(x) + fx.nn.logsumexp(x, axis=1, keepdims=True), jnp.argmax(x, axis=0))  # noqa: E731
    program = lower_jaxpr(optimize(fx.make_jaxpr(f)(x)))
    assert any(parallel.parallel_grain(s) for s in program.body)  # the parallel path is taken
    got, want = run_both(f, x)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("trans", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("blas", [True, False])
def test_gemm_transposes_with_and_without_blas(monkeypatch, trans, blas):
    from fx.backends.llvm import gemm, runtime
    if blas:
        monkeypatch.setattr(gemm, "SMALL_GEMM_FLOPS", 0)  # even this small product
    else:
        monkeypatch.setattr(runtime, "blas_gemm", lambda dtype: None)
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 6))
    a_in, b_in = (a.T.copy() if trans[0] else a), (b.T.copy() if trans[1] else b)
    view_a = (lambda x: x.T) if trans[0] else (lambda x: x)
    view_b = (lambda x: x.T) if trans[1] else (lambda x: x)
    f = lambda x, y: jnp.sum(view_a(x)[:, :, None] * view_b(y)[None, :, :], axis=1)  # noqa: E731
    (gemm,) = lower_jaxpr(optimize(fx.make_jaxpr(f)(a_in, b_in))).body
    assert (gemm.trans_lhs, gemm.trans_rhs) == trans
    np.testing.assert_allclose(fx.jit(f, backend="llvm")(a_in, b_in), a @ b, rtol=1e-12)


@pytest.mark.parametrize("shape", [(48, 600, 40), (600, 48, 40)], ids=["split-columns", "split-rows"])
@pytest.mark.parametrize("trans", [(False, False), (True, False), (False, True), (True, True)])
def test_big_gemm_blocks_across_threads(monkeypatch, shape, trans):
    """A product split into blocks of C's columns (m < n) or rows (m >= n), each block one
    BLAS call, with every transpose of the operands read in place (`a @ b.T`: no copy)."""
    from fx.backends.llvm import gemm
    monkeypatch.setattr(gemm, "SMALL_GEMM_FLOPS", 0)
    monkeypatch.setattr(gemm, "GEMM_BLOCK_FLOPS", 1 << 14)  # many small blocks
    m, n, k = shape
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    a_in, b_in = (a.T.copy() if trans[0] else a), (b.T.copy() if trans[1] else b)
    f = lambda x, y: (x.T if trans[0] else x) @ (y.T if trans[1] else y)  # noqa: E731
    (gemm,) = lower_jaxpr(optimize(fx.make_jaxpr(f)(a_in, b_in))).body
    assert (gemm.trans_lhs, gemm.trans_rhs) == trans
    np.testing.assert_allclose(fx.jit(f, backend="llvm")(a_in, b_in), a @ b, rtol=1e-12)


@pytest.mark.parametrize("reducer", [jnp.sum, jnp.max, jnp.min, jnp.prod])
def test_column_reductions_stream_rows_and_match_bit_for_bit(reducer):
    """Reducing over the leading axis runs the reduction loop outside the output loop
    (contiguous rows, vectorised); each output still combines its terms in order."""
    from fx.backends.llvm import fused
    rng = np.random.default_rng(9)
    x = rng.uniform(0.5, 1.5, (37, 3, 129)).astype(np.float32)
    x[5, 1, 7] = np.nan
    f = lambda x: reducer(x, axis=0) + reducer(x, axis=(0, 1))  # noqa: E731
    program = lower_jaxpr(optimize(fx.make_jaxpr(f)(x)))
    assert any(fused._reduce_outside(s) for s in program.body if isinstance(s, K.Kernel))
    got, want = run_both(f, x)
    assert_same(got, want)


def test_on_disk_cache_is_hit_after_a_restart(tmp_path):
    import subprocess
    import sys
    script = """
import numpy as np, fx, fx.numpy as jnp
from fx.backends.llvm import engine, entry, fused, gemm, parallel
f = fx.jit(lambda x: jnp.tanh(x) * 2.0 + x.sum(), backend="llvm")
print(float(f(np.arange(4.0, dtype=np.float32))[1]))
print(engine.get_engine().from_disk, engine.get_engine().compiled)
"""
    env = dict(__import__("os").environ, FX_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(2)]
    expected = float(np.tanh(np.float32(1.0)) * 2 + 6)
    assert [float(r[0]) for r in runs] == pytest.approx([expected] * 2)
    assert runs[0][1:] == ["0", "1"]  # first process: compiled and stored
    assert runs[1][1:] == ["1", "0"]  # restarted: loaded from disk, LLVM skipped


def test_concurrent_calls_do_not_share_a_workspace():
    from concurrent.futures import ThreadPoolExecutor
    f = fx.jit(lambda x: fx.nn.softmax(x * 2.0) + jnp.exp(x).sum(0), backend="llvm")
    inputs = [np.random.default_rng(i).standard_normal((64, 300)) for i in range(16)]
    expected = [fx.jit(f, backend="interpreter")(x) for x in inputs]
    f(inputs[0])
    with ThreadPoolExecutor(4) as pool:  # the native call releases the GIL
        results = list(pool.map(f, inputs * 4))
    for got, want in zip(results, expected * 4):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_cached_code_never_calls_a_blas_the_process_lacks(tmp_path):
    import subprocess
    import sys
    script = """
import numpy as np, fx
a = np.ones((128, 128), np.float32)
print(float(fx.jit(lambda a, b: (a @ b).sum())(a, a)))
"""
    env = dict(__import__("os").environ, FX_CACHE_DIR=str(tmp_path))
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", script], env=dict(env, FX_BLAS="off"),
                            capture_output=True, text=True)
    assert first.returncode == 0 and second.returncode == 0, second.stderr[-500:]
    assert float(first.stdout) == float(second.stdout) == 128.0 ** 3


def test_an_output_read_by_a_later_output_keeps_its_buffer():
    # t is materialised (expensive, read three times) and returned; the second output
    # still reads t, so t's kernel must not be renamed to write out0 before out1 exists
    f = lambda x: (lambda t: (t, t * 2.0 + t, t))(jnp.exp(x) + 1.0)  # noqa: E731
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    got, want = run_both(f, x)
    assert_same(got, want, rtol=4 * np.finfo(np.float64).eps)


def test_programs_compile_as_several_modules_on_threads(monkeypatch):
    """Statement functions are spread over one module per thread (compiled concurrently,
    linked by name), and a damaged cache entry is compiled again rather than loaded."""
    from fx.backends.llvm import engine, entry
    f = lambda x: (jnp.exp(x).sum(0), jnp.tanh(x) @ x.T, jnp.cumsum(x, axis=1))  # noqa: E731
    x = np.random.default_rng(3).standard_normal((40, 30))
    program = lower_jaxpr(optimize(fx.make_jaxpr(f)(x)))
    modules, entry = entry.build_modules(program, "fx_test_", groups=3)
    assert len(modules) == 4 and entry == "fx_test_entry"
    defined = [{fn.name for fn in m.functions if not fn.is_declaration} for m in modules]
    assert all(defined) and not set.intersection(*defined)
    objects = [b"\x7fELF" * 3, b"", b"abc"]
    assert engine._unpack(engine._pack(objects)) == objects
    for damaged in (b"", engine._pack(objects)[:-1], engine._pack(objects) + b"x"):
        assert engine._unpack(damaged) is None
    got, want = run_both(f, x)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def _fused_reductions(program):
    return [s for s in K.all_statements(program.body) if isinstance(s, K.Kernel) and s.side_outputs]


def test_softmax_stores_its_exp_from_the_kernel_that_sums_it():
    """exp(x - max) is computed once, stored for the division and summed in the same pass:
    no kernel writes it for the next one to read back."""
    program = lower_jaxpr(optimize(fx.make_jaxpr(fx.nn.softmax)(np.ones((64, 128), np.float32))))
    kernels = [(s.reducer, len(s.side_outputs)) for s in program.body]
    assert kernels == [("max", 0), ("add", 1), (None, 0)]
    assert "= each term" in str(program)


@pytest.mark.parametrize("f,shape", [
    (lambda x: fx.nn.softmax(x, axis=1), (33, 130)),
    (lambda x: fx.nn.softmax(x, axis=0), (130, 33)),        # columns: the reduction loop outside
    (lambda x: fx.nn.softmax(x, axis=1), (5, 40, 7)),       # a permuted side store, loop outside
    (lambda x: fx.nn.log_softmax(x, axis=-1) + fx.nn.softmax(x, axis=-1), (9, 31)),
    (fx.jit(fx.grad(lambda x: jnp.sum(fx.nn.softmax(x, axis=1) * jnp.arange(7.0)))), (6, 7)),
], ids=["rows", "columns", "3d-axis1", "log_softmax", "grad"])
def test_fused_softmax_matches_the_interpreter(f, shape):
    x = np.random.default_rng(10).standard_normal(shape)
    x[0, 0] = -np.inf
    program = lower_jaxpr(optimize(fx.make_jaxpr(f)(x)))
    assert _fused_reductions(program)
    got, want = run_both(f, x)
    assert_same(got, want, rtol=1e-13)


@pytest.mark.parametrize("reduce,axis", [(jnp.max, 1), (jnp.min, 2), (jnp.argmin, 1), (jnp.argmax, 0),
                                         (jnp.sum, 0), (jnp.prod, (0, 1))])
def test_fused_reductions_are_bit_identical_to_unfused_ones(monkeypatch, reduce, axis):
    """Where a reduction's order is fixed (comparisons; sums whose loop runs outside the
    output loop), fusing its producer changes no bit; the stored terms never do."""
    from fx.backends.llvm.backend import Backend
    x = np.random.default_rng(11).uniform(-1, 1, (37, 3, 129)).astype(np.float32)
    x[5, 1, 7] = np.nan
    f = lambda x: (lambda e: (e, reduce(e, axis=axis)))(jnp.exp(x))  # noqa: E731
    assert _fused_reductions(lower_jaxpr(optimize(fx.make_jaxpr(f)(x))))
    fused = fx.jit(lambda x: f(x))(x)
    unfusing = dataclasses.replace(CPU, passes=tuple(p for p in CPU.passes if p is not fuse_reduced_producers))
    monkeypatch.setattr(Backend, "kernel_pipeline", unfusing)
    unfused = fx.jit(lambda x: f(x))(x)
    for a, b in zip(fused, unfused):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_a_producer_reading_what_its_reduction_writes_stays_unfused():
    """In this loop the sum overwrites the carry that exp reads: merged, later rows would
    read rows the sum has already overwritten."""
    x = np.random.default_rng(12).standard_normal((6, 6)) * 0.01 - 2

    def body(i, carry):
        c, d = carry
        t = jnp.exp(c[None, :] + x)
        return jnp.sum(t, axis=1), d + t[:, 0]
    f = lambda c: fx.lax.fori_loop(0, 3, body, (c, c))  # noqa: E731
    c = np.linspace(0, 1, 6)
    assert not _fused_reductions(lower_jaxpr(optimize(fx.make_jaxpr(f)(c))))
    got, want = run_both(f, c)
    assert_same(got, want, rtol=1e-13)


def test_verifier_checks_side_outputs():
    src = K.Buffer("in0", (4, 3), np.dtype(np.float32), "input")
    out = K.Buffer("out0", (4,), np.dtype(np.float32), "output")
    side = K.Buffer("out1", (3, 4), np.dtype(np.float32), "output")
    term = K.Load(np.dtype(np.float32), src, (K.IVar(0), K.IVar(1)))
    kernel = K.Kernel("k", (4,), [(out, term)], (3,), "add", side_outputs=[(side, (K.IVar(1), K.IVar(0)))])
    program = K.Program([src], [out, side], [], [], [kernel])
    K.verify_bounds(program)
    kernel.side_outputs = [(side, (K.IVar(0), K.IVar(1)))]
    with pytest.raises(K.OutOfBoundsError, match=r"spans \[0, 3\]"):
        K.verify_bounds(program)
    kernel.side_outputs = [(K.Buffer("t", (4, 3), np.dtype(np.float64), "temp"), term.index)]
    with pytest.raises(K.OutOfBoundsError, match="side output needs a reduction"):
        K.verify_bounds(program)


@pytest.mark.parametrize("shape", [(40, 70), (3, 67, 33), (300, 260)], ids=["2d", "3d", "parallel"])
def test_kernels_reading_transposed_buffers_are_tiled_and_match(shape):
    """A map that reads a buffer transposed runs its last two loops in tiles (edges that
    do not divide the tile included); results are bit-identical to the interpreter."""
    from fx.backends.llvm import fused
    rng = np.random.default_rng(11)
    a = rng.standard_normal(shape[:-2] + shape[-1:] + shape[-2:-1])
    b = rng.standard_normal(shape)
    f = lambda a, b: (jnp.swapaxes(a, -1, -2) * 2.0 + b, jnp.exp(jnp.swapaxes(a, -1, -2)))  # noqa: E731
    program = lower_jaxpr(optimize(fx.make_jaxpr(f)(a, b)))
    assert all(fused._tile_last_two(s) for s in program.body if isinstance(s, K.Kernel))
    got, want = run_both(f, a, b)
    assert_same(got, want, rtol=1e-15)
    row_broadcast = lambda b: b / jnp.sum(b, axis=-1, keepdims=True)  # noqa: E731
    program = lower_jaxpr(optimize(fx.make_jaxpr(row_broadcast)(b)))
    assert not any(fused._tile_last_two(s) for s in program.body if isinstance(s, K.Kernel))
