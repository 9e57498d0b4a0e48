"""JAX's public API against fx's: `python scripts/api_inventory.py [--record-jax] [--update]`.

tests/api/api_inventory.json holds, per module, JAX's public names (recorded with
--record-jax, which needs `import jax`) and the ones fx lacks. Without flags this prints
the coverage and the names fx lacks; --update rewrites the "missing" lists from the fx
in this checkout (no JAX needed), which tests/api/test_api_inventory.py then holds fx to.
"""
import argparse
import importlib
import json
import os
import sys
import types
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
INVENTORY = os.path.join(ROOT, "tests", "api", "api_inventory.json")

# the user-facing modules, as suffixes of "jax" / "fx"
MODULES = ["", ".numpy", ".numpy.linalg", ".numpy.fft", ".lax", ".lax.linalg", ".random", ".nn",
           ".nn.initializers", ".scipy.special", ".scipy.stats", ".scipy.linalg", ".scipy.optimize", ".tree_util", ".tree",
           ".debug", ".dtypes", ".errors", ".experimental", ".test_util", ".sharding", ".typing"]


def public_names(module):
    return sorted(n for n in dir(module) if not n.startswith("_"))


def record_jax():
    warnings.simplefilter("ignore")
    return {suffix: public_names(importlib.import_module("jax" + suffix)) for suffix in MODULES}


def missing_in_fx(jax_names):
    """{module suffix: the names of JAX's module that fx's does not have}."""
    import fx
    import fx.scipy  # noqa: F401  (its submodules)
    out = {}
    for suffix, names in jax_names.items():
        try:
            module = importlib.import_module("fx" + suffix)
        except ImportError:
            module = types.SimpleNamespace()
        out[suffix] = [n for n in names if not hasattr(module, n)]
    return out


def coverage(inventory):
    total = sum(len(names) for names in inventory["jax"].values())
    lacking = sum(len(names) for names in inventory["missing"].values())
    return total - lacking, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record-jax", action="store_true", help="record JAX's names (needs jax)")
    parser.add_argument("--update", action="store_true", help="rewrite the lists of names fx lacks")
    options = parser.parse_args()
    inventory = json.load(open(INVENTORY)) if os.path.exists(INVENTORY) else {}
    if options.record_jax:
        import jax
        inventory["jax_version"] = jax.__version__
        inventory["jax"] = record_jax()
    if options.record_jax or options.update:
        inventory["missing"] = missing_in_fx(inventory["jax"])
        with open(INVENTORY, "w") as f:
            json.dump(inventory, f, indent=1, sort_keys=True)
            f.write("\n")
    have, total = coverage(inventory)
    print(f"fx has {have} of JAX {inventory['jax_version']}'s {total} public names ({100 * have / total:.1f}%)")
    for suffix, names in inventory["missing"].items():
        if names:
            print(f"  jax{suffix}: {len(names)} missing: {' '.join(names)}")


if __name__ == "__main__":
    main()
