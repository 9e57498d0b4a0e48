"""What the control-flow primitives share beyond calling held jaxprs (fx/transforms/call.py)
and editing them (fx/ir/surgery.py): scalar operands, pytree checks, and JAX's rules for
weakly typed loop carries."""
from __future__ import annotations

from fx import dtypes
from fx.argcheck import describe
from fx.core import Tracer, get_aval, is_array_like


def scalar_operand(x, where, name, kinds, expected):
    """x as an fx operand that is a scalar whose dtype kind is in `kinds`, else a TypeError
    naming `where` and `name` (`expected` says what is allowed, in words)."""
    from fx import lax
    if not is_array_like(x):
        raise TypeError(f"{where}: {name} must be {expected}, got {describe(x)}")
    x = lax._as_operand(x)
    aval = get_aval(x)
    if aval.shape != () or aval.dtype.kind not in kinds:
        raise TypeError(f"{where}: {name} must be {expected}, got {aval.str_short()}")
    return x


def check_trees(what, first_name, first, second_name, second):
    if first != second:
        raise TypeError(f"{what}: {first_name} has tree structure {first} but {second_name} "
                        f"has {second}; they must have the same pytree structure.")


def weak_to_match(x, aval):
    """x converted to `aval`'s dtype and weak type (weakly typed values give way)."""
    from fx import lax
    xa = get_aval(x)
    if xa.dtype == aval.dtype and xa.weak_type == aval.weak_type:
        return x
    return lax._convert_weak(x, aval.dtype, aval.weak_type)


def promote_weak_carry(init_leaves, out_avals):
    """JAX's rule for a weakly typed loop carry whose body changes its type: the initial
    value takes the body output's type. Returns (new leaves, whether any changed)."""
    new = [weak_to_match(x, o) if get_aval(x).weak_type and
           (get_aval(x).dtype != o.dtype or not o.weak_type) and get_aval(x).shape == o.shape else x
           for x, o in zip(init_leaves, out_avals)]
    return new, any(n is not x for n, x in zip(new, init_leaves))


def is_concrete(x):
    return not isinstance(x, Tracer) or (x._trace.alive and x.to_concrete_value() is not None)


def floating(aval):
    return dtypes.is_inexact(aval.dtype)


def any_of(flag_lists):
    """Elementwise `or` of equally long sequences of flags, as a tuple."""
    return tuple(map(any, zip(*flag_lists)))
