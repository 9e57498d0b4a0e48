"""The first slice of fx.numpy and fx.nn: values against NumPy, dtypes as JAX gives them,
and the numerical stability people rely on for training."""
import numpy as np
import pytest

import fx
import fx.nn as nn
import fx.numpy as jnp

X = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)

# (fx expression, NumPy expression): values must agree (float32 tolerance)
VALUE_CASES = {
    "mean": (lambda: jnp.mean(X, axis=0), lambda: X.mean(0)),
    "sum_keepdims": (lambda: jnp.sum(X, axis=1, keepdims=True), lambda: X.sum(1, keepdims=True)),
    "max": (lambda: jnp.max(X, axis=1), lambda: X.max(1)),
    "min_all": (lambda: jnp.min(X), lambda: X.min()),
    "argmax": (lambda: jnp.argmax(X, axis=0), lambda: X.argmax(0)),
    "prod": (lambda: jnp.prod(X, axis=0), lambda: X.prod(0)),
    "var_ddof": (lambda: jnp.var(X, ddof=1), lambda: X.var(ddof=1)),
    "std": (lambda: jnp.std(X, axis=0), lambda: X.std(0)),
    "cumsum": (lambda: jnp.cumsum(X, axis=1), lambda: X.cumsum(1)),
    "exp_log": (lambda: jnp.log(jnp.exp(X)), lambda: X),
    "where": (lambda: jnp.where(X > 0, X, 0.0), lambda: np.where(X > 0, X, 0)),
    "maximum": (lambda: jnp.maximum(X, 1), lambda: np.maximum(X, 1)),
    "clip": (lambda: jnp.clip(X, -1, 1), lambda: np.clip(X, -1, 1)),
    "dot": (lambda: jnp.dot(X, X.T), lambda: X @ X.T),
    "matmul_batched": (lambda: jnp.matmul(np.ones((2, 3, 4), np.float32), np.ones((4, 5), np.float32)),
                       lambda: np.ones((2, 3, 4)) @ np.ones((4, 5))),
    "reshape": (lambda: jnp.reshape(X, (3, -1)), lambda: X.reshape(3, -1)),
    "transpose": (lambda: jnp.transpose(np.ones((2, 3, 4)), (1, 2, 0)),
                  lambda: np.ones((2, 3, 4)).transpose(1, 2, 0)),
    "moveaxis": (lambda: jnp.moveaxis(np.ones((2, 3, 4)), 0, -1), lambda: np.ones((3, 4, 2))),
    "concatenate": (lambda: jnp.concatenate([X, X], axis=1), lambda: np.concatenate([X, X], 1)),
    "stack": (lambda: jnp.stack([X, X], axis=1), lambda: np.stack([X, X], 1)),
    "eye": (lambda: jnp.eye(3, 4, k=1), lambda: np.eye(3, 4, k=1)),
    "linspace": (lambda: jnp.linspace(0, 1, 5), lambda: np.linspace(0, 1, 5)),
    "arange": (lambda: jnp.arange(1, 7, 2), lambda: np.arange(1, 7, 2)),
    "floor_divide": (lambda: jnp.asarray([-7, 7]) // 2, lambda: np.array([-7, 7]) // 2),
    "remainder": (lambda: jnp.asarray([-7.5, 7.5]) % 2, lambda: np.array([-7.5, 7.5]) % 2),
    "round_half_even": (lambda: jnp.round(np.array([0.5, 1.5, 2.5])), lambda: np.array([0, 2, 2])),
    "relu": (lambda: nn.relu(X), lambda: np.maximum(X, 0)),
    "sigmoid": (lambda: nn.sigmoid(X), lambda: 1 / (1 + np.exp(-X))),
    "softmax": (lambda: nn.softmax(X), lambda: np.exp(X) / np.exp(X).sum(-1, keepdims=True)),
    "log_softmax": (lambda: nn.log_softmax(X, axis=0),
                    lambda: X - np.log(np.exp(X).sum(0, keepdims=True))),
    "logsumexp": (lambda: nn.logsumexp(X, axis=1), lambda: np.log(np.exp(X).sum(1))),
    "one_hot": (lambda: nn.one_hot(jnp.asarray([0, 2, 5]), 4),
                lambda: np.eye(4)[[0, 2, 3]] * [[1], [1], [0]]),
    "gelu_tanh": (lambda: nn.gelu(X),
                  lambda: 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X ** 3)))),
    "softplus": (lambda: nn.softplus(np.array([-100.0, 0.0, 100.0])), lambda: [0.0, np.log(2), 100.0]),
}


@pytest.mark.parametrize("name", VALUE_CASES)
def test_values_match_numpy(name):
    fx_fn, np_fn = VALUE_CASES[name]
    np.testing.assert_allclose(np.asarray(fx_fn(), np.float64), np.asarray(np_fn(), np.float64),
                               rtol=2e-6, atol=1e-6)


# (expression, dtype, weak_type): as JAX 0.10 gives them with x64 off
DTYPE_CASES = {
    "mean of ints is float": (lambda: jnp.mean(jnp.arange(5)), np.float32, False),
    "sum of bools is int": (lambda: jnp.sum(jnp.asarray([True, False])), np.int32, False),
    "true division of ints": (lambda: jnp.asarray([1, 2]) / 2, np.float32, False),
    "int times Python float": (lambda: jnp.arange(3) * 2.5, np.float32, True),  # i32 * f* = f*
    "exp of ints": (lambda: jnp.exp(jnp.arange(3)), np.float32, False),
    "argmax index": (lambda: jnp.argmax(X), np.int32, False),
    "weak scalar stays weak": (lambda: jnp.asarray(2.0) * 3, np.float32, True),
    "ones default": (lambda: jnp.ones((2, 3)), np.float32, False),
    "full of a Python int": (lambda: jnp.full((2,), 3), np.int32, True),
    "one_hot dtype": (lambda: nn.one_hot(jnp.asarray([0, 2]), 3, dtype=jnp.int32), np.int32, False),
    "where of scalars": (lambda: jnp.where(True, 1.0, 2), np.float32, True),
}


@pytest.mark.parametrize("name", DTYPE_CASES)
def test_dtypes_and_weak_types_follow_jax(name):
    fn, dtype, weak = DTYPE_CASES[name]
    out = fn()
    assert out.dtype == dtype and out.weak_type == weak


def test_float64_with_x64():
    with fx.config.override("enable_x64", True):
        assert jnp.ones(3).dtype == np.float64
        assert jnp.arange(3).dtype == np.int64
        assert (jnp.ones(3, jnp.float32) * 2.0).dtype == np.float32


def test_softmax_and_logsumexp_are_stable_for_huge_logits():
    big = np.array([1e30, 0.0, -1e30], np.float32)
    np.testing.assert_allclose(nn.softmax(big), [1, 0, 0])
    assert float(nn.logsumexp(big)) == pytest.approx(1e30, rel=1e-6)
    assert float(nn.logsumexp(np.array([-np.inf, -np.inf], np.float32))) == -np.inf
    g = fx.grad(nn.logsumexp)(np.array([1000.0, 0.0], np.float32))
    np.testing.assert_allclose(g, [1.0, 0.0])
    g = fx.grad(lambda v: nn.log_softmax(v)[0])(np.array([1e4, 0.0], np.float32))
    assert np.all(np.isfinite(g))


def test_relu_gradient_is_zero_at_the_kink():
    assert float(fx.grad(nn.relu)(0.0)) == 0.0
    np.testing.assert_array_equal(fx.vmap(fx.grad(nn.relu))(jnp.asarray([-1.0, 0.0, 2.0])), [0, 0, 1])


def test_softmax_cross_entropy_gradient_matches_closed_form():
    logits = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], np.float32)
    labels = np.array([0, 2])

    def xent(z):
        return -jnp.mean(jnp.sum(nn.one_hot(labels, 3) * nn.log_softmax(z), axis=-1))
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(fx.grad(xent)(logits), (p - np.eye(3)[labels]) / 2, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------- activations at extremes

# JAX 0.10's gradients at the kinks (float32), which fx matches.
KINK_GRADIENTS = {
    "relu6": ([0.0, 6.0], [0.0, 0.0]),
    "hard_tanh": ([-1.0, 1.0], [1.0, 1.0]),
    "hard_sigmoid": ([-3.0, 3.0], [0.0, 0.0]),
    "hard_silu": ([-3.0, 3.0], [0.0, 1.0]),
    "leaky_relu": ([0.0], [1.0]),
    "elu": ([0.0], [1.0]),
    "celu": ([0.0], [1.0]),
    "selu": ([0.0], [1.7580993]),
    "sparse_plus": ([-1.0, 0.0, 1.0], [0.0, 0.5, 1.0]),
    "softplus": ([0.0], [0.5]),
    "log_sigmoid": ([0.0], [0.5]),
}


@pytest.mark.parametrize("name", KINK_GRADIENTS)
def test_gradients_at_kinks_match_jax(name):
    points, want = KINK_GRADIENTS[name]
    got = fx.vmap(fx.grad(getattr(nn, name)))(np.array(points, np.float32))
    np.testing.assert_allclose(got, want, rtol=1e-6)


ACTIVATIONS = ["relu", "relu6", "leaky_relu", "elu", "celu", "selu", "gelu", "silu", "soft_sign",
               "sigmoid", "log_sigmoid", "hard_sigmoid", "hard_silu", "hard_tanh", "softplus",
               "sparse_plus", "mish"]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_are_finite_for_huge_inputs(name, jit):
    """No overflow or NaN at +-1e4 in the values or the gradients (float32), eager and native."""
    fn = getattr(nn, name)
    x = np.array([-1e4, -100.0, 100.0, 1e4], np.float32)
    grad = fx.vmap(fx.grad(fn))
    if jit:
        fn, grad = fx.jit(fn), fx.jit(grad)
    assert np.all(np.isfinite(fn(x))), fn(x)
    assert np.all(np.isfinite(grad(x))), grad(x)


def test_activations_at_infinities_are_finite_where_jax_is():
    x = np.array([-np.inf, np.inf], np.float32)
    expected = {"relu6": [0, 6], "hard_tanh": [-1, 1], "sigmoid": [0, 1], "hard_sigmoid": [0, 1],
                "elu": [-1, np.inf], "selu": [-1.7580993, np.inf], "softplus": [0, np.inf],
                "log_sigmoid": [-np.inf, 0], "gelu": [np.nan, np.inf]}
    for name, want in expected.items():
        np.testing.assert_allclose(getattr(nn, name)(x), want, rtol=1e-6, err_msg=name)
    np.testing.assert_allclose(fx.vmap(fx.grad(nn.softplus))(x), [0, 1])


def test_gelu_exact_and_glu():
    x = np.array([-1e4, -1.0, 0.5, 1e4], np.float32)
    np.testing.assert_allclose(nn.gelu(x, approximate=False), [0, -0.15865526, 0.34573123, 1e4], rtol=1e-6)
    with pytest.raises(ValueError, match="even size"):
        nn.glu(np.ones((2, 3)))


def test_softmax_where_and_logsumexp_sign():
    x = np.array([1.0, 2.0, 3.0], np.float32)
    mask = np.array([True, False, True])
    np.testing.assert_allclose(nn.softmax(x, where=mask), [0.11920291, 0, 0.880797], rtol=1e-6)
    np.testing.assert_allclose(nn.log_softmax(x, where=mask), [-2.126928, -np.inf, -0.12692805], rtol=1e-6)
    np.testing.assert_allclose(nn.logsumexp(x, where=mask), 3.126928, rtol=1e-6)
    out, sign = nn.logsumexp(x, b=np.array([1.0, -2.0, 0.5], np.float32), return_sign=True)
    np.testing.assert_allclose([out, sign], [0.7016423, -1.0], rtol=1e-6)
    assert np.isnan(nn.logsumexp(np.array([1.0, 2.0]), b=np.array([1.0, -1.0])))
    out, sign = nn.logsumexp(np.array([1.0, 1.0]), b=np.array([1.0, -1.0]), return_sign=True)
    assert out == -np.inf and sign == 0
    g = fx.grad(lambda v: nn.softmax(v, where=mask)[0])(x)
    assert np.all(np.isfinite(g)) and g[1] == 0


# ---------------------------------------------------------------------------- elementwise math

def test_logaddexp_gradients_at_ties_and_infinities():
    grad = fx.grad(jnp.logaddexp, argnums=(0, 1))
    cases = {(1.0, 1.0): (0.5, 0.5), (np.inf, np.inf): (0.5, 0.5), (-np.inf, -np.inf): (0.5, 0.5),
             (np.inf, 0.0): (1.0, 0.0), (-np.inf, 0.0): (0.0, 1.0), (1e4, -1e4): (1.0, 0.0)}
    for (a, b), want in cases.items():
        np.testing.assert_allclose(grad(np.float32(a), np.float32(b)), want, err_msg=f"{a}, {b}")
    assert float(jnp.logaddexp(np.inf, np.inf)) == np.inf
    assert float(jnp.logaddexp(-np.inf, -np.inf)) == -np.inf
    np.testing.assert_allclose(fx.grad(jnp.logaddexp2, argnums=(0, 1))(2.0, 2.0), (0.5, 0.5))
    np.testing.assert_allclose(jnp.logaddexp2(3.0, 3.0), 4.0)


def test_sinc_derivatives_at_zero():
    assert float(jnp.sinc(0.0)) == 1.0
    assert float(fx.grad(jnp.sinc)(0.0)) == 0.0
    np.testing.assert_allclose(fx.grad(fx.grad(jnp.sinc))(0.0), -np.pi ** 2 / 3, rtol=1e-6)
    np.testing.assert_allclose(fx.jit(fx.grad(fx.grad(jnp.sinc)))(0.0), -np.pi ** 2 / 3, rtol=1e-6)


def test_hypot_does_not_overflow_and_clip_rejects_two_spellings():
    np.testing.assert_allclose(jnp.hypot(np.float32(3e30), np.float32(4e30)), 5e30, rtol=1e-6)
    assert float(jnp.hypot(np.inf, np.nan)) == np.inf
    assert float(jnp.hypot(0.0, 0.0)) == 0.0
    with pytest.raises(TypeError, match="not both"):
        jnp.clip(np.ones(3), 0.0, a_min=1.0)


NEW_FLOAT_OPS = ["asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "cbrt", "is_finite",
                 "square"]
EDGES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, 1e-40, 0.5, -0.5, 1.0, -1.0, 1.5, 3.0,
                  89.5, -89.5, 1e30, -1e30, 1e300])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NEW_FLOAT_OPS + ["atan2"])
def test_native_code_matches_numpy_at_edge_values(name, dtype):
    """The llvm backend (jit) against the NumPy impl on NaN, infinities, signed zeros,
    denormals, out-of-domain and huge inputs: same specials, values within 4 ulp."""
    prim = getattr(fx.lax, name)
    with np.errstate(all="ignore"), fx.config.override("enable_x64", True):
        x = EDGES.astype(dtype)
        args = [x, x[::-1].copy()] if name == "atan2" else [x]
        got, want = np.asarray(fx.jit(prim)(*args)), np.asarray(prim(*args))
    assert got.dtype == want.dtype
    if want.dtype == np.bool_:
        np.testing.assert_array_equal(got, want)
        return
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.signbit(got[got == 0]), np.signbit(want[want == 0]))
    np.testing.assert_allclose(got, want, rtol=4 * np.finfo(dtype).eps, atol=0)
