"""fx's errors, with JAX's names and class hierarchy (`jax.errors`): code written for JAX
catches them unchanged.

The errors for traced values used where concrete ones are needed take the offending
tracer and say what was done to it, inside which transform, and at which line of the
user's code.
"""
from __future__ import annotations

import linecache
import os
import sys

__all__ = ["ConcretizationTypeError", "InconclusiveDimensionOperation", "JAXIndexError",
           "JAXTypeError", "JaxRuntimeError", "JaxprTypeError", "KeyReuseError",
           "NonConcreteBooleanIndexError", "TracerArrayConversionError", "TracerBoolConversionError",
           "TracerIntegerConversionError", "UnexpectedTracerError"]

_FX_DIR = os.path.dirname(os.path.abspath(__file__))


def user_frame_summary() -> str:
    """'file:line (function): source' of the innermost frame outside the fx package."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_FX_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown location>"
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    where = f"{frame.f_code.co_filename}:{frame.f_lineno} (in {frame.f_code.co_name})"
    return f"{where}\n    {line}" if line else where


def _traced(tracer) -> str:
    return f"a traced array {tracer.aval.str_short()} inside {tracer._trace.description}"


class JAXTypeError(TypeError):
    """Base of the TypeErrors about traced values and keys, so one except clause catches them."""


class JAXIndexError(IndexError):
    """Base of the IndexErrors about traced indices."""


class KeyReuseError(JAXTypeError):
    """A PRNG key was consumed twice (raised by key-reuse checking)."""


class JaxRuntimeError(RuntimeError):
    """A compiled program failed while it ran."""


class JaxprTypeError(TypeError):
    """A jaxpr is ill-typed: the type checker's verdict on a transform's output."""


class InconclusiveDimensionOperation(Exception):
    """A comparison of symbolic dimensions whose answer depends on their values."""


class ConcretizationTypeError(JAXTypeError):
    """A traced value was used where Python needs a concrete one."""

    def __init__(self, tracer, what, why=None):
        why = why or ("Its value is unknown while tracing, because it depends on a function "
                      "argument.")
        super().__init__(
            f"Abstract tracer value encountered where a concrete value is expected: {what} "
            f"was applied to {_traced(tracer)}.\n  at {user_frame_summary()}\n"
            f"{why} For value-dependent control flow use fx.numpy.where or fx.lax.cond/select "
            "instead of Python `if`/`while`; if the value is really configuration, mark the "
            "argument static with jit(..., static_argnums=...) or static_argnames=...; and "
            "pass shapes as Python ints, not arrays.")


class TracerBoolConversionError(ConcretizationTypeError):
    """bool() of a traced value: a Python `if`, `while`, `and`, `or` or `not` on it."""

    def __init__(self, tracer):
        super().__init__(tracer, "bool() (a Python `if`, `while`, `and`, `or` or `not`)")


class TracerIntegerConversionError(JAXTypeError):
    """__index__ of a traced value: used as a Python index, shape or range bound."""

    def __init__(self, tracer):
        super().__init__(
            f"The __index__() method was called on {_traced(tracer)}.\n"
            f"  at {user_frame_summary()}\n"
            "A traced value cannot index a Python list or tuple, or serve as a shape or a "
            "range() bound, because its value is unknown while tracing. Index arrays with "
            "fx.numpy / fx.lax.dynamic_slice instead, or mark the argument static with "
            "jit(..., static_argnums=...).")


class TracerArrayConversionError(JAXTypeError):
    """A NumPy function (np.asarray, np.sin ...) was applied to a traced value."""

    def __init__(self, tracer):
        super().__init__(
            f"The numpy.ndarray conversion method __array__() was called on {_traced(tracer)}.\n"
            f"  at {user_frame_summary()}\n"
            "This happens when a NumPy function is applied to a traced value: NumPy would "
            "compute with it as a constant, and the transform would miss the operation. Use "
            "the matching fx.numpy function instead (import fx.numpy as jnp; jnp.sin(x), "
            "not np.sin(x)), or, if the value is really configuration, mark the argument "
            "static with jit(..., static_argnums=...).")


class UnexpectedTracerError(JAXTypeError):
    """A tracer escaped the transform that made it (saved in a global, a closure...)."""

    def __init__(self, tracer):
        super().__init__(
            f"Encountered an unexpected tracer {tracer.aval.str_short()} that escaped from "
            f"{tracer._trace.description}, which has already finished.\n"
            f"  used at {user_frame_summary()}\n"
            "A value computed inside a transformed function was kept after the function "
            "returned (stored in a global, an attribute or a list). Return it from the "
            "function instead, or pass it in as an argument.")


class NonConcreteBooleanIndexError(JAXIndexError):
    """A traced boolean mask used as an index: the output shape would depend on its values."""

    def __init__(self, mask):
        super().__init__(
            f"Array boolean indices must be concrete; got a traced mask {mask.aval.str_short()}. "
            "The number of True entries decides the output shape, which must be static under "
            "transforms. Use fx.numpy.where(mask, x, y) to select elementwise, x.at[...] with "
            "jnp.nonzero(mask, size=...) for a fixed-size result, or sum(x, where=mask) for reductions.")
