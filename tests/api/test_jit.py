"""jit: caching, static arguments, pytrees, backends, disable_jit."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp


def counting(fun):
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        return fun(*args, **kwargs)
    wrapped.calls = calls
    return wrapped


def test_retraces_only_when_the_key_changes():
    f = counting(lambda x, y: x * y + 1.0)
    jf = fx.jit(f)
    jf(np.ones(3, np.float32), np.ones(3, np.float32))
    jf(np.zeros(3, np.float32), np.ones(3, np.float32))   # same shapes/dtypes: cached
    assert len(f.calls) == 1
    jf(np.ones(4, np.float32), np.ones(4, np.float32))     # new shape
    jf(np.ones(4, np.int32), np.ones(4, np.int32))         # new dtype
    assert len(f.calls) == 3
    jf(2.0, 3.0)                                           # weak-typed Python scalars
    jf(np.float32(2.0), np.float32(3.0))                   # strong float32 scalars: new key
    assert len(f.calls) == 5


def test_weak_types_survive_jit():
    out = fx.jit(lambda x: x * 2.0)(jnp.ones(3, jnp.float32))
    assert out.dtype == np.float32 and not out.weak_type
    out = fx.jit(lambda x: x * 2)(3.0)
    assert out.dtype == np.float32 and out.weak_type


def test_static_argnums_and_argnames():
    f = counting(lambda x, n, scale=1.0: x * n * scale)
    jf = fx.jit(f, static_argnums=1, static_argnames="scale")
    assert float(jf(2.0, 3)) == 6.0
    assert float(jf(2.0, 3)) == 6.0
    assert float(jf(2.0, 4, scale=0.5)) == 4.0
    assert float(jf(2.0, n=4, scale=0.5)) == 4.0   # static by name too
    assert len(f.calls) == 3
    with pytest.raises(ValueError, match="hashable"):
        jf(2.0, [1, 2])


def test_static_arg_drives_python_control_flow():
    def f(x, mode):
        return x * 2 if mode == "double" else x + 1
    jf = fx.jit(f, static_argnames="mode")
    assert float(jf(3.0, mode="double")) == 6.0
    assert float(jf(3.0, mode="inc")) == 4.0


def test_pytrees_in_and_out_and_kwargs():
    @fx.jit
    def f(params, x, *, bias):
        return {"y": params["w"] * x + bias, "aux": (x, None)}
    out = f({"w": np.float32(2.0)}, np.arange(3, dtype=np.float32), bias=1.0)
    np.testing.assert_allclose(out["y"], [1, 3, 5])
    assert out["aux"][1] is None


def test_jit_as_method_decorator_and_partial():
    from functools import partial

    class Model:
        scale = 3.0

        @partial(fx.jit, static_argnums=0)
        def __call__(self, x):
            return x * self.scale

        def __hash__(self):
            return 0

        def __eq__(self, other):
            return isinstance(other, Model)
    assert float(Model()(2.0)) == 6.0


def test_bad_argument_types_are_reported():
    with pytest.raises(TypeError, match="not a valid fx type"):
        fx.jit(lambda s: s)("a string")
    with pytest.raises(TypeError, match="callable"):
        fx.jit(3)


def test_disable_jit_runs_python_eagerly():
    seen = []

    @fx.jit
    def f(x):
        seen.append(type(x).__name__)
        return x + 1
    with fx.disable_jit():
        f(1.0)
    assert seen == ["float"]


def test_backend_selection(monkeypatch):
    assert float(fx.jit(lambda x: x + 1, backend="interpreter")(1.0)) == 2.0
    assert fx.devices()[0].platform == "cpu"
    with pytest.raises(ValueError, match="Unknown backend"):
        fx.jit(lambda x: x, backend="tpu")
    monkeypatch.setenv("FX_PLATFORM", "nope")
    with pytest.raises(ValueError, match="FX_PLATFORM"):
        fx.jit(lambda x: x * 3.0)(1.0)


def test_x64_flag_is_part_of_the_key():
    f = fx.jit(lambda x: x + 1.5)
    assert f(1.0).dtype == np.float32
    with fx.config.override("enable_x64", True):
        assert f(1.0).dtype == np.float64
    assert f(1.0).dtype == np.float32


def test_nested_jit_is_inlined_before_compilation():
    from fx.ir.passes import optimize
    inner = fx.jit(lambda x: jnp.sin(x) * 2.0)
    closed = fx.jit(lambda x: inner(x) + inner(x)).trace_jaxpr(1.0)
    assert [e.prim.name for e in closed.eqns] == ["jit", "jit", "add"]
    flat = optimize(closed)
    assert "jit" not in [e.prim.name for e in flat.eqns]
    assert [e.prim.name for e in flat.eqns].count("sin") == 1  # CSE merged the two calls
    assert float(fx.jit(lambda x: inner(x) + inner(x))(0.5)) == pytest.approx(4 * np.sin(0.5), rel=1e-6)


def test_lower_shows_every_level():
    lowered = fx.jit(lambda x: jnp.tanh(x) * 2.0).lower(np.ones(8, np.float32))
    assert "tanh" in lowered.as_text("jaxpr") and "lambda" in lowered.as_text("jaxpr")
    assert "kernel" in lowered.as_text("kernels") and "tanh(" in lowered.as_text("kernels")
    assert "define void" in lowered.as_text("llvm")
    assert lowered.as_text() == lowered.as_text("kernels")
    out = lowered.compile()(np.ones(8, np.float32))[0]
    np.testing.assert_allclose(out, np.tanh(1.0) * 2.0, rtol=1e-6)
    with pytest.raises(ValueError, match="dialect"):
        lowered.as_text("hlo")

