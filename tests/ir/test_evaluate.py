"""The NumPy evaluator of the kernel program (fx/ir/evaluate.py) against the reference
interpreter: every registered primitive's examples, lowered through the CPU pipeline,
and programs with loops, branches, fused reductions and accumulating products."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.core import primitives
from fx.ir import kernels as K
from fx.ir.evaluate import evaluate
from fx.ir.lower import lower_jaxpr
from fx.ir.passes import optimize

HIGHER_ORDER = {"jit", "custom_jvp_call", "custom_vjp_call", "custom_lin"}  # tested via programs
CASES = [(name, k) for name, prim in sorted(primitives.items()) if name not in HIGHER_ORDER
         for k in range(len(prim.examples))]
# NumPy sums pairwise, backends in blocks: equal to rounding; NumPy's LAPACK and fx's may
# pick different (equally valid) signs for eigen- and singular vectors
SUMS = ("reduce_sum", "dot_general", "conv_general_dilated", "cumsum", "cumlogsumexp",
        "cholesky", "triangular_solve", "lu", "qr", "fft")
UP_TO_SIGN = ("eigh", "svd")


@pytest.fixture(autouse=True)
def x64():
    with fx.config.override("enable_x64", True):
        yield


def evaluated_and_interpreted(f, *args):
    program = lower_jaxpr(optimize(fx.make_jaxpr(f)(*args)))
    got = evaluate(program, [np.asarray(a) for a in fx.tree.leaves(args)])
    want = [np.asarray(w) for w in fx.tree.leaves(fx.jit(f, backend="interpreter")(*args))]
    return got, want


def assert_same(got, want, rtol=0.0, up_to_sign=False):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        if up_to_sign:
            g, w = np.abs(g), np.abs(w)
        if w.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol, equal_nan=True)
        else:
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("name,k", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_every_primitive_matches_the_interpreter(name, k):
    prim = primitives[name]
    ex = prim.examples[k]
    got, want = evaluated_and_interpreted(lambda *a: prim.bind(*a, **ex.params), *ex.args)
    assert_same(got, want, rtol=1e-12 if name in SUMS + UP_TO_SIGN else 1e-15,
                up_to_sign=name in UP_TO_SIGN)


def _scan_rnn(w, xs):
    return fx.lax.scan(lambda h, x: (jnp.tanh(w @ h + x), h.sum()), jnp.zeros(3), xs)


PROGRAMS = {
    "fori_loop": (lambda x: fx.lax.fori_loop(0, 5, lambda i, c: c * 1.5 + i, x), (np.arange(4.0),)),
    "while_loop": (lambda x: fx.lax.while_loop(lambda c: c.sum() < 100, lambda c: c * 2, x),
                   (np.arange(1.0, 4.0),)),
    "cond": (lambda p, x: fx.lax.cond(p > 0, jnp.sin, jnp.cos, x), (np.float64(-1.0), np.arange(3.0))),
    "switch": (lambda i, x: fx.lax.switch(i, [jnp.sin, jnp.cos, jnp.exp], x),
               (np.int32(7), np.arange(3.0))),
    "scan": (_scan_rnn, (np.random.default_rng(0).standard_normal((3, 3)),
                         np.random.default_rng(1).standard_normal((4, 3)))),
    "softmax": (lambda x: fx.nn.softmax(x, axis=-1), (np.random.default_rng(2).standard_normal((5, 700)),)),
    "long_sum": (lambda x: (x.sum(), x[:, 0] @ x[:, 1], x.sum(0)), (np.linspace(0, 1, 3000).reshape(1000, 3),)),
    "accumulating_gemm": (lambda a, b: fx.lax.fori_loop(0, 3, lambda i, c: c + a @ b, jnp.zeros((4, 4))),
                          (np.eye(4) * 2, np.arange(16.0).reshape(4, 4))),
    "sort_and_scatter": (lambda x, i: (jnp.sort(x), jnp.argsort(-x), x.at[i].add(1.0), x.at[i].set(5.0),
                                     jnp.cumsum(x), jnp.cumprod(x[::-1])),
                         (np.array([3.0, -0.0, np.nan, 0.0, -2.0]), np.array([0, 4, 0, 9, -1]))),
    "grad_of_loop": (fx.grad(lambda x: fx.lax.fori_loop(0, 3, lambda i, c: jnp.sin(c) * c, x).sum()),
                     (np.linspace(-1, 1, 6),)),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_programs_with_every_statement_kind_match_the_interpreter(name):
    f, args = PROGRAMS[name]
    got, want = evaluated_and_interpreted(f, *args)
    assert_same(got, want, rtol=1e-12)


def test_the_programs_cover_every_statement_kind():
    kinds = {type(s) for f, args in PROGRAMS.values()
             for s in K.all_statements(lower_jaxpr(optimize(fx.make_jaxpr(f)(*args))).body)}
    assert {K.Kernel, K.Gemm, K.Scatter, K.Cumulative, K.Sort, K.Loop, K.Branch} <= kinds


def test_temporaries_share_the_workspace_as_planned():
    """The evaluator keeps temporaries at their slots, so a buffer plan that overlapped two
    live buffers would change its answer."""
    f = lambda x: jnp.exp(jnp.exp(x).sum() - x).sum() + jnp.exp(x).max()  # noqa: E731
    x = np.linspace(-1, 1, 8)
    program = lower_jaxpr(optimize(fx.make_jaxpr(f)(x)))
    assert program.temps and len(program.slot_sizes) < len(program.temps)
    (got,), (want,) = evaluate(program, [x]), [f(x)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    for t in program.temps:
        t.slot = 0  # every temporary in one slot: live values overwrite each other
    program.slot_sizes = [max(t.nbytes for t in program.temps)]
    (broken,) = evaluate(program, [x])
    assert not np.allclose(broken, want)
