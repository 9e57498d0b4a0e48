"""The tracing core: abstract values, primitives, traces and tracers.

Dispatch is by context, as in current JAX (and its "autodidax2"): a thread-local current
trace receives every `Primitive.bind`. A transform's trace runs a primitive's rule with
its *parent* as the current trace, so the rule's own operations go one level up. A tracer
belongs to a trace by identity only: any value that is not one of this trace's tracers is
a constant to it (a primal with zero tangent, an unbatched value, a known value). That
makes nested derivatives free of perturbation confusion without levels or sublevels.
"""
from __future__ import annotations

import contextlib
import functools
import math
import operator
import sys
import threading

import numpy as np

from fx import dtypes
from fx.argcheck import describe
from fx.config import config
from fx.array import HOST, Array, ArrayImpl, buffer_on, common_device
from fx.errors import (ConcretizationTypeError, TracerArrayConversionError,  # noqa: F401
                       TracerBoolConversionError, TracerIntegerConversionError,
                       UnexpectedTracerError, user_frame_summary)


# ---------------------------------------------------------------------------- avals

class ShapedArray:
    """The abstract value of an array: shape, dtype and JAX's weak-type flag."""
    __slots__ = ("shape", "dtype", "weak_type", "_hash")

    def __init__(self, shape, dtype, weak_type=False):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)
        self._hash = hash((self.shape, self.dtype, self.weak_type))

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(math.prod(self.shape))

    def update(self, shape=None, dtype=None, weak_type=None):
        return ShapedArray(self.shape if shape is None else shape,
                           self.dtype if dtype is None else dtype,
                           self.weak_type if weak_type is None else weak_type)

    def strip_weak_type(self):
        return self if not self.weak_type else ShapedArray(self.shape, self.dtype, False)

    def __eq__(self, other):
        return (type(other) is ShapedArray and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return self._hash

    def str_short(self):
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.dtype.name}{list(self.shape)}{weak})"


_SCALAR_TYPES = (bool, int, float, complex, np.bool_, np.number)


def get_aval(x) -> ShapedArray:
    """The abstract value of anything fx accepts as an array argument."""
    if isinstance(x, Array):
        return x.aval
    if isinstance(x, (bool, int, float, complex)):  # Python numbers are weakly typed; bools are not
        return ShapedArray((), dtypes.dtype_of(x), type(x) is not bool)
    if isinstance(x, (np.ndarray, np.generic)):
        if type(x) is not np.ndarray and isinstance(x, np.ma.MaskedArray):
            raise masked_array_error()
        return ShapedArray(x.shape, dtypes.canonicalize_dtype(x.dtype), False)
    raise TypeError(f"Value {describe(x)} is not a valid fx type: "
                    "expected an fx.ArrayImpl, a NumPy array or a Python scalar.")


def masked_array_error():
    """The error for a NumPy masked array given as an array argument: fx would drop the
    mask and compute with the hidden values, so it refuses, as JAX does."""
    return ValueError("NumPy masked arrays are not supported as fx array arguments (the mask "
                      "would be ignored); use x.filled(value) to choose the masked entries' value")


def as_array(x):
    """Python scalars as fx arrays (weakly typed), so rules can read .shape and .dtype."""
    if type(x) in (bool, int, float, complex):
        aval = get_aval(x)
        return ArrayImpl._wrap(np.asarray(x, aval.dtype), aval)
    return x


def is_array_like(x) -> bool:
    return isinstance(x, (Array, np.ndarray, np.generic, bool, int, float, complex))


# ---------------------------------------------------------------------------- primitives

primitives: dict[str, "Primitive"] = {}


class Primitive:
    """An operation every layer understands. Its rules are set by its defining module.

    impl(*ndarrays, **params) -> ndarray (list if multiple_results)
    abstract_eval(*avals, **params) -> ShapedArray (list if multiple_results)
    jvp(primals, tangents, **params) -> (out, out_tangent); tangents may be `Zero`
    transpose(ct, *args, **params) -> a cotangent (or None) per arg; linear args are
        `UndefinedPrimal`s
    batch(args, dims, **params) -> (out, out_dim); a dim is an int or None (unbatched)
    partial_eval(trace, args, **params): optional, for primitives holding jaxprs
    lower(ctx, *values, **params) -> value(s) of the kernel program (fx/ir/lower.py)

    An `effectful` primitive (a debug or io callback) does more than compute its outputs:
    passes never drop it for having unused outputs, nor merge two of its equations.
    """

    def __init__(self, name, *, multiple_results=False, effectful=False):
        self.name = name
        self.multiple_results = multiple_results
        self.effectful = effectful
        self.impl = self.abstract_eval = None
        self.jvp = self.transpose = self.batch = self.partial_eval = self.lower = None
        self.examples = []  # `fx.lax.examples.Example`s the generated tests run
        if name in primitives:
            raise ValueError(f"primitive {name!r} registered twice")
        primitives[name] = self

    def bind(self, *args, **params):
        return _context.trace.process_primitive(self, args, params)

    def rule(self, kind: str):
        """The rule for a transform, or NotImplementedError naming both."""
        rule = getattr(self, kind)
        if rule is None:
            transform = {"jvp": "differentiation (jvp)", "transpose": "transposition (reverse mode)",
                         "batch": "batching (vmap)", "impl": "evaluation",
                         "abstract_eval": "abstract evaluation"}[kind]
            raise NotImplementedError(f"{transform} rule for primitive '{self.name}' is not implemented")
        return rule

    def __repr__(self):
        return self.name


# ---------------------------------------------------------------------------- symbolic values

class Zero:
    """A symbolic zero tangent or cotangent: known to be zero, never materialised."""
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"Zero({self.aval.str_short()})"


class UndefinedPrimal:
    """Marks the linear input of a primitive during transposition."""
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"UndefinedPrimal({self.aval.str_short()})"


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    """Tangents of integers and booleans are float0 in JAX; fx keeps them symbolic zeros."""
    return aval.strip_weak_type() if dtypes.is_inexact(aval.dtype) else aval


# ---------------------------------------------------------------------------- traces

class Trace:
    """Interprets primitives. `parent` is where its rules' own operations go."""
    description = "trace"

    def __init__(self, parent: "Trace | None"):
        self.parent = parent
        self.alive = True

    def process_primitive(self, prim, args, params):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({self.description})"


class EvalTrace(Trace):
    """The root: runs each primitive right away. Host arrays go straight to the primitive's
    NumPy impl; arrays on another device go through a one-primitive program its backend
    compiles (and caches), so eager work stays on the device."""
    description = "eager evaluation"

    def process_primitive(self, prim, args, params):
        vals, avals = [], []
        for x in args:
            if type(x) is ArrayImpl and not x._committed:
                vals.append(x._buffer)
                avals.append(x._aval)
            elif isinstance(x, Tracer):
                raise escaped_tracer_error(x)
            elif type(x) is ArrayImpl:
                return self._placed(prim, args, params)
            else:
                aval = get_aval(x)
                vals.append(np.asarray(x, aval.dtype))
                avals.append(aval)
        default = config.default_device
        if default is not None and default is not HOST:
            return self._placed(prim, args, params)
        return _on_host(prim, vals, avals, params, ArrayImpl._wrap)

    def _placed(self, prim, args, params):
        """Work on committed arrays, or for a default device: run there, results
        committed there."""
        device = common_device(args) or config.default_device
        avals = [get_aval(x) for x in args]
        buffers = [buffer_on(x, aval, device) for x, aval in zip(args, avals)]
        wrap = functools.partial(ArrayImpl._on_device, device=device)
        if device is HOST:
            return _on_host(prim, buffers, avals, params, wrap)
        out_avals = prim.rule("abstract_eval")(*avals, **params)
        outs = device.backend.run_primitive(prim, params, avals, out_avals, buffers)
        if prim.multiple_results:
            return [wrap(o, a) for o, a in zip(outs, out_avals)]
        return wrap(outs[0], out_avals)


def _on_host(prim, vals, avals, params, wrap):
    """Run `prim`'s NumPy impl on host buffers; `wrap(buffer, aval)` makes each output."""
    out_aval = prim.rule("abstract_eval")(*avals, **params)
    out = prim.rule("impl")(*vals, **params)
    if config.debug_nans or config.debug_infs:
        _check_finite(prim, out if prim.multiple_results else [out])
    if prim.multiple_results:
        return [wrap(np.asarray(o), a) for o, a in zip(out, out_aval)]
    return wrap(np.asarray(out), out_aval)


def _check_finite(prim, outs):
    """debug_nans / debug_infs op by op: a FloatingPointError naming the primitive and the
    user's line when an output holds a NaN (an infinity)."""
    from fx import source_info
    for out in outs:
        out = np.asarray(out)
        if out.dtype.kind not in "fc" and out.dtype != dtypes.bfloat16:
            continue
        with np.errstate(invalid="ignore"):
            values = out.astype(np.complex128 if out.dtype.kind == "c" else np.float64)
            nan, inf = config.debug_nans and np.isnan(values).any(), config.debug_infs and np.isinf(values).any()
        if nan or inf:
            raise FloatingPointError(f"{'NaN' if nan else 'an infinity'} produced by {prim.name}"
                                     f"{source_info.in_pass(prim.name, source_info.current())} "
                                     "(debug_nans, op by op)")


class _Context(threading.local):
    def __init__(self):
        self.trace = EVAL_TRACE


EVAL_TRACE = EvalTrace(None)
_context = _Context()


class _CompileTimeEvalTrace(EvalTrace):
    """Inside ensure_compile_time_eval: operations on concrete values run now; those on a
    transform's tracers go to the trace that was current when the block began."""
    description = "compile-time evaluation"

    def process_primitive(self, prim, args, params):
        if any(isinstance(a, Tracer) for a in args):
            with set_current_trace(self.parent):
                return prim.bind(*args, **params)
        return super().process_primitive(prim, args, params)


@contextlib.contextmanager
def ensure_compile_time_eval():
    """`with fx.ensure_compile_time_eval():` operations whose operands are all concrete run
    right away even inside jit (so their values can steer Python control flow), as in JAX;
    operations on traced values are still traced."""
    with set_current_trace(_CompileTimeEvalTrace(_context.trace)):
        yield


def current_trace() -> Trace:
    return _context.trace


@contextlib.contextmanager
def set_current_trace(trace):
    """Run with `trace` receiving binds (used by rules to send work to a parent)."""
    prev, _context.trace = _context.trace, trace
    try:
        yield trace
    finally:
        _context.trace = prev


@contextlib.contextmanager
def new_trace(trace):
    """Own a trace's lifetime: current inside the block, dead after it.

    A tracer of a dead trace that is used later has escaped its transform; the next
    trace that sees it reports that clearly (see `escaped_tracer_error`).
    """
    prev, _context.trace = _context.trace, trace
    try:
        yield trace
    finally:
        _context.trace = prev
        trace.alive = False


# ---------------------------------------------------------------------------- deep recursion

# C stack allowed per unit of Python's recursion limit. A Python frame that recurses
# through C (a __call__, a hash) takes ~0.7 KB of C stack in CPython 3.11 (measured:
# 8 MB overflows between 10,000 and 15,000 such frames); tracing nested jits takes
# ~0.2 KB per unit.
_STACK_BYTES_PER_FRAME = 1024
_DEFAULT_STACK_BYTES = 8 << 20
_deep = threading.Lock()
_deep_state = {"active": 0, "saved": None}  # blocks open in all threads; the user's limit
_deep_local = threading.local()             # blocks open in this thread


def _stack_bytes():
    """The C stack of this thread: a thread's is threading.stack_size() (else the
    default, RLIMIT_STACK); the main thread's is RLIMIT_STACK, or the threads' size if
    smaller (they may run Python under the same, process-wide, limit)."""
    try:
        import resource
        soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
    except (ImportError, OSError, ValueError):
        soft = -1
    main = soft if 0 < soft < (1 << 40) else _DEFAULT_STACK_BYTES
    threads = threading.stack_size() or main
    return min(main, threads) if threading.current_thread() is threading.main_thread() else threads


def safe_recursion_limit() -> int:
    """The deepest Python recursion the C stack holds, with margin."""
    return max(1000, _stack_bytes() // _STACK_BYTES_PER_FRAME)


@contextlib.contextmanager
def deep_recursion(what):
    """Let tracing recurse as deep as the C stack safely allows (nested jits cost a few
    Python frames per level; 1,000 levels need more than Python's default limit of 1000).

    The limit is raised only while some thread is inside such a block, never lowered
    below what the user set, and restored when the last one leaves. A RecursionError
    in the outermost block becomes one that says what was too deep and why."""
    with _deep:
        if _deep_state["active"] == 0:
            _deep_state["saved"] = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_deep_state["saved"], safe_recursion_limit()))
        _deep_state["active"] += 1
    depth = _deep_local.depth = getattr(_deep_local, "depth", 0) + 1
    try:
        yield
    except RecursionError as e:
        if depth > 1:
            raise
        raise RecursionError(
            f"fx could not {what}: it recurses deeper than {sys.getrecursionlimit()} Python "
            "frames (a nested jit call costs about 5), the most this "
            "thread's C stack holds safely. Flatten the nesting (call the inner functions "
            "without jit: the outer jit compiles them all together), or run in a thread "
            "with a larger stack (threading.stack_size).") from e
    finally:
        _deep_local.depth = depth - 1
        with _deep:
            _deep_state["active"] -= 1
            if _deep_state["active"] == 0:
                with contextlib.suppress(RecursionError):  # this thread is deeper than the
                    sys.setrecursionlimit(_deep_state["saved"])  # old limit: keep the safe one


# ---------------------------------------------------------------------------- tracers

class Tracer(Array):
    """A value standing for an array inside a transform. Subclasses add their payload."""
    __slots__ = ("_trace",)

    def to_concrete_value(self):
        """The concrete value this tracer stands for, if the transform knows it."""
        return None

    def _abstract_origin(self):
        """The tracer (possibly inside this one) whose trace knows no concrete value."""
        return self

    def _concrete(self, what, error=None):
        """The concrete value, or `error(tracer)` (else a ConcretizationTypeError) if unknown."""
        if not self._trace.alive:
            raise escaped_tracer_error(self)
        value = self.to_concrete_value()
        if value is None:
            origin = self._abstract_origin()
            raise error(origin) if error else ConcretizationTypeError(origin, what)
        return value

    def __bool__(self):
        return bool(self._concrete("bool()", TracerBoolConversionError))

    def __int__(self):
        return int(self._concrete("int()"))

    def __float__(self):
        raise self._conversion_error("float()")

    def __complex__(self):
        raise self._conversion_error("complex()")

    def _conversion_error(self, what):
        """float() and complex() fail even where the value is known, as in JAX: under grad
        they would turn the traced value into a constant and silently drop its derivative
        (int() and bool() give piecewise-constant results, whose derivative is zero)."""
        if not self._trace.alive:
            return escaped_tracer_error(self)
        return ConcretizationTypeError(
            self, what, f"{what} would make the traced value a Python constant, so the "
            "transform would lose track of it (a derivative would silently be dropped). To "
            "change the dtype use x.astype(...).")

    def __index__(self):
        return self._concrete("__index__()", TracerIntegerConversionError).__index__()

    def __array__(self, dtype=None, copy=None):
        """Always an error, as in JAX, even where the value is known (under grad outside
        jit): a NumPy function would treat the traced value as a constant and the
        transform would silently miss the operation."""
        if not self._trace.alive:
            raise escaped_tracer_error(self)
        raise TracerArrayConversionError(self)

    def tolist(self):
        return self.__array__().tolist()  # a NumPy conversion, so an error as in JAX

    def item(self, *args):
        return self._concrete("item()").item(*args)

    def __hash__(self):
        raise TypeError(f"unhashable type: traced array {self.aval.str_short()}")

    def block_until_ready(self):
        return self

    def __repr__(self):
        return f"Traced<{self.aval!r}>with<{self._trace!r}>"


# ---------------------------------------------------------------------------- errors

def escaped_tracer_error(tracer) -> UnexpectedTracerError:
    return UnexpectedTracerError(tracer)


class ShapeDtypeStruct:
    """A shape and a dtype standing for an array argument (eval_shape, make_jaxpr) or
    describing a result. A pytree leaf, as in JAX, so tree_map visits it whole."""
    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type=False):
        try:
            shape = tuple(operator.index(d) for d in shape)
        except TypeError:
            raise TypeError(f"ShapeDtypeStruct: shape must be a tuple of ints, got "
                            f"{describe(shape)}") from None
        if any(d < 0 for d in shape):
            raise ValueError(f"ShapeDtypeStruct: shape must not have negative sizes, got {shape}")
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"ShapeDtypeStruct: expected a dtype, got {describe(dtype)}") from None
        self.shape, self.dtype, self.weak_type = shape, dtype, bool(weak_type)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def aval(self):
        return ShapedArray(self.shape, dtypes.canonicalize_dtype(self.dtype), self.weak_type)

    @classmethod
    def like(cls, x):
        """The shape, dtype and weak type of `x`: an array, a tracer, a Python or NumPy
        number, or anything with `shape` and `dtype` (JAX's ShapeDtypeStruct.like)."""
        if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (Array, np.ndarray, np.generic)):
            return cls(x.shape, x.dtype, getattr(x, "weak_type", False))
        aval = get_aval(x)
        return cls(aval.shape, aval.dtype, aval.weak_type)

    def __eq__(self, other):
        return (type(other) is ShapeDtypeStruct and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"
