"""complex64 and complex128: arithmetic and functions (eager against NumPy, native code
against eager within a measured error), JAX's differentiation conventions (holomorphic
derivatives, real-valued functions of complex inputs, vjp without conjugation) checked
against finite differences in complex128."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp


def _z(n=64, seed=0, scale=2.0, dtype=np.complex128):
    rng = np.random.default_rng(seed)
    return ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * scale).astype(dtype)


UNARY = {
    "negative": np.negative, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "tanh": np.tanh, "expm1": np.expm1, "log1p": np.log1p, "abs": np.abs,
    "conj": np.conj, "real": np.real, "imag": np.imag, "square": np.square, "reciprocal": np.reciprocal,
    "sign": np.sign, "angle": np.angle, "arcsinh": np.arcsinh, "arccosh": np.arccosh,
    "arctanh": np.arctanh, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "exp2": np.exp2,
}
BINARY = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
          "power": np.power, "equal": np.equal}
# native code against NumPy, in units of epsilon relative to |result|. Measured worst
# cases on 20,000 values (|z| ~ 3), complex64 / complex128: exp 1.2/1.8, log 1.8/2.2,
# sqrt 1.0/1.4, sin 1.4/1.9, cos 1.1/1.8, tan 2.3/3.3, tanh 1.9/3.0, expm1 2.6/3.0,
# log1p 2.0/10.6 (NumPy's own log(1 + z) is the larger error), divide 1.5/1.0,
# power 9.2/15.3 (exp(w log z) scales log's error by |w log z|), abs 1.1/1.5; and at
# |z| ~ 0.001, 0.3, 3 and 100: arcsinh 1.9/2.8, arccosh 1.7/1.9, arctanh 1.7/3.0, arcsin
# 2.3/2.8, arccos 3.4/3.8, arctan 1.7/2.8
ULPS = {"tan": 6, "tanh": 6, "power": 32, "log1p": 16, "expm1": 6, "sin": 4, "cos": 4, "exp": 4,
        "log": 4, "divide": 3, "sqrt": 3, "reciprocal": 3, "arcsinh": 4, "arccosh": 4,
        "arctanh": 4, "arcsin": 4, "arccos": 6, "arctan": 4, "sinh": 4, "cosh": 4, "exp2": 4}


@pytest.mark.parametrize("name", sorted(UNARY) + sorted(BINARY))
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_eager_and_native_match_numpy(name, dtype, x64):
    z, w = _z(dtype=dtype), _z(seed=1, dtype=dtype)
    args = (z,) if name in UNARY else (z, w)
    want = (UNARY.get(name) or BINARY[name])(*args)
    f = getattr(jnp, name)
    eps = np.finfo(dtype).eps
    for got in (f(*args), fx.jit(f)(*args)):
        got = np.asarray(got)
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        if want.dtype == bool:
            np.testing.assert_array_equal(got, want)
        else:
            err = np.abs(got - want) / np.maximum(np.abs(want), np.finfo(dtype).tiny)
            assert err.max() <= ULPS.get(name, 2) * eps, (name, err.max() / eps)


def test_native_code_at_edges():
    z = np.array([0, -0.0, 1e-30 + 1e-30j, 1e30 - 1e30j, 50 + 1j, -50 - 1j, 1j, -1, 3.4e38,
                  1e-45j], np.complex64)
    for name in ("exp", "log", "sqrt", "tanh", "abs", "sign", "expm1", "log1p"):
        with np.errstate(all="ignore"):
            want = UNARY[name](z)
        if name == "log1p":  # NumPy's is log(1 + z), which loses a tiny z's real part
            want[2] = z[2] - z[2] ** 2 / 2
        got = np.asarray(fx.jit(getattr(jnp, name))(z))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-37, err_msg=name)


def test_reductions_products_and_data_movement(x64):
    z = _z(24).reshape(4, 6)
    w = _z(24, seed=2).reshape(6, 4)
    cases = [lambda a, b: jnp.sum(a, axis=1), lambda a, b: jnp.prod(a[:, :3], axis=0),
             lambda a, b: jnp.mean(a), lambda a, b: jnp.cumsum(a, axis=1), lambda a, b: a @ b,
             lambda a, b: jnp.vdot(a, b.T), lambda a, b: jnp.einsum("ij,jk->ik", a, b),
             lambda a, b: jnp.concatenate([a, b.T]).T[::2], lambda a, b: a.at[1, 2].add(b[0, 0]),
             lambda a, b: jnp.where(jnp.abs(a) > 2, a, 0), lambda a, b: jnp.var(a),
             lambda a, b: a.astype(jnp.complex64), lambda a, b: jnp.real(a).astype(jnp.complex128) * 1j]
    for f in cases:
        want = np.asarray(f(jnp.asarray(z), jnp.asarray(w)))
        got = np.asarray(fx.jit(f)(z, w))
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(jnp.vdot(z, z), np.vdot(z, z), rtol=1e-13)  # conjugates its first


def test_promotion_with_python_complex():
    x = jnp.ones(3, jnp.float32)
    assert (x * 1j).dtype == np.complex64 and (1j * x).dtype == np.complex64
    assert (jnp.ones(3, jnp.float16) + 2j).dtype == np.complex64
    assert jnp.asarray(1 + 2j).dtype == np.complex64
    assert (jnp.zeros(2, jnp.complex64) + jnp.zeros(2, jnp.float64)).dtype == np.complex64  # x32
    np.testing.assert_array_equal(jnp.real(x + 2j), x)
    np.testing.assert_array_equal(jnp.imag(x), 0)


# ---------------------------------------------------------------------------- differentiation

H = 1e-6


def _holomorphic_fd(f, z):
    return (f(z + H) - f(z - H)) / (2 * H)


@pytest.mark.parametrize("f", [lambda z: z ** 3, jnp.exp, jnp.sin, jnp.log, jnp.sqrt, jnp.tanh,
                               lambda z: 1 / (z + 2j), lambda z: jnp.exp(z) * jnp.cos(z)],
                         ids=["cube", "exp", "sin", "log", "sqrt", "tanh", "inverse", "product"])
def test_holomorphic_derivatives_match_finite_differences(x64, f):
    z = _z(8, scale=0.8)
    want = np.asarray(_holomorphic_fd(lambda v: np.asarray(f(jnp.asarray(v))), z))
    for g in (fx.grad(lambda v: f(v), holomorphic=True), fx.jit(fx.grad(lambda v: f(v), holomorphic=True))):
        got = np.array([complex(g(v)) for v in z[:3]])
        np.testing.assert_allclose(got, want[:3], rtol=1e-7)
    for jac in (fx.jacfwd(f, holomorphic=True), fx.jacrev(f, holomorphic=True)):
        np.testing.assert_allclose(np.diag(np.asarray(jac(z))), want, rtol=1e-7)
    # vjp without conjugation: the cotangent times f'(z)
    _, pullback = fx.vjp(f, z)
    ct = _z(8, seed=5)
    np.testing.assert_allclose(pullback(ct)[0], ct * want, rtol=1e-7)


@pytest.mark.parametrize("f", [lambda z: jnp.abs(z) ** 2, lambda z: jnp.real(z * jnp.exp(z)),
                               lambda z: jnp.abs(jnp.sin(z)), lambda z: jnp.imag(jnp.log(z)) * jnp.real(z)],
                         ids=["abs2", "re_zexp", "abs_sin", "arg_times_re"])
def test_real_valued_functions_of_complex_inputs(x64, f):
    """JAX's convention: grad f = df/dx - i df/dy at z = x + iy (grad |z|^2 = 2 conj z)."""
    z = _z(4, scale=0.7)
    loss = lambda v: jnp.sum(f(v))  # noqa: E731
    value = lambda v: float(loss(jnp.asarray(v)))  # noqa: E731
    want = np.array([(value(z + H * e) - value(z - H * e)) / (2 * H)
                     - 1j * (value(z + 1j * H * e) - value(z - 1j * H * e)) / (2 * H)
                     for e in np.eye(len(z))])
    for g in (fx.grad(loss), fx.jit(fx.grad(loss)), fx.grad(fx.jit(loss))):
        np.testing.assert_allclose(g(z), want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fx.grad(lambda v: jnp.abs(v) ** 2)(3 + 4j), 6 - 8j)


def test_the_holomorphic_flag_is_checked():
    z = jnp.asarray(_z(3, dtype=np.complex64))
    with pytest.raises(TypeError, match="real-valued outputs.*holomorphic=True"):
        fx.grad(lambda v: jnp.sum(v * v))(z)
    with pytest.raises(TypeError, match="holomorphic=True requires inputs with complex dtype"):
        fx.grad(lambda v: jnp.sum(v), holomorphic=True)(jnp.ones(3))
    with pytest.raises(TypeError, match="holomorphic=True requires outputs with complex dtype"):
        fx.grad(lambda v: jnp.sum(jnp.abs(v)), holomorphic=True)(z)
    with pytest.raises(TypeError, match="jacfwd.*real-valued inputs.*holomorphic=True"):
        fx.jacfwd(jnp.sin)(z)
    with pytest.raises(TypeError, match="jacrev.*real-valued outputs"):
        fx.jacrev(jnp.sin)(z)
    hessian = fx.hessian(lambda v: jnp.sum(v ** 3), holomorphic=True)(z)
    np.testing.assert_allclose(np.diag(np.asarray(hessian)), 6 * np.asarray(z), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("shape", [(3, 4, 5), (96, 80, 64)], ids=["loops", "cgemm"])  # below/above BLAS
def test_products_call_the_complex_gemm(x64, dtype, shape):
    m, k, n = shape
    a, b = _z(m * k, dtype=dtype).reshape(m, k), _z(k * n, seed=3, dtype=dtype).reshape(k, n)
    want = a.astype(np.complex128) @ b
    eps = np.finfo(dtype).eps
    for f in (lambda x, y: x @ y, lambda x, y: (y.T @ x.T).T, lambda x, y: jnp.stack([x, x]) @ y):
        got = np.asarray(fx.jit(f)(a, b))
        assert got.dtype == dtype
        np.testing.assert_allclose(got.reshape(-1, m, n)[0], want, rtol=0, atol=8 * k * eps * np.abs(want).max())
    assert np.asarray(fx.jit(lambda x: x.T.conj() @ x)(a)).imag.diagonal().max() <= 8 * m * eps * m


def test_gradient_through_a_complex_product(x64):
    """A real loss of a complex matrix product, against finite differences."""
    a, b = _z(12, scale=0.5).reshape(3, 4), _z(8, seed=4, scale=0.5).reshape(4, 2)
    loss = lambda x: jnp.sum(jnp.abs(jnp.tanh(x @ b)) ** 2)  # noqa: E731
    g = fx.jit(fx.grad(loss))(a)
    value = lambda x: float(loss(jnp.asarray(x)))  # noqa: E731
    for i, j in [(0, 0), (2, 3), (1, 2)]:
        e = np.zeros_like(a)
        e[i, j] = 1
        want = (value(a + H * e) - value(a - H * e)) / (2 * H) - 1j * (value(a + 1j * H * e) - value(a - 1j * H * e)) / (2 * H)
        np.testing.assert_allclose(g[i, j], want, rtol=1e-6)


def test_real_inputs_differentiate_through_complex_intermediates(x64):
    """A real x promoted to complex keeps its tangent: d/dx |x (1 + 2i)|^2 = 10 x."""
    x = np.linspace(-1, 1, 5)
    for g in (fx.grad(lambda v: jnp.sum(jnp.abs(v * (1 + 2j)) ** 2)),
              fx.jit(fx.grad(lambda v: jnp.sum(jnp.abs(v.astype(jnp.complex128) * (1 + 2j)) ** 2)))):
        np.testing.assert_allclose(g(x), 10 * x, rtol=1e-12)
    _, tangent = fx.jvp(lambda v: v.astype(jnp.complex128) * 1j, (x,), (np.ones(5),))
    np.testing.assert_array_equal(tangent, 1j * np.ones(5))


def test_complex_normal_gives_jaxs_values():
    """Independent parts of variance 1/2, from split keys (golden values from jax 0.10.2)."""
    z = fx.random.normal(fx.random.PRNGKey(0), (4,), jnp.complex64)
    assert z.dtype == np.complex64
    np.testing.assert_allclose(z, [0.70994526 - 1.727077j, -0.6408772 - 1.4394435j,
                                   -0.52903765 + 0.14534172j, -0.82828146 - 0.24999774j], rtol=1e-6)
    big = fx.random.normal(fx.random.PRNGKey(1), (20000,), jnp.complex64)
    np.testing.assert_allclose([np.var(np.asarray(big).real), np.var(np.asarray(big).imag)], 0.5, rtol=0.05)


def test_complex_numbers_sort_lexicographically():
    """By real part, then imaginary part; NaNs last (lax.sort splits a complex key in two)."""
    z = np.array([2 + 1j, 1 + 5j, 2 - 3j, 1 + 5j, np.nan + 0j, -1j, 1 - 1j, 3j], np.complex64)
    for sort in (jnp.sort, fx.jit(jnp.sort)):
        np.testing.assert_array_equal(sort(z), np.sort(z))
    for argsort in (jnp.argsort, fx.jit(jnp.argsort)):
        np.testing.assert_array_equal(argsort(z), np.argsort(z, kind="stable"))
    keys, values = fx.lax.sort((z, np.arange(8)), num_keys=1)
    np.testing.assert_array_equal(values, np.argsort(z, kind="stable"))


def _tied(shape, seed=0):
    """complex64 values whose real parts repeat (small integers), so that the order of
    the imaginary parts decides: lexicographic and real-part-only orders differ."""
    rng = np.random.default_rng(seed)
    return (rng.integers(-2, 3, shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


EXTREMA = {  # fx function of an (n, 6) array, NumPy's lexicographic reference
    "max": (lambda z: jnp.max(z, axis=1), lambda z: np.max(z, axis=1)),
    "min": (lambda z: jnp.min(z, axis=0), lambda z: np.min(z, axis=0)),
    "maximum": (lambda z: jnp.maximum(z, z[::-1]), lambda z: np.maximum(z, z[::-1])),
    "cummax": (lambda z: fx.lax.cummax(z, 1), lambda z: np.maximum.accumulate(z, 1)),
    "cummin": (lambda z: fx.lax.cummin(z, 0, reverse=True),
               lambda z: np.minimum.accumulate(z[::-1], 0)[::-1]),
    "window_max": (lambda z: fx.lax.reduce_window(z, -np.inf + 0j, fx.lax.max, (1, 3), (1, 1), "VALID"),
                   lambda z: np.stack([np.max(z[:, k:k + 3], 1) for k in range(4)], 1)),
    "scatter_min": (lambda z: z[0].at[np.array([1, 1, 4])].min(z[1, :3]),
                    lambda z: np.array([z[0, 0], min(z[0, 1], z[1, 0], z[1, 1], key=lambda v: (v.real, v.imag)),
                                        *z[0, 2:4], min(z[0, 4], z[1, 2], key=lambda v: (v.real, v.imag)), z[0, 5]])),
    "clamp": (lambda z: fx.lax.clamp(np.complex64(-1 + 0j), z, np.complex64(1 + 0.5j)),
              lambda z: np.minimum(np.maximum(z, -1 + 0j), 1 + 0.5j)),
}


@pytest.mark.parametrize("name", sorted(EXTREMA))
def test_extrema_order_complex_numbers_lexicographically(name):
    """As in JAX and NumPy: by real part, then by imaginary part; eager, jit and vmap."""
    f, reference = EXTREMA[name]
    z = _tied((8, 6))
    want = reference(z)
    for g in (f, fx.jit(f)):
        np.testing.assert_array_equal(g(jnp.asarray(z)), want)
    batched = fx.vmap(f)(np.stack([z, z[::-1]]))
    np.testing.assert_array_equal(batched[1], reference(z[::-1]))
    # the ties mattered: ordering equal real parts the other way changes the answer
    assert not np.array_equal(want, np.conj(reference(np.conj(z))))


def test_complex_comparisons_are_lexicographic():
    """jnp's comparisons order complex numbers as JAX's do (lax.lt refuses them)."""
    z, w = _tied(64), _tied(64, seed=1)
    z[:3], w[:3] = np.nan, [1 + 1j, np.nan, 1 + 0j]
    with np.errstate(invalid="ignore"):  # NumPy warns of the NaNs
        wants = {name: getattr(np, name)(z, w) for name in ("less", "less_equal", "greater", "greater_equal")}
        above_one = np.greater(z, 1)
    for name, want in wants.items():
        for f in (getattr(jnp, name), fx.jit(getattr(jnp, name))):
            np.testing.assert_array_equal(f(z, w), want)
    np.testing.assert_array_equal(jnp.asarray(z) > 1, above_one)
    with pytest.raises(TypeError, match="lt does not accept c64"):
        fx.lax.lt(z, w)


def test_extrema_gradients_pick_the_lexicographic_extremum():
    """The gradient flows to the element lexicographically largest (max and cummax: values
    from jax 0.10.2; JAX cannot differentiate a complex window max, which fx can)."""
    z = np.array([1 + 2j, 1 + 3j, 0 + 9j, 1 - 1j, 3 + 0j, 3 - 5j], np.complex64)
    for f in (lambda z: jnp.max(z).real, fx.jit(lambda z: jnp.max(z).real)):
        np.testing.assert_array_equal(fx.grad(f)(z), [0, 0, 0, 0, 1, 0])
    cummax_sum = lambda z: fx.lax.cummax(z).real.sum()  # noqa: E731
    np.testing.assert_array_equal(fx.grad(cummax_sum)(z[:3].copy() * np.array([1, 1, 0])), [1, 2, 0])
    window = lambda z: fx.lax.reduce_window(z, -np.inf + 0j, fx.lax.max, (2,), (1,), "VALID").real.sum()  # noqa: E731
    np.testing.assert_array_equal(fx.grad(window)(z), [0, 2, 0, 1, 2, 0])


def test_nan_wins_complex_extrema():
    """A NaN part makes max/min NaN, as for real numbers and in NumPy (XLA's answer depends
    on the order it visits the elements)."""
    z = np.array([1 + 2j, np.nan + 0j, 3 + 0j, 1j * np.nan], np.complex64)
    for f in (jnp.max, fx.jit(jnp.max), jnp.min, fx.jit(jnp.min)):
        assert np.isnan(complex(f(z)))
    assert np.isnan(fx.jit(jnp.maximum)(z, z[::-1])).all()


def test_unordered_complex_operations_raise_as_in_jax():
    z = _tied(6)
    for f, name in [(jnp.argmax, "argmax"), (jnp.argmin, "argmin"), (lambda z: fx.lax.top_k(z, 2), "top_k")]:
        with pytest.raises(TypeError, match=f"{name} does not accept c64"):
            f(z)
    with pytest.raises(ValueError, match="complex numbers have no order"):
        jnp.clip(z, -1, 1)
