"""Errors users meet: each names what was expected, what was given, and where."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax


def test_python_if_on_traced_value_points_at_user_line():
    def f(x):
        if x > 0:  # the line the error must show
            return x
        return -x
    with pytest.raises(fx.ConcretizationTypeError) as info:
        fx.jit(f)(1.0)
    msg = str(info.value)
    assert "bool()" in msg and "jit(f)" in msg
    assert "if x > 0:" in msg and "test_errors.py" in msg
    assert "static_argnums" in msg and "lax.cond" in msg


@pytest.mark.parametrize("use", [int, float, lambda x: np.asarray(x), lambda x: jnp.zeros(x)])
def test_concretization_errors(use):
    with pytest.raises(TypeError, match="traced"):
        fx.jit(lambda x: use(x))(3)


def test_python_control_flow_works_under_grad_without_jit():
    f = lambda x: x * x if x > 0 else -x  # noqa: E731
    assert float(fx.grad(f)(3.0)) == 6.0
    assert float(fx.grad(f)(-3.0)) == -1.0


def test_escaped_tracer_is_reported_when_used():
    saved = []
    fx.jit(lambda x: saved.append(x) or x)(1.0)
    with pytest.raises(fx.UnexpectedTracerError, match="escaped from jit"):
        saved[0] + 1
    saved.clear()
    fx.grad(lambda x: saved.append(x) or x)(1.0)
    with pytest.raises(fx.UnexpectedTracerError, match="escaped"):
        jnp.sin(saved[0])


def test_grad_of_non_scalar_output():
    with pytest.raises(TypeError, match=r"scalar-output.*\(3,\)"):
        fx.grad(lambda x: x * 2)(jnp.ones(3))


def test_grad_of_integer_input():
    with pytest.raises(TypeError, match="int32"):
        fx.grad(lambda x: x * 2.0)(1)
    assert fx.grad(lambda x, n: x * n)(2.0, 3) == 3.0  # only argnums are checked


def test_vmap_inconsistent_sizes():
    with pytest.raises(ValueError, match="inconsistent sizes") as info:
        fx.vmap(lambda x, y: x + y)(jnp.ones(3), jnp.ones(4))
    assert "size 3" in str(info.value) and "size 4" in str(info.value)


def test_vmap_bad_axes():
    with pytest.raises(ValueError, match="out of bounds"):
        fx.vmap(jnp.sum, in_axes=2)(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match="in_axes"):
        fx.vmap(lambda x, y: x, in_axes=(0,))(jnp.ones(2), jnp.ones(2))


def test_jvp_structure_and_shape_mismatch():
    with pytest.raises(ValueError, match="tree structure"):
        fx.jvp(lambda x, y: x, (1.0, 2.0), (1.0,))
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(4,\) but its primal has shape \(3,\)"):
        fx.jvp(jnp.sin, (jnp.ones(3),), (jnp.ones(4),))
    with pytest.raises(TypeError, match="tangent 0 has dtype int32 but its primal has dtype float32"):
        fx.jvp(jnp.sin, (jnp.ones(3),), (jnp.ones(3, jnp.int32),))


def test_lax_shape_and_dtype_errors():
    with pytest.raises(TypeError, match="equal shapes"):
        lax.add(jnp.ones(3), jnp.ones(4))
    with pytest.raises(TypeError, match="equal dtypes"):
        lax.add(jnp.ones(3, jnp.float32), jnp.ones(3, jnp.int32))
    with pytest.raises(TypeError, match="floating"):
        lax.exp(jnp.ones(3, jnp.int32))
    with pytest.raises(ValueError, match="broadcast"):
        jnp.ones(3) + jnp.ones(4)


def test_missing_rule_names_primitive_and_transform():
    from fx.core import Primitive
    p = Primitive("test_only_no_rules")
    p.impl = lambda x: x
    p.abstract_eval = lambda x: x
    with pytest.raises(NotImplementedError, match="differentiation.*test_only_no_rules"):
        fx.grad(lambda x: p.bind(x))(1.0)
    with pytest.raises(NotImplementedError, match="batching.*test_only_no_rules"):
        fx.vmap(lambda x: p.bind(x))(jnp.ones(2))
    from fx.core import primitives
    del primitives["test_only_no_rules"]


def test_invalid_values_into_numpy_functions():
    with pytest.raises(TypeError, match="expected an array or a number, got str 'hello'"):
        jnp.sin("hello")
    with pytest.raises(TypeError, match="cannot convert"):
        jnp.asarray([object()])


@pytest.mark.parametrize("fun", [lambda v: np.exp(v) * v, np.sin, lambda v: np.asarray(v).sum() * v])
def test_numpy_function_on_tracer_raises_even_when_its_value_is_known(fun):
    """Under grad without jit a tracer's value is known, but NumPy would treat it as a
    constant and drop its derivative: JAX's TracerArrayConversionError, not a wrong number."""
    with pytest.raises(fx.errors.TracerArrayConversionError, match=r"fx\.numpy.*") as info:
        fx.grad(fun)(1.0)
    assert "vjp(" in str(info.value) and "test_errors.py" in str(info.value)
    with pytest.raises(fx.errors.TracerArrayConversionError, match="vmap"):
        fx.vmap(fun)(jnp.ones(2))


@pytest.mark.parametrize("convert", [float, complex])
def test_float_of_a_tracer_raises_even_under_grad(convert):
    """float(x) * x under grad would differentiate as if float(x) were a constant (JAX
    raises too); int() and bool() stay usable, their results being piecewise constant."""
    with pytest.raises(fx.errors.ConcretizationTypeError, match="derivative would silently"):
        fx.grad(lambda x: convert(x) * x)(3.0)
    assert float(fx.grad(lambda x: int(x) * x)(3.0)) == 3.0
    with pytest.raises(fx.errors.TracerArrayConversionError):
        fx.grad(lambda x: x.tolist() * x)(3.0)


def test_error_classes_follow_jax():
    e = fx.errors
    for cls in (e.ConcretizationTypeError, e.TracerArrayConversionError, e.UnexpectedTracerError,
                e.TracerIntegerConversionError, e.TracerBoolConversionError):
        assert issubclass(cls, TypeError)
    assert issubclass(e.TracerBoolConversionError, e.ConcretizationTypeError)
    assert fx.ConcretizationTypeError is e.ConcretizationTypeError
    with pytest.raises(e.TracerBoolConversionError, match="bool"):
        fx.jit(lambda x: x if x else -x)(1.0)
    with pytest.raises(e.TracerIntegerConversionError, match="__index__"):
        fx.jit(lambda i: [1.0, 2.0][i])(1)


def test_concrete_arrays_still_convert_without_a_copy():
    x = jnp.arange(6.0)
    assert np.asarray(x) is np.asarray(x)  # the buffer itself, not a copy
    assert float(np.sin(x).sum()) == pytest.approx(np.sin(np.arange(6.0)).sum())
