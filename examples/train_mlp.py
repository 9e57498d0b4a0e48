"""Train an MLP on handwritten digits with fx: `fx.grad(fx.jit(loss))` and SGD with momentum.

The data is scikit-learn's bundled digits set (1,797 8x8 images, no download; install it
with `pip install -e '.[examples]'`, which `make demo` does). The model is
64 -> 256 -> 256 -> 10 with ReLU, trained on softmax cross-entropy over minibatches.

    python examples/train_mlp.py            # or: make demo
    python examples/train_mlp.py --epochs 40 --lr 0.05 --batch 32

The first step traces `loss` to a jaxpr, differentiates it and compiles forward and
backward to native code; every later step reuses the compiled program.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import fx
import fx.numpy as jnp
from fx import nn, random
from fx.backends import get_backend


def load_digits(test_fraction: float = 0.2, seed: int = 0):
    """(x_train, y_train, x_test, y_test): pixels scaled to [0, 1], a fixed shuffled split."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        sys.exit("this example needs scikit-learn's bundled digits: pip install -e '.[examples]'")
    digits = sklearn_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def init_params(key, sizes, dtype=jnp.float32):
    """A list of {"W", "b"} dicts (a pytree) with He-normal weights, right for ReLU."""
    he_normal = nn.initializers.he_normal()
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        key, subkey = random.split(key)
        params.append({"W": he_normal(subkey, (n_in, n_out), dtype),
                       "b": jnp.zeros((n_out,), dtype)})
    return params


def predict(params, x):
    """Float32 logits: ReLU hidden layers, a linear output layer. Activations have the
    parameters' dtype; every product accumulates in float32 (preferred_element_type), so
    bfloat16 parameters train with float32 sums and a float32 loss (mixed precision)."""
    h = x.astype(params[0]["W"].dtype)
    for layer in params:
        z = jnp.matmul(h, layer["W"], preferred_element_type=jnp.float32) + layer["b"].astype(jnp.float32)
        h = nn.relu(z).astype(h.dtype)
    return z


def loss(params, x, labels):
    """Mean softmax cross-entropy."""
    log_probs = nn.log_softmax(predict(params, x))
    return -jnp.mean(jnp.sum(nn.one_hot(labels, 10) * log_probs, axis=-1))


def accuracy(params, x, labels):
    return float(jnp.mean(jnp.argmax(predict(params, x), axis=-1) == labels))


class ProgressBar:
    """One line redrawn in place on a terminal; plain lines every few epochs otherwise."""

    def __init__(self, total: int, width: int = 30, stream=sys.stdout):
        self.total, self.width, self.stream = total, width, stream
        self.interactive = stream.isatty()
        self.start = time.perf_counter()

    def update(self, done: int, message: str):
        elapsed = time.perf_counter() - self.start
        filled = self.width * done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        line = f"[{bar}] {done:3d}/{self.total} {message} {elapsed:5.1f}s"
        if self.interactive:
            self.stream.write("\r" + line + ("\n" if done == self.total else ""))
            self.stream.flush()
        elif done == self.total or done % max(self.total // 5, 1) == 0:
            print(line, file=self.stream)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                    help="parameters and activations (bfloat16: mixed precision, float32 sums and loss)")
    args = ap.parse_args(argv)

    x_train, y_train, x_test, y_test = load_digits()
    params = init_params(random.PRNGKey(args.seed), [64, args.hidden, args.hidden, 10],
                         getattr(jnp, args.dtype))
    velocity = fx.tree.map(jnp.zeros_like, params)
    grad_fn = fx.grad(fx.jit(loss))      # the gradient of a compiled loss, w.r.t. params
    loss_fn = fx.jit(loss)               # for reporting

    print(f"fx {fx.__version__} | digits: {len(x_train)} train, {len(x_test)} test | "
          f"MLP 64-{args.hidden}-{args.hidden}-10 (ReLU) | SGD lr={args.lr} "
          f"momentum={args.momentum} | batch {args.batch} | {args.epochs} epochs | {args.dtype}")

    shuffle = np.random.default_rng(args.seed)
    steps_per_epoch = len(x_train) // args.batch     # drop the ragged last batch: one shape
    progress = ProgressBar(args.epochs)
    step_times = []
    for epoch in range(1, args.epochs + 1):
        order = shuffle.permutation(len(x_train))
        for i in range(steps_per_epoch):
            batch = order[i * args.batch:(i + 1) * args.batch]
            start = time.perf_counter()
            grads = grad_fn(params, x_train[batch], y_train[batch])
            velocity = fx.tree.map(lambda v, g: args.momentum * v - args.lr * g, velocity, grads)
            params = fx.block_until_ready(fx.tree.map(lambda p, v: p + v, params, velocity))
            step_times.append(time.perf_counter() - start)
        progress.update(epoch, f"train loss {float(loss_fn(params, x_train, y_train)):.4f} "
                               f"test acc {accuracy(params, x_test, y_test):6.2%}")
    first_step, per_step = step_times[0], float(np.median(step_times[1:]))

    test_accuracy = accuracy(params, x_test, y_test)
    print(f"test accuracy {test_accuracy:.2%} ({round(test_accuracy * len(x_test))}/{len(x_test)})")
    print(f"first step (trace + differentiate + compile + run): {first_step * 1e3:7.1f} ms")
    print(f"later steps, median (gradient and update):         {per_step * 1e3:7.2f} ms")
    print(f"jit backend: {get_backend().name} on {', '.join(str(d) for d in fx.devices())}")
    if test_accuracy < 0.95:
        print(f"ERROR: test accuracy {test_accuracy:.2%} is below 95%: try more --epochs "
              f"or another --lr.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
