"""jit: stage a function into a jaxpr once per argument signature, compile it, call it.

`jit` is a primitive (`jit_p`, printed `jit` in jaxprs) holding a closed jaxpr. Its rules transform the inner
jaxpr (cached per jaxpr), so `grad(jit(f))` stays compiled on the forward and backward
pass and `vmap(jit(f))` compiles the batched jaxpr. At the top level, a call with a known
signature skips the trace machinery entirely: flatten, look up, one executable call.
"""
from __future__ import annotations

import collections
import functools
import inspect
import warnings
import weakref

import numpy as np

from fx import tree_util
from fx.argcheck import check_callable, check_str_tuple, int_tuple, normalize_argnums, describe
from fx.array import HOST, ArrayImpl, buffer_on, common_device, host_buffer
from fx.backends import get_backend
from fx.backends.base import Backend, HostBackend
from fx.config import config, trace_flags
from fx.core import (EVAL_TRACE, Primitive, ShapeDtypeStruct, Tracer, current_trace,
                     deep_recursion, get_aval, set_current_trace)
from fx.ir.jaxpr import ClosedJaxpr
from fx.sharding import Sharding
from fx.transforms.arguments import merge_static
from fx.transforms.call import check_operands, compiled, lower_inline, transform_the_call
from fx.transforms.partial_eval import partial_eval_jaxpr
from fx.transforms.staging import hoist_tracer_consts, staging
from fx.transforms.cache_miss import log_miss
from fx.transforms.stages import Lowered, Traced

jit_p = Primitive("jit", multiple_results=True)


def _jit_impl(*args, jaxpr, name, backend):
    """Host buffers in, host buffers out (the eager path of uncommitted arguments, e.g. the
    known half of grad(jit(f))); a device backend runs on copies on its device."""
    backend = backend if isinstance(backend, Backend) else get_backend(backend)
    executable = compiled(jaxpr, backend, name)
    if isinstance(backend, HostBackend):
        return executable(*args)
    device = backend.devices()[0]
    outs = executable(*(backend.to_device(np.asarray(a), device) for a in args))
    return [backend.to_host(o) for o in outs]


def _label(params):
    return f"jit({params['name']})"


jit_p.impl = _jit_impl
jit_p.abstract_eval = check_operands(_label)
jit_p.lower = lower_inline
transform_the_call(jit_p, _label, lambda params, how: dict(params, name=f"{how}({params['name']})"))


# ---------------------------------------------------------------------------- linearize: known and unknown halves

def _jit_partial_eval(trace, args, params):
    jaxpr, name, backend = params["jaxpr"], params["name"], params["backend"]
    unknowns = tuple(trace.is_own(x) for x in args)
    with deep_recursion(f"linearize jit({name})"):
        known, unknown, out_unknowns, num_res = partial_eval_jaxpr(jaxpr, unknowns)
    with set_current_trace(trace.parent):
        known_outs = jit_p.bind(*(x for x, u in zip(args, unknowns) if not u),
                                jaxpr=known, name=name, backend=backend)
    residuals = known_outs[len(known_outs) - num_res:]
    known_outs = iter(known_outs[:len(known_outs) - num_res])
    unknown_outs = iter(trace.stage(
        jit_p, residuals + [x for x, u in zip(args, unknowns) if u],
        dict(jaxpr=unknown, name=name, backend=backend)))
    return [next(unknown_outs) if u else next(known_outs) for u in out_unknowns]


jit_p.partial_eval = _jit_partial_eval


# ---------------------------------------------------------------------------- the wrapper

class disable_jit:
    """Context manager: run jitted functions op by op (for debugging with print/pdb); the
    `disable_jit` config option does the same for a whole program."""

    def __init__(self, disable=True):
        self.disable = disable

    def __enter__(self):
        self.prev, config.disable_jit = config.disable_jit, bool(self.disable)

    def __exit__(self, *exc):
        config.disable_jit = self.prev


class _CacheEntry:
    """What one argument signature traced to; the executable is made on first use, for
    the jit's backend, whose device (`home`) takes arguments that live on the host;
    arguments on another device run that device's backend's executable."""
    __slots__ = ("jaxpr", "out_tree", "hoisted", "name", "executable", "home", "in_avals",
                 "out_avals", "_single", "donated", "_warned")

    def __init__(self, jaxpr, out_tree, hoisted, name):
        self.jaxpr, self.out_tree, self.hoisted, self.executable = jaxpr, out_tree, hoisted, None
        self.name = name
        self.home = HOST
        self.in_avals, self.out_avals = jaxpr.in_avals, jaxpr.out_avals  # (read every call)
        self._single = tree_util.treedef_is_leaf(out_tree) and out_tree.num_leaves == 1
        self.donated, self._warned = (), False  # positions of the donated leaves

    def compile(self, backend):
        backend = backend if isinstance(backend, Backend) else get_backend(backend)
        self.executable = compiled(self.jaxpr, backend, self.name)
        self.home = HOST if isinstance(backend, HostBackend) else backend.devices()[0]

    def run(self, leaves, backend):
        """Call the executable on concrete leaves and wrap its outputs. Arrays committed to
        a device run there (JAX's rule); otherwise the work runs on the jit's `home`."""
        for x in leaves:  # (common_device inlined: this is every call's path)
            if type(x) is ArrayImpl and x._committed:
                break
        else:  # the common case: uncommitted arguments, a host executable
            if self.home is HOST and (backend is not None or config.default_device is None):
                outs = self.executable(*map(_host_argument, leaves, self.in_avals))
                if self._single:
                    return ArrayImpl._wrap(outs[0], self.out_avals[0])
                return tree_util.tree_unflatten(self.out_tree,
                                                list(map(ArrayImpl._wrap, outs, self.out_avals)))
        return self._run_placed(leaves, backend)

    def _run_placed(self, leaves, backend):
        committed = common_device(leaves)
        device = committed or (self.home if backend is not None or config.default_device is None
                               else config.default_device)
        if device is self.home:
            executable = self.executable
        elif backend is not None:
            raise ValueError(f"jit(..., backend={backend!r}) computes on {self.home}, but was "
                             f"given arrays committed to {device}; move them with "
                             "fx.device_put(x, device)")
        else:
            executable = compiled(self.jaxpr, device.backend or get_backend("cpu"), self.name)
        if device is HOST:  # the common case: uncommitted host arrays, host buffers out
            outs = executable(*map(host_buffer, leaves, self.in_avals))
            wrap = ArrayImpl._wrap if committed is None else _COMMITTED_TO_HOST
        else:
            buffers = [buffer_on(x, a, device) for x, a in zip(leaves, self.in_avals)]
            outs = (self._run_donating(executable, buffers, leaves) if self.donated
                    else executable(*buffers))
            wrap = functools.partial(ArrayImpl._on_device, device=device)
        if self._single:
            return wrap(outs[0], self.out_avals[0])
        return tree_util.tree_unflatten(self.out_tree, list(map(wrap, outs, self.out_avals)))

    def _run_donating(self, executable, buffers, leaves):
        """Run letting the executable write outputs into donated arguments' buffers (a
        device backend's `donation_aliases` says which); the arrays whose buffers it took
        are deleted, as in JAX. The CPU backend writes outputs into fresh memory."""
        plan = getattr(executable, "donation_aliases", None)
        if plan is None:
            return executable(*buffers)
        passed = collections.Counter(map(id, buffers))  # a buffer passed twice is read twice
        usable = tuple(i for i in self.donated if passed[id(buffers[i])] == 1)
        aliases = plan(usable)
        outs = executable(*buffers, aliases=aliases)
        for i in aliases.values():
            if type(leaves[i]) is ArrayImpl and leaves[i]._buffer is buffers[i]:
                leaves[i].delete()
        unused = [self.in_avals[i].str_short() for i in self.donated if i not in aliases.values()]
        if unused and not self._warned:
            self._warned = True
            warnings.warn(f"Some donated buffers were not usable: {', '.join(unused)} (an "
                          "output can take a donated buffer of its dtype and size that "
                          "nothing reads after the output is written)", UserWarning, stacklevel=4)
        return outs


_COMMITTED_TO_HOST = functools.partial(ArrayImpl._on_device, device=HOST)


def _host_argument(x, aval):
    """An uncommitted argument's buffer: host_buffer without its device check (an
    uncommitted array is always on the host)."""
    return x._buffer if type(x) is ArrayImpl else np.asarray(x, aval.dtype)


_FLAT_ARG_TYPES = frozenset({ArrayImpl, float, int, bool})


def _flat_key(args):
    """The cache key of a call whose arguments are all arrays or Python scalars."""
    if not all(type(a) in _FLAT_ARG_TYPES for a in args):
        return None
    return (trace_flags(config), *(a._aval if type(a) is ArrayImpl else get_aval(a) for a in args))


_instances = weakref.WeakSet()  # every live Jitted, for clear_all_caches


def clear_all_caches():
    """Empty the cache of every jitted function (fx.clear_caches)."""
    for jitted in list(_instances):
        jitted.clear_cache()


class Jitted:
    """The callable `jit(fun)` returns: traces once per signature, then calls compiled code."""

    def __init__(self, fun, static_argnums=(), static_argnames=(), backend=None,
                 donate_argnums=(), donate_argnames=()):
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._name = getattr(fun, "__name__", "fun")
        self._backend = backend
        self._signature = _signature(fun)
        nums, self._negative_static, names = _static_args(
            self._signature, static_argnums, static_argnames, f"jit({self._name})")
        self._static_argnums = frozenset(nums)
        self._static_argnames = frozenset(names)
        nums, negative, names = _static_args(self._signature, donate_argnums, donate_argnames,
                                             f"jit({self._name})", kind="donate")
        self._donate_argnums, self._donate_argnames = frozenset(nums + negative), frozenset(names)
        self._cache = {}
        self._flat_cache = {}  # (x64, avals) -> entry, for calls with only array arguments
        _instances.add(self)

    def __get__(self, obj, objtype=None):  # jit applied to a method
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        if config.disable_jit:
            return self._fun(*args, **kwargs)
        if not kwargs and current_trace() is EVAL_TRACE:
            entry = self._flat_cache.get(_flat_key(args))
            if entry is not None:  # arrays in, no pytrees, no statics: straight to native code
                return entry.run(args, self._backend)
        entry, dyn_leaves = self._lookup(args, kwargs)
        if entry.hoisted or current_trace() is not EVAL_TRACE:
            outs = jit_p.bind(*entry.hoisted, *dyn_leaves, jaxpr=entry.jaxpr, name=self._name,
                              backend=self._backend)
            return tree_util.tree_unflatten(entry.out_tree, outs)
        if entry.executable is None:
            entry.compile(self._backend)
        if not kwargs and not self._static_argnums and not self._negative_static and len(
                dyn_leaves) == len(args) and all(
                type(a) in _FLAT_ARG_TYPES for a in args):
            self._flat_cache[_flat_key(args)] = entry
        return entry.run(dyn_leaves, self._backend)

    def _signature_key(self, args, kwargs, aval_of=None):
        """(the cache key of a call: its tree, argument types, static values and the
        options tracing depends on; the call's dynamic leaves)."""
        dyn_args, dyn_kwargs, static = self._split_static(args, kwargs)
        leaves, in_tree = tree_util.tree_flatten((dyn_args, dyn_kwargs))
        avals = tuple((aval_of or _arg_aval)(x, i, self._name) for i, x in enumerate(leaves))
        return (in_tree, avals, static, *trace_flags(config)), leaves

    def _lookup(self, args, kwargs, key_and_leaves=None):
        key, leaves = key_and_leaves or self._signature_key(args, kwargs)
        entry = self._cache.get(key)
        if entry is None:
            if config.explain_cache_misses:
                log_miss(self._name, list(self._cache), key, self._leaf_names(args, kwargs))
            in_tree, avals, static = key[:3]
            entry = self._trace(in_tree, avals, static, args, kwargs)
            if self._donate_argnums or self._donate_argnames:
                entry.donated = self._donated_leaves(args, kwargs)
            if not entry.hoisted:  # never cache a jaxpr that closes over outer tracers
                self._cache[key] = entry
        return entry, leaves

    def _static_positions(self, count):
        """The static positions among `count` positional arguments."""
        if not self._negative_static:
            return self._static_argnums
        # counted from the end of this call's positional args
        return self._static_argnums | {i + count for i in self._negative_static if i + count >= 0}

    def _donated_leaves(self, args, kwargs):
        """The positions, among the flat dynamic arguments, of the donated arrays."""
        static = self._static_positions(len(args))
        donated = {i % len(args) if i < 0 else i for i in self._donate_argnums if -len(args) <= i}
        flags = []
        for i, a in enumerate(args):
            if i not in static:
                flags += [i in donated] * tree_util.tree_structure(a).num_leaves
        for k in sorted(kwargs):
            if k not in self._static_argnames:
                flags += [k in self._donate_argnames] * tree_util.tree_structure(kwargs[k]).num_leaves
        return tuple(i for i, flag in enumerate(flags) if flag)

    def _leaf_names(self, args, kwargs):
        """A name for each dynamic leaf of a call, e.g. "argument 0['w']" or "argument lr"."""
        static = self._static_positions(len(args))
        names = []
        for i, a in enumerate(args):
            if i not in static:
                names += [f"argument {i}{tree_util.keystr(path)}" for path, _ in tree_util.tree_flatten_with_path(a)[0]]
        for k in sorted(kwargs):
            if k not in self._static_argnames:
                names += [f"argument {k}{tree_util.keystr(path)}"
                          for path, _ in tree_util.tree_flatten_with_path(kwargs[k])[0]]
        return names

    def _split_static(self, args, kwargs):
        if not self._static_argnums and not self._static_argnames and not self._negative_static:
            return args, kwargs, ()
        nums = self._static_positions(len(args))
        dyn_args = tuple(a for i, a in enumerate(args) if i not in nums)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in self._static_argnames}
        static = (tuple((i, a) for i, a in enumerate(args) if i in nums)
                  + tuple(sorted((k, v) for k, v in kwargs.items() if k in self._static_argnames)))
        try:
            hash(static)
        except TypeError as e:
            raise ValueError(f"jit({self._name}): static arguments must be hashable, got "
                             f"{static!r} ({e}). Pass a tuple instead of a list, or make the "
                             "argument non-static.") from None
        return dyn_args, dyn_kwargs, static

    def _trace(self, in_tree, avals, static, args, kwargs):
        """Stage the function for one signature; the user's function runs in this frame
        (no callbacks), so nested jits cost few frames per level."""
        static_args = dict(i_a for i_a in static if isinstance(i_a[0], int))
        static_kwargs = dict(k_v for k_v in static if isinstance(k_v[0], str))
        with deep_recursion(f"trace jit({self._name})"), \
                staging(avals, f"jit({self._name})") as (trace, leaves):
            dyn_args, dyn_kwargs = tree_util.tree_unflatten(in_tree, leaves)
            out = self._fun(*merge_static(static_args, dyn_args, len(args)), **dyn_kwargs,
                            **static_kwargs)
            out_leaves, out_tree = tree_util.tree_flatten(out)
            for leaf in out_leaves:
                _check_output(leaf, self._name)
            jaxpr, consts = trace.to_jaxpr(leaves, out_leaves)
        closed, hoisted = hoist_tracer_consts(jaxpr, consts)
        return _CacheEntry(closed, out_tree, hoisted, self._name)

    def trace(self, *args, **kwargs) -> Traced:
        """The jaxpr jit stages for these arguments and its output types (JAX's .trace())."""
        key_and_leaves = self._signature_key(args, kwargs, _arg_or_struct_aval)
        return Traced(self, self._lookup(args, kwargs, key_and_leaves)[0], key_and_leaves[0])

    def lower(self, *args, **kwargs) -> Lowered:
        """The program jit compiles for these arguments, at each level (JAX's .lower())."""
        return self.trace(*args, **kwargs).lower()

    def trace_jaxpr(self, *args, **kwargs) -> ClosedJaxpr:
        """The jaxpr jit compiles for these arguments (hoisted outer tracers first)."""
        return self._lookup(args, kwargs)[0].jaxpr

    def eval_shape(self, *args, **kwargs):
        return self.trace(*args, **kwargs).out_info

    def clear_cache(self):
        self._cache.clear()
        self._flat_cache.clear()

    def __repr__(self):
        return f"<jitted function {self._name}>"


def jit(fun=None, in_shardings=None, out_shardings=None, *, static_argnums=(), static_argnames=(),
        donate_argnums=(), donate_argnames=(), backend=None, device=None, inline=False,
        keep_unused=False):
    """Compile `fun` for each new argument signature (shapes, dtypes, weak types, tree
    structure and static arguments); later calls with a seen signature reuse the code.

    Usable as `jit(f)`, `@jit` or `@partial(jit, static_argnums=...)`.

    `donate_argnums`/`donate_argnames` (as in JAX) let a device backend write outputs
    into the donated arguments' memory; arrays whose memory was taken are deleted (reading
    one raises RuntimeError). The CPU backend writes outputs into fresh memory and leaves
    donated arrays alone.

    `in_shardings`/`out_shardings` (pytrees of shardings, None for "any") and `device`
    may name one device: the program runs on its backend. Shardings over several devices
    wait for the distributed backend (issue #16) and raise NotImplementedError.
    """
    if fun is None:
        return functools.partial(jit, in_shardings=in_shardings, out_shardings=out_shardings,
                                 static_argnums=static_argnums, static_argnames=static_argnames,
                                 donate_argnums=donate_argnums, donate_argnames=donate_argnames,
                                 backend=backend, device=device)
    check_callable(fun, "jit: fun")
    placed = _one_device(in_shardings, out_shardings, device)
    if placed is not None and placed.backend is not None and backend is None:
        backend = placed.backend.name
    if backend is not None:
        get_backend(backend)  # fail early on a bad name
    return Jitted(fun, static_argnums, static_argnames, backend, donate_argnums, donate_argnames)


def _one_device(in_shardings, out_shardings, device):
    """The one device that jit's shardings and `device` name, or None if they name none."""
    found = set() if device is None else {device}
    for where, tree in (("in_shardings", in_shardings), ("out_shardings", out_shardings)):
        for sharding in tree_util.tree_leaves(tree):
            if not isinstance(sharding, Sharding):
                raise TypeError(f"jit: {where} takes shardings (fx.sharding.SingleDeviceSharding) "
                                f"or None, got {describe(sharding)}")
            found |= set(sharding.device_set)
    if len(found) > 1:
        raise NotImplementedError(f"jit: shardings over several devices ({sorted(map(repr, found))}) "
                                  "need the distributed backend, which fx does not have yet")
    return next(iter(found), None)


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _static_args(signature, static_argnums, static_argnames, where, kind="static"):
    """(non-negative static positions, negative ones left to each call, static names);
    `kind` "donate" resolves donate_argnums/donate_argnames the same way.

    As in JAX, positions and names are checked against the signature and resolved both
    ways (a static position is static when passed by name too); a negative position
    counts from the end of the positional parameters, or of each call's arguments when
    the function takes *args."""
    nums = int_tuple(static_argnums, f"{where}: {kind}_argnums", allow_none=True, allow_int=True)
    names = check_str_tuple(static_argnames, f"{where}: {kind}_argnames")
    if signature is None:
        return tuple(i for i in nums if i >= 0), tuple(i for i in nums if i < 0), names
    params = list(signature.parameters.values())
    positional = [p.name for p in params if p.kind in _POSITIONAL]
    kinds = {p.kind for p in params}
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        negative = tuple(i for i in nums if i < 0)
        nums = tuple(i for i in nums if i >= 0)
    else:
        negative = ()
        nums = normalize_argnums(nums, len(positional), f"{where}: {kind}_argnums")
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        unknown = [n for n in names if n not in signature.parameters]
        if unknown:
            raise ValueError(f"{where}: {kind}_argnames {unknown} are not parameters of the "
                             f"function, whose parameters are {list(signature.parameters)}")
    named = {p.name for p in params if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
    nums += tuple(positional.index(n) for n in names if n in positional and n in named)
    names += tuple(positional[i] for i in nums if i < len(positional) and positional[i] in named)
    return tuple(dict.fromkeys(nums)), negative, tuple(dict.fromkeys(names))


def _signature(fun):
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):
        return None


def _arg_or_struct_aval(x, i, name):
    """As _arg_aval, also taking a ShapeDtypeStruct: trace and lower need only types."""
    return x.aval if isinstance(x, ShapeDtypeStruct) else _arg_aval(x, i, name)


def _arg_aval(x, i, name):
    try:
        return get_aval(x)
    except TypeError:
        raise TypeError(
            f"jit({name}): argument leaf {i} ({describe(x)}) is not a "
            "valid fx type. Pass arrays or Python numbers, or mark the argument static with "
            "static_argnums / static_argnames.") from None


def _check_output(x, name):
    if not isinstance(x, (Tracer, ArrayImpl)):
        get_aval(x)  # raises a TypeError naming the bad value
