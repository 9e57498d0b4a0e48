"""RSS growth over many distinct compilations (issue #9, part 6).

    python benchmarks/compile_memory.py [N=5000] [executable cache size=1024] [in-process compiles]

Runs a child process that calls one jitted function on N input shapes (N distinct
programs) twice with the same empty cache directory: first LLVM compiles every program,
then they load from the disk cache. Prints the RSS growth over all but the first 10% of
the programs, in MB and per program. The third argument sets FX_INPROCESS_COMPILES, the
modules LLVM compiles in-process before compile workers take over (a large number: never;
see fx/backends/llvm/compile_worker.py). tests/backends/llvm/test_compile_memory.py runs a smaller case.
"""
import os
import subprocess
import sys
import tempfile
import time

# N distinct tiny programs (one jitted function per shape, kept, as a program with many
# input shapes does); prints the RSS growth in MB over the last N - WARM (argv[2], default
# N // 10), the RSS at the end and N - WARM. tests/backends/llvm/test_compile_memory.py runs it too.
CHILD = """
import gc, os, sys, numpy as np, fx
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
n = int(sys.argv[1]); warm = int(sys.argv[2]) if len(sys.argv) > 2 else n // 10
f = fx.jit(lambda x: x * 2.0 + 1.0)
for i in range(1, n + 1):
    if i == warm + 1:
        gc.collect(); start = rss()
    assert float(f(np.ones(i, np.float32))[-1]) == 3.0
gc.collect()
print(rss() - start, rss(), n - warm)
"""


def main(n=5000, cache_size=1024, inprocess_compiles=None):
    env = dict(os.environ, FX_CACHE_DIR=tempfile.mkdtemp(prefix="fx-compile-memory-"),
               FX_EXECUTABLE_CACHE_SIZE=str(cache_size))
    if inprocess_compiles is not None:
        env["FX_INPROCESS_COMPILES"] = str(inprocess_compiles)
    for label in ("compiled by LLVM", "from the disk cache"):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(n)], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        growth, total, counted = float(out[0]), float(out[1]), int(out[2])
        print(f"{n} programs {label}: {time.perf_counter() - start:.1f} s, RSS +{growth:.1f} MB over the "
              f"last {counted} ({growth * 1024 / counted:.1f} KB each), {total:.0f} MB at the end")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
