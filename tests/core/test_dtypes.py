"""fx.config and fx.dtypes against JAX's semantics (tables generated once from jax 0.10.2)."""

import numpy as np
import pytest

from fx import dtypes
from fx.config import Config, config

# Row/column operands: dtypes, plus the Python types int/float/complex standing for weak values.
OPERANDS = {
    "bool": np.dtype(bool), "i8": np.dtype("int8"), "i16": np.dtype("int16"),
    "i32": np.dtype("int32"), "i64": np.dtype("int64"), "u8": np.dtype("uint8"),
    "u16": np.dtype("uint16"), "u32": np.dtype("uint32"), "u64": np.dtype("uint64"),
    "bf16": dtypes.bfloat16, "f16": np.dtype("float16"), "f32": np.dtype("float32"),
    "f64": np.dtype("float64"), "c64": np.dtype("complex64"), "c128": np.dtype("complex128"),
    "i*": int, "f*": float, "c*": complex,
}
# jax.dtypes.result_type(row, col, return_weak_type_flag=True); a trailing * marks weak.
X32_TABLE = {
    "bool": "bool  i8    i16   i32   i32   u8    u16   u32   u32   bf16  f16   f32   f32   c64   c64   i32*  f32*  c64*",
    "i8":   "i8    i8    i16   i32   i32   i16   i32   i32   i32   bf16  f16   f32   f32   c64   c64   i8    f32*  c64*",
    "i16":  "i16   i16   i16   i32   i32   i16   i32   i32   i32   bf16  f16   f32   f32   c64   c64   i16   f32*  c64*",
    "i32":  "i32   i32   i32   i32   i32   i32   i32   i32   i32   bf16  f16   f32   f32   c64   c64   i32   f32*  c64*",
    "i64":  "i32   i32   i32   i32   i32   i32   i32   i32   i32   bf16  f16   f32   f32   c64   c64   i32   f32*  c64*",
    "u8":   "u8    i16   i16   i32   i32   u8    u16   u32   u32   bf16  f16   f32   f32   c64   c64   u8    f32*  c64*",
    "u16":  "u16   i32   i32   i32   i32   u16   u16   u32   u32   bf16  f16   f32   f32   c64   c64   u16   f32*  c64*",
    "u32":  "u32   i32   i32   i32   i32   u32   u32   u32   u32   bf16  f16   f32   f32   c64   c64   u32   f32*  c64*",
    "u64":  "u32   i32   i32   i32   i32   u32   u32   u32   u32   bf16  f16   f32   f32   c64   c64   u32   f32*  c64*",
    "bf16": "bf16  bf16  bf16  bf16  bf16  bf16  bf16  bf16  bf16  bf16  f32   f32   f32   c64   c64   bf16  bf16  c64",
    "f16":  "f16   f16   f16   f16   f16   f16   f16   f16   f16   f32   f16   f32   f32   c64   c64   f16   f16   c64",
    "f32":  "f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   c64   c64   f32   f32   c64",
    "f64":  "f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   c64   c64   f32   f32   c64",
    "c64":  "c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64",
    "c128": "c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64",
    "i*":   "i32*  i8    i16   i32   i32   u8    u16   u32   u32   bf16  f16   f32   f32   c64   c64   i32*  f32*  c64*",
    "f*":   "f32*  f32*  f32*  f32*  f32*  f32*  f32*  f32*  f32*  bf16  f16   f32   f32   c64   c64   f32*  f32*  c64*",
    "c*":   "c64*  c64*  c64*  c64*  c64*  c64*  c64*  c64*  c64*  c64   c64   c64   c64   c64   c64   c64*  c64*  c64*",
}
X64_TABLE = {
    "bool": "bool  i8    i16   i32   i64   u8    u16   u32   u64   bf16  f16   f32   f64   c64   c128  i64*  f64*  c128*",
    "i8":   "i8    i8    i16   i32   i64   i16   i32   i64   f64*  bf16  f16   f32   f64   c64   c128  i8    f64*  c128*",
    "i16":  "i16   i16   i16   i32   i64   i16   i32   i64   f64*  bf16  f16   f32   f64   c64   c128  i16   f64*  c128*",
    "i32":  "i32   i32   i32   i32   i64   i32   i32   i64   f64*  bf16  f16   f32   f64   c64   c128  i32   f64*  c128*",
    "i64":  "i64   i64   i64   i64   i64   i64   i64   i64   f64*  bf16  f16   f32   f64   c64   c128  i64   f64*  c128*",
    "u8":   "u8    i16   i16   i32   i64   u8    u16   u32   u64   bf16  f16   f32   f64   c64   c128  u8    f64*  c128*",
    "u16":  "u16   i32   i32   i32   i64   u16   u16   u32   u64   bf16  f16   f32   f64   c64   c128  u16   f64*  c128*",
    "u32":  "u32   i64   i64   i64   i64   u32   u32   u32   u64   bf16  f16   f32   f64   c64   c128  u32   f64*  c128*",
    "u64":  "u64   f64*  f64*  f64*  f64*  u64   u64   u64   u64   bf16  f16   f32   f64   c64   c128  u64   f64*  c128*",
    "bf16": "bf16  bf16  bf16  bf16  bf16  bf16  bf16  bf16  bf16  bf16  f32   f32   f64   c64   c128  bf16  bf16  c64",
    "f16":  "f16   f16   f16   f16   f16   f16   f16   f16   f16   f32   f16   f32   f64   c64   c128  f16   f16   c64",
    "f32":  "f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   f32   f64   c64   c128  f32   f32   c64",
    "f64":  "f64   f64   f64   f64   f64   f64   f64   f64   f64   f64   f64   f64   f64   c128  c128  f64   f64   c128",
    "c64":  "c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c64   c128  c64   c128  c64   c64   c64",
    "c128": "c128  c128  c128  c128  c128  c128  c128  c128  c128  c128  c128  c128  c128  c128  c128  c128  c128  c128",
    "i*":   "i64*  i8    i16   i32   i64   u8    u16   u32   u64   bf16  f16   f32   f64   c64   c128  i64*  f64*  c128*",
    "f*":   "f64*  f64*  f64*  f64*  f64*  f64*  f64*  f64*  f64*  bf16  f16   f32   f64   c64   c128  f64*  f64*  c128*",
    "c*":   "c128* c128* c128* c128* c128* c128* c128* c128* c128* c64   c64   c64   c128  c64   c128  c128* c128* c128*",
}


@pytest.fixture(autouse=True)
def _x64_off():
    """Start every test from the default (x64 off), whatever the environment says."""
    with config.override("enable_x64", False):
        yield


def _cases(table):
    for row, entries in table.items():
        for col, entry in zip(OPERANDS, entries.split()):
            yield row, col, entry


@pytest.mark.parametrize("x64, table", [(False, X32_TABLE), (True, X64_TABLE)], ids=["x32", "x64"])
def test_promotion_table_matches_jax(x64, table):
    """Every pair over the supported dtypes and weak types promotes exactly as in JAX."""
    with config.override("enable_x64", x64):
        for row, col, entry in _cases(table):
            a, b = OPERANDS[row], OPERANDS[col]
            dtype, weak = dtypes.result_type(a, b, return_weak_type_flag=True)
            got = dtypes.short_name(dtype) + ("*" if weak else "")
            assert got == entry, f"result_type({row}, {col})"
            assert dtypes.promote_types(a, b) == dtype, f"promote_types({row}, {col})"


@pytest.mark.parametrize("x64", [False, True])
def test_result_type_of_values(x64):
    """Values (arrays, NumPy and Python scalars) promote like their dtypes and weak types."""
    f, i = (np.float64, np.int64) if x64 else (np.float32, np.int32)
    f32 = np.ones(3, np.float32)
    i32 = np.ones(3, np.int32)
    u32 = np.ones(3, np.uint32)
    cases = [
        ((f32, 2.0), np.float32, False),
        ((i32, 2.5), f, True),
        ((2, 2.5), f, True),
        ((np.array(True), 1), i, True),
        ((True, 1), i, True),
        ((True, True), np.bool_, False),
        ((u32, i32), np.int64 if x64 else np.int32, False),
        ((f32, np.ones(3, np.float64)), f, False),
        ((np.float32(1), 2), np.float32, False),  # NumPy scalars are strong
        ((3,), i, True),
        ((u32, 7, 1.5), f, True),
    ]
    with config.override("enable_x64", x64):
        for args, dtype, weak in cases:
            assert dtypes.result_type(*args, return_weak_type_flag=True) == (np.dtype(dtype), weak), args
            assert dtypes.result_type(*args) == np.dtype(dtype)


class _Val:
    """Stand-in for an fx array or tracer: a dtype and a weak_type flag."""

    def __init__(self, dtype, weak_type):
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type


def test_result_type_respects_weak_type_attribute():
    """A weak-typed array yields to strong operands; all-weak inputs keep their width."""
    with config.override("enable_x64", True):
        weak_f32 = _Val(np.float32, True)
        assert dtypes.result_type(weak_f32, np.dtype("int32"), return_weak_type_flag=True) == (dtypes.float64, True)
        assert dtypes.result_type(weak_f32, np.dtype("float32"), return_weak_type_flag=True) == (dtypes.float32, False)
        assert dtypes.result_type(weak_f32, _Val(np.int32, True), return_weak_type_flag=True) == (dtypes.float32, True)
        assert dtypes.result_type(_Val(bool, True), return_weak_type_flag=True) == (dtypes.bool_, False)


def test_result_type_needs_an_argument():
    """An empty promotion has no answer; JAX raises ValueError too."""
    with pytest.raises(ValueError):
        dtypes.result_type()


CANONICAL = [
    # (dtype-like, without x64, with x64)
    (np.bool_, "bool", "bool"), (bool, "bool", "bool"),
    (int, "int32", "int64"), (float, "float32", "float64"), (None, "float32", "float64"),
    ("int8", "int8", "int8"), (np.int16, "int16", "int16"), ("i4", "int32", "int32"),
    (np.int64, "int32", "int64"), ("int", "int32", "int64"),
    (np.uint8, "uint8", "uint8"), ("uint16", "uint16", "uint16"), (np.uint32, "uint32", "uint32"),
    (np.uint64, "uint32", "uint64"), ("bfloat16", "bfloat16", "bfloat16"),
    (np.float16, "float16", "float16"), ("float32", "float32", "float32"),
    (np.dtype(">f8"), "float32", "float64"), ("float", "float32", "float64"),
    (np.complex64, "complex64", "complex64"), ("complex128", "complex64", "complex128"),
    (complex, "complex64", "complex128"),
]


@pytest.mark.parametrize("x64", [False, True])
def test_canonicalize_dtype(x64):
    """Narrowing of 64-bit types without x64 (documented in fx.dtypes)."""
    with config.override("enable_x64", x64):
        for dtype, narrow, wide in CANONICAL:
            got = dtypes.canonicalize_dtype(dtype)
            assert got == np.dtype(wide if x64 else narrow), dtype
            assert got.isnative
        assert dtypes.default_float_dtype() == (dtypes.float64 if x64 else dtypes.float32)
        assert dtypes.default_int_dtype() == (dtypes.int64 if x64 else dtypes.int32)


@pytest.mark.parametrize("bad, message", [
    (object, "object"), ("float8_e4m3fn", "float8"), ("U3", "<U3"), ("float128", "float128"), ("not-a-dtype", "not-a-dtype"),
])
def test_canonicalize_rejects_unsupported(bad, message):
    """Unsupported dtypes raise TypeError naming the dtype instead of computing garbage."""
    with pytest.raises(TypeError, match=message):
        dtypes.canonicalize_dtype(bad)


def test_dtype_of():
    """Python scalars get default dtypes; anything with .dtype gets its canonical dtype."""
    assert dtypes.dtype_of(True) is dtypes.bool_
    assert dtypes.dtype_of(1) is dtypes.int32
    assert dtypes.dtype_of(1.0) is dtypes.float32
    assert dtypes.dtype_of(np.float64(1)) is dtypes.float32
    assert dtypes.dtype_of(np.zeros(2, np.uint8)) is dtypes.uint8
    assert dtypes.dtype_of(np.zeros(2, np.uint64)) is dtypes.uint32
    assert dtypes.dtype_of(_Val(np.int64, False)) is dtypes.int32
    assert dtypes.dtype_of(np.float32) is dtypes.float32
    with config.override("enable_x64", True):
        assert dtypes.dtype_of(1) is dtypes.int64
        assert dtypes.dtype_of(np.arange(3, dtype=np.int64)) is dtypes.int64
    assert dtypes.dtype_of(1j) is dtypes.complex64
    assert dtypes.dtype_of(np.zeros(2, np.complex128)) is dtypes.complex64
    with pytest.raises(TypeError, match="list"):
        dtypes.dtype_of([1, 2])


def test_python_int_overflow():
    """Python ints that do not fit the default int raise OverflowError, as in JAX."""
    assert dtypes.dtype_of(2**31 - 1) is dtypes.int32
    assert dtypes.dtype_of(-(2**31)) is dtypes.int32
    with pytest.raises(OverflowError, match="2147483648 too large to convert to int32.*x64"):
        dtypes.dtype_of(2**31)
    with pytest.raises(OverflowError):
        dtypes.dtype_of(-(2**31) - 1)
    with config.override("enable_x64", True):
        assert dtypes.dtype_of(2**40) is dtypes.int64
        with pytest.raises(OverflowError, match="int64"):
            dtypes.dtype_of(2**63)
    # Promotion only needs the type: a big int meeting a float array is the operation's business.
    assert dtypes.result_type(np.ones(2, np.float32), 2**40) is dtypes.float32


def test_is_weakly_typed():
    """Python int/float and weak_type-flagged values are weak; bools and NumPy scalars are not."""
    assert dtypes.is_weakly_typed(1)
    assert dtypes.is_weakly_typed(1.5)
    assert not dtypes.is_weakly_typed(True)
    assert not dtypes.is_weakly_typed(np.float32(1))
    assert not dtypes.is_weakly_typed(np.float64(1))
    assert not dtypes.is_weakly_typed(np.ones(2))
    assert dtypes.is_weakly_typed(_Val(np.float32, True))
    assert not dtypes.is_weakly_typed(_Val(np.float32, False))


def test_predicates_and_info():
    """Kind predicates do not canonicalise; info and casting see fx's canonical dtypes."""
    assert dtypes.is_floating(dtypes.float32) and dtypes.is_floating(float)
    assert not dtypes.is_floating(dtypes.int32)
    assert dtypes.is_integer(dtypes.uint32) and dtypes.is_integer("int64")
    assert not dtypes.is_integer(dtypes.bool_) and not dtypes.is_integer(dtypes.float64)
    assert dtypes.is_bool(bool) and not dtypes.is_bool(dtypes.int32)
    assert dtypes.issubdtype(np.uint64, np.unsignedinteger)
    assert dtypes.is_floating(dtypes.bfloat16) and dtypes.kind("bfloat16") == "f"
    assert dtypes.issubdtype(dtypes.bfloat16, np.floating)
    assert not dtypes.issubdtype(dtypes.bfloat16, np.integer)
    assert dtypes.is_16bit_float(np.float16) and not dtypes.is_16bit_float(np.float32)
    assert dtypes.finfo(dtypes.bfloat16).eps == 2.0 ** -7 and dtypes.finfo(np.float16).bits == 16
    assert dtypes.iinfo(np.int8).min == -128 and dtypes.iinfo(np.uint16).max == 65535
    assert dtypes.finfo(float).bits == 32  # canonicalised: float means float32 without x64
    assert dtypes.iinfo(np.int64).max == 2**31 - 1
    # can_cast compares canonical dtypes: without x64, float64 means float32.
    assert not dtypes.can_cast(dtypes.int32, dtypes.float64)
    assert dtypes.can_cast(dtypes.float64, dtypes.float32)
    with config.override("enable_x64", True):
        assert dtypes.finfo(float).bits == 64
        assert dtypes.can_cast(dtypes.int32, dtypes.float64)
        assert not dtypes.can_cast(dtypes.float64, dtypes.float32)


def test_short_name():
    """The jaxpr printer's spellings, as in JAX's jaxprs."""
    names = {dtypes.bool_: "bool", dtypes.int8: "i8", dtypes.int32: "i32", dtypes.int64: "i64",
             dtypes.uint8: "u8", dtypes.uint32: "u32", dtypes.uint64: "u64",
             dtypes.bfloat16: "bf16", dtypes.float16: "f16", dtypes.float32: "f32",
             dtypes.float64: "f64"}
    for dtype, name in names.items():
        assert dtypes.short_name(dtype) == name


def test_config_update_both_spellings():
    """JAX's option names work unchanged, and reads see the value under both names."""
    assert config.enable_x64 is False
    try:
        config.update("jax_enable_x64", True)
        assert config.enable_x64 is True and config.jax_enable_x64 is True
        assert dtypes.canonicalize_dtype(float) is dtypes.float64
        config.update("enable_x64", False)
        assert config.enable_x64 is False and config.jax_enable_x64 is False
        assert dtypes.canonicalize_dtype(float) is dtypes.float32
    finally:
        config.update("enable_x64", False)


def test_config_override_restores_on_exit_and_error():
    """Overrides nest and always restore, so a failing test cannot leak x64 into the next."""
    with config.override("jax_enable_x64", True):
        assert config.enable_x64
        with config.override("enable_x64", False):
            assert not config.enable_x64
        assert config.enable_x64
    assert not config.enable_x64
    with pytest.raises(RuntimeError):
        with config.override("enable_x64", True):
            raise RuntimeError
    assert not config.enable_x64


def test_config_rejects_unknown_names_and_non_bools():
    """A typo or an unported JAX option fails loudly and lists what fx knows."""
    with pytest.raises(AttributeError, match="'jax_enable_x65'.*enable_x64"):
        config.update("jax_enable_x65", True)
    with pytest.raises(AttributeError, match="'no_such_option'.*enable_x64"):
        config.no_such_option
    with pytest.raises(TypeError, match="bool"):
        config.update("enable_x64", "true")
    assert config.enable_x64 is False


@pytest.mark.parametrize("env, expected", [
    ({}, False),
    ({"JAX_ENABLE_X64": "1"}, True),
    ({"FX_ENABLE_X64": "true"}, True),
    ({"FX_ENABLE_X64": "0", "JAX_ENABLE_X64": "1"}, False),  # fx's own variable wins
])
def test_config_initial_value_from_environment(monkeypatch, env, expected):
    """FX_ENABLE_X64 or JAX's JAX_ENABLE_X64 sets the initial value."""
    monkeypatch.delenv("FX_ENABLE_X64", raising=False)
    monkeypatch.delenv("JAX_ENABLE_X64", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Config().enable_x64 is expected


def test_config_bad_environment_value(monkeypatch):
    """A malformed variable is an error naming it, not a silent False."""
    monkeypatch.setenv("FX_ENABLE_X64", "maybe")
    with pytest.raises(ValueError, match="FX_ENABLE_X64"):
        Config()


# --- Integers to floating types -------------------------------------------------------
# jax 0.10.2 (checked with and without x64): a function that needs a floating type gives
# float32 for bools and integers up to 32 bits and float64 only for 64-bit integers, while
# promotion with a float operand follows the lattice above (i32 + 1.5 is the default float).

INEXACT_FUNCTIONS = {
    "sqrt": lambda jnp, x: jnp.sqrt(x), "exp": lambda jnp, x: jnp.exp(x),
    "mean": lambda jnp, x: jnp.mean(x), "var": lambda jnp, x: jnp.var(x),
    "std": lambda jnp, x: jnp.std(x), "nanmean": lambda jnp, x: jnp.nanmean(x),
    "average": lambda jnp, x: jnp.average(x), "median": lambda jnp, x: jnp.median(x),
    "quantile": lambda jnp, x: jnp.quantile(x, 0.5), "norm": lambda jnp, x: jnp.linalg.norm(x),
    "true_divide": lambda jnp, x: jnp.true_divide(x, x),
    "arctan2": lambda jnp, x: jnp.arctan2(x, x), "hypot": lambda jnp, x: jnp.hypot(x, x),
}


@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("source", ["bool", "int8", "int32", "uint32", "int64"])
def test_integers_convert_to_float32_unless_64_bit(x64, source):
    import fx.numpy as jnp
    with config.override("enable_x64", x64):
        x = jnp.asarray(np.array([1, 0, 1], source))
        expected = np.float64 if x64 and source == "int64" else np.float32
        assert dtypes.to_inexact_dtype(x.dtype) == expected
        for name, f in INEXACT_FUNCTIONS.items():
            assert f(jnp, x).dtype == expected, f"{name}({source})"
        default = np.float64 if x64 else np.float32
        # bool / 2 promotes to a weak int first (the default int), then converts
        assert (x / 2).dtype == (default if source == "bool" else expected)
        assert (x + 1.5).dtype == default and (x + 1.5).weak_type  # the lattice: weak float
        assert jnp.sqrt(3).dtype == default and jnp.sqrt(3).weak_type  # Python ints: default int
        assert jnp.quantile(jnp.asarray(np.ones(3, np.float32)), np.float64(0.5)).dtype == np.float32
