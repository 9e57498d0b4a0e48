#!/usr/bin/env bash
# The checks issue #11 asks for on a real GPU, as one prepared run for the device tool
# (see README's GPU section):  run(command="bash scripts/gpu_check.sh", timeout_s=560)
# 1. the cuda tests and the conformance suite's cuda cases on the GPU (no simulator:
#    tests/conftest.py turns it on only without /dev/nvidiactl);
# 2. benchmarks/run.py --gpu: fx on the cuda backend beside JAX on the same GPU.
# Everything lands in $OUT: gpu.txt, gpu_tests.log, gpu_bench.md, gpu_bench.json.
set -u
export PYTHONPATH="$PWD" FX_CACHE_DIR=/tmp/fx-cache
OUT=${OUT:-/tmp/fx-gpu-check}
mkdir -p "$OUT"
PY=${PY:-python3}
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  "$PY" -c "import sys, numpy, numba, llvmlite, jax; print(sys.version.split()[0], 'numpy', numpy.__version__, 'numba', numba.__version__, 'llvmlite', llvmlite.__version__, 'jax', jax.__version__, jax.devices())"
} 2>&1 | tee "$OUT/gpu.txt"

timeout 200 "$PY" -m pytest tests/backends/cuda "tests/backends/conformance" -k "cuda or not conformance" \
    -p no:cacheprovider > "$OUT/gpu_tests.log" 2>&1
echo "tests: exit $?"; tail -3 "$OUT/gpu_tests.log"

timeout 330 "$PY" benchmarks/run.py --gpu --markdown --no-memory --json "$OUT/gpu_bench.json" \
    > "$OUT/gpu_bench.md" 2> "$OUT/gpu_bench.err"
echo "benchmarks: exit $?"; cat "$OUT/gpu_bench.md"; tail -5 "$OUT/gpu_bench.err"
