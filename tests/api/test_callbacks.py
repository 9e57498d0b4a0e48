"""Python callbacks in traced code (fx.debug.print/callback/breakpoint, fx.pure_callback,
fx.experimental.io_callback): eager, under jit (native code calls back into Python),
grad, vmap and loop bodies, with the exact output checked; errors as JAX's."""
import io
import sys
import traceback

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax

X = np.arange(3, dtype=np.float32)


def printed(capsys):
    return capsys.readouterr().out.splitlines()


def model(x):
    fx.debug.print("x = {}", x)
    y = jnp.sin(x) * 2
    fx.debug.print("sum = {s:.4f}", s=jnp.sum(y))
    return jnp.sum(y ** 2)


@pytest.mark.parametrize("transform", ["eager", "jit", "interpreter"])
def test_print_runs_with_the_values(capsys, transform):
    f = {"eager": model, "jit": fx.jit(model), "interpreter": fx.jit(model, backend="interpreter")}[transform]
    f(X)
    f(X + 1)
    assert printed(capsys) == ["x = [0. 1. 2.]", "sum = 3.5015", "x = [1. 2. 3.]", "sum = 3.7838"]


@pytest.mark.parametrize("how", ["grad", "grad_of_jit", "jit_of_grad"])
def test_grad_prints_once_on_the_forward_pass(capsys, how):
    f = {"grad": fx.grad(model), "grad_of_jit": fx.grad(fx.jit(model)),
         "jit_of_grad": fx.jit(fx.grad(model))}[how]
    np.testing.assert_allclose(f(X), 8 * np.sin(X) * np.cos(X), rtol=1e-5)
    assert printed(capsys) == ["x = [0. 1. 2.]", "sum = 3.5015"]


def test_a_custom_vjp_backward_function_prints_on_the_backward_pass(capsys):
    @fx.custom_vjp
    def f(x):
        return jnp.sin(x)
    f.defvjp(lambda x: (jnp.sin(x), x), lambda x, g: (fx.debug.print("bwd {}", g) or g * jnp.cos(x),))

    def loss(x):
        fx.debug.print("fwd {}", x)
        return jnp.sum(f(x) * 2)
    for g in (fx.grad(loss), fx.jit(fx.grad(loss))):
        g(X[:2])
        assert printed(capsys) == ["fwd [0. 1.]", "bwd [2. 2.]"]


def test_vmap_prints_once_per_element_in_order(capsys):
    batch = np.stack([X, X + 10])
    for f in (fx.vmap(model), fx.jit(fx.vmap(model))):
        f(batch)
        assert printed(capsys) == ["x = [0. 1. 2.]", "x = [10. 11. 12.]", "sum = 3.5015", "sum = -4.1612"]


def test_loop_bodies_print_every_iteration_even_when_unused(capsys):
    def body(c, i):
        fx.debug.print("i={} c={}", i, c)
        return c * 2, c

    def f(c):
        lax.scan(body, c, jnp.arange(3))  # results unused: the prints still run
        c = lax.while_loop(lambda c: c < 20, lambda c: (fx.debug.print("w {}", c), c * 3)[1], c)
        return lax.cond(c > 0, lambda c: (fx.debug.print("positive {}", c), c)[1], lambda c: c, c)
    for g in (f, fx.jit(f)):
        g(1.0)
        assert printed(capsys) == ["i=0 c=1.0", "i=1 c=2.0", "i=2 c=4.0", "w 1.0", "w 3.0", "w 9.0",
                                   "positive 27.0"]
    fx.grad(lambda c: lax.scan(body, c, jnp.arange(2))[0])(1.0)
    assert printed(capsys) == ["i=0 c=1.0", "i=1 c=2.0"]


def test_debug_callback_gets_pytrees_of_arrays():
    seen = []
    f = fx.jit(lambda p: fx.debug.callback(lambda tree, scale: seen.append((tree, scale)),
                                           {**p, "b": (p["b"], "static")}, scale=2.0) or p["a"])
    f({"a": X, "b": np.float32(1.0)})
    tree, scale = seen[0]
    np.testing.assert_array_equal(tree["a"], X)
    assert tree["b"][1] == "static" and float(tree["b"][0]) == 1.0 and float(scale) == 2.0


def test_pure_callback_under_jit_vmap_and_dce():
    calls = []

    def host_cumsum(a):
        calls.append(a.shape)
        return np.cumsum(a, axis=-1).astype(a.dtype)

    def f(x, method="sequential"):
        return fx.pure_callback(host_cumsum, fx.ShapeDtypeStruct(x.shape, x.dtype), x, vmap_method=method)
    np.testing.assert_array_equal(fx.jit(f)(X), [0, 1, 3])
    batch = np.stack([X, X + 1])
    calls.clear()
    np.testing.assert_array_equal(fx.jit(fx.vmap(f))(batch), np.cumsum(batch, axis=1))
    assert calls == [(3,), (3,)]  # sequential: one call per element
    calls.clear()
    np.testing.assert_array_equal(fx.vmap(lambda x: f(x, "expand_dims"))(batch), np.cumsum(batch, axis=1))
    assert calls == [(2, 3)]  # one call on the whole batch
    calls.clear()
    fx.jit(lambda x: (f(x), x + 1)[1])(X)
    assert calls == []  # an unused pure callback is dropped


def test_io_callback_runs_in_order_and_is_never_dropped():
    log = []

    def record(x):
        log.append(float(x))
        return np.float32(len(log))
    f = fx.jit(lambda x: [fx.experimental.io_callback(record, fx.ShapeDtypeStruct((), np.float32), x + k,
                                                      ordered=True) for k in range(3)][0] * 0 + x)
    f(np.float32(1.0))
    assert log == [1.0, 2.0, 3.0]


def test_an_exception_in_a_callback_reaches_the_caller_with_its_traceback():
    def failing(x):
        raise RuntimeError(f"bad value {x}")
    after = []
    f = fx.jit(lambda x: (fx.debug.callback(failing, x), fx.debug.callback(after.append, x), x + 1)[2])
    with pytest.raises(RuntimeError, match=r"bad value 1\.0") as info:
        f(np.float32(1.0))
    assert traceback.extract_tb(info.value.__traceback__)[-1].name == "failing"
    assert after == []  # the callbacks after a failed one do not run
    assert float(fx.jit(lambda x: x * 2)(np.float32(2.0))) == 4.0  # and fx goes on working


@pytest.mark.parametrize("transform", ["eager", "jit"])
def test_callback_errors_are_clear(transform):
    wrap = (lambda f: f) if transform == "eager" else fx.jit
    wrong = wrap(lambda x: fx.pure_callback(lambda a: a[:1], fx.ShapeDtypeStruct((2,), np.float32), x))
    with pytest.raises(TypeError, match=r"result 0 of the callback is float32\[1\], but its "
                                        r"result_shape_dtypes declare f32\[2\]"):
        wrong(X[:2])
    pure = lambda y: fx.pure_callback(np.sin, fx.ShapeDtypeStruct((), np.float32), y)  # noqa: E731
    with pytest.raises(ValueError, match="pure callbacks do not support differentiation.*custom_jvp"):
        wrap(fx.grad(pure))(np.float32(1.0))
    with pytest.raises(NotImplementedError, match="vmap_method=None: pass vmap_method='sequential'"):
        wrap(fx.vmap(pure))(X)
    io = lambda y: fx.experimental.io_callback(np.sin, fx.ShapeDtypeStruct((), np.float32), y, ordered=True)  # noqa: E731
    with pytest.raises(ValueError, match="an ordered io_callback .* cannot be batched"):
        wrap(fx.vmap(io))(X)
    with pytest.raises(ValueError, match="IO callbacks do not support differentiation"):
        wrap(fx.grad(io))(np.float32(1.0))


def test_breakpoint_opens_a_prompt_on_the_traced_values(monkeypatch, capsys):
    def f(x):
        y = jnp.cos(x) * 2
        fx.debug.breakpoint()
        return y + 1
    monkeypatch.setattr(sys, "stdin", io.StringIO("p y\nx.sum() + 1\nw\nc\n"))
    np.testing.assert_allclose(fx.jit(f)(X[:2]), np.cos(X[:2]) * 2 + 1, rtol=1e-6)
    out = capsys.readouterr().out
    assert "Entering fx.debug.breakpoint at " in out and "test_callbacks.py" in out
    assert "fx.debug.breakpoint()" in out  # the source line
    assert "array([2.       , 1.080604" in out and "np.float32(2.0)" in out  # p y; x.sum() + 1
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    import bdb
    with pytest.raises(bdb.BdbQuit):
        fx.jit(f)(X[:2])


def test_callbacks_show_in_jaxprs_and_kernel_programs():
    f = lambda x: fx.pure_callback(np.sin, fx.ShapeDtypeStruct((3,), np.float32), fx.debug.print("{}", x) or x)  # noqa: E731
    assert "debug_callback[" in str(fx.make_jaxpr(f)(X)) and "pure_callback[" in str(fx.make_jaxpr(f)(X))
    text = fx.jit(f).lower(X).as_text()
    assert "callback c" in text and "#0 debug_callback print(in0)" in text and "#1 pure_callback sin(in0)" in text
