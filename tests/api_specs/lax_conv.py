"""fx.lax convolutions and window reductions: layouts, strides, padding modes, dilations,
groups; pooling through reduce_window. References sum shifted slices of the padded input."""
import numpy as np

from fx import lax
from tests.api_specs import Spec, draws, normal


def shifted_conv(x, w, strides=(1, 1), pads=((0, 0), (0, 0)), lhs_dilation=(1, 1),
                 rhs_dilation=(1, 1), groups=1):
    """NCHW x OIHW: for each kernel offset, a strided slice of the dilated, padded input
    times that kernel tap, summed over offsets (and features within each group)."""
    n, c, h, wd = x.shape
    dilated = np.zeros((n, c, (h - 1) * lhs_dilation[0] + 1, (wd - 1) * lhs_dilation[1] + 1))
    dilated[:, :, ::lhs_dilation[0], ::lhs_dilation[1]] = x
    xp = np.pad(dilated, ((0, 0), (0, 0)) + tuple(pads))
    o, i, kh, kw = w.shape
    span = [(k - 1) * d + 1 for k, d in zip((kh, kw), rhs_dilation)]
    out_h, out_w = [(p - s) // st + 1 for p, s, st in zip(xp.shape[2:], span, strides)]
    out = np.zeros((n, o, out_h, out_w))
    per = o // groups
    for a in range(kh):
        for b in range(kw):
            r0, c0 = a * rhs_dilation[0], b * rhs_dilation[1]
            patch = xp[:, :, r0:r0 + (out_h - 1) * strides[0] + 1:strides[0],
                       c0:c0 + (out_w - 1) * strides[1] + 1:strides[1]]
            for g in range(groups):
                out[:, g * per:(g + 1) * per] += np.einsum(
                    "nchw,oc->nohw", patch[:, g * i:(g + 1) * i], w[g * per:(g + 1) * per, :, a, b])
    return out


def nhwc(f):
    """A reference for NHWC / HWIO operands from an NCHW / OIHW one."""
    return lambda x, w: f(x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1)).transpose(0, 2, 3, 1)


def shifted_window(x, window, pads, fill, reduce):
    """Stride-1 window reduction of an (N, H, W, C) array by shifted slices."""
    xp = np.pad(x, ((0, 0),) + tuple(pads) + ((0, 0),), constant_values=fill)
    h, w = xp.shape[1] - window[0] + 1, xp.shape[2] - window[1] + 1
    return reduce([xp[:, a:a + h, b:b + w] for a in range(window[0]) for b in range(window[1])])


SPECS = [
    Spec("lax_conv_nchw_same", lambda x, w: lax.conv(x, w, (1, 1), "SAME"),
         lambda x, w: shifted_conv(x, w, pads=((1, 1), (1, 1))),
         draws(normal(2, 3, 5, 5), normal(4, 3, 3, 3)), grad=2),
    Spec("lax_conv_general_nhwc_strided_dilated",
         lambda x, w: lax.conv_general_dilated(x, w, (2, 1), [(1, 1), (0, 2)], rhs_dilation=(1, 2),
                                               dimension_numbers=("NHWC", "HWIO", "NHWC")),
         nhwc(lambda x, w: shifted_conv(x, w, (2, 1), ((1, 1), (0, 2)), rhs_dilation=(1, 2))),
         draws(normal(2, 6, 5, 2), normal(3, 2, 2, 3))),
    Spec("lax_conv_general_depthwise_valid",
         lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "VALID", feature_group_count=3),
         lambda x, w: shifted_conv(x, w, groups=3),
         draws(normal(2, 3, 5, 4), normal(6, 1, 2, 3)), grad=2),
    Spec("lax_conv_general_grouped_same_lower",
         lambda x, w: lax.conv_general_dilated(x, w, (2, 2), "SAME_LOWER", feature_group_count=2,
                                               dimension_numbers=("NHWC", "HWIO", "NHWC")),
         nhwc(lambda x, w: shifted_conv(x, w, (2, 2), ((1, 0), (0, 0)), groups=2)),
         draws(normal(1, 5, 4, 4), normal(2, 2, 2, 4))),
    Spec("lax_conv_with_general_padding_lhs_dilation",
         lambda x, w: lax.conv_with_general_padding(x, w, (1, 1), [(1, 1), (0, 1)], (2, 2), None),
         lambda x, w: shifted_conv(x, w, pads=((1, 1), (0, 1)), lhs_dilation=(2, 2)),
         draws(normal(1, 2, 3, 3), normal(2, 2, 2, 2))),
    Spec("lax_conv_transpose_same",
         lambda x, w: lax.conv_transpose(x, w, (2, 2), "SAME"),
         nhwc(lambda x, w: shifted_conv(x, w, pads=((2, 1), (2, 1)), lhs_dilation=(2, 2))),
         draws(normal(1, 3, 2, 2), normal(3, 3, 2, 3))),
    Spec("lax_reduce_window_avg_pool",
         lambda x: lax.reduce_window(x, 0.0, lax.add, (1, 2, 2, 1), (1, 2, 2, 1), "VALID") / 4.0,
         lambda x: x.reshape(2, 2, 2, 3, 2, 3).mean(axis=(2, 4)), draws(normal(2, 4, 6, 3)), grad=2),
    Spec("lax_reduce_window_max_pool_same",
         lambda x: lax.reduce_window(x, -np.inf, lax.max, (1, 3, 3, 1), (1, 1, 1, 1), "SAME"),
         lambda x: shifted_window(x, (3, 3), ((1, 1), (1, 1)), -np.inf, lambda s: np.max(s, 0)),
         draws(normal(2, 4, 5, 2))),
    Spec("lax_reduce_window_min_strided",
         lambda x: lax.reduce_window(x, np.inf, lax.min, (1, 2, 3, 1), (1, 2, 3, 1), "VALID"),
         lambda x: x.reshape(1, 2, 2, 2, 3, 2).min(axis=(2, 4)), draws(normal(1, 4, 6, 2))),
    Spec("lax_reduce_window_mul",
         lambda x: lax.reduce_window(x, 1.0, lax.mul, (1, 2, 2, 1), (1, 1, 1, 1), [(0, 0), (0, 1), (1, 0), (0, 0)]),
         lambda x: shifted_window(x, (2, 2), ((0, 1), (1, 0)), 1.0, lambda s: np.prod(s, 0)),
         draws(normal(1, 3, 3, 2))),
]
