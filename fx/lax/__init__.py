"""fx.lax: the primitives' public surface, with jax.lax's names and signatures.

This package only re-exports: the wrappers are in fx/lax/ops.py, the primitives and their
rules in the modules named after their kind.

lax is strict where fx.numpy is forgiving: operands of a binary op must share a dtype
(Python scalars adopt the other operand's dtype, as weak types do in JAX) and a shape
(0-d operands broadcast).

Integer division never traps and gives XLA's (JAX's) values, on every backend and in
eager mode alike: `div(x, 0)` is -1 (all bits set: the maximum of an unsigned type),
`rem(x, 0)` is x, `div(INT_MIN, -1)` wraps to INT_MIN and `rem(INT_MIN, -1)` is 0.
fx.numpy's `%`, `remainder`, `fmod` and `divmod` give 0 for x % 0, as JAX's do.
"""
from __future__ import annotations

from fx.lax.elementwise import (ROUND_AWAY_FROM_ZERO, ROUND_TO_NEAREST_EVEN, abs_p, add_p, and_p,
                                ceil_p, convert_element_type_p, cos_p, div_p, eq_p, erf_p, exp2_p,
                                exp_p, expm1_p, floor_p, ge_p, gt_p, integer_pow_p, le_p, log1p_p,
                                log_p, logistic_p, lt_p, max_p, min_p, mul_p, ne_p, neg_p, not_p,
                                or_p, pow_p, rem_p, round_p, rsqrt_p, select_n_p,
                                shift_left_p, shift_right_arithmetic_p, shift_right_logical_p,
                                sign_p, sin_p, sqrt_p, stop_gradient_p, sub_p, tan_p, tanh_p, xor_p)
from fx.lax.indexing import (GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers,
                             gather, gather_p, scatter, scatter_add, scatter_add_p, scatter_max,
                             scatter_max_p, scatter_min, scatter_min_p, scatter_mul, scatter_mul_p,
                             scatter_p)
from fx.lax.slicing import (broadcasted_iota, concatenate, concatenate_p, dynamic_slice,
                            dynamic_slice_p, dynamic_update_slice, dynamic_update_slice_p, iota,
                            iota_p, pad, pad_p, rev, rev_p, slice, slice_in_dim, slice_p)
from fx.lax.elementwise import (acos_p, acosh_p, asin_p, asinh_p, atan2_p, atan_p, atanh_p, cbrt_p,
                                cosh_p, is_finite_p, sinh_p, square_p)
from fx.lax.dot import Precision, dot, dot_general, dot_general_p
from fx.lax.complex import complex, complex_p, conj, conj_p, imag, imag_p, real, real_p  # noqa: F401
from fx.lax.fft import FftType, fft, fft_p  # noqa: F401
from fx.lax.special import (bessel_i0e, bessel_i0e_p, bessel_i1e, bessel_i1e_p, digamma,  # noqa: F401
                            digamma_p, erf_inv, erf_inv_p, erfc, erfc_p, lgamma, lgamma_p, polygamma,
                            zeta, zeta_p)
from fx.lax.incomplete import (betainc, igamma, igamma_grad_a, igamma_grad_a_p, igamma_p,  # noqa: F401
                               igammac, igammac_p, random_gamma_grad, regularized_incomplete_beta_p)
from fx.lax.bits import (bitcast_convert_type, bitcast_convert_type_p, reduce_precision,  # noqa: F401
                         reduce_precision_p)
from fx.lax.sorting import sort, sort_p, top_k, top_k_p
from fx.lax.reductions import (argmax, argmax_p, argmin, argmin_p, cummax, cummax_p, cummin,
                               cummin_p, cumprod, cumprod_p, cumsum, cumsum_p, reduce_max,
                               reduce_max_p, reduce_min, reduce_min_p, reduce_prod, reduce_prod_p,
                               reduce_sum, reduce_sum_p)
from fx.lax.windowed import (padtype_to_pads, reduce_window, reduce_window_max_p,
                             reduce_window_min_p, reduce_window_sum_p)
from fx.lax.convolution import (ConvDimensionNumbers, conv, conv_dimension_numbers,
                                conv_general_dilated, conv_general_dilated_p, conv_transpose,
                                conv_with_general_padding)
from fx.lax.shape import (broadcast_in_dim, broadcast_in_dim_p, expand_dims, expand_dims_p,
                          reshape_p, squeeze, squeeze_p, transpose, transpose_p)
from fx.lax import linalg  # jax.lax.linalg: a submodule, as in JAX


from fx.lax.ops import (RoundingMethod, _as_operand, _convert_weak, abs, acos, acosh, add, asin,
                        asinh, atan, atan2, atanh, bitwise_and, bitwise_not, bitwise_or,
                        bitwise_xor, broadcast, cbrt, ceil, clamp, convert_element_type, cos, cosh, div,
                        eq, erf, exp, exp2, expm1, floor, full, full_like, ge, gt, integer_pow,
                        is_finite, le, log, log1p, logistic, lt, max, min, mul, ne, neg, pow, rem,
                        reshape, round, rsqrt, select, select_n, shift_left,
                        shift_right_arithmetic, shift_right_logical, sign, sin, sinh, sqrt, square,
                        stop_gradient, sub, tan, tanh, zeros_like_array)
from fx.lax.control_flow import (associative_scan, cond, cond_p, fori_loop, map, scan, scan_p,
                                 switch, while_loop, while_p)

from fx.core import primitives as _primitives  # noqa: E402
from fx.lax.complex import refuse_complex_operands as _refuse_complex_operands  # noqa: E402

_refuse_complex_operands(_primitives)

from fx.lax.utilities import (approx_max_k, approx_min_k, broadcast_shapes,  # noqa: E402
                              broadcast_to_rank, clz, collapse, cumlogsumexp, dtype,
                              dynamic_index_in_dim, dynamic_slice_in_dim,
                              dynamic_update_index_in_dim, dynamic_update_slice_in_dim, empty,
                              index_in_dim, index_take, mulhi, nextafter, optimization_barrier,
                              platform_dependent, population_count, reciprocal, reduce,
                              reduce_and, reduce_or, reduce_xor, scatter_sub, sort_key_val, split,
                              stack, tile, unstack)
from fx.lax.solves import custom_linear_solve, custom_root  # noqa: E402

__all__ = [n for n in dir() if not n.startswith("_")]
