"""The issue #3 and #5 benchmark workloads, each written once against the JAX API plus a NumPy version.

A workload's `jax_api(ns)` gets a namespace `ns` with `ns.jax` (fx or jax), `ns.jnp`
(fx.numpy or jax.numpy) and `ns.nn` (fx.nn or jax.nn) and returns the plain function to
time; `run.py` wraps it in `ns.jit` (so `--backend` applies) and feeds it the workload's
inputs, converted with `ns.jnp.asarray`. `numpy_fn` is the same computation in NumPy on
the same float32 inputs (hand-written backpropagation where there is a gradient); its
output is the reference every fx and JAX result is checked against. Control flow and
checkpoint come from the namespace too: `ns.jax.lax.scan`, `ns.jax.checkpoint`.

`jax_anchor_s` is JAX's time on the reference machine (../shared/bench/ANCHORS.md); the
targets compare fx with JAX measured in the same run, not with the anchor.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
MLP_SIZES = (784, 1024, 1024, 10)
MLP_BATCH = 256
SGD_LR = 0.01


@dataclass(frozen=True)
class Workload:
    name: str
    what: str                                   # one line, for tables and the README
    inputs: Callable[[np.random.Generator], tuple]   # float32 NumPy inputs (positional args)
    jax_api: Callable[[Any], Callable]          # ns -> function of the inputs (run.py jits it)
    numpy_fn: Callable                          # same computation in NumPy
    jax_anchor_s: float | None                  # JAX per-call time in ANCHORS.md
    target: float | None = None              # pass when fx time / JAX time <= target
    rtol: float = 1e-4                          # max |fx - numpy| / max |numpy|
    first_call_target: float | None = None   # also compare first calls (trace + compile)
    jax_anchor_first_s: float | None = None
    memory_vs: str | None = None             # compare peak RSS growth with this workload's:
    memory_slack_mb: float | None = None     # ... pass within this many MB above it,
    memory_times_below: float | None = None  # ... or at least this many times below it
    check_view: Callable | None = None       # (inputs, output) -> what the check compares
    flops: int | None = None                 # for GFLOP/s in the JSON output
    bytes: int | None = None                 # bytes read + written, for GB/s in the JSON
    notes: str = ""


def _normal(shape, scale=1.0):
    return lambda rng: ((rng.standard_normal(shape) * scale).astype(np.float32),)


# ----------------------------------------------------------------------- tanh-GELU
def gelu_jax(ns):
    jnp = ns.jnp

    def gelu(x):
        return 0.5 * x * (1.0 + jnp.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
    return gelu


def gelu_numpy(x):
    return 0.5 * x * (1.0 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))


# ------------------------------------------------------- row softmax / logsumexp
def softmax_jax(ns):
    return lambda x: ns.nn.softmax(x, axis=1)


def logsumexp_jax(ns):
    return lambda x: ns.nn.logsumexp(x, axis=1)


def softmax_numpy(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logsumexp_numpy(x):
    m = x.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))[:, 0]


# ------------------------------------------------------------- MLP training step
def mlp_inputs_of(batch):
    """The MLP's inputs (params, x, one-hot y) for a batch of `batch` examples."""
    def make(rng):
        params = []
        for fan_in, fan_out in itertools.pairwise(MLP_SIZES):
            params.append((rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / fan_in)).astype(np.float32))
            params.append(np.full((fan_out,), 0.01, np.float32))
        x = rng.standard_normal((batch, MLP_SIZES[0])).astype(np.float32)
        y = np.eye(MLP_SIZES[-1], dtype=np.float32)[rng.integers(0, MLP_SIZES[-1], batch)]
        return tuple(params), x, y
    return make


mlp_inputs = mlp_inputs_of(MLP_BATCH)


def mlp_step_jax(ns):
    jax, jnp, nn = ns.jax, ns.jnp, ns.nn

    def loss(params, x, y):
        *hidden, w_out, b_out = params
        h = x
        for w, b in zip(hidden[::2], hidden[1::2]):
            h = nn.relu(h @ w + b)
        logits = h @ w_out + b_out
        return -jnp.sum(y * nn.log_softmax(logits, axis=1)) / x.shape[0]

    def train_step(params, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        return tuple(p - SGD_LR * g for p, g in zip(params, grads)), value
    return train_step


def mlp_step_numpy(params, x, y):
    """Forward, hand-written backward (ReLU layers, mean softmax cross-entropy), SGD."""
    weights, biases = params[0::2], params[1::2]
    activations = [x]
    for w, b in zip(weights[:-1], biases[:-1]):
        activations.append(np.maximum(activations[-1] @ w + b, 0))
    logits = activations[-1] @ weights[-1] + biases[-1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -(y * log_probs).sum() / x.shape[0]
    delta = (np.exp(log_probs) - y) / x.shape[0]          # d loss / d logits
    grads = []
    for i in reversed(range(len(weights))):
        grads[:0] = [activations[i].T @ delta, delta.sum(axis=0)]
        if i:
            delta = (delta @ weights[i].T) * (activations[i] > 0)
    return tuple(p - np.float32(SGD_LR) * g for p, g in zip(params, grads)), loss


def mlp_step_update(inputs, output):
    """Check the SGD update (new - old params) and the loss: new params alone differ from
    the old ones by ~1e-3 relative, so a wrong gradient would pass a check on them."""
    params, (new_params, loss) = inputs[0], output
    return tuple(np.float64(n) - np.float64(p) for n, p in zip(new_params, params)), loss


# -------------------------------------------------------------- dispatch overhead
def dispatch_jax(ns):
    return lambda x, y: x * y + 1.0


def dispatch_numpy(x, y):
    return x * y + 1.0


# ------------------------------------------------- fine-grained product / matmul
def fine_grained_jax(ns):
    jnp = ns.jnp
    return lambda a, b: jnp.sum(a[:, :, None] * b[None, :, :], axis=1)


def fine_grained_numpy(a, b):
    return np.sum(a[:, :, None] * b[None, :, :], axis=1)


def matmul_jax(ns):
    return lambda a, b: a @ b


def matmul_numpy(a, b):
    return a @ b


def _pair(m, k, n):
    return lambda rng: (rng.standard_normal((m, k)).astype(np.float32),
                        rng.standard_normal((k, n)).astype(np.float32))


# ------------------------------------------------------- RNN: lax.scan + BPTT
def rnn_inputs(steps, batch, n_in, hidden, depth):
    """(params, xs, h0): params = (wx, wh, b, *deep), `deep` the depth - 1 square weights of
    the extra tanh layers each step applies after the recurrent one."""
    def make(rng):
        wx = (rng.standard_normal((n_in, hidden)) / math.sqrt(n_in)).astype(np.float32)
        deep = [(rng.standard_normal((hidden, hidden)) / math.sqrt(hidden)).astype(np.float32)
                for _ in range(depth)]
        b = np.zeros((hidden,), np.float32)
        xs = rng.standard_normal((steps, batch, n_in)).astype(np.float32)
        return (wx, deep[0], b, *deep[1:]), xs, np.zeros((batch, hidden), np.float32)
    return make


def rnn_grad_jax(checkpoint=False):
    """jit(value_and_grad) of the sum of the last state of a tanh RNN run with lax.scan;
    with `checkpoint`, the step is fx.checkpoint/jax.checkpoint-ed: the backward pass
    recomputes its layers from the saved state instead of keeping them for every step."""
    def make(ns):
        jax, jnp = ns.jax, ns.jnp

        def loss(params, xs, h0):
            wx, wh, b, *deep = params

            def step(h, x):
                h = jnp.tanh(x @ wx + h @ wh + b)
                for w in deep:
                    h = jnp.tanh(h @ w)
                return h, None
            h, _ = jax.lax.scan(jax.checkpoint(step) if checkpoint else step, h0, xs)
            return jnp.sum(h)
        return jax.value_and_grad(loss)
    return make


def rnn_grad_numpy(params, xs, h0):
    """Forward keeping every layer's output, then hand-written backpropagation through time."""
    wx, wh, b, *deep = params
    h, tape = h0, []
    for x in xs:
        outs = [h, np.tanh(x @ wx + h @ wh + b)]
        for w in deep:
            outs.append(np.tanh(outs[-1] @ w))
        tape.append(outs)
        h = outs[-1]
    grads = [np.zeros_like(p) for p in params]
    gwx, gwh, gb, *gdeep = grads
    dh = np.ones_like(h)
    for x, outs in zip(xs[::-1], tape[::-1]):
        for k in range(len(deep), 0, -1):              # the extra layers, last first
            dz = dh * (1 - outs[k + 1] ** 2)
            gdeep[k - 1] += outs[k].T @ dz
            dh = dz @ deep[k - 1].T
        dz = dh * (1 - outs[1] ** 2)
        gwx += x.T @ dz
        gwh += outs[0].T @ dz
        gb += dz.sum(axis=0)
        dh = dz @ wh.T
    return h.sum(), tuple(grads)


# ------------------------------------------------------------------------ catalogue
GELU_BIG, GELU_SMALL = 4 * 2**20, 16 * 2**10
ROWS = (4096, 1024)
FG = (256, 512, 256)
RNN = dict(steps=100, batch=32, n_in=64, hidden=256, depth=1)      # ANCHORS.md B8
# 1000 steps of 4 tanh layers: without checkpoint the gradient keeps ~8 (32, 128) float32
# activations a step (~128 MiB); with it, the state alone (~16 MiB).
SCAN_1000 = dict(steps=1000, batch=32, n_in=32, hidden=128, depth=4)

WORKLOADS = [
    Workload("gelu_4m", "tanh-GELU, 4,194,304 float32", _normal(GELU_BIG, 2.0),
             gelu_jax, gelu_numpy, target=1.0, jax_anchor_s=1.25e-3, rtol=1e-5,
             bytes=8 * GELU_BIG),
    Workload("gelu_16k", "tanh-GELU, 16,384 float32", _normal(GELU_SMALL, 2.0),
             gelu_jax, gelu_numpy, target=1.0, jax_anchor_s=25.7e-6, rtol=1e-5,
             bytes=8 * GELU_SMALL),
    Workload("softmax", "nn.softmax(x, axis=1), x (4096, 1024) float32", _normal(ROWS, 3.0),
             softmax_jax, softmax_numpy, target=1.0, jax_anchor_s=1.87e-3, rtol=1e-5,
             bytes=2 * 4 * ROWS[0] * ROWS[1]),
    Workload("logsumexp", "nn.logsumexp(x, axis=1), x (4096, 1024) float32", _normal(ROWS, 3.0),
             logsumexp_jax, logsumexp_numpy, target=1.0, jax_anchor_s=1.32e-3, rtol=1e-5,
             bytes=4 * ROWS[0] * ROWS[1]),
    Workload("mlp_step", "MLP 784-1024-1024-10 SGD step, batch 256 (value_and_grad + update)",
             mlp_inputs, mlp_step_jax, mlp_step_numpy, target=1.1, jax_anchor_s=14.1e-3,
             rtol=1e-3, first_call_target=1.0, jax_anchor_first_s=0.301,
             check_view=mlp_step_update,
             notes="ReLU, mean softmax cross-entropy, lr 0.01; NumPy: hand-written backprop"),
    Workload("dispatch", "jit(lambda x, y: x * y + 1.0) on float32 scalars",
             lambda rng: (np.float32(1.5), np.float32(2.25)), dispatch_jax, dispatch_numpy,
             target=1.0, jax_anchor_s=6.2e-6, rtol=1e-6,
             notes="per-call overhead; NumPy: the expression on np.float32 scalars"),
    Workload("fine_grained", "sum(a[:, :, None] * b[None, :, :], axis=1), a 256x512, b 512x256",
             _pair(*FG), fine_grained_jax, fine_grained_numpy, target=1.5, jax_anchor_s=0.968e-3,
             rtol=1e-4, memory_vs="matmul_256", memory_slack_mb=8.0, flops=2 * FG[0] * FG[1] * FG[2],
             notes="a broadcast intermediate of 128 MiB unless fused"),
    Workload("matmul_256", "a @ b, a 256x512, b 512x256 (fine_grained's reference)", _pair(*FG),
             matmul_jax, matmul_numpy, jax_anchor_s=0.680e-3, rtol=1e-4,
             flops=2 * FG[0] * FG[1] * FG[2], notes="context for fine_grained; no issue #3 target"),
    Workload("rnn_scan_grad", "tanh RNN (hidden 256, input 64), 100 steps, batch 32: "
             "jit(value_and_grad) of sum(last state) through lax.scan", rnn_inputs(**RNN),
             rnn_grad_jax(), rnn_grad_numpy, target=1.0, jax_anchor_s=26.8e-3, rtol=1e-3,
             first_call_target=1.0, jax_anchor_first_s=0.407,
             notes="h = tanh(x @ wx + h @ wh + b); NumPy: hand-written BPTT"),
    Workload("scan_1000_grad", "4-layer tanh RNN step (hidden 128, batch 32), 1000 steps: "
             "jit(value_and_grad) through lax.scan", rnn_inputs(**SCAN_1000), rnn_grad_jax(),
             rnn_grad_numpy, jax_anchor_s=None, rtol=1e-3,
             notes="scan_1000_grad_checkpoint's memory reference; no time target"),
    Workload("scan_1000_grad_checkpoint", "the same with checkpoint on the scanned step",
             rnn_inputs(**SCAN_1000), rnn_grad_jax(checkpoint=True), rnn_grad_numpy,
             jax_anchor_s=None, rtol=1e-3, memory_vs="scan_1000_grad", memory_times_below=3.0,
             notes="issue #5: peak memory at least 3x below the peak without checkpoint"),
    Workload("matmul_1024", "a @ b, 1024x1024 float32", _pair(1024, 1024, 1024),
             matmul_jax, matmul_numpy, target=1.1, jax_anchor_s=10.1e-3, rtol=1e-4,
             flops=2 * 1024**3),
]

# Issue #11's targets on a GPU, fx/JAX on the same GPU (run.py --gpu). No JAX anchors:
# ANCHORS.md was measured on CPUs.
GELU_GPU, ROWS_GPU, MATMUL_GPU = 64 * 2**20, (8192, 4096), 8192
GPU_WORKLOADS = [
    Workload("gpu_gelu_64m", "tanh-GELU, 67,108,864 float32", _normal(GELU_GPU, 2.0),
             gelu_jax, gelu_numpy, target=1.1, jax_anchor_s=None, rtol=1e-5, bytes=8 * GELU_GPU,
             notes="also >= 80% of the GPU's copy bandwidth (gb_per_s in the JSON)"),
    Workload("gpu_softmax", "nn.softmax(x, axis=1), x (8192, 4096) float32",
             _normal(ROWS_GPU, 3.0), softmax_jax, softmax_numpy, target=1.1, jax_anchor_s=None,
             rtol=1e-5, bytes=2 * 4 * ROWS_GPU[0] * ROWS_GPU[1]),
    Workload("gpu_mlp_step", "MLP 784-1024-1024-10 SGD step, batch 4096", mlp_inputs_of(4096),
             mlp_step_jax, mlp_step_numpy, target=1.2, jax_anchor_s=None, rtol=1e-3,
             check_view=mlp_step_update),
    Workload("gpu_matmul_8192", "a @ b, 8192x8192 float32", _pair(MATMUL_GPU, MATMUL_GPU, MATMUL_GPU),
             matmul_jax, matmul_numpy, target=1 / 0.9, jax_anchor_s=None, rtol=1e-3,
             flops=2 * MATMUL_GPU**3, notes="target: at least 0.9x JAX's throughput"),
    Workload("gpu_dispatch", "jit(lambda x, y: x * y + 1.0) on float32 scalars",
             lambda rng: (np.float32(1.5), np.float32(2.25)), dispatch_jax, dispatch_numpy,
             target=1.5, jax_anchor_s=None, rtol=1e-6),
]

BY_NAME = {w.name: w for w in WORKLOADS + GPU_WORKLOADS}


def select(only: str | None, gpu: bool = False) -> list[Workload]:
    """Workloads (the GPU set with `gpu`) whose name contains any comma-separated pattern
    of `only` (all if None)."""
    pool = GPU_WORKLOADS if gpu else WORKLOADS
    if not only:
        return list(pool)
    patterns = [p.strip() for p in only.split(",") if p.strip()]
    chosen = [w for w in pool if any(p in w.name for p in patterns)]
    if not chosen:
        raise SystemExit(f"--only {only!r} matches no workload; names: {', '.join(BY_NAME)}")
    return chosen


def inputs_for(workload: Workload, seed: int = 0) -> tuple:
    return workload.inputs(np.random.default_rng(seed))
