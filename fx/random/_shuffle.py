"""Permutations and draws from a population, as JAX does them: a shuffle sorts by fresh
random 32-bit keys (enough rounds that ties are negligible; the sort is stable, so a tie
keeps the earlier element first), sampling without replacement takes a prefix of a
shuffle or the top k of Gumbel-perturbed log-probabilities.
"""
from __future__ import annotations

import math

import numpy as np

import fx.numpy as jnp
from fx import dtypes, lax
from fx.argcheck import index as _index, describe
from fx.numpy._promote import _operand
from fx.random._distributions import gumbel, randint, uniform
from fx.random._threefry import canonical_axis, canonical_shape, check_key, random_bits, split


def _shuffle(key, x, axis):
    """x with every line along `axis` permuted by sort keys of x's whole shape (one
    permutation for a 1-D x, independent ones per line otherwise)."""
    rounds = math.ceil(3 * math.log(max(1, math.prod(x.shape))) / math.log(2 ** 32 - 1))
    for _ in range(rounds):
        keys = split(key)
        key, subkey = keys[0], keys[1]
        _, x = lax.sort((random_bits(subkey, 32, x.shape), x), dimension=axis)
    return x


def permutation(key, x, axis=0, independent=False):
    """A random permutation of range(x) for an integer x, else of x's slices along `axis`
    (or, with `independent`, of each line along `axis` separately)."""
    key = check_key("permutation", key)
    if np.ndim(x) == 0:
        if not dtypes.is_integer(dtypes.dtype_of(x)):
            raise TypeError(f"permutation: x must be an integer or an array, got {describe(x)}")
        canonical_axis("permutation", axis, 1)
        return _shuffle(key, jnp.arange(int(x)), 0)
    x = jnp.asarray(_operand(x))
    axis = canonical_axis("permutation", axis, x.ndim)
    if independent or x.ndim == 1:
        return _shuffle(key, x, axis)
    return jnp.take(x, _shuffle(key, jnp.arange(x.shape[axis]), 0), axis=axis)


def choice(key, a, shape=(), replace=True, p=None, axis=0):
    """Draws from range(a) for an integer a, else from a's slices along `axis`; uniformly or
    with probabilities p, with or without replacement."""
    key = check_key("choice", key)
    axis = _index(axis, "choice: axis")
    if isinstance(shape, (int, np.integer)):
        raise TypeError(f"choice: shape must be a sequence, got {shape}")
    shape = canonical_shape("choice", shape)
    arr = jnp.asarray(_operand(a))
    if arr.ndim == 0:
        n = int(a)
    else:
        axis = canonical_axis("choice", axis, arr.ndim)
        n = arr.shape[axis]
    draws = math.prod(shape)
    if draws == 0:
        return jnp.zeros(shape, arr.dtype)
    if n <= 0:
        raise ValueError(f"choice: a must be positive unless no samples are taken, got {n}")
    if not replace and draws > n:
        raise ValueError(f"choice: cannot take {draws} samples from a population of {n} "
                         "without replacement")
    if p is None:
        if replace:
            result = randint(key, shape, 0, n)
            result = result if arr.ndim == 0 else jnp.take(arr, result, axis=axis)
        else:
            result = permutation(key, n if arr.ndim == 0 else arr, axis)
            result = jnp.take(result, jnp.arange(draws), axis=0 if arr.ndim == 0 else axis)
    else:
        p = jnp.asarray(p)
        p = p if dtypes.is_floating(p.dtype) else p.astype(dtypes.default_float_dtype())
        if p.shape != (n,):
            raise ValueError(f"choice: p must be a vector of a.shape[axis] = {n} probabilities, "
                             f"got shape {p.shape}")
        if replace:
            cumulative = jnp.cumsum(p)
            r = cumulative[-1] * (1 - uniform(key, shape, p.dtype))
            index = jnp.sum(cumulative < r[..., None], axis=-1)  # searchsorted, side="left"
        else:  # the Gumbel top-k trick
            index = lax.top_k(gumbel(key, (n,), p.dtype) + jnp.log(p), draws)[1]
        index = index.astype(dtypes.default_int_dtype())
        result = index if arr.ndim == 0 else jnp.take(arr, index, axis=axis)
    return result.reshape(shape if arr.ndim == 0 else arr.shape[:axis] + shape + arr.shape[axis + 1:])
