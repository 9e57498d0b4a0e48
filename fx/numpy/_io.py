"""Arrays from and to bytes, text and files, as jax.numpy has them: NumPy reads or writes
on the host and fx.numpy.asarray takes the result (so dtypes are canonicalised, float64
becoming float32 without x64). Reading from iterators and open files is refused, as in
JAX: the source may change between calls, which a traced function cannot see."""
from __future__ import annotations

import numpy as np

from fx.argcheck import describe
from fx.array import Array
from fx.numpy._creation import asarray

save, savez = np.save, np.savez


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    """A 1-D array of the values in `buffer` (bytes-like), read as `dtype`."""
    return asarray(np.frombuffer(buffer, dtype=dtype, count=count, offset=offset))


def fromstring(string, dtype=float, count=-1, *, sep):
    """A 1-D array of the numbers in `string`, separated by `sep`."""
    return asarray(np.fromstring(string, dtype=dtype, count=count, sep=sep))


def _impure(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(
            f"fx.numpy.{name}() is not implemented: it reads from a source that can change between "
            f"calls, which jit and the other transforms cannot see (as in JAX). Read with "
            f"numpy.{name} and pass the result to fx.numpy.asarray.")
    refuse.__name__ = name
    return refuse


fromiter, fromfile = _impure("fromiter"), _impure("fromfile")


def load(file, *args, **kwargs):
    """numpy.load, with an .npy file's array returned as an fx array (an .npz archive is
    returned as NumPy's lazy NpzFile, as in JAX)."""
    out = np.load(file, *args, **kwargs)
    return asarray(out) if isinstance(out, np.ndarray) else out


def from_dlpack(x, /, *, device=None, copy=None):
    """An fx array sharing (or, with copy=True, copying) the memory of a DLPack producer."""
    if isinstance(x, Array):
        return asarray(np.array(x)) if copy else x
    if not hasattr(x, "__dlpack__"):
        raise TypeError(f"fx.numpy.from_dlpack: x must have __dlpack__ and __dlpack_device__ methods "
                        f"(a DLPack producer), got {describe(x)}")
    try:
        return asarray(np.from_dlpack(x, copy=copy) if copy is not None else np.from_dlpack(x))
    except BufferError as error:  # e.g. a NumPy array of a dtype DLPack has no code for
        raise TypeError(f"fx.numpy.from_dlpack: cannot import {describe(x)}: {error}") from None
