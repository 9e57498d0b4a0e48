"""Set operations on 1-D arrays (isin, union1d, intersect1d, setdiff1d, setxor1d) and the
array API's unique_* functions.

Every result whose length depends on the values takes JAX's static `size=` (padded with
`fill_value`, or truncated); without it the input must be concrete, and the size is
counted with NumPy first. The work itself is always the sized, traceable form: sorted
unique values, a mask of the ones that belong to the result, and a compaction.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fx import dtypes, lax
from fx.argcheck import index
from fx.core import ConcretizationTypeError, Tracer, get_aval
from fx.numpy._promote import promote_dtypes
from fx.numpy._reductions import _array, any as _any
from fx.numpy._sorting import searchsorted, unique


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    """Whether each element of `element` occurs in `test_elements` (any shape, flattened):
    every pair compared, one fused reduction. `assume_unique` and `method` are accepted for
    JAX compatibility."""
    del assume_unique, method
    element, test = promote_dtypes(element, test_elements)
    element, test = _array(element), _array(test)
    test = lax.reshape(test, (get_aval(test).size,))
    shape = get_aval(element).shape
    pairs = lax.eq(lax.broadcast_in_dim(element, shape + get_aval(test).shape, tuple(range(len(shape)))),
                   lax.broadcast_in_dim(test, shape + get_aval(test).shape, (len(shape),)))
    found = _any(pairs, axis=-1)
    return lax.bitwise_not(found) if invert else found


def _flat_pair(name, ar1, ar2):
    a, b = promote_dtypes(ar1, ar2)
    a, b = _array(a), _array(b)
    return lax.reshape(a, (get_aval(a).size,)), lax.reshape(b, (get_aval(b).size,))


def _sorted_unique(x):
    """(the sorted unique values of the 1-D x padded to x's length, which of them are real)."""
    n = get_aval(x).shape[0]
    values, counts = unique(x, return_counts=True, size=n)
    return values, lax.gt(counts, lax.full_like(counts, 0))


def _compact(values, keep, size, fill_value):
    """The kept `values`, in order, in an array of the static `size`: padded with
    fill_value, or with the smallest kept value (0 when none is kept) when it is None."""
    n = get_aval(values).shape[0]
    int_dtype = dtypes.default_int_dtype()
    keep_int = lax.convert_element_type(keep, int_dtype)
    slot = lax.sub(lax.cumsum(keep_int), lax.full((n,), 1, int_dtype))
    slot = lax.select(keep, slot, lax.full((n,), size, int_dtype))
    dtype = get_aval(values).dtype
    out = lax.full((size,), 0, dtype).at[slot].set(values, mode="drop")
    found = lax.lt(lax.broadcasted_iota(int_dtype, (size,), 0),
                   lax.broadcast_in_dim(lax.reduce_sum(keep_int, (0,)), (size,), ()))
    if fill_value is None:
        # the smallest kept value: the first one, since the values are sorted
        fill = out[0] if size else lax.full((), 0, dtype)
        fill = lax.broadcast_in_dim(fill, (size,), ())
    else:
        fill = lax.full((size,), fill_value, dtype)
    return lax.select(found, out, fill), found


def _result_size(name, size, operands, count):
    """The static `size`, or the result's length counted with NumPy on concrete operands."""
    if size is not None:
        return index(size, f"fx.numpy.{name}: size")
    traced = next((x for x in operands if isinstance(x, Tracer)), None)
    if traced is not None:
        raise ConcretizationTypeError(
            traced, f"fx.numpy.{name} without a static size= (its output shape depends on the "
                    f"values; pass size=... and optionally fill_value=... to use it under transforms)")
    return int(count(*(np.asarray(x) for x in operands)))


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """The sorted unique values in either array (unique of both, flattened)."""
    a, b = _flat_pair("union1d", ar1, ar2)
    both = lax.concatenate([a, b], 0)
    size = _result_size("union1d", size, (a, b), lambda x, y: np.union1d(x, y).size)
    return unique(both, size=size, fill_value=fill_value)


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values of ar1 that are not in ar2; padding is 0 by default, as in
    JAX. With assume_unique, ar1's values are taken in their own order."""
    a, b = _flat_pair("setdiff1d", ar1, ar2)
    size = _result_size("setdiff1d", size, (a, b), lambda x, y: np.setdiff1d(x, y, assume_unique).size)
    if get_aval(a).shape[0] == 0:
        return lax.full((size,), 0 if fill_value is None else fill_value, get_aval(a).dtype)
    values, real = (a, lax.full_like(a, True, np.bool_)) if assume_unique else _sorted_unique(a)
    keep = lax.bitwise_and(real, isin(values, b, invert=True))
    return _compact(values, keep, size, 0 if fill_value is None else fill_value)[0]


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values in exactly one of the arrays; padding is the smallest such
    value by default, as in JAX."""
    a, b = _flat_pair("setxor1d", ar1, ar2)
    size = _result_size("setxor1d", size, (a, b), lambda x, y: np.setxor1d(x, y, assume_unique).size)
    values, real = _sorted_unique(lax.concatenate([a, b], 0))
    keep = lax.bitwise_and(real, lax.bitwise_xor(isin(values, a), isin(values, b)))
    return _compact(values, keep, size, fill_value)[0]


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None, fill_value=None):
    """The sorted unique values in both arrays; with return_indices also the index of each
    one's first occurrence in ar1 and in ar2 (padded with len(ar1) and len(ar2)). Padding
    of the values is the smallest common value by default, as in JAX."""
    del assume_unique  # the unique values are computed either way, which also suits unique input
    a, b = _flat_pair("intersect1d", ar1, ar2)
    size = _result_size("intersect1d", size, (a, b), lambda x, y: np.intersect1d(x, y).size)
    na, nb = get_aval(a).shape[0], get_aval(b).shape[0]
    int_dtype = dtypes.default_int_dtype()
    if na == 0 or nb == 0:
        values = lax.full((size,), 0 if fill_value is None else fill_value, get_aval(a).dtype)
        pads = (lax.full((size,), na, int_dtype), lax.full((size,), nb, int_dtype))
        return (values, *pads) if return_indices else values
    values, first_a, counts = unique(a, return_index=True, return_counts=True, size=na)
    keep = lax.bitwise_and(lax.gt(counts, lax.full_like(counts, 0)), isin(values, b))
    out, found = _compact(values, keep, size, fill_value)
    if not return_indices:
        return out
    first_in_a = _compact(first_a, keep, size, na)[0]
    b_values, first_b = unique(b, return_index=True, size=nb)
    first_in_b = first_b[lax.min(searchsorted(b_values, out), lax.full((size,), nb - 1, np.int32))]
    first_in_b = lax.select(found, lax.convert_element_type(first_in_b, int_dtype),
                            lax.full((size,), nb, int_dtype))
    return out, first_in_a, first_in_b


class UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def unique_all(x, /, *, size=None, fill_value=None):
    """The array API's unique with every output, NaNs kept apart (equal_nan=False)."""
    return UniqueAllResult(*unique(x, return_index=True, return_inverse=True, return_counts=True,
                                   equal_nan=False, size=size, fill_value=fill_value))


def unique_counts(x, /, *, size=None, fill_value=None):
    return UniqueCountsResult(*unique(x, return_counts=True, equal_nan=False, size=size,
                                      fill_value=fill_value))


def unique_inverse(x, /, *, size=None, fill_value=None):
    return UniqueInverseResult(*unique(x, return_inverse=True, equal_nan=False, size=size,
                                       fill_value=fill_value))


def unique_values(x, /, *, size=None, fill_value=None):
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)
