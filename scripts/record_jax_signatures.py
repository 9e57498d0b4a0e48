"""Record jax's public signatures for tests/numpy/test_signatures.py (needs jax).

    .venv/bin/python scripts/record_jax_signatures.py

writes tests/numpy/jax_signatures.json: for each public function of the jax modules that
fx mirrors, its parameters as [name, kind, repr of the default or null], so that the
test compares fx's signatures with JAX's without importing jax. Rerun it when JAX is
upgraded and review the diff.
"""
import importlib
import inspect
import json
import pathlib
import sys

import jax

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.numpy.test_signatures import MODULES, parameters  # noqa: E402


def main():
    jax.config.update("jax_enable_x64", False)
    out = {"signatures": {}}
    for module_name in MODULES:
        module = importlib.import_module(f"jax.{module_name}")
        for name in sorted(dir(module)):
            f = getattr(module, name)
            if name.startswith("_") or isinstance(f, type) or not callable(f):
                continue
            # jnp.add and friends are jnp.ufunc objects (with reduce, accumulate, ...)
            # whose call is their `_func`; fx's are plain functions.
            f = getattr(f, "_func", f)
            try:
                params = parameters(inspect.signature(f))
            except (TypeError, ValueError):  # a builtin without a signature
                continue
            out["signatures"][f"{module_name}.{name}"] = params
    path = ROOT / "tests" / "numpy" / "jax_signatures.json"
    lines = [f"  {json.dumps(q)}: {json.dumps(p)}" for q, p in sorted(out["signatures"].items())]
    path.write_text(f'{{"jax_version": "{jax.__version__}", "signatures": {{\n'
                    + ",\n".join(lines) + "\n}}\n")
    print(f"{len(out['signatures'])} signatures from jax {jax.__version__} -> {path}")


if __name__ == "__main__":
    main()
