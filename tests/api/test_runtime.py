"""The process-level names of fx/runtime.py and JAX's config options fx accepts: device and
process counts, clear_caches, named_call/named_scope, ensure_compile_time_eval, the
context-manager forms of the options, and the options kept without effect or refused."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.backends import executable


def test_one_process_with_the_backends_devices():
    assert fx.device_count() == len(fx.devices()) == fx.local_device_count()
    assert (fx.process_index(), fx.process_count(), fx.process_indices()) == (0, 1, [0])
    assert (fx.host_id(), fx.host_count(), fx.host_ids()) == (0, 1, [0])


def test_clear_caches_forgets_traces_and_native_code():
    traces = []

    @fx.jit
    def f(x):
        traces.append(1)
        return x * 2

    f(np.ones(3))
    f(np.ones(3))
    assert len(traces) == 1
    fx.clear_caches()
    assert executable.loaded_count() == 0
    np.testing.assert_array_equal(f(np.ones(3)), [2.0, 2.0, 2.0])
    assert len(traces) == 2


def test_named_call_renames_and_named_scope_checks_its_name():
    def loss(x):
        return x + 1
    named = fx.named_call(loss, name="my_loss")
    assert named.__name__ == "my_loss" and named(1.0) == 2.0
    assert fx.named_call(loss) is loss
    with fx.named_scope("block"):
        assert float(fx.jit(named)(1.0)) == 2.0
    with pytest.raises(TypeError, match="string name"):
        with fx.named_scope(3):
            pass


def test_ensure_compile_time_eval_runs_concrete_work_now():
    seen = []

    def f(x):
        with fx.ensure_compile_time_eval():
            table = jnp.arange(4.0) ** 2
            seen.append(type(table).__name__)
            n = int(table.sum())   # concrete: usable in Python control flow under jit
            y = jnp.sin(x) * n      # traced: staged as usual
        return y

    np.testing.assert_allclose(fx.jit(f)(np.ones(2)), 14 * np.sin(np.ones(2)), rtol=1e-6)
    assert seen == ["ArrayImpl"]
    jaxpr = fx.make_jaxpr(f)(np.ones(2))
    assert [e.primitive.name for e in jaxpr.eqns] == ["sin", "mul"]
    np.testing.assert_allclose(fx.grad(lambda x: f(x).sum())(np.zeros(2)), [14.0, 14.0])


def test_option_context_managers_set_and_restore():
    assert not fx.config.enable_x64
    with fx.enable_x64():
        assert jnp.ones(1).dtype == np.float64
    assert jnp.ones(1).dtype == np.float32
    with fx.numpy_rank_promotion("raise"):
        with pytest.raises(ValueError, match="numpy_rank_promotion"):
            jnp.ones(3) + jnp.ones((2, 3))
    assert fx.config.numpy_rank_promotion == "allow"
    with fx.checking_leaks():
        assert fx.config.check_tracer_leaks
    assert not fx.config.check_tracer_leaks
    with pytest.raises(TypeError, match="needs the value"):
        fx.default_matmul_precision()


def test_jax_options_are_kept_or_refused():
    for name, value in [("jax_traceback_filtering", "off"), ("jax_compilation_cache_dir", "/tmp/cache"),
                        ("jax_persistent_cache_min_compile_time_secs", 0), ("jax_transfer_guard", "disallow"),
                        ("jax_softmax_custom_jvp", True), ("jax_threefry_partitionable", True)]:
        with fx.config.override(name, value):
            assert getattr(fx.config, name) == value
    with pytest.raises(NotImplementedError, match="strict promotion is not implemented"):
        fx.config.update("jax_numpy_dtype_promotion", "strict")
    with pytest.raises(NotImplementedError, match="threefry2x32"):
        fx.config.update("jax_default_prng_impl", "rbg")
    with pytest.raises(ValueError, match="takes one of"):
        fx.config.update("jax_transfer_guard", "sometimes")
    with pytest.raises(AttributeError, match="no config option 'jax_not_an_option'"):
        fx.config.update("jax_not_an_option", 1)


def test_platform_name_is_platforms():
    before = fx.config.platforms
    with fx.config.override("jax_platform_name", "cpu"):
        assert fx.config.platforms == "cpu"
    assert fx.config.platforms == before


def test_print_environment_info():
    text = fx.print_environment_info(return_string=True)
    assert "fx:" in text and "llvmlite:" in text and "devices:" in text
