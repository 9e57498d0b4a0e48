"""fx.nn.dot_product_attention against a NumPy reference, and the other jax.nn additions."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import nn

B, T, S, N, K, H = 2, 4, 5, 4, 2, 3


def _reference(q, k, v, bias=None, mask=None, scale=None, causal=False, window=None,
               q_len=None, kv_len=None):
    """Attention per (batch, query head) with plain NumPy loops; masked logits get JAX's
    large negative number, so a fully masked row averages the values."""
    q, k, v = (np.asarray(x, np.float64) for x in (q, k, v))
    b, t, n, h = q.shape
    s, groups = k.shape[1], n // k.shape[2]
    scale = 1 / np.sqrt(h) if scale is None else scale
    out = np.zeros_like(q)
    for i in range(b):
        for j in range(n):
            logits = scale * q[i, :, j] @ k[i, :, j // groups].T
            if bias is not None:
                logits = logits + np.broadcast_to(bias, (b, n, t, s))[i, j]
            keep = np.ones((t, s), bool)
            if mask is not None:
                keep &= np.broadcast_to(mask, (b, n, t, s))[i, j]
            rows, cols = np.arange(t)[:, None], np.arange(s)[None, :]
            if causal:
                keep &= rows >= cols
            if window is not None:
                keep &= (rows <= cols + window[0]) & (rows >= cols - window[1])
            if q_len is not None:
                keep &= rows < q_len[i]
            if kv_len is not None:
                keep &= cols < kv_len[i]
            logits = np.where(keep, logits, -0.7 * np.finfo(np.float32).max)
            p = np.exp(logits - logits.max(-1, keepdims=True))
            out[i, :, j] = (p / p.sum(-1, keepdims=True)) @ v[i, :, j // groups]
            if q_len is not None:
                out[i, q_len[i]:, j] = 0
    return out


def _inputs(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(B, T, N, H)).astype(dtype), rng.normal(size=(B, S, K, H)).astype(dtype),
            rng.normal(size=(B, S, K, H)).astype(dtype))


_rng = np.random.default_rng(1)
_BIAS = _rng.normal(size=(1, N, T, S)).astype(np.float32)
_MASK = _rng.random((B, 1, T, S)) > 0.4
_MASK[0, 0, 1] = False  # a fully masked row


@pytest.mark.parametrize("kwargs, ref", [
    ({}, {}),
    ({"bias": _BIAS}, {"bias": _BIAS}),
    ({"mask": _MASK}, {"mask": _MASK}),
    ({"is_causal": True}, {"causal": True}),
    ({"local_window_size": 1}, {"window": (1, 1)}),
    ({"local_window_size": (2, 0), "is_causal": True}, {"window": (2, 0), "causal": True}),
    ({"query_seq_lengths": np.array([2, 4], np.int32),
      "key_value_seq_lengths": np.array([3, 5], np.int32)}, {"q_len": [2, 4], "kv_len": [3, 5]}),
    ({"scale": 0.3, "bias": _BIAS, "mask": _MASK}, {"scale": 0.3, "bias": _BIAS, "mask": _MASK}),
])
def test_attention_matches_reference_with_grouped_heads(kwargs, ref):
    q, k, v = _inputs()
    out = nn.dot_product_attention(q, k, v, **kwargs)
    assert out.shape == (B, T, N, H) and out.dtype == np.float32
    np.testing.assert_allclose(out, _reference(q, k, v, **ref), rtol=2e-5, atol=2e-6)
    jitted = fx.jit(lambda q, k, v: nn.dot_product_attention(q, k, v, **kwargs))(q, k, v)
    np.testing.assert_allclose(jitted, out, rtol=2e-5, atol=2e-6)


def test_attention_takes_3d_inputs_and_returns_the_residual():
    q, k, v = _inputs()
    out = nn.dot_product_attention(q[0], k[0], v[0], is_causal=True)
    np.testing.assert_allclose(out, _reference(q[:1], k[:1], v[:1], causal=True)[0], rtol=2e-5,
                               atol=2e-6)
    out, lse = nn.dot_product_attention(q, k, v, return_residual=True)
    assert lse.shape == (B, T, N)
    logits = np.einsum("btkgh,bskh->btkgs", q.reshape(B, T, K, N // K, H).astype(np.float64),
                       k) / np.sqrt(H)
    expected = np.log(np.exp(logits).sum(-1)).reshape(B, T, N)
    np.testing.assert_allclose(lse, expected, rtol=1e-5)


def test_attention_16bit_inputs_keep_their_dtype_with_a_float32_softmax():
    q, k, v = (jnp.asarray(x, jnp.bfloat16) for x in _inputs())
    out = nn.dot_product_attention(q, k, v, is_causal=True)
    assert out.dtype == jnp.bfloat16
    expected = _reference(*(np.asarray(x, np.float32) for x in (q, k, v)), causal=True)
    np.testing.assert_allclose(np.asarray(out, np.float32), expected, atol=3e-2)


def test_attention_gradients_match_finite_differences():
    with fx.enable_x64():
        q, k, v = _inputs(np.float64, seed=3)
        bias = _BIAS.astype(np.float64)

        def loss(q, k, v):
            out = nn.dot_product_attention(q, k, v, bias, _MASK, is_causal=True)
            return jnp.sum(jnp.sin(out))

        grads = fx.grad(loss, (0, 1, 2))(q, k, v)
        rng = np.random.default_rng(4)
        for i, (x, g) in enumerate(zip((q, k, v), grads)):
            direction = rng.normal(size=x.shape)
            eps = 1e-6
            args = [q, k, v]
            args[i] = x + eps * direction
            up = float(loss(*args))
            args[i] = x - eps * direction
            numeric = (up - float(loss(*args))) / (2 * eps)
            np.testing.assert_allclose(np.sum(np.asarray(g) * direction), numeric, rtol=1e-6)


def test_attention_refuses_bad_inputs():
    q, k, v = _inputs()
    with pytest.raises(ValueError, match="multiple of key/value heads"):
        nn.dot_product_attention(q[:, :, :3], k, v)
    with pytest.raises(ValueError, match="mask dtype"):
        nn.dot_product_attention(q, k, v, mask=_MASK.astype(np.float32))
    with pytest.raises(NotImplementedError, match="cudnn"):
        nn.dot_product_attention(q, k, v, implementation="cudnn")


def test_new_activations():
    x = np.array([-2.0, -0.5, 0.0, 0.3, 1.5], np.float32)
    np.testing.assert_allclose(nn.squareplus(x), (x + np.sqrt(x * x + 4)) / 2, rtol=1e-6)
    np.testing.assert_allclose(nn.sparse_sigmoid(x), [0.0, 0.25, 0.5, 0.65, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(nn.identity(x), x)
    np.testing.assert_allclose(nn.tanh(x), np.tanh(x), rtol=1e-6)
    y = np.array([1e-3, 0.5, 1.0, 3.0, 40.0])
    with fx.enable_x64():
        # log(1 - e) = -e - e^2/2 - ... : -exp(-40) to double precision at y = 40
        expected = np.where(y < 10, np.log(-np.expm1(-y)), -np.exp(-y))
        np.testing.assert_allclose(nn.log1mexp(y), expected, rtol=1e-12)
        np.testing.assert_allclose(fx.vmap(fx.grad(nn.log1mexp))(y), 1 / np.expm1(y), rtol=1e-12)
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]], np.float32)
    where = np.array([[True, False, True], [True, True, True]])
    np.testing.assert_allclose(nn.logmeanexp(a, axis=1, where=where),
                               [np.log(np.mean(np.exp([1.0, 3.0]))), np.log(np.mean(np.exp(a[1])))],
                               rtol=1e-6)
    assert nn.logmeanexp(a, axis=0, keepdims=True).shape == (1, 3)
