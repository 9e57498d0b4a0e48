"""The registry's examples again, in the narrow dtypes (tests/lax/test_primitives.py runs
them as written, in float64): every example with float arguments in float16 and bfloat16
and in complex128, and every all-integer example whose values fit in int8, int16, uint8
and uint16.

For each, as in JAX: the primitive either refuses the dtype with a TypeError naming itself
or gives results whose dtypes are abstract_eval's; those agree with the NumPy reference
(computed in float64 from the same rounded inputs, for floats), jit gives eager's values
on the CPU backend, vmap gives a loop's, and JVPs and VJPs come back in the arguments'
dtypes with float32's values to the 16-bit type's precision.
"""
from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import fx
from fx import dtypes
from fx.core import get_aval
from tests.lax.test_primitives import CASES, Case

HALF = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16}
COMPLEX = {"complex128": np.complex128}
SMALL_INTS = {"int8": np.int8, "int16": np.int16, "uint8": np.uint8, "uint16": np.uint16}


def _retyped(case, convert):
    return Case(case.prim, case.index, type(case.example)(
        tuple(convert(a) for a in case.args), case.example.params, case.example.reference,
        case.example.diff_argnums, case.example.linear_argnums, case.example.batch_argnums,
        case.example.name))


def _half_cases():
    out = []
    for case in CASES:
        if not any(np.asarray(a).dtype == np.float64 for a in case.args):
            continue
        for name, t in HALF.items():
            def convert(a, t=t):
                a = np.asarray(a)
                with np.errstate(over="ignore"):
                    return a.astype(t) if a.dtype == np.float64 else a
            out.append(pytest.param(_retyped(case, convert), name, id=f"{case.id}-{name}"))
    return out


def _int_cases():
    out = []
    for case in CASES:
        args = [np.asarray(a) for a in case.args]
        if not args or not all(a.dtype in (np.int32, np.int64) for a in args):
            continue
        for name, t in SMALL_INTS.items():
            info = np.iinfo(t)
            if all(a.size == 0 or (a.min() >= info.min and a.max() <= info.max) for a in args):
                out.append(pytest.param(_retyped(case, lambda a, t=t: np.asarray(a).astype(t)), name,
                                        id=f"{case.id}-{name}"))
    return out


def _complex_cases():
    """Float examples with complex arguments (the real values plus a varying imaginary part)."""
    out = []
    for case in CASES:
        if not any(np.asarray(a).dtype == np.float64 for a in case.args):
            continue

        def convert(a):
            a = np.asarray(a)
            return a + 0.5j * np.cos(np.arange(a.size)).reshape(a.shape) if a.dtype == np.float64 else a
        out.append(pytest.param(_retyped(case, convert), "complex128", id=f"{case.id}-complex128"))
    return out


HALF_CASES, INT_CASES, COMPLEX_CASES = _half_cases(), _int_cases(), _complex_cases()


def _eager(case):
    """The eager results, or None when the primitive refuses the dtype (clearly)."""
    try:
        return case.outs(case.fun(*case.args))
    except TypeError as e:
        assert case.prim.name in str(e), \
            f"{case.prim.name}: refused without naming itself: {e}"
        return None


def _typed_eager(case):
    """The eager results, checked to have abstract_eval's shapes and dtypes (None when the
    primitive refuses the dtype)."""
    eager = _eager(case)
    if eager is not None:
        in_avals = [get_aval(a) for a in case.args]
        out_avals = case.results(case.prim.rule("abstract_eval")(*in_avals, **case.params))
        for o, aval in zip(eager, out_avals):
            assert (o.shape, o.dtype) == (aval.shape, aval.dtype)
    return eager


def _close(actual, expected, dtype, what, ulps=1):
    """Equal as floats to within `ulps` units of the 16-bit type (NaNs equal, infinities
    equal), relative to each value or to the largest value (sums and products cancel)."""
    a, e = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    eps = float(dtypes.finfo(dtype).eps)
    finite = np.isfinite(e)
    assert np.array_equal(np.isnan(a), np.isnan(e)), f"{what}: NaNs differ\n{a}\n{e}"
    assert np.array_equal(a[np.isinf(e)], e[np.isinf(e)]), f"{what}: infinities differ"
    scale = np.max(np.abs(e[finite]), initial=0.0)
    np.testing.assert_allclose(a[finite], e[finite], rtol=ulps * eps, atol=ulps * eps * scale, err_msg=what)


def _float16_dtype(case):
    return next(np.asarray(a).dtype for a in case.args if dtypes.is_16bit_float(np.asarray(a).dtype))


@pytest.mark.parametrize("case,dtype_name", HALF_CASES + INT_CASES)
def test_impl_and_reference(case, dtype_name):
    eager = _typed_eager(case)
    if eager is None:
        return
    if case.example.reference is None:
        return
    if dtype_name in SMALL_INTS:  # integers: NumPy in the same dtype, exactly
        with np.errstate(all="ignore"):
            want = case.results(case.example.reference(*case.args, **case.params))
        for o, w in zip(eager, want):
            np.testing.assert_array_equal(o, np.asarray(w).astype(o.dtype))
        return
    wide = [np.asarray(a).astype(np.float64) if dtypes.is_16bit_float(np.asarray(a).dtype) else a
            for a in case.args]
    with np.errstate(all="ignore"):
        want = case.results(case.example.reference(*wide, **case.params))
    dtype = _float16_dtype(case)
    for k, (o, w) in enumerate(zip(eager, want)):
        if dtypes.is_16bit_float(o.dtype):
            with np.errstate(all="ignore"):
                w = np.asarray(w).astype(o.dtype)  # what exact arithmetic would store
            _close(o, w, dtype, f"output {k} vs the float64 reference", ulps=8)


@pytest.mark.parametrize("case,dtype_name", HALF_CASES + INT_CASES)
def test_jit_matches_eager(case, dtype_name):
    eager = _eager(case)
    if eager is None:
        with pytest.raises(TypeError):
            fx.jit(case.fun)(*case.args)
        return
    jitted = case.outs(fx.jit(case.fun)(*case.args))
    for k, (j, e) in enumerate(zip(jitted, eager)):
        assert j.dtype == e.dtype
        if dtypes.is_16bit_float(e.dtype):
            _close(j, e, e.dtype, f"jit output {k}", ulps=2)
        elif dtypes.is_complex(e.dtype):  # fx's own complex algorithms against NumPy's
            np.testing.assert_allclose(j, e, rtol=0, atol=16 * np.finfo(e.dtype).eps * np.abs(e).max())
        else:
            np.testing.assert_array_equal(j, e)


@pytest.mark.parametrize("case,dtype_name", HALF_CASES)
def test_vmap_and_derivatives_keep_the_dtype(case, dtype_name):
    if _eager(case) is None:
        return
    batched = [np.stack([a, a]) for a in case.args]
    out = fx.vmap(case.fun)(*batched)
    for o, e in zip(case.outs(out), _eager(case)):
        assert o.dtype == e.dtype
        wide = np.complex128 if dtypes.is_complex(e.dtype) else np.float64
        np.testing.assert_array_equal(np.asarray(o[1], wide), np.asarray(e, wide))
    argnums = [i for i in case.diff_argnums if dtypes.is_16bit_float(np.asarray(case.args[i]).dtype)]
    if not argnums:
        return
    f = case.restrict(argnums)
    primals = [case.args[i] for i in argnums]
    tangents = [np.ones_like(p) for p in primals]
    _, out_tangents = fx.jvp(f, primals, tangents)
    for t, e in zip(case.results(out_tangents), _eager(case)):
        assert np.asarray(t).dtype == e.dtype or not dtypes.is_floating(e.dtype)
    outs, pullback = fx.vjp(f, *primals)
    cotangents = pullback(case.as_result([np.ones(np.shape(o), np.asarray(o).dtype) for o in case.results(outs)]))
    for c, p in zip(cotangents, primals):
        assert np.asarray(c).dtype == p.dtype


@pytest.mark.parametrize("case,dtype_name", COMPLEX_CASES)
def test_complex_arguments(case, dtype_name, x64):
    """Refused with a TypeError naming the primitive, or: abstract_eval's dtypes, jit equal
    to eager within a few ulp (native complex arithmetic against NumPy's), vmap equal to
    eager, and derivatives of the arguments' dtypes."""
    eager = _typed_eager(case)
    if eager is None:
        return
    jitted = case.outs(fx.jit(case.fun)(*case.args))
    for k, (j, e) in enumerate(zip(jitted, eager)):
        assert j.dtype == e.dtype
        if dtypes.is_inexact(e.dtype):
            scale = np.max(np.abs(e[np.isfinite(e)]), initial=1.0)
            np.testing.assert_allclose(j, e, rtol=64 * np.finfo(e.dtype).eps,
                                       atol=64 * np.finfo(e.dtype).eps * scale, err_msg=f"jit output {k}")
        else:
            np.testing.assert_array_equal(j, e)
    batched = fx.vmap(case.fun)(*[np.stack([a, a]) for a in case.args])
    for o, e in zip(case.outs(batched), eager):
        np.testing.assert_allclose(o[1], e, rtol=1e-14, atol=0)
    argnums = [i for i in case.diff_argnums if dtypes.is_complex(np.asarray(case.args[i]).dtype)]
    if argnums:
        primals = [case.args[i] for i in argnums]
        _, pullback = fx.vjp(case.restrict(argnums), *primals)
        outs = case.results(case.fun(*case.args))
        cts = pullback(case.as_result([np.ones(np.shape(o), np.asarray(o).dtype) for o in outs]))
        for c, p in zip(cts, primals):
            assert np.asarray(c).dtype == p.dtype
