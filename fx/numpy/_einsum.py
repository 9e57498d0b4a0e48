"""fx.numpy.einsum: Einstein summation lowered to diagonals, sums and dot_general.

1. Parse the subscripts into one label list per operand; '...' becomes labels of its
   own, right-aligned so that ellipsis axes broadcast as in NumPy.
2. Per operand: a label repeated within it takes the diagonal; a label no other
   operand and not the output has is summed out at once.
3. Contract pairwise in an order planned on the label sizes alone: the greedy choice
   (cheapest pair next), unless plain left-to-right is cheaper — so the plan is never
   worse than left to right. Shared labels still needed later are dot_general batch
   dimensions, the others are contracted.
4. Sum what the output drops and transpose to the output order.

As in JAX, a label (or an ellipsis axis) of size 1 broadcasts against a larger one, and
ellipsis axes missing from an explicit output are summed.
"""
from __future__ import annotations

import itertools
import math
import operator
import string

from fx import dtypes, lax
from fx.core import get_aval
from fx.lax.dot import canonicalize_precision
from fx.numpy._diagonal import diagonal
from fx.numpy._promote import broadcast_to, promote_dtypes
from fx.argcheck import describe


def _letters(spec, where):
    for c in spec:
        if not c.isalpha():
            raise ValueError(f"einsum: invalid character {c!r} in {where} subscripts {spec!r}")
    return list(spec)


def _split_ellipsis(spec, where):
    """(labels before '...', labels after it or None when there is no ellipsis)."""
    if spec.count("...") > 1 or spec.replace("...", "").count("."):
        raise ValueError(f"einsum: {where} subscripts {spec!r} have a stray '.' or more than one '...'")
    if "..." not in spec:
        return _letters(spec, where), None
    head, tail = spec.split("...")
    return _letters(head, where), _letters(tail, where)


def _from_sublists(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [output_sublist]) as a subscripts string."""
    output = args[-1] if len(args) % 2 else None
    pairs = args[:len(args) - len(args) % 2]

    def spell(sublist):
        try:
            return "".join("..." if s is Ellipsis else string.ascii_letters[operator.index(s)]
                           for s in sublist)
        except (IndexError, TypeError):
            raise ValueError(f"einsum: sublist labels must be ints in [0, 52) or ..., got "
                             f"{describe(sublist)}") from None
    subscripts = ",".join(spell(s) for s in pairs[1::2])
    return (subscripts if output is None else f"{subscripts}->{spell(output)}"), pairs[0::2]


def _parse(subscripts, shapes):
    """Label lists of the operands and of the output; labels are letters or '...k'."""
    subscripts = subscripts.replace(" ", "")
    if subscripts.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
    lhs, _, rhs = subscripts.partition("->")
    specs = lhs.split(",")
    if len(specs) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(specs)} operands, "
                         f"{len(shapes)} given")
    parsed = [_split_ellipsis(s, f"operand {i}'s") for i, s in enumerate(specs)]
    ranks = []
    for i, ((head, tail), shape) in enumerate(zip(parsed, shapes)):
        named = len(head) + len(tail or ())
        if len(shape) < named or (tail is None and len(shape) != named):
            raise ValueError(f"einsum: operand {i} has shape {shape}, but its subscripts "
                             f"{specs[i]!r} name {named} axes")
        ranks.append(len(shape) - named)
    width = max(ranks, default=0)

    def ellipsis(rank):
        return [f"...{k}" for k in range(width - rank, width)]
    inputs = [head + (ellipsis(r) + tail if tail is not None else []) for (head, tail), r in zip(parsed, ranks)]
    if "->" in subscripts:
        head, tail = _split_ellipsis(rhs, "output")
        output = head + (ellipsis(width) + tail if tail is not None else [])
    else:
        counts = {}
        for label in itertools.chain(*inputs):
            counts[label] = counts.get(label, 0) + 1
        output = ellipsis(width) + sorted(c for c, n in counts.items() if n == 1 and len(c) == 1)
    if len(set(output)) != len(output):
        raise ValueError(f"einsum: output subscripts {rhs!r} repeat a label")
    known = set(itertools.chain(*inputs))
    missing = [c for c in output if c not in known]
    if missing:
        raise ValueError(f"einsum: output label(s) {missing} appear in no operand of {subscripts!r}")
    return inputs, output


def _label_sizes(inputs, shapes):
    sizes = {}
    for labels, shape in zip(inputs, shapes):
        for label, n in zip(labels, shape):
            old = sizes.setdefault(label, n)
            if old != n and 1 not in (old, n):
                raise ValueError(f"einsum: label {label!r} has sizes {old} and {n} in different "
                                 f"places (they must agree, or one be 1)")
            sizes[label] = max(old, n)
    return sizes


# ---------------------------------------------------------------------------- planning

def _pair(la, lb, needed):
    """(batch, contracted, free of a, free of b) labels when contracting a with b."""
    batch = [c for c in la if c in lb and c in needed]
    contracted = [c for c in la if c in lb and c not in needed]
    return batch, contracted, [c for c in la if c not in lb], [c for c in lb if c not in la]


def _step(ops, i, j, output):
    """ops with i and j replaced (at the front) by their contraction's labels."""
    rest = [o for k, o in enumerate(ops) if k not in (i, j)]
    needed = set(output).union(*rest)
    batch, _, free_a, free_b = _pair(ops[i], ops[j], needed)
    return [batch + free_a + free_b] + rest


def _cost(la, lb, sizes):
    return math.prod(sizes[c] for c in set(la) | set(lb))


def _plan(ops, output, sizes, greedy):
    """[(i, j)] contractions and their total cost (multiply-adds)."""
    path, total = [], 0
    while len(ops) > 1:
        if greedy:
            i, j = min(itertools.combinations(range(len(ops)), 2),
                       key=lambda p: (_cost(ops[p[0]], ops[p[1]], sizes), p))
        else:
            i, j = 0, 1
        total += _cost(ops[i], ops[j], sizes)
        path.append((i, j))
        ops = _step(ops, i, j, output)
    return path, total


# ---------------------------------------------------------------------------- execution

def _sum_unneeded(x, labels, needed):
    axes = tuple(k for k, c in enumerate(labels) if c not in needed)
    if not axes:
        return x, labels
    return lax.reduce_sum(x, axes), [c for c in labels if c in needed]


def _take_diagonals(x, labels):
    """Replace each label repeated within one operand by the diagonal it names."""
    while len(set(labels)) != len(labels):
        label = next(c for c in labels if labels.count(c) > 1)
        p = labels.index(label)
        q = labels.index(label, p + 1)
        shape = get_aval(x).shape
        if shape[p] != shape[q]:
            raise ValueError(f"einsum: repeated label {label!r} spans axes of sizes {shape[p]} "
                             f"and {shape[q]}")
        x = diagonal(x, 0, p, q)
        labels = [c for k, c in enumerate(labels) if k not in (p, q)] + [label]
    return x, labels


def _broadcast_shared(x, labels, shared, sizes):
    shape = tuple(sizes[c] if c in shared else n for c, n in zip(labels, get_aval(x).shape))
    return broadcast_to(x, shape)


def _contract(a, la, b, lb, needed, sizes, precision):
    batch, contracted, free_a, free_b = _pair(la, lb, needed)
    shared = set(batch) | set(contracted)
    a = _broadcast_shared(a, la, shared, sizes)
    b = _broadcast_shared(b, lb, shared, sizes)
    dims = (([la.index(c) for c in contracted], [lb.index(c) for c in contracted]),
            ([la.index(c) for c in batch], [lb.index(c) for c in batch]))
    return lax.dot_general(a, b, dims, precision=precision), batch + free_a + free_b


def einsum(subscripts, /, *operands, out=None, optimize="auto", precision=None,
           preferred_element_type=None):
    """Einstein summation: einsum('ij,jk->ik', a, b), with '...', repeated labels (traces
    and diagonals), implicit outputs, and NumPy's interleaved operand/sublist form.
    `optimize` is accepted for compatibility: the plan is always the cheaper of greedy and
    left to right. With `preferred_element_type`, sums and products accumulate in the
    wider of it and the operands' type, and the result has that type (as in JAX: int8
    operands with int32 preferred sum in int32)."""
    canonicalize_precision(precision)
    if out is not None:
        raise NotImplementedError("fx.numpy.einsum: `out` is not supported (fx arrays are immutable)")
    if not isinstance(subscripts, str):
        subscripts, operands = _from_sublists((subscripts,) + operands)
    if not operands:
        raise ValueError("einsum: at least one operand is required")
    operands = [lax._as_operand(x) for x in promote_dtypes(*operands)]
    if preferred_element_type is not None:
        preferred_element_type = dtypes.canonicalize_dtype(preferred_element_type)
        accumulate = dtypes.canonicalize_dtype(
            dtypes.promote_types(get_aval(operands[0]).dtype, preferred_element_type))
        operands = [lax.convert_element_type(x, accumulate) for x in operands]
    shapes = [get_aval(x).shape for x in operands]
    inputs, output = _parse(subscripts, shapes)
    sizes = _label_sizes(inputs, shapes)

    ops = []
    for k, (x, labels) in enumerate(zip(operands, inputs)):
        x, labels = _take_diagonals(x, labels)
        others = set(output).union(*(inputs[m] for m in range(len(inputs)) if m != k))
        ops.append(_sum_unneeded(x, labels, others))

    path, _ = _best_plan([labels for _, labels in ops], output, sizes)
    for i, j in path:
        rest = [o for k, o in enumerate(ops) if k not in (i, j)]
        needed = set(output).union(*(labels for _, labels in rest))
        ops = [_contract(*ops[i], *ops[j], needed, sizes, precision)] + rest

    (x, labels), = ops
    x, labels = _sum_unneeded(x, labels, set(output))
    perm = tuple(labels.index(c) for c in output)
    x = lax.transpose(x, perm) if perm != tuple(range(len(perm))) else x
    if preferred_element_type is None:
        return x
    return lax.convert_element_type(x, preferred_element_type)


def _best_plan(label_lists, output, sizes):
    """(pairs to contract in order, cost): the cheaper of left to right and greedy."""
    return min((_plan(label_lists, output, sizes, greedy) for greedy in (False, True)),
               key=lambda plan: plan[1])


def einsum_path(subscripts, /, *operands, optimize="auto"):
    """(path, description): the pairwise contraction order fx.numpy.einsum uses for these
    operand shapes (positions in the shrinking operand list, as opt_einsum's paths), and
    its cost in multiply-adds. `optimize` is accepted for JAX's signature."""
    if not isinstance(subscripts, str):
        subscripts, operands = _from_sublists((subscripts,) + operands)
    shapes = [get_aval(lax._as_operand(x)).shape for x in operands]
    inputs, output = _parse(subscripts, shapes)
    sizes = _label_sizes(inputs, shapes)
    reduced = []
    for k, labels in enumerate(inputs):  # as einsum's diagonals and early sums leave them
        others = set(output).union(*(inputs[m] for m in range(len(inputs)) if m != k))
        reduced.append([c for c in dict.fromkeys(labels) if c in others])
    path, cost = _best_plan(reduced, output, sizes)
    return list(path), f"einsum {subscripts}: contract {list(path)}, cost {cost} multiply-adds"
