#!/usr/bin/env python
"""fx beside NumPy and JAX on the issue #3 and #5 workloads, in one process and one run.

    .venv/bin/python benchmarks/run.py                    # everything (~3 min here)
    .venv/bin/python benchmarks/run.py --quick            # smoke run (< 30 s)
    .venv/bin/python benchmarks/run.py --only gelu,mlp --backend interpreter
    .venv/bin/python benchmarks/run.py --markdown --json results.json

Per workload and implementation: the first call is timed alone (trace + compile for jit),
then warm-up calls, then samples of `inner` back-to-back calls (inner chosen so a sample
lasts >= 10 ms), every call blocked until ready; median and min are per call over the
samples. Every output is checked against the NumPy version before its timing counts.
Workloads with a memory target get their peak RSS growth measured in fresh subprocesses.
See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import datetime
import functools
import gc
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

# First calls must measure trace + compile, not a load from fx's on-disk cache of
# compiled code: every run (and its fresh subprocesses) gets an empty cache directory.
if "FX_CACHE_DIR" not in os.environ:
    import tempfile
    os.environ["FX_CACHE_DIR"] = tempfile.mkdtemp(prefix="fx-bench-cache-")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workloads as W  # noqa: E402  (after the path set-up above)

IMPL_ORDER = ("numpy", "jax", "fx")   # numpy first: its output is the reference
BUSY_WARNING_S = 2.0                  # warn when other processes used more CPU than this
NAME_WIDTH = max(len(w.name) for w in W.BY_NAME.values())   # aligns the progress lines


# ----------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    budget_s: float = 4.0        # timed samples per (workload, impl), after warm-up
    min_samples: int = 5
    max_samples: int = 41
    min_sample_s: float = 0.01   # a sample lasts at least this long
    warmup_s: float = 0.1        # warm up at least this long ...
    warmup_calls: int = 3        # ... and at least this many calls
    rss_impls: tuple = ("numpy", "jax", "fx")


QUICK = Settings(budget_s=0.25, min_samples=3, max_samples=5, warmup_s=0.03, warmup_calls=2,
                 rss_impls=("fx",))


# ------------------------------------------------------------------ implementations
@dataclass
class Impl:
    name: str
    version: str
    prepare: Callable[[W.Workload, tuple], Callable[[], Any]]   # -> zero-argument call
    block: Callable[[Any], None]


def tree_map(fn, x):
    if isinstance(x, (tuple, list)):
        return type(x)(tree_map(fn, e) for e in x)
    return fn(x)


def tree_leaves(x):
    if isinstance(x, (tuple, list)):
        return [leaf for e in x for leaf in tree_leaves(e)]
    return [x]


def numpy_impl() -> Impl:
    def prepare(workload, inputs):
        return functools.partial(workload.numpy_fn, *inputs)
    return Impl("numpy", f"numpy {np.__version__}", prepare, block=lambda out: None)


def jit_impl(name, jax, jnp, nn, jit, version, on_device=False) -> Impl:
    """fx or jax: the workload's JAX-API function, jitted, on arrays made by jnp.asarray
    (and put on the first device with `on_device`, so no call copies its inputs there)."""
    ns = SimpleNamespace(jax=jax, jnp=jnp, nn=nn)

    def prepare(workload, inputs):
        fn = jit(workload.jax_api(ns))
        args = tree_map(jnp.asarray, inputs)
        if on_device:
            args = jax.device_put(args, jax.devices()[0])
        return functools.partial(fn, *args)

    warm = jit(lambda x: x + 1.0)(jnp.asarray(np.float32(0.0)))  # backend start-up, not timed
    jax.block_until_ready(warm)
    return Impl(name, version, prepare, block=jax.block_until_ready)


def fx_impl(backend: str | None, on_device=False) -> Impl:
    import fx
    import fx.nn
    import fx.numpy
    from fx.backends import get_backend
    try:
        resolved = get_backend(backend).name
    except ValueError as e:
        raise SystemExit(f"--backend {backend!r}: {e}") from None
    jit = functools.partial(fx.jit, backend=backend) if backend else fx.jit
    return jit_impl("fx", fx, fx.numpy, fx.nn, jit, f"fx {fx.__version__} (jit backend: {resolved})",
                    on_device)


def jax_impl(on_device=False) -> Impl | None:
    try:
        import jax
        import jax.nn
        import jax.numpy
        import jaxlib
    except ImportError:
        return None
    return jit_impl("jax", jax, jax.numpy, jax.nn, jax.jit,
                    f"jax {jax.__version__}, jaxlib {jaxlib.__version__}", on_device)


def load_impls(backend, names=IMPL_ORDER, on_device=False) -> dict[str, Impl]:
    makers = {"numpy": numpy_impl, "jax": lambda: jax_impl(on_device),
              "fx": lambda: fx_impl(backend, on_device)}
    impls = {name: makers[name]() for name in names}
    return {name: impl for name, impl in impls.items() if impl is not None}


# ------------------------------------------------------------------------- timing
@dataclass
class Timing:
    first_s: float
    median_s: float = math.nan
    min_s: float = math.nan
    samples: int = 0
    inner: int = 0


def timed_call(call, block):
    t0 = time.perf_counter()
    out = call()
    block(out)
    return time.perf_counter() - t0, out


def warm_up(call, block, settings) -> float:
    """Run until both warm-up minimums are met; return the fastest call's seconds (the
    first calls after compiling can be several times slower while allocators warm up;
    sizing samples on the fastest call keeps every sample >= min_sample_s)."""
    times = []
    while len(times) < settings.warmup_calls or sum(times) < settings.warmup_s:
        times.append(timed_call(call, block)[0])
    return min(times)


def sample(call, block, inner) -> float:
    t0 = time.perf_counter()
    for _ in range(inner):
        block(call())
    return (time.perf_counter() - t0) / inner


def time_steady(call, block, settings, first_s) -> Timing:
    per_call = max(warm_up(call, block, settings), 1e-8)
    inner = max(1, math.ceil(settings.min_sample_s / per_call))
    affordable = int(settings.budget_s / (per_call * inner))
    n = min(settings.max_samples, max(settings.min_samples, affordable))
    samples = sorted(sample(call, block, inner) for _ in range(n))
    return Timing(first_s, float(np.median(samples)), samples[0], n, inner)


# ------------------------------------------------------------------------- checks
def to_float64(x):
    return tree_map(lambda leaf: np.asarray(leaf, dtype=np.float64), x)


def rel_err(got, ref) -> float:
    """max |got - ref| / max |ref|, worst over the leaves (nan on a structure mismatch)."""
    got, ref = tree_leaves(got), tree_leaves(ref)
    if len(got) != len(ref) or any(g.shape != r.shape for g, r in zip(got, ref)):
        return math.nan
    errs = [np.max(np.abs(g - r), initial=0.0) / max(np.max(np.abs(r), initial=0.0), 1e-30)
            for g, r in zip(got, ref)]
    return float(np.max(errs, initial=0.0))   # np.max, unlike max(), propagates a NaN


def check_view(workload, inputs, output):
    out = to_float64(output)
    return workload.check_view(inputs, out) if workload.check_view else out


# ------------------------------------------------------------------ measure one case
@dataclass
class Result:
    workload: str
    impl: str
    timing: Timing | None = None
    rel_err: float | None = None
    ok: bool = False
    error: str | None = None
    traceback: str | None = field(default=None, repr=False)
    reference: Any = field(default=None, repr=False)


def error_text(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}".strip().splitlines()[0][:300]


def measure(workload, impl, inputs, reference, settings) -> Result:
    """Time one (workload, impl); `reference` None means this output becomes the reference."""
    result = Result(workload.name, impl.name)
    try:
        call = impl.prepare(workload, inputs)
        first_s, out = timed_call(call, impl.block)
        got = check_view(workload, inputs, out)
        del out
        if reference is None:
            result.reference, reference = got, got
        result.rel_err = rel_err(got, reference)
        result.ok = result.rel_err <= workload.rtol
        if not result.ok:
            result.error = f"check failed: rel err {result.rel_err:.2g} > {workload.rtol:g}"
            result.timing = Timing(first_s)
            return result
        result.timing = time_steady(call, impl.block, settings, first_s)
    except Exception as e:  # noqa: BLE001 -- a failing workload is a result, not a crash
        result.error, result.traceback = error_text(e), traceback.format_exc()
    return result


def measure_workload(workload, impls, settings, log) -> dict[str, Result]:
    inputs = W.inputs_for(workload)
    results, reference = {}, None
    for name, impl in impls.items():      # numpy first: its output is the reference
        if name != "numpy" and reference is None:
            r = Result(workload.name, name, error="not checked: the NumPy version failed")
        else:
            r = measure(workload, impl, inputs, reference, settings)
        if name == "numpy":
            reference = r.reference
        results[name] = r
        gc.collect()
        log(f"  {workload.name:<{NAME_WIDTH}} {name:<6} {describe(r)}")
    return results


def describe(r: Result) -> str:
    if r.error:
        return f"ERROR {r.error}"
    t = r.timing
    return (f"median {fmt_time(t.median_s)}  min {fmt_time(t.min_s)}  first {fmt_time(t.first_s)}"
            f"  ({t.samples}x{t.inner} calls, rel err {r.rel_err:.1e})")


# ------------------------------------------------------------------ peak memory (RSS)
def proc_status_mb(field_name) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024.0       # kB
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Linux >= 4.0: writing 5 to clear_refs resets VmHWM (peak RSS) to the current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    hwm = proc_status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_child(workload_name, impl_name, backend) -> None:
    """In this fresh process: set up one case (import, inputs, jit object), then report how
    far its first four calls (trace/compile included) raise the peak RSS above the RSS
    after setup. VmHWM, not ru_maxrss: ru_maxrss survives fork + exec, so a child starts
    with its parent's peak (hundreds of MB here) and would hide the growth."""
    impl = load_impls(backend, (impl_name,))[impl_name]
    workload = W.BY_NAME[workload_name]
    call = impl.prepare(workload, W.inputs_for(workload))
    gc.collect()
    before = proc_status_mb("VmRSS") if reset_peak_rss() else peak_rss_mb()
    for _ in range(4):
        impl.block(call())
    peak = peak_rss_mb()
    print(json.dumps({"before_mb": before, "peak_mb": peak, "growth_mb": peak - before}))


def rss_growth(workload_name, impl_name, backend) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--rss-child", workload_name, impl_name]
    cmd += ["--backend", backend] if backend else []
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"]
        return {"error": lines[-1][:300]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_memory(workloads, impl_names, backend, log) -> list[dict]:
    rows = []
    for w in (w for w in workloads if w.memory_vs):
        for impl in impl_names:
            row = {"workload": w.name, "vs": w.memory_vs, "impl": impl, "slack_mb": w.memory_slack_mb,
                   "times_below": w.memory_times_below, "case": rss_growth(w.name, impl, backend),
                   "base": rss_growth(w.memory_vs, impl, backend)}
            log(f"  {w.name:<{NAME_WIDTH}} {impl:<6} RSS growth {row['case']}  vs {w.memory_vs} {row['base']}")
            rows.append(row)
    return rows


# ------------------------------------------------------------------------- machine
def cpu_model() -> str:
    """'model name' from /proc/cpuinfo, with family/model numbers (a VM may hide the name)."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown"
    name = fields.get("model name", "unknown")
    return f"{name} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')})"


def version_of(module) -> str:
    try:
        return __import__(module).__version__
    except Exception:  # noqa: BLE001 -- any import failure means 'not usable'
        return "not installed"


def fx_source_state() -> str:
    """The commit fx was measured at, and whether fx/ had uncommitted edits (read-only git)."""
    def git(*cmd):
        env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")    # never refresh/write the index
        return subprocess.run(["git", *cmd], cwd=HERE, capture_output=True, text=True,
                              check=False, timeout=10, env=env).stdout.strip()
    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "../fx").splitlines()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not commit:
        return "unknown (not a git checkout)"
    return f"{commit}" + (f" + uncommitted changes in {len(dirty)} file(s) under fx/" if dirty else "")


def machine_info(impls) -> dict:
    return {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "jax": version_of("jax"),
        "llvmlite": version_of("llvmlite"),
        "impls": {name: impl.version for name, impl in impls.items()},
        "fx_source": fx_source_state(),
        "command": " ".join([os.path.relpath(sys.executable)] + sys.argv),
        "load_avg_1min_at_start": round(os.getloadavg()[0], 2),
    }


def busy_cpu_s() -> float | None:
    """Machine-wide busy CPU seconds so far (/proc/stat: all but idle and iowait)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def others_cpu_s(busy_at_start, own_at_start) -> float | None:
    """CPU seconds other processes used while this run went on: a noise indicator."""
    busy = busy_cpu_s()
    if busy is None or busy_at_start is None:
        return None
    return round(max(0.0, (busy - busy_at_start) - (own_cpu_s() - own_at_start)), 1)


# ------------------------------------------------------------------------ reporting
def fmt_time(s) -> str:
    if s is None or not math.isfinite(s):
        return "—"
    s = float(f"{s:.3g}")            # round first, so 999.9 µs prints as 1 ms
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def ratio(a, b) -> float | None:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)) or b <= 0:
        return None
    return a / b


def verdict(value, limit) -> str:
    if limit is None:
        return ""
    return "—" if value is None else ("pass" if value <= limit else "miss")


def stat(results, impl, key) -> float | None:
    r = results.get(impl)
    if r is None or r.timing is None or not r.ok:
        return None
    return getattr(r.timing, key)


def time_rows(workload, results) -> list[dict]:
    """One row for per-call time, plus one for the first call where the workload targets it."""
    metrics = [("per call", "median_s", workload.target, workload.jax_anchor_s)]
    if workload.first_call_target is not None:
        metrics.append(("first call", "first_s", workload.first_call_target, workload.jax_anchor_first_s))
    rows = []
    for metric, key, target, anchor in metrics:
        per_call = key == "median_s"
        fx, jx, npy = (stat(results, i, key) for i in ("fx", "jax", "numpy"))
        fx_result = results.get("fx")
        fx_vs_jax = ratio(fx, jx)
        status = verdict(fx_vs_jax, target)
        if fx_result is not None and fx_result.error:
            status = "FAIL" if target is not None else "error"
        rows.append({"workload": workload.name, "metric": metric, "fx_s": fx,
                     "fx_min_s": stat(results, "fx", "min_s") if per_call else None,
                     "jax_s": jx, "jax_min_s": stat(results, "jax", "min_s") if per_call else None,
                     "jax_anchor_s": anchor, "numpy_s": npy, "fx_over_jax": fx_vs_jax, "target": target,
                     "status": status, "fx_over_numpy": ratio(fx, npy),
                     "fx_rel_err": fx_result.rel_err if fx_result else None,
                     "fx_error": fx_result.error if fx_result else None})
    return rows


def fmt_ratio(x) -> str:
    return "—" if x is None else (f"{x:.3g}" if x < 100 else f"{x:,.0f}")


def time_table(rows) -> tuple[list[str], list[list[str]]]:
    head = ["workload", "metric", "fx", "fx min", "JAX", "JAX min", "JAX anchor", "NumPy", "fx/JAX",
            "target", "status", "fx/NumPy", "fx check"]
    body = [[r["workload"], r["metric"], fmt_time(r["fx_s"]), fmt_time(r["fx_min_s"]),
             fmt_time(r["jax_s"]), fmt_time(r["jax_min_s"]), fmt_time(r["jax_anchor_s"]),
             fmt_time(r["numpy_s"]), fmt_ratio(r["fx_over_jax"]),
             f"≤ {r['target']:g}" if r["target"] is not None else "—", r["status"],
             fmt_ratio(r["fx_over_numpy"]), fmt_check(r)] for r in rows]
    return head, body


def fmt_check(row) -> str:
    if row["fx_error"] and not row["fx_error"].startswith("check failed"):
        return "error"
    return "—" if row["fx_rel_err"] is None else f"{row['fx_rel_err']:.1e}"


def growth(m) -> float | None:
    return m.get("growth_mb")


def memory_target(r, diff, case_over_base) -> tuple[str, str]:
    """(the target, as text; its status): growth within slack_mb above the compared case's,
    or times_below times under it."""
    if r["slack_mb"] is not None:
        return f"≤ +{r['slack_mb']:g} MB", verdict(diff, r["slack_mb"])
    return f"≥ {r['times_below']:g}× below", verdict(case_over_base, 1.0 / r["times_below"])


def memory_table(rows) -> tuple[list[str], list[list[str]]]:
    head = ["workload", "impl", "peak RSS growth", "compared with", "its growth", "difference",
            "times below", "target", "status"]
    body = []
    for r in rows:
        case, base = growth(r["case"]), growth(r["base"])
        diff = None if case is None or base is None else case - base
        below = ratio(base, case)
        target, status = memory_target(r, diff, ratio(case, base)) if r["impl"] == "fx" else ("", "")
        body.append([r["workload"], r["impl"], fmt_mb(case, r["case"]), r["vs"], fmt_mb(base, r["base"]),
                     "—" if diff is None else f"{diff:+.1f} MB",
                     "—" if below is None else f"{below:.2g}×", target, status])
    return head, body


def fmt_mb(value, m) -> str:
    return f"error: {m['error']}" if value is None else f"{value:.1f} MB"


def render(head, body, markdown) -> str:
    if markdown:
        lines = [head, ["---"] * len(head)] + body
        return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)
    widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]

    def fmt(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in body])


def errors_section(all_results) -> list[str]:
    return [f"- {r.workload} / {r.impl}: {r.error}" for res in all_results for r in res.values()
            if r.error]


def report(info, rows, memory, all_results, markdown) -> str:
    bullet = "- " if markdown else "  "
    lines = [f"{bullet}{k}: {v}" for k, v in info.items() if k != "impls"]
    lines += [f"{bullet}measured: {'; '.join(info['impls'].values())}"]
    busy = info.get("cpu_s_used_by_other_processes")
    if busy is not None and busy > BUSY_WARNING_S:
        warning = (f"WARNING: other processes used {busy} CPU seconds during this run; timings are "
                   "noisy and ratios near a target are unreliable. Re-run on a quiet machine.")
        lines += ["", warning]
    lines += ["", render(*time_table(rows), markdown)]
    if memory:
        lines += ["", "Peak RSS growth (fresh process per case: setup, then 4 calls; VmHWM over RSS after setup):", "",
                  render(*memory_table(memory), markdown)]
    errors = errors_section(all_results)
    if errors:
        lines += ["", "Errors:", ""] + errors
    return "\n".join(lines)


def json_record(info, rows, memory, all_results) -> dict:
    measurements = []
    for res in all_results:
        for r in res.values():
            w = W.BY_NAME[r.workload]
            d = {"workload": r.workload, "impl": r.impl, "rel_err": r.rel_err, "ok": r.ok,
                 "error": r.error, "traceback": r.traceback,
                 "timing": asdict(r.timing) if r.timing else None}
            med = r.timing.median_s if r.timing and r.ok else None
            if med and w.flops:
                d["gflop_per_s"] = w.flops / med / 1e9
            if med and w.bytes:
                d["gb_per_s"] = w.bytes / med / 1e9
            measurements.append(d)
    anchors = {w.name: {"jax_anchor_s": w.jax_anchor_s, "jax_anchor_first_s": w.jax_anchor_first_s}
               for w in W.BY_NAME.values()}
    return {"machine": info, "rows": rows, "memory": memory, "measurements": measurements,
            "anchors": anchors}


# ---------------------------------------------------------------------------- main
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", help="fx jit backend (default: fx's default, FX_PLATFORM or interpreter)")
    p.add_argument("--only", help="comma-separated substrings of workload names, e.g. gelu,mlp")
    p.add_argument("--quick", action="store_true", help="few samples, fx-only memory check (< 30 s)")
    p.add_argument("--json", metavar="PATH", help="write machine-readable results here")
    p.add_argument("--markdown", action="store_true", help="print tables as Markdown (for RESULTS.md)")
    p.add_argument("--no-memory", action="store_true", help="skip the RSS subprocesses")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--gpu", action="store_true",
                   help="issue #11's GPU workloads, inputs on the first device (fx: --backend cuda)")
    p.add_argument("--rss-child", nargs=2, metavar=("WORKLOAD", "IMPL"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def list_workloads(gpu=False):
    for w in (W.GPU_WORKLOADS if gpu else W.WORKLOADS):
        target = f"fx/JAX <= {w.target:g}" if w.target is not None else "no time target"
        if w.memory_vs:
            target += (f"; peak RSS growth <= {w.memory_vs}'s + {w.memory_slack_mb:g} MB"
                       if w.memory_slack_mb is not None else
                       f"; peak RSS growth >= {w.memory_times_below:g}x below {w.memory_vs}'s")
        print(f"{w.name:<{NAME_WIDTH}} {w.what}  [{target}; JAX anchor {fmt_time(w.jax_anchor_s)}]")


def main(argv=None):
    args = parse_args(argv)
    if args.rss_child:
        return rss_child(*args.rss_child, args.backend)
    if args.gpu and not args.backend:
        args.backend = "cuda"
    if args.list:
        return list_workloads(args.gpu)
    settings = QUICK if args.quick else Settings()
    chosen = W.select(args.only, args.gpu)
    log = functools.partial(print, file=sys.stderr, flush=True)
    t_start, busy_at_start, own_at_start = time.perf_counter(), busy_cpu_s(), own_cpu_s()
    impls = load_impls(args.backend, on_device=args.gpu)
    if "jax" not in impls:
        log("jax is not importable: fx/JAX ratios will be blank")
    info = machine_info(impls)
    all_results = [measure_workload(w, impls, settings, log) for w in chosen]
    rows = [row for w, res in zip(chosen, all_results) for row in time_rows(w, res)]
    memory = [] if args.no_memory else measure_memory(
        chosen, [i for i in settings.rss_impls if i in impls], args.backend, log)
    info["wall_s"] = round(time.perf_counter() - t_start, 1)
    info["cpu_s_used_by_other_processes"] = others_cpu_s(busy_at_start, own_at_start)
    print(report(info, rows, memory, all_results, args.markdown))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(json_record(info, rows, memory, all_results), f, indent=1, default=str)


if __name__ == "__main__":
    main()
