"""The primitives between complex numbers and their parts: real, imag, conj, complex.

All four are linear over the reals, so each JVP applies the primitive to the tangent and
each transpose is another of them. The transposes follow JAX's convention of linear
maps over R (no conjugation in a transpose): real's cotangent ct goes back as ct + 0j,
imag's as 0 - ct j, conj's as conj(ct), complex's as (re ct, -im ct).
"""
from __future__ import annotations

import numpy as np

from fx import dtypes
from fx.core import Primitive, ShapedArray
from fx.lax.examples import example, randn
from fx.transforms.batching import broadcast_batcher
from fx.transforms.jvp import deflinear


def _complex_dtype(dtype):
    return dtypes.complex128 if np.dtype(dtype) == dtypes.float64 else dtypes.complex64


def _unary(name, impl, aval_dtype, transpose):
    prim = Primitive(name)
    prim.impl = impl

    def abstract_eval(x):
        if not dtypes.is_complex(x.dtype):
            raise TypeError(f"{name} requires a complex operand, got {x.str_short()}")
        return ShapedArray(x.shape, aval_dtype(x.dtype), x.weak_type)
    prim.abstract_eval = abstract_eval
    deflinear(prim, transpose)
    broadcast_batcher(prim)
    prim.lower = lambda ctx, x: ctx.elementwise(name, [x], aval_dtype(x.dtype))
    return prim


def _zeros(x):
    from fx import lax
    return lax.full_like(x, 0)


real_p = _unary("real", np.real, dtypes.real_dtype, lambda ct, x: [complex(ct, _zeros(ct))])
imag_p = _unary("imag", np.imag, dtypes.real_dtype,
                lambda ct, x: [complex(_zeros(ct), _neg(ct))])
conj_p = _unary("conj", np.conj, lambda d: d, lambda ct, x: [conj(ct)])


def _neg(ct):
    from fx import lax
    return lax.neg(ct)


complex_p = Primitive("complex")
complex_p.impl = lambda x, y: (x + 1j * y).astype(_complex_dtype(x.dtype))


def _complex_aval(x, y):
    if x.shape != y.shape or x.dtype != y.dtype or x.dtype not in (dtypes.float32, dtypes.float64):
        raise TypeError(f"complex requires two float32 or float64 operands of one shape and "
                        f"dtype, got {x.str_short()} and {y.str_short()}")
    return ShapedArray(x.shape, _complex_dtype(x.dtype), x.weak_type and y.weak_type)


complex_p.abstract_eval = _complex_aval
deflinear(complex_p, lambda ct, x, y: [real(ct), _neg(imag(ct))])
broadcast_batcher(complex_p)
complex_p.lower = lambda ctx, x, y: ctx.elementwise("complex", [x, y], _complex_dtype(x.dtype))


def _operand(x):
    from fx.lax.ops import _as_operand
    return _as_operand(x)


def real(x):
    """The real part of a complex array (JAX's lax.real)."""
    return real_p.bind(_operand(x))


def imag(x):
    """The imaginary part of a complex array."""
    return imag_p.bind(_operand(x))


def conj(x):
    """The complex conjugate of a complex array."""
    return conj_p.bind(_operand(x))


def complex(x, y):
    """x + y i from two real arrays of one float dtype."""
    return complex_p.bind(_operand(x), _operand(y))


def _randc(*shape, seed):
    return randn(*shape, seed=seed) + 1j * randn(*shape, seed=seed + 1)


example(real_p, _randc(3, 2, seed=60), reference=np.real, linear_argnums=(0,))
example(imag_p, _randc(3, 2, seed=62), reference=np.imag, linear_argnums=(0,))
example(conj_p, _randc(3, 2, seed=64), reference=np.conj, linear_argnums=(0,))
example(complex_p, randn(3, 2, seed=66), randn(3, 2, seed=67), reference=lambda x, y: x + 1j * y,
        linear_argnums=(0, 1))


# ---------------------------------------------------------------------------- real-only primitives

# Primitives that refuse complex operands, as in JAX: the comparisons, rem, and the
# extrema that JAX does not order lexicographically (max/min and their reductions,
# cumulative, windowed and scatter forms do, as NumPy does).
REAL_ONLY = dict.fromkeys(("lt", "le", "gt", "ge", "rem", "top_k", "argmax", "argmin"),
                          "complex numbers have no order")


def refuse_complex_operands(primitives):
    """Make each primitive in REAL_ONLY raise a TypeError naming itself for complex operands."""
    for name, why in REAL_ONLY.items():
        prim = primitives[name]
        prim.abstract_eval = _real_only(name, why, prim.abstract_eval)


def _real_only(name, why, abstract_eval):
    def checked(*avals, **params):
        for aval in avals:
            if dtypes.is_complex(getattr(aval, "dtype", np.float32)):
                raise TypeError(f"{name} does not accept {aval.str_short()}: {why}")
        return abstract_eval(*avals, **params)
    return checked
