"""NumPy-style argument handling: conversion, dtype promotion and broadcasting.

fx.numpy functions accept anything array-like, promote with JAX's lattice (weak types
included) and broadcast with NumPy's rules, then call strict fx.lax operations.
"""
from __future__ import annotations

import warnings

import numpy as np

from fx import dtypes, lax
from fx.array import ArrayImpl
from fx.core import Tracer, get_aval, masked_array_error
from fx.argcheck import canonicalize_shape, describe
from fx.config import config
from fx.source_info import user_stacklevel


def asarray(x, dtype=None):
    """An fx array for x (JAX's jnp.asarray): no copy when it already is one."""
    if isinstance(x, (ArrayImpl, Tracer)):
        return x if dtype is None else lax.convert_element_type(x, dtype)
    if isinstance(x, (list, tuple)):
        if any(isinstance(e, (ArrayImpl, Tracer)) or isinstance(e, (list, tuple)) and _has_traced(e)
               for e in x):
            from fx.numpy._shape import stack
            out = stack([asarray(e) for e in x])
            return out if dtype is None else lax.convert_element_type(out, dtype)
    if isinstance(x, (bool, int, float, complex)) and dtype is None:
        aval = get_aval(x)
        return ArrayImpl._wrap(np.asarray(x, aval.dtype), aval)
    if isinstance(x, (str, bytes)):
        raise TypeError(f"fx.numpy expected an array or a number, got {describe(x)}")
    if isinstance(x, np.ma.MaskedArray):
        raise masked_array_error()
    value = np.asarray(x)
    if value.dtype == object:
        raise TypeError(f"fx.numpy.asarray: cannot convert {describe(x)} to an array")
    source = dtypes.canonicalize_dtype(value.dtype)  # rejects strings, dates, complex numbers
    target = source if dtype is None else dtypes.canonicalize_dtype(dtype)
    return ArrayImpl(value.astype(target, copy=False))


def astype(x, dtype, /, *, copy=False, device=None):
    """x converted to `dtype` (JAX's jnp.astype); copy and device are accepted for
    compatibility: fx arrays are immutable and live on one device."""
    del copy, device
    return lax.convert_element_type(asarray(_operand(x)), dtype)


def _has_traced(seq):
    return any(isinstance(e, (ArrayImpl, Tracer)) or isinstance(e, (list, tuple)) and _has_traced(e)
               for e in seq)


def array(x, dtype=None, copy=True):
    return asarray(x, dtype)


def _operand(x):
    """An array argument of an fx.numpy function: an array or a scalar, as in JAX. Lists and
    tuples are refused (only asarray and array convert them), so that a function never
    silently builds a constant from a nested structure."""
    if isinstance(x, (ArrayImpl, Tracer, bool, int, float, complex)):
        return x
    if isinstance(x, (list, tuple)):
        raise TypeError(f"fx.numpy functions take arrays or scalars as array arguments, got a "
                        f"{describe(x)}; convert it with fx.numpy.asarray first")
    return asarray(x)


def promote_dtypes(*args):
    """Convert every argument to the JAX result type of all of them."""
    args = [_operand(a) for a in args]
    dtype, weak = dtypes.result_type(*args, return_weak_type_flag=True)
    return [lax._convert_weak(a, dtype, weak) for a in args]


def promote_dtypes_inexact(*args):
    """Like promote_dtypes, then integers and bools to a floating type (true division...):
    float32 unless they are 64-bit, as in JAX (`dtypes.to_inexact_dtype`)."""
    args = promote_dtypes(*args)
    aval = get_aval(args[0])
    if dtypes.is_floating(aval.dtype):
        return args
    float_dtype = dtypes.to_inexact_dtype(aval.dtype)
    return [lax._convert_weak(a, float_dtype, aval.weak_type) for a in args]


def promote_dtypes_numeric(*args):
    """Like promote_dtypes, then bools to the default integer type (JAX's numeric
    promotion, for arithmetic that has no boolean form: square, //, %)."""
    args = promote_dtypes(*args)
    aval = get_aval(args[0])
    if not dtypes.is_bool(aval.dtype):
        return args
    return [lax._convert_weak(a, dtypes.default_int_dtype(), aval.weak_type) for a in args]


def broadcast_shapes(*shapes):
    shapes = [canonicalize_shape(s) for s in shapes]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting: {', '.join(map(str, shapes))}") from None


def broadcast_to(array, shape):
    """NumPy broadcasting of `array` to shape, as one broadcast_in_dim."""
    x = _operand(array)
    shape = canonicalize_shape(shape, "broadcast_to shape")
    aval = get_aval(x)
    if aval.shape == shape:
        return lax._as_operand(x)
    if len(shape) < aval.ndim or broadcast_shapes(aval.shape, shape) != shape:
        raise ValueError(f"Incompatible shapes for broadcasting: {aval.shape} to {shape}")
    lead = len(shape) - aval.ndim
    squeeze = tuple(i for i, s in enumerate(aval.shape) if s == 1 and shape[lead + i] != 1)
    x = lax._as_operand(x)
    if squeeze:
        x = lax.squeeze(x, squeeze)
    kept = tuple(lead + i for i in range(aval.ndim) if i not in squeeze)
    return lax.broadcast_in_dim(x, shape, kept)


def broadcast_arrays(*args):
    shape = broadcast_shapes(*(get_aval(_operand(a)).shape for a in args))
    return [broadcast_to(a, shape) for a in args]


def promote_args(*args, name=None):
    """Promote dtypes and broadcast shapes: ready for an elementwise lax op (`name`, for
    the messages of the numpy_rank_promotion config option)."""
    return _broadcast_elementwise(promote_dtypes(*args), name)


def promote_args_inexact(*args, name=None):
    return _broadcast_elementwise(promote_dtypes_inexact(*args), name)


def promote_args_numeric(*args, name=None):
    return _broadcast_elementwise(promote_dtypes_numeric(*args), name)


def _broadcast_elementwise(args, name):
    if config.numpy_rank_promotion != "allow":
        ranks = {get_aval(a).ndim for a in args} - {0}
        if len(ranks) > 1:
            shapes = " ".join(str(get_aval(a).shape) for a in args)
            what = f"for {name} " if name else ""
            if config.numpy_rank_promotion == "raise":
                raise ValueError(f"Operands could not be broadcast together {what}on shapes {shapes} "
                                 "with the config option numpy_rank_promotion='raise'; reshape or "
                                 "expand_dims them to one rank first")
            warnings.warn(f"Following NumPy automatic rank promotion {what}on shapes {shapes} "
                          "(the config option numpy_rank_promotion='warn')", stacklevel=user_stacklevel())
    return broadcast_arrays(*args)
