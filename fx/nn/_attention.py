"""jax.nn.dot_product_attention, written with fx.numpy (JAX's "xla" implementation)."""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.nn._functions import logsumexp, softmax


def _ensure_4d(t):
    t = jnp.asarray(t)
    return jnp.expand_dims(t, tuple(range(4 - t.ndim))) if t.ndim < 4 else t


def _check(t, shape, dtype, name):
    """t has len(shape) dims of those sizes (-1: any) and, unless dtype is None, dtype."""
    if t is None:
        return
    if t.ndim != len(shape):
        raise ValueError(f"dot_product_attention: {name} ndim should be {len(shape)}, got {t.ndim}")
    if dtype is not None and t.dtype != dtype:
        raise ValueError(f"dot_product_attention: {name} dtype should be {np.dtype(dtype).name}, "
                         f"got {t.dtype.name}")
    if any(want not in (-1, got) for want, got in zip(shape, t.shape)):
        raise ValueError(f"dot_product_attention: {name} shape should be {tuple(shape)} (-1: any), "
                         f"got {t.shape}")


def _grouped(t, groups):
    """A (B, N, T, S) bias or mask as (B, K, G, T, S) to match grouped query heads; one
    head (N = 1) broadcasts."""
    if t is None:
        return None
    b, n, tt, s = t.shape
    return t[:, :, None] if n == 1 else jnp.reshape(t, (b, n // groups, groups, tt, s))


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None, is_causal=False,
                          query_seq_lengths=None, key_value_seq_lengths=None,
                          local_window_size=None, implementation=None, return_residual=False):
    """softmax(scale * query·key + bias, masked) · value over (batch, seq, heads, head_dim)
    arrays (leading dims may be left out), as JAX's jax.nn.dot_product_attention.

    Query heads N may be a multiple of key/value heads K (grouped-query attention: each
    key/value head serves N // K query heads). `mask` (bool; True keeps), `is_causal`,
    `local_window_size` ((left, right) or one int for both), and the int32 sequence lengths
    all mask logits with a large negative number, so a fully masked row averages the
    values as in JAX. The logits are at least float32 and the softmax runs in float32 for
    16-bit inputs, as in JAX (float64 inputs keep float64, where JAX rounds to float32).
    `implementation` may be None or "xla" (fx has no cuDNN kernel); with return_residual
    the result is (output, logsumexp of the logits as (B, T, N), without gradient).
    """
    if implementation not in (None, "xla"):
        raise NotImplementedError(f"dot_product_attention: implementation={implementation!r} is not "
                                  "available in fx; use None or 'xla'")
    output_shape = jnp.shape(query)
    query, key, value = _ensure_4d(query), _ensure_4d(key), _ensure_4d(value)
    bias = None if bias is None else _ensure_4d(bias)
    mask = None if mask is None else _ensure_4d(mask)
    q_len = None if query_seq_lengths is None else jnp.asarray(query_seq_lengths)
    kv_len = None if key_value_seq_lengths is None else jnp.asarray(key_value_seq_lengths)
    if isinstance(local_window_size, int):
        local_window_size = (local_window_size, local_window_size)
    b, s, k, h = key.shape
    _check(value, (b, s, k, h), key.dtype, "value")
    _check(query, (b, -1, -1, h), key.dtype, "query")
    _check(mask, (-1,) * 4, np.dtype(bool), "mask")
    _check(bias, (-1,) * 4, None, "bias")
    _check(q_len, (b,), np.dtype(np.int32), "query_seq_lengths")
    _check(kv_len, (b,), np.dtype(np.int32), "key_value_seq_lengths")
    t, n = query.shape[1], query.shape[2]
    if n % k:
        raise ValueError(f"dot_product_attention: the number of query heads must be a multiple of "
                         f"key/value heads, got {n} and {k}")
    g = n // k
    scale = 1.0 / np.sqrt(h) if scale is None else scale

    logits_dtype = dtypes.promote_types(query.dtype, np.float32)
    logits = jnp.einsum("BTKGH,BSKH->BKGTS", jnp.reshape(query, (b, t, k, g, h)), key,
                        preferred_element_type=logits_dtype)
    logits = logits * jnp.asarray(scale, logits_dtype)
    if bias is not None:
        logits = (logits + _grouped(bias, g)).astype(logits_dtype)
    logits = _masked(logits, _grouped(mask, g), is_causal, local_window_size, q_len, kv_len)
    logits = logits.astype(dtypes.promote_types(logits_dtype, np.float32))
    probs = softmax(logits, axis=-1).astype(key.dtype)
    encoded = jnp.reshape(jnp.einsum("BKGTS,BSKH->BTKGH", probs, value), (b, t, n, h))
    if q_len is not None:
        encoded = encoded * (jnp.arange(t)[None, :] < q_len[:, None])[:, :, None, None].astype(
            encoded.dtype)
    encoded = jnp.reshape(encoded, output_shape)
    if not return_residual:
        return encoded
    residual = jnp.transpose(jnp.reshape(logsumexp(logits, axis=-1), (b, n, t)), (0, 2, 1))
    return encoded, lax.stop_gradient(jnp.reshape(residual.astype(key.dtype), output_shape[:-1]))


def _masked(logits, mask, is_causal, window, q_len, kv_len):
    """logits (B, K, G, T, S) with masked-out entries set to JAX's large negative number."""
    t, s = logits.shape[-2:]
    query_pos, key_pos = jnp.arange(t)[:, None], jnp.arange(s)[None, :]
    keep = [] if mask is None else [mask]
    if is_causal:
        keep.append(query_pos >= key_pos)
    if window is not None:
        left, right = window
        keep.append((query_pos <= key_pos + left) & (query_pos >= key_pos - right))
    if q_len is not None:
        keep.append((jnp.arange(t) < q_len[:, None])[:, None, None, :, None])
    if kv_len is not None:
        keep.append((jnp.arange(s) < kv_len[:, None])[:, None, None, None, :])
    if not keep:
        return logits
    combined = keep[0]
    for m in keep[1:]:
        combined = combined & m
    largest = min(float(dtypes.finfo(logits.dtype).max), float(dtypes.finfo(np.float32).max))
    return jnp.where(combined, logits, jnp.asarray(-0.7 * largest, logits.dtype))
