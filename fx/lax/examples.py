"""Sample inputs each primitive registers with itself, for the generated tests.

The test suite (tests/lax/test_primitives.py) walks `fx.core.primitives` and, for every
`Example`, checks the impl against `reference`, the JVP against finite differences, the
transpose against the dot-product identity, batching against a Python loop, and the
type of every transformed jaxpr. A new primitive is tested as soon as it has examples.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Example:
    args: tuple                          # NumPy arrays; float operands in float64
    params: dict = field(default_factory=dict)
    reference: Callable | None = None    # NumPy oracle: reference(*args, **params)
    diff_argnums: tuple | None = None    # JVP-checked args (default: every float arg)
    linear_argnums: tuple = ()           # args the primitive is linear in, jointly
    batch_argnums: tuple | None = None   # args vmap may batch (default: every arg)
    name: str = ""


def example(prim, *args, **kwargs):
    prim.examples.append(Example(tuple(args), **kwargs))


def rng(seed=0):
    return np.random.default_rng(seed)


def randn(*shape, seed=0):
    return rng(seed).standard_normal(shape)


def uniform(lo, hi, *shape, seed=0):
    return rng(seed).uniform(lo, hi, shape)
