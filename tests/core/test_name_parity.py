"""JAX's names in fx's core utility modules (tree_util, tree, errors, dtypes, typing), with
JAX's signatures and behaviour. Expected values are JAX 0.10's results, written as literals."""
import collections
import dataclasses
import functools
import importlib
import inspect
import operator

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import dtypes, errors, tree_util as tu
from fx import typing as fx_typing
from fx.tree_util import DictKey, FlattenedIndexKey, GetAttrKey, Partial, SequenceKey

# dir() of each JAX module, less private names.
JAX_NAMES = {
    "tree_util": {
        "DictKey", "FlattenedIndexKey", "GetAttrKey", "KeyEntry", "KeyPath", "Partial", "PyTreeDef",
        "SequenceKey", "all_leaves", "default_registry", "flatten_one_level",
        "flatten_one_level_with_keys", "is_tree_node", "keystr", "register_dataclass",
        "register_pytree_node", "register_pytree_node_class", "register_pytree_with_keys",
        "register_pytree_with_keys_class", "register_static", "tree_all", "tree_broadcast",
        "tree_flatten", "tree_flatten_with_path", "tree_leaves", "tree_leaves_with_path", "tree_map",
        "tree_map_with_path", "tree_reduce", "tree_reduce_associative", "tree_structure",
        "tree_transpose", "tree_unflatten", "treedef_children", "treedef_is_leaf", "treedef_tuple"},
    "tree": {
        "all", "broadcast", "flatten", "flatten_with_path", "leaves", "leaves_with_path", "map",
        "map_with_path", "reduce", "reduce_associative", "static", "structure", "transpose",
        "unflatten"},
    "errors": {
        "ConcretizationTypeError", "InconclusiveDimensionOperation", "JAXIndexError", "JAXTypeError",
        "JaxRuntimeError", "JaxprTypeError", "KeyReuseError", "NonConcreteBooleanIndexError",
        "TracerArrayConversionError", "TracerBoolConversionError", "TracerIntegerConversionError",
        "UnexpectedTracerError"},
    "dtypes": {  # less prng_key (typed keys are not here yet)
        "TypePromotionError", "bfloat16", "canonicalize_dtype", "extended", "finfo", "float0",
        "iinfo", "issubdtype", "itemsize_bits", "result_type", "scalar_type_of"},
    "typing": {"ArrayLike", "DTypeLike"},
}


@pytest.mark.parametrize("module", sorted(JAX_NAMES))
def test_every_jax_name_is_there(module):
    assert JAX_NAMES[module] - set(dir(importlib.import_module(f"fx.{module}"))) == set()


P, K, KO = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY,
            inspect.Parameter.POSITIONAL_ONLY)
VAR, VARKW = inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD

# (parameter name, kind) of JAX's signatures.
JAX_SIGNATURES = {
    tu.Partial: [("func", P), ("args", VAR), ("kw", VARKW)],
    tu.flatten_one_level: [("tree", P)],
    tu.flatten_one_level_with_keys: [("tree", P)],
    tu.is_tree_node: [("typ", P)],
    tu.register_static: [("cls", P)],
    tu.tree_broadcast: [("prefix_tree", P), ("full_tree", P), ("is_leaf", P)],
    fx.tree.broadcast: [("prefix_tree", P), ("full_tree", P), ("is_leaf", P)],
    tu.tree_reduce_associative: [("operation", P), ("tree", P), ("identity", K), ("is_leaf", K)],
    fx.tree.reduce_associative: [("operation", P), ("tree", P), ("identity", K), ("is_leaf", K)],
    tu.treedef_children: [("treedef", P)],
    tu.treedef_tuple: [("treedefs", P)],
    fx.tree.static: [("kwargs", VARKW)],
    tu.tree_flatten_with_path: [("tree", P), ("is_leaf", P), ("is_leaf_takes_path", P)],
    tu.tree_leaves_with_path: [("tree", P), ("is_leaf", P), ("is_leaf_takes_path", P)],
    tu.tree_map_with_path: [("f", P), ("tree", P), ("rest", VAR), ("is_leaf", K),
                            ("is_leaf_takes_path", K)],
    dtypes.itemsize_bits: [("dtype", P)],
    dtypes.scalar_type_of: [("x", P)],
    dtypes.iinfo: [("int_type", P)],
}


@pytest.mark.parametrize("fn", JAX_SIGNATURES, ids=lambda f: f.__name__)
def test_signatures_are_jax(fn):
    params = inspect.signature(fn).parameters.values()
    assert [(p.name, p.kind) for p in params] == JAX_SIGNATURES[fn]


# ----------------------------------------------------------------------------- Partial

def scale(a, x, shift=0.0):
    return a * x + shift


def test_partial_is_a_pytree_with_the_function_as_aux_data():
    p = Partial(scale, 2.0, shift=1.0)
    assert isinstance(p, functools.partial) and p(3.0) == 7.0
    leaves, treedef = tu.tree_flatten(p)
    assert leaves == [2.0, 1.0]
    assert repr(treedef) == f"PyTreeDef(CustomNode(Partial[{scale!r}], [(*,), {{'shift': *}}]))"
    assert treedef == tu.tree_structure(Partial(scale, 5.0, shift=0.0))
    assert treedef != tu.tree_structure(Partial(operator.mul, 5.0, shift=0.0))
    assert [path for path, _ in tu.tree_leaves_with_path(p)] == [
        (FlattenedIndexKey(0), SequenceKey(0)), (FlattenedIndexKey(1), DictKey("shift"))]
    mapped = fx.tree.map(lambda x: x * 10, p)
    assert type(mapped) is Partial and mapped.func is scale
    assert mapped.args == (20.0,) and mapped.keywords == {"shift": 10.0}


def test_partial_compares_and_hashes_by_identity_as_in_jax():
    p = Partial(scale, 2.0)
    assert p == p and p != Partial(scale, 2.0)
    assert hash(p) == hash(p) and hash(p) != hash(Partial(scale, 2.0))


def test_jit_caches_on_the_partials_function_not_its_arguments():
    traces = []

    @fx.jit
    def call(p, x):
        traces.append(p)
        return p(x)

    assert float(call(Partial(scale, 2.0, shift=1.0), 3.0)) == 7.0
    assert float(call(Partial(scale, 5.0, shift=-1.0), 3.0)) == 14.0
    assert len(traces) == 1  # the arguments were traced, not baked in
    assert float(call(Partial(lambda a, x, shift: a - x, 5.0, shift=-1.0), 3.0)) == 2.0
    assert len(traces) == 2


def test_partial_under_grad_vmap_and_as_a_jit_output():
    g = fx.grad(lambda p, x: p(x))(Partial(scale, 2.0, shift=1.0), 3.0)
    assert type(g) is Partial and g.func is scale
    assert [float(v) for v in tu.tree_leaves(g)] == [3.0, 1.0]
    out = fx.jit(lambda a: Partial(scale, a))(jnp.float32(4.0))
    assert type(out) is Partial and out.func is scale and float(out(2.0)) == 8.0
    ys = fx.vmap(lambda p: p(2.0))(Partial(scale, jnp.arange(3.0)))
    np.testing.assert_array_equal(np.asarray(ys), [0.0, 2.0, 4.0])


@pytest.mark.parametrize("inner", [functools.partial, Partial])
def test_partial_of_a_partial_keeps_the_inner_arguments_static(inner):
    p = Partial(inner(scale, 1.0), 2.0)
    assert tu.tree_leaves(p) == [2.0] and p.args == (2.0,) and p() == 2.0
    assert float(fx.jit(lambda p: p)(p)()) == 2.0


# ----------------------------------------------------------------------------- tree_util

Point = collections.namedtuple("Point", "x y")


def test_flatten_one_level():
    assert tu.flatten_one_level({"a": [1, 2], "b": {"c": 3}}) == ([[1, 2], {"c": 3}], ("a", "b"))
    assert tu.flatten_one_level([1, [2]]) == ([1, [2]], None)
    assert tu.flatten_one_level(None) == ([], None)
    assert tu.flatten_one_level(Point(1, 2)) == ([1, 2], Point)
    assert tu.flatten_one_level_with_keys({"a": [1, 2], "b": 3}) == (
        [(DictKey("a"), [1, 2]), (DictKey("b"), 3)], ("a", "b"))
    assert tu.flatten_one_level_with_keys(Point(1, 2)) == (
        [(GetAttrKey("x"), 1), (GetAttrKey("y"), 2)], Point)
    for leaf in (1, jnp.ones(2)):
        with pytest.raises(ValueError, match="can't tree-flatten type"):
            tu.flatten_one_level(leaf)


def test_is_tree_node():
    nodes = [list, tuple, dict, type(None), Point, collections.OrderedDict, collections.defaultdict,
             Partial]
    assert all(tu.is_tree_node(t) for t in nodes)
    assert not any(tu.is_tree_node(t) for t in (int, np.ndarray, fx.Array, 3, [1]))


def test_register_static_makes_instances_part_of_the_structure():
    @tu.register_static
    class Mode(str):
        pass

    assert tu.tree_leaves([Mode("add"), 1]) == [1]
    assert repr(tu.tree_structure(Mode("add"))) == "PyTreeDef(CustomNode(Mode[add], []))"
    traces = []

    @fx.jit
    def f(x, y, mode):
        traces.append(mode)
        return x + y if mode == "add" else x - y

    assert [float(f(1.0, 2.0, Mode("add"))), float(f(1.0, 2.0, Mode("sub"))),
            float(f(5.0, 2.0, Mode("sub")))] == [3.0, -1.0, 3.0]
    assert traces == ["add", "sub"]


def test_tree_broadcast():
    assert tu.tree_broadcast([1, {"a": 2}], [[3, 4], {"a": (5, 6)}]) == [[1, 1], {"a": (2, 2)}]
    assert fx.tree.broadcast(1, {"a": [1, 2], "b": None}) == {"a": [1, 1], "b": None}
    # None is an empty node in the prefix too (unlike vmap's in_axes)
    assert tu.tree_broadcast({"a": 1, "b": None}, {"a": [1, 2], "b": None}) == {"a": [1, 1], "b": None}
    # is_leaf applies to the prefix only
    is_tuple = lambda x: isinstance(x, tuple)  # noqa: E731
    assert tu.tree_broadcast([1, (2, 3)], [[4, 5], (6, 7)], is_leaf=is_tuple) == [[1, 1], ((2, 3), (2, 3))]
    assert tu.tree_broadcast([1, 2], [[4, 5], (6, 7)], is_leaf=is_tuple) == [[1, 1], (2, 2)]
    for prefix, full in [(None, [1, 2]), ([1, 2], [1]), ({"a": 1}, {"b": 1}), ([1], (1,))]:
        with pytest.raises(ValueError, match="prefix_tree is not a prefix of full_tree"):
            tu.tree_broadcast(prefix, full)


def test_tree_reduce_associative():
    assert tu.tree_reduce_associative(operator.add, [1, 2, {"a": 3, "b": (4, 5)}]) == 15
    # a balanced tree of calls, split as JAX splits it
    assert fx.tree.reduce_associative(lambda a, b: f"({a}{b})", list("abcde")) == "((ab)(c(de)))"
    assert tu.tree_reduce_associative(operator.add, [7], identity=100) == 7
    assert tu.tree_reduce_associative(operator.add, [], identity=0) == 0
    assert tu.tree_reduce_associative(operator.add, [[1], [2]],
                                      is_leaf=lambda x: isinstance(x, list) and len(x) == 1) == [1, 2]
    with pytest.raises(TypeError, match="identity"):
        tu.tree_reduce_associative(operator.add, [None])


def test_treedef_tuple_and_children():
    s = tu.tree_structure
    both = tu.treedef_tuple(iter([s([1, 2]), s({"a": 1})]))
    assert both == s(([1, 2], {"a": 1})) and both.num_leaves == 3
    assert repr(both) == "PyTreeDef(([*, *], {'a': *}))"
    assert tu.treedef_tuple([]) == s(()) and tu.treedef_tuple([s(1)]) == s((1,))
    assert tu.treedef_children(s([1, (2, 3), {"a": 4}])) == [s(1), s((2, 3)), s({"a": 4})]
    assert tu.treedef_children(s(1)) == [] and tu.treedef_children(s(None)) == []
    with pytest.raises(TypeError, match=r"treedefs\[1\]"):
        tu.treedef_tuple([s(1), [1]])
    with pytest.raises(TypeError, match="PyTreeDef"):
        tu.treedef_children([1])


def test_key_paths_with_is_leaf_taking_the_path():
    t = {"a": [1, 2], "b": 3}
    at_depth_one = lambda path, x: len(path) == 1  # noqa: E731
    assert fx.tree.leaves_with_path(t, is_leaf=at_depth_one, is_leaf_takes_path=True) == [
        ((DictKey("a"),), [1, 2]), ((DictKey("b"),), 3)]
    assert tu.tree_map_with_path(lambda p, x: len(p), t, is_leaf=at_depth_one,
                                 is_leaf_takes_path=True) == {"a": 1, "b": 1}
    assert tu.tree_map_with_path(lambda p, x: len(p), t) == {"a": [2, 2], "b": 1}


def test_default_registry():
    reg = tu.default_registry
    assert reg.flatten([1, (2,)]) == ([1, 2], tu.tree_structure([1, (2,)]))
    assert reg.flatten_one_level(1) is None and reg.flatten_one_level_with_keys(1) is None
    assert reg.flatten_one_level((1, 2)) == ([1, 2], None)
    assert reg.is_node(dict) and not reg.is_node(int)
    assert reg.flatten_with_path([1, [2]], lambda path, x: len(path) == 1)[0] == [
        ((SequenceKey(0),), 1), ((SequenceKey(1),), [2])]


def test_key_type_aliases():
    assert tu.KeyPath[GetAttrKey] == tuple[GetAttrKey, ...]
    assert tu.KeyEntry.__name__ == "KeyEntry"


def test_tree_static_marks_dataclass_fields_as_aux_data():
    @tu.register_dataclass
    @dataclasses.dataclass
    class Op:
        x: float
        y: float
        op: str = fx.tree.static(default="add")
        tag: str = fx.tree.static(default="t", metadata={"note": 1})

    leaves, treedef = fx.tree.flatten(Op(1.0, 2.0))
    assert leaves == [1.0, 2.0]
    assert repr(treedef) == "PyTreeDef(CustomNode(Op[('add', 't')], [*, *]))"
    assert dataclasses.fields(Op)[3].metadata == {"static": True, "note": 1}


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("cls, bases", [
    (errors.JAXTypeError, (TypeError,)),
    (errors.JAXIndexError, (IndexError,)),
    (errors.KeyReuseError, (errors.JAXTypeError,)),
    (errors.NonConcreteBooleanIndexError, (errors.JAXIndexError,)),
    (errors.JaxRuntimeError, (RuntimeError,)),
    (errors.JaxprTypeError, (TypeError,)),
    (errors.InconclusiveDimensionOperation, (Exception,)),
    (errors.ConcretizationTypeError, (errors.JAXTypeError,)),
    (errors.TracerBoolConversionError, (errors.ConcretizationTypeError,)),
    (errors.TracerIntegerConversionError, (errors.JAXTypeError,)),
    (errors.TracerArrayConversionError, (errors.JAXTypeError,)),
    (errors.UnexpectedTracerError, (errors.JAXTypeError,)),
])
def test_error_hierarchy_is_jax(cls, bases):
    assert cls.__bases__ == bases


def test_errors_fx_raises_are_caught_by_jax_base_classes():
    with pytest.raises(errors.JAXTypeError, match=r"bool\(\)"):
        fx.jit(lambda x: 1 if x > 0 else 0)(1.0)
    with pytest.raises(errors.JAXTypeError, match="__index__"):
        fx.jit(lambda x: [1, 2][x])(1)
    assert jnp.NonConcreteBooleanIndexError is errors.NonConcreteBooleanIndexError
    with pytest.raises(errors.JAXIndexError, match="Array boolean indices must be concrete; got a traced "
                                                   "mask bool"):
        fx.jit(lambda x: x[x > 0])(jnp.arange(3.0))


# ----------------------------------------------------------------------------- dtypes

def test_float0():
    assert dtypes.float0 == np.dtype([("float0", np.void, 0)]) and dtypes.float0.itemsize == 0
    z = np.zeros((2, 3), dtypes.float0)
    assert z.shape == (2, 3) and z.dtype == dtypes.float0 and z.nbytes == 0
    assert np.zeros((), dtypes.float0).dtype == dtypes.float0
    with pytest.raises(ValueError, match="float0"):
        dtypes.itemsize_bits(dtypes.float0)
    with pytest.raises(TypeError):
        dtypes.scalar_type_of(z)


def test_itemsize_bits():
    got = [dtypes.itemsize_bits(d) for d in ("int64", np.int8, float, bool, "bfloat16", np.complex64,
                                              "complex128", dtypes.float16)]
    assert got == [64, 8, 64, 8, 16, 64, 128, 16]
    for bad, error in [(None, ValueError), (object, ValueError), (np.dtype("S3"), ValueError),
                       ("foo", TypeError)]:
        with pytest.raises(error):
            dtypes.itemsize_bits(bad)


def test_scalar_type_of():
    values = [1, 2**70, True, 1.5, 1j, np.float32(1), np.uint8(3), jnp.ones(2, jnp.bfloat16),
              np.zeros(2, np.int16), np.float64, "float32", np.dtype("bool"), jnp.zeros(2, jnp.complex64)]
    assert [dtypes.scalar_type_of(v) for v in values] == [
        int, int, bool, float, complex, float, int, float, int, float, float, bool, complex]
    with pytest.raises(TypeError):
        dtypes.scalar_type_of([1.0])
    with pytest.raises(ValueError):
        dtypes.scalar_type_of(None)


def test_type_promotion_error_and_extended():
    assert dtypes.TypePromotionError.__bases__ == (ValueError,)
    assert issubclass(dtypes.extended, np.generic)
    assert not dtypes.issubdtype(np.float32, dtypes.extended)


# ----------------------------------------------------------------------------- typing

def test_array_like():
    yes = [jnp.ones(2), np.ones(2), np.float32(1), np.bool_(True), True, 1, 1.0, 1j]
    no = [[1], (1,), "a", None]
    assert [isinstance(x, fx_typing.ArrayLike) for x in yes + no] == [True] * len(yes) + [False] * len(no)
    seen = []
    fx.jit(lambda x: seen.append(isinstance(x, fx_typing.ArrayLike)) or x)(1.0)
    assert seen == [True]  # tracers are Arrays


def test_dtype_like():
    assert set(fx_typing.DTypeLike.__args__) >= {str, np.dtype}
    assert isinstance(jnp.float32, fx_typing.SupportsDType)
    assert not isinstance(1.0, fx_typing.SupportsDType)
    with pytest.raises(TypeError):  # type[Any] in the Union: isinstance refuses it, as in JAX
        isinstance(np.dtype("float32"), fx_typing.DTypeLike)
    assert "ArrayLike" in fx_typing.__doc__
