"""16-bit floats against float32, fx beside JAX in one run: an axpy-like `2x + 1` and the
tanh-GELU on 4M elements (the first bound by memory, where half the bytes should show; the
second by arithmetic on a machine of few cores) and the B3 MLP training step
(784-1024-1024-10, batch 256) with bfloat16 parameters and float32 accumulation. The last
columns are each dtype's time over float32's (fx's).

    python benchmarks/dtypes.py [--repeat 30]

Prints a markdown table of medians (and fx/JAX ratios) for benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from run import cpu_model  # run.py sits beside this script (benchmarks/ is on sys.path)

SIZES, BATCH, LR = (784, 1024, 1024, 10), 256, 0.01


def gelu(jnp):
    c = math.sqrt(2.0 / math.pi)
    return lambda x: 0.5 * x * (1.0 + jnp.tanh(c * (x + 0.044715 * x ** 3)))


def mlp_step(jax, jnp, nn):
    def loss(params, x, labels):
        h = x.astype(params[0][0].dtype)
        for w, b in params:
            z = jnp.matmul(h, w, preferred_element_type=jnp.float32) + b.astype(jnp.float32)
            h = nn.relu(z).astype(h.dtype)
        return -jnp.mean(jnp.sum(nn.one_hot(labels, 10) * nn.log_softmax(z), axis=-1))

    def step(params, x, labels):
        grads = jax.grad(loss)(params, x, labels)
        return jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)
    return step


def median_time(fn, args, block, repeat):
    block(fn(*args))  # compile
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        block(fn(*args))
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    import fx
    import fx.numpy as fnp
    libraries = {"fx": (fx, fnp, fx.nn, fx.block_until_ready)}
    try:
        import jax
        import jax.numpy as jjnp
        libraries["jax"] = (jax, jjnp, jax.nn, jax.block_until_ready)
    except ImportError:
        pass
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1 << 22).astype(np.float32)
    weights = [(rng.standard_normal((m, n)).astype(np.float32) / math.sqrt(m), np.zeros(n, np.float32))
               for m, n in zip(SIZES[:-1], SIZES[1:])]
    data = rng.random((BATCH, SIZES[0])).astype(np.float32)
    labels = rng.integers(0, 10, BATCH).astype(np.int32)

    rows = []
    for dtype in ("float32", "bfloat16", "float16"):
        row = {}
        for name, (lib, jnp, nn, block) in libraries.items():
            t = getattr(jnp, dtype)
            xs = jnp.asarray(x).astype(t)
            row["axpy", name] = median_time(lib.jit(lambda x: 2 * x + 1), (xs,), block, args.repeat)
            row["gelu", name] = median_time(lib.jit(gelu(jnp)), (xs,), block, args.repeat)
            params = [(jnp.asarray(w).astype(t), jnp.asarray(b).astype(t)) for w, b in weights]
            row["mlp", name] = median_time(lib.jit(mlp_step(lib, jnp, nn)),
                                           (params, jnp.asarray(data), jnp.asarray(labels)), block, args.repeat)
        rows.append((dtype, row))

    print(f"CPU: {cpu_model()}\n")
    names = list(libraries)
    work = {"axpy": "2x+1 4M", "gelu": "GELU 4M", "mlp": "MLP step"}
    head = " | ".join(f"{label} {n}" for label in work.values() for n in names)
    ratios = " | ".join(f"{w} fx/JAX" for w in work) if "jax" in names else ""
    print(f"| dtype | {head} |" + (f" {ratios} |" if ratios else "") + " 2x+1 / f32 | GELU / f32 |")
    print("|---" * (3 + len(work) * len(names) + (len(work) if ratios else 0)) + "|")
    float32 = rows[0][1]
    for dtype, row in rows:
        cells = [f"{row[w, n] * 1e3:.2f} ms" for w in work for n in names]
        if ratios:
            cells += [f"{row[w, 'fx'] / row[w, 'jax']:.2f}" for w in work]
        cells += [f"{row[w, 'fx'] / float32[w, 'fx']:.2f}" for w in ("axpy", "gelu")]
        print(f"| {dtype} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
