"""The jaxpr IR: printing, type checking and the simple passes."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.ir.jaxpr import ClosedJaxpr, Eqn, Jaxpr, Var
from fx.ir.passes import cse, dce, inline_jit_calls
from fx.ir.typecheck import JaxprTypeError, check_jaxpr
from fx.lax.elementwise import sin_p


def test_printer_reads_like_jax():
    jaxpr = fx.make_jaxpr(jnp.sin)(np.ones(3, np.float32))
    assert str(jaxpr) == "{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }"


def test_printer_multiline_with_literals_consts_and_params():
    c = fx.numpy.asarray(np.arange(3.0, dtype=np.float32))
    text = str(fx.make_jaxpr(lambda x: (jnp.exp(x) * 2.0 + c).sum())(np.ones(3, np.float32)))
    assert text.startswith("{ lambda a:f32[3]; b:f32[3]. let\n")
    assert "mul" in text and "2.0:f32[]" in text and "reduce_sum[axes=(0,)]" in text
    assert text.rstrip().endswith("in (g,) }") or "in (" in text.splitlines()[-1]


def test_printer_nests_jit():
    inner = fx.jit(jnp.sin)
    text = str(fx.make_jaxpr(lambda x: inner(x) * 2)(1.0))
    assert "jit[" in text and "name=sin" in text and "{ lambda ; " in text.split("jaxpr=")[1]


def test_typecheck_accepts_transformed_and_rejects_broken_jaxprs():
    closed = fx.make_jaxpr(fx.grad(lambda x: jnp.sum(jnp.tanh(x) * x)))(np.ones(4, np.float32))
    check_jaxpr(closed)
    a = Var(fx.core.ShapedArray((3,), np.float32))
    wrong = Var(fx.core.ShapedArray((4,), np.float32))
    with pytest.raises(JaxprTypeError, match="sin"):
        check_jaxpr(Jaxpr([], [a], [wrong], [Eqn(sin_p, [a], [wrong], {})]))
    b = Var(a.aval)
    with pytest.raises(JaxprTypeError, match="before it is defined"):
        check_jaxpr(Jaxpr([], [a], [b], [Eqn(sin_p, [b], [Var(a.aval)], {})]))


def test_dce_drops_unused_equations_and_consts():
    c = fx.numpy.asarray(np.ones(3, np.float32))
    closed = fx.make_jaxpr(lambda x: (jnp.cos(x) + c, jnp.sin(x))[1])(np.ones(3, np.float32))
    assert len(closed.eqns) == 3
    pruned = dce(closed)
    assert [e.prim.name for e in pruned.eqns] == ["sin"] and pruned.consts == []
    check_jaxpr(pruned)


def test_cse_merges_identical_equations():
    closed = fx.make_jaxpr(lambda x: jnp.sin(x) * jnp.sin(x))(np.ones(3, np.float32))
    merged = cse(closed)
    assert [e.prim.name for e in merged.eqns] == ["sin", "mul"]
    x = np.linspace(0, 1, 3, dtype=np.float32)
    from fx.ir.jaxpr import jaxpr_as_fun
    np.testing.assert_allclose(jaxpr_as_fun(merged)(x)[0], np.sin(x) ** 2, rtol=1e-6)


def test_inline_flattens_nested_jit_calls():
    inner = fx.jit(lambda x: jnp.exp(x) + 1.0)
    outer = fx.jit(lambda x: inner(inner(x)))
    closed = outer.trace_jaxpr(np.ones(2, np.float32))
    flat = inline_jit_calls(closed)
    assert "jit" not in [e.prim.name for e in flat.eqns]
    check_jaxpr(flat)
    from fx.ir.jaxpr import jaxpr_as_fun
    x = np.array([0.1, 0.2], np.float32)
    np.testing.assert_allclose(jaxpr_as_fun(flat)(x)[0], np.exp(np.exp(x) + 1) + 1, rtol=1e-6)


def test_closed_jaxpr_exposes_avals():
    closed = fx.make_jaxpr(lambda x, y: (x + y, x > y))(1.0, 2.0)
    assert isinstance(closed, ClosedJaxpr)
    assert [a.str_short() for a in closed.in_avals] == ["f32[]", "f32[]"]
    assert [a.str_short() for a in closed.out_avals] == ["f32[]", "bool[]"]
