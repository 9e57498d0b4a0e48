"""Arrays: `fx.Array`, the type of every array value, and `ArrayImpl`, a concrete one.

As in JAX, `fx.Array` is the common base of concrete arrays and of tracers, so
`isinstance(x, fx.Array)` holds inside transforms too. It carries the operator surface;
fx.numpy installs the operators when it is imported (they are written with fx.numpy
functions, which live above this module). On CPU an `ArrayImpl` wraps a read-only NumPy
buffer, so `np.asarray(x)` is zero-copy.
"""
from __future__ import annotations

import numpy as np


class Array:
    """The type of every fx array value, concrete (`ArrayImpl`) or traced (`Tracer`).

    Methods are attached by `fx.numpy._methods` so that both concrete arrays and tracers
    route `x + y`, `x[i]`, `x.sum()` ... through the same fx.numpy functions.
    """
    __slots__ = ()
    __array_priority__ = 100  # numpy defers `ndarray + fx.Array` to our operators

    @property
    def ndim(self):
        return len(self.aval.shape)

    @property
    def shape(self):
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def weak_type(self):
        return self.aval.weak_type

    @property
    def size(self):
        return int(np.prod(self.aval.shape, dtype=np.int64))

    def __len__(self):
        if not self.aval.shape:
            raise TypeError("len() of unsized object (a 0-d array)")
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.aval.shape[0]))


class ArrayImpl(Array):
    """A concrete array: a read-only NumPy buffer plus JAX's weak-type flag."""
    __slots__ = ("_value", "_aval")

    def __init__(self, value, weak_type=False):
        from fx.core import ShapedArray
        value = np.array(value)  # own a private copy: Arrays are immutable
        value.flags.writeable = False
        self._value = value
        self._aval = ShapedArray(value.shape, value.dtype, weak_type)

    @classmethod
    def _wrap(cls, value, aval):
        """Fast constructor for buffers fx itself produced (no copy, no checks)."""
        self = object.__new__(cls)
        if value.dtype != aval.dtype:
            value = value.astype(aval.dtype)
        value.flags.writeable = False
        self._value = value
        self._aval = aval
        return self

    @property
    def aval(self):
        return self._aval

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self._value, dtype=dtype)
        return self._value if dtype is None else self._value.astype(dtype, copy=False)

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __complex__(self):
        return complex(self._value)

    def __index__(self):
        if self._value.ndim or self._value.dtype.kind not in "iub":
            raise TypeError(f"only an integer scalar array can be used as a Python integer (an "
                            f"index, a size, a repeat count), got {self._aval.str_short()}")
        return self._value.__index__()

    def __hash__(self):
        raise TypeError("unhashable type: 'fx.Array'; use a Python scalar or a tuple")

    def __repr__(self):
        body = np.array2string(self._value, separator=", ", prefix="Array(")
        weak = ", weak_type=True" if self._aval.weak_type else ""
        return f"Array({body}, dtype={self._value.dtype.name}{weak})"

    def __str__(self):
        return str(self._value)

    def __format__(self, spec):
        return format(self._value.item(), spec) if self._value.ndim == 0 else str(self)

    def tolist(self):
        return self._value.tolist()

    def item(self, *args):
        return self._value.item(*args)

    def block_until_ready(self):
        return self

    def copy(self):
        return ArrayImpl._wrap(self._value.copy(), self._aval)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (ArrayImpl, (np.array(self._value), self._aval.weak_type))

    @property
    def device(self):
        from fx.backends import cpu_device
        return cpu_device()

    def devices(self):
        return {self.device}

    def is_fully_addressable(self):
        return True
