"""Checks for static and configuration arguments (functions, flags, argnums, axes, shapes,
permutations, integer parameters), shared by the transforms, control flow, fx.lax,
fx.numpy, fx.nn and fx.random so that every function rejects a bad one with the same
clear TypeError or ValueError. Each returns the normalised value.

`what` names the argument in the message, with the function where it helps
("jit(f): static_argnums", "fx.numpy.sum: axis"); messages read "{what} must be ...,
got {describe(value)}".

The common case (a Python int, a tuple of them) takes a fast path first: these run on the
eager dispatch and tracing paths.
"""
from __future__ import annotations

import operator

import numpy as np


def describe(value, limit=60) -> str:
    """A short description of a value for messages; never formats a large array."""
    array = value if isinstance(value, (np.ndarray, np.generic)) else getattr(value, "aval", None)
    if hasattr(array, "dtype"):  # a NumPy or fx array, a tracer, an undefined primal
        return f"an array of shape {tuple(array.shape)} and dtype {np.dtype(array.dtype).name}"
    if isinstance(value, (list, tuple, dict)) and len(value) > 8:
        return f"a {type(value).__name__} of length {len(value)}"
    text = repr(value)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return f"{type(value).__name__} {text}"


def check_callable(fun, what):
    if not callable(fun):
        raise TypeError(f"{what} must be a callable, got {describe(fun)}")
    return fun


def check_bool(value, what):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be a bool, got {describe(value)}")
    return bool(value)


def index(value, what, *, minimum=None):
    """`value` as a Python int, at least `minimum`: ints and NumPy integer scalars pass; a
    bool is rejected (True is not an axis or a size), a float, string or array raises a
    TypeError. A tracer raises its own concretization error, which explains the fix."""
    if type(value) is not int:
        value = _as_int(value, what)
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} must be an integer >= {minimum}, got {value}")
    return value


def _as_int(value, what):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be an integer, got bool {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        if hasattr(value, "aval") and hasattr(value, "__index__"):
            value.__index__()  # a tracer: raises the error that explains the fix
        raise TypeError(f"{what} must be an integer, got {describe(value)}") from None


def canonicalize_axis(axis, ndim, what="axis"):
    """`axis` as an int in [0, ndim) (negative axes count from the end)."""
    if type(axis) is not int:
        axis = index(axis, what)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{what} {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def _sequence(value, what, expected):
    """The entries of a sequence argument (a tuple, list, range or 1-D array) as a tuple;
    anything else (a string, a set, a scalar) is a TypeError saying what was `expected`."""
    if type(value) is tuple:
        return value
    if isinstance(value, (list, range)) or isinstance(value, np.ndarray) and value.ndim == 1:
        return tuple(value)
    raise TypeError(f"{what} must be {expected}, got {describe(value)}")


def int_tuple(value, what, *, allow_int=False, allow_none=False):
    """A sequence of ints (a tuple, list or 1-D integer array) as a tuple of Python ints;
    also a single int when `allow_int` and None (as ()) when `allow_none`, as argnums are."""
    if type(value) is tuple:
        for v in value:
            if type(v) is not int:
                break
        else:
            return value
    if allow_none and value is None:
        return ()
    if allow_int and (type(value) is int or isinstance(value, np.integer)):
        return (index(value, what),)
    expected = "an integer or a tuple of integers" if allow_int else "a sequence of integers"
    return tuple(index(v, f"each entry of {what}") for v in _sequence(value, what, expected))


def check_str_tuple(value, what):
    """A string or a sequence of strings (None -> ()), as a tuple."""
    if value is None:
        return ()
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, (tuple, list, set, frozenset)) or not all(
            isinstance(s, str) for s in items):
        raise TypeError(f"{what} must be a string or a tuple of strings, got {describe(value)}")
    return tuple(items)


def normalize_argnums(nums, nargs, what):
    """Argument positions in [-nargs, nargs) made non-negative; ValueError naming the range."""
    out = []
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{what}={i} is out of range for {nargs} positional "
                             f"argument{'s' if nargs != 1 else ''}: expected an int in "
                             f"[{-nargs}, {nargs})")
        out.append(i % nargs)
    return tuple(out)


def entries(value, what):
    """The entries of a sequence of sequences (a tuple, list or 2-D array) as a tuple."""
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return tuple(value)
    return _sequence(value, what, "a sequence of sequences")


def int_pairs(value, what):
    """A sequence of (low, high) integer pairs (padding) as a tuple of int 2-tuples."""
    pairs = tuple(int_tuple(p, what) for p in entries(value, what))
    if any(len(p) != 2 for p in pairs):
        raise TypeError(f"{what} must be a sequence of (low, high) pairs, got {describe(value)}")
    return pairs


def canonicalize_axes(axes, ndim, what="axis"):
    """`axes` (an int or a sequence of ints) as a tuple of distinct axes in [0, ndim), in
    the given order."""
    if type(axes) is int or isinstance(axes, np.integer):
        return (canonicalize_axis(axes, ndim, what),)
    items = _sequence(axes, what, "an integer or a tuple of integers")
    out = tuple(canonicalize_axis(a, ndim, what) for a in items)
    if len(set(out)) != len(out):
        raise ValueError(f"{what} {items} has a duplicate axis; the axes must be different")
    return out


def check_permutation(perm, ndim, what="axes", allow_negative=False):
    """`perm` as a tuple that holds each of 0..ndim-1 exactly once (negative entries count
    from the end when allow_negative, as in fx.numpy)."""
    items = _sequence(perm, what, f"a tuple of {ndim} integers")
    if len(items) == ndim:  # the common case: non-negative Python ints, each axis once
        for p in items:
            if type(p) is not int:
                break
        else:
            if sorted(items) == list(range(ndim)):
                return items
    if allow_negative:
        out = tuple(canonicalize_axis(p, ndim, what) for p in items) if len(items) == ndim else ()
    else:
        out = tuple(index(p, what) for p in items)
    if len(items) != ndim or sorted(out) != list(range(ndim)):
        raise ValueError(f"{what} {items} is not a permutation of the axes of an array "
                         f"of rank {ndim}")
    return out


def check_choice(value, choices, what):
    """`value`, checked to be one of the strings `choices` (a TypeError for a non-string,
    which `value in choices` would compare elementwise or fail to hash)."""
    if not isinstance(value, str) or value not in choices:
        kind = TypeError if not isinstance(value, str) else ValueError
        raise kind(f"{what} must be one of {', '.join(map(repr, choices))}, got {describe(value)}")
    return value


def array_sequence(arrays, what):
    """The arrays of a sequence argument (concatenate's, stack's ...): a list or a tuple, or
    an array, whose entries along the first axis are the arrays (as in NumPy and JAX)."""
    if isinstance(arrays, (list, tuple)):
        return arrays
    if hasattr(arrays, "shape") and hasattr(arrays, "dtype") and len(arrays.shape) > 0:
        return list(arrays)
    raise TypeError(f"{what} must be a sequence of arrays, got {describe(arrays)}")


def scalar_value(value, dtype, what):
    """`value` as a NumPy array of `dtype`, or a TypeError that names `what` (also for a
    date or a string, which NumPy would convert)."""
    try:
        if type(value) in (int, float, bool, complex):
            return np.asarray(value, dtype)
        if np.asarray(value).dtype.kind in "biufc":
            return np.asarray(value, dtype)
    except (TypeError, ValueError):
        pass
    raise TypeError(f"{what} must be a number, got {describe(value)}")


def numpy_dtype(value, what):
    """np.dtype(value), or a TypeError that names `what`."""
    try:
        return np.dtype(value)
    except TypeError:
        raise TypeError(f"{what} must be a dtype, got {describe(value)}") from None


def canonicalize_shape(shape, what="shape"):
    """`shape` (an int or a sequence of ints) as a tuple of non-negative ints."""
    if type(shape) is tuple:
        for d in shape:
            if type(d) is not int or d < 0:
                break
        else:
            return shape
    if type(shape) is int or isinstance(shape, np.integer) or hasattr(shape, "aval") and not shape.shape:
        shape = (shape,)
    items = _sequence(shape, what, "an integer or a sequence of integers")
    out = tuple(index(d, f"each size in {what}") for d in items)
    if any(d < 0 for d in out):
        raise ValueError(f"{what} must have non-negative sizes, got {out}")
    return out
