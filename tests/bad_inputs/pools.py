"""Pools of bad and edge argument values, by the kind of parameter they replace.

Every value is Python source (evaluated in `NAMESPACE` when a call runs), so a call can be
rebuilt in a fresh process and printed as a one-line reproducer. Each entry says what fx
must do with it:

  BAD   the value is invalid for this kind of parameter: fx must raise (JAX does).
  EDGE  the value is valid but unusual (empty, 0-d, NaN, negative axis ...): fx may
        raise a clear error or return; when it returns, a NumPy reference (if the target
        has one) must agree.
  LOOSE JAX accepts the value where NumPy refuses it (an axis list, a bool as an int,
        an out-of-bounds index, which JAX clamps): fx may return or raise a clear error;
        there is no NumPy value to compare with.
"""
from __future__ import annotations

BAD, EDGE, LOOSE = "bad", "edge", "loose"

# Wrong Python types: bad for every kind of parameter.
WRONG_TYPES = [
    ("'abc'", BAD), ("object()", BAD), ("{'a': 1}", BAD), ("[1, 'a']", BAD),
    ("(1, None)", BAD), ("lambda: 0", BAD), ("b'xy'", BAD), ("{1, 2}", BAD),
]

ARRAY = WRONG_TYPES + [
    ("None", BAD),
    ("[[1.0, 2.0], [3.0]]", BAD),
    ("np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])", BAD),
    ("np.array([1, None], dtype=object)", BAD),
    ("np.array([1.0, 2.0], dtype=object)", BAD),
    ("np.array(['a', 'b'])", BAD),
    ("[1.0, 2.0, 3.0]", BAD),          # JAX's jnp functions reject lists for array arguments
    ("(1.0, 2.0)", BAD),
    ("[[1.0, 2.0], [3.0, 4.0]]", BAD),
    ("np.datetime64('2020-01-01')", BAD),
    ("1 + 2j", EDGE),                  # complex: fx rejects complex dtypes with a TypeError
    ("np.zeros((0,), np.float32)", EDGE),
    ("np.zeros((3, 0), np.float32)", EDGE),
    ("np.float32(1.5)", EDGE),
    ("np.array(2.0)", EDGE),
    ("3", EDGE), ("-2.5", EDGE), ("True", EDGE),
    ("np.array([np.nan, np.inf, -np.inf], np.float32)", EDGE),
    ("np.array([True, False, True])", EDGE),
    ("np.arange(6, dtype=np.int32).reshape(2, 3)", EDGE),
    ("np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)", EDGE),
    ("np.ones((1,), np.float32)", EDGE),
    ("np.arange(4, dtype=np.uint8)", EDGE),
    ("np.arange(4.0, dtype=np.float16)", EDGE),
    ("jnp.arange(5.0)", EDGE),
    ("2 ** 70", EDGE),
]

AXIS = WRONG_TYPES + [
    ("1.0", BAD), ("'0'", BAD), ("7", BAD), ("-7", BAD), ("2 ** 63", BAD),
    ("(0, 0)", BAD), ("(0, 9)", BAD), ("(0.0,)", BAD),
    ("-1", EDGE), ("np.int64(0)", EDGE), ("(0, 1)", EDGE), ("()", EDGE), ("None", EDGE),
    ("[0]", LOOSE), ("True", LOOSE), ("np.array([0, 1])", LOOSE),
]

INT = WRONG_TYPES + [
    ("1.5", BAD), ("'1'", BAD), ("np.array([1, 2])", BAD), ("[1]", BAD),
    ("0", EDGE), ("-1", EDGE), ("np.int32(2)", EDGE), ("2 ** 63", EDGE), ("-2 ** 40", EDGE),
    ("np.array(2)", EDGE), ("True", LOOSE), ("2.0", LOOSE),
]

SHAPE = WRONG_TYPES + [
    ("(-1,)", BAD), ("(2.5,)", BAD), ("'3'", BAD), ("(2, None)", BAD), ("((1, 2),)", BAD),
    ("-3", BAD), ("2.0", BAD), ("np.array([[2, 3]])", BAD),
    ("()", EDGE), ("0", EDGE), ("(0, 3)", EDGE), ("np.int64(3)", EDGE), ("[3]", EDGE),
    ("np.array([2, 3])", EDGE), ("(2 ** 62, 2 ** 62)", EDGE), ("(1, 1, 1, 1, 1, 1, 1, 1)", EDGE),
]

DTYPE = WRONG_TYPES[:1] + WRONG_TYPES[1:3] + [
    ("'foo'", BAD), ("np.dtype('O')", BAD), ("3", BAD), ("np.complex128", EDGE),
    ("'float32'", EDGE), ("np.int32", EDGE), ("jnp.float32", EDGE), ("bool", EDGE), ("int", EDGE),
    ("float", EDGE), ("np.float16", EDGE), ("np.uint8", EDGE), ("None", EDGE),
]

PERM = WRONG_TYPES + [
    ("(0, 1)", BAD), ("(0, 0, 1)", BAD), ("'0'", BAD), ("(0, 1, 3)", BAD), ("(0.0, 1.0, 2.0)", BAD),
    ("7", BAD), ("np.array([[0, 1, 2]])", BAD), ("(1, 0, -3)", EDGE),
    ("(2, 1, 0)", EDGE), ("(-1, 0, 1)", EDGE), ("[1, 2, 0]", EDGE), ("np.array([2, 0, 1])", EDGE),
]

MODE = WRONG_TYPES + [
    ("np.array([1, 2])", BAD), ("'foo'", BAD), ("1", BAD), ("None", EDGE), ("''", BAD),
]

FLOAT = WRONG_TYPES + [
    ("None", BAD), ("np.array([1.0, 2.0])", EDGE), ("np.nan", EDGE), ("np.inf", EDGE), ("-1.0", EDGE),
    ("0", EDGE), ("True", EDGE),
    ("1e300", LOOSE),  # overflows float32: JAX's and NumPy's (float64) answers differ
]

# Flags: JAX takes any value's truth, as Python does.
BOOL = [(code, LOOSE) for code, _ in WRONG_TYPES[:3]] + [("0", EDGE), ("1", EDGE), ("np.bool_(True)", LOOSE),
                                                         ("None", LOOSE)]

KEY = WRONG_TYPES + [
    ("None", BAD), ("0", BAD), ("np.zeros(3, np.uint32)", BAD), ("np.zeros(2, np.float32)", BAD),
    ("np.zeros((2, 3), np.uint32)", EDGE), ("np.array([0, 1], np.uint32)", EDGE),
    ("jnp.zeros(2, jnp.uint32)", EDGE),
]

INDEX = WRONG_TYPES[:3] + [
    ("1.5", BAD), ("[1.5]", BAD), ("np.array([True] * 7)", BAD), ("np.array([True] * 2)", BAD),
    ("np.array([[True] * 4] * 2)", BAD), ("(Ellipsis, Ellipsis)", BAD), ("(0, 0, 0)", BAD),
    ("7", LOOSE), ("-8", LOOSE), ("np.array([1.0, 2.0])", BAD), ("slice(0, 2.5)", BAD),
    ("np.ma.masked_array([0, 1], mask=[0, 1])", BAD),
    ("-1", EDGE), ("None", EDGE), ("Ellipsis", EDGE), ("np.array([0, 2, -1])", EDGE),
    ("slice(None, None, -1)", EDGE), ("slice(1, 10)", EDGE), ("np.array([True, False, True])", EDGE),
    ("(np.array([0, 1]), np.array([1, 2]))", EDGE), ("np.array([], np.int32)", EDGE),
    ("(slice(None), None, 0)", EDGE), ("jnp.array([2, 0])", EDGE), ("np.int64(1)", EDGE),
    ("[0, 1]", EDGE), ("np.array([[0, 1], [1, 2]])", EDGE), ("(0, 1)", EDGE),
]

SEQ = WRONG_TYPES[:3] + [
    ("None", BAD), ("[X, None]", BAD), ("[X, 'a']", BAD), ("[X, np.ones((5,), np.float32)]", BAD),
    ("[X, np.ma.masked_array(X, mask=X > 0.5)]", BAD), ("[X, [[1.0]]]", BAD),
    ("[]", EDGE), ("(X,)", EDGE), ("X", EDGE), ("[X, X.astype(np.int32)]", EDGE),
    ("[X, np.zeros((0, 4), np.float32)]", EDGE), ("[X[0], X[1], X[2]]", EDGE), ("[3.0, X]", EDGE),
]

POOLS = {"seq": SEQ, "array": ARRAY, "axis": AXIS, "int": INT, "shape": SHAPE, "dtype": DTYPE, "perm": PERM,
         "mode": MODE, "float": FLOAT, "bool": BOOL, "key": KEY, "index": INDEX}


def namespace():
    """The names pool values and reproducers are written with."""
    import numpy as np

    import fx
    import fx.lax as lax
    import fx.nn as nn
    import fx.numpy as jnp
    import fx.random as random
    return {"np": np, "fx": fx, "jnp": jnp, "lax": lax, "nn": nn, "random": random}
