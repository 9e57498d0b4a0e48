"""Deep and long programs: long elementwise chains and deeply nested jits compile, run and
transform correctly, every pass over them staying within Python's recursion limit, and
compile time staying linear (issue #9, part 2)."""
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.ir import kernels as K
from fx.ir.lower import MAX_KERNEL_DEPTH, MAX_KERNEL_NODES, lower_jaxpr
from fx.ir.passes import inline_jit_calls, optimize
from fx.ir.typecheck import check_jaxpr

pytestmark = pytest.mark.slow  # long programs take seconds to trace and compile

CHAIN_OPS = 2000  # sin, mul, add per step: 667 steps


def chain(x, steps=CHAIN_OPS // 3):
    for _ in range(steps):
        x = jnp.sin(x) * 0.5 + 0.25
    return x


def chain_reference(x, steps=CHAIN_OPS // 3):
    """The chain and its derivative in float64."""
    x, dx = np.asarray(x, np.float64), np.ones(np.shape(x))
    for _ in range(steps):
        x, dx = np.sin(x) * 0.5 + 0.25, dx * np.cos(x) * 0.5
    return x, dx


X = np.linspace(-2.0, 2.0, 16, dtype=np.float32)


def _tree_size_and_depth(expr):
    """Nodes and height of an expression tree, counted without recursion."""
    nodes, depth, pending = 0, 0, [(expr, 1)]
    while pending:
        e, d = pending.pop()
        nodes, depth = nodes + 1, max(depth, d)
        pending += [(c, d + 1) for c in K._children(e)]
    return nodes, depth


def test_long_chain_compiles_runs_and_splits_into_bounded_kernels():
    value, _ = chain_reference(X)
    np.testing.assert_allclose(fx.jit(chain)(X), value, rtol=1e-5, atol=1e-6)
    program = lower_jaxpr(optimize(fx.jit(chain).trace_jaxpr(X)))
    kernels = [s for s in program.body if isinstance(s, K.Kernel)]
    assert len(kernels) > 1
    for k in kernels:
        nodes, depth = _tree_size_and_depth(k.outputs[0][1])
        assert nodes <= 3 * MAX_KERNEL_NODES and depth <= MAX_KERNEL_DEPTH + 2


def test_kernels_differing_only_in_buffers_share_one_function():
    llvm_ir = fx.jit(chain).lower(X).as_text("llvm")
    kernels = fx.jit(chain).lower(X).as_text("kernels").count("\nkernel ")
    defined = llvm_ir.count('define void @"fx_k')
    assert kernels > 10 and defined <= 3


def test_grad_and_vmap_of_a_long_chain():
    value, derivative = chain_reference(X)
    loss = lambda x: chain(x).sum()  # noqa: E731
    np.testing.assert_allclose(fx.jit(fx.grad(loss))(X), derivative, rtol=1e-4, atol=1e-6)
    # grad of jit: the forward program returns over a thousand residuals (a packed entry)
    np.testing.assert_allclose(fx.grad(lambda x: fx.jit(chain)(x).sum())(X), derivative,
                               rtol=1e-4, atol=1e-6)
    batched = fx.jit(fx.vmap(chain))(np.stack([X, -X]))
    np.testing.assert_allclose(batched, np.stack([value, chain_reference(-X)[0]]), rtol=1e-5,
                               atol=1e-6)


def test_printing_a_long_chain():
    assert str(fx.make_jaxpr(chain)(X)).count(" = sin ") == CHAIN_OPS // 3
    lowered = fx.jit(chain).lower(X)
    assert lowered.as_text("jaxpr").count(" = sin ") == CHAIN_OPS // 3
    assert lowered.as_text("kernels").count("sin(") == CHAIN_OPS // 3
    assert 'define void @"fx_entry' in lowered.as_text("llvm")


def test_long_chain_of_reshapes_and_transposes():
    """Each reshape composes an index map that can double the tree (flat index, then
    div and mod of it): fusion measures such trees and splits the kernel in time."""
    from fx.ir.lower import MAX_KERNEL_TREE
    f = lambda x: [x := x.T.reshape(8, 16) for _ in range(200)][-1]  # noqa: E731
    a = np.arange(128, dtype=np.float32).reshape(8, 16)
    ref = a
    for _ in range(200):
        ref = ref.T.reshape(8, 16)
    np.testing.assert_array_equal(fx.jit(f)(a), ref)
    program = lower_jaxpr(optimize(fx.jit(f).trace_jaxpr(a)))
    assert all(K.tree_size(e) <= 2 * MAX_KERNEL_TREE
               for s in program.body for _, e in s.outputs)


def nested_jits(levels, body=lambda y: y * 0.999 + 0.001):
    f = lambda x: x  # noqa: E731
    for _ in range(levels):
        f = fx.jit(lambda x, f=f: body(f(x)))
    return f


def nested_reference(x, levels):
    """In float32, step by step, as the fused kernels compute it."""
    for _ in range(levels):
        x = x * np.float32(0.999) + np.float32(0.001)
    return x


@pytest.mark.parametrize("levels", [300, 1000])
def test_nested_jits(levels):
    np.testing.assert_allclose(nested_jits(levels)(X), nested_reference(X, levels), rtol=1e-6)


def test_jits_nested_inside_one_traced_function():
    def g(x, depth=0):
        if depth == 300:
            return x
        return fx.jit(lambda x: g(x, depth + 1) * 0.999 + 0.001)(x)
    np.testing.assert_allclose(fx.jit(g)(X), nested_reference(X, 300), rtol=1e-6)


def test_transforms_and_passes_of_nested_jits():
    f = nested_jits(200, lambda y: jnp.sin(y) + 0.1)
    x, dx = X.astype(np.float64), np.ones(X.shape)
    for _ in range(200):
        x, dx = np.sin(x) + 0.1, dx * np.cos(x)
    np.testing.assert_allclose(fx.grad(lambda x: f(x).sum())(X), dx, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fx.vmap(f)(np.stack([X, X]))[1], x, rtol=1e-5, atol=1e-6)
    closed = fx.make_jaxpr(f)(X)
    assert str(closed).count("jit[") == 200
    check_jaxpr(closed)
    assert [e.prim.name for e in inline_jit_calls(closed).eqns].count("sin") == 200


def test_recursion_limit_is_restored_after_tracing():
    before = sys.getrecursionlimit()
    nested_jits(400)(X)
    assert sys.getrecursionlimit() == before


def test_too_deep_nesting_is_a_clear_error_not_a_crash():
    """Beyond what the C stack safely holds, tracing raises a RecursionError that says
    so; it never overflows the C stack (which would kill the process). A thread with a
    larger stack goes deeper."""
    script = textwrap.dedent("""
        import threading
        import numpy as np, fx
        f = lambda x: x
        for _ in range(4000):
            f = fx.jit(lambda x, f=f: f(x) + 1.0)
        try:
            f(np.ones(2, np.float32))
        except RecursionError as e:
            print("RecursionError:", e)
        threading.stack_size(256 << 20)
        t = threading.Thread(target=lambda: print("in a thread:", f(np.ones(2, np.float32))[0]))
        t.start()
        t.join()
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "RecursionError: fx could not trace jit(<lambda>)" in result.stdout
    assert "C stack" in result.stdout
    assert "in a thread: 4001.0" in result.stdout  # 1 + 4,000 increments


def test_more_arguments_than_ctypes_can_pass():
    xs = [X + i for i in range(600)]
    outs = fx.jit(lambda *xs: [x * 2.0 for x in xs])(*xs)
    assert len(outs) == 600
    for i in (0, 317, 599):
        np.testing.assert_array_equal(outs[i], xs[i] * 2.0)


def test_hundreds_of_matrix_products_returned():
    """Each product's statement is redirected to write its output buffer (BlockUses
    indexes the block once, so this stays linear in the number of outputs)."""
    def f(x):
        outs = []
        for _ in range(300):
            x = jnp.tanh(x @ x) * 0.5
            outs.append(x.T @ x)
        return outs
    a = np.random.RandomState(0).randn(4, 4).astype(np.float32)
    outs, x = fx.jit(f)(a), a.astype(np.float64)
    for i in range(300):
        x = np.tanh(x @ x) * 0.5
        if i in (0, 150, 299):
            np.testing.assert_allclose(outs[i], x.T @ x, rtol=1e-4, atol=1e-6)
    program = fx.jit(f).lower(a).as_text("kernels")
    assert len(re.findall(r"gemm g\d+: out\d+ = ", program)) == 300


def test_a_long_entry_runs_in_segments(monkeypatch):
    """Past SEGMENT_STATEMENTS statements the entry calls functions of that many each."""
    from fx.backends.llvm import entry
    monkeypatch.setattr(entry, "SEGMENT_STATEMENTS", 4)  # part of the program key
    f = lambda x: chain(x * 2.0)  # noqa: E731
    assert "_seg7" in fx.jit(f).lower(X).as_text("llvm")
    np.testing.assert_allclose(fx.jit(f)(X), chain_reference(X * 2.0)[0], rtol=1e-5, atol=1e-6)


def test_expression_nodes_hash_once_and_compare_without_recursion():
    buf = K.Buffer("in0", (4,), np.dtype(np.float32), "input")

    def deep(n):
        e = K.Load(np.dtype(np.float32), buf, (K.IVar(0),))
        for _ in range(n):
            e = K.op("add", K.op("sin", e), K.const(0.5, np.float32))
        return e
    a, b = deep(5000), deep(5000)
    assert a is not b and a == b and hash(a) == hash(b) and a != deep(4999)
    assert K.const(-0.0, np.float32) != K.const(0.0, np.float32)  # not merged by codegen
    assert K.const(np.nan, np.float32) == K.const(np.nan, np.float32)


def test_a_long_chain_of_distinct_transcendentals_calls_shared_copies():
    """Past MAX_INLINE_TRANSCENDENTALS sites a program calls one out-of-line copy per
    function: compile time stays linear, and the values are the same polynomials'."""
    from fx.backends.llvm.codegen import MAX_INLINE_TRANSCENDENTALS

    def distinct(x):
        for i in range(CHAIN_OPS // 3):
            x = jnp.sin(x) * (0.5 + i * 1e-6) + 0.25
        return x
    x = X.astype(np.float64)
    for i in range(CHAIN_OPS // 3):
        x = np.sin(x) * np.float32(0.5 + i * 1e-6) + 0.25
    np.testing.assert_allclose(fx.jit(distinct)(X), x, rtol=1e-5, atol=1e-6)
    llvm_ir = fx.jit(distinct).lower(X).as_text("llvm")
    calls = llvm_ir.count('call float @"fx_math_sin_f32"')
    assert calls == CHAIN_OPS // 3 - MAX_INLINE_TRANSCENDENTALS
