"""Argument plumbing shared by the pytree-level transforms (fx.api, lax's reducers): a user
function's display name, and the wrapper that turns a function over pytrees into one over
flat leaf lists, checking that its outputs are arrays.
"""
from __future__ import annotations

from fx import tree_util
from fx.argcheck import describe
from fx.core import is_array_like


def function_name(fun):
    """The name errors and printed jaxprs use for a user function."""
    return getattr(fun, "__name__", type(fun).__name__)


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
