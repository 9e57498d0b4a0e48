"""The layer order of fx's imports, read from the source with `ast` (no import is run).

Layers, bottom first; a module may import its own layer or any layer below it, never above:

  core      fx/__init__-free basics: fx.core, fx.dtypes, fx.tree_util, fx.tree, fx.array,
            fx.config, fx.errors, fx.argcheck (values, avals, tracers, pytrees, options)
  ir        fx.ir (jaxprs, the kernel program, lowering)
  backends  fx.backends (compile and run kernel programs)
  transforms fx.transforms (jvp, vmap, transpose, staging, jit, custom rules)
  lax       fx.lax (primitives and their wrappers; may import transforms, never the reverse)
  api       fx.api
  libraries fx.numpy, fx.nn, fx.random, fx.scipy

fx/__init__.py sits above everything and is not checked. Both module-level imports and
imports inside functions count: a function-level import still ties the layers together.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

FX = pathlib.Path(__file__).resolve().parents[2] / "fx"

LAYERS = [
    ("core", ["fx.core", "fx.dtypes", "fx.tree_util", "fx.tree", "fx.array", "fx.config",
              "fx.errors", "fx.argcheck", "fx.sharding", "fx.source_info", "fx.typing"]),
    ("ir", ["fx.ir"]),
    ("backends", ["fx.backends"]),
    ("transforms", ["fx.transforms"]),
    ("lax", ["fx.lax"]),
    ("api", ["fx.api", "fx.callbacks", "fx.runtime"]),
    ("libraries", ["fx.numpy", "fx.nn", "fx.random", "fx.scipy", "fx.test_util", "fx.debug",
                   "fx.experimental"]),
]


def layer_of(module):
    """The index in LAYERS of `module` (a dotted name), or None for fx itself."""
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def module_name(path):
    parts = path.relative_to(FX.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def fx_imports(path):
    """(line, imported module) for every import of an fx module in the file, at any depth."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from fx import lax` imports fx.lax; `from fx.lax import add` imports fx.lax
            targets = [f"{base}.{alias.name}" if layer_of(base) is None else base
                       for alias in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target == "fx" or target.startswith("fx."):
                yield node.lineno, target


# Upward imports not yet removed (issue 10, part 4), as (module, imported module). The test
# fails on any upward import not listed here, and on any entry here that has gone, so the
# list only shrinks.
KNOWN_UPWARD = {
    ("fx.transforms.batching", "fx.lax"),            # moveaxis, bdim_at_front
    ("fx.transforms.custom", "fx.lax"),
    ("fx.transforms.jvp", "fx.lax"),                 # zeros_like_aval uses lax.full
}

MODULES = sorted(p for p in FX.rglob("*.py") if p != FX / "__init__.py")


def test_every_module_has_a_layer():
    assert [module_name(p) for p in MODULES if layer_of(module_name(p)) is None] == []


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_imports_point_down(path):
    name = module_name(path)
    rank = layer_of(name)
    upward = [(line, target) for line, target in fx_imports(path)
              if layer_of(target) is not None and layer_of(target) > rank]
    new = [f"{path.relative_to(FX.parent)}:{line} ({LAYERS[rank][0]}) imports {target} "
           f"({LAYERS[layer_of(target)][0]})"
           for line, target in upward if (name, target) not in KNOWN_UPWARD]
    if new:
        pytest.fail("imports against the layer order:\n" + "\n".join(new), pytrace=False)
    gone = {known for known in KNOWN_UPWARD if known[0] == name} - {(name, t) for _, t in upward}
    assert not gone, f"remove from KNOWN_UPWARD, these imports are gone: {sorted(gone)}"
