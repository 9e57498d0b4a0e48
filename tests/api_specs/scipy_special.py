"""fx.scipy.special against scipy.special: values, jit, gradients against finite
differences and vmap, on arguments drawn away from poles and branch points."""
import numpy as np
import scipy.special as sp

import fx.scipy.special as fs
from tests.api_specs import Spec, draws, normal, positive, uniform


def _signed_away_from_poles(*shape):
    """Floats in (-6, 6), none within 0.1 of a non-positive integer."""
    def draw(rng):
        x = rng.uniform(-6, 6, shape)
        return np.where(np.abs(x - np.round(x)) < 0.1, x + 0.3, x)
    return draw


SPECS = [
    Spec("special_gammaln", fs.gammaln, sp.gammaln, draws(_signed_away_from_poles(3, 4)), grad=2, rtol=1e-12,
         atol=1e-14),
    Spec("special_gamma", fs.gamma, sp.gamma, draws(_signed_away_from_poles(5)), rtol=1e-12),
    Spec("special_gammasgn", fs.gammasgn, sp.gammasgn, draws(_signed_away_from_poles(6)), grad=0),
    Spec("special_digamma", fs.digamma, sp.digamma, draws(_signed_away_from_poles(3, 4)), grad=2, rtol=1e-12,
         atol=1e-14),
    Spec("special_polygamma", lambda x: fs.polygamma(np.array([1, 2, 3]), x),
         lambda x: sp.polygamma([1, 2, 3], x), draws(positive(3, low=0.2, high=9.0)), rtol=1e-12),
    Spec("special_polygamma_negative_x", lambda x: fs.polygamma(1, x), lambda x: sp.polygamma(1, x),
         draws(_signed_away_from_poles(4)), rtol=1e-10),
    Spec("special_zeta", lambda q: fs.zeta(np.array([2.0, 3.5, 7.0]), q), lambda q: sp.zeta([2.0, 3.5, 7.0], q),
         draws(positive(3, low=0.1, high=20.0)), rtol=1e-12),
    Spec("special_gammainc", fs.gammainc, sp.gammainc, draws(positive(6, low=0.1, high=30.0),
                                                             positive(6, low=0.01, high=40.0)), grad=2, rtol=1e-12),
    Spec("special_gammaincc", fs.gammaincc, sp.gammaincc, draws(positive(6, low=0.1, high=30.0),
                                                               positive(6, low=0.01, high=40.0)), rtol=1e-12),
    Spec("special_betainc", fs.betainc, sp.betainc, draws(positive(6, low=0.1, high=20.0), positive(6, low=0.1, high=20.0),
                                                          uniform(6, low=0.01, high=0.99)), grad=2, rtol=1e-12),
    Spec("special_betaln", fs.betaln, sp.betaln, draws(positive(3, low=0.1, high=30.0),
                                                       positive(3, low=0.1, high=30.0)), grad=2, rtol=1e-12),
    Spec("special_beta", fs.beta, sp.beta, draws(positive(3, low=0.2, high=5.0), positive(3, low=0.2, high=5.0)),
         rtol=1e-12),
    Spec("special_multigammaln", lambda a: fs.multigammaln(a, 3), lambda a: sp.multigammaln(a, 3),
         draws(positive(4, low=1.1, high=9.0)), rtol=1e-12),
    Spec("special_poch", fs.poch, sp.poch, draws(positive(4, low=0.5, high=5.0), uniform(4, low=-0.4, high=3.0)),
         rtol=1e-11),
    Spec("special_factorial", fs.factorial, sp.factorial, draws(positive(4, low=0.0, high=12.0)), rtol=1e-12),
    Spec("special_erf", fs.erf, sp.erf, draws(normal(3, 4)), grad=2),
    Spec("special_erfc", fs.erfc, sp.erfc, draws(lambda rng: rng.uniform(-8, 25, (3, 4))), grad=2, rtol=1e-13,
         atol=0),
    Spec("special_erfcx", fs.erfcx, sp.erfcx, draws(lambda rng: rng.uniform(-3, 50, (3, 4))), grad=2, rtol=1e-13),
    Spec("special_erfinv", fs.erfinv, sp.erfinv, draws(uniform(3, 4, low=-0.999, high=0.999)), grad=2, rtol=1e-13),
    Spec("special_ndtr", fs.ndtr, sp.ndtr, draws(lambda rng: rng.uniform(-35, 8, (3, 4))), rtol=1e-12, atol=0),
    Spec("special_log_ndtr", fs.log_ndtr, sp.log_ndtr, draws(lambda rng: rng.uniform(-1e3, 40, (3, 4))), grad=2,
         rtol=1e-13),
    Spec("special_ndtri_tails", fs.ndtri, sp.ndtri, draws(lambda rng: 10.0 ** rng.uniform(-300, -0.0001, (3, 4))),
         grad=0, rtol=1e-13),
    Spec("special_ndtri", fs.ndtri, sp.ndtri, draws(uniform(3, 4, low=1e-4, high=0.5)), grad=2, rtol=1e-13),
    Spec("special_ndtri_upper", fs.ndtri, sp.ndtri, draws(uniform(3, 4, low=0.5, high=0.999999)), rtol=1e-12),
    Spec("special_xlogy", fs.xlogy, sp.xlogy, draws(normal(3, 4), positive(3, 4))),
    Spec("special_xlogy_zero", fs.xlogy, sp.xlogy, lambda rng: (np.array([0.0, 0.0, 2.0]), np.array([0.0, 3.0, 0.5])),
         grad=0),
    Spec("special_xlog1py", fs.xlog1py, sp.xlog1py, draws(normal(3, 4), positive(3, 4, low=-0.5))),
    Spec("special_entr", fs.entr, sp.entr, draws(positive(5, low=0.01, high=3.0))),
    Spec("special_rel_entr", fs.rel_entr, sp.rel_entr, draws(positive(5), positive(5))),
    Spec("special_kl_div", fs.kl_div, sp.kl_div, draws(positive(5), positive(5))),
    Spec("special_expit", fs.expit, sp.expit, draws(normal(3, 4)), grad=2),
    Spec("special_logit", fs.logit, sp.logit, draws(uniform(3, 4, low=1e-6, high=1 - 1e-6)), rtol=1e-12),
    Spec("special_boxcox", fs.boxcox, sp.boxcox, draws(positive(4), uniform(4, low=-2, high=2))),
    Spec("special_boxcox1p", fs.boxcox1p, sp.boxcox1p, draws(positive(4, low=-0.5), uniform(4, low=-2, high=2))),
    Spec("special_logsumexp_b_sign", lambda a, b: fs.logsumexp(a, axis=1, b=b, return_sign=True),
         lambda a, b: sp.logsumexp(a, axis=1, b=b, return_sign=True), draws(normal(3, 4), normal(3, 4)), grad=0),
    Spec("special_softmax_all_axes", fs.softmax, sp.softmax, draws(normal(3, 4))),
    Spec("special_log_softmax_axis", lambda x: fs.log_softmax(x, axis=0), lambda x: sp.log_softmax(x, axis=0),
         draws(normal(3, 4))),
    Spec("special_i0e", fs.i0e, sp.i0e, draws(lambda rng: rng.uniform(-30, 30, (3, 4))), grad=2, rtol=1e-14),
    Spec("special_i1e", fs.i1e, sp.i1e, draws(lambda rng: rng.uniform(-30, 30, (3, 4))), grad=2, rtol=1e-14),
    Spec("special_i0", fs.i0, sp.i0, draws(uniform(3, 4, low=-20, high=20)), rtol=1e-14),
    Spec("special_i1", fs.i1, sp.i1, draws(uniform(3, 4, low=-20, high=20)), rtol=1e-14),
]
