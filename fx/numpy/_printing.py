"""Printing: NumPy's print options (fx arrays print through NumPy, so they follow them),
array_repr and array_str."""
from __future__ import annotations

import numpy as np

from fx.argcheck import describe
from fx.array import Array
from fx.numpy._promote import asarray

get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
printoptions = np.printoptions


def _array(name, a):
    """a itself for an fx or NumPy array; as in JAX (NumPy's functions, which read a.shape),
    anything else is refused, and so are masked arrays (as everywhere in fx)."""
    if isinstance(a, np.ma.MaskedArray):
        asarray(a)  # raises fx's error for masked arrays
    if not isinstance(a, (Array, np.ndarray)):
        raise TypeError(f"fx.numpy.{name}: a must be an array, got {describe(a)}")
    return a


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    """repr(arr) with NumPy's formatting options."""
    arr = asarray(_array("array_repr", arr))
    text = np.array_repr(np.asarray(arr), max_line_width, precision, suppress_small)
    return type(arr).__name__ + text[len("array"):] if text.startswith("array") else text


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    """str(a) with NumPy's formatting options."""
    return np.array_str(np.asarray(_array("array_str", a)), max_line_width, precision, suppress_small)
