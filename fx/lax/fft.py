"""lax.fft: discrete Fourier transforms over the trailing axes (JAX's lax.fft and FftType).

The primitive's eager impl is NumPy's pocketfft. Compiled code runs fx's own algorithm,
written here once in lax operations (the lowering inlines its jaxpr, so the kernels fuse
and vectorise like any other):

* lengths that are powers of two: radix-2 decimation in time, with every level's
  sub-transforms batched into one (the even and odd halves stacked on a new axis), so a
  length-n transform is log2(n) levels of a few fused elementwise kernels, down to
  transforms of length <= BASE done as one complex matrix product with the DFT matrix;
* other lengths up to DIRECT: that matrix product directly (O(n^2), on cgemm);
* longer ones: Bluestein's algorithm, a convolution by three power-of-two transforms.

Twiddle factors are computed in float64 and rounded once. The inverse transform is the
conjugate transform of the conjugate, scaled by 1/n; the real transforms go through the
complex one (RFFT keeps the first n//2 + 1 outputs; IRFFT rebuilds the Hermitian
spectrum). All four are linear: the JVP applies the primitive to the tangent, and the
transposes are JAX's (FFT and IFFT are symmetric; RFFT's transpose is that of the
complex FFT of a real input; IRFFT's is a weighted RFFT).
"""
from __future__ import annotations

import enum
import math

import numpy as np

from fx import dtypes
from fx.core import Primitive, ShapedArray
from fx.lax.examples import example, randn
from fx.transforms.batching import bdim_at_front
from fx.transforms.call import lowered_as

BASE = 16      # transforms this short (or shorter) are one product with the DFT matrix
DIRECT = 256   # other lengths up to this one too; longer ones use Bluestein's algorithm


class FftType(enum.IntEnum):
    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3


fft_p = Primitive("fft")


def complex_dtype(dtype):
    """The complex type of a float or complex dtype's precision."""
    return dtypes.complex128 if np.dtype(dtype) in (dtypes.float64, dtypes.complex128) else dtypes.complex64


def _fft_aval(x, *, fft_type, fft_lengths):
    n = len(fft_lengths)
    if n == 0 or n > x.ndim or n > 3:
        raise TypeError(f"fft: fft_lengths must name 1 to 3 trailing axes of the operand, got "
                        f"{fft_lengths} for {x.str_short()}")
    shape = x.shape[:-n]
    if fft_type == FftType.RFFT:
        if not dtypes.is_floating(x.dtype):
            raise TypeError(f"fft: RFFT needs a real floating operand, got {x.str_short()}")
        if x.shape[-n:] != tuple(fft_lengths):
            raise TypeError(f"fft: RFFT of {x.str_short()} needs fft_lengths {x.shape[-n:]}, got {fft_lengths}")
        return ShapedArray(shape + tuple(fft_lengths[:-1]) + (fft_lengths[-1] // 2 + 1,), complex_dtype(x.dtype))
    if not dtypes.is_complex(x.dtype):
        raise TypeError(f"fft: {fft_type.name} needs a complex operand, got {x.str_short()}")
    if fft_type == FftType.IRFFT:
        expected = tuple(fft_lengths[:-1]) + (fft_lengths[-1] // 2 + 1,)
        if x.shape[-n:] != expected:
            raise TypeError(f"fft: IRFFT of {x.str_short()} with fft_lengths {fft_lengths} needs "
                            f"trailing axes {expected}")
        return ShapedArray(shape + tuple(fft_lengths), dtypes.real_dtype(x.dtype))
    if x.shape[-n:] != tuple(fft_lengths):
        raise TypeError(f"fft: {fft_type.name} of {x.str_short()} needs fft_lengths {x.shape[-n:]}, "
                        f"got {fft_lengths}")
    return ShapedArray(x.shape, x.dtype)


def _fft_impl(x, *, fft_type, fft_lengths):
    axes = tuple(range(-len(fft_lengths), 0))
    out_dtype = _fft_aval(ShapedArray(x.shape, x.dtype), fft_type=fft_type, fft_lengths=fft_lengths).dtype
    if fft_type == FftType.FFT:
        y = np.fft.fftn(x, axes=axes)
    elif fft_type == FftType.IFFT:
        y = np.fft.ifftn(x, axes=axes)
    elif fft_type == FftType.RFFT:
        y = np.fft.rfftn(x, axes=axes)
    else:
        y = np.fft.irfftn(x, s=fft_lengths, axes=axes)
    return np.asarray(y).astype(out_dtype)


# ---------------------------------------------------------------------------- transforms

def _fft_transpose(ct, x, *, fft_type, fft_lengths):
    if fft_type in (FftType.FFT, FftType.IFFT):  # the DFT matrix is symmetric
        return [fft(ct, fft_type, fft_lengths)]
    if fft_type == FftType.RFFT:  # back to the real input's dtype (float16 goes via complex64)
        from fx import lax
        return [lax.convert_element_type(_rfft_transpose(ct, fft_lengths), x.aval.dtype)]
    return [_irfft_transpose(ct, fft_lengths)]


def _rfft_transpose(ct, fft_lengths):
    """RFFT is the complex FFT of a real input, cut to n//2 + 1 outputs: its transpose pads
    the cotangent back to n with zeros, takes the FFT and keeps the real part."""
    from fx import lax
    n = fft_lengths[-1]
    padded = lax.pad(ct, lax.full((), 0, ct.dtype), [(0, 0, 0)] * (ct.ndim - 1) + [(0, n - ct.shape[-1], 0)])
    return lax.real(fft(padded, FftType.FFT, fft_lengths))


def _irfft_transpose(ct, fft_lengths):
    """IRFFT reads each of the n//2 + 1 inputs once for itself and once for its mirror
    image (except the first and, for even n, the last), scaled by 1/n: its transpose is
    the conjugate of the RFFT weighted by those counts (conjugate: the inverse transform
    turns the other way)."""
    from fx import lax
    x = fft(ct, FftType.RFFT, fft_lengths)
    m, odd = x.shape[-1], fft_lengths[-1] % 2
    weights = np.full(m, 2.0)
    weights[0] = 1.0
    if not odd:
        weights[-1] = 1.0
    weights = weights / math.prod(fft_lengths)
    return lax.conj(_times_last_axis(x, weights))


def _fft_batch(args, dims, *, fft_type, fft_lengths):
    (x,), (d,) = args, dims
    return fft(bdim_at_front(x, d, x.shape[d]), fft_type, fft_lengths), 0


def _fft_jvp(primals, tangents, *, fft_type, fft_lengths):
    from fx.transforms.jvp import instantiate
    (x,), (t,) = primals, tangents
    return fft(x, fft_type, fft_lengths), fft(instantiate(t), fft_type, fft_lengths)


fft_p.impl = _fft_impl
fft_p.abstract_eval = _fft_aval
fft_p.jvp = _fft_jvp
fft_p.transpose = _fft_transpose
fft_p.batch = _fft_batch


def fft(x, fft_type, fft_lengths):
    """The discrete Fourier transform of `fft_type` over the trailing len(fft_lengths) axes
    (JAX's lax.fft). fft_type: an FftType or its name ("FFT", "ifft", ...)."""
    from fx.lax.ops import _as_operand
    if isinstance(fft_type, str):
        fft_type = FftType[fft_type.upper()]
    return fft_p.bind(_as_operand(x), fft_type=FftType(fft_type),
                      fft_lengths=tuple(int(n) for n in fft_lengths))


# ---------------------------------------------------------------------------- the algorithm

def _twiddles(n, k, dtype, sign=-1.0):
    """exp(sign 2 pi i j k / n) as a constant of `dtype` (computed in float64)."""
    return np.exp(sign * 2j * np.pi * np.asarray(k, np.float64) / n).astype(dtype)


def _times_last_axis(x, factors):
    """x times the constants `factors`, one per element of x's last axis."""
    from fx import lax
    factors = lax.convert_element_type(np.asarray(factors).astype(x.dtype), x.dtype)
    return lax.mul(x, lax.broadcast_in_dim(factors, x.shape, (x.ndim - 1,)))


def _dft_matrix_product(x, n):
    """x (..., n) times the DFT matrix: one complex matrix product."""
    from fx import lax
    j = np.arange(n)
    w = _twiddles(n, np.outer(j, j) % n, x.dtype)
    return lax.dot_general(x, w, (((x.ndim - 1,), (0,)), ((), ())))


def _fft_1d(x):
    """The forward DFT of complex x along its last axis."""
    n = x.shape[-1]
    if n <= BASE or (n & (n - 1) and n <= DIRECT):
        return _dft_matrix_product(x, n)
    if n & (n - 1):
        return _bluestein(x, n)
    return _radix2(x)


def _radix2(x):
    """Radix-2 decimation in time with the halves batched: the even and odd samples
    become a new axis, transformed together by one recursive call."""
    from fx import lax
    n = x.shape[-1]
    if n <= BASE:
        return _dft_matrix_product(x, n)
    m = n // 2
    pairs = lax.reshape(x, x.shape[:-1] + (m, 2))                     # (..., m, [even, odd])
    halves = _radix2(lax.transpose(pairs, tuple(range(x.ndim - 1)) + (x.ndim, x.ndim - 1)))
    even = lax.slice_in_dim(halves, 0, 1, axis=x.ndim - 1)
    odd = lax.slice_in_dim(halves, 1, 2, axis=x.ndim - 1)
    even, odd = (lax.reshape(h, x.shape[:-1] + (m,)) for h in (even, odd))
    odd = _times_last_axis(odd, _twiddles(n, np.arange(m), x.dtype))
    return lax.concatenate([lax.add(even, odd), lax.sub(even, odd)], x.ndim - 1)


def _bluestein(x, n):
    """Bluestein's algorithm: with w_j = exp(-i pi j^2 / n), X_k = w_k sum_j (x_j w_j)
    conj(w_{k-j}), a convolution done by power-of-two transforms of length >= 2n - 1."""
    from fx import lax
    size = 1 << (2 * n - 2).bit_length()
    j = np.arange(n, dtype=np.float64)
    chirp = np.exp(-1j * np.pi * (j * j % (2 * n)) / n)
    kernel = np.zeros(size, np.complex128)
    kernel[:n] = np.conj(chirp)
    kernel[size - n + 1:] = np.conj(chirp[1:][::-1])
    a = lax.pad(_times_last_axis(x, chirp), lax.full((), 0, x.dtype),
                [(0, 0, 0)] * (x.ndim - 1) + [(0, size - n, 0)])
    conv = _inverse(_radix2, _times_last_axis(_radix2(a), np.fft.fft(kernel)))
    return _times_last_axis(lax.slice_in_dim(conv, 0, n, axis=x.ndim - 1), chirp)


def _inverse(forward, x):
    """The inverse DFT as the conjugate of the forward DFT of the conjugate, over n."""
    from fx import lax
    y = lax.conj(forward(lax.conj(x)))
    return lax.mul(y, lax.full_like(y, 1.0 / x.shape[-1]))


def _along(transform, x, axis):
    """`transform` (of the last axis) applied along `axis`."""
    from fx import lax
    if axis == x.ndim - 1:
        return transform(x)
    order = [d for d in range(x.ndim) if d != axis] + [axis]
    back = np.argsort(order)
    return lax.transpose(transform(lax.transpose(x, tuple(order))), tuple(int(i) for i in back))


def _fft_by_lax(x, fft_type, fft_lengths):
    from fx import lax
    axes = range(x.ndim - len(fft_lengths), x.ndim)
    if fft_type in (FftType.FFT, FftType.IFFT):
        return _each_axis(_fft_1d if fft_type == FftType.FFT else _ifft_1d, x, axes)
    if fft_type == FftType.RFFT:
        x = lax.convert_element_type(x, complex_dtype(x.dtype))
        x = _fft_by_lax(x, FftType.FFT, fft_lengths)
        return lax.slice_in_dim(x, 0, fft_lengths[-1] // 2 + 1, axis=x.ndim - 1)
    # IRFFT: the inverse over the leading axes, then the Hermitian spectrum rebuilt
    x = _each_axis(_ifft_1d, x, axes[:-1])
    n, m = fft_lengths[-1], x.shape[-1]
    mirror = lax.conj(lax.rev(lax.slice_in_dim(x, 1, n - m + 1, axis=x.ndim - 1), (x.ndim - 1,)))
    return lax.real(_ifft_1d(lax.concatenate([x, mirror], x.ndim - 1)))


def _ifft_1d(x):
    return _inverse(_fft_1d, x)


def _each_axis(transform, x, axes):
    """`transform` (of the last axis) applied along each of `axes` in turn."""
    for axis in axes:
        x = _along(transform, x, axis)
    return x


fft_p.lower = lowered_as(_fft_by_lax, "fft")


def _c(*shape, seed):
    return randn(*shape, seed=seed) + 1j * randn(*shape, seed=seed + 1)


example(fft_p, _c(3, 8, seed=70), params=dict(fft_type=FftType.FFT, fft_lengths=(8,)),
        reference=lambda x, **_: np.fft.fft(x), linear_argnums=(0,), name="fft")
example(fft_p, _c(2, 6, 5, seed=72), params=dict(fft_type=FftType.IFFT, fft_lengths=(6, 5)),
        reference=lambda x, **_: np.fft.ifft2(x), linear_argnums=(0,), name="ifft2")
example(fft_p, randn(4, 10, seed=74), params=dict(fft_type=FftType.RFFT, fft_lengths=(10,)),
        reference=lambda x, **_: np.fft.rfft(x), linear_argnums=(0,), name="rfft")
example(fft_p, _c(3, 5, seed=76), params=dict(fft_type=FftType.IRFFT, fft_lengths=(9,)),
        reference=lambda x, **_: np.fft.irfft(x, 9), linear_argnums=(0,), name="irfft_odd")
example(fft_p, _c(2, 4, 5, seed=78), params=dict(fft_type=FftType.IRFFT, fft_lengths=(4, 8)),
        reference=lambda x, **_: np.fft.irfft2(x, (4, 8)), linear_argnums=(0,), name="irfft2_even")
example(fft_p, _c(2, 64, seed=80), params=dict(fft_type=FftType.FFT, fft_lengths=(64,)),
        reference=lambda x, **_: np.fft.fft(x), linear_argnums=(0,), name="radix2")
example(fft_p, _c(2, 300, seed=82), params=dict(fft_type=FftType.FFT, fft_lengths=(300,)),
        reference=lambda x, **_: np.fft.fft(x), linear_argnums=(0,), name="bluestein")
