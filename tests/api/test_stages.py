"""jit's stages as in JAX: trace -> Traced (jaxpr, out_info), lower -> Lowered (text,
cost), compile -> Compiled (callable for its argument types, text, cost, memory); typeof
and ShapeDtypeStruct.like."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp


def loss(params, x):
    return {"loss": jnp.sum(jnp.tanh(x @ params["w"]) ** 2), "n": x.shape[0]}


PARAMS, X = {"w": np.ones((8, 4), np.float32)}, np.ones((16, 8), np.float32)


def test_trace_gives_the_jaxpr_and_output_types():
    traced = fx.jit(loss).trace(PARAMS, X)
    assert "tanh" in str(traced.jaxpr) and "dot_general" in str(traced.jaxpr)
    info = traced.out_info
    assert info["loss"] == fx.ShapeDtypeStruct((), np.float32)
    assert info["n"] == fx.ShapeDtypeStruct((), np.int32, weak_type=True)
    assert traced.lower().as_text("jaxpr") == str(traced.jaxpr)


def test_compiled_calls_like_the_jitted_function_for_its_types_only():
    jitted = fx.jit(loss)
    compiled = jitted.trace(PARAMS, X).lower().compile()
    out = compiled(PARAMS, X)
    assert float(out["loss"]) == pytest.approx(float(jitted(PARAMS, X)["loss"])) == pytest.approx(
        16 * 4 * np.tanh(8.0) ** 2)
    with pytest.raises(TypeError, match=r"compiled for arguments of types \(f32\[8,4\], f32\[16,8\]\) "
                                        r"and was called with \(f32\[8,4\], f32\[2,8\]\)"):
        compiled(PARAMS, X[:2])
    assert "define" in compiled.as_text()


def test_cost_analysis_counts_flops_transcendentals_and_bytes():
    n = 1000
    cost = fx.jit(lambda x: jnp.exp(x) * 2.0 + 1.0).lower(np.ones(n, np.float32)).cost_analysis()
    assert cost["transcendentals"] == n and cost["flops"] == 2 * n
    assert cost["bytes accessed"] == 2 * 4 * n  # x read and the result written, once each
    m, k, p = 16, 8, 4
    product = fx.jit(lambda a, b: a @ b).lower(np.ones((m, k), np.float32), np.ones((k, p), np.float32))
    cost = product.compile().cost_analysis()
    assert cost["flops"] == 2 * m * k * p and cost["bytes accessed"] == 4 * (m * k + k * p + m * p)
    assert [row["kind"] for row in cost["per_kernel"]] == ["gemm"]


def test_cost_of_a_loop_counts_every_trip():
    def f(x):
        return fx.lax.fori_loop(0, 10, lambda i, c: jnp.sin(c), x)
    cost = fx.jit(f).lower(np.ones(100, np.float32)).cost_analysis()
    assert cost["transcendentals"] == 10 * 100


def test_memory_analysis_reads_the_buffer_plan():
    def f(x):  # a softmax: its row maxima and sums live in temporaries
        e = jnp.exp(x - jnp.max(x, axis=1, keepdims=True))
        return e / jnp.sum(e, axis=1, keepdims=True)
    memory = fx.jit(f).lower(np.ones((32, 64), np.float32)).compile().memory_analysis()
    assert memory.argument_size_in_bytes == memory.output_size_in_bytes == 32 * 64 * 4
    assert memory.temp_size_in_bytes > 0 and memory.constant_size_in_bytes == 0


def test_typeof_and_shape_dtype_struct_like():
    assert fx.typeof(jnp.ones((2, 3), jnp.int8)) == fx.core.ShapedArray((2, 3), np.int8, False)
    assert fx.typeof(1.5).weak_type and not fx.typeof(np.float32(1.5)).weak_type
    seen = []
    fx.grad(lambda x: seen.append(fx.typeof(x)) or jnp.sum(x))(jnp.ones(3))
    assert seen[0].shape == (3,) and seen[0].dtype == np.float32
    assert fx.ShapeDtypeStruct.like(jnp.ones(4, jnp.bfloat16)) == fx.ShapeDtypeStruct((4,), jnp.bfloat16)
    assert fx.ShapeDtypeStruct.like(2) == fx.ShapeDtypeStruct((), np.int32, weak_type=True)
    like_like = fx.ShapeDtypeStruct.like(fx.ShapeDtypeStruct((5,), np.float32, weak_type=True))
    assert like_like == fx.ShapeDtypeStruct((5,), np.float32, weak_type=True)
    with pytest.raises(TypeError, match="not a valid fx type"):
        fx.typeof("text")


def test_ahead_of_time_from_shape_dtype_structs():
    """jit(f).trace / lower take ShapeDtypeStructs, as JAX's: compile before any data exists."""
    def f(x):
        return x * 2, {"total": x.sum()}
    spec = fx.ShapeDtypeStruct((3,), np.float32)
    traced = fx.jit(f).trace(spec)
    assert traced.out_info[1]["total"].shape == () and traced.out_info[0].dtype == np.float32
    compiled = fx.jit(f).lower(spec).compile()
    doubled, parts = compiled(np.ones(3, np.float32))
    assert isinstance(doubled, fx.Array) and doubled.tolist() == [2.0, 2.0, 2.0]
    assert float(parts["total"]) == 3.0
    np.testing.assert_array_equal(compiled(fx.numpy.arange(3.0))[0], [0.0, 2.0, 4.0])
    with pytest.raises(TypeError):
        fx.jit(f)(spec)   # a call needs data


def test_jit_takes_single_device_shardings():
    from fx.sharding import SingleDeviceSharding
    device = fx.devices()[0]
    sharding = SingleDeviceSharding(device)
    f = fx.jit(lambda x: x + 1, in_shardings=sharding, out_shardings=(sharding,))
    assert f(np.zeros(2)).tolist() == [1.0, 1.0]
    assert fx.jit(lambda x: x + 1, device=device)(1.0) == 2.0
    with pytest.raises(TypeError, match="in_shardings takes shardings"):
        fx.jit(lambda x: x, in_shardings="cpu")
    with pytest.raises(NotImplementedError, match="several devices"):
        fx.jit(lambda x: x, in_shardings=sharding, device=fx.array.Device("cpu", 7))
