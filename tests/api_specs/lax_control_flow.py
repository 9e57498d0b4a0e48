"""fx.lax control flow: cond, switch, while_loop, fori_loop, scan, map, associative_scan.
References are Python loops and ifs over NumPy; vmap batches the predicates too (a cond
whose predicate depends on the batched argument becomes a select, a while_loop whose
trip count does runs until every lane is done)."""
import numpy as np

import fx.numpy as jnp
from fx import lax
from tests.api_specs import Spec, draws, integers, normal, uniform


def _cond_fn(x, y):
    return lax.cond(jnp.sum(x) > 0, lambda a, b: jnp.sin(a) * b, lambda a, b: a - b * b, x, y)


def _cond_ref(x, y):
    return np.sin(x) * y if np.sum(x) > 0 else x - y * y


def _cond_pytree_fn(x):
    scale = jnp.cos(x)  # a closure constant of both branches
    def true_fun(d):
        return d["a"] * scale, (d["b"] + 1.0, d["a"].sum())
    def false_fun(d):
        return d["b"], (d["a"] * d["b"], jnp.float64(2.0) * d["b"].sum())
    return lax.cond(jnp.argmax(x), true_fun, false_fun, {"a": x, "b": x * x})


def _cond_pytree_ref(x):
    d = {"a": x, "b": x * x}
    if np.argmax(x):
        return d["a"] * np.cos(x), (d["b"] + 1.0, d["a"].sum())
    return d["b"], (d["a"] * d["b"], 2.0 * d["b"].sum())


_BRANCHES = [lambda v: jnp.sin(v), lambda v: v * v * v, lambda v: jnp.exp(-v) + v]
_NP_BRANCHES = [np.sin, lambda v: v * v * v, lambda v: np.exp(-v) + v]


def _switch_fn(k, x):
    return lax.switch(k, _BRANCHES, x)


def _switch_ref(k, x):
    return _NP_BRANCHES[int(np.clip(k, 0, 2))](x)


def _grow_fn(x):
    """Doubles until the sum passes 10: the trip count depends on the data."""
    return lax.while_loop(lambda c: jnp.sum(c[1]) < 10.0,
                          lambda c: (c[0] + 1, c[1] * 2.0 + 0.1), (0, x))


def _grow_ref(x):
    n = 0
    while np.sum(x) < 10.0:
        n, x = n + 1, x * 2.0 + 0.1
    return np.int32(n), x


def _fori_fn(x):
    return lax.fori_loop(0, 4, lambda i, v: v * jnp.cos(v) + i, x)


def _fori_ref(x):
    for i in range(4):
        x = x * np.cos(x) + i
    return x


def _fori_array_bounds_fn(x):
    return lax.fori_loop(jnp.int32(1), jnp.int32(4), lambda i, v: jnp.sin(v) * i, x)


def _fori_array_bounds_ref(x):
    for i in range(1, 4):
        x = np.sin(x) * i
    return x


def _scan_fn(x, w):
    def step(carry, a):
        h, total = carry
        h = jnp.tanh(h * w + a)
        return (h, total + jnp.sum(h)), {"h": h, "prod": h * a}
    return lax.scan(step, (jnp.zeros_like(w), 0.0), x)


def _scan_ref(x, w, reverse=False):
    h, total, hs, prods = np.zeros_like(w), 0.0, [None] * len(x), [None] * len(x)
    for i in (reversed(range(len(x))) if reverse else range(len(x))):
        h = np.tanh(h * w + x[i])
        total += np.sum(h)
        hs[i], prods[i] = h, h * x[i]
    return (h, total), {"h": np.stack(hs), "prod": np.stack(prods)}


def _scan_reverse_fn(x, w):
    def step(carry, a):
        h, total = carry
        h = jnp.tanh(h * w + a)
        return (h, total + jnp.sum(h)), {"h": h, "prod": h * a}
    return lax.scan(step, (jnp.zeros_like(w), 0.0), x, reverse=True)


def _scan_no_xs_fn(x):
    return lax.scan(lambda c, _: (c * 0.5 + jnp.sin(c), c * c), x, None, length=4)


def _scan_no_xs_ref(x):
    ys = []
    for _ in range(4):
        ys.append(x * x)
        x = x * 0.5 + np.sin(x)
    return x, np.stack(ys)


def _map_ref(x):
    return np.stack([np.sum(np.sin(r)) * r for r in x])


def _linear_recurrence(a, b):
    """(a1, b1) then (a2, b2): x -> a2 * (a1 * x + b1) + b2, an associative composition."""
    return a[0] * b[0], b[0] * a[1] + b[1]


def _recurrence_ref(x, y):
    a, b = [x[0]], [y[0]]
    for i in range(1, len(x)):
        a.append(a[-1] * x[i])
        b.append(x[i] * b[-1] + y[i])
    return np.stack(a), np.stack(b)


def _cumprod_reverse_ref(x):
    return np.flip(np.cumprod(np.flip(x, 1), axis=1), 1)


SPECS = [
    Spec("lax.cond", _cond_fn, _cond_ref, draws(normal(4), normal(4)), grad=2),
    Spec("lax.cond/int_pred_pytree", _cond_pytree_fn, _cond_pytree_ref, draws(normal(3)), grad=2),
    Spec("lax.switch", _switch_fn, _switch_ref,
         draws(integers(low=-2, high=5, dtype=np.int32), normal(3)), grad=2),
    Spec("lax.while_loop/data_dependent_trips", _grow_fn, _grow_ref, draws(uniform(3, low=0.1, high=1.0)), grad=0),
    Spec("lax.fori_loop", _fori_fn, _fori_ref, draws(normal(3)), grad=2),
    Spec("lax.fori_loop/array_bounds", _fori_array_bounds_fn, _fori_array_bounds_ref,
         draws(normal(2, 2))),
    Spec("lax.scan", _scan_fn, _scan_ref, draws(normal(5, 3), normal(3)), grad=2),
    Spec("lax.scan/reverse", _scan_reverse_fn, lambda x, w: _scan_ref(x, w, True),
         draws(normal(4, 2), normal(2))),
    Spec("lax.scan/no_xs", _scan_no_xs_fn, _scan_no_xs_ref, draws(normal(3)), grad=2),
    Spec("lax.map", lambda x: lax.map(lambda r: jnp.sum(jnp.sin(r)) * r, x), _map_ref,
         draws(normal(4, 3))),
    Spec("lax.map/batch_size", lambda x: lax.map(lambda r: jnp.sum(jnp.sin(r)) * r, x,
                                                 batch_size=2), _map_ref, draws(normal(5, 3))),
    Spec("lax.associative_scan/add", lambda x: lax.associative_scan(jnp.add, x),
         lambda x: np.cumsum(x, 0), draws(normal(7, 2))),
    Spec("lax.associative_scan/mul_reverse_axis1",
         lambda x: lax.associative_scan(jnp.multiply, x, reverse=True, axis=1),
         _cumprod_reverse_ref, draws(normal(2, 6)), grad=2),
    Spec("lax.associative_scan/pytree", lambda x, y: lax.associative_scan(_linear_recurrence, (x, y)),
         _recurrence_ref, draws(normal(5), normal(5))),
]
