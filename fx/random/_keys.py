"""Typed PRNG keys (JAX's new-style `random.key`): an array whose elements are whole keys.

A `PRNGKeyArray` of shape S wraps the keys' raw words, a uint32 array of shape (*S, 2), and
is a pytree node with those words as its one child. That is what lets typed keys pass
through jit, vmap, grad, scan and cond unchanged: the transforms see the words, and the
keys come back out wrapped. Indexing, iteration, reshaping and `==` act on whole keys;
arithmetic is refused, as in JAX.

Two differences from JAX follow from keys being a pytree node rather than an array with an
extended dtype: `tree_leaves(key)` gives the raw words (JAX gives the key), and a negative
`in_axes` for typed keys in vmap counts from the words' axis (use non-negative axes).
"""
from __future__ import annotations

import numpy as np

from fx import dtypes
from fx.tree_util import register_pytree_node


class PRNGKeyArray:
    """Keys of one PRNG (threefry2x32), `dtype` key<fry>; make them with `fx.random.key`,
    `split` or `wrap_key_data` and get their words back with `fx.random.key_data`."""
    __slots__ = ("_words",)
    __array_priority__ = 100  # NumPy's operators defer to __eq__ below
    dtype = dtypes.key_fry
    itemsize = dtypes.key_fry.itemsize

    def __init__(self, words):
        self._words = words  # unchecked: pytree unflattening passes placeholders too

    @property
    def shape(self):
        return tuple(self._words.shape[:-1])

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a single key (a key array of shape ())")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a single key (a key array of shape ())")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, index):
        index = index if isinstance(index, tuple) else (index,)
        return PRNGKeyArray(self._words[(*index, slice(None))])

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return PRNGKeyArray(self._words.reshape(*shape, 2))

    def ravel(self):
        return self.reshape(-1)

    @property
    def T(self):
        return PRNGKeyArray(self._words.transpose(*reversed(range(self.ndim)), self.ndim))

    def __eq__(self, other):
        if not isinstance(other, PRNGKeyArray):
            return NotImplemented
        return (self._words == other._words).all(axis=-1)

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else ~equal

    __hash__ = None

    def __array__(self, dtype=None, copy=None):
        raise TypeError("typed PRNG keys have no numeric value; take their words with "
                        "fx.random.key_data(keys)")

    def block_until_ready(self):
        self._words.block_until_ready()
        return self

    def __repr__(self):
        if not hasattr(self._words, "shape"):  # a tree_map put something else in the words' place
            return f"PRNGKeyArray({self._words!r})"
        return f"Array({self.shape}, dtype={self.dtype}) overlaying:\n{self._words}"


register_pytree_node(PRNGKeyArray, lambda keys: ((keys._words,), None),
                     lambda _, words: PRNGKeyArray(words[0]))


def key_dtype(impl=None):
    """The dtype of typed keys of PRNG `impl` (JAX's key_dtype): key<fry>, threefry2x32's."""
    check_impl("key_dtype", impl)
    return dtypes.key_fry


def check_impl(name, impl):
    if impl not in (None, "threefry2x32"):
        raise ValueError(f"{name}: fx implements only the threefry2x32 PRNG, got impl={impl!r}")
