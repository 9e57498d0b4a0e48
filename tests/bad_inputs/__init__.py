"""A generated bad-input harness over fx's public array API (issue #9): pools of bad and
edge values (pools.py), the functions called (targets.py), and a runner that calls them in
child processes and classifies every outcome (harness.py)."""
