"""The JAX config options a user sets: disable_jit, log_compiles, explain_cache_misses,
numpy_rank_promotion, default_matmul_precision and platforms (checked values, clear
errors for others)."""
import logging
import warnings

import numpy as np
import pytest

import fx
import fx.numpy as jnp


def test_disable_jit_runs_op_by_op():
    seen = []

    @fx.jit
    def f(x):
        seen.append(type(x).__name__)
        return x * 2
    with fx.config.override("jax_disable_jit", True):
        assert float(f(1.0)) == 2.0 and float(f(2.0)) == 4.0
    assert len(seen) == 2 and "Tracer" not in seen[0]  # called with concrete values each time
    with fx.disable_jit():
        assert fx.config.disable_jit
        f(3.0)
    assert not fx.config.disable_jit and len(seen) == 3
    f(1.0)
    assert "Tracer" in seen[-1]


def test_log_compiles_names_the_function_and_argument_types(caplog):
    def scaled_sum(x, y):
        return jnp.sum(x) * y
    with fx.config.override("jax_log_compiles", True), caplog.at_level(logging.WARNING, logger="fx"):
        fx.jit(scaled_sum)(np.ones((2, 3), np.float32), np.int32(2))
    [record] = [r for r in caplog.records if "Compiled" in r.getMessage()]
    assert "jit(scaled_sum) for (f32[2,3], i32[]) on llvm in" in record.getMessage()


def test_explain_cache_misses_says_what_changed_and_where(caplog):
    f = fx.jit(lambda x, n, tree: x * n + tree["a"], static_argnums=1)
    with fx.config.override("jax_explain_cache_misses", True), caplog.at_level(logging.WARNING, logger="fx"):
        f(np.ones(3, np.float32), 2, {"a": 1.0})
        f(np.ones(3, np.float32), 2, {"a": 1.0})   # a hit: nothing logged
        f(np.ones(4, np.float32), 2, {"a": 1.0})
        f(np.ones(4, np.float32), 3, {"a": np.float32(1.0)})
        f(np.ones(4, np.float32), 3, {"a": 1.0, "b": 2.0})
    messages = [r.getMessage() for r in caplog.records if "CACHE MISS" in r.getMessage()]
    assert len(messages) == 4 and all("test_config_options.py:" in m for m in messages)
    assert messages[0].endswith("it was never called before")
    assert messages[1].endswith("argument 0 changed from f32[3] to f32[4]")
    assert "argument 2['a'] changed from f32[] (weakly typed) to f32[]" in messages[2]
    assert "static argument 1 changed from 2 to 3" in messages[2]
    assert "structure changed" in messages[3]


def test_numpy_rank_promotion():
    with fx.config.override("jax_numpy_rank_promotion", "raise"):
        assert (jnp.ones(3) + 1.0).shape == (3,) and (jnp.ones((2, 3)) * jnp.ones((1, 3))).shape == (2, 3)
        with pytest.raises(ValueError, match=r"for add on shapes \(3,\) \(2, 3\)"):
            jnp.ones(3) + jnp.ones((2, 3))
    with fx.config.override("jax_numpy_rank_promotion", "warn"), warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        jnp.multiply(jnp.ones(3), jnp.ones((2, 3)))
    assert "rank promotion for multiply" in str(w[0].message) and w[0].filename == __file__
    with pytest.raises(ValueError, match="'allow', 'warn', 'raise'"):
        fx.config.update("jax_numpy_rank_promotion", "sometimes")


def test_default_matmul_precision_is_checked():
    with fx.config.override("jax_default_matmul_precision", "highest"):
        np.testing.assert_allclose(jnp.ones((2, 3)) @ jnp.ones((3, 2)), 3.0)
    assert fx.config.default_matmul_precision is None
    with pytest.raises(ValueError, match="'tensorfloat32'"):
        fx.config.update("jax_default_matmul_precision", "fast")


def test_platforms_picks_the_default_backend():
    with fx.config.override("jax_platforms", "interpreter,cpu"):
        assert fx.backends.default_backend_name() == "interpreter"
        assert float(fx.jit(lambda x: x + 1)(1.0)) == 2.0
    with fx.config.override("jax_platforms", "tpu"), pytest.raises(ValueError, match="Unknown backend 'tpu'"):
        fx.jit(lambda x: x * 3.0)(1.0)
    with pytest.raises(TypeError, match="string or None"):
        fx.config.update("jax_platforms", ["cpu"])
