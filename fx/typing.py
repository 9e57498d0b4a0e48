"""`fx.typing`: annotations for fx's public functions, with `jax.typing`'s names.

Annotate array inputs with `ArrayLike` (what fx converts to an array implicitly) and
array outputs with `fx.Array`. Lists and tuples are not ArrayLike, as in JAX: converting
them element by element is slow under transforms, so functions refuse them.

Both are `typing.Union`s: `isinstance(x, ArrayLike)` checks a value at run time, while
isinstance refuses DTypeLike (its `type[Any]` member is a parameterized generic), as in JAX.
"""
from __future__ import annotations

from typing import Any, Protocol, Union, runtime_checkable

import numpy as np

from fx.array import Array

__all__ = ["ArrayLike", "DTypeLike"]


@runtime_checkable
class SupportsDType(Protocol):
    """Anything with a `.dtype`, such as `fx.numpy.float32`."""

    @property
    def dtype(self, /) -> np.dtype: ...


ArrayLike = Union[
    Array,          # fx arrays and tracers
    np.ndarray,
    np.bool_,       # NumPy scalars
    np.number,
    bool, int, float, complex,
]

DTypeLike = Union[
    str,            # 'float32'
    type[Any],      # np.float32, float
    np.dtype,
    SupportsDType,
]
