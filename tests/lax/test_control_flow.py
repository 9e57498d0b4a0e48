"""Control flow beyond the table-driven specs (tests/api_specs/lax_control_flow.py): the
jaxprs it stages, the transforms' structural choices, nested derivatives, errors, and how
jit runs a program containing control flow."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax
from fx.ir.typecheck import check_jaxpr
from tests.helpers import numerical_grad


pytestmark = pytest.mark.usefixtures("x64")


def cond_fn(x):
    return lax.cond(x[0] > 0, lambda v: jnp.sin(v) * 2.0, lambda v: v * v, x)


def scan_fn(x):
    w = jnp.cos(x)  # closed over by the body: a tracer of every outer transform
    c, ys = lax.scan(lambda c, a: (jnp.tanh(c * w + a), c * a), jnp.zeros_like(x), jnp.stack([x, -x, x * x]))
    return jnp.sum(c) + jnp.sum(ys)


def while_fn(x):
    return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, jnp.sin(c[1]) + c[1]), (0, x))[1]


def fori_fn(x):
    return lax.fori_loop(0, 3, lambda i, v: v * jnp.cos(v) + i, x)


X = np.array([0.3, -0.7, 1.1])


# ---------------------------------------------------------------------------- staged jaxprs

def test_make_jaxpr_prints_nested_jaxprs_like_jax():
    text = str(fx.make_jaxpr(cond_fn)(X))
    assert "cond[\n      branches=(\n        { lambda ; " in text
    assert text.count("{ lambda") == 3
    text = str(fx.make_jaxpr(while_fn)(X))
    assert "body_jaxpr={ lambda" in text and "cond_jaxpr={ lambda" in text
    text = str(fx.make_jaxpr(fori_fn)(X))
    assert "scan[" in text and "jaxpr={ lambda" in text and "length=3" in text


def test_closure_constants_become_operands():
    table = np.arange(3.0)
    jaxpr = fx.make_jaxpr(lambda x: lax.cond(True, lambda v: v + table, lambda v: v, x))(X)
    (eqn,) = [e for e in jaxpr.eqns if e.prim.name == "cond"]
    assert len(eqn.invars) == 3  # the index, the closed-over table, x
    assert all(not b.consts for b in eqn.params["branches"])
    assert [len(b.in_avals) for b in eqn.params["branches"]] == [2, 2]


@pytest.mark.parametrize("fn", [cond_fn, scan_fn, while_fn, fori_fn])
def test_every_transformed_jaxpr_typechecks(fn):
    check_jaxpr(fx.make_jaxpr(fn)(X))
    check_jaxpr(fx.make_jaxpr(fx.vmap(fn))(np.stack([X, -X])))
    check_jaxpr(fx.make_jaxpr(lambda x: fx.jvp(fn, (x,), (x,)))(X))
    if fn is not while_fn:
        scalar = lambda x: jnp.sum(fn(x))  # noqa: E731
        check_jaxpr(fx.make_jaxpr(fx.grad(scalar))(X))
        check_jaxpr(fx.make_jaxpr(fx.hessian(scalar))(X))


def test_vmap_of_cond_with_batched_predicate_selects():
    f = fx.vmap(cond_fn)
    xs = np.stack([X, -X])
    text = str(fx.make_jaxpr(f)(xs))
    assert "select_n" in text and "cond[" not in text
    np.testing.assert_allclose(f(xs), np.stack([cond_fn(X), cond_fn(-X)]))
    # an unbatched predicate keeps the cond
    assert "cond[" in str(fx.make_jaxpr(fx.vmap(cond_fn, in_axes=None, axis_size=2))(X))


def test_vmap_of_while_with_batched_predicate_freezes_finished_lanes():
    def count_to(limit):
        return lax.while_loop(lambda c: c[0] < limit, lambda c: (c[0] + 1, c[1] * 2.0), (0, 1.0))
    n, v = fx.vmap(count_to)(np.array([0, 3, 1, 5]))
    np.testing.assert_array_equal(n, [0, 3, 1, 5])
    np.testing.assert_array_equal(v, [1.0, 8.0, 2.0, 32.0])


# ---------------------------------------------------------------------------- derivatives

@pytest.mark.parametrize("fn", [cond_fn, scan_fn, fori_fn])
def test_grad_matches_finite_differences(fn):
    f = lambda x: jnp.sum(fn(x))  # noqa: E731
    np.testing.assert_allclose(fx.grad(f)(X), numerical_grad(f, X), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fx.jit(fx.grad(f))(X), fx.grad(f)(X), rtol=1e-12)


def test_forward_mode_and_linearize_of_while_loop():
    f = lambda x: jnp.sum(while_fn(x))  # noqa: E731
    _, t = fx.jvp(f, (X,), (np.ones(3),))
    assert float(t) == pytest.approx(float(np.sum(numerical_grad(f, X))), rel=1e-6)
    _, f_jvp = fx.linearize(f, X)
    assert float(f_jvp(np.ones(3))) == pytest.approx(float(t), rel=1e-12)


def test_reverse_mode_of_while_loop_says_to_use_scan():
    with pytest.raises(ValueError, match="scan"):
        fx.grad(lambda x: jnp.sum(while_fn(x)))(X)
    # fori_loop with traced bounds is a while_loop, so it cannot be reversed either
    dynamic = fx.jit(lambda x, n: jnp.sum(lax.fori_loop(0, n, lambda i, v: v * 2.0, x)))
    assert "while[" in str(fx.make_jaxpr(dynamic)(X, 3))
    with pytest.raises(ValueError, match="fori_loop with concrete"):
        fx.grad(dynamic)(X, 3)


def test_maml_grad_of_grad_through_inner_sgd_loop():
    """Meta-gradient: the loss after a few inner SGD steps, differentiated wrt the start."""
    data = np.array([0.5, -1.0, 2.0])

    def inner_loss(w):
        return jnp.sum(jnp.sin(w * data) ** 2)

    def meta_loss(w):
        w = lax.fori_loop(0, 3, lambda i, v: v - 0.1 * fx.grad(inner_loss)(v), w)
        return inner_loss(w)

    def meta_loss_unrolled(w):
        for _ in range(3):
            w = w - 0.1 * fx.grad(inner_loss)(w)
        return inner_loss(w)

    w0 = np.array([0.2, 0.4, -0.3])
    np.testing.assert_allclose(fx.grad(meta_loss)(w0), fx.grad(meta_loss_unrolled)(w0), rtol=1e-12)
    np.testing.assert_allclose(fx.grad(meta_loss)(w0), numerical_grad(meta_loss, w0), rtol=1e-6)
    # and one order higher: the meta-Hessian
    np.testing.assert_allclose(fx.hessian(meta_loss)(w0), fx.hessian(meta_loss_unrolled)(w0),
                               rtol=1e-10, atol=1e-12)


def test_nested_transforms_inside_bodies():
    def f(x):
        def body(c, a):  # a gradient and a vmap inside the loop body
            g = fx.grad(lambda v: jnp.sum(jnp.sin(v) * a))(c)
            return c - 0.1 * g, fx.vmap(lambda r: r * a)(jnp.stack([c, g]))
        return lax.scan(body, x, jnp.array([1.0, 2.0]))

    def ref(x):
        ys = []
        for a in (1.0, 2.0):
            g = np.cos(x) * a
            ys.append(np.stack([x, g]) * a)
            x = x - 0.1 * g
        return x, np.stack(ys)
    for got, want in zip(f(X), ref(X)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(fx.jit(f)(X)[1], ref(X)[1], rtol=1e-12)


def test_scan_residuals_do_not_stack_loop_invariant_values():
    """A closed-over matrix the body needs in the backward pass is saved once, not per step."""
    from fx.transforms.partial_eval import linearize_flat
    w = np.random.default_rng(0).standard_normal((20, 20))

    def f(x):
        return [lax.scan(lambda c, _: (jnp.tanh(w @ c), None), x, None, length=50)[0]]
    _, _, residuals = linearize_flat(f, [np.ones(20)])
    shapes = [np.shape(r) for r in residuals]
    assert (50, 20, 20) not in shapes and (20, 20) in shapes


def rnn_loss(wrap=lambda step: step, reverse=False):
    """An RNN whose step reads values computed from the closed-over weights alone."""
    def loss(ws, h0, xs):
        def step(h, x):
            h = jnp.tanh(h @ ws[0] + x) * jnp.sum(ws[1] ** 2)  # both loop-invariant
            return h, jnp.sin(h) * x
        h, ys = lax.scan(wrap(step), h0, xs, reverse=reverse)
        return jnp.sum(h) + jnp.sum(ys)
    return loss


def scans_of(fun, *args, n_ys=1):
    """(forward scan, its stacked residuals' shapes, backward scan) in the jaxpr of
    grad(fun), whose scan has `n_ys` ys."""
    jaxpr = fx.make_jaxpr(fx.grad(fun))(*args)
    check_jaxpr(jaxpr)
    forward, backward = [e for e in jaxpr.eqns if e.prim.name == "scan"]
    stacked = forward.outvars[forward.params["num_carry"] + n_ys:]
    return forward, [v.aval.shape for v in stacked], backward


RNN_SHAPES = [np.zeros((2, 64, 64)), np.zeros((8, 64)), np.zeros((1000, 8, 64))]


def test_scan_hoists_residuals_computed_from_closure_constants():
    """ws[0] is needed by the backward pass: computed once before the forward scan and
    read as a constant by the backward one, not stacked as a [1000, 64, 64] residual."""
    forward, stacked, backward = scans_of(rnn_loss(), *RNN_SHAPES)
    assert stacked and all(s[1:] in {(8, 64), ()} for s in stacked), stacked
    body = {e.prim.name for e in forward.params["jaxpr"].jaxpr.eqns}
    assert not body & {"slice", "squeeze", "reduce_sum", "integer_pow"}, body  # hoisted
    consts = [v.aval.shape for v in backward.invars[:backward.params["num_consts"]]]
    assert (64, 64) in consts and all(len(s) < 3 for s in consts), consts


@pytest.mark.parametrize("reverse", [False, True])
def test_hoisted_scan_residuals_keep_derivatives(reverse):
    rng = np.random.default_rng(1)
    ws, h0, xs = rng.standard_normal((2, 3, 3)) / 2, rng.standard_normal((2, 3)), rng.standard_normal((5, 2, 3))
    loss = rnn_loss(reverse=reverse)
    args = (ws, h0, xs)
    grads = fx.grad(loss, argnums=(0, 1, 2))(*args)
    for i, g in enumerate(grads):
        at = lambda v, i=i: loss(*args[:i], v, *args[i + 1:])  # noqa: E731
        np.testing.assert_allclose(g, numerical_grad(at, args[i]), rtol=1e-6, atol=1e-8)
    for got, want in zip(fx.jit(fx.grad(loss, argnums=(0, 1, 2)))(*args), grads):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    # second order: the Hessian-vector product wrt the weights, against differences of grads
    v = rng.standard_normal(ws.shape)
    grad_ws = fx.grad(lambda w: loss(w, h0, xs))
    _, hvp = fx.jvp(grad_ws, (ws,), (v,))
    fd = (np.asarray(grad_ws(ws + 1e-6 * v)) - np.asarray(grad_ws(ws - 1e-6 * v))) / 2e-6
    np.testing.assert_allclose(hvp, fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("policy", [None, fx.checkpoint_policies.everything_saveable])
def test_checkpointed_scan_step_keeps_invariant_residuals_unstacked(policy):
    """With checkpoint on the step, what the policy saves from the weights is saved once;
    without a policy only the carry is stacked. Gradients are those without checkpoint."""
    loss = rnn_loss(lambda step: fx.checkpoint(step, policy=policy))
    _, stacked, _ = scans_of(loss, *RNN_SHAPES)
    assert all(s[1:] in {(8, 64), ()} for s in stacked), stacked
    if policy is None:
        assert stacked == [(1000, 8, 64)]  # h; xs are read back as they are
    rng = np.random.default_rng(2)
    args = (rng.standard_normal((2, 3, 3)) / 2, rng.standard_normal((2, 3)), rng.standard_normal((4, 2, 3)))
    want = fx.grad(rnn_loss(), argnums=(0, 1, 2))(*args)
    for remat_loss in (loss, fx.checkpoint(rnn_loss())):  # the step, or the whole loss
        for got, w in zip(fx.grad(remat_loss, argnums=(0, 1, 2))(*args), want):
            np.testing.assert_allclose(got, w, rtol=1e-12)


# ---------------------------------------------------------------------------- semantics

def test_weak_types_follow_jax():
    out = lax.cond(True, lambda: 1.0, lambda: jnp.float64(2))  # weak and strong: strong
    assert out.dtype == np.float64 and not out.aval.weak_type
    with pytest.raises(TypeError, match="dtypes do not match"):  # as in JAX, no promotion
        lax.cond(True, lambda: 1.0, lambda: jnp.float32(2))
    assert lax.fori_loop(0, 3, lambda i, v: v + 1.5, 0.0).aval.weak_type
    assert lax.while_loop(lambda c: c < 3, lambda c: c + 1.5, 0).dtype == np.float64


def test_switch_clamps_and_scan_of_length_zero():
    branches = [lambda: 1.0, lambda: 2.0, lambda: 3.0]
    assert [float(lax.switch(i, branches)) for i in (-7, 0, 2, 9)] == [1.0, 1.0, 3.0, 3.0]
    c, ys = lax.scan(lambda c, x: (c + jnp.sum(x), x * 2), 1.0, np.zeros((0, 2)))
    assert float(c) == 1.0 and ys.shape == (0, 2)
    assert lax.fori_loop(5, 2, lambda i, v: v + 1, 0) == 0


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call, error, match", [
    (lambda: lax.cond(True, lambda: (1.0, 2.0), lambda: 1.0), TypeError, "tree structure"),
    (lambda: lax.cond(True, lambda: jnp.ones(2), lambda: jnp.ones(3)), TypeError,
     r"f64\[3\].*f64\[2\].*shapes do not match"),
    (lambda: lax.cond(jnp.ones(2) > 0, lambda: 1.0, lambda: 2.0), TypeError,
     r"pred must be a boolean or numeric scalar, got bool\[2\]"),
    (lambda: lax.cond("yes", lambda: 1.0, lambda: 2.0), TypeError, "pred must be a boolean"),
    (lambda: lax.cond(True, 1.0, lambda: 2.0), TypeError, "true_fun must be a callable, got float"),
    (lambda: lax.switch(1, []), ValueError, "non-empty"),
    (lambda: lax.switch(1.0, [lambda: 1.0, lambda: 2.0]), TypeError, "integer scalar"),
    (lambda: lax.while_loop(lambda c: c < 3, lambda c: (c + 1,), 1), TypeError, "tree structure"),
    (lambda: lax.while_loop(lambda c: c, lambda c: c + 1, 1), TypeError, "boolean scalar"),
    (lambda: lax.fori_loop(0.0, 3, lambda i, v: v, 1.0), TypeError,
     r"lower must be an integer scalar, got f(32|64)\[\]"),
    (lambda: lax.scan(lambda c, x: (c + x, x), 0.0, jnp.ones((3, 2))), TypeError,
     "shapes do not match"),
    (lambda: lax.scan(lambda c, x: c, 0.0, jnp.ones(3)), TypeError, "pair"),
    (lambda: lax.scan(lambda c, x: (c, x), 0.0, None), ValueError, "no xs"),
    (lambda: lax.scan(lambda c, x: (c, x), 0.0, (jnp.ones(3), jnp.ones(4))), ValueError,
     "equal leading axis sizes"),
    (lambda: lax.scan(lambda c, x: (c, x), 0.0, jnp.ones(3), length=4), ValueError, "disagrees"),
    (lambda: lax.scan(lambda c, x: (c, x), 0.0, 1.0), ValueError, "leading axis"),
    (lambda: lax.associative_scan(jnp.add, (jnp.ones(3), jnp.ones(4))), ValueError, "one size"),
])
def test_bad_input_raises_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_cond_takes_a_numeric_predicate_as_jax_does():
    assert float(lax.cond(1.5, lambda: 1.0, lambda: 2.0)) == 1.0
    assert float(lax.cond(0.0, lambda: 1.0, lambda: 2.0)) == 2.0


# ---------------------------------------------------------------------------- jit

def test_jit_compiles_control_flow_natively():
    """The llvm backend compiles loops and branches into its one native program
    (tests/backends/llvm/test_control_flow_native.py tests them in depth)."""
    def f(x):
        y = jnp.exp(x) * 2.0
        z = lax.fori_loop(0, 4, lambda i, v: v * 0.5 + y, y)
        return jnp.sum(z * z), lax.cond(z[0] > 0, lambda: z, lambda: -z)
    jf = fx.jit(f, backend="llvm")
    for got, want in zip(jf(X), f(X)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    text = jf.lower(X).as_text()
    assert "loop " in text and "branch " in text


def test_cond_passes_known_operand_residuals_as_they_are():
    """A branch residual that is a cond operand (here a weight) reaches the unknown cond
    directly: as an output of the known cond it would be stacked per scan step."""
    def loss(ws, h0, xs):
        w0, w1 = ws[0], ws[1]

        def step(h, x):
            h = lax.cond(jnp.sum(x) > 0, lambda h: h @ w0, lambda h: jnp.sin(h) @ w1, h)
            return jnp.tanh(h + x), None
        return jnp.sum(lax.scan(step, h0, xs)[0])
    _, stacked, _ = scans_of(loss, *RNN_SHAPES, n_ys=0)
    assert all(s[1:] in {(8, 64), ()} for s in stacked), stacked
    rng = np.random.default_rng(3)
    ws, h0, xs = rng.standard_normal((2, 3, 3)) / 2, rng.standard_normal((2, 3)), rng.standard_normal((6, 2, 3))
    np.testing.assert_allclose(fx.grad(loss)(ws, h0, xs), numerical_grad(lambda w: loss(w, h0, xs), ws),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fx.grad(loss, argnums=1)(ws, h0, xs),
                               numerical_grad(lambda h: loss(ws, h, xs), h0), rtol=1e-6, atol=1e-8)
