"""Regression: lowering computes an expression once when it is materialised twice, but an
expression of the loop indices alone (an iota plus a broadcast scalar) is the same text
over iteration spaces of different sizes; the memo must tell them apart, or the larger
result silently gets the smaller one's buffer."""
import numpy as np

import fx
from fx import lax


def _chain(k, n):
    x0 = lax.full((n,), 0.0, np.float32) + k
    x1 = lax.iota(np.float32, n) + k
    for _ in range(4):
        x0 = x0 + x1
        x1 = x1 * x0
    return x0


def test_same_expression_at_two_sizes():
    f = lambda k: (_chain(k, 4), _chain(k, 8))  # noqa: E731
    small, large = fx.jit(f)(np.float32(0.5))
    with fx.disable_jit():
        expected_small, expected_large = f(np.float32(0.5))
    assert large.shape == (8,) and np.asarray(large).size == 8
    np.testing.assert_array_equal(small, expected_small)
    np.testing.assert_array_equal(large, expected_large)
