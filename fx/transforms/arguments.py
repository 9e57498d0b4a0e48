"""Argument plumbing shared by the pytree-level transforms (fx.api, jit, checkpoint, the
custom rules, lax's reducers): a user function's display name, static positional
arguments set aside and put back, and the wrapper that turns a function over pytrees
into one over flat leaf lists, checking that its outputs are arrays.
"""
from __future__ import annotations

from fx import tree_util
from fx.argcheck import describe
from fx.core import is_array_like


def function_name(fun):
    """The name errors and printed jaxprs use for a user function."""
    return getattr(fun, "__name__", type(fun).__name__)


def split_static(args, positions):
    """({position: value} of the arguments at `positions`, the other arguments in order)."""
    static = {i: args[i] for i in positions}
    return static, tuple(a for i, a in enumerate(args) if i not in static)


def merge_static(static, dynamic, nargs):
    """The `nargs` positional arguments of a call: the `static` ones ({position: value})
    in their places, the `dynamic` ones, in order, filling the rest."""
    dynamic = iter(dynamic)
    return [static[i] if i in static else next(dynamic) for i in range(nargs)]


def flatten_fun(fun, in_tree, out_store):
    """fun over pytrees -> a function over flat leaf lists; out_store gets the out tree."""
    def flat(*leaves):
        out = fun(*tree_util.tree_unflatten(in_tree, leaves))
        out_leaves, out_tree = tree_util.tree_flatten(out)
        for leaf in out_leaves:
            check_array(leaf, f"output of {function_name(fun)}")
        out_store.append(out_tree)
        return out_leaves
    return flat


def check_array(x, where):
    if not is_array_like(x):
        raise TypeError(f"{where}: expected arrays or Python numbers, got {describe(x)}")
