"""fx's public signatures against JAX's, so that calls written for JAX (keywords
included) work: parameter names, order, kinds (positional-only, keyword-only, *args)
and defaults. JAX's signatures are recorded in jax_signatures.json by
scripts/record_jax_signatures.py (the only part that needs jax)."""
import importlib
import inspect
import json
import pathlib
import re

import pytest

MODULES = ("numpy", "numpy.linalg", "numpy.fft", "lax", "nn", "nn.initializers")

# JAX parameters fx leaves out everywhere: sharding-in-types (explicit mesh axes, which fx
# does not have) and einsum's private hook for a replacement dot_general.
IGNORED_JAX_PARAMETERS = {"out_sharding", "_dot_general"}

# Intentional differences, each with its reason. test_allow_list_is_current fails when
# an entry no longer differs, so the list cannot go stale.
ALLOWED = {
    # fx.dtypes' functions, shared with fx.numpy (and not fx.numpy's to change)
    "numpy.issubdtype": "fx.dtypes.issubdtype(a, b)",
    "numpy.result_type": "fx.dtypes.result_type takes fx's return_weak_type_flag",
    # NumPy's explicit keywords; JAX's forwards (*args, **kwargs) to NumPy
    "numpy.set_printoptions": "NumPy's own keywords instead of JAX's (*args, **kwargs)",
    # fx keeps NumPy's deprecated spellings that JAX removed, keyword-only
    "numpy.clip": "also NumPy's a_min= / a_max= keywords",
    "numpy.reshape": "also NumPy's newshape= keyword (so `shape` has a default)",
    "lax.random_gamma_grad": "JAX's is (*args); fx's names its (a, x)",
    # other modules' (fx/lax/slicing.py, reductions.py, control_flow, fx/numpy/_indexing.py)
    "lax.dynamic_slice": "no allow_negative_indices= yet (fx/lax/slicing.py)",
    "lax.dynamic_update_slice": "no allow_negative_indices= yet (fx/lax/slicing.py)",
    "lax.reduce_sum": "(x, axes) in fx/lax/reductions.py",
    "lax.cond": "no deprecated operand= keyword",
    "lax.switch": "no deprecated operand= keyword",
    "numpy.compress": "no out= yet (fx/numpy/_indexing.py)",
    # left to do: parameters that need behaviour, not only a name
    "lax.full": "no sharding= (fx has no meshes)",
    "lax.full_like": "no sharding= (fx has no meshes)",
    "lax.mul": "no out_dtype= yet",
    "nn.standardize": "no algorithm= yet",
    "numpy.arange": "no device= yet", "numpy.eye": "no device= yet",
    "numpy.linspace": "no device= yet", "numpy.fft.fftfreq": "no device= yet",
    "numpy.fft.rfftfreq": "no device= yet",
    "numpy.array": "(x, dtype=None, copy=True): no order=, ndmin=, device= yet",
    "numpy.asarray": "(x, dtype=None): no order=, copy=, device= yet",
    "numpy.empty_like": "is zeros_like (its first parameter is `a`, JAX's `prototype`)",
    "numpy.nanpercentile": "no weights= yet", "numpy.nanquantile": "no weights= yet",
    "numpy.std": "no mean= yet", "numpy.var": "no mean= yet",
    "numpy.nanstd": "no mean= yet", "numpy.nanvar": "no mean= yet",
    "numpy.ravel_multi_index": "no dtype= yet",
    "numpy.take_along_axis": "no wrap_negative_indices= yet",
    # `accuracy=` selects among XLA's transcendental implementations; fx has one each
    **{f"lax.{name}": "no accuracy= (fx has one implementation)"
       for name in ("cbrt", "cos", "exp", "exp2", "expm1", "log", "log1p", "logistic", "rsqrt",
                    "sin", "sqrt", "tan", "tanh")},
}

_DATA = pathlib.Path(__file__).with_name("jax_signatures.json")
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def parameters(signature):
    """[name, kind, repr of the default or None] per parameter: annotations left out, and
    memory addresses (in the repr of a sentinel default) too."""
    return [[p.name, p.kind.name,
             None if p.default is p.empty else _ADDRESS.sub("", repr(p.default))]
            for p in signature.parameters.values()]


def _comparable(params):
    """Parameters as compared: a positional-only parameter's name is invisible to callers
    (and JAX's own vary: add(x, y, /) but divide(x1, x2, /)), so only its position counts."""
    return [(f"#{i}" if kind == "POSITIONAL_ONLY" else name, kind, default)
            for i, (name, kind, default) in enumerate(params) if name not in IGNORED_JAX_PARAMETERS]


class _Default(str):
    """A recorded default, shown as recorded."""
    def __repr__(self):
        return str(self)


def _show(params):
    return str(inspect.Signature([
        inspect.Parameter(name, getattr(inspect.Parameter, kind),
                          default=inspect.Parameter.empty if default is None else _Default(default))
        for name, kind, default in params]))


def _fx_function(qualname):
    module_name, name = qualname.rsplit(".", 1)
    return getattr(importlib.import_module(f"fx.{module_name}"), name, None)


def _differences():
    """{qualified name: (JAX's signature, fx's)} for each function both have that differs."""
    recorded = json.loads(_DATA.read_text())["signatures"]
    out = {}
    for qualname, jax_params in recorded.items():
        f = _fx_function(qualname)
        if f is None or not callable(f):
            continue
        fx_params = parameters(inspect.signature(f))
        if _comparable(jax_params) != _comparable(fx_params):
            out[qualname] = (_show(jax_params), _show(fx_params))
    return out


def test_recorded_signatures_cover_the_modules():
    recorded = json.loads(_DATA.read_text())["signatures"]
    compared = [q for q in recorded if _fx_function(q) is not None]
    assert {q.rsplit(".", 1)[0] for q in compared} == set(MODULES)
    assert len(compared) > 500
    assert recorded["numpy.add"] == [["x", "POSITIONAL_ONLY", None], ["y", "POSITIONAL_ONLY", None]]


def test_signatures_match_jax():
    mismatches = {q: d for q, d in _differences().items() if q not in ALLOWED}
    assert not mismatches, "fx signatures that differ from JAX's:\n" + "\n".join(
        f"  {q}: jax {j}\n  {' ' * len(q)}  fx  {f}" for q, (j, f) in sorted(mismatches.items()))


def test_allow_list_is_current():
    stale = sorted(set(ALLOWED) - set(_differences()))
    assert not stale, f"these ALLOWED entries now match JAX; remove them: {stale}"


@pytest.mark.parametrize("f, expected", [
    (lambda a, b, /, c=1, *d, e, f=None, **g: None,
     [["a", "POSITIONAL_ONLY", None], ["b", "POSITIONAL_ONLY", None],
      ["c", "POSITIONAL_OR_KEYWORD", "1"], ["d", "VAR_POSITIONAL", None],
      ["e", "KEYWORD_ONLY", None], ["f", "KEYWORD_ONLY", "None"], ["g", "VAR_KEYWORD", None]]),
    (lambda x, s=object(): None,
     [["x", "POSITIONAL_OR_KEYWORD", None], ["s", "POSITIONAL_OR_KEYWORD", "<object object>"]]),
])
def test_parameters_records_kinds_and_defaults(f, expected):
    assert parameters(inspect.signature(f)) == expected
