"""fx.numpy's everyday ufuncs (arithmetic with broadcasting, exp/log/trig, rounding,
logical and bitwise operations, shifts), array construction, and the dtype functions used
inside traced code (astype, result_type, promote_types, finfo, iinfo, can_cast)."""
import numpy as np

import fx
import fx.numpy as jnp
from tests.api_specs import Spec, draws, integers, normal, positive, uniform


def _binary(name, fx_fn, np_fn, *gens, grad=2, **kw):
    return Spec(name, fx_fn, np_fn, draws(*gens), grad=grad, **kw)


def _away_from_integers(*shape):
    """Draws at least 0.1 from an integer (rounding's jumps), so differences stay smooth."""
    def gen(rng):
        x = 3 * rng.standard_normal(shape)
        frac = x - np.floor(x)
        return x + np.where(frac < 0.1, 0.1, np.where(frac > 0.9, -0.1, 0))
    return gen


def _nonzero_ints(*shape):
    return lambda rng: rng.choice(np.array([-4, -3, -2, -1, 1, 2, 3, 5]), shape)


def _bools(*shape):
    return lambda rng: rng.random(shape) < 0.5


_INT32 = dict(dtype=np.int32)

SPECS = [
    _binary("add_broadcast", jnp.add, np.add, normal(3, 4), normal(4)),
    _binary("subtract_broadcast", jnp.subtract, np.subtract, normal(3, 1), normal(4)),
    _binary("multiply", jnp.multiply, np.multiply, normal(3, 4), normal(3, 4)),
    _binary("divide", jnp.divide, np.divide, normal(3, 4), positive(4)),
    _binary("true_divide_ints", jnp.true_divide, np.true_divide, integers(6, low=-9, high=9),
            _nonzero_ints(6), grad=0),
    _binary("floor_divide", jnp.floor_divide, np.floor_divide, _away_from_integers(6), positive(6),
            grad=0),
    _binary("floor_divide_ints", jnp.floor_divide, np.floor_divide, integers(8, low=-9, high=9),
            _nonzero_ints(8), grad=0),
    _binary("mod", jnp.mod, np.mod, normal(3, 4), positive(3, 4), diff_argnums=(0,)),
    _binary("mod_ints_negative", jnp.mod, np.mod, integers(8, low=-9, high=9), _nonzero_ints(8), grad=0),
    _binary("remainder", jnp.remainder, np.remainder, normal(6), uniform(6, low=-2.0, high=-0.5),
            diff_argnums=(0,)),
    _binary("power", jnp.power, np.power, positive(3, 4), normal(3, 4)),
    _binary("power_ints", jnp.power, np.power, integers(6, low=-3, high=4), integers(6, low=0, high=5),
            grad=0),
    Spec("power_scalar_exponent", lambda x: jnp.power(x, 3), lambda x: np.power(x, 3), draws(normal(5)),
         grad=2),
    Spec("negative", jnp.negative, np.negative, draws(normal(4)), grad=1),
    Spec("abs", jnp.abs, np.abs, draws(lambda rng: rng.choice([-1, 1], 6) * rng.uniform(0.1, 2, 6))),
    Spec("absolute_ints", jnp.absolute, np.absolute, draws(integers(6, low=-5, high=5)), grad=0),
    Spec("sqrt", jnp.sqrt, np.sqrt, draws(positive(3, 4)), grad=2),
    Spec("sqrt_ints", jnp.sqrt, np.sqrt, draws(integers(5, low=0, high=20)), grad=0),
    Spec("exp", jnp.exp, np.exp, draws(normal(3, 4)), grad=2),
    Spec("log", jnp.log, np.log, draws(positive(3, 4)), grad=2),
    Spec("sin", jnp.sin, np.sin, draws(normal(3, 4)), grad=2),
    Spec("cos", jnp.cos, np.cos, draws(normal(3, 4)), grad=2),
    Spec("tan", jnp.tan, np.tan, draws(uniform(3, 4, low=-1.2, high=1.2)), grad=2),
    Spec("tanh", jnp.tanh, np.tanh, draws(normal(3, 4)), grad=2),
    Spec("maximum", jnp.maximum, np.maximum, draws(normal(3, 4), normal(4))),
    Spec("minimum", jnp.minimum, np.minimum, draws(normal(3, 4), normal(3, 1))),
    Spec("sign_ints", jnp.sign, np.sign, draws(integers(6, low=-3, high=3)), grad=0),
    Spec("lax.clamp", lambda x: fx.lax.clamp(-0.5, x, 0.75), lambda x: np.clip(x, -0.5, 0.75),
         draws(normal(3, 4))),
    # bools, as jax.numpy: + is or, * is and, abs and max keep them, square and // count
    Spec("add_bools", jnp.add, np.add, draws(_bools(6), _bools(6)), grad=0),
    Spec("multiply_bools", jnp.multiply, np.multiply, draws(_bools(6), _bools(6)), grad=0),
    Spec("abs_bools", jnp.abs, np.abs, draws(_bools(6)), grad=0),
    Spec("maximum_bools", jnp.maximum, np.maximum, draws(_bools(6), _bools(6)), grad=0),
    Spec("square_bools", jnp.square, lambda x: np.square(x.astype(np.int64)), draws(_bools(6)), grad=0),
    Spec("floor_divide_bools", lambda x: jnp.floor_divide(x, True), lambda x: x.astype(np.int64),
         draws(_bools(6)), grad=0),
    Spec("where", jnp.where, np.where, draws(_bools(3, 4), normal(3, 4), normal(4)), diff_argnums=(1, 2)),
    Spec("isnan", jnp.isnan, np.isnan,
         lambda rng: (np.where(rng.random(6) < 0.5, np.nan, rng.standard_normal(6)),), grad=0),
    # rounding (piecewise constant: values only)
    Spec("floor", jnp.floor, np.floor, draws(_away_from_integers(6)), grad=0),
    Spec("ceil", jnp.ceil, np.ceil, draws(_away_from_integers(6)), grad=0),
    Spec("rint_halves", jnp.rint, np.rint, draws(lambda rng: rng.integers(-5, 5, 8) + 0.5), grad=0),
    Spec("round", jnp.round, np.round, draws(lambda rng: rng.integers(-5, 5, 8) + 0.5), grad=0),
    Spec("round_decimals", lambda x: jnp.round(x, 2), lambda x: np.round(x, 2), draws(normal(6)), grad=0),
    Spec("round_ints", jnp.round, np.round, draws(integers(5, low=-9, high=9)), grad=0),
    # logical and bitwise
    Spec("logical_and", jnp.logical_and, np.logical_and, draws(_bools(6), _bools(6)), grad=0),
    Spec("logical_or_numbers", jnp.logical_or, np.logical_or,
         draws(integers(6, low=0, high=2), normal(6)), grad=0),
    Spec("logical_xor", jnp.logical_xor, np.logical_xor, draws(_bools(3, 2), _bools(2)), grad=0),
    Spec("logical_not", jnp.logical_not, np.logical_not, draws(integers(6, low=0, high=3)), grad=0),
    Spec("bitwise_and", jnp.bitwise_and, np.bitwise_and,
         draws(integers(6, low=-50, high=50), integers(6, low=0, high=64)), grad=0),
    Spec("bitwise_or", jnp.bitwise_or, np.bitwise_or,
         draws(integers(6, low=-50, high=50, **_INT32), integers(6, low=0, high=64, **_INT32)), grad=0),
    Spec("bitwise_xor_bools", jnp.bitwise_xor, np.bitwise_xor, draws(_bools(6), _bools(6)), grad=0),
    Spec("bitwise_not", jnp.bitwise_not, np.bitwise_not, draws(integers(6, low=-50, high=50)), grad=0),
    Spec("invert_uint32", jnp.invert, np.invert, draws(integers(6, high=2 ** 31, dtype=np.uint32)), grad=0),
    Spec("left_shift", jnp.left_shift, np.left_shift,
         draws(integers(6, low=-20, high=20), integers(6, low=0, high=8)), grad=0),
    Spec("right_shift_arithmetic", jnp.right_shift, np.right_shift,
         draws(integers(6, low=-200, high=200, **_INT32), integers(6, low=0, high=8, **_INT32)), grad=0),
    Spec("right_shift_uint32", jnp.right_shift, np.right_shift,
         draws(integers(6, high=2 ** 32 - 1, dtype=np.uint32), integers(6, high=31, dtype=np.uint32)),
         grad=0),
    # construction and dtypes inside traced code
    Spec("array_of_traced_values", lambda x, y: jnp.array([x, y, x * y]),
         lambda x, y: np.array([x, y, x * y]), draws(normal(3), normal(3))),
    Spec("empty_like", lambda x: jnp.empty_like(x, shape=(2, 3)) + x.sum(), lambda x: np.zeros((2, 3)) + x.sum(),
         draws(normal(4))),
    Spec("astype_float_to_int", lambda x: jnp.astype(x * 4, jnp.int32), lambda x: (x * 4).astype(np.int32),
         draws(normal(6)), grad=0),
    Spec("astype_method_bool", lambda x: x.astype(bool), lambda x: x.astype(bool), draws(integers(6, high=3)),
         grad=0),
    Spec("result_type_weak_float", lambda i: i.astype(jnp.result_type(i, 1.5)) / 3,
         lambda i: i / 3, draws(integers(5, low=-9, high=9, **_INT32)), grad=0),
    Spec("promote_types", lambda x, i: (x + i).astype(jnp.promote_types(jnp.float32, jnp.int32)),
         lambda x, i: (x + i).astype(np.float32), draws(normal(4), integers(4, **_INT32)), grad=0),
    Spec("finfo_eps", lambda x: x * (1 + jnp.finfo(x.dtype).eps), lambda x: x * (1 + np.finfo(x.dtype).eps),
         draws(normal(4))),
    Spec("finfo_max_tiny", lambda x: jnp.minimum(x * 1e300, jnp.finfo(x.dtype).max / 2) + jnp.finfo(x.dtype).tiny,
         lambda x: np.minimum(x * 1e300, np.finfo(x.dtype).max / 2) + np.finfo(x.dtype).tiny,
         draws(normal(4)), grad=0),
    Spec("iinfo_max", lambda i: jnp.minimum(i, jnp.iinfo(jnp.int32).max // 2**28),
         lambda i: np.minimum(i, np.iinfo(np.int32).max // 2**28), draws(integers(6, high=20, **_INT32)),
         grad=0),
    Spec("can_cast", lambda i: i.astype(jnp.float64 if jnp.can_cast(i.dtype, jnp.float64) else jnp.float32),
         lambda i: i.astype(np.float64), draws(integers(4, **_INT32)), grad=0),
]
