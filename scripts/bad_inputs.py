"""Run the bad-input harness: `python scripts/bad_inputs.py --calls 3000 --seed 0`.

Prints the counts of each outcome and one reproducer line per call that did not end in
a value or a clear error. With --jax (needs `import jax`) it also reruns, under JAX, every
call where fx returned a value, and lists those where JAX raises.
"""
import argparse
import collections
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # this checkout's fx, and the harness (tests.bad_inputs)

from tests.bad_inputs import harness  # noqa: E402
from tests.bad_inputs.targets import FIXTURES  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jax", action="store_true", help="compare returned values with JAX")
    args = parser.parse_args()
    report = harness.run(args.calls, args.seed)
    print(report.summary())
    print("fixtures: " + "; ".join(f"{k} = {v}" for k, v in FIXTURES.items()))
    by_outcome = collections.defaultdict(list)
    for r in report.of("unclear", "crash", "hang", "silent", "broken"):
        by_outcome[r["outcome"]].append(r)
    for outcome, records in by_outcome.items():
        print(f"\n== {outcome} ({len(records)})")
        for r in sorted(records, key=lambda r: (r["where"], r["src"])):
            print(f"{r['src']}  # {r['detail']}  [{r['where']}]")
    if args.jax:
        from tests.bad_inputs import jax_check
        jax_check.compare(report)


if __name__ == "__main__":
    main()
