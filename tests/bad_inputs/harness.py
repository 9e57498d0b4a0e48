"""Run generated bad-input calls in child processes and classify each outcome.

The plan (which target, which parameter, which pool value) is a pure function of the
seed and the budget, so a child process rebuilds it and runs calls by number: when a
call kills the child (a crash) or outlives the parent's deadline (a hang), the parent
records it and starts a fresh child at the next call.

Outcomes:
  ok        fx returned, and the value is allowed (an EDGE value, equal to NumPy's when
            the target has a NumPy reference).
  clear     TypeError / ValueError / IndexError / NotImplementedError (fx's own error
            classes derive from these), MemoryError or OverflowError, with a message that says what
            was expected.
  unclear   any other exception, or one of those with an empty message or a message
            from deep inside Python/NumPy/fx that does not say what was expected.
  crash     the child process died.
  hang      the call ran past the per-call timeout.
  silent    fx returned a value for a BAD value, or where NumPy raises, or a value that
            differs from NumPy's.
  broken    the target's valid call did not return a value equal to NumPy's (a harness
            or fx bug either way).
"""
from __future__ import annotations

import dataclasses
import json
import os
import random as _random
import selectors
import signal
import subprocess
import sys
import time
import traceback

import numpy as np

import fx

from tests.bad_inputs.pools import BAD, EDGE, LOOSE, POOLS, namespace
from tests.bad_inputs.targets import FIXTURES, all_targets

OUTCOMES = ("ok", "clear", "unclear", "crash", "hang", "silent", "broken")
CALL_TIMEOUT_S = 10
MEMORY_LIMIT = 6 << 30

# Messages that come from Python or NumPy internals, not from a check that says what
# was expected and what was given.
UNCLEAR_MESSAGES = ("not iterable", "has no attribute", "has no len()", "index out of range",
                    "unhashable type", "truth value of an array", "not supported between instances",
                    "unsupported operand type", "argument must be a string", "is not subscriptable",
                    "object is not callable", "could not convert string to", "invalid literal for",
                    "only integer scalar arrays", "only length-1 arrays",
                    "data type not understood", "Cannot interpret", "unexpected keyword argument",
                    "takes from", "positional argument", "object of type",
                    "can't multiply sequence")
# OverflowError: a Python int out of the default integer range (JAX raises the same).
CLEAR_CLASSES = (TypeError, ValueError, IndexError, NotImplementedError, MemoryError, OverflowError)
# NumPy refusals that JAX does not share (so fx need not either): keywords NumPy lacks,
# its casting rules, range checks JAX leaves out, C-long overflow.
NUMPY_ONLY_ERRORS = ("unexpected keyword argument", "Cannot cast array data", "must be in the range",
                     "too large to convert", "boolean subtract", "did not contain a loop",
                     "is out of bounds for axis", "If a is inexact",
                     "is less than minimum")  # JAX clamps or fills out-of-bounds gathers
# Dtypes fx widens (uint8 to uint32, float16 to float32 ...): NumPy's values in them differ.
NARROW_DTYPES = frozenset(map(np.dtype, (np.float16, np.uint8, np.uint16, np.int8, np.int16)))


class CallTimeout(BaseException):
    """Raised by the alarm inside a call that runs too long."""


@dataclasses.dataclass(frozen=True)
class Call:
    target: int
    param: int | None   # None: the target's valid call
    value: int | None


def plan(targets, calls, seed):
    """`calls` calls: every target's valid call first, then bad ones round-robin over
    targets in a seeded order, each target's own combinations shuffled."""
    rng = _random.Random(seed)
    queues = []
    for ti, t in enumerate(targets):
        combos = [Call(ti, pi, vi) for pi, p in enumerate(t.params) for vi in range(len(POOLS[p.kind]))]
        rng.shuffle(combos)
        queues.append(combos)
    out = [Call(ti, None, None) for ti in range(len(targets))]
    while len(out) < calls and any(queues):
        order = list(range(len(queues)))
        rng.shuffle(order)
        for ti in order:
            if queues[ti]:
                out.append(queues[ti].pop())
    return out[:calls]


def describe(target, call):
    """(fx source, reference source or None, tag) of a call."""
    codes = {p.name: p.code for p in target.params if p.required}
    tag = EDGE
    if call.param is not None:
        p = target.params[call.param]
        code, tag = POOLS[p.kind][call.value]
        if code == p.code:
            tag = LOOSE  # the parameter's own default, spelled out
        elif "*" in target.accepts or code in target.accepts:
            tag = EDGE
        elif code in target.loose:
            tag = LOOSE
        codes[p.name] = code
    ref = target.source(codes, ref=True) if (target.ref or target.ref_call) else None
    return target.source(codes), ref, tag


# ------------------------------------------------------------------------------ the child

def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    if isinstance(value, fx.random.PRNGKeyArray):
        return [np.asarray(fx.random.key_data(value))]
    return [np.asarray(value)]


def _agree(got, want, reference="NumPy"):
    """None when fx's result `got` matches the reference's `want`, else what differs."""
    got, want = _leaves(got), _leaves(want)
    if len(got) != len(want):
        return f"{len(got)} results, {reference} {len(want)}"
    for g, w in zip(got, want):
        if g.shape != w.shape:
            return f"shape {g.shape}, {reference} {w.shape}"
        if w.dtype.kind not in "biuf" or g.dtype.kind not in "biuf" or w.dtype in NARROW_DTYPES:
            continue  # not numbers, or NumPy computed in a dtype fx widens
        if not np.allclose(g.astype(np.float64), w.astype(np.float64), rtol=1e-4, atol=1e-5, equal_nan=True):
            return f"value {g.ravel()[:4]}..., {reference} {w.ravel()[:4]}..."
    return None


def _where(tb):
    """The innermost frames in fx and outside it, for routing an error to its area."""
    frames = traceback.extract_tb(tb)
    fx_frames = [f for f in frames if f"{os.sep}fx{os.sep}" in f.filename]
    last = frames[-1]
    where = ""
    if fx_frames:
        f = fx_frames[-1]
        where = f"{f.filename[f.filename.rindex(os.sep + 'fx' + os.sep) + 1:]}:{f.lineno} {f.name}"
    if last not in fx_frames and "<string>" not in last.filename:
        where += f" <- {os.path.basename(last.filename)}:{last.lineno}"
    return where


def classify_error(exc, where):
    """'clear' or 'unclear' for an exception a call raised (`where`: see _where)."""
    message = str(exc)
    if isinstance(exc, MemoryError):
        return "clear"  # an allocation that cannot succeed (NumPy's message may be empty)
    if not isinstance(exc, CLEAR_CLASSES) or not message.strip():
        return "unclear"
    if not where and message.startswith("unsupported operand type"):
        return "clear"  # Python's own error for an operator neither side supports
    if any(m in message for m in UNCLEAR_MESSAGES):
        return "unclear"
    return "clear"


def run_one(ns, target, call, timeout_s=CALL_TIMEOUT_S):
    """The outcome of one call: dict(outcome, src, detail, where, target, valid)."""
    src, ref_src, tag = describe(target, call)
    record = {"outcome": "ok", "src": src, "detail": "", "where": "", "target": target.name,
              "valid": call.param is None}
    signal.alarm(timeout_s)
    try:
        value = eval(src, dict(ns))
        _leaves(value)
    except CallTimeout:
        record.update(outcome="hang")
        return record
    except Exception as exc:  # noqa: BLE001 (classifying every exception is the point)
        where = _where(exc.__traceback__)
        record.update(outcome=classify_error(exc, where), where=where,
                      detail=f"{type(exc).__name__}: {str(exc)[:160]}")
        if call.param is None:
            record["outcome"] = "broken"
        return record
    finally:
        signal.alarm(0)
    if tag == BAD:
        record.update(outcome="silent", detail="returned a value for an invalid argument")
        return record
    if ref_src is None or tag == LOOSE:
        return record
    try:
        with np.errstate(all="ignore"):
            want = eval(ref_src, dict(ns, jnp=np))  # pool values like jnp.arange(5.0) as NumPy's
    except Exception as exc:  # noqa: BLE001
        if not any(m in str(exc) for m in NUMPY_ONLY_ERRORS):
            record.update(outcome="silent", detail=f"NumPy raises {type(exc).__name__}: {str(exc)[:100]}")
    else:
        problem = _agree(value, want)
        if problem:
            record.update(outcome="silent", detail=f"differs from NumPy: {problem}")
    if call.param is None and record["outcome"] != "ok":
        record["outcome"] = "broken"
    return record


def _reference_helpers():

    def assigned(x, idx, v):
        out = np.array(x)
        out[idx] = v
        return out

    def updated(ufunc, x, idx, v):
        out = np.array(x)
        ufunc.at(out, idx, v)
        return out
    return {"_assigned": assigned, "_updated": updated}


def child_main(seed, calls, start, extra, timeout_s):
    """Run the plan from call `start` on, reporting on stdout: "B i" before call i and
    "R i <json record>" after it."""
    import resource
    import warnings
    warnings.simplefilter("ignore")
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    def alarm(signum, frame):
        raise CallTimeout()
    signal.signal(signal.SIGALRM, alarm)
    ns = namespace()
    ns.update(_reference_helpers())
    for name, code in FIXTURES.items():
        ns[name] = eval(code, ns)
    targets = all_targets() + list(extra)
    out = sys.stdout
    for i, call in enumerate(plan(targets, calls, seed)):
        if i < start:
            continue
        out.write(f"B {i}\n")
        out.flush()
        record = run_one(ns, targets[call.target], call, timeout_s)
        out.write(f"R {i} {json.dumps(record)}\n")
        out.flush()


# ----------------------------------------------------------------------------- the parent

@dataclasses.dataclass
class Report:
    calls: int = 0
    counts: dict = dataclasses.field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    records: list = dataclasses.field(default_factory=list)

    def add(self, record):
        self.calls += 1
        self.counts[record["outcome"]] += 1
        self.records.append(record)

    def of(self, *outcomes):
        return [r for r in self.records if r["outcome"] in outcomes]

    @property
    def bad_calls(self):
        """Calls with a pool value in place of a valid argument."""
        return sum(1 for r in self.records if not r.get("valid"))

    def summary(self):
        return ", ".join([f"calls {self.calls} (bad {self.bad_calls})"]
                         + [f"{k} {v}" for k, v in self.counts.items()])


def run(calls, seed, extra=(), timeout_s=CALL_TIMEOUT_S):
    """Run the plan over every target (and the `extra` ones) in child processes; a call
    that kills its child is a crash, one that outlives `timeout_s` a hang. Returns a Report."""
    report = Report()
    targets = all_targets() + list(extra)
    the_plan = plan(targets, calls, seed)
    start = 0
    import fx  # the child imports the same fx as this process, and this harness
    paths = [os.path.dirname(os.path.dirname(fx.__file__)),
             os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)),
             os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    while start < len(the_plan):
        source = ("from tests.bad_inputs.harness import child_main\n"
                  "from tests.bad_inputs.targets import Param, Target\n"
                  f"child_main({seed}, {calls}, {start}, {tuple(extra)!r}, {timeout_s})")
        proc = subprocess.Popen([sys.executable, "-c", source], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env, text=True)
        current, start = _drain(proc, report, start, timeout_s + 20)
        if current is not None:  # the child died or hung inside call `current`
            target = targets[the_plan[current].target]
            src, _, _ = describe(target, the_plan[current])
            outcome = "hang" if proc.returncode is None else "crash"
            if proc.returncode is None:
                proc.kill()
            proc.wait()
            report.add({"outcome": outcome, "src": src, "target": target.name, "where": "",
                        "detail": f"exit status {proc.returncode}", "valid": the_plan[current].param is None})
            start = current + 1
        else:
            proc.wait()
    return report


def _drain(proc, report, start, timeout_s):
    """Read results until the child ends; (call in progress if it died or hung, next start)."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    current = None
    deadline = time.monotonic() + timeout_s + 60  # the first call also pays for the import
    while True:
        if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
            return current, start  # hung: the parent's deadline passed
        line = proc.stdout.readline()
        if not line:
            proc.wait()
            return current, start
        kind, index, *rest = line.rstrip("\n").split(" ", 2)
        if kind == "B":
            current = int(index)
            deadline = time.monotonic() + timeout_s
        else:
            report.add(json.loads(rest[0]))
            current, start = None, int(index) + 1
