"""fx's dtypes and JAX's type promotion rules.

fx's dtypes are JAX's: bool; int8, int16, int32, int64; uint8, uint16, uint32, uint64;
bfloat16 (from the ml_dtypes package, as in JAX), float16, float32, float64; complex64,
complex128. Every dtype that enters fx is canonicalised to one of them:

* with ``enable_x64`` off (the default), 64-bit types narrow to their 32-bit kin:
  int64 -> int32, uint64 -> uint32, float64 -> float32, complex128 -> complex64 (as in JAX);
* object, string, float128 and the 8-bit floats raise TypeError.

Promotion follows JAX's lattice (https://jax.readthedocs.io/en/latest/type_promotion.html)
exactly, with the weak types ``i*``, ``f*`` and ``c*`` of Python scalars; see ``_LATTICE``.

bfloat16 is not a NumPy kind ('V' to NumPy), so ask ``is_floating`` or ``kind`` rather
than ``dtype.kind``, and ``finfo`` rather than ``np.finfo``.
"""

import ml_dtypes
import numpy as np

from fx.config import config
from fx.argcheck import describe

bool_ = np.dtype(np.bool_)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
uint16 = np.dtype(np.uint16)
uint32 = np.dtype(np.uint32)
uint64 = np.dtype(np.uint64)
bfloat16 = np.dtype(ml_dtypes.bfloat16)
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)

# The dtype of the tangents of integer and boolean values: zero bytes per element, so such
# tangents carry no data. fx supports no operation on it (as JAX), only its arrays.
float0 = np.dtype([("float0", np.void, 0)])


class extended(np.generic):
    """Abstract scalar class of JAX's extended dtypes (typed PRNG keys): exists so that
    ``issubdtype(dtype, extended)`` can be asked; it is never instantiated."""


class prng_key(extended):
    """Abstract scalar class of typed PRNG keys' dtypes: ``issubdtype(key.dtype, prng_key)``."""


class KeyDType:
    """The dtype of typed PRNG keys (fx.random.key), JAX's ``key<fry>``: an element is one
    threefry2x32 key, stored as two uint32 words. Not a NumPy dtype; it answers to
    ``issubdtype`` (a ``prng_key``, an ``extended``) and compares equal to itself."""
    name = "key<fry>"
    type = prng_key
    itemsize = 8
    impl = "threefry2x32"

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, KeyDType)

    def __hash__(self):
        return hash(self.name)


key_fry = KeyDType()


class TypePromotionError(ValueError):
    """Two dtypes have no implicit promotion. JAX raises it for 8-bit floats and in strict
    promotion mode; fx supports neither yet, so nothing raises it today."""


_SUPPORTED = ("bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bfloat16, "
              "float16, float32, float64, complex64, complex128")

# (kind, itemsize) -> canonical dtype: the same with and without x64 ...
_ALWAYS = {
    ("b", 1): bool_,
    ("i", 1): int8, ("i", 2): int16, ("i", 4): int32,
    ("u", 1): uint8, ("u", 2): uint16, ("u", 4): uint32,
    ("f", 2): float16, ("f", 4): float32,
    ("c", 8): complex64,
}
# ... and the full map, indexed by the x64 flag (False=0, True=1).
_BY_KIND = (
    {**_ALWAYS, ("i", 8): int32, ("u", 8): uint32, ("f", 8): float32, ("c", 16): complex64},
    {**_ALWAYS, ("i", 8): int64, ("u", 8): uint64, ("f", 8): float64, ("c", 16): complex128},
)

# dtype-like -> canonical dtype, one cache per x64 flag.
_CANONICAL = ({}, {})


def default_float_dtype():
    return float64 if config.enable_x64 else float32


def default_int_dtype():
    return int64 if config.enable_x64 else int32


def default_uint_dtype():
    return uint64 if config.enable_x64 else uint32


def to_inexact_dtype(dtype):
    """The floating type that a function needing one (sqrt, mean, true division) gives an
    integer or bool input: float64 for 64-bit integers and float32 for narrower ones, with
    or without x64 (JAX's rule); floating and complex types stay as they are."""
    dtype = np.dtype(dtype)
    if is_inexact(dtype):
        return dtype
    return float64 if dtype.itemsize == 8 else float32


def _canonical_dtype(dtype, x64):
    """The canonical form of a dtype-like (canonicalize_dtype caches it)."""
    if dtype is None or dtype is float:  # None means the default float, as in NumPy and JAX
        return float64 if x64 else float32
    if dtype is int:
        return int64 if x64 else int32
    if dtype is complex:
        return complex128 if x64 else complex64
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"{dtype!r} is not a dtype; fx supports {_SUPPORTED}") from e
    if dt == bfloat16:
        return bfloat16
    canonical = _BY_KIND[x64].get((dt.kind, dt.itemsize))
    if canonical is None:
        raise TypeError(f"fx does not support dtype {dt}; fx supports {_SUPPORTED}")
    return canonical


def canonicalize_dtype(dtype):
    """The fx dtype that values of ``dtype`` get under the current x64 setting (see module doc)."""
    x64 = config.enable_x64
    try:
        return _CANONICAL[x64][dtype]
    except (KeyError, TypeError):  # TypeError: unhashable dtype-like
        pass
    canonical = _canonical_dtype(dtype, x64)
    try:
        _CANONICAL[x64][dtype] = canonical
    except TypeError:
        pass
    return canonical


def itemsize_bits(dtype):
    """Bits per element (JAX's name for it, since its sub-byte types make itemsize * 8
    wrong; fx has none). Not canonicalised: float64 is 64 bits with or without x64."""
    if dtype is None:
        raise ValueError("itemsize_bits: dtype cannot be None")
    if kind(dtype) not in "biufc":
        raise ValueError(f"itemsize_bits: expected a bool or numeric dtype, got {np.dtype(dtype)}")
    return np.dtype(dtype).itemsize * 8


_SCALAR_TYPES = {"b": bool, "i": int, "u": int, "f": float, "c": complex}


def scalar_type_of(x):
    """The Python scalar type (bool, int, float or complex) of the kind of x's dtype: the
    type a weakly typed value of that kind has. Python scalars give their own type, with
    no range check."""
    if type(x) in (bool, int, float, complex):
        return type(x)
    if x is None:  # dtype_of reads None as the default float dtype; None is not a value
        raise ValueError("scalar_type_of: expected a value or a dtype, got None")
    return _SCALAR_TYPES[kind(dtype_of(x))]


def is_weakly_typed(x):
    """True for Python int/float/complex scalars and values whose ``weak_type`` is set.

    Python bools are not weak, as in JAX: bool is the bottom of the lattice, so a weak
    bool would promote exactly like a strong one.
    """
    t = type(x)
    return t is int or t is float or t is complex or bool(getattr(x, "weak_type", False))


_INT_RANGE = {dt: (int(np.iinfo(dt).min), int(np.iinfo(dt).max)) for dt in (int32, int64)}


def _check_int_range(x, dt):
    lo, hi = _INT_RANGE[dt]
    if not lo <= x <= hi:
        hint = "" if config.enable_x64 else "; enable x64 (config.update('enable_x64', True)) for int64"
        raise OverflowError(
            f"Python int {x} too large to convert to {dt} (range [{lo}, {hi}]){hint}")


def dtype_of(x):
    """Canonical dtype of a Python scalar, a NumPy array or scalar, anything with a
    ``.dtype``, or a dtype-like itself. Python ints outside the default int's range raise
    OverflowError, as JAX does when it converts them."""
    t = type(x)
    if t is bool:
        return bool_
    if t is int:
        dt = default_int_dtype()
        _check_int_range(x, dt)
        return dt
    if t is float:
        return default_float_dtype()
    if t is complex:
        return complex128 if config.enable_x64 else complex64
    dt = getattr(x, "dtype", None)
    if isinstance(dt, np.dtype):
        return canonicalize_dtype(dt)
    if x is None or isinstance(x, (np.dtype, type, str)):
        return canonicalize_dtype(x)
    raise TypeError(f"cannot determine the fx dtype of {t.__name__} {x!r}; expected a Python "
                    "scalar, a NumPy array or scalar, an array with a .dtype, or a dtype")


# --- The promotion lattice ----------------------------------------------------------

class _WeakType:
    """A weak-type node of the lattice: the type of a Python scalar before it meets an array."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


_I_WEAK = _WeakType("i*")
_F_WEAK = _WeakType("f*")
_C_WEAK = _WeakType("c*")

# Each node -> the nodes immediately above it, as drawn in JAX's type-promotion doc.
# Canonicalisation happens first, so without x64 u32 + i32 meets at i64 and narrows back
# to i32, and u64 + i64 meets at f* (a weak float), exactly the results JAX gives.
_LATTICE = {
    bool_: [_I_WEAK],
    _I_WEAK: [uint8, int8],
    uint8: [int16, uint16],
    uint16: [int32, uint32],
    uint32: [int64, uint64],
    uint64: [_F_WEAK],
    int8: [int16],
    int16: [int32],
    int32: [int64],
    int64: [_F_WEAK],
    _F_WEAK: [_C_WEAK, bfloat16, float16],
    bfloat16: [float32],
    float16: [float32],
    float32: [float64, complex64],
    float64: [complex128],
    _C_WEAK: [complex64],
    complex64: [complex128],
    complex128: [],
}


def _upper_bounds(lattice):
    """Node -> every node at or above it (reflexive, transitive closure)."""
    closure = {}

    def above(node):
        if node not in closure:
            closure[node] = {node}.union(*(above(parent) for parent in lattice[node]))
        return closure[node]

    for node in lattice:
        above(node)
    return closure


def _join_table(lattice):
    """(a, b) -> least upper bound of a and b, for every pair of nodes."""
    ub = _upper_bounds(lattice)
    table = {}
    for a in lattice:
        for b in lattice:
            common = ub[a] & ub[b]
            least = [c for c in common if common <= ub[c]]
            if len(least) != 1:
                raise AssertionError(f"type lattice has no unique join for {a} and {b}: {least}")
            table[a, b] = least[0]
    return table


_JOIN = _join_table(_LATTICE)
_WEAK_DEFAULT = {_I_WEAK: int, _F_WEAK: float, _C_WEAK: complex}


def _node_dtype(node):
    """The canonical dtype of a lattice node (a weak node: the default type of its kind)."""
    return canonicalize_dtype(_WEAK_DEFAULT.get(node, node))


def _promotion_node(dtype):
    """Lattice node for a dtype-like: Python ``int``/``float``/``complex`` (the types) are
    weak, as in JAX."""
    if isinstance(dtype, type) and dtype in (int, float, complex):
        return {int: _I_WEAK, float: _F_WEAK, complex: _C_WEAK}[dtype]
    return canonicalize_dtype(dtype)


def promote_types(a, b):
    """The canonical dtype that a binary operation on dtypes ``a`` and ``b`` computes in.

    Pass the Python types ``int``/``float``/``complex`` for weak operands. Unlike
    ``jnp.promote_types``, the result is canonicalised (f32 with f64 gives f32 without
    x64): fx never holds non-canonical values.
    """
    return _node_dtype(_JOIN[_promotion_node(a), _promotion_node(b)])


def _dtype_and_weak(x):
    # Python int/float/complex values are weak; so are the types themselves, as in JAX.
    t = type(x)
    if t is int or x is int:
        return default_int_dtype(), True
    if t is float or x is float:
        return default_float_dtype(), True
    if t is complex or x is complex:
        return _node_dtype(_C_WEAK), True
    dt = getattr(x, "dtype", None)
    if isinstance(dt, np.dtype):  # arrays, tracers, avals: the hot case
        return canonicalize_dtype(dt), bool(getattr(x, "weak_type", False))  # the hot case: cached
    if t is bool:
        return bool_, False
    return canonicalize_dtype(x), False


def _weak_node(dtype):
    return _C_WEAK if dtype.kind == "c" else _I_WEAK if dtype.kind in "iu" else _F_WEAK


def result_type(*args, return_weak_type_flag=False):
    """Canonical dtype of an operation on ``args`` (values, dtypes, or objects with
    ``.dtype`` and ``.weak_type``), as ``jax.dtypes.result_type``.

    The result is weak when every input is weak, or when the join lands on a weak node
    (an int32 array times 2.5 is a weak float); bool results are never weak.
    """
    if not args:
        raise ValueError("at least one array or dtype is required")
    strong_join = weak_join = None  # join of the plain dtypes; join with weak inputs as i*/f*/c*
    all_weak = True
    for x in args:
        dt, weak = _dtype_and_weak(x)
        node = _weak_node(dt) if weak and dt is not bool_ else dt
        all_weak = all_weak and weak
        if strong_join is None:
            strong_join, weak_join = dt, node
        else:
            strong_join, weak_join = _JOIN[strong_join, dt], _JOIN[weak_join, node]
    if all_weak:
        # Join the strong counterparts (as JAX does), so a weak value's width is respected.
        dtype, weak = _node_dtype(strong_join), True
    else:
        dtype, weak = _node_dtype(weak_join), isinstance(weak_join, _WeakType)
    weak = weak and dtype is not bool_
    return (dtype, weak) if return_weak_type_flag else dtype


# --- Predicates and info --------------------------------------------------------------

def issubdtype(a, b):
    """``np.issubdtype``, with bfloat16 a floating type and typed keys' dtype a ``prng_key``
    (no canonicalisation, so uint64 stays unsigned)."""
    if isinstance(a, KeyDType) or isinstance(b, KeyDType):
        return a == b if isinstance(b, KeyDType) else isinstance(b, type) and issubclass(prng_key, b)
    try:
        if np.dtype(a) == bfloat16 and b in (np.floating, np.inexact, np.number, np.generic):
            return True
        return np.issubdtype(a, b)
    except TypeError:
        raise TypeError(f"issubdtype expects two dtypes or dtype classes, got {describe(a)} and "
                        f"{describe(b)}") from None


def kind(dtype):
    """NumPy's kind character ('b', 'i', 'u', 'f', 'c'), with 'f' for bfloat16."""
    dtype = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
    return "f" if dtype == bfloat16 else dtype.kind


def is_floating(dtype):
    return kind(dtype) == "f"


def is_integer(dtype):
    """Signed or unsigned integer; bool is not an integer here."""
    return kind(dtype) in "iu"


def is_unsigned(dtype):
    return kind(dtype) == "u"


def is_bool(dtype):
    return kind(dtype) == "b"


def is_complex(dtype):
    return kind(dtype) == "c"


def is_inexact(dtype):
    """Floating or complex: the types that have derivatives."""
    return kind(dtype) in "fc"


def real_dtype(dtype):
    """The type of a complex type's parts (complex64 -> float32); others unchanged."""
    dtype = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
    return {complex64: float32, complex128: float64}.get(dtype, dtype)


def is_16bit_float(dtype):
    """float16 and bfloat16: stored in 16 bits and computed in float32 (as XLA does on CPU)."""
    dtype = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
    return dtype == float16 or dtype == bfloat16


def finfo(dtype):
    return ml_dtypes.finfo(canonicalize_dtype(dtype))


def iinfo(int_type):
    return np.iinfo(canonicalize_dtype(int_type))


def can_cast(from_, to, casting="safe"):
    """``np.can_cast`` between the canonical forms of two dtypes."""
    return np.can_cast(canonicalize_dtype(from_), canonicalize_dtype(to), casting=casting)


def short_name(dtype):
    """Jaxpr spelling: 'f32', 'bf16', 'i8', 'u32', 'bool', ..."""
    dt = np.dtype(dtype)
    if dt == bfloat16:
        return "bf16"
    return "bool" if dt.kind == "b" else f"{dt.kind}{dt.itemsize * 8}"
