"""Keys and random bits: the threefry2x32 counter-based hash, written with fx's own uint32
primitives so it traces, jits, vmaps and runs the same on every backend.

Keys are raw uint32[2] arrays, as JAX's legacy `PRNGKey` gives, or typed keys (`key`,
see _keys.py) wrapping those words; every function takes both, and those that make keys
give the kind they were given. The streams are JAX's default ("partitionable") ones bit for
bit: element i of a draw of shape S hashes the
64-bit counter i (its row-major index in S) under the key, and `split` and `fold_in` hash
the counter (0, n). Nothing is stateful: the same key always gives the same bits.
"""
from __future__ import annotations

import math

import numpy as np

from fx import dtypes, lax
from fx.array import Array
from fx.config import config
from fx.core import get_aval
from fx.argcheck import canonicalize_axis, canonicalize_shape, numpy_dtype, describe
from fx.random._keys import PRNGKeyArray, check_impl

_U32 = dtypes.uint32
_MASK = 2 ** 32 - 1
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))  # Salmon et al., SC'11, threefry-2x32
_PARITY = np.uint32(0x1BD11BDA)


def _rotate_left(v, r):
    return lax.bitwise_or(lax.shift_left(v, np.uint32(r)), lax.shift_right_logical(v, np.uint32(32 - r)))


def threefry2x32(k0, k1, x0, x1):
    """The threefry-2x32 block cipher (20 rounds) of the counter words (x0, x1) under the
    key words (k0, k1); keys may be 0-d, counters any shape. Returns two uint32 arrays."""
    ks = (k0, k1, lax.bitwise_xor(lax.bitwise_xor(k0, k1), _PARITY))
    x0, x1 = lax.add(x0, ks[0]), lax.add(x1, ks[1])
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = lax.add(x0, x1)
            x1 = lax.bitwise_xor(_rotate_left(x1, r), x0)
        x0 = lax.add(x0, ks[(i + 1) % 3])
        x1 = lax.add(x1, lax.add(ks[(i + 2) % 3], np.uint32(i + 1)))
    return x0, x1


# ---------------------------------------------------------------------------- keys

def check_key(name, key):
    """The raw words of `key` (an fx array), after checking it is one key: a typed key of
    shape () or a raw uint32[2]; batches of keys go through fx.vmap, as in JAX."""
    if isinstance(key, PRNGKeyArray):
        if key.shape != ():
            raise ValueError(f"{name} accepts a single key, but was given a key array of shape "
                             f"{key.shape} != (). Use fx.vmap for batching.")
        return key._words
    if not isinstance(key, (Array, np.ndarray)):
        raise TypeError(f"{name}: expected a PRNG key (a uint32[2] array from fx.random.PRNGKey), "
                        f"got {describe(key)}")
    aval = get_aval(key)
    if aval.dtype != _U32 or aval.shape != (2,):
        hint = " (for several keys, map over them with fx.vmap)" if aval.shape[-1:] == (2,) else ""
        raise TypeError(f"{name}: expected a PRNG key of type uint32[2], got {aval.str_short()}{hint}")
    return key if isinstance(key, Array) else lax._as_operand(key)


def _key_words(key):
    return (lax.reshape(lax.slice(key, (0,), (1,)), ()), lax.reshape(lax.slice(key, (1,), (2,)), ()))


def PRNGKey(seed):
    """A key from an integer seed: (high, low) 32-bit words of the seed, JAX's layout.

    Python ints keep their low 32 bits (all 64 with x64 on, negative seeds sign-extended);
    integer arrays may be traced."""
    if isinstance(seed, (bool, int, np.integer)):
        seed = int(seed)
        high = (seed >> 32) & _MASK if config.enable_x64 else 0
        return lax._as_operand(np.array([high, seed & _MASK], np.uint32))
    if not isinstance(seed, (Array, np.ndarray)):
        raise TypeError(f"PRNGKey: the seed must be an integer, got {describe(seed)}")
    aval = get_aval(seed)
    if aval.shape != ():
        raise TypeError(f"PRNGKey: the seed must be a scalar, got {aval.str_short()} "
                        "(for several seeds, map over them with fx.vmap)")
    if not dtypes.is_integer(aval.dtype):
        raise TypeError(f"PRNGKey: the seed must be an integer, got {aval.str_short()}")
    seed = lax._as_operand(seed)
    words = [lax.convert_element_type(lax.shift_right_logical(seed, lax.full_like(seed, 32)), _U32)
             if aval.dtype.itemsize == 8 else lax.full((), 0, _U32),
             lax.convert_element_type(seed, _U32)]
    return lax.concatenate([lax.reshape(w, (1,)) for w in words], 0)


def key(seed, *, impl=None):
    """A typed key (dtype key<fry>, shape ()) from an integer seed: JAX's new-style keys,
    with `PRNGKey`'s words and so its streams."""
    check_impl("key", impl)
    return PRNGKeyArray(PRNGKey(seed))


def like(keys, words):
    """`words` as keys of the kind `keys` is: typed if it is typed, raw otherwise."""
    return PRNGKeyArray(words) if isinstance(keys, PRNGKeyArray) else words


def check_keys(name, keys):
    """The raw words of an array of keys, typed or raw (uint32[..., 2]), as an fx array."""
    if isinstance(keys, PRNGKeyArray):
        return keys._words
    if not isinstance(keys, (Array, np.ndarray)):
        raise TypeError(f"{name}: expected PRNG keys (a uint32[..., 2] array), got {describe(keys)}")
    aval = get_aval(keys)
    if aval.dtype != _U32 or aval.shape[-1:] != (2,):
        raise TypeError(f"{name}: expected PRNG keys of type uint32[..., 2], got {aval.str_short()}")
    return keys if isinstance(keys, Array) else lax._as_operand(keys)


def key_data(keys):
    """The raw uint32 words of keys (shape (*keys.shape, 2)); raw keys are their own words."""
    return check_keys("key_data", keys)


def wrap_key_data(key_bits_array, *, impl=None):
    """Typed keys from their raw uint32 words (trailing dimension 2), as `key_data` gives."""
    check_impl("wrap_key_data", impl)
    return PRNGKeyArray(check_keys("wrap_key_data", key_bits_array))


def key_impl(keys):
    """The name of the keys' PRNG implementation: "threefry2x32", the only one fx has."""
    check_keys("key_impl", keys)
    return "threefry2x32"


def clone(key):
    """`key` itself: cloning matters only to JAX's key-reuse checker, which fx does not have."""
    return like(key, check_keys("clone", key))


def _hash_counters(key, shape):
    """threefry of the counters 0 .. prod(shape) - 1 (as 64-bit (high, low) word pairs)."""
    size = math.prod(shape)
    if size >= 2 ** 32:
        raise ValueError(f"fx.random draws at most 2**32 - 1 values at once, asked for shape {shape}")
    k0, k1 = _key_words(key)
    low = lax.reshape(lax.iota(_U32, size), shape)
    return threefry2x32(k0, k1, lax.full(shape, 0, _U32), low)


def split(key, num=2):
    """`num` new keys (shape (num, 2), or `num` may be a shape), independent of `key`'s
    own stream and of each other."""
    raw = check_key("split", key)
    shape = canonicalize_shape(num, "split: num")
    words = _hash_counters(raw, shape)
    return like(key, lax.concatenate([lax.reshape(w, (*shape, 1)) for w in words], len(shape)))


def fold_in(key, data):
    """A new key from `key` and an integer `data` (e.g. a step number); traced data is fine."""
    raw = check_key("fold_in", key)
    if isinstance(data, (int, np.integer)) and not isinstance(data, bool):
        data = np.uint32(int(data) & _MASK)
    data = lax._as_operand(data)
    aval = get_aval(data)
    if aval.shape != () or not dtypes.is_integer(aval.dtype):
        raise TypeError(f"fold_in: data must be an integer scalar, got {aval.str_short()}")
    k0, k1 = _key_words(raw)
    words = threefry2x32(k0, k1, lax.full((), 0, _U32), lax.convert_element_type(data, _U32))
    return like(key, lax.concatenate([lax.reshape(w, (1,)) for w in words], 0))


UNSIGNED = {8: dtypes.uint8, 16: dtypes.uint16, 32: dtypes.uint32, 64: dtypes.uint64}


def random_bits(key, bit_width, shape):
    """Uniform random bits of `shape` in the unsigned type of `bit_width` bits, as JAX's
    (partitionable) threefry draws them: one hash per element, its two words xor-ed (32
    bits, or their low bits for 8 and 16) or joined high word first (64 bits)."""
    high, low = _hash_counters(key, shape)
    if bit_width == 64:
        wide = [lax.convert_element_type(w, dtypes.uint64) for w in (high, low)]
        return lax.bitwise_or(lax.shift_left(wide[0], np.uint64(32)), wide[1])
    mixed = lax.bitwise_xor(high, low)
    return mixed if bit_width == 32 else lax.convert_element_type(mixed, UNSIGNED[bit_width])


def bits(key, shape=(), dtype=None):
    """Uniformly random unsigned integers (JAX's random.bits); uint64 needs x64."""
    key = check_key("bits", key)
    requested = numpy_dtype(dtype if dtype is not None else np.uint32, "bits: dtype")
    if requested.kind != "u":
        raise TypeError(f"bits: dtype must be an unsigned integer type, got {requested}")
    shape = canonical_shape("bits", shape)
    width = 8 * requested.itemsize
    if width == 64 and not config.enable_x64:
        raise TypeError("bits: uint64 needs x64 (fx.config.update('enable_x64', True))")
    return random_bits(key, width, shape)


def canonical_shape(name, shape, *param_shapes):
    """`shape` as a tuple of ints, checked to hold the broadcast of the parameters' shapes."""
    shape = canonicalize_shape(shape, f"{name}: shape")
    if param_shapes:
        try:
            full = np.broadcast_shapes(shape, *param_shapes)
        except ValueError:
            full = None
        if full != shape:
            raise ValueError(f"{name}: shape {shape} must hold the parameters' shapes "
                             f"{', '.join(map(str, param_shapes))} (they broadcast to it)")
    return shape


def canonical_axis(name, axis, ndim):
    return canonicalize_axis(axis, ndim, f"{name}: axis")
