"""fx.numpy's host I/O names: arrays from bytes, text, .npy files and DLPack, einsum_path,
and the impure readers JAX refuses."""
import io

import numpy as np
import pytest

import fx
import fx.numpy as jnp


def test_frombuffer_and_fromstring_canonicalise_dtypes():
    out = jnp.frombuffer(np.arange(3, dtype=np.float64).tobytes())
    assert out.dtype == np.float32 and out.tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_array_equal(jnp.frombuffer(b"\x01\x02\x03", dtype=np.uint8, count=2, offset=1), [2, 3])
    np.testing.assert_array_equal(jnp.fromstring("1, 2, 3", dtype=np.int32, sep=","), [1, 2, 3])


def test_save_and_load_round_trip():
    buffer = io.BytesIO()
    jnp.save(buffer, jnp.arange(4.0).reshape(2, 2))
    buffer.seek(0)
    out = jnp.load(buffer)
    assert isinstance(out, fx.Array)
    np.testing.assert_array_equal(out, [[0.0, 1.0], [2.0, 3.0]])


def test_from_dlpack():
    out = jnp.from_dlpack(np.arange(3, dtype=np.int32))
    assert isinstance(out, fx.Array) and out.tolist() == [0, 1, 2]
    x = jnp.arange(2.0)
    assert jnp.from_dlpack(x) is x


@pytest.mark.parametrize("name", ["fromiter", "fromfile"])
def test_impure_readers_are_refused(name):
    with pytest.raises(NotImplementedError, match=f"fx.numpy.{name}"):
        getattr(jnp, name)(iter([1.0]))


def test_einsum_path_is_the_plan_einsum_runs():
    a, b, c = np.ones((20, 30)), np.ones((30, 40)), np.ones((40, 2))
    path, description = jnp.einsum_path("ij,jk,kl->il", a, b, c)
    # (jk, kl) first costs 30*40*2 = 2400, then 20*30*2 = 1200: cheaper than left to right (24000 + 1600)
    assert path == [(1, 2), (0, 1)]
    assert "3600 multiply-adds" in description
    np.testing.assert_allclose(jnp.einsum("ij,jk,kl->il", a, b, c), a @ b @ c)
