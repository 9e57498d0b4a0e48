"""lax.conv_general_dilated and lax.reduce_window through their public functions: values
against direct NumPy loops, padding modes, layouts, errors, a small CNN's gradients, and
native code against the interpreter. (The primitives' rules are checked example by
example in tests/lax/test_primitives.py.)"""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax
from fx.ir import kernels as K
from fx.ir.lower import lower_jaxpr


pytestmark = pytest.mark.usefixtures("x64")


def rng(seed):
    return np.random.default_rng(seed)


def loop_conv(x, w, strides, padding, lhs_dilation, rhs_dilation, groups=1):
    """NCHW x OIHW by the definition: dilate and pad x explicitly, then one dot product
    per output element and output feature."""
    n, c = x.shape[:2]
    o, i = w.shape[:2]
    sp = x.ndim - 2
    dil_shape = [(d - 1) * ld + 1 for d, ld in zip(x.shape[2:], lhs_dilation)]
    dilated = np.zeros((n, c, *dil_shape))
    dilated[(slice(None), slice(None)) + tuple(slice(None, None, ld) for ld in lhs_dilation)] = x
    for ax, (lo, hi) in enumerate(padding):  # negative padding crops
        a = 2 + ax
        dilated = np.pad(dilated, [(0, 0)] * a + [(max(lo, 0), max(hi, 0))] + [(0, 0)] * (sp - ax - 1))
        size = dilated.shape[a]
        dilated = np.take(dilated, np.arange(max(-lo, 0), size - max(-hi, 0)), axis=a)
    span = [(k - 1) * rd + 1 for k, rd in zip(w.shape[2:], rhs_dilation)]
    out_sp = [(p - s_) // st + 1 for p, s_, st in zip(dilated.shape[2:], span, strides)]
    out = np.zeros((n, o, *out_sp))
    per_group = o // groups
    for pos in np.ndindex(*out_sp):
        window = dilated[(slice(None), slice(None)) + tuple(
            slice(p * st, p * st + s_, rd) for p, st, s_, rd in zip(pos, strides, span, rhs_dilation))]
        for f in range(o):
            g = f // per_group
            out[(slice(None), f) + pos] = np.tensordot(window[:, g * i:(g + 1) * i], w[f],
                                                       axes=sp + 1)
    return out


CASES = [  # x shape, w shape, strides, padding, lhs_dilation, rhs_dilation, groups
    ((2, 3, 6, 5), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1), 1),
    ((1, 2, 7, 7), (3, 2, 3, 2), (2, 3), ((0, 2), (1, 0)), (1, 1), (2, 1), 1),
    ((2, 2, 4, 3), (2, 2, 2, 2), (1, 1), ((-1, 1), (2, 1)), (2, 3), (1, 1), 1),
    ((1, 4, 5), (6, 2, 2), (1,), ((1, 0),), (1,), (2,), 2),
    ((1, 3, 3, 4, 2), (3, 1, 2, 2, 1), (1, 2, 1), ((1, 0), (0, 1), (0, 0)), (1, 1, 1), (1, 1, 1), 3),
]


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_matches_direct_loops_eager_and_jit(case):
    xs, ws, strides, padding, ld, rd, groups = case
    x, w = rng(0).standard_normal(xs), rng(1).standard_normal(ws)
    want = loop_conv(x, w, strides, padding, ld, rd, groups)

    def f(x, w):
        return lax.conv_general_dilated(x, w, strides, padding, ld, rd, feature_group_count=groups)
    np.testing.assert_allclose(f(x, w), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fx.jit(f)(x, w), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["SAME", "SAME_LOWER", "VALID"])
def test_string_padding_and_nhwc_layout(mode):
    x, w = rng(2).standard_normal((2, 5, 6, 3)), rng(3).standard_normal((3, 2, 3, 4))  # NHWC, HWIO
    got = lax.conv_general_dilated(x, w, (2, 1), mode, rhs_dilation=(1, 2),
                                   dimension_numbers=("NHWC", "HWIO", "NHWC"))
    pads = lax.padtype_to_pads((5, 6), (3, 3), (2, 1), mode)  # kernel (3, 2) dilated to (3, 3)
    want = loop_conv(x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1), (2, 1), pads, (1, 1), (1, 2))
    np.testing.assert_allclose(got, want.transpose(0, 2, 3, 1), rtol=1e-12)
    if mode != "VALID":
        assert got.shape == (2, 3, 6, 4)  # ceil(5 / 2), 6


def test_padtype_to_pads():
    assert lax.padtype_to_pads((5, 6), (3, 4), (2, 1), "SAME") == [(1, 1), (1, 2)]
    assert lax.padtype_to_pads((5, 6), (3, 4), (2, 1), "SAME_LOWER") == [(1, 1), (2, 1)]
    assert lax.padtype_to_pads((5,), (3,), (2,), "valid") == [(0, 0)]
    with pytest.raises(ValueError, match="SAME"):
        lax.padtype_to_pads((5,), (3,), (1,), "FULL")


def test_dimension_numbers():
    dn = lax.conv_dimension_numbers((1, 5, 5, 3), (3, 3, 3, 8), ("NHWC", "HWIO", "NHWC"))
    assert dn == lax.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    # spatial dims follow the kernel's order: W before H here
    dn = lax.conv_dimension_numbers((1, 3, 5, 5), (8, 3, 3, 3), ("NCHW", "OIWH", "NCWH"))
    assert dn == lax.ConvDimensionNumbers((0, 1, 3, 2), (0, 1, 2, 3), (0, 1, 2, 3))
    assert lax.conv_dimension_numbers((1, 2, 3), (4, 2, 1), None) == ((0, 1, 2),) * 3


def test_conv_wrappers_and_preferred_type():
    x = rng(4).integers(-3, 4, (1, 2, 5, 5)).astype(np.int32)
    w = rng(5).integers(-3, 4, (3, 2, 2, 2)).astype(np.int32)
    got = lax.conv(x, w, (1, 1), "VALID")
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, loop_conv(x, w, (1, 1), [(0, 0)] * 2, (1, 1), (1, 1)))
    wide = lax.conv_with_general_padding(x, w, (1, 1), [(1, 0), (0, 1)], (2, 1), None,
                                         preferred_element_type=np.float64)
    assert wide.dtype == np.float64
    np.testing.assert_allclose(wide, loop_conv(x, w, (1, 1), [(1, 0), (0, 1)], (2, 1), (1, 1)))
    assert fx.jit(lambda a: lax.conv(a, w, (1, 1), "SAME"))(np.ones((1, 2, 3, 3), np.int32)).dtype \
        == np.int32


def test_default_float32_stays_float32():
    with fx.config.override("enable_x64", False):
        x, w = np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 2, 2), np.float32)
        out = fx.jit(lambda a, b: lax.conv(a, b, (1, 1), "VALID"))(x, w)
        assert out.dtype == np.float32 and np.all(np.asarray(out) == 4)


@pytest.mark.parametrize("call, error, match", [
    (lambda x, w: lax.conv(x, w[:, :1], (1, 1), "VALID"), ValueError, "feature"),
    (lambda x, w: lax.conv(x[0], w, (1, 1), "VALID"), TypeError, "equal rank"),
    (lambda x, w: lax.conv(x, w, (1,), "VALID"), TypeError, "window_strides"),
    (lambda x, w: lax.conv(x, w, (0, 1), "VALID"), ValueError, "window_strides"),
    (lambda x, w: lax.conv(x, w, (1, 1), "CIRCULAR"), ValueError, "SAME"),
    (lambda x, w: lax.conv(x, w, (1, 1), [(1, 1)]), TypeError, "padding"),
    (lambda x, w: lax.conv(x, w.astype(np.float32), (1, 1), "VALID"), TypeError, "one dtype"),
    (lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "SAME", lhs_dilation=(2, 1)), ValueError,
     "lhs_dilation"),
    (lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "VALID",
                                           dimension_numbers=("NCHW", "OIHW", "NCHX")),
     TypeError, "spatial"),
    (lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "VALID",
                                           dimension_numbers=("NNHW", "OIHW", "NCHW")),
     TypeError, "exactly once"),
    (lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "VALID", feature_group_count=2,
                                           batch_group_count=2), ValueError, "at most one"),
    (lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "VALID", batch_group_count=3),
     ValueError, "multiple"),
])
def test_bad_input_raises_clearly(call, error, match):
    x, w = np.ones((2, 2, 5, 5)), np.ones((4, 2, 3, 3))
    with pytest.raises(error, match=match):
        call(x, w)


def test_conv_transpose_is_the_input_gradient_of_conv():
    """With the forward convolution's padding (use_consistent_padding) and the kernel's
    I and O swapped and flipped (transpose_kernel), conv_transpose is the VJP of conv."""
    x, w = rng(12).standard_normal((1, 7, 7, 2)), rng(13).standard_normal((3, 3, 2, 4))
    pads, dn = [(1, 1), (0, 2)], ("NHWC", "HWIO", "NHWC")
    forward = lambda a: lax.conv_general_dilated(a, w, (2, 2), pads, dimension_numbers=dn)  # noqa: E731
    ct = rng(14).standard_normal(forward(x).shape)
    (want,) = fx.vjp(forward, x)[1](ct)
    got = lax.conv_transpose(ct, w, (2, 2), pads, dimension_numbers=dn, transpose_kernel=True,
                             use_consistent_padding=True)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert lax.conv_transpose(ct, np.ones((3, 3, 4, 2)), (2, 2), "VALID").shape == (1, 9, 9, 2)
    # Keras's output size: s * n + max(k - s, 0)


# ---------------------------------------------------------------------------- a small CNN

def cnn(params, images):
    """conv(3x3, SAME) -> relu -> 2x2 max pool -> grouped conv -> avg pool -> linear."""
    w1, w2, w3 = params
    h = lax.conv_general_dilated(images, w1, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    h = jnp.maximum(h, 0.0)
    h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    h = lax.conv_general_dilated(h, w2, (1, 1), [(1, 0), (0, 1)], feature_group_count=2,
                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
    h = jnp.tanh(h)
    h = lax.reduce_window(h, 0.0, lax.add, (1, 2, 2, 1), (1, 2, 2, 1), "SAME") / 4.0
    return jnp.sum(h.reshape(h.shape[0], -1) @ w3)


def cnn_params(seed=6):
    r = rng(seed)
    return (r.standard_normal((3, 3, 1, 4)) * 0.5, r.standard_normal((2, 2, 2, 6)) * 0.5,
            r.standard_normal((2 * 2 * 6, 3)))


def test_cnn_gradients_match_finite_differences():
    params = cnn_params()
    images = rng(7).standard_normal((2, 8, 8, 1))
    grads = fx.grad(cnn)(params, images)
    eps = 1e-6
    for k, (p, g) in enumerate(zip(params, grads)):
        t = rng(10 + k).standard_normal(p.shape)
        plus = [q + eps * t if j == k else q for j, q in enumerate(params)]
        minus = [q - eps * t if j == k else q for j, q in enumerate(params)]
        fd = (float(cnn(plus, images)) - float(cnn(minus, images))) / (2 * eps)
        np.testing.assert_allclose(float(np.vdot(g, t)), fd, rtol=1e-6, atol=1e-8)
    image_grad = fx.grad(cnn, argnums=1)(params, images)
    t = rng(20).standard_normal(images.shape)
    fd = (float(cnn(params, images + eps * t)) - float(cnn(params, images - eps * t))) / (2 * eps)
    np.testing.assert_allclose(float(np.vdot(image_grad, t)), fd, rtol=1e-6, atol=1e-8)


def test_cnn_native_code_matches_interpreter(backend):
    params = cnn_params(8)
    images = rng(9).standard_normal((3, 8, 8, 1))
    step = fx.value_and_grad(cnn)
    got = fx.tree.leaves(fx.jit(step, backend=backend)(params, images))
    want = fx.tree.leaves(fx.jit(step, backend="interpreter")(params, images))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-11, atol=1e-13)
    per_example = fx.jit(fx.vmap(lambda im: cnn(params, im[None])))(images)
    np.testing.assert_allclose(per_example, [cnn(params, im[None]) for im in images], rtol=1e-11)


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_inner_loop_is_free_of_bounds_tests(padding):
    """The reduction reads a padded copy of lhs with plain index arithmetic, so its loop
    over input features (innermost, contiguous) can vectorise."""
    x, w = np.ones((2, 6, 6, 3)), np.ones((5, 3, 3, 3))
    jaxpr = fx.make_jaxpr(lambda a, b: lax.conv_general_dilated(
        a, b, (1, 1), padding, dimension_numbers=("NHWC", "OHWI", "NHWC")))(x, w)
    kernels = [s for s in lower_jaxpr(jaxpr).body if isinstance(s, K.Kernel)]
    (conv,) = [k for k in kernels if k.reducer]
    assert conv.reducer == "add" and conv.reduce_shape == (3, 3, 3)
    assert not any(op in K.pp_expr(conv.outputs[0][1]) for op in ("select", "clamp"))
    assert len(kernels) == (1 if padding == "VALID" else 2)  # SAME: one padded copy of lhs


# ---------------------------------------------------------------------------- reduce_window

def test_reduce_window_init_values_and_computations():
    x = np.arange(1.0, 6.0)
    # padding and dilation holes take no part; init_value joins every window once
    np.testing.assert_allclose(lax.reduce_window(x, 2.0, lax.mul, (2,), (1,), [(1, 1)]),
                               [2, 4, 12, 24, 40, 10])
    np.testing.assert_allclose(lax.reduce_window(x, 1.0, lax.add, (2,), (2,), [(0, 0)],
                                                 base_dilation=(2,)), [2, 3, 4, 5])
    np.testing.assert_allclose(lax.reduce_window(x, 3.5, jnp.maximum, (2,), (1,), [(1, 1)],
                                                 base_dilation=(2,)),
                               [3.5] * 6 + [4, 4, 5, 5])
    np.testing.assert_allclose(lax.reduce_window(x, np.inf, lax.min, (2,), (2,), "VALID",
                                                 window_dilation=(2,)), [1, 3])
    with pytest.raises(NotImplementedError, match="lax.add"):
        lax.reduce_window(x, 0.0, lambda a, b: a - b, (2,), (1,))
    with pytest.raises(TypeError, match="window_dimensions"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), (1, 1))


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = np.array([[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, -1.0, -1.0]])
    pool = lambda a: jnp.sum(lax.reduce_window(a, -jnp.inf, lax.max, (2, 2), (2, 2), "VALID"))  # noqa: E731
    np.testing.assert_array_equal(fx.grad(pool)(x), [[0, 1, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(fx.jit(fx.grad(pool))(x), fx.grad(pool)(x))


def test_avg_pool_and_jit():
    x = rng(11).standard_normal((2, 6, 6, 3))
    avg = lambda a: lax.reduce_window(a, 0.0, lax.add, (1, 3, 3, 1), (1, 3, 3, 1), "VALID") / 9  # noqa: E731
    want = x.reshape(2, 2, 3, 2, 3, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(avg(x), want, rtol=1e-12)
    np.testing.assert_allclose(fx.jit(avg)(x), want, rtol=1e-12)
