"""Every equation records the user's line that staged it; jvp, vmap and transposition
carry it to the equations they derive (transposition marks them); jaxprs and kernel
programs print it, and compile-time errors name it."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.core import Primitive, ShapedArray

W, X = np.ones((3, 2), np.float32), np.ones((4, 3), np.float32)
HERE = "test_source_info.py"


def loss(w, x):
    h = jnp.tanh(x @ w)
    return jnp.sum(h / x.sum())


def line_of(text):
    import inspect
    source, first = inspect.getsourcelines(loss)
    return first + next(i for i, line in enumerate(source) if text in line)


def test_jaxpr_equations_name_the_users_line():
    text = fx.make_jaxpr(loss)(W, X).pretty_print(source_info=True)
    matmul, div = line_of("jnp.tanh"), line_of("x.sum()")
    assert f"tanh c  # {HERE}:{matmul} loss()" in text
    assert f"div d f  # {HERE}:{div} loss()" in text
    assert "#" not in str(fx.make_jaxpr(loss)(W, X))  # off by default


@pytest.mark.parametrize("transform", ["grad", "jit_of_grad", "grad_of_jit"])
def test_transposition_marks_the_backward_pass(transform):
    f = {"grad": fx.grad(loss), "jit_of_grad": fx.jit(fx.grad(loss)),
         "grad_of_jit": fx.grad(fx.jit(loss))}[transform]
    text = fx.make_jaxpr(f)(W, X).pretty_print(source_info=True)
    assert f"# transpose of {HERE}:{line_of('x.sum()')} loss()" in text
    assert f"# transpose of {HERE}:{line_of('jnp.tanh')} loss()" in text
    forward = [line for line in text.splitlines() if "tanh" in line and "=" in line]
    assert forward and forward[0].endswith(f"# {HERE}:{line_of('jnp.tanh')} loss()")


def test_vmap_of_a_jitted_function_keeps_its_lines():
    text = fx.make_jaxpr(fx.vmap(fx.jit(loss), in_axes=(None, 0)))(W, np.stack([X, X])).pretty_print(source_info=True)
    assert f"{HERE}:{line_of('jnp.tanh')} loss()" in text


def test_kernel_statements_list_the_lines_they_compute():
    text = fx.jit(fx.grad(loss)).lower(W, X).as_text("kernels", debug_info=True)
    gemms = [line for line in text.splitlines() if line.startswith("gemm")]
    assert gemms[0].endswith(f"# {HERE}:{line_of('jnp.tanh')} loss()")
    assert any(f"transpose of {HERE}:{line_of('jnp.tanh')} loss()" in g for g in gemms[1:])
    assert "#" not in fx.jit(fx.grad(loss)).lower(W, X).as_text("kernels")  # not in the cache key


def test_compile_errors_name_the_line():
    unlowerable = Primitive("test_unlowerable_op")
    unlowerable.impl = lambda x: x
    unlowerable.abstract_eval = lambda x: ShapedArray(x.shape, x.dtype)

    def f(x):
        return unlowerable.bind(x) + 1
    with pytest.raises(Exception, match=rf"no lowering to the kernel program \(from {HERE}:\d+ f\(\)\)"):
        fx.jit(f)(X)
    from fx.core import primitives
    del primitives["test_unlowerable_op"]
