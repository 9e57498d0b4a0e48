"""Checks for the configuration arguments of transforms and control flow (functions,
argnums, axes, flags). Each returns the normalised value or raises a TypeError/ValueError
that names the function, the argument, what was expected and what was given.

They run when a transform is built (jit(f, ...), grad(f, ...)) or on the tracing path,
never per call on a cached jit dispatch.
"""
from __future__ import annotations

import operator

import numpy as np


def describe(x, limit=60) -> str:
    """A short description of a value for messages; never formats a large array."""
    if isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "aval"):
        shape = getattr(x, "shape", ())
        return f"an array of shape {tuple(shape)} and dtype {np.dtype(x.dtype).name}"
    if isinstance(x, (list, tuple, dict)) and len(x) > 8:
        return f"a {type(x).__name__} of length {len(x)}"
    text = repr(x)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return f"{type(x).__name__} {text}"


def check_callable(fun, where, name="fun"):
    if not callable(fun):
        raise TypeError(f"{where}: expected a callable for {name}, got {describe(fun)}")
    return fun


def check_bool(x, where, name):
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be a bool, got {describe(x)}")
    return bool(x)


def check_int(x, where, name, *, minimum=None):
    """x as a Python int (anything with __index__ but a bool), at least `minimum`."""
    value = _index(x)
    if value is None:
        raise TypeError(f"{where}: {name} must be an int, got {describe(x)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {value}")
    return value


def check_int_tuple(x, where, name, *, allow_none=False):
    """An int or a sequence of ints, as a tuple (None -> () where JAX allows it)."""
    if x is None and allow_none:
        return ()
    if isinstance(x, (tuple, list)):
        return tuple(check_int(i, where, f"{name} entry") for i in x)
    value = _index(x)
    if value is None:
        raise TypeError(f"{where}: {name} must be an int or a tuple of ints, got {describe(x)}")
    return (value,)


def _index(x):
    """x as a Python int if it is an integer (not a bool, not an array of several), else None."""
    if isinstance(x, (bool, np.bool_)):
        return None
    try:
        return operator.index(x)
    except TypeError:
        return None


def check_str_tuple(x, where, name):
    """A string or a sequence of strings (None -> ()), as a tuple."""
    if x is None:
        return ()
    items = (x,) if isinstance(x, str) else x
    if not isinstance(items, (tuple, list, set, frozenset)) or not all(
            isinstance(s, str) for s in items):
        raise TypeError(f"{where}: {name} must be a string or a tuple of strings, got "
                        f"{describe(x)}")
    return tuple(items)


def normalize_argnums(nums, nargs, where, name):
    """Argument positions in [-nargs, nargs) made non-negative; ValueError naming the range."""
    out = []
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{where}: {name}={i} is out of range for {nargs} positional "
                             f"argument{'s' if nargs != 1 else ''}: expected an int in "
                             f"[{-nargs}, {nargs})")
        out.append(i % nargs)
    return tuple(out)
