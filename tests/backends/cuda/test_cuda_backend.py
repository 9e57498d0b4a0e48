"""The cuda backend beyond the conformance suite: device placement, the two reduction
strategies, training, control flow and the text it shows. Runs on numba's simulator
where there is no GPU (tests/conftest.py turns it on), on the GPU where there is one."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax
from fx.backends.cuda import simulated as cuda_simulated
from fx.backends.cuda import source
from fx.ir import kernels as K
from tests.backends.conformance import assert_same, run_both

pytestmark = [pytest.mark.gpu, pytest.mark.usefixtures("x64")]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def gpu():
    return fx.devices("cuda")[0]


def on_gpu(x, gpu):
    return fx.device_put(np.asarray(x), gpu)


def test_arrays_stay_on_the_gpu_until_python_reads_them(gpu):
    x = on_gpu(np.arange(6.0).reshape(2, 3), gpu)
    assert repr(gpu) == "CudaDevice(id=0)" and gpu.platform == "gpu"
    assert x.device is gpu and x.devices() == {gpu}
    eager = jnp.sin(x) * 2 + np.ones(3)  # a host operand moves to the GPU
    jitted = fx.jit(lambda a: jnp.sum(a ** 2, axis=1))(x)
    assert eager.device is gpu and jitted.device is gpu
    np.testing.assert_allclose(np.asarray(eager), np.sin(np.arange(6.0).reshape(2, 3)) * 2 + 1)
    np.testing.assert_array_equal(np.asarray(jitted), [5.0, 50.0])
    assert float(jnp.max(x)) == 5.0 and fx.device_get(x).tolist() == [[0, 1, 2], [3, 4, 5]]


def test_jit_for_the_cuda_backend_moves_host_arguments_there(gpu):
    out = fx.jit(lambda a: a + 1, backend="cuda")(np.zeros(3))
    assert out.device is gpu
    np.testing.assert_array_equal(np.asarray(out), np.ones(3))


def long_and_short(k):
    """(kernels reducing as a block per output, as a thread per output) of a program."""
    kernels = [s for s in K.all_statements(k.body) if isinstance(s, K.Kernel) and s.reducer]
    return ([s for s in kernels if not source.thread_per_output(s)],
            [s for s in kernels if source.thread_per_output(s)])


@pytest.mark.parametrize("reduce", [jnp.sum, jnp.max, jnp.min, jnp.argmax, jnp.argmin, jnp.prod,
                                    jnp.any])
@pytest.mark.parametrize("n", [3, 300])
def test_reductions_short_and_long_match_the_interpreter(reduce, n):
    x = np.random.default_rng(0).uniform(0.9, 1.1, (5, n))
    x[1, n // 2] = np.nan
    x[2, :] = x[2, 0]  # ties: the first index wins
    kind = long_and_short(fx.jit(lambda a: reduce(a, axis=1)).lower(x).kernel_program("cuda"))
    assert len(kind[0 if n >= source.SHORT_REDUCTION else 1]) == 1
    got, want = run_both("cuda", lambda a: reduce(a, axis=1), x)
    assert_same(got, want, rtol=1e-13)


def test_row_softmax_and_logsumexp(rng):
    x = rng.standard_normal((7, 257)) * 30
    f = lambda a: (fx.nn.softmax(a, axis=-1), fx.nn.logsumexp(a, axis=-1))  # noqa: E731
    got, want = run_both("cuda", f, x)
    assert_same(got, want, rtol=1e-12)


def mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = jnp.tanh(x @ w1 + b1)
    return jnp.mean(fx.nn.logsumexp(h @ w2 + b2, axis=1) - jnp.take_along_axis(
        h @ w2 + b2, y[:, None], axis=1)[:, 0])


def test_training_on_the_gpu_follows_the_cpu(gpu, rng):
    params = [(rng.standard_normal((6, 8)) * 0.3, np.zeros(8)),
              (rng.standard_normal((8, 4)) * 0.3, np.zeros(4))]
    x, y = rng.standard_normal((8, 6)), rng.integers(0, 4, 8)
    step = fx.jit(lambda p, x, y: fx.tree.map(lambda w, g: w - 0.5 * g, p,
                                              fx.grad(mlp_loss)(p, x, y)))
    on_cpu, on_dev = params, fx.device_put(params, gpu)
    x_dev, y_dev = fx.device_put(x, gpu), fx.device_put(y, gpu)
    for _ in range(3):
        on_cpu, on_dev = step(on_cpu, x, y), step(on_dev, x_dev, y_dev)
    assert all(leaf.device is gpu for leaf in fx.tree.leaves(on_dev))
    for a, b in zip(fx.tree.leaves(on_dev), fx.tree.leaves(on_cpu)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-14)
    per_example = fx.jit(fx.vmap(fx.grad(mlp_loss), (None, 0, 0)))(
        on_dev, x_dev[:4, None], y_dev[:4, None])
    assert fx.tree.leaves(per_example)[0].shape == (4, 6, 8)


@pytest.mark.slow  # 7 s on the simulator
def test_the_digits_mlp_trains_on_the_gpu_as_on_the_cpu(gpu):
    """examples/train_mlp.py's model and data, a few steps at a size the simulator runs."""
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("train_mlp", ROOT / "examples" / "train_mlp.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    x_train, y_train, _, _ = example.load_digits()
    params = example.init_params(fx.random.PRNGKey(0), [64, 16, 16, 10])
    grad_fn = fx.grad(fx.jit(example.loss))
    on_cpu, on_dev = params, fx.device_put(params, gpu)
    for step in range(3):
        x, y = x_train[step * 16:(step + 1) * 16], y_train[step * 16:(step + 1) * 16]
        on_cpu = fx.tree.map(lambda p, g: p - 0.1 * g, on_cpu, grad_fn(on_cpu, x, y))
        on_dev = fx.tree.map(lambda p, g: p - 0.1 * g, on_dev, grad_fn(on_dev, x, y))
    assert all(leaf.device is gpu for leaf in fx.tree.leaves(on_dev))
    for a, b in zip(fx.tree.leaves(on_dev), fx.tree.leaves(on_cpu)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


def test_control_flow_runs_on_the_gpu(gpu, rng):
    xs = rng.standard_normal((6, 3))

    def f(xs):
        total, cums = lax.scan(lambda c, x: (c + x, jnp.cumsum(c * x)), jnp.zeros(3), xs)
        n = lax.while_loop(lambda c: c[0] < 100.0, lambda c: (c[0] * 2 + 1, c[1] + 1),
                           (jnp.abs(total[0]) + 1, 0))
        return lax.cond(n[1] > 3, jnp.sin, jnp.cos, total), cums, n
    got, want = run_both("cuda", f, xs)
    assert_same(got, want, rtol=1e-13)
    assert all(leaf.device is gpu for leaf in fx.tree.leaves(fx.jit(f)(on_gpu(xs, gpu))))


def test_a_scan_queues_its_iterations_without_copies(monkeypatch):
    from numba import cuda
    array_type = type(cuda.device_array(1))
    copies = []
    for method in ("copy_to_device", "copy_to_host"):
        original = getattr(array_type, method)
        monkeypatch.setattr(array_type, method, lambda self, *a, _o=original, _m=method, **k: (
            copies.append(_m), _o(self, *a, **k))[1])
    f = fx.jit(lambda xs: lax.scan(lambda c, x: (c * 0.5 + x, c), 0.0, xs), backend="cuda")
    xs = np.arange(6.0)
    f(xs)  # compile first
    copies.clear()
    carry, ys = f(xs)
    assert copies.count("copy_to_host") == 0 and copies.count("copy_to_device") <= 1  # xs only
    want = fx.jit(f._fun, backend="interpreter")(xs)
    assert_same([carry, ys], list(want), rtol=0)


def test_statements_without_a_kernel_yet_leave_results_on_the_device(gpu, rng):
    a = rng.standard_normal((4, 4))
    f = lambda a, i: (jnp.sort(a, axis=0), a.at[i].add(1.0), jnp.linalg.cholesky(a @ a.T + 4 * jnp.eye(4)))  # noqa: E731
    got, want = run_both("cuda", f, a, np.array([0, 2, 0]))
    assert_same(got, want, rtol=1e-12)
    assert all(o.device is gpu for o in fx.jit(f)(on_gpu(a, gpu), np.array([0, 2, 0])))


def test_scatters_run_on_the_device():
    x = np.zeros(5)
    index = np.array([3, 1, 3, 7, -9, 3])  # repeats, and two positions outside the array

    def scatters(a, i, u):
        return a.at[i].set(u, mode="drop"), a.at[i].add(u, mode="drop"), a.at[i].max(u, mode="drop")

    text = fx.jit(scatters).lower(x, index, np.ones(6)).as_text("cuda")
    assert "run on the host" not in text and text.count("for u in range(6)") == 2  # in order
    assert text.count("cuda.atomic.add(") == 1  # the scatter-add: all threads at once
    updates = np.array([1.0, 2.0, 3.0, 4.0, 5.0, -6.0])
    got, want = run_both("cuda", scatters, x, index, updates)
    assert_same(got, want, rtol=0)
    assert np.asarray(got[0]).tolist() == [0, 2, 0, -6, 0]  # the last update of 3 wins


def test_the_gradient_of_a_gather_adds_its_many_repeats_atomically(rng):
    table, index = rng.standard_normal((5, 3)), rng.integers(0, 5, 200)
    weights = rng.standard_normal((200, 3))
    grad = fx.grad(lambda t, i, w: jnp.sum(t[i] * w))  # its transpose is a scatter-add
    got, want = run_both("cuda", grad, table, index, weights)
    assert_same(got, want, rtol=1e-12)
    assert "cuda.atomic.add(" in fx.jit(grad).lower(table, index, weights).as_text("cuda")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sorts_run_on_the_device_in_the_interpreters_total_order(dtype):
    edges = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1.0, -np.nan, 1.0, -1.0, 0.0], dtype)
    x = np.stack([edges, edges[::-1]])
    keys = np.array([[1, 0, 1, 0, 1, 0, 1, 0, 1, 0]] * 2, np.int32)

    def sorts(a, k):
        return (jnp.sort(a, axis=1), jnp.sort(a, axis=0), jnp.argsort(a, axis=1),
                lax.sort((k, a), num_keys=2), lax.top_k(a, 4), jnp.sort(a, axis=1, descending=True))

    text = fx.jit(sorts).lower(x, keys).as_text("cuda")
    assert "run on the host" not in text and "take_right" in text
    got, want = run_both("cuda", sorts, x, keys)
    assert_same(got, want, rtol=0)


@pytest.mark.parametrize("shape", [(3, 100), (1, 1000)])
def test_long_lines_sort_with_a_block_each(shape, rng):
    x = rng.integers(-5, 5, shape).astype(np.float64)  # many ties: stability shows
    x[0, :7] = [np.nan, -0.0, 0.0, np.inf, -np.inf, np.nan, -0.0]

    def sorts(a):
        return jnp.sort(a, axis=1), jnp.argsort(a, axis=1), jnp.argsort(-a, axis=1), lax.top_k(a, 5)

    program = fx.jit(sorts).lower(x).kernel_program("cuda")
    assert all(source.bitonic(s) for s in K.all_statements(program.body) if isinstance(s, K.Sort))
    got, want = run_both("cuda", sorts, x)
    assert_same(got, want, rtol=0)


def test_grad_of_a_jit_for_the_gpu_takes_host_arguments(rng):
    """The known half of grad(jit(f)) runs jit's eager impl on host buffers: they go to the
    device and back (they once reached the kernels as read-only NumPy arrays)."""
    w, x = rng.standard_normal((3, 4)), rng.standard_normal((5, 3))
    loss = lambda w, x: jnp.sum(jnp.tanh(x @ w) ** 2)  # noqa: E731
    got = fx.grad(fx.jit(loss, backend="cuda"))(w, x)
    want = fx.grad(fx.jit(loss, backend="interpreter"))(w, x)
    assert_same([got], [want], rtol=1e-12)


@pytest.mark.skipif(not cuda_simulated(), reason="the simulator's workaround")
def test_shared_arrays_are_declared_race_free_on_the_simulator():
    # numba's simulator can give racing threads private copies of a shared array; its
    # kernels declare them twice around a barrier (source._shared_arrays)
    text = fx.jit(lambda a: a @ a).lower(np.ones((8, 8))).as_text("cuda")
    assert "for declaration in range(2):" in text


def test_calls_reuse_one_workspace_unless_another_call_holds_it(rng):
    from fx.transforms.call import compiled
    f = fx.jit(lambda a: jnp.sum(jnp.exp(a) * 2, axis=1) + jnp.max(a), backend="cuda")
    x = rng.standard_normal((3, 70))
    executable = compiled(f.trace_jaxpr(x), fx.backends.get_backend("cuda"))
    assert executable._temps  # the program has temporaries
    cached = dict(executable._temps)
    want = np.asarray(fx.jit(f._fun, backend="interpreter")(x))
    for held in (False, True):  # a call while another holds the workspace gets its own
        if held:
            executable._temps_lock.acquire()
        try:
            out = executable(fx.device_put(x, fx.devices("cuda")[0])._buffer)[0]
        finally:
            if held:
                executable._temps_lock.release()
        np.testing.assert_allclose(out.copy_to_host(), want, rtol=1e-12)
    assert all(executable._temps[t] is view for t, view in cached.items())  # reused


def test_as_text_shows_the_kernels():
    text = fx.jit(lambda a: jnp.sum(jnp.exp(a), axis=1)).lower(np.ones((4, 100))).as_text("cuda")
    assert "def k_" in text and "cuda.syncthreads()" in text and "exp(" in text


def test_the_gpu_is_the_default_where_it_is_usable(monkeypatch, gpu):
    monkeypatch.delenv("FX_PLATFORM", raising=False)
    assert fx.devices() == [gpu] and fx.default_backend() == "gpu"
    assert fx.devices("gpu") == [gpu] and fx.devices("cpu")[0].platform == "cpu"
    out = fx.jit(lambda a: a + 1)(np.zeros(2))  # uncommitted host data: the work runs on the GPU
    assert out.device is gpu and out.sharding.device_set == {gpu}


def test_gpu_and_cpu_commitments_do_not_mix(gpu):
    x = on_gpu(np.ones(2), gpu)
    pinned = fx.device_put(np.ones(2), fx.devices("cpu")[0])
    with pytest.raises(ValueError, match="committed to different devices"):
        x + pinned
    with pytest.raises(ValueError, match=r"backend='cuda'\) computes on CudaDevice"):
        fx.jit(lambda a: a, backend="cuda")(pinned)


@pytest.mark.parametrize("spec, lhs, rhs", [("ij,jk->ik", (5, 7), (7, 3)),
                                            ("ij,jk->ik", (1, 9), (9, 1)),
                                            ("ji,kj->ik", (6, 5), (9, 6)),
                                            ("bij,bkj->bik", (3, 5, 4), (3, 6, 4))])
def test_tiled_gemm_at_ragged_shapes(spec, lhs, rhs, rng):
    a, b = rng.standard_normal(lhs), rng.standard_normal(rhs)
    f = lambda a, b: jnp.einsum(spec, a, b)  # noqa: E731
    program = fx.jit(f).lower(a, b).kernel_program("cuda")
    assert any(isinstance(s, K.Gemm) for s in K.all_statements(program.body))
    got, want = run_both("cuda", f, a, b)
    assert_same(got, want, rtol=1e-13)


def test_gemms_that_accumulate_in_a_loop(rng):
    """An RNN's weight gradient sums a gemm per step into one buffer (Gemm.accumulate)."""
    w, xs = rng.standard_normal((4, 4)) * 0.5, rng.standard_normal((5, 4))

    def loss(w):
        return jnp.sum(lax.scan(lambda h, x: (jnp.tanh(h @ w + x),) * 2, jnp.zeros(4), xs)[1])
    program = fx.jit(fx.grad(loss)).lower(w).kernel_program("cuda")
    assert any(isinstance(s, K.Gemm) and s.accumulate for s in K.all_statements(program.body))
    got, want = run_both("cuda", fx.grad(loss), w)
    assert_same(got, want, rtol=1e-12)


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_16bit_floats_are_refused_with_the_primitive_named(dtype):
    x = np.ones(4, dtype.dtype)
    with pytest.raises(TypeError, match=f"cuda backend does not support {dtype.dtype}.*in mul"):
        fx.jit(lambda a: fx.lax.fori_loop(0, 2, lambda i, c: c * c, a), backend="cuda")(x)
