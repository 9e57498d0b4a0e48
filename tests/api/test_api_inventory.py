"""fx against JAX's public API, as recorded in tests/api/api_inventory.json by
scripts/api_inventory.py (JAX's names per module, and those fx lacks): a name fx loses
fails here, a name fx gains asks for the list to be updated, and the README quotes the
current coverage."""
import importlib.util
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("api_inventory", os.path.join(ROOT, "scripts", "api_inventory.py"))
api_inventory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_inventory)

with open(api_inventory.INVENTORY) as _f:
    INVENTORY = json.load(_f)


def test_fx_lacks_exactly_the_listed_names():
    now = api_inventory.missing_in_fx(INVENTORY["jax"])
    lost = {f"jax{m}.{n}" for m, names in now.items() for n in names} - {
        f"jax{m}.{n}" for m, names in INVENTORY["missing"].items() for n in names}
    gained = {f"jax{m}.{n}" for m, names in INVENTORY["missing"].items() for n in names} - {
        f"jax{m}.{n}" for m, names in now.items() for n in names}
    assert not lost, f"fx no longer has these names of JAX's API: {sorted(lost)}"
    assert not gained, (f"fx now has {sorted(gained)}: run `python scripts/api_inventory.py --update` "
                        "and put the new coverage in README.md")


def test_readme_quotes_the_coverage():
    have, total = api_inventory.coverage(INVENTORY)
    figure = f"{have:,} of the {total:,} public names of JAX {INVENTORY['jax_version']}"
    with open(os.path.join(ROOT, "README.md")) as f:
        assert figure in f.read(), f"README.md should say: {figure} ({100 * have / total:.0f}%)"
