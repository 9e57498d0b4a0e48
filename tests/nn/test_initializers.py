"""fx.nn.initializers: JAX's values (golden literals from jax 0.10.2), variances that
follow the fan rules, orthogonality, dtypes, and errors."""
import math

import numpy as np
import pytest

import fx
from fx import random
from fx.nn import initializers as init

KEY = random.PRNGKey(1)


def test_constant_initializers():
    assert init.zeros(KEY, (2, 3)).tolist() == [[0.0] * 3] * 2
    assert init.ones(KEY, 2, np.int32).dtype == np.int32
    c = init.constant(3.5)(KEY, (2, 2))
    assert c.dtype == np.float32 and c.tolist() == [[3.5, 3.5]] * 2


def test_values_match_jax():
    np.testing.assert_array_equal(init.glorot_uniform()(KEY, (2, 3)), np.array(
        [[-0.13444948196411133, 0.0739489421248436, -0.11848702281713486],
         [-0.1349668800830841, 0.8705783486366272, 0.12914425134658813]], np.float32))
    np.testing.assert_allclose(init.he_normal()(KEY, (2, 2)), [
        [-0.16752351820468903, 0.09190773218870163], [-0.1475147157907486, -0.1681728959083557]],
        rtol=2e-6)


@pytest.mark.parametrize("make,mean,variance", [
    (lambda: init.normal(0.5), 0.0, 0.25),
    (lambda: init.uniform(2.0), 1.0, 4.0 / 12),  # on [0, scale)
    (lambda: init.truncated_normal(1.0), 0.0, 0.87962566103423978 ** 2),
    (lambda: init.glorot_uniform(), 0.0, 2 / 500),
    (lambda: init.glorot_normal(), 0.0, 2 / 500),
    (lambda: init.xavier_normal(), 0.0, 2 / 500),
    (lambda: init.he_uniform(), 0.0, 2 / 200),
    (lambda: init.kaiming_normal(), 0.0, 2 / 200),
    (lambda: init.lecun_uniform(), 0.0, 1 / 200),
    (lambda: init.lecun_normal(), 0.0, 1 / 200),
    (lambda: init.variance_scaling(3.0, "fan_out", "normal"), 0.0, 3 / 300),
])
def test_variances_follow_the_fan_rules(make, mean, variance):
    w = np.asarray(make()(KEY, (200, 300)), np.float64)
    assert w.shape == (200, 300)
    assert abs(w.var() - variance) < 0.03 * variance
    assert abs(w.mean() - mean) < 5 * math.sqrt(variance / w.size)


def test_fans_of_convolution_kernels_and_batch_axes():
    w = np.asarray(init.lecun_normal()(KEY, (3, 3, 64, 32)))  # receptive field 9: fan_in 576
    assert abs(w.var() - 1 / 576) < 0.05 / 576
    w = np.asarray(init.variance_scaling(1.0, "fan_in", "uniform", in_axis=0, out_axis=(1, 2))(
        KEY, (100, 4, 5)))
    assert abs(w.var() - 1 / 100) < 0.05 / 100
    w = np.asarray(init.variance_scaling(1.0, "fan_avg", "normal", batch_axis=0)(KEY, (10, 30, 50)))
    assert abs(w.var() - 1 / 40) < 0.05 / 40


@pytest.mark.parametrize("shape,column_axis", [((5, 3), -1), ((3, 5), -1), ((4, 2, 3), 0)])
def test_orthogonal_rows_or_columns(shape, column_axis):
    q = np.asarray(init.orthogonal(scale=2.0, column_axis=column_axis)(KEY, shape), np.float64)
    assert q.shape == shape
    m = np.moveaxis(q, column_axis, -1).reshape(-1, shape[column_axis])
    small = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(small, 4 * np.eye(len(small)), atol=1e-5)


def test_orthogonal_matches_jax():
    """Q of fx.numpy.linalg.qr with R's diagonal made positive, as jax.nn.initializers does
    (values from jax 0.10.2)."""
    with fx.config.override("enable_x64", True):
        q = init.orthogonal(scale=2.0)(KEY, (2, 3), np.float64)
    np.testing.assert_allclose(q, [[-1.624379943310435, 0.2368642382057261, -1.1424907581376795],
                                   [-0.45749973519695725, 1.6722339537543705, 0.9971597646344044]],
                               rtol=1e-12)


def test_dtypes_follow_x64_and_arguments():
    assert init.glorot_normal()(KEY, (3, 4)).dtype == np.float32
    assert init.glorot_normal(dtype=np.float32)(KEY, (3, 4), np.float32).dtype == np.float32
    with fx.config.override("enable_x64", True):
        assert init.he_uniform()(KEY, (3, 4)).dtype == np.float64
        assert init.orthogonal()(KEY, (3, 4)).dtype == np.float64


def test_initializers_jit_and_vmap_over_keys():
    f = init.glorot_uniform()
    keys = random.split(KEY, 3)
    looped = np.stack([f(k, (2, 5)) for k in keys])
    np.testing.assert_allclose(fx.jit(fx.vmap(lambda k: f(k, (2, 5))))(keys), looped, rtol=1e-6)


@pytest.mark.parametrize("call,match", [
    (lambda: init.glorot_uniform()(KEY, (5,)), "at least 2"),
    (lambda: init.variance_scaling(1.0, "fan_sum", "normal"), "mode"),
    (lambda: init.variance_scaling(1.0, "fan_in", "cauchy"), "distribution"),
    (lambda: init.orthogonal()(KEY, (4,)), "at least 2"),
])
def test_bad_settings_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
