"""Pytree utilities: structure round trips, matching rules, paths and error messages.

Expected reprs and orders are those of jax.tree_util (checked against JAX when written).
"""

import collections
import dataclasses
import operator

import numpy as np
import pytest

import fx.tree as tree
from fx import tree_util as tu
from fx.tree_util import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey

Point = collections.namedtuple("Point", "x y")
OtherPoint = collections.namedtuple("OtherPoint", "x y")


class Box:
    """Custom node via register_pytree_node; `label` is aux data."""

    def __init__(self, value, label):
        self.value, self.label = value, label

    def __eq__(self, other):
        return type(other) is Box and (self.value, self.label) == (other.value, other.label)


unflatten_children_types = []


def _box_unflatten(label, children):
    unflatten_children_types.append(type(children))
    return Box(children[0], label)


tu.register_pytree_node(Box, lambda b: ((b.value,), b.label), _box_unflatten)


@tu.register_pytree_node_class
class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __eq__(self, other):
        return type(other) is Pair and (self.a, self.b) == (other.a, other.b)

    def tree_flatten(self):
        return (self.a, self.b), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


@tu.register_pytree_with_keys_class
class Named:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def __eq__(self, other):
        return type(other) is Named and (self.w, self.b) == (other.w, other.b)

    def tree_flatten_with_keys(self):
        return ((GetAttrKey("w"), self.w), (GetAttrKey("b"), self.b)), "named"

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


@tu.register_dataclass
@dataclasses.dataclass
class Params:
    w: object
    b: object
    act: str = dataclasses.field(default="relu", metadata=dict(static=True))


@dataclasses.dataclass(frozen=True)
class Layer:
    kernel: object
    name: str


tu.register_dataclass(Layer, data_fields=["kernel"], meta_fields=["name"])

ARR = np.arange(3.0)

ROUND_TRIPS = [
    (1, 1, "PyTreeDef(*)"),
    ("text", 1, "PyTreeDef(*)"),
    (ARR, 1, "PyTreeDef(*)"),
    (None, 0, "PyTreeDef(None)"),
    ((), 0, "PyTreeDef(())"),
    ([], 0, "PyTreeDef([])"),
    ({}, 0, "PyTreeDef({})"),
    ((1,), 1, "PyTreeDef((*,))"),
    ((1, {"a": 2, "b": None}), 2, "PyTreeDef((*, {'a': *, 'b': None}))"),
    ([[], [()], {"k": []}], 0, "PyTreeDef([[], [()], {'k': []}])"),
    ({"b": [1, (2, 3)], "a": ARR}, 4, "PyTreeDef({'a': *, 'b': [*, (*, *)]})"),
    (Point(1, [2]), 2, "PyTreeDef(CustomNode(namedtuple[Point], [*, [*]]))"),
    (collections.OrderedDict([("b", 1), ("a", 2)]), 2,
     "PyTreeDef(CustomNode(OrderedDict[('b', 'a')], [*, *]))"),
    (collections.defaultdict(list, {"b": 1, "a": 2}), 2,
     "PyTreeDef(CustomNode(defaultdict[(<class 'list'>, ('a', 'b'))], [*, *]))"),
    (Params([1, 2], 3), 3, "PyTreeDef(CustomNode(Params[('relu',)], [[*, *], *]))"),
    (Layer((1, 2), "dense"), 2, "PyTreeDef(CustomNode(Layer[('dense',)], [(*, *)]))"),
    (Box((1, None), "lbl"), 1, "PyTreeDef(CustomNode(Box[lbl], [(*, None)]))"),
    (Pair(1, Pair(2, 3)), 3, "PyTreeDef(CustomNode(Pair[None], [*, CustomNode(Pair[None], [*, *])]))"),
    (Named(1, 2), 2, "PyTreeDef(CustomNode(Named[named], [*, *]))"),
]


@pytest.mark.parametrize("t,num_leaves,expected_repr", ROUND_TRIPS, ids=lambda v: repr(v)[:30])
def test_round_trip(t, num_leaves, expected_repr):
    leaves, treedef = tu.tree_flatten(t)
    assert len(leaves) == treedef.num_leaves == num_leaves
    assert repr(treedef) == expected_repr
    rebuilt = tu.tree_unflatten(treedef, leaves)
    assert type(rebuilt) is type(t)
    assert tu.tree_structure(rebuilt) == treedef
    assert all(x is y for x, y in zip(tu.tree_leaves(rebuilt), leaves))


def test_leaf_order_follows_sorted_dict_keys_and_unflatten_sorts():
    leaves, treedef = tu.tree_flatten({"b": 1, "a": 2, "c": {"z": 3, "y": 4}})
    assert leaves == [2, 1, 4, 3]
    rebuilt = treedef.unflatten(["A", "B", "Y", "Z"])
    assert list(rebuilt) == ["a", "b", "c"] and list(rebuilt["c"]) == ["y", "z"]
    assert rebuilt == {"a": "A", "b": "B", "c": {"y": "Y", "z": "Z"}}
    assert tu.tree_structure({"a": 1, "b": 2}) == tu.tree_structure({"b": 1, "a": 2})


def test_ordered_dict_keeps_insertion_order_and_defaultdict_its_factory():
    od = collections.OrderedDict([("b", 1), ("a", 2)])
    assert tu.tree_leaves(od) == [1, 2]
    assert list(tu.tree_map(lambda x: x, od)) == ["b", "a"]
    assert tu.tree_structure(od) != tu.tree_structure(collections.OrderedDict([("a", 1), ("b", 2)]))
    assert tu.tree_structure(od) != tu.tree_structure({"a": 1, "b": 2})
    dd = tu.tree_map(lambda x: x + 1, collections.defaultdict(list, {"b": 1, "a": 2}))
    assert dd.default_factory is list and dict(dd) == {"a": 3, "b": 2}
    assert tu.tree_structure(collections.defaultdict(list, a=1)) != tu.tree_structure(
        collections.defaultdict(int, a=1))


def test_unsortable_dict_keys_raise():
    with pytest.raises(ValueError, match="sortable"):
        tu.tree_flatten({1: "x", "a": "y"})


def test_none_is_an_empty_node():
    assert tu.tree_leaves([None, (None,), {"a": None}]) == []
    assert tu.tree_map(lambda x: x * 2, (1, None, [None, 2])) == (2, None, [None, 4])
    assert tu.tree_structure(None) != tu.tree_structure(1)
    assert tu.tree_structure(None).unflatten([]) is None
    leaves = tu.tree_leaves((1, None, [None]), is_leaf=lambda x: x is None)
    assert leaves == [1, None, None]


def test_leaves_of_unregistered_types_and_subclasses():
    class MyDict(dict):
        pass

    class MyTuple(tuple):
        pass

    obj = object()
    for leaf in (MyDict(a=1), MyTuple((1, 2)), obj, 1.5, 2j, "s", ARR, np.float32(1)):
        assert tu.tree_leaves([leaf])[0] is leaf
        assert tu.treedef_is_leaf(tu.tree_structure(leaf))


def test_namedtuple_type_is_part_of_structure():
    assert tu.tree_structure(Point(1, 2)) != tu.tree_structure((1, 2))
    assert tu.tree_structure(Point(1, 2)) != tu.tree_structure(OtherPoint(1, 2))
    assert tu.tree_map(lambda x: -x, Point(1, 2)) == Point(-1, -2)
    assert type(tu.tree_map(lambda x: -x, Point(1, 2))) is Point


def test_dataclass_meta_fields_are_static():
    p = Params(w=1, b=2, act="tanh")
    leaves, treedef = tu.tree_flatten(p)
    assert leaves == [1, 2]
    assert treedef != tu.tree_structure(Params(1, 2))
    assert treedef.unflatten([10, 20]) == Params(10, 20, "tanh")
    assert tu.tree_map(lambda x: x * 2, Layer(3, "l")) == Layer(6, "l")


def test_register_dataclass_validates_fields():
    @dataclasses.dataclass
    class Incomplete:
        a: int
        b: int

    with pytest.raises(ValueError, match="init fields"):
        tu.register_dataclass(Incomplete, data_fields=["a"], meta_fields=[])
    with pytest.raises(TypeError, match="both"):
        tu.register_dataclass(Incomplete, data_fields=["a", "b"])
    with pytest.raises(TypeError, match="not a dataclass"):
        tu.register_dataclass(int)


def test_register_dataclass_drop_fields():
    @dataclasses.dataclass
    class WithCache:
        x: object
        cache: object = None

    tu.register_dataclass(WithCache, drop_fields=["cache"])
    assert tu.tree_map(lambda v: v + 1, WithCache(1, cache="stale")) == WithCache(2, None)


def test_custom_node_aux_data_and_children_tuple():
    assert tu.tree_structure(Box(1, "a")) == tu.tree_structure(Box(2, "a"))
    assert tu.tree_structure(Box(1, "a")) != tu.tree_structure(Box(1, "b"))
    unflatten_children_types.clear()
    assert tu.tree_map(lambda x: x + 1, Box(1, "a")) == Box(2, "a")
    assert unflatten_children_types == [tuple]  # JAX passes children as a tuple


def test_duplicate_registration_raises():
    with pytest.raises(ValueError, match="Duplicate"):
        tu.register_pytree_node(Box, lambda b: ((), None), lambda a, c: Box(None, a))
    with pytest.raises(ValueError, match="Duplicate"):
        tu.register_pytree_node(tuple, lambda t: (t, None), lambda a, c: tuple(c))


def test_registration_after_type_was_seen_as_leaf():
    class Late:
        def __init__(self, v):
            self.v = v

    assert tu.tree_leaves([Late(1)])[0].v == 1  # cached as a leaf type
    tu.register_pytree_node(Late, lambda x: ((x.v,), None), lambda a, c: Late(*c))
    assert tu.tree_leaves([Late(1)]) == [1]


def test_is_leaf_stops_traversal():
    t = {"a": (1, 2), "b": [3, (4, 5)]}
    leaves, treedef = tu.tree_flatten(t, is_leaf=lambda x: type(x) is tuple)
    assert leaves == [(1, 2), 3, (4, 5)]
    assert repr(treedef) == "PyTreeDef({'a': *, 'b': [*, *]})"
    assert tu.tree_map(str, t, is_leaf=lambda x: type(x) is tuple) == {"a": "(1, 2)", "b": ["3", "(4, 5)"]}
    assert tu.tree_leaves(t, is_leaf=lambda x: x is t) == [t]


def test_tree_map_several_trees_and_prefix():
    a = {"x": 1, "y": (2, 3)}
    b = {"x": 10, "y": (20, 30)}
    assert tu.tree_map(lambda p, q, r: p + q + r, a, b, b) == {"x": 21, "y": (42, 63)}
    # a leaf of the first tree takes the whole matching subtree of the others
    out = tu.tree_map(lambda p, q: (p, q), (1, 2), ([3, 4], {"k": 5}))
    assert out == ((1, [3, 4]), (2, {"k": 5}))
    # None in the first tree is a node: the others must have None there too
    assert tu.tree_map(lambda p, q: p + q, (1, None), (2, None)) == (3, None)


def test_tree_map_mismatch_error_shows_both_structures_and_path():
    with pytest.raises(ValueError) as info:
        tu.tree_map(lambda p, q: p, (1, [2, {"a": 3}]), (1, [2, {"b": 3}]))
    msg = str(info.value)
    assert "PyTreeDef((*, [*, {'a': *}]))" in msg
    assert "PyTreeDef((*, [*, {'b': *}]))" in msg
    assert "[1][1]" in msg and "rest[0]" in msg


@pytest.mark.parametrize("first,other,detail", [
    ((1, 2), (1, 2, 3), "length 2, got length 3"),
    ((1, 2), [1, 2], "expected tuple, got list"),
    ((1, None), (1, 2), "expected None, got int"),
    (Point(1, 2), OtherPoint(1, 2), "expected Point, got OtherPoint"),
    (Box(1, "a"), Box(1, "b"), "node data"),
])
def test_tree_map_mismatch_kinds(first, other, detail):
    with pytest.raises(ValueError) as info:
        tu.tree_map(lambda p, q: p, first, other)
    msg = str(info.value)
    assert detail in msg
    assert repr(tu.tree_structure(first)) in msg and repr(tu.tree_structure(other)) in msg


def test_flatten_up_to():
    treedef = tu.tree_structure((1, {"a": 2}))
    assert treedef.flatten_up_to(([1, 2], {"a": (3,)})) == [[1, 2], (3,)]
    assert tu.tree_structure(7).flatten_up_to((1, 2)) == [(1, 2)]
    with pytest.raises(ValueError) as info:
        treedef.flatten_up_to((1, {"a": 2, "b": 3}))
    msg = str(info.value)
    assert "mismatch at [1]:" in msg and "('a',)" in msg and "('a', 'b')" in msg
    assert repr(treedef) in msg and "PyTreeDef((*, {'a': *, 'b': *}))" in msg


def test_unflatten_wrong_leaf_count():
    treedef = tu.tree_structure((1, [2, 3]))
    for leaves in ([1, 2], [1, 2, 3, 4]):
        with pytest.raises(ValueError) as info:
            treedef.unflatten(leaves)
        assert f"expects 3 leaves, got {len(leaves)}" in str(info.value)
    assert tu.tree_unflatten(treedef, iter([4, 5, 6])) == (4, [5, 6])


def test_broadcast_prefix():
    full = ((1, 2), {"a": 3, "b": [4, 5]}, 6)
    assert tu.broadcast_prefix((0, 1, 2), full) == [0, 0, 1, 1, 1, 2]
    assert tu.broadcast_prefix((0, {"a": None, "b": 1}, None), full) == [0, 0, None, 1, 1, None]
    assert tu.broadcast_prefix(None, full) == [None] * 6
    assert tu.broadcast_prefix(0, (1, None, [None])) == [0]  # None in the full tree has no leaves
    assert tu.broadcast_prefix((0, 1), ((1, 2), 3), is_leaf=lambda x: type(x) is tuple and x != (0, 1)) \
        == [0, 1]
    with pytest.raises(ValueError) as info:
        tu.broadcast_prefix((0, 1), full)
    msg = str(info.value)
    assert "PyTreeDef((*, *))" in msg and repr(tu.tree_structure(full)) in msg
    assert "length 2, got length 3" in msg


def test_treedef_equality_hash_and_properties():
    t1 = tu.tree_structure({"a": [1, 2], "b": (3, None)})
    t2 = tu.tree_structure({"b": ("x", None), "a": [ARR, 5]})
    assert t1 == t2 and hash(t1) == hash(t2)
    assert len({t1, t2, tu.tree_structure([1, 2])}) == 2
    assert t1 != tu.tree_structure({"a": (1, 2), "b": (3, None)})
    assert t1 != tu.tree_structure({"a": [1, 2], "c": (3, None)})
    assert t1 != tu.tree_structure({"a": [1, 2], "b": (3, 4)})
    assert t1 != "PyTreeDef"
    assert t1.num_leaves == 3 and t1.num_nodes == 7
    assert [repr(c) for c in t1.children()] == ["PyTreeDef([*, *])", "PyTreeDef((*, None))"]
    assert tu.tree_structure(1).children() == []
    composed = tu.tree_structure((1, 2)).compose(tu.tree_structure([1, None]))
    assert repr(composed) == "PyTreeDef(([*, None], [*, None]))" and composed.num_leaves == 2


def test_treedef_is_leaf_and_all_leaves():
    assert tu.treedef_is_leaf(tu.tree_structure(1))
    assert tu.treedef_is_leaf(tu.tree_structure(None))  # as in JAX: one node
    assert not tu.treedef_is_leaf(tu.tree_structure((1,)))
    assert tu.all_leaves([1, ARR, "s"])
    assert not tu.all_leaves([1, None])
    assert not tu.all_leaves([1, (2,)])
    assert tu.all_leaves([1, (2,)], is_leaf=lambda x: type(x) is tuple)


def test_paths_and_keystr():
    t = (1, {"a": [2]}, Point(3, 4), Params(5, 6), Box(7, "l"), Named(8, 9))
    keyed, treedef = tu.tree_flatten_with_path(t)
    assert treedef == tu.tree_structure(t)
    assert [x for _, x in keyed] == tu.tree_leaves(t)
    paths = [p for p, _ in keyed]
    assert paths[1] == (SequenceKey(1), DictKey("a"), SequenceKey(0))
    assert paths[2] == (SequenceKey(2), GetAttrKey("x"))
    assert paths[6] == (SequenceKey(4), FlattenedIndexKey(0))
    assert [tu.keystr(p) for p in paths] == [
        "[0]", "[1]['a'][0]", "[2].x", "[2].y", "[3].w", "[3].b", "[4][<flat index 0>]",
        "[5].w", "[5].b"]
    assert tu.keystr(paths[1], simple=True, separator="/") == "1/a/0"
    assert repr(DictKey("a")) == "DictKey(key='a')" and repr(SequenceKey(0)) == "SequenceKey(idx=0)"
    assert tu.tree_leaves_with_path({"k": None, "j": 1}) == [((DictKey("j"),), 1)]


def test_tree_map_with_path():
    out = tu.tree_map_with_path(lambda p, x, y: (tu.keystr(p), x + y),
                                {"a": 1, "b": [2]}, {"a": 10, "b": [20]})
    assert out == {"a": ("['a']", 11), "b": [("['b'][0]", 22)]}
    with pytest.raises(ValueError, match=r"PyTreeDef\(\{'a': \*\}\)"):
        tu.tree_map_with_path(lambda p, x, y: x, {"a": 1}, {"b": 1})


def test_reduce_all_transpose():
    assert tu.tree_reduce(operator.add, (1, [2, 3])) == 6
    assert tu.tree_reduce(operator.add, (), 10) == 10
    with pytest.raises(TypeError):
        tu.tree_reduce(operator.add, ())
    assert tu.tree_all([True, (1, {"a": 2})]) and not tu.tree_all([True, (1, {"a": 0})])
    outer, inner = tu.tree_structure([0, 0, 0]), tu.tree_structure({"a": 0, "b": 0})
    t = [{"a": 1, "b": 2}, {"a": 3, "b": 4}, {"a": 5, "b": 6}]
    expected = {"a": [1, 3, 5], "b": [2, 4, 6]}
    assert tu.tree_transpose(outer, inner, t) == expected
    assert tu.tree_transpose(outer, None, t) == expected
    assert tu.tree_transpose(tu.tree_structure([]), inner, []) == {"a": [], "b": []}
    with pytest.raises(TypeError, match="tree_transpose"):
        tu.tree_transpose(outer, inner, [{"a": 1, "b": 2}, {"a": 3, "b": 4}, {"a": 5, "c": 6}])


def test_tree_module_aliases():
    t = {"a": 1, "b": (2, None)}
    leaves, treedef = tree.flatten(t)
    assert tree.unflatten(treedef, leaves) == t
    assert tree.map(lambda x: x * 3, t) == {"a": 3, "b": (6, None)}
    assert tree.leaves(t) == [1, 2] and tree.structure(t) == treedef
    assert tree.reduce(operator.add, t) == 3 and tree.all(t)
    assert tree.map_with_path(lambda p, x: tu.keystr(p), t) == {"a": "['a']", "b": ("['b'][0]", None)}
    assert tree.flatten_with_path(t)[1] == treedef
    assert tree.leaves_with_path(t)[0] == ((DictKey("a"),), 1)
    assert tree.transpose(tree.structure([0, 0]), None, [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
