"""Plain functions the tests share (fixtures live in tests/conftest.py)."""
import numpy as np


def numerical_grad(f, x, eps=1e-6):
    """The gradient of scalar `f` at `x` by central differences, one element at a time,
    in float64: the reference that reverse mode is checked against."""
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (float(f(x + e)) - float(f(x - e))) / (2 * eps)
    return g


def directional_derivative(f, args, tangents, eps=1e-6):
    """The derivative of `f` at `args` along `tangents` by central differences: the
    reference that forward mode (jvp) is checked against."""
    plus = f(*[a + eps * t for a, t in zip(args, tangents)])
    minus = f(*[a - eps * t for a, t in zip(args, tangents)])
    return (np.asarray(plus) - np.asarray(minus)) / (2 * eps)
