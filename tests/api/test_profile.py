"""Compiled.profile / fx.profile: one row per top-level statement of the program, timed
inside the native call, with the cost model's bytes and flops, rooflines against the
machine's measured copy bandwidth and matrix throughput, and the user's lines."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp

HERE = "test_profile.py"
A, B = np.ones((256, 256), np.float32), np.ones((256, 256), np.float32)


def layer(a, b):
    z = jnp.tanh(a @ b)
    return jnp.sum(z * z, axis=1)


def test_rows_time_each_statement_with_its_costs_and_lines():
    compiled = fx.jit(layer).lower(A, B).compile()
    profile = compiled.profile(A, B, repeat=5)
    kinds = [r["kind"] for r in profile.rows]
    assert kinds[0] == "gemm" and set(kinds) <= {"gemm", "kernel"}
    gemm = profile.rows[0]
    assert gemm["flops"] == 2 * 256 ** 3 and gemm["time_s"] > 0 and gemm["gflop_per_s"] > 0
    assert 0 < gemm["matmul_fraction"] < 5 and gemm["bytes"] == 3 * 256 * 256 * 4
    assert all(f"{HERE}:" in r["sources"] and "layer()" in r["sources"] for r in profile.rows)
    assert sum(r["time_s"] for r in profile.rows) <= profile.total_s and profile.outside_s >= 0
    assert profile.peaks["copy_gb_per_s"] > 0.1 and profile.peaks["matmul_gflop_per_s"] > 0.1
    text = str(profile)
    assert text.splitlines()[0].startswith("statement") and "GFLOP/s" in text
    assert "outside the statements:" in text.splitlines()[-1]
    np.testing.assert_allclose(compiled(A, B), layer(A, B), rtol=1e-5)  # the plain build is unchanged


def test_loops_are_one_row_and_fx_profile_compiles_for_you():
    def f(x):
        return fx.lax.fori_loop(0, 20, lambda i, c: jnp.sin(c) @ B, x)
    profile = fx.profile(f, A, repeat=3)
    loops = [r for r in profile.rows if r["kind"] == "loop"]
    assert len(loops) == 1 and loops[0]["flops"] >= 20 * 2 * 256 ** 3


def test_profile_checks_its_arguments_and_backend():
    compiled = fx.jit(layer).lower(A, B).compile()
    with pytest.raises(TypeError, match="compiled for arguments of types"):
        compiled.profile(A[:2], B)
    with pytest.raises(NotImplementedError, match="interpreter backend cannot profile"):
        fx.jit(layer, backend="interpreter").lower(A, B).compile().profile(A, B)
