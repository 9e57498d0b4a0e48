"""The public functions the harness calls, each with one valid call and the parameters
it replaces with pool values.

Targets are built from signatures (a parameter's name says its kind and a valid value),
with overrides where a function needs particular valid arguments. Values are Python
source evaluated in `pools.namespace()` plus the fixtures below.
"""
from __future__ import annotations

import dataclasses
import inspect

# Valid fixtures every call may use (defined in the child process, printed with reproducers).
FIXTURES = {
    "X": "np.linspace(0.1, 1.2, 12, dtype=np.float32).reshape(3, 4)",
    "X3": "np.linspace(0.1, 2.4, 24, dtype=np.float32).reshape(2, 3, 4)",
    "S": "np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]], np.float32)",
    "I": "np.arange(12, dtype=np.int32).reshape(3, 4)",
    "Z": "(X + 1j * X[::-1]).astype(np.complex64)",
    "K": "random.PRNGKey(0)",
    "XJ": "jnp.asarray(X)",
    "X3J": "jnp.asarray(X3)",
}


@dataclasses.dataclass(frozen=True)
class Param:
    name: str
    kind: str          # a key of pools.POOLS
    code: str          # a valid value
    required: bool     # passed in the valid call (positionally); else only as name=value when replaced
    keyword: bool = False  # a required parameter passed by name


@dataclasses.dataclass(frozen=True)
class Target:
    """name: the function's qualified name in the namespace (`jnp.sum`); ref: NumPy's
    (`np.sum`) or None; call/ref_call: format strings for non-function syntax (indexing);
    accepts: pool values that are valid for this function although the pool says BAD;
    loose: pool values JAX accepts here although NumPy refuses them (see pools.LOOSE)."""
    name: str
    params: tuple
    ref: str | None = None
    call: str | None = None
    ref_call: str | None = None
    accepts: frozenset = frozenset()
    loose: frozenset = frozenset()

    def source(self, codes, ref=False):
        """The call as source: codes maps parameter names to value sources."""
        template = self.ref_call if ref else self.call
        if template is not None:
            return template.format(**codes)
        parts = []
        for p in self.params:
            if p.name not in codes:
                continue
            parts.append(f"{p.name}={codes[p.name]}" if (p.keyword or not p.required) else codes[p.name])
        return f"{self.ref if ref else self.name}({', '.join(parts)})"


ARRAY_NAMES = {"x", "y", "a", "b", "x1", "x2", "m", "v", "arr", "ary", "operand", "lhs", "rhs", "ar",
               "A", "a1", "a2", "logits", "M", "array", "from_"}
# Optional parameters replaced by name, with their kind.
OPTIONAL_KINDS = {
    "axis": "axis", "axisa": "axis", "axisb": "axis", "axisc": "axis", "axis1": "axis", "axis2": "axis",
    "dimension": "axis", "keepdims": "bool", "dtype": "dtype", "index_dtype": "dtype",
    "decimals": "int", "k": "int", "offset": "int", "ddof": "int", "num": "int", "size": "int",
    "total_repeat_length": "int", "ind": "int", "mode": "mode", "side": "mode", "method": "mode",
    "UPLO": "mode", "indexing": "mode", "order": "mode", "ord": "int", "rtol": "float", "atol": "float",
    "alpha": "float", "negative_slope": "float", "initial": "float", "fill_value": "float",
    "nan": "float", "posinf": "float", "neginf": "float", "base": "float", "minval": "float",
    "maxval": "float", "epsilon": "float", "shape": "shape", "where": "array", "weights": "array",
    "b": "array", "equal_nan": "bool", "endpoint": "bool", "full_matrices": "bool",
    "compute_uv": "bool", "descending": "bool", "reverse": "bool", "approximate": "bool",
    "return_counts": "bool", "upper": "bool", "p": "float", "replace": "bool", "correction": "int",
    "sorter": "array", "rcond": "float", "hermitian": "bool", "independent": "bool",
}
SKIP_PARAMS = {"out", "precision", "preferred_element_type", "device", "copy", "overwrite_input",
               "optimize", "kind", "stable", "unique_indices", "indices_are_sorted", "symmetrize_input",
               "return_weak_type_flag", "_split_transpose", "unroll", "align", "numpy_resid",
               "subset_by_index", "returned", "return_index", "return_inverse", "retstep",
               "promote_integers", "sparse", "is_stable", "num_keys", "use_consistent_padding",
               "transpose_kernel", "rounding_method", "casting", "sorted", "batch_size"}
REQUIRED_DEFAULTS = {
    "axis": ("axis", "0"), "key": ("key", "K"), "dtype": ("dtype", "np.float32"),
    "new_dtype": ("dtype", "np.int32"), "shape": ("shape", "(3, 4)"), "n": ("int", "3"),
    "N": ("int", "3"), "num": ("int", "2"), "num_classes": ("int", "3"), "kth": ("int", "1"),
    "seed": ("int", "0"), "q": ("float", "0.5"), "fill_value": ("float", "1.5"),
    "indices_or_sections": ("int", "2"), "repeats": ("int", "2"), "reps": ("shape", "(2, 1)"),
    "shift": ("int", "1"), "start": ("float", "5"), "stop": ("float", "1.0"),
    "source": ("axis", "0"), "destination": ("axis", "2"), "axis1": ("axis", "0"), "axis2": ("axis", "1"),
    "dimensions": ("shape", "(2, 3)"), "newshape": ("shape", "(4, 3)"), "new_sizes": ("shape", "(4, 3)"),
    "sizes": ("shape", "(2,)"), "axes": ("axis", "(0,)"), "k": ("int", "2"), "data": ("int", "3"),
    "keys": ("array", "K"), "tup": ("seq", "[X, X]"), "arrays": ("seq", "[X, X]"),
    "operands": ("seq", "[X, X]"), "condition": ("array", "np.array([True, False, True])"),
    "to": ("dtype", "np.float64"), "lower": ("float", "-1.0"), "upper": ("float", "1.0"),
    "permutation": ("perm", "(2, 0, 1)"),
}

LIST_CODES = frozenset({"[1.0, 2.0, 3.0]", "(1.0, 2.0)", "[[1.0, 2.0], [3.0, 4.0]]", "[1]", "[3]",
                        "[0]", "[1, 2, 0]", "(0, 1)", "()"})


def _target(module_alias, name, fn, ref_module, overrides, accepts=frozenset()):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    given = dict(overrides.get("params", {}))
    params = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in SKIP_PARAMS and p.name not in given:
            continue
        required = p.default is p.empty
        keyword = p.kind == p.KEYWORD_ONLY
        if p.name in given:
            if given[p.name] is None:  # the override leaves this parameter out
                given.pop(p.name)
                continue
            kind, code = given.pop(p.name)
            # an optional parameter the override gives a value is passed by name
            params.append(Param(p.name, kind, code, True, keyword or not required))
        elif required:
            if p.name in ARRAY_NAMES:
                kind, code = "array", "X"
            elif p.name in REQUIRED_DEFAULTS:
                kind, code = REQUIRED_DEFAULTS[p.name]
            else:
                return None  # no valid value known: the target needs an override
            params.append(Param(p.name, kind, code, True, keyword))
        elif p.name in OPTIONAL_KINDS:
            params.append(Param(p.name, OPTIONAL_KINDS[p.name], repr(p.default), False, keyword))
    if "call" in overrides:  # the template names the parameters (varargs spelled out)
        params.extend(Param(pname, kind, code, True) for pname, (kind, code) in given.items())
        params = [p for p in params if "{" + p.name + "}" in overrides["call"]]
    ref = overrides.get("ref", f"{ref_module}.{name}" if ref_module else None)
    return Target(f"{module_alias}.{name}", tuple(params), ref, overrides.get("call"),
                  overrides.get("ref_call"), frozenset(overrides.get("accepts", ())) | accepts,
                  frozenset(overrides.get("loose", ())))


SQUARE = {"a": ("array", "S"), "x": ("array", "S"), "M": ("array", "S")}
BIT = {"params": {"x": ("array", "I"), "y": ("array", "I"), "x1": ("array", "I"), "x2": ("array", "I")}}

NUMPY_OVERRIDES = {
    "asarray": {"accepts": LIST_CODES}, "array": {"accepts": LIST_CODES},
    "float32": {"accepts": LIST_CODES, "ref": "np.float32"}, "float64": {"accepts": LIST_CODES, "ref": None},
    "int32": {"accepts": LIST_CODES, "ref": None}, "int64": {"accepts": LIST_CODES, "ref": None},
    "uint32": {"accepts": LIST_CODES, "ref": None}, "bool_": {"accepts": LIST_CODES, "ref": None},
    **{name: {"accepts": LIST_CODES, "ref": None}
       for name in ("int8", "int16", "uint8", "uint16", "uint64", "float16", "bfloat16", "complex64",
                    "complex128")},
    # NumPy's other names for the scalar types: JAX's convert lists and tuples as float32 does
    # (int_ is int64 in NumPy, the default int (int32 without x64) in JAX and fx)
    **{name: {"accepts": LIST_CODES, "ref": None}
       for name in ("bool", "int_", "uint", "float_", "double", "single", "complex_", "cdouble", "csingle")},
    "iterable": {"accepts": "*"},  # any object: JAX's iterable is NumPy's test of iter(y)
    # JAX's array_str is NumPy's, which prints object and string arrays (and refuses non-arrays)
    "array_str": {"accepts": {"np.array([1, None], dtype=object)", "np.array([1.0, 2.0], dtype=object)",
                              "np.array(['a', 'b'])"}},
    # a masked array is a DLPack producer (of its data), in JAX too
    "from_dlpack": {"accepts": {"np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])"}},
    # JAX computes in float16 for float16 input, NumPy in float64
    **{name: {"loose": {"np.arange(4.0, dtype=np.float16)"}} for name in ("cov", "corrcoef")},
    # JAX ignores weights (only string bins, which JAX and fx do not support, would read them);
    # its edges over a range with NaN or inf ends are NaN, where NumPy refuses the range
    "histogram_bin_edges": {"params": {"weights": None},
                            "loose": {"np.array([np.nan, np.inf, -np.inf], np.float32)"}},
    # JAX reads None, names and Python's types as np.dtype does (None is float64, int is int64),
    # object included; NumPy's isdtype refuses all but dtypes and scalar types
    "isdtype": {"params": {"dtype": ("dtype", "np.float32"), "kind": ("mode", "'real floating'")},
                "loose": {"None", "int", "float", "bool", "'float32'"}, "accepts": {"np.dtype('O')"}},
    **{name: {"params": {"M": ("int", "5")}} for name in ("bartlett", "blackman", "hamming", "hanning")},
    "kaiser": {"params": {"M": ("int", "5"), "beta": ("float", "2.0")}},
    "bitwise_count": BIT, "bitwise_invert": BIT, "bitwise_left_shift": BIT, "bitwise_right_shift": BIT,
    "gcd": BIT, "lcm": BIT, "ldexp": {"params": {"x2": ("array", "I")}},
    "bincount": {"params": {"x": ("array", "np.array([0, 1, 1, 3, 2])")}},
    "packbits": {"params": {"a": ("array", "X > 0.5")}},
    "unpackbits": {"params": {"a": ("array", "np.arange(12, dtype=np.uint8).reshape(3, 4)")}},
    # the array API's cumulative functions need an axis for arrays of more than one dimension
    **{name: {"params": {"axis": ("axis", "0")}} for name in ("cumulative_sum", "cumulative_prod")},
    "diag_indices_from": {"params": {"arr": ("array", "S")}},
    "extract": {"params": {"condition": ("array", "X > 0.5")}},
    "histogram2d": {"params": {"x": ("array", "X[0]"), "y": ("array", "X[1]")}},
    "permute_dims": {"params": {"a": ("array", "X3"), "axes": ("perm", "(2, 0, 1)")}},
    "vecmat": {"params": {"x1": ("array", "X[:, 0]")}},
    # polynomials are 1-D coefficient arrays
    **{name: {"params": {"a1": ("array", "np.array([1.0, 2.0, 3.0], np.float32)"),
                         "a2": ("array", "np.array([4.0, 5.0], np.float32)")},
              # JAX's polymul keeps leading zeros (trim_leading_zeros=False), where NumPy's drops
              # them, and multiplies the convolution's padding zeros too (0 * inf is NaN)
              **({"loose": {"np.arange(4.0, dtype=np.float16)", "np.arange(4, dtype=np.uint8)",
                            "jnp.arange(5.0)", "np.array([np.nan, np.inf, -np.inf], np.float32)"}}
                 if name == "polymul" else {})}
       for name in ("polyadd", "polysub", "polymul")},
    "vander": {"params": {"x": ("array", "X[0]")}},
    # JAX refuses these on purpose (an impure source jit cannot see): every call raises
    # NotImplementedError, so there is no valid call to vary
    "fromfile": None, "fromiter": None,
    "bitwise_and": BIT, "bitwise_or": BIT, "bitwise_xor": BIT, "bitwise_not": BIT, "invert": BIT,
    "left_shift": BIT, "right_shift": BIT,
    "matmul": {"params": {"b": ("array", "X.T")}}, "dot": {"params": {"b": ("array", "X.T")}},
    **{name: {"params": {"a": ("array", "np.linspace(0.1, 1.2, 12, dtype=np.float32)"),
                         "v": ("array", "np.ones(3, np.float32)")},
              # JAX multiplies the padding's zeros too: 0 * inf is NaN where NumPy skips them
              "loose": {"np.array([np.nan, np.inf, -np.inf], np.float32)"}}
       for name in ("convolve", "correlate")},
    "cross": {"params": {"a": ("array", "S"), "b": ("array", "S")}},
    "tensordot": {"params": {"b": ("array", "X.T"), "axes": ("int", "1")}},
    "einsum": {"params": {"subscripts": ("mode", "'ij,jk->ik'"), "op0": ("array", "X"),
                          "op1": ("array", "X.T")},
               "call": "jnp.einsum({subscripts}, {op0}, {op1})", "ref_call": "np.einsum({subscripts}, {op0}, {op1})"},
    "concatenate": {"params": {"arrays": ("seq", "[X, X]")}},
    "stack": {"params": {"arrays": ("seq", "[X, X]")}},
    "broadcast_arrays": {"params": {"a0": ("array", "X"), "a1": ("array", "X[:1]")},
                         "call": "jnp.broadcast_arrays({a0}, {a1})", "ref_call": "np.broadcast_arrays({a0}, {a1})"},
    "broadcast_shapes": {"params": {"s0": ("shape", "(3, 1)"), "s1": ("shape", "(1, 4)")},
                         "call": "jnp.broadcast_shapes({s0}, {s1})", "ref_call": "np.broadcast_shapes({s0}, {s1})"},
    "atleast_1d": {"params": {"a0": ("array", "X")}, "call": "jnp.atleast_1d({a0})",
                   "ref_call": "np.atleast_1d({a0})"},
    "atleast_2d": {"params": {"a0": ("array", "X")}, "call": "jnp.atleast_2d({a0})",
                   "ref_call": "np.atleast_2d({a0})"},
    "atleast_3d": {"params": {"a0": ("array", "X")}, "call": "jnp.atleast_3d({a0})",
                   "ref_call": "np.atleast_3d({a0})"},
    "meshgrid": {"params": {"a0": ("array", "X[0]"), "a1": ("array", "X[:, 0]")},
                 "call": "jnp.meshgrid({a0}, {a1})", "ref_call": "np.meshgrid({a0}, {a1})"},
    "lexsort": {"params": {"keys": ("seq", "[X[0], X[1]]")}},
    "take": {"params": {"indices": ("array", "np.array([0, 2])")}},
    "take_along_axis": {"params": {"indices": ("array", "np.zeros((3, 1), np.int32)"), "axis": ("axis", "1")}},
    "where": {"params": {"condition": ("array", "X > 0.5"), "x": ("array", "X"), "y": ("array", "0.0")},
              "call": "jnp.where({condition}, {x}, {y})", "ref_call": "np.where({condition}, {x}, {y})"},
    "squeeze": {"params": {"a": ("array", "X[None]")}},
    "moveaxis": {"params": {"a": ("array", "X3"), "source": ("axis", "0"), "destination": ("axis", "2")}},
    "transpose": {"params": {"a": ("array", "X3"), "axes": ("perm", "(2, 0, 1)")}},
    "rot90": {"params": {"axes": ("axis", "(0, 1)")}},
    "dsplit": {"params": {"ary": ("array", "X3")}, "accepts": {"[1]", "np.array([1, 2])"}},
    "vsplit": {"params": {"indices_or_sections": ("int", "3")}, "accepts": {"[1]", "np.array([1, 2])"}},
    "split": {"params": {"indices_or_sections": ("int", "3")}, "accepts": {"[1]", "np.array([1, 2])"}},
    "array_split": {"accepts": {"[1]", "np.array([1, 2])"}}, "hsplit": {"accepts": {"[1]", "np.array([1, 2])"}},
    "roll": {"accepts": {"[1]", "np.array([1, 2])", "(0, 0)"}},  # an axis may repeat
    "nanmin": {"loose": {"np.nan"}}, "nanmax": {"loose": {"np.nan"}},  # NumPy drops a NaN initial
    "promote_types": None, "argwhere": {"loose": {"(1, None)"}},
    "issubdtype": {"params": {"a": ("dtype", "np.int32"), "b": ("dtype", "np.integer")},
                   "accepts": {"np.dtype('O')"}},
    "broadcast_to": {"params": {"shape": ("shape", "(2, 3, 4)")}},
    "arange": {"params": {"start": ("int", "5")}, "accepts": {"1.5", "2.0"}},
    "compress": {"params": {"condition": ("array", "np.array([True, False, True])"), "axis": ("axis", "0")},
                 "loose": {"None"}},
    "linspace": {"params": {"start": ("float", "0.0"), "stop": ("float", "1.0"), "num": ("int", "5")}},
    "logspace": {"params": {"start": ("float", "0.0"), "stop": ("float", "1.0"), "num": ("int", "5")}},
    "full": {"params": {"shape": ("shape", "(3, 4)"), "fill_value": ("array", "1.5")}},
    "full_like": {"params": {"fill_value": ("array", "1.5")}},
    "clip": {"params": {"min": ("array", "0.2"), "max": ("array", "0.8")}, "accepts": {"None"}},
    # fx compares canonical dtypes (float64 is float32 without x64); JAX and NumPy do not.
    "can_cast": {"params": {"from_": ("dtype", "np.int32"), "to": ("dtype", "np.float64")}, "ref": None},
    "indices": {"loose": {"np.int64(3)", "0"}},
    "modf": {"loose": {"np.array([np.nan, np.inf, -np.inf], np.float32)"}},  # JAX: NaN fractions
    # JAX scales complex numbers
    **{name: {"loose": {"1 + 2j"}} for name in ("deg2rad", "rad2deg", "degrees", "radians")},
    # JAX's bin edges over a range with NaN or inf ends are NaN; NumPy refuses such a range
    "histogram": {"loose": {"np.array([np.nan, np.inf, -np.inf], np.float32)"}},
    # JAX computes 1 / x in floating point for integers too; NumPy stays integer.
    "reciprocal": {"ref": None},
    "finfo": {"params": {"dtype": ("dtype", "np.float32")}}, "iinfo": {"params": {"dtype": ("dtype", "np.int32")}},
    "average": {"params": {"weights": ("array", "None")}},
    "argpartition": {"params": {"kth": ("int", "1")}}, "partition": {"params": {"kth": ("int", "1")}},
    "percentile": {"params": {"q": ("array", "50.0")}}, "nanpercentile": {"params": {"q": ("array", "50.0")}},
    "quantile": {"params": {"q": ("array", "0.5")}}, "nanquantile": {"params": {"q": ("array", "0.5")}},
    "one_hot": {"params": {"x": ("array", "np.array([0, 2, 1])")}},
    "reshape": {"params": {"newshape": None, "shape": ("shape", "(4, 3)")}, "accepts": {"(-1,)"}},
    "pad": {"params": {"pad_width": ("shape", "1"), "mode": ("mode", "'constant'")},
            "accepts": {"((1, 2),)", "[3]", "np.array([2, 3])", "np.array([[2, 3]])"}},
    "repeat": {"accepts": {"[1]", "np.array([1, 2])"}},
    "result_type": {"params": {"a0": ("dtype", "np.float32"), "a1": ("dtype", "np.int32")},
                    "call": "jnp.result_type({a0}, {a1})", "ref": None, "accepts": {"*"}},
    "nonzero": {"loose": {"(1, None)"}},
    "searchsorted": {"params": {"a": ("array", "np.arange(5.0)"), "v": ("array", "X")},
                     "loose": {"np.array([np.nan, np.inf, -np.inf], np.float32)",
                               "np.array([True, False, True])"}},  # not sorted
    **{name: {"loose": {"1.5", "2.0"}} for name in ("var", "std", "nanvar", "nanstd")},  # float ddof
    "empty": {"ref": None}, "empty_like": {"ref": None},
    "trace": {"ref": "np.trace"}, "unique": {"ref": None},
    "astype": {"params": {"dtype": ("dtype", "np.int32")}, "ref": None},
    "shape": {"accepts": LIST_CODES | {"[[1.0, 2.0], [3.0]]"}}, "ndim": {"accepts": LIST_CODES},
    "size": {"accepts": LIST_CODES},
    "iscomplexobj": {"ref": None, "accepts": "*"}, "isrealobj": {"ref": None, "accepts": "*"},
    "ndarray": None, "dtype": None,
}

LINALG_OVERRIDES = {
    "solve": {"params": {"a": ("array", "S"), "b": ("array", "np.ones(3, np.float32)")}},
    "lstsq": {"params": {"a": ("array", "S"), "b": ("array", "np.ones(3, np.float32)")}, "ref": None},
    "multi_dot": {"params": {"arrays": ("seq", "[S, S, S]")}},
    "matrix_power": {"params": {"a": ("array", "S")}},
    "tensorinv": {"params": {"a": ("array", "S"), "ind": ("int", "1")}},
    "tensorsolve": {"params": {"a": ("array", "S"), "b": ("array", "np.ones(3, np.float32)")}},
    "norm": {"params": {"ord": ("int", "None")}},
    "cond": {"params": {"x": ("array", "S")}, "ref": "np.linalg.cond"},
    "pinv": {"params": SQUARE, "loose": {"np.array([1.0, 2.0])"}},
    "eigvalsh": {"params": SQUARE, "ref": None},  # NumPy fails on UPLO=None
    "svd": {"params": SQUARE, "ref": None}, "qr": {"params": SQUARE, "ref": None},
    "eigh": {"params": SQUARE, "ref": None},
    "broadcast_shapes": None, "get_aval": None, "promote_dtypes_inexact": None,
    # the array API's names: cross of 3-vectors, matmul of matrices that fit, outer of vectors
    "cross": {"params": {"x1": ("array", "S"), "x2": ("array", "S")}},
    "matmul": {"params": {"x2": ("array", "X.T")}},
    "outer": {"params": {"x1": ("array", "X[0]"), "x2": ("array", "X[1]")}},
}

LAX_OVERRIDES = {
    **{name: {"params": {"x": ("array", "Z")}} for name in ("real", "imag", "conj")},
    **{name: BIT for name in ("bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "shift_left",
                              "shift_right_arithmetic", "shift_right_logical")},
    "argmax": {"params": {"axis": ("axis", "0"), "index_dtype": ("dtype", "np.int32")}},
    "argmin": {"params": {"axis": ("axis", "0"), "index_dtype": ("dtype", "np.int32")}},
    "broadcast": {"params": {"sizes": ("shape", "(2,)")}},
    "broadcast_in_dim": {"params": {"shape": ("shape", "(2, 3, 4)"), "broadcast_dimensions": ("axis", "(1, 2)")}},
    "broadcasted_iota": {"params": {"dtype": ("dtype", "np.int32"), "shape": ("shape", "(3, 4)"),
                                    "dimension": ("axis", "1")}},
    "iota": {"params": {"dtype": ("dtype", "np.int32"), "size": ("int", "5")}},
    "concatenate": {"params": {"operands": ("seq", "[X, X]"), "dimension": ("axis", "0")}},
    "conv": {"params": {"lhs": ("array", "np.ones((1, 1, 5, 5), np.float32)"),
                        "rhs": ("array", "np.ones((1, 1, 3, 3), np.float32)"),
                        "window_strides": ("shape", "(1, 1)"), "padding": ("mode", "'SAME'")}},
    "conv_general_dilated": {"params": {"lhs": ("array", "np.ones((1, 1, 5, 5), np.float32)"),
                                        "rhs": ("array", "np.ones((1, 1, 3, 3), np.float32)"),
                                        "window_strides": ("shape", "(1, 1)"), "padding": ("mode", "'SAME'"),
                                        "lhs_dilation": ("shape", "None"), "rhs_dilation": ("shape", "None"),
                                        "feature_group_count": ("int", "1")}},
    "conv_transpose": {"params": {"lhs": ("array", "np.ones((1, 5, 5, 1), np.float32)"),
                                  "rhs": ("array", "np.ones((3, 3, 1, 1), np.float32)"),
                                  "strides": ("shape", "(1, 1)"), "padding": ("mode", "'SAME'")}},
    "conv_with_general_padding": None, "conv_dimension_numbers": None, "padtype_to_pads": None,
    "convert_element_type": {"params": {"new_dtype": ("dtype", "np.int32")}},
    "cummax": {"params": {"axis": ("axis", "0")}}, "cummin": {"params": {"axis": ("axis", "0")}},
    "cumsum": {"params": {"axis": ("axis", "0")}}, "cumprod": {"params": {"axis": ("axis", "0")}},
    "dot": {"params": {"rhs": ("array", "X.T")}},
    "dot_general": {"params": {"rhs": ("array", "X.T"), "dimension_numbers": ("perm", "(((1,), (0,)), ((), ()))")}},
    "dynamic_slice": {"params": {"start_indices": ("shape", "(0, 1)"), "slice_sizes": ("shape", "(2, 2)")}},
    "dynamic_update_slice": {"params": {"update": ("array", "np.ones((2, 2), np.float32)"),
                                        "start_indices": ("shape", "(0, 1)")}},
    "expand_dims": {"params": {"dimensions": ("axis", "(0,)")}},
    "full": {"params": {"shape": ("shape", "(3,)"), "fill_value": ("array", "1.0")}},
    "full_like": {"params": {"fill_value": ("array", "1.0")}},
    "gather": {"params": {"start_indices": ("array", "np.array([[0], [2]])"),
                          "dimension_numbers": ("perm", "lax.GatherDimensionNumbers(offset_dims=(1,), "
                                                "collapsed_slice_dims=(0,), start_index_map=(0,))"),
                          "slice_sizes": ("shape", "(1, 4)"), "mode": ("mode", "None")}},
    "integer_pow": {"params": {"y": ("int", "2")}},
    "pad": {"params": {"padding_value": ("array", "0.0"), "padding_config": ("perm", "((1, 1, 0), (0, 0, 1))")}},
    "reduce_max": {"params": {"axes": ("axis", "(0,)")}}, "reduce_min": {"params": {"axes": ("axis", "(0,)")}},
    "reduce_prod": {"params": {"axes": ("axis", "(0,)")}}, "reduce_sum": {"params": {"axes": ("axis", "(0,)")}},
    "reduce_window": {"params": {"init_value": ("array", "0.0"), "computation": ("mode", "lax.add"),
                                 "window_dimensions": ("shape", "(2, 2)"), "window_strides": ("shape", "(1, 1)"),
                                 "padding": ("mode", "'VALID'")}},
    "reshape": {"params": {"new_sizes": ("shape", "(4, 3)"), "dimensions": ("perm", "None")},
                "accepts": {"(0, 1)", "(1, 0, -3)"}},
    "rev": {"params": {"dimensions": ("axis", "(0,)")}},
    "round": {"params": {"rounding_method": ("int", "0")}},
    "scatter": None, "scatter_mul": None, "scatter_max": None, "scatter_min": None,
    "scatter_add": {"params": {"scatter_indices": ("array", "np.array([[0], [2]])"),
                               "updates": ("array", "np.ones((2, 4), np.float32)"),
                               "dimension_numbers": ("perm", "lax.ScatterDimensionNumbers(update_window_dims=(1,), "
                                                     "inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))"),
                               "mode": ("mode", "None")}},
    "select": {"params": {"pred": ("array", "X > 0.5"), "on_true": ("array", "X"), "on_false": ("array", "X")}},
    "select_n": {"params": {"which": ("array", "X > 0.5"), "c0": ("array", "X"), "c1": ("array", "X")},
                 "call": "lax.select_n({which}, {c0}, {c1})"},
    "slice": {"params": {"start_indices": ("shape", "(0, 1)"), "limit_indices": ("shape", "(2, 3)"),
                         "strides": ("shape", "None")}},
    "sort": {"params": {"dimension": ("axis", "-1")}},
    # (parameters named as in JAX, array / operand, and as fx named them before, x)
    "squeeze": {"params": {"array": ("array", "X[None]"), "x": ("array", "X[None]"),
                           "dimensions": ("axis", "(0,)")}},
    "top_k": {"params": {"k": ("int", "2")}},
    "transpose": {"params": {"operand": ("array", "X3"), "x": ("array", "X3"),
                             "permutation": ("perm", "(2, 0, 1)")}},
    **{name: {"params": {"x": ("array", "I")}} for name in ("clz", "population_count")},
    "mulhi": BIT,
    **{name: {"params": {"operand": ("array", "I"), "axes": ("axis", "(0,)")}}
       for name in ("reduce_and", "reduce_or", "reduce_xor")},
    "split": {"params": {"sizes": ("shape", "(1, 2)")}},
    # lax.dtype reads a masked array's dtype, as JAX's does (it converts nothing)
    "dtype": {"accepts": {"np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])"}},
    # Control flow and transforms are helper "transforms"' (their argument checks live there).
    "associative_scan": None, "cond": None, "fori_loop": None, "map": None, "scan": None,
    "switch": None, "while_loop": None, "get_aval": None, "platform_dependent": None,
    **{name: {"accepts": {"None", "{'a': 1}", "[1.0, 2.0, 3.0]", "(1.0, 2.0)",  # pytrees of arrays
                          "[[1.0, 2.0], [3.0, 4.0]]", "(1, None)", "[[1.0, 2.0], [3.0]]"}}
       for name in ("stop_gradient", "optimization_barrier")},
}

NN_OVERRIDES = {"one_hot": {"params": {"x": ("array", "np.array([0, 2, 1])")}}}

RANDOM_OVERRIDES = {
    "randint": {"params": {"shape": ("shape", "(3,)"), "minval": ("array", "0"), "maxval": ("array", "5")}},
    # JAX reads an integer-valued a, and ignores axis, when a is a scalar
    "choice": {"params": {"a": ("int", "5")}, "accepts": {"np.array([1, 2])", "np.array(2)", "1.5", "2 ** 63",
                                                                      "7", "-7", "-8"}},
    "permutation": {"params": {"x": ("int", "5")}, "accepts": {"np.array([1, 2])"}},
    "gamma": {"params": {"a": ("array", "2.0")}}, "loggamma": {"params": {"a": ("array", "2.0")}},
    "dirichlet": {"params": {"alpha": ("array", "np.ones(3, np.float32)")}},
    "bernoulli": {"params": {"p": ("array", "0.5")}},
    "truncated_normal": {"params": {"lower": ("array", "-1.0"), "upper": ("array", "1.0")}},
    "fold_in": {"params": {"data": ("int", "3")}},
    "split": {"accepts": {"np.array([1, 2])", "[1]"}},  # num may be a shape
    "key_data": {"params": {"keys": ("key", "K")}},
    "wrap_key_data": {"params": {"key_bits_array": ("key", "K")}},
    "ball": {"params": {"d": ("int", "3")}},
    "binomial": {"params": {"n": ("array", "5.0"), "p": ("array", "0.5")}},
    "chisquare": {"params": {"df": ("array", "3.0")}}, "t": {"params": {"df": ("array", "3.0")}},
    "f": {"params": {"dfnum": ("array", "3.0"), "dfden": ("array", "4.0")}},
    "double_sided_maxwell": {"params": {"loc": ("array", "0.0"), "scale": ("array", "1.0")}},
    "generalized_normal": {"params": {"p": ("array", "2.0")}},
    "geometric": {"params": {"p": ("array", "0.5")}}, "poisson": {"params": {"lam": ("array", "3.0")}},
    "multinomial": {"params": {"n": ("array", "5.0"), "p": ("array", "np.array([0.2, 0.3, 0.5], np.float32)")}},
    "multivariate_normal": {"params": {"mean": ("array", "np.zeros(2, np.float32)"),
                                       "cov": ("array", "np.eye(2, dtype=np.float32)")}},
    "rayleigh": {"params": {"scale": ("array", "1.0")}}, "wald": {"params": {"mean": ("array", "1.0")}},
    "triangular": {"params": {"left": ("array", "0.0"), "mode": ("array", "0.5"), "right": ("array", "1.0")}},
    "weibull_min": {"params": {"scale": ("array", "1.0"), "concentration": ("array", "2.0")}},
}

INDEXING = [
    Target("getitem", (Param("idx", "index", "0", True),), call="XJ[{idx}]", ref_call="X[{idx}]"),
    # JAX casts a complex update to the array's dtype (the imaginary part dropped, with a
    # ComplexWarning); NumPy refuses it
    Target("at.set", (Param("idx", "index", "0", True), Param("v", "array", "2.0", True)),
           call="XJ.at[{idx}].set({v})", ref_call="_assigned(X, {idx}, {v})", loose=frozenset({"1 + 2j"})),
    Target("at.add", (Param("idx", "index", "0", True), Param("v", "array", "2.0", True)),
           call="XJ.at[{idx}].add({v})", ref_call="_updated(np.add, X, {idx}, {v})",
           loose=frozenset({"1 + 2j"})),
    Target("at.mul", (Param("idx", "index", "0", True), Param("v", "array", "2.0", True)),
           call="XJ.at[{idx}].multiply({v})", ref_call="_updated(np.multiply, X, {idx}, {v})",
           loose=frozenset({"1 + 2j"})),
    Target("at.min", (Param("idx", "index", "0", True), Param("v", "array", "0.5", True)),
           call="XJ.at[{idx}].min({v})", ref_call="_updated(np.minimum, X, {idx}, {v})",
           loose=frozenset({"1 + 2j"})),
    Target("at.get", (Param("idx", "index", "0", True),), call="XJ.at[{idx}].get()", ref_call="X[{idx}]"),
    Target("operator", (Param("x", "array", "X", True), Param("y", "array", "2.0", True)),
           call="jnp.asarray({x}) * ({y}) + 1.0", ref_call="np.asarray({x}) * ({y}) + 1.0", accepts=LIST_CODES),
    Target("operator.pow", (Param("x", "array", "I", True), Param("y", "int", "2", True)),
           call="jnp.asarray({x}) ** ({y})", ref_call="np.asarray({x}) ** ({y})",
           accepts=LIST_CODES | {"1.5", "2.0", "np.array([1, 2])"}),
    Target("method.sum", (Param("axis", "axis", "0", True),), call="XJ.sum({axis})", ref_call="X.sum({axis})"),
    Target("method.reshape", (Param("shape", "shape", "(4, 3)", True),), call="XJ.reshape({shape})",
           ref_call="X.reshape({shape})", accepts=frozenset({"(-1,)"})),
    Target("method.transpose", (Param("axes", "perm", "(2, 0, 1)", True),), call="X3J.transpose({axes})",
           ref_call="X3.transpose({axes})"),
    Target("method.astype", (Param("dtype", "dtype", "np.int32", True),), call="XJ.astype({dtype})"),
]


def _module_targets(alias, module, ref_module, overrides, skip=()):
    targets = []
    for name in sorted(dir(module)):
        fn = getattr(module, name)
        if name.startswith("_") or inspect.ismodule(fn) or inspect.isclass(fn) or not callable(fn):
            continue
        if name in overrides and overrides[name] is None or name in skip:
            continue
        if ref_module and not hasattr(_numpy_module(ref_module), name):
            over = {"ref": None, **(overrides.get(name) or {})}
        else:
            over = overrides.get(name) or {}
        target = _target(alias, name, fn, ref_module, over)
        if target is not None:
            targets.append(target)
    return targets


def _numpy_module(ref_module):
    import numpy as np
    return np.linalg if ref_module == "np.linalg" else np


def all_targets():
    """Every target, in a fixed order."""
    import fx.lax as lax
    import fx.nn as nn
    import fx.numpy as jnp
    import fx.random as random
    return (_module_targets("jnp", jnp, "np", NUMPY_OVERRIDES)
            + _module_targets("jnp.linalg", jnp.linalg, "np.linalg",
                              {**{k: {"params": SQUARE} for k in ("cholesky", "det", "eigh", "eigvalsh", "inv",
                                                                 "pinv", "qr", "slogdet", "svd",
                                                                 "matrix_rank")}, **LINALG_OVERRIDES},
                              skip=("NamedTuple",))
            + _module_targets("lax", lax, None, LAX_OVERRIDES)
            + _module_targets("nn", nn, None, NN_OVERRIDES, skip=("initializers",))
            + _module_targets("random", random, None, RANDOM_OVERRIDES)
            + INDEXING)
