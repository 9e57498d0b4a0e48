"""Tests generated from the primitive registry (`fx.core.primitives`).

Every `Example` a primitive registers (fx/lax/examples.py) is checked, in float64, for:

  impl       eager bind == the NumPy reference; the raw impl's shape/dtype == abstract_eval
  jit        bind under fx.jit == eager
  jvp        fx.jvp == central finite differences (jointly, then one argument at a time);
             a JVP rule that returns a symbolic zero must belong to a piecewise-constant
             function: its finite differences are 0 or a jump, never a slope
  vjp        <jvp(t), c> == <t, vjp(c)> (linearize + transpose of every JVP rule)
  transpose  for `linear_argnums`: linearity, and <A x, y> == <x, A^T y>
  vmap       fx.vmap == a Python loop of eager binds, for several in_axes placements
  typecheck  check_jaxpr on make_jaxpr of the function, its jit, jvp, vmap and vjp

Test ids read `<primitive>-<example index>[-<example name>]`, e.g. `sin-0`.
The primitives that are not run here, and why, are listed in NOT_IN_MATRIX; the
registry test at the bottom makes sure nothing else escapes.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import fx  # imports every primitive module, so the registry is complete
from fx import dtypes, lax
from fx.core import Zero, get_aval, primitives, tangent_aval
from fx.ir.typecheck import check_jaxpr

# ---------------------------------------------------------------------------- exceptions

# Primitives left out of the per-example matrix. Each must exist in the registry, and
# must not register examples (they would be ignored): the registry test checks both.
NOT_IN_MATRIX = {
    "jit": "higher-order: holds a closed jaxpr; its rules transform that jaxpr (jit tests)",
    "custom_jvp_call": "higher-order: holds the primal jaxpr and a user JVP (custom_jvp tests)",
    "custom_vjp_call": "higher-order: holds the primal jaxpr and user fwd/bwd (custom_vjp tests)",
    "custom_lin": "its impl raises by design (forward mode through a custom_vjp function); "
                  "it only exists to be transposed by the user's bwd (custom_vjp tests)",
    "cond": "higher-order: holds branch jaxprs (api_specs/lax_control_flow.py, test_control_flow)",
    "while": "higher-order: holds cond/body jaxprs (api_specs/lax_control_flow.py, test_control_flow)",
    "scan": "higher-order: holds a body jaxpr (api_specs/lax_control_flow.py, test_control_flow)",
    "remat": "higher-order: holds a jaxpr and a policy (test_remat)",
    **dict.fromkeys(("debug_callback", "pure_callback", "io_callback"),
                    "calls a Python function given as a parameter; its rules (effects, no "
                    "derivative or a forward-pass one, vmap methods, native callbacks) are "
                    "tested in tests/api/test_callbacks.py"),
}

# Primitives whose JVP is, by definition, not the derivative of their impl.
JVP_NOT_DERIVATIVE = {
    "stop_gradient": "the impl is the identity, but the JVP is zero by definition",
}

# ---------------------------------------------------------------------------- tolerances

IMPL_RTOL, IMPL_ATOL = 1e-12, 1e-14       # eager vs the NumPy reference
EXACT_RTOL = 1e-12                       # jit/vmap vs eager: same arithmetic, maybe reordered
FD = {  # finite differences: eps, rtol, atol (atol is scaled by the outputs' magnitude)
    "double": (1e-6, 1e-5, 1e-6),
    "single": (1e-3, 1e-3, 1e-3),
}
DOT_RTOL = {"double": 1e-10, "single": 1e-5}   # dot-product identities, relative to sum |terms|
JUMP = 0.1  # a piecewise-constant function's difference quotient is 0 or >= JUMP / eps

BATCH = 3   # batch size for vmap


# ---------------------------------------------------------------------------- cases

class Case:
    """One (primitive, example) pair, with the helpers every check uses."""

    def __init__(self, prim, index, example):
        self.prim, self.index, self.example = prim, index, example
        self.args = tuple(np.asarray(a) for a in example.args)
        self.params = dict(example.params)
        suffix = f"-{example.name}" if example.name else ""
        self.id = f"{prim.name}-{index}{suffix}"

    def fun(self, *args):
        return self.prim.bind(*args, **self.params)

    def results(self, y):
        """The outputs of one bind (or of a rule, or an abstract_eval) as a list."""
        return list(y) if self.prim.multiple_results else [y]

    def outs(self, y):
        """The outputs of one bind as a list of NumPy arrays."""
        return [np.asarray(o) for o in self.results(y)]

    def as_result(self, outs):
        """A list of per-output values in the structure `fun` returns (for cotangents)."""
        return list(outs) if self.prim.multiple_results else outs[0]

    @property
    def diff_argnums(self):
        if self.example.diff_argnums is not None:
            return tuple(self.example.diff_argnums)
        return tuple(i for i, a in enumerate(self.args) if is_float(a))

    @property
    def batch_argnums(self):
        if self.example.batch_argnums is not None:
            return tuple(self.example.batch_argnums)
        return tuple(range(len(self.args)))

    @property
    def has_derivatives_to_check(self):
        """False only for examples that opt out (diff_argnums=()) and have no integer or
        boolean args, whose zero derivatives would otherwise be checked."""
        return bool(self.diff_argnums) or not all(map(is_float, self.args))

    def restrict(self, argnums):
        """`fun` as a function of args[argnums] only; the others are closed over."""
        def f(*selected):
            full = list(self.args)
            for i, a in zip(argnums, selected):
                full[i] = a
            return self.fun(*full)
        f.__name__ = self.prim.name
        return f


CASES = [Case(prim, i, ex) for name, prim in primitives.items() if name not in NOT_IN_MATRIX
         for i, ex in enumerate(prim.examples)]


def cases(select=lambda case: True):
    return [pytest.param(c, id=c.id) for c in CASES if select(c)]


# ---------------------------------------------------------------------------- helpers

pytestmark = pytest.mark.usefixtures("x64")


def is_float(x):
    """Floating or complex: what has derivatives."""
    return dtypes.is_inexact(np.asarray(x).dtype)


def rng_for(*key):
    return np.random.default_rng(zlib.crc32("/".join(map(str, key)).encode()))


def random_like(rng, x):
    """A random array shaped like x in x's dtype (zeros if x is not floating)."""
    x = np.asarray(x)
    if not is_float(x):
        return np.zeros(x.shape, x.dtype)
    if dtypes.is_complex(x.dtype):
        return (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape)).astype(x.dtype)
    return rng.standard_normal(x.shape).astype(x.dtype)


def precision(*arrays):
    """'double' if every floating array is float64 (or wider), else 'single'."""
    floats = [np.asarray(a).dtype for a in arrays if is_float(a)]
    double = all(np.finfo(d).eps <= np.finfo(np.float64).eps for d in floats)
    return "double" if double else "single"


def inner(xs, ys):
    """(sum of <x, y> in float64, sum of |x * y|) over paired arrays. Complex arrays pair
    as re(sum x y), without conjugation: the pairing under which JAX's transposes (of maps
    linear over the reals) are transposes."""
    total = magnitude = 0.0
    for x, y in zip(xs, ys):
        prod = np.asarray(x, np.complex128) * np.asarray(y, np.complex128)
        total += prod.real.sum()
        magnitude += np.abs(prod).sum()
    return total, magnitude


def assert_dot_identity(lhs, rhs, prec, what):
    (a, mag_a), (b, mag_b) = lhs, rhs
    tol = DOT_RTOL[prec] * (mag_a + mag_b) + 1e-300
    assert abs(a - b) <= tol, f"{what}: {a!r} != {b!r} (|diff| {abs(a - b):.3e} > tol {tol:.3e})"


def assert_aval(x, aval, what):
    """x (a NumPy array, or an fx array) has aval's shape and dtype."""
    x_aval = get_aval(x) if hasattr(x, "aval") else None
    shape, dtype = np.shape(x), (x_aval.dtype if x_aval else np.asarray(x).dtype)
    assert (tuple(shape), np.dtype(dtype)) == (aval.shape, aval.dtype), \
        f"{what}: got {dtype}{list(shape)}, expected {aval.str_short()}"


def assert_values(actual, expected, what, rtol=EXACT_RTOL, atol=0.0):
    """Same shape; floats close (NaNs equal), everything else exactly equal."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if is_float(actual) or is_float(expected):
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def assert_same_outputs(case, actual, expected, what, rtol=EXACT_RTOL):
    """Two results of `case.fun`: same number of outputs, dtypes and values."""
    actual, expected = case.outs(actual), case.outs(expected)
    assert len(actual) == len(expected), f"{what}: {len(actual)} outputs, expected {len(expected)}"
    for k, (a, e) in enumerate(zip(actual, expected)):
        assert a.dtype == e.dtype, f"{what} output {k}: dtype {a.dtype} != {e.dtype}"
        assert_values(a, e, f"{what} output {k}", rtol=rtol)


def perturbed(rng, x, b):
    """Variation b (>= 1) of an example argument, for a batch. Floats are scaled by a
    factor near 1 (keeping signs, so domains like x > 0 hold). Integer and boolean arrays
    are permuted (keeping the set of values, so indices stay in range); a single integer
    (a start index, say) is moved by +-1 and a single boolean flipped, so that batched
    scalars vary too: fx defines every integer input (indices clamp)."""
    x = np.asarray(x)
    if is_float(x):
        return (x * rng.uniform(0.9, 1.1, x.shape)).astype(x.dtype)
    if x.size > 1:
        return rng.permutation(x.reshape(-1)).reshape(x.shape)
    if dtypes.is_bool(x.dtype):
        return ~x
    return (x + (1 if b % 2 else -1)).astype(x.dtype)


# ---------------------------------------------------------------------------- 1. impl

@pytest.mark.parametrize("case", cases())
def test_impl(case):
    in_avals = [get_aval(a) for a in case.args]
    out_avals = case.results(case.prim.rule("abstract_eval")(*in_avals, **case.params))

    # The raw impl (eager mode casts to the abstract dtype, which would hide a mismatch).
    raw = case.results(case.prim.rule("impl")(
        *(np.asarray(a, v.dtype) for a, v in zip(case.args, in_avals)), **case.params))
    assert len(raw) == len(out_avals), \
        f"impl gave {len(raw)} outputs, abstract_eval {len(out_avals)}"
    for k, (r, aval) in enumerate(zip(raw, out_avals)):
        assert_aval(np.asarray(r), aval, f"impl output {k} vs abstract_eval")

    eager = case.fun(*case.args)
    for k, (o, aval) in enumerate(zip(case.outs(eager), out_avals)):
        assert_aval(o, aval, f"eager output {k} vs abstract_eval")
    if case.example.reference is not None:
        ref = case.results(case.example.reference(*case.args, **case.params))
        for k, (o, r) in enumerate(zip(case.outs(eager), ref)):
            assert_values(o, r, f"output {k} vs reference", rtol=IMPL_RTOL, atol=IMPL_ATOL)


# ---------------------------------------------------------------------------- 2. jit

@pytest.mark.parametrize("case", cases())
def test_jit(case):
    jitted = fx.jit(lambda *a: case.fun(*a))(*case.args)
    eager = case.fun(*case.args)
    assert_same_outputs(case, jitted, eager, "jit vs eager")
    for k, (j, e) in enumerate(zip(case.results(jitted), case.results(eager))):
        assert j.aval == e.aval, f"jit output {k}: aval {j.aval} != eager {e.aval}"


# ---------------------------------------------------------------------------- 3. jvp

def rule_out_tangents(case, argnums, tangents):
    """The primitive's JVP rule called directly (eagerly): its output tangents, which
    are `Zero` when the rule says the derivative is symbolically zero."""
    full = [Zero(tangent_aval(get_aval(a))) for a in case.args]
    for i, t in zip(argnums, tangents):
        full[i] = t
    _, out_t = case.prim.rule("jvp")(case.args, tuple(full), **case.params)
    return case.results(out_t)


def finite_difference(case, argnums, primals, tangents, eps):
    f = case.restrict(argnums)
    plus = f(*[(p + eps * t).astype(p.dtype) for p, t in zip(primals, tangents)])
    minus = f(*[(p - eps * t).astype(p.dtype) for p, t in zip(primals, tangents)])
    wide = lambda x: np.asarray(x, np.complex128 if np.iscomplexobj(x) else np.float64)  # noqa: E731
    return [(wide(a) - wide(b)) / (2 * eps) for a, b in zip(case.outs(plus), case.outs(minus))]


def check_jvp(case, argnums, rng):
    primals = [case.args[i] for i in argnums]
    tangents = [random_like(rng, p) for p in primals]
    y, y_dot = fx.jvp(case.restrict(argnums), primals, tangents)
    outs, out_tangents = case.outs(y), case.outs(y_dot)
    prec = precision(*primals, *outs)
    eps, rtol, atol = FD[prec]
    fd = finite_difference(case, argnums, primals, tangents, eps)
    symbolic_zero = [type(t) is Zero for t in rule_out_tangents(case, argnums, tangents)]

    for k, (o, t, q, zero) in enumerate(zip(outs, out_tangents, fd, symbolic_zero)):
        what = f"jvp wrt args {argnums}, output {k}"
        assert_aval(t, tangent_aval(get_aval(o)), f"{what}: tangent type")
        if case.prim.name in JVP_NOT_DERIVATIVE or not is_float(o):
            assert_values(t, np.zeros_like(t), f"{what}: tangent must be zero")
        elif zero:
            assert_values(t, np.zeros_like(t), f"{what}: tangent of a symbolic-zero rule")
            slope = (np.abs(q) > atol) & (np.abs(q) < JUMP / eps)
            assert not slope.any(), (
                f"{what}: the JVP rule returns a symbolic zero, but finite differences show "
                f"a slope: {q[slope][:5]}")
        else:
            scale = max(1.0, float(np.max(np.abs(o), initial=0.0)))
            assert_values(t, q, f"{what}: vs finite differences", rtol=rtol, atol=atol * scale)


@pytest.mark.parametrize("case", cases(lambda c: c.has_derivatives_to_check))
def test_jvp(case):
    rng = rng_for(case.id, "jvp")
    argnums = case.diff_argnums
    if not argnums:
        check_zero_derivatives(case)
        return
    check_jvp(case, argnums, rng)
    if len(argnums) > 1:  # one at a time: the others are constants (symbolic zero tangents)
        for i in argnums:
            check_jvp(case, (i,), rng)


def check_zero_derivatives(case):
    """No float inputs to differentiate: linearize and vjp w.r.t. the integer/boolean
    inputs must give zero tangents and zero cotangents of the right types."""
    nums = tuple(i for i, a in enumerate(case.args) if not is_float(a))
    f, primals = case.restrict(nums), [case.args[i] for i in nums]
    y, f_jvp = fx.linearize(f, *primals)
    for k, (o, t) in enumerate(zip(case.outs(y), case.outs(f_jvp(*map(np.zeros_like, primals))))):
        assert_aval(t, tangent_aval(get_aval(o)), f"linearized output {k}")
        assert_values(t, np.zeros_like(t), f"linearized output {k} must be zero")
    y, f_vjp = fx.vjp(f, *primals)
    cts = f_vjp(case.as_result([np.zeros_like(o) for o in case.outs(y)]))
    for i, (p, ct) in zip(nums, zip(primals, cts)):
        assert_aval(ct, tangent_aval(get_aval(p)), f"cotangent of arg {i}")
        assert_values(ct, np.zeros_like(ct), f"cotangent of arg {i} must be zero")


# ---------------------------------------------------------------------------- 4. vjp

@pytest.mark.parametrize("case", cases(lambda c: c.has_derivatives_to_check))
def test_vjp(case):
    argnums = case.diff_argnums
    if not argnums:
        check_zero_derivatives(case)
        return
    rng = rng_for(case.id, "vjp")
    f, primals = case.restrict(argnums), [case.args[i] for i in argnums]
    tangents = [random_like(rng, p) for p in primals]
    _, y_dot = fx.jvp(f, primals, tangents)
    y, f_vjp = fx.vjp(f, *primals)
    cotangents = [random_like(rng, o) for o in case.outs(y)]  # zero for non-float outputs
    cts = f_vjp(case.as_result(cotangents))
    assert len(cts) == len(primals)
    for i, p, ct in zip(argnums, primals, cts):
        assert_aval(ct, tangent_aval(get_aval(p)), f"cotangent of arg {i}")
    prec = precision(*primals, *case.outs(y))
    assert_dot_identity(inner(case.outs(y_dot), cotangents), inner(tangents, cts), prec,
                        "<jvp(t), c> vs <t, vjp(c)>")


# ---------------------------------------------------------------------------- 5. transpose

@pytest.mark.parametrize("case", cases(lambda c: c.example.linear_argnums))
def test_transpose(case):
    rng = rng_for(case.id, "transpose")
    lin = tuple(case.example.linear_argnums)
    f = case.restrict(lin)
    lin_args = [case.args[i] for i in lin]
    x1 = [random_like(rng, a) for a in lin_args]
    x2 = [random_like(rng, a) for a in lin_args]
    prec = precision(*lin_args, *case.outs(f(*lin_args)))

    # Linearity, which the identity presupposes: f(a x1 + b x2) == a f(x1) + b f(x2).
    a, b = 0.75, -1.5
    combined = case.outs(f(*[(a * u + b * v).astype(u.dtype) for u, v in zip(x1, x2)]))
    for k, (c, u, v) in enumerate(zip(combined, case.outs(f(*x1)), case.outs(f(*x2)))):
        wide = np.complex128 if np.iscomplexobj(c) else np.float64
        assert_values(c, a * u.astype(wide) + b * v.astype(wide),
                      f"linearity, output {k}", rtol=DOT_RTOL[precision(c)] * 1e3,
                      atol=DOT_RTOL[precision(c)] * 1e3)

    # <A x, y> == <x, A^T y>, with A^T from the transpose rules (eagerly and under jit).
    ax = case.outs(f(*x1))
    y = [random_like(rng, o) for o in ax]
    transposed = fx.linear_transpose(f, *lin_args)
    aty = transposed(case.as_result(y))
    assert len(aty) == len(lin)
    for i, arg, ct in zip(lin, lin_args, aty):
        assert_aval(ct, tangent_aval(get_aval(arg)), f"transpose: cotangent of arg {i}")
    assert_dot_identity(inner(ax, y), inner(x1, aty), prec, "<A x, y> vs <x, A^T y>")

    jitted = fx.jit(transposed)(case.as_result(y))
    for i, (j, e) in enumerate(zip(jitted, aty)):
        assert_values(j, e, f"jit(transpose): cotangent of arg {lin[i]}")
    check_jaxpr(fx.make_jaxpr(transposed)(case.as_result(y)))


# ---------------------------------------------------------------------------- 6. vmap

def placements(case):
    """in_axes tuples: every batchable arg at axis 0; at its last axis; and, with two or
    more batchable args, each one unbatched in turn and a mix of first and last axes."""
    n, batchable = len(case.args), case.batch_argnums

    def axes(choose):
        return tuple(choose(i) if i in batchable else None for i in range(n))

    found = [axes(lambda i: 0), axes(lambda i: case.args[i].ndim)]
    if len(batchable) >= 2:
        found += [axes(lambda i, j=j: None if i == j else 0) for j in batchable]
        found.append(axes(lambda i: 0 if batchable.index(i) % 2 else case.args[i].ndim))
    unique = []
    for p in found:
        if p not in unique and any(a is not None for a in p):
            unique.append(p)
    return unique


def vmap_params():
    return [pytest.param(c, axes, id=f"{c.id}-axes=" + ",".join(map(str, axes)))
            for c in CASES for axes in placements(c)]


@pytest.mark.parametrize("case, in_axes", vmap_params())
def test_vmap(case, in_axes):
    rng = rng_for(case.id, "vmap", in_axes)
    variants = [None if ax is None else [a] + [perturbed(rng, a, b) for b in range(1, BATCH)]
                for a, ax in zip(case.args, in_axes)]
    batched = [a if v is None else np.stack(v, axis=ax)
               for a, v, ax in zip(case.args, variants, in_axes)]
    got = case.outs(fx.vmap(case.fun, in_axes=in_axes)(*batched))

    per_example = [case.outs(case.fun(*[a if v is None else v[b]
                                        for a, v in zip(case.args, variants)]))
                   for b in range(BATCH)]
    expected = [np.stack(outs) for outs in zip(*per_example)]
    assert len(got) == len(expected)
    for k, (g, e) in enumerate(zip(got, expected)):
        assert g.dtype == e.dtype, f"vmap output {k}: dtype {g.dtype} != {e.dtype}"
        assert_values(g, e, f"vmap output {k} vs a loop of eager binds")


# ---------------------------------------------------------------------------- 7. typecheck

def jaxpr_plain(case):
    return fx.make_jaxpr(case.fun)(*case.args)


def jaxpr_jit(case):
    return fx.make_jaxpr(fx.jit(lambda *a: case.fun(*a)))(*case.args)


def jaxpr_jvp(case):
    argnums = case.diff_argnums
    primals = [case.args[i] for i in argnums]
    f = case.restrict(argnums)
    return fx.make_jaxpr(lambda p, t: fx.jvp(f, p, t))(primals, [np.ones_like(p) for p in primals])


def jaxpr_vmap(case):
    in_axes = placements(case)[0]
    batched = [a if ax is None else np.stack([a] * BATCH, axis=ax)
               for a, ax in zip(case.args, in_axes)]
    return fx.make_jaxpr(fx.vmap(case.fun, in_axes=in_axes))(*batched)


def jaxpr_vjp(case):
    argnums = case.diff_argnums
    primals = [case.args[i] for i in argnums]
    f = case.restrict(argnums)
    cotangents = case.as_result([np.zeros_like(o) for o in case.outs(case.fun(*case.args))])
    return fx.make_jaxpr(lambda p, c: fx.vjp(f, *p)[1](c))(primals, cotangents)


def jaxpr_grad(case):
    """grad of a scalarised version: the sum of every output (as float64) times a fixed
    random array."""
    argnums = case.diff_argnums
    primals = [case.args[i] for i in argnums]
    rng = rng_for(case.id, "grad")
    weights = [rng.standard_normal(o.shape) for o in case.outs(case.fun(*case.args))]

    def scalar(*p):
        outs = case.results(case.restrict(argnums)(*p))
        terms = [lax.reduce_sum(lax.mul(lax.convert_element_type(o, np.float64), w),
                                tuple(range(w.ndim))) for o, w in zip(outs, weights)]
        total = terms[0]
        for t in terms[1:]:
            total = lax.add(total, t)
        return total
    return fx.make_jaxpr(fx.grad(scalar, argnums=tuple(range(len(primals)))))(*primals)


TYPECHECKS = {"plain": jaxpr_plain, "jit": jaxpr_jit, "jvp": jaxpr_jvp, "vmap": jaxpr_vmap,
              "vjp": jaxpr_vjp, "grad": jaxpr_grad}


def typecheck_params():
    params = []
    for c in CASES:
        kinds = (["plain", "jit"] + (["vmap"] if placements(c) else [])
                 + (["jvp", "vjp", "grad"] if c.diff_argnums else []))
        params += [pytest.param(c, kind, id=f"{c.id}-{kind}") for kind in kinds]
    return params


@pytest.mark.parametrize("case, kind", typecheck_params())
def test_typecheck(case, kind):
    closed = TYPECHECKS[kind](case)
    check_jaxpr(closed)
    if kind == "plain":
        eager = case.outs(case.fun(*case.args))
        for k, (v, o) in enumerate(zip(closed.jaxpr.outvars, eager)):
            assert_aval(o, v.aval, f"staged output {k} vs eager")


# ---------------------------------------------------------------------------- the registry

RULES = ("impl", "abstract_eval", "jvp", "batch")


@pytest.mark.parametrize("name", list(primitives))
def test_registry(name):
    prim = primitives[name]
    if name in NOT_IN_MATRIX:
        assert not prim.examples, (f"{name} has examples but is listed in NOT_IN_MATRIX "
                                   f"({NOT_IN_MATRIX[name]}): remove it from that list")
        return
    # A primitive without operands (iota) is never batched: vmap binds it unbatched.
    takes_operands = any(ex.args for ex in prim.examples)
    missing = [r for r in RULES if getattr(prim, r) is None and (r != "batch" or takes_operands)]
    assert not missing, f"primitive {name} has no {', '.join(missing)} rule"
    assert prim.examples, (f"primitive {name} registers no examples: add some with "
                           "fx.lax.examples.example(...) next to its rules")
    linear_examples = [ex for ex in prim.examples if ex.linear_argnums]
    if prim.transpose is not None:
        assert linear_examples, (f"primitive {name} has a transpose rule but no example with "
                                 "linear_argnums, so the rule is never tested")
    else:
        assert not linear_examples, f"primitive {name} has linear examples but no transpose rule"
    for i, ex in enumerate(prim.examples):
        n = len(ex.args)
        assert all(isinstance(a, (np.ndarray, np.generic)) for a in ex.args), \
            f"{name}-{i}: example args must be NumPy arrays"
        for field in ("diff_argnums", "linear_argnums", "batch_argnums"):
            nums = getattr(ex, field) or ()
            assert all(0 <= j < n for j in nums), f"{name}-{i}: {field}={nums} out of range"


def test_exceptions_are_registered():
    for table in (NOT_IN_MATRIX, JVP_NOT_DERIVATIVE):
        stale = sorted(set(table) - set(primitives))
        assert not stale, f"exception lists name unregistered primitives: {stale}"
