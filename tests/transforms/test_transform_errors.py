"""Generated bad-input calls to the transforms, control flow and pytree functions.

Each target is called with good arguments except one, replaced by a value from a pool of
bad and edge inputs (None, strings, objects, floats, negative and huge ints, wrong tuples,
dicts, arrays where a function belongs, functions where an array belongs). A call may
succeed (some pool values are valid somewhere) or raise a TypeError/ValueError/IndexError
on purpose: from a `raise` statement in fx (OverflowError too, for a Python int too large
for its dtype, as in JAX), from the user's function itself (a pool value reaching it), or
Python's arity error for a user function called with the wrong number of arguments. An
AttributeError, a KeyError, or a TypeError raised by an operation inside fx ("'<' not
supported", "not iterable") fails.

The test runs a fixed-seed sample; `python tests/transforms/test_transform_errors.py` runs every
combination and prints the counts.
"""
import dis
import os
import random
import re
import sys

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax, tree_util

FX_DIR = os.path.dirname(os.path.abspath(fx.__file__))

POOL = {
    "None": None, "str": "abc", "object": object(), "float": 1.5, "neg": -7, "huge": 2 ** 40,
    "bool": True, "empty_tuple": (), "tuple3": (0, 0, 0), "dict": {"a": 0}, "list": [0, "x"],
    "ndarray": np.ones(3), "matrix": np.ones((2, 2)), "int_array": jnp.arange(3),
    "func": lambda x: x, "func2": lambda a, b: a, "nan": float("nan"),
}


def _sq(x):
    return jnp.sum(x * x)


def _pair(x):
    return _sq(x), x


def _call(fun, *args):
    return fun(*args)


# target name -> (callable taking keyword slots, the good value of each slot)
TARGETS = {
    "jit": (lambda fun, static_argnums, static_argnames, donate_argnums, x:
            fx.jit(fun, static_argnums=static_argnums, static_argnames=static_argnames,
                   donate_argnums=donate_argnums)(x, 2.0),
            dict(fun=lambda x, n: x * n, static_argnums=(), static_argnames=(),
                 donate_argnums=(), x=jnp.ones(3))),
    "grad": (lambda fun, argnums, has_aux, allow_int, x:
             fx.grad(fun, argnums=argnums, has_aux=has_aux, allow_int=allow_int)(x),
             dict(fun=_sq, argnums=0, has_aux=False, allow_int=False, x=jnp.ones(3))),
    "value_and_grad": (lambda fun, argnums, has_aux, x:
                       fx.value_and_grad(fun, argnums=argnums, has_aux=has_aux)(x),
                       dict(fun=_pair, argnums=0, has_aux=True, x=jnp.ones(3))),
    "jacfwd": (lambda fun, argnums, has_aux, x: fx.jacfwd(fun, argnums, has_aux)(x),
               dict(fun=jnp.sin, argnums=0, has_aux=False, x=jnp.ones(3))),
    "jacrev": (lambda fun, argnums, has_aux, x: fx.jacrev(fun, argnums, has_aux)(x),
               dict(fun=jnp.sin, argnums=0, has_aux=False, x=jnp.ones(3))),
    "hessian": (lambda fun, argnums, x: fx.hessian(fun, argnums)(x),
                dict(fun=_sq, argnums=0, x=jnp.ones(3))),
    "vmap": (lambda fun, in_axes, out_axes, axis_size, x:
             fx.vmap(fun, in_axes=in_axes, out_axes=out_axes, axis_size=axis_size)(x, x),
             dict(fun=lambda a, b: a * b, in_axes=0, out_axes=0, axis_size=None,
                  x=jnp.ones((2, 3)))),
    "jvp": (lambda fun, primals, tangents, has_aux: fx.jvp(fun, primals, tangents, has_aux),
            dict(fun=jnp.sin, primals=(jnp.ones(3),), tangents=(jnp.ones(3),), has_aux=False)),
    "vjp": (lambda fun, x, ct: fx.vjp(fun, x)[1](ct),
            dict(fun=jnp.sin, x=jnp.ones(3), ct=jnp.ones(3))),
    "linearize": (lambda fun, x, t: fx.linearize(fun, x)[1](t),
                  dict(fun=jnp.sin, x=jnp.ones(3), t=jnp.ones(3))),
    "make_jaxpr": (lambda fun, static_argnums, x: fx.make_jaxpr(fun, static_argnums)(x),
                   dict(fun=jnp.sin, static_argnums=(), x=jnp.ones(3))),
    "eval_shape": (lambda fun, x: fx.eval_shape(fun, x), dict(fun=jnp.sin, x=jnp.ones(3))),
    "linear_transpose": (lambda fun, x, ct: fx.linear_transpose(fun, x)(ct),
                         dict(fun=lambda v: 2.0 * v, x=jnp.ones(3), ct=jnp.ones(3))),
    "checkpoint": (lambda fun, static_argnums, policy, x:
                   fx.grad(fx.checkpoint(fun, static_argnums=static_argnums, policy=policy))(x),
                   dict(fun=_sq, static_argnums=(), policy=None, x=jnp.ones(3))),
    "custom_jvp": (lambda fun, rule, x: _custom_jvp(fun, rule, x),
                   dict(fun=jnp.sin, rule=lambda p, t: (jnp.sin(p[0]), jnp.cos(p[0]) * t[0]),
                        x=1.0)),
    "custom_vjp": (lambda fun, fwd, bwd, x: _custom_vjp(fun, fwd, bwd, x),
                   dict(fun=jnp.sin, fwd=lambda x: (jnp.sin(x), x),
                        bwd=lambda r, g: (jnp.cos(r) * g,), x=1.0)),
    "cond": (lambda pred, true_fun, false_fun, x: lax.cond(pred, true_fun, false_fun, x),
             dict(pred=True, true_fun=jnp.sin, false_fun=jnp.cos, x=jnp.ones(3))),
    "switch": (lambda index, branches, x: lax.switch(index, branches, x),
               dict(index=1, branches=[jnp.sin, jnp.cos], x=jnp.ones(3))),
    "while_loop": (lambda cond_fun, body_fun, init: lax.while_loop(cond_fun, body_fun, init),
                   dict(cond_fun=lambda c: c < 3, body_fun=lambda c: c + 1, init=0)),
    "fori_loop": (lambda lower, upper, body_fun, init: lax.fori_loop(lower, upper, body_fun, init),
                  dict(lower=0, upper=3, body_fun=lambda i, c: c + i, init=0)),
    "scan": (lambda f, init, xs, length, unroll:
             lax.scan(f, init, xs, length=length, unroll=unroll),
             dict(f=lambda c, x: (c + x, c), init=0.0, xs=jnp.ones(3), length=None, unroll=1)),
    "map": (lambda f, xs, batch_size: lax.map(f, xs, batch_size=batch_size),
            dict(f=jnp.sin, xs=jnp.ones((4, 2)), batch_size=None)),
    "associative_scan": (lambda fn, elems, axis: lax.associative_scan(fn, elems, axis=axis),
                         dict(fn=jnp.add, elems=jnp.ones(5), axis=0)),
    "tree_map": (lambda f, tree, rest: tree_util.tree_map(f, tree, rest),
                 dict(f=lambda a, b: (a, b), tree=[1, 2], rest=[3, 4])),
    "tree_unflatten": (lambda treedef, leaves: tree_util.tree_unflatten(treedef, leaves),
                       dict(treedef=tree_util.tree_structure([0, 0]), leaves=[1, 2])),
    "tree_transpose": (lambda outer, inner, tree: tree_util.tree_transpose(outer, inner, tree),
                       dict(outer=tree_util.tree_structure([0, 0]),
                            inner=tree_util.tree_structure((0, 0)), tree=[(1, 2), (3, 4)])),
}


def _custom_jvp(fun, rule, x):
    f = fx.custom_jvp(fun)
    f.defjvp(rule)
    return fx.grad(f)(x)


def _custom_vjp(fun, fwd, bwd, x):
    f = fx.custom_vjp(fun)
    f.defvjp(fwd, bwd)
    return fx.grad(f)(x)


_ON_PURPOSE = (TypeError, ValueError, IndexError, OverflowError)
_PYTHON_ARITY = re.compile(r"\(\) (takes|missing|got an unexpected) .*argument")


def _raised_on_purpose(e) -> bool:
    """An error that fx raised itself with a `raise` statement, or that the user's function
    (here, this file) raised, as opposed to one an operation inside fx tripped over."""
    if not isinstance(e, _ON_PURPOSE):
        return False
    if _PYTHON_ARITY.search(str(e)):
        return True
    tb = e.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    path = os.path.abspath(code.co_filename)
    if path == os.path.abspath(__file__):
        return True
    return path.startswith(FX_DIR) and dis.opname[code.co_code[tb.tb_lasti]] == "RAISE_VARARGS"


def outcome(target, slot, value):
    """'ok', 'error' (a clear one) or 'BAD: ...' for one call."""
    fun, good = TARGETS[target]
    try:
        fun(**{**good, slot: value})
    except Exception as e:  # noqa: BLE001  (classifying every outcome is the point)
        if _raised_on_purpose(e):
            return "error"
        return f"BAD: {type(e).__name__}: {str(e)[:200]}"
    return "ok"


# Valid calls that run as long as they were asked to: an identity loop body never ends
# the while loop, and fori_loop(0, 2**40, ...) takes 2**40 steps, in JAX as in fx.
ENDLESS = {("while_loop", "body_fun", "func"), ("fori_loop", "upper", "huge")}


def combinations():
    return [(t, slot, name) for t, (_, good) in TARGETS.items() for slot in good for name in POOL
            if (t, slot, name) not in ENDLESS]


def sample(seed=0, budget=400):
    combos = combinations()
    return random.Random(seed).sample(combos, min(budget, len(combos)))


@pytest.mark.parametrize("target, slot, name", sample())
def test_bad_input_is_a_clear_error_or_accepted(target, slot, name):
    result = outcome(target, slot, POOL[name])
    assert not result.startswith("BAD"), f"{target}({slot}={name}): {result}"


@pytest.mark.parametrize("target", list(TARGETS))
def test_good_arguments_run(target):
    fun, good = TARGETS[target]
    fun(**good)


def test_pool_sample_covers_every_target():
    assert {t for t, _, _ in sample()} == set(TARGETS)


def main():
    counts, bad = {"ok": 0, "error": 0}, []
    for target, slot, name in combinations():
        result = outcome(target, slot, POOL[name])
        if result.startswith("BAD"):
            bad.append(f"{target}({slot}={name}): {result}")
        else:
            counts[result] += 1
    print("\n".join(bad))
    print(f"calls: {sum(counts.values()) + len(bad)}, accepted: {counts['ok']}, "
          f"clear errors: {counts['error']}, unclear: {len(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())


def _two(x, y):
    return x * y


# Named cases: the exception JAX raises, and what fx's message must say.
CASES = [
    (lambda: fx.jit(_two, static_argnums=-3),
     ValueError, r"jit\(_two\): static_argnums=-3 is out of range for 2"),
    (lambda: fx.jit(_two, static_argnums=5), ValueError, "static_argnums=5 is out of range"),
    (lambda: fx.jit(_two, static_argnums="a"),
     TypeError, "static_argnums must be an integer or a tuple of integers, got str"),
    (lambda: fx.jit(_two, static_argnames=3),
     TypeError, "static_argnames must be a string or a tuple of strings, got int 3"),
    (lambda: fx.jit(_two, static_argnames="z"), ValueError, r"static_argnames \['z'\] are not parameters"),
    (lambda: fx.jit(3), TypeError, "jit: fun must be a callable, got int 3"),
    (lambda: fx.grad(_sq, argnums="a"),
     TypeError, r"grad\(_sq\): argnums must be an integer or a tuple of integers, got str"),
    (lambda: fx.grad(_sq, argnums=5)(1.0),
     TypeError, "argnums=5 requires at least 6 positional arguments, got 1"),
    (lambda: fx.grad(_sq, argnums=-2)(1.0),
     ValueError, "argnums=-2 is out of range for 1 positional argument"),
    (lambda: fx.grad(_two, argnums=(0, 0))(1.0, 2.0), ValueError, "names an argument more than once"),
    (lambda: fx.grad(_sq, has_aux="yes"), TypeError, "has_aux must be a bool, got str 'yes'"),
    (lambda: fx.grad(lambda x: [x])(1.0), TypeError, r"scalar-output.*PyTreeDef\(\[\*\]\)"),
    (lambda: fx.jacfwd(jnp.sin)(1), TypeError, "jacfwd.*requires real-valued inputs.*int32"),
    (lambda: fx.vmap(_sq, in_axes=object()),
     TypeError, r"vmap\(_sq\): in_axes must be an int, None, or a tuple"),
    (lambda: fx.vmap(_two, in_axes=(0,))(jnp.ones(2), jnp.ones(2)),
     ValueError, r"in_axes=\(0,\) for 2 arguments"),
    (lambda: fx.vmap(_sq, in_axes=((0, 0),))(jnp.ones(2)),
     ValueError, "in_axes must be a tree prefix of the arguments"),
    (lambda: fx.vmap(jnp.sin, out_axes=7)(jnp.ones(2)), ValueError, "out_axes=7 is out of bounds"),
    (lambda: fx.vmap(jnp.sin, out_axes="a"), TypeError, "out_axes must be an int, None, or a container"),
    (lambda: fx.vmap(jnp.sin, axis_size=4)(jnp.ones(3)), ValueError, "inconsistent sizes"),
    (lambda: fx.vmap(jnp.sin, in_axes=None, axis_size=-1),
     ValueError, "axis_size must be an integer >= 0, got -1"),
    (lambda: fx.jvp(jnp.sin, 1.0, 1.0), TypeError, "primals and tangents must be tuples or lists"),
    (lambda: fx.jvp(jnp.sin, (1.0,), (np.int32(1),)),
     TypeError, "tangent 0 has dtype int32"),
    (lambda: fx.vjp(jnp.sin, jnp.ones(3))[1](jnp.ones(4)),
     ValueError, r"cotangent leaf 0 has type f32\[4\], but f32\[3\]"),
    (lambda: fx.vjp(jnp.sin, jnp.ones(3))[1](jnp.ones(3, jnp.int32)), ValueError, r"i32\[3\], but f32\[3\]"),
    (lambda: fx.vjp(jnp.sin, jnp.ones(3))[1]((jnp.ones(3),)),
     ValueError, r"tree structure PyTreeDef\(\*\), got PyTreeDef\(\(\*,\)\)"),
    (lambda: fx.linearize(jnp.sin, jnp.ones(3))[1](jnp.ones(4)), ValueError, r"tangent 0 has type f32\[4\]"),
    (lambda: fx.linear_transpose(jnp.negative, jnp.ones(3))((jnp.ones(3),)), TypeError, "tree structure"),
    (lambda: fx.linear_transpose(lambda x: x * x, 1.0)(1.0), TypeError, "must be linear in its inputs"),
    (lambda: fx.linear_transpose(jnp.sin, 1.0)(1.0), TypeError, "must be linear.*'sin'"),
    (lambda: lax.scan(lambda c, x: (jnp.ones(2), x), 0.0, jnp.ones(3)), TypeError, "shapes do not match"),
    (lambda: lax.scan(lambda c, x: (c, x), 0.0, jnp.ones(3), length=2.5),
     TypeError, "length must be an integer, got float"),
    (lambda: lax.cond(True, lambda: 1.0, lambda: (1.0, 2.0)), TypeError, "same pytree structure"),
    (lambda: lax.fori_loop(0.0, 3.0, lambda i, c: c, 1.0), TypeError, "lower must be an integer scalar"),
    (lambda: lax.switch(0, jnp.sin, 1.0), TypeError, "branches must be a sequence of callables"),
    (lambda: tree_util.tree_unflatten(3, [1]), TypeError, "expected a PyTreeDef as treedef, got int"),
]


@pytest.mark.parametrize("call, error, match", CASES)
def test_named_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_custom_rules_returning_wrong_structures_or_types():
    f = fx.custom_jvp(jnp.sin)
    f.defjvp(lambda p, t: (jnp.sin(p[0]), jnp.ones(3)))
    with pytest.raises(TypeError, match=r"tangent output 0 has type f32\[3\] but f32\[\]"):
        fx.jvp(f, (1.0,), (1.0,))
    f.defjvp(lambda p, t: jnp.sin(p[0]))
    with pytest.raises(TypeError, match=r"must return a pair \(primal_out, tangent_out\)"):
        fx.grad(f)(1.0)
    g = fx.custom_vjp(jnp.sin)
    g.defvjp(lambda x: (jnp.sin(x), x), lambda r, ct: (jnp.ones(3),))
    with pytest.raises(ValueError, match=r"cotangent 0 has type f32\[3\] but f32\[\]"):
        fx.grad(g)(1.0)
    g.defvjp(lambda x: (jnp.sin(x), x), lambda r, ct: (ct, ct))
    with pytest.raises(TypeError, match=r"one cotangent per differentiable argument \(1\)"):
        fx.grad(g)(1.0)


def test_negative_static_argnums_count_from_the_end():
    f = fx.jit(lambda x, n: x * n if n > 0 else -x, static_argnums=-1)
    assert float(f(2.0, 3)) == 6.0 and float(f(2.0, -1)) == -2.0  # n is static: `if` works
    g = fx.jit(lambda *a: a[0] * a[-1] if a[-1] > 0 else 0.0, static_argnums=-1)
    assert float(g(2.0, 3)) == 6.0 and float(g(2.0, 1.0, 4)) == 8.0


def test_shape_dtype_struct_is_a_leaf_argument():
    """eval_shape/make_jaxpr take ShapeDtypeStructs as stand-ins for arrays (they were
    flattened as tuples, so the dtype became an argument), and tree_map sees them whole."""
    s = fx.ShapeDtypeStruct((3,), np.float32)
    out = fx.eval_shape(lambda x: (x, x.sum()), s)
    assert out == (s, fx.ShapeDtypeStruct((), np.float32))
    assert tree_util.tree_map(lambda a: a.shape, out) == ((3,), ())
    assert "f32[3]" in str(fx.make_jaxpr(jnp.sin)(s))
    with pytest.raises(TypeError, match="shape must be a tuple of ints, got str"):
        fx.ShapeDtypeStruct("a", np.float32)
    with pytest.raises(TypeError, match="expected a dtype, got str 'nope'"):
        fx.ShapeDtypeStruct((2,), "nope")
