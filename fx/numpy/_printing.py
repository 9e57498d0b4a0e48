"""Printing: NumPy's print options (fx arrays print through NumPy, so they follow them),
array_repr and array_str."""
from __future__ import annotations

import numpy as np

from fx.numpy._promote import asarray

get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
printoptions = np.printoptions


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    """repr(arr) with NumPy's formatting options."""
    arr = asarray(arr)
    text = np.array_repr(np.asarray(arr), max_line_width, precision, suppress_small)
    return type(arr).__name__ + text[len("array"):] if text.startswith("array") else text


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    """str(a) with NumPy's formatting options."""
    return np.array_str(np.asarray(a), max_line_width, precision, suppress_small)
