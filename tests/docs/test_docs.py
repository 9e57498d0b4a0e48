"""The docs are tested so they cannot rot: every notebook runs top to bottom in a fresh
kernel, every ```python block of README.md runs in order in one namespace, and the digits
MLP example (`make demo`) reaches 95% test accuracy."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXAMPLE = ROOT / "examples" / "train_mlp.py"


def _child_env():
    """The environment for child processes: fx importable from this checkout even when it
    is not installed, and no x64 flag leaking in from the caller."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    for var in ("FX_ENABLE_X64", "JAX_ENABLE_X64"):
        env.pop(var, None)
    return env


# --------------------------------------------------------------------------- README

def readme_blocks():
    """(line, source, expected) for each ```python block of README.md, in order. A ```text
    block that follows a python block directly (only blank lines between) is the output that
    block prints, and is checked, so pasted output cannot drift; otherwise expected is None."""
    text = README.read_text(encoding="utf-8")
    fence = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
    fences = list(fence.finditer(text))
    blocks = []
    for i, m in enumerate(fences):
        if m.group(1) != "python":
            continue
        expected = None
        nxt = fences[i + 1] if i + 1 < len(fences) else None
        if nxt is not None and nxt.group(1) == "text" and not text[m.end():nxt.start()].strip():
            expected = nxt.group(2)
        blocks.append((text.count("\n", 0, m.start(2)) + 1, m.group(2), expected))
    return blocks


def test_readme_has_python_blocks():
    assert len(readme_blocks()) >= 3, "README.md lost its tour (no ```python blocks found)"


_RUN_README = """
import contextlib, io, json, sys
blocks = json.loads(sys.stdin.read())
ns = {"__name__": "__readme__"}
for line, src, expected in blocks:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        # Pad with newlines so tracebacks point at the README's own line numbers.
        exec(compile("\\n" * (line - 1) + src, "README.md", "exec"), ns)
    if expected is not None and out.getvalue().strip() != expected.strip():
        sys.exit(f"README.md line {line}: the block printed\\n{out.getvalue()}\\n"
                 f"but the README shows\\n{expected}\\n(paste the real output)")
print("README OK", len(blocks), "blocks")
"""


def test_readme_python_blocks_run_in_order():
    """Every ```python block of README.md runs, in order, in one namespace."""
    # A fresh interpreter, so global state (config, caches) from other tests cannot leak in.
    proc = subprocess.run([sys.executable, "-c", _RUN_README], input=json.dumps(readme_blocks()),
                          cwd=ROOT, env=_child_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"a README.md block failed:\n{proc.stdout}\n{proc.stderr}"
    assert "README OK" in proc.stdout


# --------------------------------------------------------------------------- notebook

def _kernel_manager(tmp_path):
    """A kernel manager whose `python3` kernel is this interpreter (sys.executable), whatever
    kernelspecs the machine has installed elsewhere."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (fx tests)",
        "language": "python",
        "env": {"PYTHONPATH": _child_env()["PYTHONPATH"]},
    }))
    ksm = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return KernelManager(kernel_name="python3", kernel_spec_manager=ksm)


def notebooks():
    return [pytest.param(path, id=path.stem) for path in NOTEBOOKS]


@pytest.mark.parametrize("notebook", notebooks())
def test_notebook_is_clean_nbformat4(notebook):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, \
                f"commit notebooks/{notebook.name} with its outputs cleared"


# What each notebook must print, beyond running without an error.
NOTEBOOK_PRINTS = {
    "quickstart": ["{ lambda"],                                   # the make_jaxpr cell
    "mlp_digits": ["MLP test accuracy", "CNN test accuracy"],     # asserted >= 95% inside
    "rnn_and_higher_order": ["mean squared error", "scan[", "residuals per step: 1 ",
                             "Newton iteration", "finite differences", "loss on unseen tasks"],
    "gpu": ["y lives on CudaDevice(id=0)", "def k_", "the GPU's parameters match the CPU's"],
    "profiling": ["statement  kind", "gemm", "outside the statements:", "slowest: g"],
}


@pytest.mark.slow
@pytest.mark.parametrize("notebook", notebooks())
def test_notebook_runs_top_to_bottom(notebook, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(notebook, as_version=4)
    client = nbclient.NotebookClient(
        nb, km=_kernel_manager(tmp_path), kernel_name="python3", timeout=300,
        resources={"metadata": {"path": str(notebook.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any failure
    text = "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.outputs)
    for expected in NOTEBOOK_PRINTS[notebook.stem]:
        assert expected in text, f"{notebook.name} printed no {expected!r}"


# --------------------------------------------------------------------------- example

@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])  # bfloat16: mixed precision
def test_train_mlp_example_reaches_95_percent(dtype):
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--dtype", dtype], cwd=ROOT, env=_child_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"examples/train_mlp.py failed:\n{proc.stdout}\n{proc.stderr}"
    m = re.search(r"test accuracy ([0-9.]+)%", proc.stdout)
    assert m, f"no test accuracy line in the output:\n{proc.stdout}"
    assert float(m.group(1)) >= 95.0
    assert "[" + "#" * 30 + "]" in proc.stdout  # the progress bar reached its end
