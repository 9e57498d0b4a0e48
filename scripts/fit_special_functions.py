"""Print the Chebyshev coefficients fx/lax/special.py evaluates: `python scripts/fit_special_functions.py`.

Each function is computed at the Chebyshev nodes of its interval with Python's decimal
module (60 digits: convergent series and continued fractions, no floating-point
cancellation), and its coefficients are the discrete Chebyshev transform of those values,
also in decimal. Rounded once to float64 they reproduce the function to ~1 ulp; fitting in
float64 instead (numpy.polynomial) leaves ~1e-14 of noise in the coefficients.
"""
from decimal import Decimal as D, getcontext

getcontext().prec = 60
PI = D("3.14159265358979323846264338327950288419716939937510582097494459")
NODES = 64


def cos(x):
    """cos of a Decimal by its Taylor series (|x| <= pi here)."""
    term, total, k = D(1), D(1), 0
    while abs(term) > D(10) ** -62:
        k += 2
        term = -term * x * x / (k * (k - 1))
        total += term
    return total


def erfcx(z):
    """exp(z^2) erfc(z) for z >= 0.5: the Maclaurin series of erf below 3 (no cancellation
    at 60 digits), else the continued fraction 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...))))/sqrt(pi)."""
    if z < 3:
        term, total, n = z, z, 0
        while abs(term) > D(10) ** -64:
            n += 1
            term = -term * z * z / n
            total += term / (2 * n + 1)
        return (1 - 2 * total / PI.sqrt()) * (z * z).exp()
    fraction = z
    for n in range(400, 0, -1):
        fraction = z + D(n) / 2 / fraction
    return 1 / (fraction * PI.sqrt())


def bessel_i(order, x):
    """exp(-x) I_order(x) (order 0 or 1) by its series, whose terms are all positive."""
    term = (x / 2) ** order
    total, k = term, 0
    while term > D(10) ** -64 * total:
        k += 1
        term = term * (x / 2) ** 2 / (k * (k + order))
        total += term
    return total * (-x).exp()


def chebyshev(f, lo, hi, degree):
    """Coefficients c of f on [lo, hi]: f(u) = sum c_k T_k(y), y = (2u - lo - hi)/(hi - lo)."""
    lo, hi = D(lo), D(hi)
    ys = [cos(PI * (j + D("0.5")) / NODES) for j in range(NODES)]
    values = [f((y * (hi - lo) + lo + hi) / 2) for y in ys]
    t_prev, t = [D(1)] * NODES, ys[:]
    coefficients = [sum(values) / NODES]
    for _ in range(degree):
        coefficients.append(2 * sum(v * tk for v, tk in zip(values, t)) / NODES)
        t_prev, t = t, [2 * y * tk - tp for y, tk, tp in zip(ys, t, t_prev)]
    return [float(c) for c in coefficients]


FITS = {
    # erfc(z) = t exp(-z^2 + g(t)) with t = 2/(2 + z), z >= 0.5
    "ERFC_LOG": (lambda t: (erfcx(2 / t - 2) / t).ln(), "0", "0.8", 30),
    "I0E_SMALL": (lambda x: bessel_i(0, x), "0", "8", 34),              # i0e(x), 0 <= x <= 8
    "I0E_LARGE": (lambda w: (16 / w).sqrt() * bessel_i(0, 16 / w), "0", "2", 26),  # sqrt(x) i0e(x), w = 16/x
    "I1E_SMALL": (lambda x: bessel_i(1, x) / x, "0", "8", 34),          # i1e(x) / x
    "I1E_LARGE": (lambda w: (16 / w).sqrt() * bessel_i(1, 16 / w), "0", "2", 26),
}

if __name__ == "__main__":
    for name, (f, lo, hi, degree) in FITS.items():
        coefficients = chebyshev(f, lo, hi, degree)
        print(f"_{name} = [  # on [{lo}, {hi}]")
        print("\n".join(f"    {c!r}," for c in coefficients))
        print("]")
