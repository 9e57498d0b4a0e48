"""Train a small MLP with fx: `fx.grad(fx.jit(loss))` and plain SGD.

The task is a synthetic 2-D regression made with NumPy (fixed seed):
    y = sin(2 x0) * cos(x1) + 0.05 * noise,   x ~ U(-2, 2)^2
and the model is 2 -> 64 -> 64 -> 1 with tanh activations.

    python examples/train_mlp.py            # or: make demo
    python examples/train_mlp.py --steps 1000 --lr 0.02

The first step traces `loss` to a jaxpr and compiles it (forward and backward); every
later step reuses the compiled program, so the script prints both times.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import fx
import fx.numpy as jnp
from fx.backends import get_backend


def make_data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, size=(n, 2)).astype(np.float32)
    y = np.sin(2.0 * x[:, :1]) * np.cos(x[:, 1:]) + 0.05 * rng.normal(size=(n, 1))
    return x, y.astype(np.float32)


def init_params(sizes, seed: int = 1):
    """A list of {"W", "b"} dicts (a pytree), scaled so tanh starts in its linear range."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
        params.append({"W": jnp.asarray(W.astype(np.float32)),
                       "b": jnp.zeros((n_out,), dtype=jnp.float32)})
    return params


def predict(params, x):
    h = x
    for layer in params[:-1]:
        h = jnp.tanh(h @ layer["W"] + layer["b"])
    last = params[-1]
    return h @ last["W"] + last["b"]


def loss(params, x, y):
    return jnp.mean((predict(params, x) - y) ** 2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--n", type=int, default=256, help="number of training examples")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--every", type=int, default=50, help="print progress every N steps")
    args = ap.parse_args(argv)

    x, y = make_data(args.n)
    params = init_params([2, args.hidden, args.hidden, 1])

    loss_fn = fx.jit(loss)                 # used for reporting only
    grad_fn = fx.grad(fx.jit(loss))        # the gradient of a compiled loss, w.r.t. params

    def sgd(params, grads):
        return fx.tree.map(lambda p, g: p - args.lr * g, params, grads)

    print(f"fx {fx.__version__} | MLP 2-{args.hidden}-{args.hidden}-1 (tanh) | "
          f"{args.n} examples | SGD lr={args.lr} | {args.steps} steps")

    # Step 1 traces loss, differentiates the jaxpr and compiles it: time it on its own.
    start = time.perf_counter()
    grads = fx.block_until_ready(grad_fn(params, x, y))
    first_step = time.perf_counter() - start
    initial = float(loss_fn(params, x, y))
    print(f"initial loss {initial:.5f}")
    params = sgd(params, grads)

    t_loop = time.perf_counter()
    for step in range(2, args.steps + 1):
        grads = grad_fn(params, x, y)
        params = sgd(params, grads)
        if step % args.every == 0 or step == args.steps:
            current = float(loss_fn(params, x, y))
            print(f"step {step:5d}  loss {current:.5f}  elapsed {time.perf_counter() - start:6.2f}s")
    fx.block_until_ready(params)
    per_step = (time.perf_counter() - t_loop) / max(args.steps - 1, 1)

    final = float(loss_fn(params, x, y))
    print(f"final loss {final:.5f} (initial {initial:.5f}, {initial / max(final, 1e-12):.1f}x lower)")
    print(f"first step (trace + compile + run): {first_step * 1e3:8.1f} ms")
    print(f"later steps, mean (incl. SGD update): {per_step * 1e3:8.2f} ms")
    print(f"jit backend: {get_backend().name} on {', '.join(str(d) for d in fx.devices())}")

    if not final < 0.5 * initial:
        print(f"ERROR: training did not reduce the loss enough: {initial:.5f} -> {final:.5f} "
              f"(expected at least a 2x drop). Try more --steps or another --lr.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
