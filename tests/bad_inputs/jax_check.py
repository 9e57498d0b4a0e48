"""Rerun harness calls under JAX (scripts only: fx's tests never import jax).

Lists the calls where fx returns a value and JAX raises, where both return different
values, and where fx raises but JAX returns (a pool tag that may be wrong)."""
from __future__ import annotations

import warnings

from tests.bad_inputs.harness import _agree
from tests.bad_inputs.targets import FIXTURES


def _namespace():
    import jax
    import jax.numpy as jnp
    import numpy as np
    ns = {"np": np, "jax": jax, "jnp": jnp, "lax": jax.lax, "nn": jax.nn, "random": jax.random}
    for name, code in FIXTURES.items():
        ns[name] = eval(code, ns)
    return ns


def _run(ns, src):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return True, eval(src, dict(ns))
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {str(exc)[:120]}"


def compare(report):
    ns = _namespace()
    fx_ns = None
    lists = {"fx returns, JAX raises": [], "fx and JAX values differ": [], "fx raises, JAX returns": []}
    for r in report.records:
        if r["outcome"] in ("crash", "hang") or "2 ** 6" in r["src"]:
            continue
        ok, value = _run(ns, r["src"])
        if r["outcome"] in ("ok", "silent", "broken") and not r["detail"].startswith(("TypeError", "ValueError")):
            if not ok:
                lists["fx returns, JAX raises"].append(f"{r['src']}  # JAX {value}")
            else:
                if fx_ns is None:
                    fx_ns = _fx_namespace()
                fx_ok, fx_value = _run(fx_ns, r["src"])
                problem = fx_ok and _safe_agree(fx_value, value)
                if problem:
                    lists["fx and JAX values differ"].append(f"{r['src']}  # {problem}")
        elif ok:
            lists["fx raises, JAX returns"].append(f"{r['src']}  # fx {r['detail'][:100]}")
    for title, lines in lists.items():
        print(f"\n== {title} ({len(lines)})")
        print("\n".join(sorted(lines)))


def _safe_agree(a, b):
    try:
        return _agree(a, b, "JAX")
    except Exception as exc:  # noqa: BLE001
        return f"cannot compare: {exc}"


def _fx_namespace():
    from tests.bad_inputs.harness import _reference_helpers
    from tests.bad_inputs.pools import namespace
    ns = namespace()
    ns.update(_reference_helpers())
    for name, code in FIXTURES.items():
        ns[name] = eval(code, ns)
    return ns
