"""float16 and bfloat16 in native code (fx/backends/llvm/half.py): every conversion,
native and software, against NumPy's and ml_dtypes' (round to nearest even, subnormals
kept, NaN kept with its sign), exhaustively over the 65,536 16-bit patterns and over
float32 values at and around every rounding boundary."""
import ctypes

import llvmlite.binding as llvm
import ml_dtypes
import numpy as np
import pytest
from llvmlite import ir

import fx
import fx.numpy as jnp
from fx.backends.llvm import half

I16, I64, F32, F64 = ir.IntType(16), ir.IntType(64), ir.FloatType(), ir.DoubleType()
NATIVE = [False, True] if half.native_float16() else [False]


def _compile_map(name, in_type, out_type, emit):
    """A native `name(in*, out*, n)` applying `emit(builder, x)` elementwise."""
    module = ir.Module(name)
    module.triple = llvm.get_process_triple()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [in_type.as_pointer(), out_type.as_pointer(),
                                                             I64]), name)
    src, dst, n = fn.args
    entry, loop, done = (fn.append_basic_block(s) for s in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    b.cbranch(b.icmp_signed(">", n, ir.Constant(I64, 0)), loop, done)
    b.position_at_end(loop)
    i = b.phi(I64)
    i.add_incoming(ir.Constant(I64, 0), entry)
    b.store(emit(b, b.load(b.gep(src, [i]))), b.gep(dst, [i]))
    nxt = b.add(i, ir.Constant(I64, 1))
    i.add_incoming(nxt, loop)
    b.cbranch(b.icmp_signed("<", nxt, n), loop, done)
    b.position_at_end(done)
    b.ret_void()
    return str(module)


_engines = []


def _native(name, in_dtype, out_dtype, emit):
    """The compiled map as a NumPy function."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    types = {np.dtype(np.uint16): I16, np.dtype(np.float32): F32, np.dtype(np.float64): F64}
    mod = llvm.parse_assembly(_compile_map(name, types[np.dtype(in_dtype)], types[np.dtype(out_dtype)], emit))
    target = llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten())
    engine = llvm.create_mcjit_compiler(mod, target)
    engine.finalize_object()
    _engines.append(engine)  # keep the code alive
    cfn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)(
        engine.get_function_address(name))

    def run(x):
        x = np.ascontiguousarray(x, in_dtype)
        out = np.empty(x.shape, out_dtype)
        cfn(x.ctypes.data, out.ctypes.data, x.size)
        return out
    return run


ALL_BITS = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)


def _same_floats(got, want):
    """Equal bit for bit, except that a NaN need only be a NaN of the same sign."""
    got_bits, want_bits = got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}")
    nan = np.isnan(want.astype(np.float32))
    assert np.array_equal(np.isnan(got.astype(np.float32)), nan)
    assert np.array_equal(np.signbit(got.astype(np.float32)), np.signbit(want.astype(np.float32)))
    assert np.array_equal(got_bits[~nan], want_bits[~nan])


def _float32_probes():
    """Every 16-bit value's neighbourhood: the value, the midpoints to its neighbours and
    one float32 ulp either side of them, plus random float32 bit patterns."""
    probes = []
    for dtype in (np.float16, ml_dtypes.bfloat16):
        values = ALL_BITS.view(dtype).astype(np.float32)
        values = np.sort(values[np.isfinite(values)])
        mids = (values[:-1].astype(np.float64) + values[1:]) / 2
        mids = mids.astype(np.float32)  # exact: a midpoint has one more bit than the format
        probes += [values, mids, np.nextafter(mids, np.float32(np.inf)), np.nextafter(mids, np.float32(-np.inf))]
    random_bits = np.random.default_rng(0).integers(0, 1 << 32, 1 << 20, dtype=np.uint64).astype(np.uint32)
    special = np.array([np.inf, -np.inf, np.nan, -np.nan, 65504, 65519.99, 65520, 1e-8, -1e-8, 3e38,
                        np.finfo(np.float32).max, np.finfo(np.float32).tiny / 3], np.float32)
    return np.concatenate(probes + [random_bits.view(np.float32), special])


@pytest.mark.parametrize("native", NATIVE)
def test_float16_to_float32_every_pattern(native):
    widen = _native("widen", np.uint16, np.float32, lambda b, x: half.widen(b, x, np.float16, native))
    _same_floats(widen(ALL_BITS), ALL_BITS.view(np.float16).astype(np.float32))


def test_bfloat16_to_float32_every_pattern():
    widen = _native("widen_bf", np.uint16, np.float32, lambda b, x: half.widen(b, x, ml_dtypes.bfloat16))
    _same_floats(widen(ALL_BITS), ALL_BITS.view(ml_dtypes.bfloat16).astype(np.float32))


@pytest.mark.parametrize("native", NATIVE)
def test_float32_to_float16_rounds_to_nearest_even(native):
    narrow = _native("narrow", np.float32, np.uint16, lambda b, x: half.narrow(b, x, np.float16, native))
    x = _float32_probes()
    with np.errstate(over="ignore"):
        _same_floats(narrow(x).view(np.float16), x.astype(np.float16))


def test_float32_to_bfloat16_rounds_to_nearest_even():
    narrow = _native("narrow_bf", np.float32, np.uint16, lambda b, x: half.narrow(b, x, ml_dtypes.bfloat16))
    x = _float32_probes()
    with np.errstate(invalid="ignore"):
        _same_floats(narrow(x).view(ml_dtypes.bfloat16), x.astype(ml_dtypes.bfloat16))


def _double_rounding_traps(dtype):
    """float64 values just past a 16-bit midpoint, by less than float32 can hold: rounding
    to float32 first lands on the midpoint, and then to even, the wrong way."""
    with np.errstate(invalid="ignore"):
        values = ALL_BITS.view(dtype).astype(np.float64)
    values = np.sort(values[np.isfinite(values) & (values > 0)])
    mids = (values[:-1] + values[1:]) / 2
    return np.concatenate([mids * (1 + 2.0 ** -40), mids * (1 - 2.0 ** -40), -mids * (1 + 2.0 ** -40),
                           [1e300, -1e300, 1e-300, np.nan, np.inf]])


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_float64_converts_to_16_bits_with_one_rounding(x64, dtype):
    x = _double_rounding_traps(dtype.dtype)
    got = np.asarray(fx.jit(lambda a: a.astype(dtype))(x))
    with np.errstate(over="ignore"):
        _same_floats(got, x.astype(dtype.dtype))


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_int64_and_uint32_convert_to_16_bits_with_one_rounding(x64, dtype):
    # just past a bfloat16 midpoint (2**40 + 2**32 is one), and float16's overflow edge;
    # each is exact in float64, so NumPy's conversion through float64 rounds once
    ints = np.array([2 ** 40 + 2 ** 32 + 1, -(2 ** 40 + 2 ** 32 + 1), 65519, 65520, -2 ** 63, 0, 7], np.int64)
    u = np.array([2 ** 32 - 1, 2 ** 31 + 2 ** 23 + 1, 65520], np.uint32)
    for x in (ints, u):
        with np.errstate(over="ignore"):
            want = x.astype(np.float64).astype(dtype.dtype)
        _same_floats(np.asarray(fx.jit(lambda a: a.astype(dtype))(x)), want)
