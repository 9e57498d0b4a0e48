"""Operators and methods of fx.ArrayImpl and of every tracer, written with fx.numpy.

Installed on `Array` (the shared base) when fx.numpy is imported, so `x + y`,
`x[i]`, `x.sum()` and `x.at[i].set(v)` trace the same way on concrete and traced arrays.
"""
from __future__ import annotations

import numpy as np

import fx.numpy as jnp
from fx import lax
from fx.array import Array
from fx.numpy._indexing import _IndexUpdateHelper, getitem


def _swap(f):
    return lambda self, other: f(other, self)


def _defer_to_unknown(f):
    """Return NotImplemented for operands fx cannot use, so Python tries the other side."""
    def op(self, other):
        if not isinstance(other, (Array, bool, int, float, complex)) and not hasattr(other, "__array__"):
            return NotImplemented
        return f(self, other)
    return op


_BINARY = {
    "add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "truediv": jnp.true_divide,
    "floordiv": jnp.floor_divide, "mod": jnp.remainder, "pow": jnp.power, "matmul": jnp.matmul,
    "and": jnp.bitwise_and, "or": jnp.bitwise_or, "xor": jnp.bitwise_xor,
    "lshift": jnp.left_shift, "rshift": jnp.right_shift,
}
_COMPARE = {"eq": jnp.equal, "ne": jnp.not_equal, "lt": jnp.less, "le": jnp.less_equal,
            "gt": jnp.greater, "ge": jnp.greater_equal}


def _install():
    for name, f in _BINARY.items():
        setattr(Array, f"__{name}__", _defer_to_unknown(f))
        setattr(Array, f"__r{name}__", _defer_to_unknown(_swap(f)))
    for name, f in _COMPARE.items():
        setattr(Array, f"__{name}__", _defer_to_unknown(f))
    Array.__neg__ = lambda self: jnp.negative(self)
    Array.__pos__ = lambda self: self
    Array.__abs__ = lambda self: jnp.abs(self)
    Array.__invert__ = lambda self: jnp.invert(self)
    Array.__getitem__ = getitem
    Array.at = property(_IndexUpdateHelper)
    Array.T = property(lambda self: jnp.transpose(self))
    Array.mT = property(lambda self: jnp.swapaxes(self, -1, -2))
    Array.astype = lambda self, dtype: lax.convert_element_type(self, dtype)
    Array.reshape = lambda self, *shape, order="C": jnp.reshape(
        self, shape[0] if len(shape) == 1 else shape, order)
    Array.transpose = lambda self, *axes: jnp.transpose(
        self, (axes[0] if len(axes) == 1 else axes) if axes else None)
    for name in ("sum", "mean", "max", "min", "prod", "argmax", "argmin", "all", "any", "var",
                 "std", "cumsum", "ravel", "squeeze", "swapaxes", "dot", "clip", "round"):
        setattr(Array, name, getattr(jnp, name))
    Array.flatten = jnp.ravel
    for name in ("cumprod", "ptp", "trace", "diagonal", "repeat"):
        setattr(Array, name, getattr(jnp, name))
    for name in ("sort", "argsort", "searchsorted", "nonzero", "take"):
        setattr(Array, name, getattr(jnp, name))
    Array.compress = lambda self, condition, axis=None, **kw: jnp.compress(condition, self, axis, **kw)
    Array.real = property(jnp.real)
    Array.imag = property(jnp.imag)
    Array.conj = Array.conjugate = jnp.conjugate
    Array.itemsize = property(lambda self: self.dtype.itemsize)
    Array.nbytes = property(lambda self: self.size * self.dtype.itemsize)
    Array.item = _item
    Array.copy = jnp.copy
    Array.argpartition = jnp.argpartition
    Array.choose = lambda self, choices, out=None, mode="raise": jnp.choose(self, choices, out, mode)
    Array.__divmod__ = _defer_to_unknown(jnp.divmod)
    Array.__rdivmod__ = _defer_to_unknown(_swap(jnp.divmod))
    Array.__round__ = lambda self, ndigits=None: jnp.round(self, ndigits or 0)
    Array.__copy__ = lambda self: self
    Array.__deepcopy__ = lambda self, memo: self


def _item(self, *args):
    """The element (at a flat index or an index tuple in `args`) as a Python scalar; the
    array must be concrete."""
    return np.asarray(self).item(*args)


_install()
