"""fx.numpy: NumPy's API, traced — jax.numpy's names, signatures and semantics."""
import numpy as _np

from fx import dtypes as _dtypes
from fx.dtypes import finfo, iinfo, issubdtype, promote_types, result_type  # noqa: F401
from fx.numpy._creation import (arange, empty, empty_like, eye, full, full_like, identity,  # noqa: F401
                                indices, linspace, logspace, meshgrid, ones, ones_like, tri, zeros,
                                zeros_like)
from fx.numpy._diagonal import (diag, diagflat, diagonal, trace, tril, tril_indices, triu,  # noqa: F401
                                triu_indices)
from fx.numpy._einsum import einsum, einsum_path  # noqa: F401
from fx.numpy._io import (from_dlpack, frombuffer, fromfile, fromiter, fromstring, load, save,  # noqa: F401
                          savez)
from fx.numpy._indexing import (argwhere, compress, flatnonzero, nonzero, take,  # noqa: F401
                                NonConcreteBooleanIndexError, where)
from fx.numpy._sorting import (argpartition, argsort, lexsort, median, nanmedian,  # noqa: F401
                               nanpercentile, nanquantile, partition, percentile, quantile,
                               searchsorted, sort, take_along_axis, unique)
from fx.numpy._joining import (array_split, column_stack, dsplit, dstack, hsplit, hstack,  # noqa: F401
                               repeat, split, tile, vsplit, vstack)
from fx.numpy._logic import (allclose, array_equal, array_equiv, can_cast, iscomplexobj,  # noqa: F401
                             isclose, isrealobj)
from fx.numpy._nanfunctions import (average, nancumprod, nancumsum, nanmax, nanmean,  # noqa: F401
                                    nanmin, nanprod, nanstd, nansum, nanvar)
from fx.numpy._pad import pad  # noqa: F401
from fx.numpy._products import (convolve, correlate, cross, dot, inner, kron, matmul, outer,  # noqa: F401
                                tensordot, vdot)
from fx.numpy._promote import (array, asarray, astype, broadcast_arrays, broadcast_shapes,  # noqa: F401
                               broadcast_to)
from fx.numpy._reductions import (all, amax, amin, any, argmax, argmin, count_nonzero, diff,  # noqa: F401
                                  cumprod, cumsum, max, mean, min, prod, ptp, std, sum, var)
from fx.numpy._shape import (atleast_1d, atleast_2d, atleast_3d, concatenate, expand_dims,  # noqa: F401
                             flip, fliplr, flipud, moveaxis, ravel, reshape, roll, rot90, squeeze,
                             stack, swapaxes, transpose)
from fx.numpy._ufuncs import (abs, absolute, add, bitwise_and, bitwise_not, bitwise_or,  # noqa: F401
                              bitwise_xor, ceil, clip, cos, divide, equal, exp, exp2, expm1, floor,
                              floor_divide, greater, greater_equal, invert, isnan, left_shift,
                              less, less_equal,
                              log, log1p, logical_and, logical_not, logical_or, logical_xor, maximum,
                              minimum, mod, multiply, negative, not_equal, power, reciprocal,
                              remainder, right_shift, rint, round, sign, sin, sqrt, square,
                              subtract, tan, tanh, true_divide)
from fx.numpy._ufuncs import (angle, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,  # noqa: F401
                              around, cbrt, conj, conjugate, copysign, cosh, deg2rad, degrees,
                              divmod, fix, float_power, fmax, fmin, fmod, heaviside, hypot, imag,
                              isfinite, isinf, isneginf, isposinf, log2, log10, logaddexp,
                              logaddexp2, modf, nan_to_num, positive, rad2deg, radians, real,
                              signbit, sinc, sinh, trunc)
from fx.numpy._setops import (intersect1d, isin, setdiff1d, setxor1d, union1d, unique_all,  # noqa: F401
                              unique_counts, unique_inverse, unique_values)
from fx.numpy._histograms import (bincount, digitize, histogram, histogram2d,  # noqa: F401
                                  histogram_bin_edges, histogramdd)
from fx.numpy._index_tricks import (c_, diag_indices, diag_indices_from, index_exp, ix_,  # noqa: F401
                                    mask_indices, mgrid, ogrid, r_, ravel_multi_index, s_,
                                    tril_indices_from, triu_indices_from, unravel_index)
from fx.numpy._polynomial import (poly, polyadd, polyder, polydiv, polyfit, polyint,  # noqa: F401
                                  polymul, polysub, polyval, roots, trim_zeros, vander)
from fx.numpy._array_api import (acos, acosh, asin, asinh, atan, atan2, atanh,  # noqa: F401
                                 bitwise_invert, bitwise_left_shift, bitwise_right_shift, concat,
                                 cumulative_prod, cumulative_sum, isdtype, matrix_transpose, matvec,
                                 permute_dims, pow, unstack, vecdot, vecmat)
from fx.numpy._float_bits import frexp, ldexp, nextafter, spacing  # noqa: F401
from fx.numpy._integer_ops import bitwise_count, gcd, lcm, packbits, unpackbits  # noqa: F401
from fx.numpy._calculus import (corrcoef, cov, ediff1d, gradient, interp, trapezoid,  # noqa: F401
                                unwrap)
from fx.numpy._editing import (append, choose, delete, extract, fill_diagonal, insert,  # noqa: F401
                               piecewise, place, put, put_along_axis, resize, select)
from fx.numpy._vectorize import apply_along_axis, apply_over_axes, fromfunction, vectorize  # noqa: F401
from fx.numpy._misc import (block, copy, fabs, geomspace, iscomplex, isreal, isscalar,  # noqa: F401
                            iterable, nanargmax, nanargmin, rollaxis, sort_complex)
from fx.numpy._windows import bartlett, blackman, hamming, hanning, i0, kaiser  # noqa: F401
from fx.numpy._printing import (array_repr, array_str, get_printoptions, printoptions,  # noqa: F401
                                set_printoptions)
from fx.array import Array as ndarray  # noqa: F401


class _ScalarType:
    """`jnp.float32` and friends: a dtype that also converts values (jnp.float32(1.0))."""

    def __init__(self, np_type):
        self.dtype = _np.dtype(np_type)
        self.__name__ = self.dtype.name

    def __call__(self, x):
        if type(x) is complex and self.dtype.kind != "c":  # as float(1j) does, and JAX
            raise TypeError(f"{self.__name__}() argument must be a real number, not 'complex'")
        return asarray(x, _dtypes.canonicalize_dtype(self.dtype))

    def __repr__(self):
        return f"<class 'fx.numpy.{self.dtype.name}'>"

    def __eq__(self, other):
        try:
            return self.dtype == _np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype)


bool_ = _ScalarType(_np.bool_)
int8 = _ScalarType(_np.int8)
int16 = _ScalarType(_np.int16)
int32 = _ScalarType(_np.int32)
int64 = _ScalarType(_np.int64)
uint8 = _ScalarType(_np.uint8)
uint16 = _ScalarType(_np.uint16)
uint32 = _ScalarType(_np.uint32)
uint64 = _ScalarType(_np.uint64)
bfloat16 = _ScalarType(_dtypes.bfloat16)
float16 = _ScalarType(_np.float16)
float32 = _ScalarType(_np.float32)
float64 = _ScalarType(_np.float64)
complex64 = _ScalarType(_np.complex64)
complex128 = _ScalarType(_np.complex128)
bool = bool_  # noqa: A001  (the array API's name, as in JAX)
int_ = int64
uint = uint64
float_ = double = float64
complex_ = cdouble = complex128
single = float32
csingle = complex64
object_ = _np.object_
# NumPy's scalar type hierarchy, as in JAX, so that issubdtype(x.dtype, floating) works
generic, number, integer, signedinteger, unsignedinteger = (_np.generic, _np.number, _np.integer,
                                                            _np.signedinteger, _np.unsignedinteger)
inexact, floating, complexfloating, character, flexible = (_np.inexact, _np.floating,
                                                           _np.complexfloating, _np.character,
                                                           _np.flexible)
ComplexWarning = _np.exceptions.ComplexWarning
dtype = _np.dtype
newaxis = None
pi, e, inf, nan = _np.pi, _np.e, _np.inf, _np.nan
euler_gamma = _np.euler_gamma


def shape(a):
    return asarray(a).shape


def ndim(a):
    return asarray(a).ndim


def size(a, axis=None):
    """The number of elements of `a`, or its length along `axis`."""
    from fx.argcheck import canonicalize_axis
    shape = asarray(a).shape
    if axis is None:
        return int(_np.prod(shape, dtype=int))
    return shape[canonicalize_axis(axis, len(shape), "fx.numpy.size: axis")]


from fx.numpy import _methods  # noqa: E402,F401  (installs the Array operators)
from fx.numpy import linalg  # noqa: E402,F401  (jax.numpy.linalg)
from fx.numpy import fft  # noqa: E402,F401  (jax.numpy.fft)
