"""fx.numpy.fft: NumPy's discrete Fourier transforms (jax.numpy.fft), on lax.fft.

Each transform takes NumPy's arguments: `n`/`s` (crop or zero-pad the input first),
`axis`/`axes` and `norm` ("backward": the inverse divides by n; "ortho": both divide by
sqrt(n); "forward": the forward divides by n). Real inputs to the complex transforms are
promoted to complex (complex64, or complex128 with x64), as in JAX.
"""
from __future__ import annotations

import math

import numpy as np

from fx import dtypes, lax
from fx.argcheck import canonicalize_axes, check_choice, index
from fx.core import get_aval
from fx.lax.fft import FftType, complex_dtype
from fx.numpy._promote import _operand, asarray
from fx.numpy._shape import moveaxis, roll

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn",
           "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = ("backward", "ortho", "forward")


def _resized(a, axis, n):
    """a cropped or zero-padded to length n along axis."""
    size = get_aval(a).shape[axis]
    if n < size:
        return lax.slice_in_dim(a, 0, n, axis=axis)
    if n > size:
        config = [(0, 0, 0)] * get_aval(a).ndim
        config[axis] = (0, n - size, 0)
        return lax.pad(a, lax.full((), 0, get_aval(a).dtype), config)
    return a


def _fftn(name, fft_type, a, s, axes, norm):
    if norm is not None:
        check_choice(norm, _NORMS, f"fx.numpy.fft.{name}: norm")
    a = _operand(a)
    aval = get_aval(a)
    if fft_type == FftType.RFFT:
        if dtypes.is_complex(aval.dtype):
            raise TypeError(f"fx.numpy.fft.{name} needs a real input, got {aval.str_short()}")
        a = lax.convert_element_type(a, dtypes.to_inexact_dtype(aval.dtype))
    else:
        real = dtypes.to_inexact_dtype(aval.dtype)
        a = lax.convert_element_type(a, complex_dtype(real))
    ndim = get_aval(a).ndim
    if axes is None:
        axes = tuple(range(ndim - (len(s) if s is not None else ndim), ndim))
    axes = canonicalize_axes(axes, ndim, f"fx.numpy.fft.{name}: axes")
    if len(set(axes)) != len(axes):
        raise ValueError(f"fx.numpy.fft.{name}: axes {axes} repeat an axis")
    if not axes:
        return a
    if len(axes) > 3:  # lax.fft takes at most three axes: transform in groups
        a = _fftn(name, fft_type if fft_type != FftType.IRFFT else FftType.IFFT, a,
                  None if s is None else s[:-3], axes[:-3], norm)
        return _fftn(name, fft_type, a, None if s is None else s[-3:], axes[-3:], norm)
    shape = get_aval(a).shape
    if s is None:
        s = [shape[ax] for ax in axes]
        if fft_type == FftType.IRFFT:
            s[-1] = 2 * (shape[axes[-1]] - 1)
    s = [index(n, f"fx.numpy.fft.{name}: n", minimum=1) for n in s]
    if len(s) != len(axes):
        raise ValueError(f"fx.numpy.fft.{name}: s {tuple(s)} and axes {axes} must have one length each")
    for ax, n in zip(axes, s):
        a = _resized(a, ax, n // 2 + 1 if fft_type == FftType.IRFFT and ax == axes[-1] else n)
    trailing = tuple(range(ndim - len(axes), ndim))
    out = moveaxis(lax.fft(moveaxis(a, axes, trailing), fft_type, s), trailing, axes)
    return _normalized(out, fft_type, norm, math.prod(s))


def _normalized(x, fft_type, norm, n):
    inverse = fft_type in (FftType.IFFT, FftType.IRFFT)
    if norm in (None, "backward"):
        return x
    scale = (math.sqrt(n) if inverse else 1 / math.sqrt(n)) if norm == "ortho" else (n if inverse else 1 / n)
    return lax.mul(x, lax.full_like(x, scale))


def _one_axis(name, fft_type):
    def transform(a, n=None, axis=-1, norm=None):
        return _fftn(name, fft_type, a, None if n is None else [n], (axis,), norm)
    transform.__name__ = name
    transform.__doc__ = f"NumPy's fft.{name} along `axis`, cropped or padded to n."
    return transform


def _axes(name, fft_type, default_axes):
    def transform(a, s=None, axes=default_axes, norm=None):
        return _fftn(name, fft_type, a, s, axes, norm)
    transform.__name__ = name
    transform.__doc__ = f"NumPy's fft.{name} over `axes`, cropped or padded to s."
    return transform


fft = _one_axis("fft", FftType.FFT)
ifft = _one_axis("ifft", FftType.IFFT)
rfft = _one_axis("rfft", FftType.RFFT)
irfft = _one_axis("irfft", FftType.IRFFT)
fft2 = _axes("fft2", FftType.FFT, (-2, -1))
ifft2 = _axes("ifft2", FftType.IFFT, (-2, -1))
rfft2 = _axes("rfft2", FftType.RFFT, (-2, -1))
irfft2 = _axes("irfft2", FftType.IRFFT, (-2, -1))
fftn = _axes("fftn", FftType.FFT, None)
ifftn = _axes("ifftn", FftType.IFFT, None)
rfftn = _axes("rfftn", FftType.RFFT, None)
irfftn = _axes("irfftn", FftType.IRFFT, None)


def fftfreq(n, d=1.0, *, dtype=None):
    """The sample frequencies of an n-point transform with sample spacing d."""
    n = index(n, "fx.numpy.fft.fftfreq: n", minimum=1)
    k = np.concatenate([np.arange((n + 1) // 2), np.arange(-(n // 2), 0)])
    return asarray(k / (n * d), dtype=dtype or dtypes.default_float_dtype())


def rfftfreq(n, d=1.0, *, dtype=None):
    """The sample frequencies of rfft's n // 2 + 1 outputs."""
    n = index(n, "fx.numpy.fft.rfftfreq: n", minimum=1)
    return asarray(np.arange(n // 2 + 1) / (n * d), dtype=dtype or dtypes.default_float_dtype())


def fftshift(x, axes=None):
    """The zero frequency moved to the centre: a roll by n // 2 along each of `axes`."""
    x = _operand(x)
    axes = tuple(range(get_aval(x).ndim)) if axes is None else axes
    axes = canonicalize_axes(axes, get_aval(x).ndim, "fx.numpy.fft.fftshift: axes")
    return roll(x, tuple(get_aval(x).shape[ax] // 2 for ax in axes), axes)


def ifftshift(x, axes=None):
    """fftshift's inverse: a roll by -(n // 2)."""
    x = _operand(x)
    axes = tuple(range(get_aval(x).ndim)) if axes is None else axes
    axes = canonicalize_axes(axes, get_aval(x).ndim, "fx.numpy.fft.ifftshift: axes")
    return roll(x, tuple(-(get_aval(x).shape[ax] // 2) for ax in axes), axes)


_SWAPPED_NORM = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def hfft(a, n=None, axis=-1, norm=None):
    """NumPy's fft.hfft: the FFT of a signal with Hermitian symmetry, given its first half
    (the real spectrum of length n, 2 (m - 1) by default): irfft of the conjugate with the
    normalisation direction swapped."""
    if norm is not None:
        check_choice(norm, _NORMS, "fx.numpy.fft.hfft: norm")
    a = asarray(_operand(a))
    return irfft(lax.conj(a.astype(complex_dtype(a.dtype))), n, axis, _SWAPPED_NORM[norm])


def ihfft(a, n=None, axis=-1, norm=None):
    """NumPy's fft.ihfft, the inverse of hfft: the conjugate of rfft with the normalisation
    direction swapped."""
    if norm is not None:
        check_choice(norm, _NORMS, "fx.numpy.fft.ihfft: norm")
    return lax.conj(rfft(a, n, axis, _SWAPPED_NORM[norm]))
