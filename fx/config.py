"""Global configuration, shaped like ``jax.config``.

``config.update("jax_enable_x64", True)`` works unchanged from JAX code; the short
spelling ``"enable_x64"`` works too. Options are plain instance attributes, so the hot
read in dtype canonicalisation (``config.enable_x64``) is a single attribute load.

Options:

* ``enable_x64`` (``FX_ENABLE_X64``, ``JAX_ENABLE_X64``; default False): 64-bit dtypes.
* ``executable_cache_size`` (``FX_EXECUTABLE_CACHE_SIZE``; default 1024): how many
  compiled executables keep their native code and workspace loaded at once; beyond it the
  least recently used unload, and load again (from the on-disk cache, else by compiling)
  when next called. Memory for compiled code stays bounded however many programs a
  process compiles.
* ``default_device`` (default None): the device (from ``fx.devices()``) that work on
  uncommitted arrays runs on, instead of the default backend's; also set for a block by
  ``fx.default_device(device)``. Arrays committed to a device (``fx.device_put``) still
  take their work there.
* ``allow_excess_precision`` (``FX_ALLOW_EXCESS_PRECISION``; default True): compiled code
  may keep a float16/bfloat16 intermediate in float32 until it is stored or converted
  (XLA's flag of the same name, whose default is also on): faster and more accurate, but
  a fused chain of 16-bit operations can differ in the last bit from the same operations
  run one at a time. Off, every 16-bit operation rounds its result, as eager execution and
  XLA on the CPU do, and jit gives their bits.
* ``disable_jit`` (``JAX_DISABLE_JIT``; default False): jitted functions run op by op, as
  inside ``fx.disable_jit()``.
* ``log_compiles`` (``JAX_LOG_COMPILES``): log (logger "fx", level WARNING) each program
  compiled, with its argument types, backend and compile time.
* ``explain_cache_misses`` (``JAX_EXPLAIN_CACHE_MISSES``): when a jitted function traces
  again, log which argument's shape, dtype, weak type, tree structure or static value
  differs from its closest earlier call, and where the call came from.
* ``numpy_rank_promotion`` (``JAX_NUMPY_RANK_PROMOTION``; "allow", "warn" or "raise"):
  what fx.numpy does when it broadcasts arrays of different ranks (scalars never count).
* ``default_matmul_precision`` (``JAX_DEFAULT_MATMUL_PRECISION``; None or one of JAX's
  names): checked and kept; fx computes every product at full precision (lax.Precision).
* ``debug_nans`` / ``debug_infs`` (``JAX_DEBUG_NANS`` / ``JAX_DEBUG_INFS``): compiled code
  checks what each kernel writes and stops at the first NaN (Inf) with a FloatingPointError
  naming the primitive that made it, the user's line, and whether it was in the forward
  or the backward pass; also set for a block by ``fx.debug_nans()`` / ``fx.debug_infs()``.
* ``platforms`` (``JAX_PLATFORMS``; default None): comma-separated platforms ("cpu",
  "gpu", or a backend's name); the first is the default backend (before FX_PLATFORM).
  ``platform_name`` (JAX's older spelling) sets it too.

JAX's other options that scripts set are accepted, so their ``config.update`` line runs,
and kept (``config.<name>`` reads them back), but change nothing, for the reason given:

* no effect by design: ``traceback_filtering`` (fx does not edit tracebacks),
  ``check_tracer_leaks`` and ``enable_checks`` (escaped tracers are always reported),
  ``softmax_custom_jvp`` (fx's softmax gradient is always the stable one),
  ``transfer_guard*`` (arrays live on the host: nothing is transferred implicitly),
  ``pprint_use_color``, ``log_checkpoint_residuals``, ``traceback_in_locations_limit``,
  ``include_full_tracebacks_in_locations``, ``legacy_prng_key``, ``enable_custom_prng``,
  ``allow_f16_reductions``, ``use_shardy_partitioner``, ``cpu_collectives_implementation``,
  ``num_cpu_devices``, ``optimization_level``, ``memory_fitting_level``;
* fx's on-disk cache (``FX_CACHE_DIR``) stands in for XLA's: ``enable_compilation_cache``,
  ``compilation_cache_dir``, ``persistent_cache_min_compile_time_secs``,
  ``persistent_cache_min_entry_size_bytes``, ``raise_persistent_cache_errors``.

Options whose other values would change results fx cannot reproduce accept only the value
fx implements and raise NotImplementedError for the rest, rather than silently differing:
``numpy_dtype_promotion`` ("standard"), ``default_prng_impl`` ("threefry2x32"),
``threefry_partitionable`` (True, JAX's default), ``debug_key_reuse`` (False),
``dynamic_shapes`` (False), ``random_seed_offset`` (0).
"""

import contextlib
import operator
import os

from fx.array import Device

_MATMUL_PRECISIONS = (None, "default", "high", "highest", "bfloat16", "tensorfloat32", "float32",
                      "bfloat16_3x", "F16_F16_F32", "BF16_BF16_F32", "BF16_BF16_F32_X3",
                      "BF16_BF16_F32_X6", "TF32_TF32_F32", "TF32_TF32_F32_X3", "F32_F32_F32",
                      "F64_F64_F64")

# Option name -> (type: bool, int, str, Device or a tuple of the allowed values; default;
# environment variables consulted in order for its initial value).
_OPTIONS = {"enable_x64": (bool, False, ("FX_ENABLE_X64", "JAX_ENABLE_X64")),
            "executable_cache_size": (int, 1024, ("FX_EXECUTABLE_CACHE_SIZE",)),
            "default_device": (Device, None, ()),
            "allow_excess_precision": (bool, True, ("FX_ALLOW_EXCESS_PRECISION",)),
            "disable_jit": (bool, False, ("JAX_DISABLE_JIT",)),
            "log_compiles": (bool, False, ("JAX_LOG_COMPILES",)),
            "explain_cache_misses": (bool, False, ("JAX_EXPLAIN_CACHE_MISSES",)),
            "numpy_rank_promotion": (("allow", "warn", "raise"), "allow", ("JAX_NUMPY_RANK_PROMOTION",)),
            "default_matmul_precision": (_MATMUL_PRECISIONS, None, ("JAX_DEFAULT_MATMUL_PRECISION",)),
            "platforms": (str, None, ("JAX_PLATFORMS",)),
            "debug_nans": (bool, False, ("JAX_DEBUG_NANS",)),
            "debug_infs": (bool, False, ("JAX_DEBUG_INFS",))}

_ANY = object  # an option fx keeps but does not use: any value
_TRANSFER_GUARDS = ("allow", "log", "disallow", "log_explicit", "disallow_explicit")
_OPTIONS.update({name: (kind, default, ()) for name, kind, default in [
    ("platform_name", str, None),
    ("traceback_filtering", ("off", "tracebackhide", "remove_frames", "quiet_remove_frames", "auto"), "auto"),
    ("check_tracer_leaks", bool, False), ("enable_checks", bool, False), ("softmax_custom_jvp", bool, False),
    ("transfer_guard", _TRANSFER_GUARDS, "allow"), ("transfer_guard_host_to_device", _TRANSFER_GUARDS, "allow"),
    ("transfer_guard_device_to_host", _TRANSFER_GUARDS, "allow"),
    ("transfer_guard_device_to_device", _TRANSFER_GUARDS, "allow"),
    ("pprint_use_color", bool, True), ("log_checkpoint_residuals", bool, False),
    ("traceback_in_locations_limit", _ANY, 10), ("include_full_tracebacks_in_locations", bool, True),
    ("legacy_prng_key", ("allow", "warn", "error"), "allow"), ("enable_custom_prng", bool, False),
    ("allow_f16_reductions", bool, False), ("use_shardy_partitioner", bool, True),
    ("cpu_collectives_implementation", _ANY, "none"), ("num_cpu_devices", _ANY, -1),
    ("optimization_level", _ANY, "UNKNOWN"), ("memory_fitting_level", _ANY, "UNKNOWN"),
    ("enable_compilation_cache", bool, True), ("compilation_cache_dir", str, None),
    ("persistent_cache_min_compile_time_secs", _ANY, 1.0), ("persistent_cache_min_entry_size_bytes", _ANY, 0),
    ("raise_persistent_cache_errors", bool, False),
    ("numpy_dtype_promotion", ("standard", "strict"), "standard"),
    ("default_prng_impl", ("threefry2x32", "rbg", "unsafe_rbg"), "threefry2x32"),
    ("threefry_partitionable", bool, True), ("debug_key_reuse", bool, False), ("dynamic_shapes", bool, False),
    ("random_seed_offset", _ANY, 0)]})

# option -> (the value fx implements, why no other value is)
_ONLY = {"numpy_dtype_promotion": ("standard", "strict promotion is not implemented"),
         "default_prng_impl": ("threefry2x32", "fx's keys and bits are threefry2x32's"),
         "threefry_partitionable": (True, "fx draws JAX's partitionable threefry bits"),
         "debug_key_reuse": (False, "key-reuse checking is not implemented"),
         "dynamic_shapes": (False, "shapes are static in fx"),
         "random_seed_offset": (0, "seeds are used as given")}

# The options tracing and compiling depend on: part of every jit cache key (trace_flags).
TRACE_FLAGS = ("enable_x64", "allow_excess_precision", "debug_nans", "debug_infs")
trace_flags = operator.attrgetter(*TRACE_FLAGS)   # trace_flags(config): their values, a tuple

_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off", ""}


def _from_env(kind, default, names):
    for var in names:
        raw = os.environ.get(var)
        if raw is None:
            continue
        value = raw.strip().lower()
        if kind is str:
            return raw.strip() or None
        if isinstance(kind, tuple):
            return _check_choice(var, raw.strip(), kind)
        if kind is int:
            try:
                return _check_count(var, int(value))
            except ValueError:
                raise ValueError(f"environment variable {var}={raw!r} is not an integer >= 1") from None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError(f"environment variable {var}={raw!r} is not a boolean; use 1/0 or true/false")
    return default


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"config option {name!r} takes one of {list(choices)}, got {value!r}")
    return value


def _check_count(name, value):
    if value < 1:
        raise ValueError(f"config option {name!r} takes an integer >= 1, got {value!r}")
    return value


class Config:
    """fx's options. Read them as attributes; change them with ``update`` or ``override``."""

    def __init__(self):
        for name, (kind, default, env_vars) in _OPTIONS.items():
            setattr(self, name, _from_env(kind, default, env_vars))

    @staticmethod
    def _canonical_name(name):
        short = name[4:] if name.startswith("jax_") else name
        if short not in _OPTIONS:
            known = ", ".join(f"{n} (or jax_{n})" for n in _OPTIONS)
            raise AttributeError(f"fx has no config option {name!r}; known options: {known}")
        return short

    def __getattr__(self, name):
        # Only reached when normal lookup fails: the "jax_" spellings and unknown names.
        return getattr(self, self._canonical_name(name))

    def update(self, name, value):
        """Set option ``name`` (e.g. ``"enable_x64"`` or ``"jax_enable_x64"``) to ``value``."""
        short = self._canonical_name(name)
        kind = _OPTIONS[short][0]
        if isinstance(kind, tuple):
            _check_choice(name, value, kind)
        elif kind is str:
            if value is not None and not isinstance(value, str):
                raise TypeError(f"config option {name!r} takes a string or None, got "
                                f"{type(value).__name__} {value!r}")
        elif kind is Device:
            if value is not None and not isinstance(value, Device):
                raise TypeError(f"config option {name!r} takes a device from fx.devices() or "
                                f"None, got {type(value).__name__} {value!r}")
        elif kind is bool:
            if not isinstance(value, bool):
                raise TypeError(f"config option {name!r} takes a bool, got {type(value).__name__} {value!r}")
        elif kind is _ANY:
            pass
        elif isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"config option {name!r} takes an int, got {type(value).__name__} {value!r}")
        else:
            _check_count(name, value)
        if short in _ONLY and value != _ONLY[short][0]:
            raise NotImplementedError(f"config option {name!r}: fx supports only {_ONLY[short][0]!r} "
                                      f"({_ONLY[short][1]}), got {value!r}")
        setattr(self, short, value)
        if short == "platform_name":
            self.platforms = value

    @contextlib.contextmanager
    def override(self, name, value):
        """Set an option inside a ``with`` block and restore its previous value on exit."""
        short = self._canonical_name(name)
        set_too = ("platforms",) if short == "platform_name" else ()  # the options update sets
        previous = {option: getattr(self, option) for option in (short, *set_too)}
        self.update(name, value)
        try:
            yield
        finally:
            for option, value in previous.items():
                setattr(self, option, value)


config = Config()
