"""Why a jitted function traced again (the explain_cache_misses config option): the
differences between a call's cache key and the closest key already cached."""
from __future__ import annotations

import logging

from fx.config import TRACE_FLAGS
from fx.source_info import user_location



def log_miss(name, cached_keys, key, leaf_names):
    """Log (logger "fx", WARNING) why `key` missed jit(`name`)'s cache."""
    logging.getLogger("fx").warning("TRACING CACHE MISS of jit(%s) at %s: %s", name,
                                    user_location(3) or "?", explain(cached_keys, key, leaf_names))


def explain(cached_keys, key, leaf_names):
    """The reasons `key` differs from the closest of `cached_keys`, as one sentence."""
    if not cached_keys:
        return "it was never called before"
    reasons = min((_differences(old, key, leaf_names) for old in cached_keys), key=len)
    return "; ".join(reasons)


def _differences(old, new, leaf_names):
    (old_tree, old_avals, old_static, *old_flags), (tree, avals, static, *flags) = old, new
    found = []
    if old_tree != tree:
        found.append(f"the arguments' structure changed from {old_tree} to {tree}")
    else:
        found += [f"{leaf_names[i]} changed from {_describe(a)} to {_describe(b)}"
                  for i, (a, b) in enumerate(zip(old_avals, avals)) if a != b]
    old_values, values = dict(old_static), dict(static)
    found += [f"static argument {k!r} changed from {old_values.get(k, '(none)')!r} to {values.get(k, '(none)')!r}"
              for k in sorted({*old_values, *values}, key=str) if old_values.get(k) != values.get(k)]
    found += [f"config option {flag} changed from {a} to {b}"
              for flag, a, b in zip(TRACE_FLAGS, old_flags, flags) if a != b]
    return found or ["an equal key was not reusable (a jaxpr closing over outer tracers is never cached)"]


def _describe(aval):
    return aval.str_short() + (" (weakly typed)" if aval.weak_type else "")
