"""Random fused programs: each compiling backend against the interpreter.

Hypothesis builds small programs from elementwise ops, broadcasts, transposes, slices,
reversals, reductions and matrix products over a couple of inputs, so that fusion,
index maps, materialisation decisions and the buffer plan meet in combinations no
hand-written test would try.
"""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fx
import fx.numpy as jnp

UNARY = [jnp.tanh, jnp.exp, lambda x: x * 2.0 + 1.0, jnp.abs, lambda x: jnp.maximum(x, 0.0),
         lambda x: jnp.where(x > 0, x, -x * 0.5), jnp.sin]
BINARY = [jnp.add, jnp.subtract, jnp.multiply, jnp.maximum, lambda a, b: a / (1.0 + b * b)]


def _layout(x, choice):
    """A shape-changing view of a 2-D value that keeps it 2-D."""
    if choice == 0:
        return x.T
    if choice == 1:
        return x[::-1]
    if choice == 2:
        return jnp.concatenate([x[:, 1:], x[:, :1]], axis=1)
    return jnp.reshape(x, x.shape)


@st.composite
def programs(draw):
    steps = draw(st.lists(st.tuples(st.sampled_from(["unary", "binary", "layout", "reduce",
                                                     "dot", "broadcast"]),
                                    st.integers(0, 6), st.integers(0, 3)),
                          min_size=1, max_size=7))

    def program(a, b):
        values = [a, b]
        for kind, i, j in steps:
            x, y = values[-1], values[-2]
            if kind == "unary":
                out = UNARY[i % len(UNARY)](x)
            elif kind == "binary":
                out = BINARY[i % len(BINARY)](x, y if y.shape == x.shape else y.T)
            elif kind == "layout":
                out = _layout(x, j)
            elif kind == "reduce":
                reduced = [jnp.sum, jnp.max, jnp.min][i % 3](x, axis=j % 2, keepdims=True)
                out = x - reduced  # a reduction broadcast back against its input
            elif kind == "dot":
                out = (x @ (y if y.shape == x.shape[::-1] else y.T)) * 0.1
                out = out if out.shape == x.shape else out @ x * 0.1
            else:
                out = x[:, :1] * jnp.ones_like(x) + x[:1, :]
            values.append(out if out.shape == a.shape else out.T)
        return values[-1], jnp.sum(values[-1] * values[-1], axis=0)
    return program


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.integers(0, 2 ** 31 - 1))
def test_random_programs_match_the_interpreter(backend, program, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(-2, 2, (4, 4)) for _ in range(2))
    with fx.config.override("enable_x64", True):
        want = fx.jit(program, backend="interpreter")(a, b)
        got = fx.jit(program, backend=backend)(a, b)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-11, atol=1e-11)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(programs(), st.integers(0, 2 ** 31 - 1))
def test_random_programs_differentiate_the_same(backend, program, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(-2, 2, (4, 4)) for _ in range(2))
    loss = lambda a, b: jnp.sum(program(a, b)[1])  # noqa: E731
    with fx.config.override("enable_x64", True):
        want = fx.jit(fx.grad(loss, argnums=(0, 1)), backend="interpreter")(a, b)
        got = fx.jit(fx.grad(loss, argnums=(0, 1)), backend=backend)(a, b)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)
