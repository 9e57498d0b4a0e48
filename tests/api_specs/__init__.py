"""The table that drives tests/api/test_api.py: one `Spec` per public function (or per
interesting way of calling it).

Each module in this package defines `SPECS`, a list of `Spec`s, for one area of the API
(numpy creation, numpy reductions, lax, nn, ...). A spec says how to call the fx function,
what NumPy (or a hand-written reference) gives for the same arguments, how to draw those
arguments, and which derivative orders make sense. tests/api/test_api.py turns every spec into
value, jit, gradient and vmap checks.
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any, Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class Spec:
    """How to check one fx function.

    fn        the fx function, called as fn(*args) with NumPy arrays (close over static
              arguments: `lambda x: jnp.sum(x, axis=1)`).
    ref       the reference, called as ref(*args) with the same NumPy arrays; None when
              there is no independent oracle (then only jit/grad/vmap are checked).
    args      rng -> tuple of NumPy arrays (float64 for floating inputs: the checks run
              with x64 on, so finite differences are meaningful).
    grad      highest derivative order to check against finite differences: 0 (not
              differentiable, or integer-valued), 1, or 2.
    diff_argnums  which args to differentiate (default: every floating arg).
    vmap      whether to check vmap against a loop (batching every arg on axis 0).
    rtol/atol value tolerance against `ref`.
    """
    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any] | None
    args: Callable[[np.random.Generator], tuple]
    grad: int = 1
    diff_argnums: tuple[int, ...] | None = None
    vmap: bool = True
    rtol: float = 1e-10
    atol: float = 1e-12


def all_specs() -> list[Spec]:
    """Every spec of every module in this package, names unique."""
    specs = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        specs.extend(module.SPECS)
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"duplicate spec names: {duplicates}"
    return specs


# ---------------------------------------------------------------------------- generators
# Small argument generators the spec modules share.

def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def positive(*shape, low=0.5, high=2.0):
    return lambda rng: rng.uniform(low, high, shape)


def uniform(*shape, low=-1.0, high=1.0):
    return lambda rng: rng.uniform(low, high, shape)


def integers(*shape, low=0, high=5, dtype=np.int64):
    return lambda rng: rng.integers(low, high, shape).astype(dtype)


def draws(*generators):
    """Combine per-argument generators into an `args` callable."""
    return lambda rng: tuple(g(rng) for g in generators)


# ---------------------------------------------------------------------------- references
# NumPy spellings of indexed updates the spec modules share.

def updated(ufunc, x, idx, v):
    """x with ufunc(x[idx], v) applied at idx, repeated indices accumulating (ufunc.at)."""
    out = x.copy()
    ufunc.at(out, idx, v)
    return out


def assigned(x, idx, v):
    """x with x[idx] = v."""
    out = x.copy()
    out[idx] = v
    return out
