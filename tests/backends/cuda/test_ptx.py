"""Every kernel the cuda backend generates compiles for a real GPU: PTX through libNVVM,
in a subprocess without the simulator (no GPU needed), so the type and code-generation
errors the simulator cannot see fail here."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx import lax
from fx.core import primitives

HIGHER_ORDER = {"jit", "custom_jvp_call", "custom_vjp_call", "custom_lin"}


def example_programs():
    """A closed jaxpr per registered primitive example, of the dtypes the backend supports
    (it refuses the others before lowering: the conformance tests check that)."""
    from fx.backends.cuda.backend import supports_dtype
    for name, prim in sorted(primitives.items()):
        if name not in HIGHER_ORDER:
            for ex in prim.examples:
                closed = fx.make_jaxpr(lambda *a, p=prim, ex=ex: p.bind(*a, **ex.params))(*ex.args)
                if all(supports_dtype(a.dtype) for a in closed.in_avals + closed.out_avals):
                    yield closed


def model_programs():
    """Training-shaped programs: an MLP's gradient step, row softmax, a scanned RNN, long
    sorts (a block per line) and the gradient of a gather (an atomic scatter-add)."""
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((64, 32)), rng.standard_normal((16, 64))

    def loss(w, x):
        logits = jnp.tanh(x @ w)
        return jnp.mean(fx.nn.logsumexp(logits, axis=1) - logits[:, 0])

    def rnn(w, xs):
        return lax.scan(lambda h, x: (jnp.tanh(h @ w[:32, :] + x[:32]), h), jnp.zeros(32), xs)[0]
    yield fx.make_jaxpr(fx.grad(loss))(w, x)
    yield fx.make_jaxpr(lambda x: fx.nn.softmax(x * 3, axis=-1))(x)
    yield fx.make_jaxpr(fx.grad(lambda w, xs: jnp.sum(rnn(w, xs))))(w, x)
    yield fx.make_jaxpr(lambda x: (jnp.sort(x, axis=1), lax.top_k(x, 3),
                                   lax.sort((x.astype(np.int32), x), num_keys=2)))(x)
    yield fx.make_jaxpr(fx.grad(lambda w, i: jnp.sum(w[i] ** 2)))(w, np.arange(40) % 7)


def main(which):
    """Compile the PTX of every kernel of the programs named by `which`; print a summary."""
    from fx.backends.cuda.backend import GPU, compile_ptx
    from fx.ir.lower import lower_jaxpr
    from fx.ir.passes import optimize
    fx.config.update("enable_x64", True)
    ptx = [text for closed in globals()[which]()
           for text in compile_ptx(lower_jaxpr(optimize(closed), GPU))]
    print(json.dumps({"kernels": len(ptx), "entries": sum(t.count(".entry") for t in ptx),
                      "barriers": sum("bar.sync" in t for t in ptx)}))


def compile_in_subprocess(which):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    done = subprocess.run(
        [sys.executable, "-c", f"from tests.backends.cuda.test_ptx import main; main({which!r})"],
        env=env, capture_output=True, text=True, timeout=600,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_model_kernels_compile_to_ptx():
    summary = compile_in_subprocess("model_programs")
    assert summary["kernels"] >= 10 and summary["entries"] == summary["kernels"]
    assert summary["barriers"] >= 1  # the softmax rows reduce as blocks


@pytest.mark.slow
def test_every_primitive_example_compiles_to_ptx():
    summary = compile_in_subprocess("example_programs")
    assert summary["kernels"] >= 250 and summary["entries"] == summary["kernels"]
