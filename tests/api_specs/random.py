"""fx.random: random keys as arguments (so vmap maps over keys), checked against an
independent NumPy threefry2x32; gradients through the samplers' parameters."""
import numpy as np

import fx.random as random
from tests.api_specs import Spec, draws, normal, positive


def threefry2x32_reference(key, x0, x1):
    """threefry-2x32 (20 rounds) on NumPy uint32 arrays, written from the Random123 paper."""
    rotations = ((13, 15, 26, 6), (17, 29, 16, 24))
    ks = [np.uint32(key[0]), np.uint32(key[1])]
    ks.append(ks[0] ^ ks[1] ^ np.uint32(0x1BD11BDA))
    x0, x1 = x0.astype(np.uint32) + ks[0], x1.astype(np.uint32) + ks[1]
    for i in range(5):
        for r in rotations[i % 2]:
            x0 = x0 + x1
            x1 = ((x1 << np.uint32(r)) | (x1 >> np.uint32(32 - r))) ^ x0
        x0 = x0 + ks[(i + 1) % 3]
        x1 = x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x0, x1


def bits_reference(key, shape):
    """JAX's partitionable bits: element i hashes the counter (0, i)."""
    size = int(np.prod(shape))
    high, low = threefry2x32_reference(key, np.zeros(size, np.uint32), np.arange(size, dtype=np.uint32))
    return (high ^ low).reshape(shape)


def split_reference(key, num):
    high, low = threefry2x32_reference(key, np.zeros(num, np.uint32), np.arange(num, dtype=np.uint32))
    return np.stack([high, low], axis=1)


def keys(rng):
    return rng.integers(0, 2 ** 32, 2, dtype=np.uint64).astype(np.uint32)


def uniform_reference(key, shape):
    """float64 uniforms from 64 random bits (high word first), as the x64 tests draw them."""
    size = int(np.prod(shape))
    high, low = threefry2x32_reference(key, np.zeros(size, np.uint32), np.arange(size, dtype=np.uint32))
    wide = (high.astype(np.uint64) << np.uint64(32)) | low.astype(np.uint64)
    return ((wide >> np.uint64(12)).astype(np.float64) * 2.0 ** -52).reshape(shape)


FIXED = np.array([0, 42], np.uint32)

SPECS = [
    Spec("random_bits", lambda k: random.bits(k, (2, 3)), lambda k: bits_reference(k, (2, 3)),
         draws(keys), grad=0),
    Spec("random_split", lambda k: random.split(k, 3), lambda k: split_reference(k, 3), draws(keys), grad=0),
    Spec("random_fold_in", lambda k: random.fold_in(k, 5),
         lambda k: np.stack(threefry2x32_reference(k, np.zeros(1, np.uint32), np.full(1, 5, np.uint32)),
                            axis=1)[0], draws(keys), grad=0),
    Spec("random_uniform_key", lambda k: random.uniform(k, (4,)), lambda k: uniform_reference(k, (4,)),
         draws(keys), grad=0),
    Spec("random_normal_key", lambda k: random.normal(k, (5,)), None, draws(keys), grad=0),
    Spec("random_randint_key", lambda k: random.randint(k, (6,), -3, 9), None, draws(keys), grad=0),
    Spec("random_permutation_key", lambda k: random.permutation(k, 7), None, draws(keys), grad=0),
    Spec("random_uniform_bounds", lambda lo, hi: random.uniform(FIXED, (2, 3), minval=lo, maxval=hi),
         lambda lo, hi: lo + uniform_reference(FIXED, (2, 3)) * (hi - lo),
         draws(normal(3), positive(3)), grad=2),
    Spec("random_normal_scaled", lambda s: random.normal(FIXED, (4,)) * s, None, draws(positive()),
         grad=2),
    Spec("random_truncated_normal_bounds",
         lambda lo, hi: random.truncated_normal(FIXED, lo - 2.0, hi, (4,)), None,
         draws(normal(4), positive(4))),
    Spec("random_categorical_logits", lambda logits: random.categorical(FIXED, logits, shape=(5, 2)),
         None, draws(normal(2, 4)), grad=0),
    Spec("random_choice_p", lambda p: random.choice(FIXED, 4, (5,), p=p), None,
         draws(positive(4)), grad=0),
    Spec("random_choice_p_without_replacement", lambda p: random.choice(FIXED, 6, (3,), replace=False, p=p),
         None, draws(positive(6)), grad=0),
    Spec("random_key_seed", random.key, lambda s: np.array([0, s], np.uint32),
         draws(lambda rng: rng.integers(0, 2 ** 31)), grad=0),
    Spec("random_PRNGKey_seed", random.PRNGKey, lambda s: np.array([0, s], np.uint32),
         draws(lambda rng: rng.integers(0, 2 ** 31)), grad=0),
    Spec("random_bernoulli_p", lambda k, p: random.bernoulli(k, p, (2, 3)),
         lambda k, p: uniform_reference(k, (2, 3)) < p, draws(keys, positive(3, low=0.1, high=0.9)), grad=0),
    Spec("random_gumbel_key", lambda k: random.gumbel(k, (4,)), None, draws(keys), grad=0),
    Spec("random_permutation_independent", lambda k, x: random.permutation(k, x, axis=1, independent=True),
         None, draws(keys, normal(3, 4)), grad=1),  # a permutation: linear in x
    Spec("random_gamma_key", lambda k: random.gamma(k, np.array([0.5, 3.0]), (2, 2)), None, draws(keys),
         grad=0),
    Spec("random_dirichlet_key", lambda k: random.dirichlet(k, np.array([0.2, 1.0, 4.0])), None, draws(keys),
         grad=0),
]
