"""fx.numpy elementwise math: inverse trigonometric and hyperbolic functions, stable
log-sum-exp forms, rounding, float predicates and NaN handling."""
import numpy as np

import fx.numpy as jnp
from tests.api_specs import Spec, draws, integers, normal, positive, uniform


def _unary(name, fx_fn, np_fn, gen, grad=2):
    return Spec(name, fx_fn, np_fn, draws(gen), grad=grad)


def _with_specials(rng):
    """Normal draws with a NaN and both infinities planted."""
    x = rng.standard_normal(6)
    x[[0, 2, 4]] = [np.nan, np.inf, -np.inf]
    return (x,)


_LOG2 = np.log(2)

SPECS = [
    _unary("arcsin", jnp.arcsin, np.arcsin, uniform(3, 4, low=-0.9, high=0.9)),
    _unary("arccos", jnp.arccos, np.arccos, uniform(3, 4, low=-0.9, high=0.9)),
    _unary("arctan", jnp.arctan, np.arctan, normal(3, 4)),
    _unary("sinh", jnp.sinh, np.sinh, normal(3, 4)),
    _unary("cosh", jnp.cosh, np.cosh, normal(3, 4)),
    _unary("arcsinh", jnp.arcsinh, np.arcsinh, normal(3, 4)),
    _unary("arccosh", jnp.arccosh, np.arccosh, positive(3, 4, low=1.2, high=4.0)),
    _unary("arctanh", jnp.arctanh, np.arctanh, uniform(3, 4, low=-0.9, high=0.9)),
    _unary("cbrt", jnp.cbrt, np.cbrt, positive(3, 4, low=0.2, high=8.0)),
    _unary("cbrt_negative", jnp.cbrt, np.cbrt, uniform(3, 4, low=-8.0, high=-0.2)),
    _unary("log2", jnp.log2, np.log2, positive(3, 4)),
    _unary("log10", jnp.log10, np.log10, positive(3, 4)),
    _unary("exp2", jnp.exp2, np.exp2, normal(3, 4)),
    _unary("expm1", jnp.expm1, np.expm1, normal(3, 4)),
    _unary("log1p", jnp.log1p, np.log1p, positive(3, 4)),
    _unary("deg2rad", jnp.deg2rad, np.deg2rad, normal(5,)),
    _unary("radians", jnp.radians, np.radians, normal(5,), grad=1),
    _unary("rad2deg", jnp.rad2deg, np.rad2deg, normal(5,)),
    _unary("degrees", jnp.degrees, np.degrees, normal(5,), grad=1),
    _unary("sinc", jnp.sinc, np.sinc, normal(3, 4)),
    Spec("sinc_at_zero", lambda x: jnp.sinc(x * 0), lambda x: np.sinc(x * 0), draws(normal(4,)), grad=2),
    _unary("square", jnp.square, np.square, normal(3, 4)),
    _unary("square_int", jnp.square, np.square, integers(5, low=-9, high=9), grad=0),
    _unary("reciprocal", jnp.reciprocal, np.reciprocal, positive(3, 4)),
    _unary("positive", jnp.positive, np.positive, normal(4,), grad=1),
    _unary("conj_real_input", jnp.conj, np.conj, normal(4,), grad=1),
    _unary("real", jnp.real, np.real, normal(4,), grad=1),
    _unary("imag", jnp.imag, np.imag, normal(4,), grad=0),
    _unary("sign", jnp.sign, np.sign, normal(6,), grad=0),
    _unary("trunc", jnp.trunc, np.trunc, lambda rng: 3 * rng.standard_normal(8), grad=0),
    _unary("fix", jnp.fix, np.fix, lambda rng: 3 * rng.standard_normal(8), grad=0),
    _unary("around", lambda x: jnp.around(x, 1), lambda x: np.around(x, 1),
           lambda rng: 3 * rng.standard_normal(8), grad=0),
    Spec("modf", jnp.modf, np.modf, draws(lambda rng: 3 * rng.standard_normal(8)), grad=1),
    Spec("arctan2", jnp.arctan2, np.arctan2, draws(normal(3, 4), normal(3, 4)), grad=2),
    Spec("hypot", jnp.hypot, np.hypot, draws(normal(3, 4), normal(3, 4)), grad=2),
    Spec("hypot_huge", lambda x, y: jnp.hypot(x * 1e300, y * 1e300),
         lambda x, y: np.hypot(x * 1e300, y * 1e300), draws(normal(4,), normal(4,)), grad=0),
    Spec("logaddexp", jnp.logaddexp, np.logaddexp, draws(normal(3, 4), normal(3, 4)), grad=2),
    Spec("logaddexp_large", lambda x, y: jnp.logaddexp(x * 1e3, y * 1e3),
         lambda x, y: np.logaddexp(x * 1e3, y * 1e3), draws(normal(6,), normal(6,))),
    Spec("logaddexp2", jnp.logaddexp2, np.logaddexp2, draws(normal(3, 4), normal(3, 4)), grad=2),
    Spec("copysign", jnp.copysign, np.copysign, draws(normal(3, 4), normal(3, 4)), diff_argnums=(0,)),
    Spec("heaviside", jnp.heaviside, np.heaviside,
         draws(lambda rng: np.round(rng.standard_normal(8)), normal(8,)), diff_argnums=(1,)),
    Spec("fmax", jnp.fmax, np.fmax, lambda rng: (_with_specials(rng)[0], rng.standard_normal(6)), grad=0),
    Spec("fmin", jnp.fmin, np.fmin, lambda rng: (rng.standard_normal(6), _with_specials(rng)[0]), grad=0),
    Spec("fmax_grad", jnp.fmax, np.fmax, draws(normal(3, 4), normal(3, 4))),
    Spec("fmod", jnp.fmod, np.fmod, draws(normal(3, 4), positive(3, 4)), diff_argnums=(0,)),
    Spec("fmod_int", jnp.fmod, np.fmod, draws(integers(6, low=-9, high=9), integers(6, low=1, high=4)),
         grad=0),
    Spec("divmod", jnp.divmod, np.divmod, draws(integers(6, low=-9, high=9), integers(6, low=1, high=4)),
         grad=0),
    Spec("float_power", jnp.float_power, np.float_power, draws(positive(3, 4), normal(3, 4)), grad=2),
    Spec("float_power_int", jnp.float_power, lambda x, y: np.float_power(x, y),
         draws(integers(4, low=1, high=5), integers(4, low=-2, high=3)), grad=0),
    Spec("nan_to_num", jnp.nan_to_num, np.nan_to_num, _with_specials, grad=0),  # FD overflows at max
    Spec("nan_to_num_values", lambda x: jnp.nan_to_num(x, nan=-1.0, posinf=7.0, neginf=-7.0),
         lambda x: np.nan_to_num(x, nan=-1.0, posinf=7.0, neginf=-7.0), _with_specials),
    Spec("isinf", jnp.isinf, np.isinf, _with_specials, grad=0),
    Spec("isfinite", jnp.isfinite, np.isfinite, _with_specials, grad=0),
    Spec("isposinf", jnp.isposinf, np.isposinf, _with_specials, grad=0),
    Spec("isneginf", jnp.isneginf, np.isneginf, _with_specials, grad=0),
    Spec("isfinite_int", jnp.isfinite, np.isfinite, draws(integers(4)), grad=0),
    Spec("signbit", jnp.signbit, np.signbit,
         lambda rng: (np.concatenate([rng.standard_normal(4), [0.0, -0.0, np.inf, -np.inf]]),), grad=0),
    Spec("clip_min_max", lambda x: jnp.clip(x, min=-0.5, max=0.5), lambda x: np.clip(x, -0.5, 0.5),
         draws(normal(3, 4))),
    Spec("clip_a_min_only", lambda x: jnp.clip(x, a_min=0.0), lambda x: np.clip(x, 0.0, None),
         draws(normal(3, 4))),
    Spec("clip_array_bounds", lambda x, lo: jnp.clip(x, lo, 1.0), lambda x, lo: np.clip(x, lo, 1.0),
         draws(normal(3, 4), uniform(4, low=-1.0, high=0.0))),
]
