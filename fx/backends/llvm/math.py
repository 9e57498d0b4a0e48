"""Transcendental scalar ops for generated code: fx's inline, vectorisable polynomials
(mathlib), with `logistic` built from its exp."""
from __future__ import annotations

from fx.backends.llvm import mathlib


def emit(em, name, args):
    return mathlib.emit(em.b, name, args)
