"""Pytrees: nested containers flattened into a list of leaves plus a `PyTreeDef`.

Semantics follow `jax.tree_util`. Tuples, lists, dicts (children in sorted key order),
None (a node with no children), namedtuples, OrderedDict, defaultdict and registered
types are nodes; everything else is a leaf.

`tree_flatten` and `PyTreeDef.unflatten` run on every jitted call, so a PyTreeDef is a
nested tuple `(kind, aux, children)` with `None` standing for a leaf: equality and hashing
of structures then happen in C, and flattening is one dict lookup per object.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import operator
from typing import Any, Callable, Hashable, Iterable, TypeVar

from fx.argcheck import describe

__all__ = [
    "PyTreeDef", "SequenceKey", "DictKey", "GetAttrKey", "FlattenedIndexKey", "KeyEntry",
    "KeyPath", "Partial", "default_registry",
    "tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure", "tree_map",
    "tree_all", "tree_reduce", "tree_reduce_associative", "tree_transpose", "tree_broadcast",
    "all_leaves", "treedef_is_leaf", "treedef_children", "treedef_tuple", "is_tree_node",
    "flatten_one_level", "flatten_one_level_with_keys",
    "tree_flatten_with_path", "tree_leaves_with_path", "tree_map_with_path", "keystr",
    "broadcast_prefix", "register_pytree_node", "register_pytree_with_keys",
    "register_pytree_node_class", "register_pytree_with_keys_class", "register_dataclass",
    "register_static",
]


# ----------------------------------------------------------------------------- key paths

# Annotations, as in JAX: a key entry is any of the key classes below (or a custom node's own).
KeyEntry = TypeVar("KeyEntry", bound=Any)
KeyPath = tuple[KeyEntry, ...]


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """Path entry for a tuple or list child."""
    idx: int

    def __str__(self):
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True)
class DictKey:
    """Path entry for a dict child."""
    key: Hashable

    def __str__(self):
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """Path entry for a namedtuple or dataclass field."""
    name: str

    def __str__(self):
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    """Path entry for a custom node registered without keys: the child's position."""
    key: int

    def __str__(self):
        return f"[<flat index {self.key}>]"


def keystr(keys, *, simple: bool = False, separator: str = "") -> str:
    """Joins a key path into a string: `[0]['a'].x`, or `0/a/x` with simple=True, separator='/'."""
    if not simple:
        return separator.join(map(str, keys))
    parts = []
    for k in keys:
        match k:
            case SequenceKey(idx=v) | DictKey(key=v) | GetAttrKey(name=v) | FlattenedIndexKey(key=v):
                parts.append(str(v))
            case _:
                parts.append(str(k))
    return separator.join(parts)


# ----------------------------------------------------------------------------- node kinds

class _Kind:
    """How one node type flattens and rebuilds. Its identity is the node's type in a PyTreeDef."""

    __slots__ = ("type", "flatten", "unflatten", "flatten_with_keys", "repr")

    def __init__(self, type_, flatten, unflatten, flatten_with_keys, repr_):
        self.type = type_  # None for namedtuples, whose aux is their type
        self.flatten = flatten  # x -> (children, aux)
        self.unflatten = unflatten  # (aux, list of children) -> x
        self.flatten_with_keys = flatten_with_keys  # x -> ([(key, child)], aux)
        self.repr = repr_  # (aux, list of child reprs) -> str


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        raise ValueError(
            f"pytree dict keys must be sortable (their order fixes the leaf order); got keys {list(d)!r}"
        ) from None


def _dict_flatten(d):
    keys = _sorted_keys(d)
    return list(map(d.__getitem__, keys)), tuple(keys)


def _seq_keys(x):
    return [(SequenceKey(i), c) for i, c in enumerate(x)], None


def _dict_keys(flatten, keys_of_aux=lambda keys: keys):
    def flatten_with_keys(d):
        children, aux = flatten(d)
        return [(DictKey(k), c) for k, c in zip(keys_of_aux(aux), children)], aux
    return flatten_with_keys


def _dict_repr(keys, parts):
    return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(keys, parts)) + "}"


def _custom_repr(name):
    return lambda aux, parts: f"CustomNode({name}[{aux}], [{', '.join(parts)}])"


def _ordered_flatten(d):
    return list(d.values()), tuple(d)


def _defaultdict_flatten(d):
    keys = _sorted_keys(d)
    return [d[k] for k in keys], (d.default_factory, tuple(keys))


_TUPLE = _Kind(
    tuple, lambda x: (x, None), lambda aux, ch: tuple(ch), _seq_keys,
    lambda aux, parts: "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")")
_LIST = _Kind(
    list, lambda x: (x, None), lambda aux, ch: ch, _seq_keys,
    lambda aux, parts: "[" + ", ".join(parts) + "]")
_DICT = _Kind(
    dict, _dict_flatten, lambda keys, ch: dict(zip(keys, ch)), _dict_keys(_dict_flatten), _dict_repr)
_NONE = _Kind(
    type(None), lambda x: ((), None), lambda aux, ch: None, lambda x: ([], None),
    lambda aux, parts: "None")
_NAMEDTUPLE = _Kind(
    None, lambda x: (x, type(x)), lambda cls, ch: cls(*ch),
    lambda x: ([(GetAttrKey(f), c) for f, c in zip(x._fields, x)], type(x)),
    lambda cls, parts: f"CustomNode(namedtuple[{cls.__name__}], [{', '.join(parts)}])")
_ORDERED_DICT = _Kind(
    collections.OrderedDict, _ordered_flatten,
    lambda keys, ch: collections.OrderedDict(zip(keys, ch)),
    _dict_keys(_ordered_flatten), _custom_repr("OrderedDict"))
_DEFAULTDICT = _Kind(
    collections.defaultdict, _defaultdict_flatten,
    lambda aux, ch: collections.defaultdict(aux[0], zip(aux[1], ch)),
    _dict_keys(_defaultdict_flatten, operator.itemgetter(1)), _custom_repr("defaultdict"))

# type -> _Kind, or None for a leaf type. Types are added on first sight, so classifying
# an object costs one dict lookup; registration overwrites a cached leaf entry.
_registry: dict[type, _Kind | None] = {
    k.type: k for k in (_TUPLE, _LIST, _DICT, _NONE, _ORDERED_DICT, _DEFAULTDICT)
}
_UNSEEN = object()


def _classify(t: type) -> _Kind | None:
    kind = _NAMEDTUPLE if issubclass(t, tuple) and hasattr(t, "_fields") else None
    _registry[t] = kind
    return kind


def _kind_of_type(t: type) -> _Kind | None:
    kind = _registry.get(t, _UNSEEN)
    return _classify(t) if kind is _UNSEEN else kind


def _kind_of(x) -> _Kind | None:
    return _kind_of_type(type(x))


def is_tree_node(typ: type) -> bool:
    """True if instances of `typ` are nodes (built in, namedtuple or registered); False
    for leaf types and for anything that is not a type."""
    return isinstance(typ, type) and _kind_of_type(typ) is not None


def _node_kind(tree, caller: str) -> _Kind:
    kind = _kind_of(tree)
    if kind is None:
        raise ValueError(f"{caller}: can't tree-flatten type: {type(tree)} (a leaf, not a node)")
    return kind


def flatten_one_level(tree) -> tuple[list, Hashable]:
    """(children, aux data) of the node `tree`, its children left unflattened; ValueError
    for a leaf."""
    children, aux = _node_kind(tree, "flatten_one_level").flatten(tree)
    return list(children), aux


def flatten_one_level_with_keys(tree) -> tuple[list, Hashable]:
    """flatten_one_level, with each child paired with its key: ([(key, child)], aux)."""
    keyed, aux = _node_kind(tree, "flatten_one_level_with_keys").flatten_with_keys(tree)
    return list(keyed), aux


# ----------------------------------------------------------------------------- registration

def register_pytree_node(nodetype: type, flatten_func: Callable, unflatten_func: Callable,
                         flatten_with_keys_func: Callable | None = None) -> None:
    """Makes `nodetype` a node: `flatten_func(x) -> (children, aux)` and
    `unflatten_func(aux, children) -> x`. aux must be hashable and comparable, since it is
    part of the structure (and so of jit cache keys)."""
    if not isinstance(nodetype, type):
        raise TypeError(f"register_pytree_node: expected a type, got {nodetype!r}")
    existing = _registry.get(nodetype)
    if existing is not None and existing is not _NAMEDTUPLE:
        raise ValueError(f"Duplicate custom PyTreeDef type registration for {nodetype}.")
    if flatten_with_keys_func is None:
        def flatten_with_keys_func(x):
            children, aux = flatten_func(x)
            return [(FlattenedIndexKey(i), c) for i, c in enumerate(children)], aux
    _registry[nodetype] = _Kind(
        nodetype, flatten_func, lambda aux, ch: unflatten_func(aux, tuple(ch)),
        flatten_with_keys_func, _custom_repr(nodetype.__name__))


def register_pytree_with_keys(nodetype: type, flatten_with_keys: Callable, unflatten_func: Callable,
                              flatten_func: Callable | None = None) -> None:
    """Like `register_pytree_node`, but `flatten_with_keys(x) -> ([(key, child)], aux)` names
    the children in key paths."""
    if flatten_func is None:
        def flatten_func(x):
            keyed, aux = flatten_with_keys(x)
            return [c for _, c in keyed], aux
    register_pytree_node(nodetype, flatten_func, unflatten_func, flatten_with_keys)


def register_pytree_node_class(cls: type) -> type:
    """Class decorator: `x.tree_flatten() -> (children, aux)`, `cls.tree_unflatten(aux, children)`."""
    register_pytree_node(cls, operator.methodcaller("tree_flatten"), cls.tree_unflatten)
    return cls


def register_pytree_with_keys_class(cls: type) -> type:
    """Class decorator using `x.tree_flatten_with_keys()` and `cls.tree_unflatten`."""
    flatten = operator.methodcaller("tree_flatten") if hasattr(cls, "tree_flatten") else None
    register_pytree_with_keys(
        cls, operator.methodcaller("tree_flatten_with_keys"), cls.tree_unflatten, flatten)
    return cls


def register_dataclass(nodetype: type, data_fields: Iterable[str] | None = None,
                       meta_fields: Iterable[str] | None = None,
                       drop_fields: Iterable[str] = ()) -> type:
    """Registers a dataclass: data fields are children, meta fields are static aux data.

    Usable as a plain decorator; then every field is data unless declared with
    `field(metadata=dict(static=True))`. Rebuilds with `nodetype(**fields)`.
    """
    if (data_fields is None) != (meta_fields is None):
        raise TypeError("register_dataclass: data_fields and meta_fields must both be given "
                        f"or both omitted; got {data_fields=} {meta_fields=}")
    if data_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError("register_dataclass: data_fields and meta_fields are required "
                            f"when nodetype is not a dataclass; got {nodetype!r}")
        dropped = set(drop_fields)
        fields = [f for f in dataclasses.fields(nodetype) if f.name not in dropped]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    data_fields, meta_fields = tuple(data_fields), tuple(meta_fields)
    if overlap := set(data_fields) & set(meta_fields):
        raise ValueError(f"register_dataclass: fields {sorted(overlap)} are both data and meta fields")
    if dataclasses.is_dataclass(nodetype):
        init_fields = {f.name for f in dataclasses.fields(nodetype) if f.init} - set(drop_fields)
        if init_fields != {*data_fields, *meta_fields}:
            raise ValueError(
                "register_dataclass: data_fields and meta_fields must list exactly the "
                f"dataclass's init fields {sorted(init_fields)} (less drop_fields); "
                f"got {sorted({*data_fields, *meta_fields})}")

    def flatten(x):
        return [getattr(x, n) for n in data_fields], tuple(getattr(x, n) for n in meta_fields)

    def flatten_with_keys(x):
        return ([(GetAttrKey(n), getattr(x, n)) for n in data_fields],
                tuple(getattr(x, n) for n in meta_fields))

    def unflatten(meta, data):
        return nodetype(**dict(zip(meta_fields, meta)), **dict(zip(data_fields, data)))

    register_pytree_node(nodetype, flatten, unflatten, flatten_with_keys)
    return nodetype


def register_static(cls: type) -> type:
    """Registers `cls` as a node with no children whose aux data is the instance itself:
    instances then pass through jit unchanged and key its cache (by hash and ==), with no
    static_argnums. Instances must be hashable."""
    register_pytree_with_keys(cls, lambda x: ((), x), lambda x, _: x)
    return cls


class _PartialShim:
    """A functools.partial given to `Partial` as its function, boxed: functools.partial
    would otherwise merge the inner partial's arguments into the new one's, and make them
    children. Calls, hashes and compares as the partial it holds."""

    def __init__(self, fun):
        self.fun = fun

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __hash__(self):
        return hash(self.fun)

    def __eq__(self, other):
        return self.fun == (other.fun if isinstance(other, _PartialShim) else other)

    def __repr__(self):
        return f"_PartialShim({self.fun!r})"


class Partial(functools.partial):
    """A functools.partial that is a pytree: the function is static aux data, the bound
    positional and keyword arguments are children.

    So a Partial can be passed to and returned from transformed functions (jit, grad,
    vmap) with its arguments traced, and jit's cache is keyed on the function, not on the
    argument values. Equality and hashing are functools.partial's (identity), as in JAX.
    """

    def __new__(cls, func, *args, **kw):
        if isinstance(func, functools.partial):
            func = _PartialShim(func)
        return super().__new__(cls, func, *args, **kw)


register_pytree_node(
    Partial, lambda p: ((p.args, p.keywords), p.func),
    lambda func, children: Partial(func, *children[0], **children[1]))


# ----------------------------------------------------------------------------- flattening

def _flatten(x, leaves, _get=_registry.get, _unseen=_UNSEEN):
    kind = _get(type(x), _unseen)
    if kind is _unseen:
        kind = _classify(type(x))
    if kind is None:
        leaves.append(x)
        return None
    children, aux = kind.flatten(x)
    nodes = []
    for c in children:  # leaf children inline: most children are leaves
        if _get(type(c), _unseen) is None:
            leaves.append(c)
            nodes.append(None)
        else:
            nodes.append(_flatten(c, leaves))
    return kind, aux, tuple(nodes)


def _flatten_is_leaf(x, leaves, is_leaf):
    if is_leaf(x):
        leaves.append(x)
        return None
    kind = _kind_of(x)
    if kind is None:
        leaves.append(x)
        return None
    children, aux = kind.flatten(x)
    return kind, aux, tuple([_flatten_is_leaf(c, leaves, is_leaf) for c in children])


def tree_flatten(tree, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    """Returns (leaves, treedef). `is_leaf(x)` true makes the subtree x a single leaf."""
    leaves = []
    node = _flatten(tree, leaves) if is_leaf is None else _flatten_is_leaf(tree, leaves, is_leaf)
    return leaves, PyTreeDef(node, len(leaves))


def tree_leaves(tree, is_leaf: Callable[[Any], bool] | None = None) -> list:
    leaves = []
    if is_leaf is None:
        _flatten(tree, leaves)
    else:
        _flatten_is_leaf(tree, leaves, is_leaf)
    return leaves


def tree_structure(tree, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    return tree_flatten(tree, is_leaf)[1]


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable) -> Any:
    try:
        unflatten = treedef.unflatten
    except AttributeError:  # (not checked up front: this runs on every jitted call)
        raise TypeError(f"tree_unflatten: expected a PyTreeDef as treedef, got "
                        f"{describe(treedef)}") from None
    return unflatten(leaves)


def _unflatten(node, next_leaf):
    kind, aux, children = node
    return kind.unflatten(aux, [next_leaf() if c is None else _unflatten(c, next_leaf)
                                for c in children])


def _count_leaves(node) -> int:
    return 1 if node is None else sum(_count_leaves(c) for c in node[2])


def _count_nodes(node) -> int:
    return 1 if node is None else 1 + sum(_count_nodes(c) for c in node[2])


def _repr(node) -> str:
    return "*" if node is None else node[0].repr(node[1], [_repr(c) for c in node[2]])


def _compose(outer, inner):
    if outer is None:
        return inner
    kind, aux, children = outer
    return kind, aux, tuple(_compose(c, inner) for c in children)


class _Mismatch(Exception):
    """A tree does not match a structure; `path` is filled in, innermost key first."""

    def __init__(self, desc):
        super().__init__(desc)
        self.desc = desc
        self.path = []


def _type_name(t) -> str:
    return "None" if t is type(None) else t.__name__


def _match_children(node, x) -> list:
    kind, aux, children = node
    expected = aux if kind is _NAMEDTUPLE else kind.type
    if type(x) is not expected:
        raise _Mismatch(f"expected {_type_name(expected)}, got {_type_name(type(x))}")
    xs, x_aux = kind.flatten(x)
    if x_aux != aux:
        what = "keys" if kind in (_DICT, _ORDERED_DICT) else "node data"
        raise _Mismatch(f"expected {_type_name(expected)} with {what} {aux!r}, got {x_aux!r}")
    xs = list(xs)
    if len(xs) != len(children):
        raise _Mismatch(f"expected {_type_name(expected)} of length {len(children)}, got length {len(xs)}")
    return xs


def _up_to(node, x, out):
    xs = _match_children(node, x)
    i = 0
    try:
        for i, c in enumerate(node[2]):
            if c is None:
                out.append(xs[i])
            else:
                _up_to(c, xs[i], out)
    except _Mismatch as e:
        e.path.append(node[0].flatten_with_keys(x)[0][i][0])
        raise


def _flatten_up_to(treedef: PyTreeDef, tree, what: str, expected_name: str, given_name: str) -> list:
    """treedef.flatten_up_to(tree), with an error naming both structures and the path where
    they first differ."""
    if treedef._node is None:
        return [tree]
    out = []
    try:
        _up_to(treedef._node, tree, out)
    except _Mismatch as e:
        where = keystr(reversed(e.path)) or "the root"
        width = max(len(expected_name), len(given_name)) + 1
        raise ValueError(
            f"{what}: mismatch at {where}: {e.desc}.\n"
            f"  {expected_name + ':':<{width}} {treedef}\n"
            f"  {given_name + ':':<{width}} {tree_structure(tree)}") from None
    return out


class PyTreeDef:
    """The structure of a pytree: node types, dict keys and custom aux data, with leaf slots.

    Hashable and comparable, so it can key caches of compiled functions.
    """

    __slots__ = ("_node", "num_leaves", "_hash")

    def __init__(self, node, num_leaves: int):
        self._node = node
        self.num_leaves = num_leaves
        self._hash = None

    def unflatten(self, leaves: Iterable) -> Any:
        if type(leaves) is not list and type(leaves) is not tuple:
            try:
                leaves = list(leaves)
            except TypeError:
                raise TypeError(f"tree_unflatten: expected an iterable of leaves, got "
                                f"{describe(leaves)}") from None
        if len(leaves) != self.num_leaves:
            raise ValueError(f"tree_unflatten: {self} expects {self.num_leaves} leaves, "
                             f"got {len(leaves)}")
        if self._node is None:
            return leaves[0]
        return _unflatten(self._node, iter(leaves).__next__)

    def flatten_up_to(self, tree) -> list:
        """The subtrees of `tree` at this structure's leaves; ValueError if `tree` does not
        have this structure as a prefix."""
        return _flatten_up_to(self, tree, "flatten_up_to", "expected", "got")

    @property
    def num_nodes(self) -> int:
        return _count_nodes(self._node)

    def children(self) -> list[PyTreeDef]:
        if self._node is None:
            return []
        return [PyTreeDef(c, _count_leaves(c)) for c in self._node[2]]

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """This structure with `inner` in place of each leaf."""
        return PyTreeDef(_compose(self._node, inner._node), self.num_leaves * inner.num_leaves)

    def __eq__(self, other):
        return type(other) is PyTreeDef and self._node == other._node

    def __hash__(self):
        if self._hash is None:
            self._hash = hash(self._node)
        return self._hash

    def __repr__(self):
        return f"PyTreeDef({_repr(self._node)})"


def _check_treedef(caller: str, name: str, treedef) -> None:
    if not isinstance(treedef, PyTreeDef):
        raise TypeError(f"{caller}: expected a PyTreeDef as {name}, got {describe(treedef)}")


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    """The structures of the root's children ([] for a leaf)."""
    _check_treedef("treedef_children", "treedef", treedef)
    return treedef.children()


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """The structure of a tuple whose children have the structures `treedefs`."""
    treedefs = list(treedefs)
    for i, t in enumerate(treedefs):
        _check_treedef("treedef_tuple", f"treedefs[{i}]", t)
    return PyTreeDef((_TUPLE, None, tuple(t._node for t in treedefs)),
                     sum(t.num_leaves for t in treedefs))


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """True for a single node: a leaf, and (as in JAX) also None or an empty container."""
    return treedef.num_nodes == 1


def all_leaves(iterable: Iterable, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """True if every element is a leaf by itself (so the iterable is a valid leaf list)."""
    if is_leaf is None:
        return all(_kind_of(x) is None for x in iterable)
    return all(is_leaf(x) or _kind_of(x) is None for x in iterable)


# ----------------------------------------------------------------------------- mapping

def tree_map(f: Callable, tree, *rest, is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Applies f to corresponding leaves. Each tree in `rest` must have `tree`'s structure,
    or `tree`'s structure as a prefix (its subtree at a leaf of `tree` is passed whole)."""
    if not callable(f):
        raise TypeError(f"tree_map: expected a callable for f, got {describe(f)}")
    leaves, treedef = tree_flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten(list(map(f, leaves)))
    columns = [leaves] + [
        _flatten_up_to(treedef, r, f"tree_map: rest[{i}] does not match the first tree",
                       "first tree", f"rest[{i}]")
        for i, r in enumerate(rest)]
    return treedef.unflatten([f(*xs) for xs in zip(*columns)])


def tree_all(tree, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    return all(tree_leaves(tree, is_leaf))


_UNSPECIFIED = object()


def tree_reduce(function: Callable, tree, initializer=_UNSPECIFIED,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _UNSPECIFIED:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_reduce_associative(operation: Callable, tree, *, identity=_UNSPECIFIED,
                            is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Reduces the leaves by a balanced tree of `operation` calls (depth log n, not a left
    fold): valid for an associative operation. `identity` is the result for no leaves."""
    leaves = tree_leaves(tree, is_leaf)
    if leaves:
        return _balanced_reduce(operation, leaves)
    if identity is _UNSPECIFIED:
        raise TypeError("tree_reduce_associative: the tree has no leaves; pass identity= "
                        "for the result of an empty reduction")
    return identity


def _balanced_reduce(operation, xs):
    if len(xs) == 1:
        return xs[0]
    mid = len(xs) // 2  # JAX's split, so a non-commutative operation brackets the same way
    return operation(_balanced_reduce(operation, xs[:mid]), _balanced_reduce(operation, xs[mid:]))


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None, pytree_to_transpose) -> Any:
    """Turns an outer tree of inner trees into an inner tree of outer trees.

    `inner_treedef=None` takes the structure of the first inner tree. Unlike JAX, which
    only compares leaf counts, the whole structure must equal outer.compose(inner).
    """
    for name, treedef in (("outer_treedef", outer_treedef), ("inner_treedef", inner_treedef)):
        if not isinstance(treedef, PyTreeDef) and not (name == "inner_treedef" and treedef is None):
            raise TypeError(f"tree_transpose: expected a PyTreeDef as {name}, got "
                            f"{describe(treedef)}")
    if inner_treedef is None:
        inner_treedef = tree_structure(outer_treedef.flatten_up_to(pytree_to_transpose)[0])
    leaves, treedef = tree_flatten(pytree_to_transpose)
    expected = outer_treedef.compose(inner_treedef)
    if treedef != expected:
        raise TypeError(f"tree_transpose: expected structure {expected} "
                        f"(outer composed with inner), got {treedef}")
    n = inner_treedef.num_leaves
    rows = [leaves[i * n:(i + 1) * n] for i in range(outer_treedef.num_leaves)]
    return inner_treedef.unflatten(
        [outer_treedef.unflatten([row[j] for row in rows]) for j in range(n)])


# ----------------------------------------------------------------------------- key paths

def _flatten_with_path(x, path, out, is_leaf):
    kind = None if is_leaf is not None and is_leaf(path, x) else _kind_of(x)
    if kind is None:
        out.append((path, x))
        return None
    keyed, aux = kind.flatten_with_keys(x)
    return kind, aux, tuple([_flatten_with_path(c, path + (k,), out, is_leaf) for k, c in keyed])


def tree_flatten_with_path(tree, is_leaf: Callable[..., bool] | None = None,
                           is_leaf_takes_path: bool = False) -> tuple[list, PyTreeDef]:
    """Returns ([(key_path, leaf)], treedef); key paths are tuples of key entries.
    `is_leaf(x)` is asked of each subtree, or `is_leaf(key_path, x)` with is_leaf_takes_path."""
    if is_leaf is not None and not is_leaf_takes_path:
        is_leaf = functools.partial(_drop_path, is_leaf)
    out = []
    node = _flatten_with_path(tree, (), out, is_leaf)
    return out, PyTreeDef(node, len(out))


def _drop_path(is_leaf, path, x):
    return is_leaf(x)


def tree_leaves_with_path(tree, is_leaf: Callable[..., bool] | None = None,
                          is_leaf_takes_path: bool = False) -> list:
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(f: Callable, tree, *rest, is_leaf: Callable[..., bool] | None = None,
                       is_leaf_takes_path: bool = False) -> Any:
    """tree_map, with each leaf's key path passed to f first."""
    keyed, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    columns = [[x for _, x in keyed]] + [
        _flatten_up_to(treedef, r, f"tree_map_with_path: rest[{i}] does not match the first tree",
                       "first tree", f"rest[{i}]")
        for i, r in enumerate(rest)]
    return treedef.unflatten(
        [f(path, *xs) for (path, _), xs in zip(keyed, zip(*columns))])


# ----------------------------------------------------------------------------- prefixes

def broadcast_prefix(prefix_tree, full_tree, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """Each leaf of `prefix_tree`, repeated once per leaf of the `full_tree` subtree it covers.

    None in `prefix_tree` is a leaf here (vmap's `in_axes=None` covers a whole argument);
    None in `full_tree` is an empty subtree. `is_leaf` applies to both trees, so the result
    lines up with `tree_leaves(full_tree, is_leaf)`.
    """
    if is_leaf is None:
        prefix_is_leaf = _is_none
    else:
        def prefix_is_leaf(x):
            return x is None or is_leaf(x)
    return _broadcast_leaves("broadcast_prefix", prefix_tree, full_tree, prefix_is_leaf, is_leaf)


def tree_broadcast(prefix_tree, full_tree, is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """`full_tree`'s structure with each leaf of `prefix_tree` copied to every leaf of the
    subtree it covers. Unlike broadcast_prefix (and as in JAX), None is an empty node in
    both trees, and `is_leaf` applies to `prefix_tree` only."""
    leaves = _broadcast_leaves("tree_broadcast", prefix_tree, full_tree, is_leaf, None)
    return tree_structure(full_tree).unflatten(leaves)


def _broadcast_leaves(caller, prefix_tree, full_tree, prefix_is_leaf, full_is_leaf) -> list:
    prefix_leaves, prefix_def = tree_flatten(prefix_tree, prefix_is_leaf)
    subtrees = _flatten_up_to(prefix_def, full_tree,
                              f"{caller}: prefix_tree is not a prefix of full_tree",
                              "prefix_tree", "full_tree")
    result = []
    for x, sub in zip(prefix_leaves, subtrees):
        result.extend([x] * len(tree_leaves(sub, full_is_leaf)))
    return result


def _is_none(x) -> bool:
    return x is None


# ----------------------------------------------------------------------------- registry object

class _Registry:
    """`default_registry`: the one registry of this module, as an object with the methods
    of JAX's, for code that calls them. As in JAX, `flatten_one_level` gives None for a
    leaf, and `flatten_with_path`'s leaf_predicate takes (key_path, x)."""

    flatten = staticmethod(tree_flatten)
    is_node = staticmethod(is_tree_node)
    register_node = staticmethod(register_pytree_node)

    @staticmethod
    def flatten_one_level(tree):
        return None if _kind_of(tree) is None else flatten_one_level(tree)

    @staticmethod
    def flatten_one_level_with_keys(tree):
        return None if _kind_of(tree) is None else flatten_one_level_with_keys(tree)

    @staticmethod
    def flatten_with_path(tree, leaf_predicate=None):
        return tree_flatten_with_path(tree, leaf_predicate, is_leaf_takes_path=True)

    @staticmethod
    def register_dataclass_node(nodetype, data_fields, meta_fields, /):
        register_dataclass(nodetype, data_fields, meta_fields)


default_registry = _Registry()
