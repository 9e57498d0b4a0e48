"""preferred_element_type and precision on the products, with JAX's result dtypes and
values (recorded from JAX 0.10.2 on CPU), and has_aux with any pytree."""
import ml_dtypes
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax

_DIMS = (((1,), (0,)), ((), ()))
# (operand dtype, preferred) -> JAX's result dtype, or TypeError (JAX's MaybeUpcast rule:
# float operands may become anything; others may not narrow)
_DTYPES = [
    ("int8", None, "int8"), ("int8", "int32", "int32"), ("int8", "uint32", "uint32"),
    ("int8", "bfloat16", "bfloat16"), ("int8", "complex64", "complex64"), ("int8", "bool", TypeError),
    ("int32", "int8", TypeError), ("int32", "bfloat16", TypeError), ("int32", "float32", "float32"),
    ("uint8", "int8", "int8"), ("bfloat16", "float32", "float32"), ("bfloat16", "int16", "int16"),
    ("float16", "bool", "bool"), ("float32", "int8", "int8"), ("float32", "bfloat16", "bfloat16"),
    ("float32", "float64", "float32"), ("bool", "int32", "int32"), ("bool", "float16", "float16"),
]


@pytest.mark.parametrize("dtype, preferred, expected", _DTYPES)
def test_result_dtypes_are_jaxs(dtype, preferred, expected):
    x = jnp.ones((2, 2), dtype)
    for product in (lambda: jnp.dot(x, x, preferred_element_type=preferred),
                    lambda: lax.dot_general(x, x, _DIMS, preferred_element_type=preferred),
                    lambda: lax.dot(x, x, preferred_element_type=preferred)):
        if expected is TypeError:
            with pytest.raises(TypeError, match="narrower"):
                product()
        else:
            assert product().dtype == np.dtype(expected)


def test_values_accumulate_wide_then_convert():
    i = jnp.asarray([[100, -100], [3, 4]], jnp.int8)
    x = jnp.asarray([[1.7, -2.6], [0.3, 0.4]], jnp.float32)
    b = jnp.asarray([[True, False], [True, True]])
    cases = [  # JAX's results
        (i, "int32", [[9700, -10400], [312, -284]]),
        (i, "bfloat16", [[9728.0, -10368.0], [312.0, -284.0]]),  # rounded once
        (i, "uint32", [[9700, 4294956896], [312, 4294967012]]),
        (x, "int32", [[2, -5], [0, 0]]),  # the float32 product, truncated
        (x, "uint32", [[2, 0], [0, 0]]),
        (b, "int32", [[1, 0], [2, 1]]),
    ]
    for a, preferred, expected in cases:
        for f in (jnp.matmul, fx.jit(jnp.matmul, static_argnames="preferred_element_type")):
            out = f(a, a, preferred_element_type=preferred)
            assert out.dtype == np.dtype(preferred)
            np.testing.assert_array_equal(np.asarray(out, np.float64), expected)


def test_einsum_accumulates_in_the_preferred_type():
    a = jnp.asarray(np.arange(6).reshape(2, 3) * 20, jnp.int8)
    b = jnp.asarray(np.arange(12).reshape(3, 4) - 5, jnp.int8)
    c = jnp.asarray(np.arange(4) * 3, jnp.int8)
    out = jnp.einsum("ij,jk,k->i", a, b, c, preferred_element_type=jnp.int32)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [4320, 8640])  # JAX's (int8 would wrap)
    np.testing.assert_array_equal(jnp.einsum("ij->i", a, preferred_element_type=jnp.int32), [60, 240])
    bf = jnp.asarray(np.linspace(-1, 1, 6).reshape(2, 3), jnp.bfloat16)
    assert jnp.einsum("ij,kj->ik", bf, bf, preferred_element_type=jnp.float32).dtype == np.float32


def test_conv_preferred_element_type_follows_jaxs_rule():
    def conv(dtype, preferred):
        return lax.conv_general_dilated(jnp.ones((1, 1, 4), dtype), jnp.ones((1, 1, 2), dtype), (1,),
                                        "VALID", preferred_element_type=preferred)
    assert conv(jnp.int8, jnp.int32).dtype == np.int32
    assert conv(jnp.bfloat16, jnp.float32).dtype == np.float32
    assert conv(jnp.float16, jnp.bfloat16).dtype == ml_dtypes.bfloat16
    for dtype, preferred in (("int8", "uint32"), ("bfloat16", "int32"), ("float32", "float16")):
        with pytest.raises(TypeError, match="preferred_element_type"):
            conv(dtype, preferred)


@pytest.mark.parametrize("precision", [
    None, "highest", "float32", "high", "bfloat16_3x", "tensorfloat32", "default", "fastest",
    "bfloat16", lax.Precision.HIGHEST, ("highest", "default"),
    (lax.Precision.HIGH, lax.Precision.DEFAULT)])
def test_precision_spellings_jax_accepts(precision):
    a, b = np.arange(6.0, dtype=np.float32).reshape(2, 3), np.ones((3, 2), np.float32)
    for product in (lambda: jnp.matmul(a, b, precision=precision),
                    lambda: lax.dot(a, b, precision=precision),
                    lambda: jnp.einsum("ij,jk", a, b, precision=precision)):
        np.testing.assert_array_equal(product(), a @ b)
    out = lax.conv_general_dilated(a[None], np.ones((2, 2, 1), np.float32), (1,), "VALID",
                                   precision=precision)
    np.testing.assert_array_equal(out, np.broadcast_to(a.sum(0), (1, 2, 3)))


@pytest.mark.parametrize("precision", ["HIGHEST", "bogus", 2, ("highest",), ("a", "b")])
def test_precision_spellings_jax_refuses(precision):
    a = np.ones((2, 2), np.float32)
    for product in (lambda: jnp.dot(a, a, precision=precision),
                    lambda: jnp.einsum("ij->i", a, precision=precision),
                    lambda: lax.conv(a[None], a[None], (1,), "VALID", precision=precision)):
        with pytest.raises(ValueError, match="precision must be"):
            product()


def test_precision_enum_is_jaxs():
    assert lax.Precision("highest") is lax.Precision.HIGHEST
    assert lax.Precision("bfloat16_3x") is lax.Precision.HIGH
    assert repr(lax.Precision.HIGH) == "Precision.HIGH" and str(lax.Precision.DEFAULT) == "DEFAULT"


def test_lax_dot_takes_dimension_numbers():
    a, b = np.arange(24.0).reshape(2, 3, 4), np.arange(40.0).reshape(2, 4, 5)
    out = lax.dot(a, b, dimension_numbers=(((2,), (1,)), ((0,), (0,))))
    np.testing.assert_allclose(out, np.einsum("bij,bjk->bik", a, b), rtol=1e-6)


def _with_aux(x):
    aux = {"twice": 2 * x, "nested": [jnp.sum(x), (3, None, "label")], "host": np.ones(2)}
    return jnp.sum(x ** 2), aux


def _check_aux(aux, x):
    np.testing.assert_array_equal(aux["twice"], 2 * x)
    assert float(aux["nested"][0]) == float(np.sum(x))
    assert aux["nested"][1] == (3, None, "label")  # non-array leaves come back as they were
    assert type(aux["nested"][1][0]) is int and isinstance(aux["host"], np.ndarray)


def test_has_aux_returns_any_pytree():
    x = np.arange(3.0, dtype=np.float32)
    g, aux = fx.grad(_with_aux, has_aux=True)(x)
    np.testing.assert_array_equal(g, 2 * x)
    _check_aux(aux, x)
    (value, aux), g = fx.value_and_grad(_with_aux, has_aux=True)(x)
    assert float(value) == 5.0
    np.testing.assert_array_equal(g, 2 * x)
    _check_aux(aux, x)
    _, tangent, aux = fx.jvp(_with_aux, (x,), (np.ones(3, np.float32),), has_aux=True)
    assert float(tangent) == 6.0
    _check_aux(aux, x)
    _check_aux(fx.vjp(_with_aux, x, has_aux=True)[2], x)
    _check_aux(fx.linearize(_with_aux, x, has_aux=True)[2], x)


def test_has_aux_under_jit_and_vmap():
    def f(x):
        return jnp.sum(x ** 2), (jnp.sum(x), {"n": jnp.max(x)})
    xs = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    g, (total, extra) = fx.jit(fx.vmap(fx.grad(f, has_aux=True)))(xs)
    np.testing.assert_array_equal(g, 2 * xs)
    np.testing.assert_array_equal(total, [3.0, 12.0])
    np.testing.assert_array_equal(extra["n"], [2.0, 5.0])
