"""Compile workers (fx/backends/llvm/compile_worker.py): child processes that optimise and
compile modules so that llvmlite's per-module leak does not accumulate in this process."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.backends.llvm import compile_worker, engine
from fx.backends.disk_cache import DiskCache

pytestmark = pytest.mark.slow  # starts and kills worker processes

MODULE = """
define double @fx_worker_test(double* %x, i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [0, %entry], [%next, %loop]
  %acc = phi double [0.0, %entry], [%sum, %loop]
  %p = getelementptr double, double* %x, i64 %i
  %v = load double, double* %p
  %sum = fadd double %acc, %v
  %next = add i64 %i, 1
  %more = icmp slt i64 %next, %n
  br i1 %more, label %loop, label %exit
exit:
  ret double %sum
}
"""


@pytest.fixture
def pool():
    native = engine.get_engine()
    pool = compile_worker.Pool(native.cpu, native.features)
    yield pool
    pool.close()


def in_process(module_ir):
    return compile_worker.object_code(engine.get_engine().target_machine(), module_ir)


def test_a_worker_compiles_the_same_object_code_as_this_process(pool):
    assert pool.object_code(MODULE) == in_process(MODULE)
    assert pool.started == 1 and len(pool.idle) == 1


@pytest.fixture
def engine_on_workers(monkeypatch, tmp_path, pool):
    """The engine, compiling every module in `pool`'s workers (and nothing from disk)."""
    native = engine.get_engine()
    monkeypatch.setattr(native, "inprocess_compiles", 0)
    monkeypatch.setattr(native, "workers", pool)
    monkeypatch.setattr(native, "cache", DiskCache(tmp_path))
    return native


def test_jit_through_workers_matches_numpy(engine_on_workers, pool):
    f = fx.jit(lambda w, x: jnp.tanh(x @ w + 0.25).sum(axis=1) - 1.5)
    w = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    x = np.linspace(0, 2, 20, dtype=np.float32).reshape(5, 4)
    np.testing.assert_allclose(f(w, x), np.tanh(x @ w + 0.25).sum(axis=1) - 1.5, rtol=1e-5)
    assert pool.started > 0


def test_jit_compiles_in_this_process_when_workers_fail(engine_on_workers, pool, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    f = fx.jit(lambda x: jnp.exp(-x) * 0.75 + 2.0)
    x = np.linspace(-1, 1, 11)
    with pytest.warns(RuntimeWarning, match="compiling in this process instead"):
        np.testing.assert_allclose(f(x), np.exp(-x) * 0.75 + 2.0, rtol=1e-6)
    assert not pool.enabled


def test_workers_are_retired_after_their_quota(pool):
    pool.modules_per_worker = 2
    workers = []
    for _ in range(5):
        assert pool.object_code(MODULE) == in_process(MODULE)
        workers += [w for w in pool.idle if w not in workers]
    assert pool.started == 3
    assert [w.process.poll() for w in workers[:2]] == [0, 0]   # exited at EOF on stdin


def test_a_killed_worker_is_replaced(pool):
    expected = pool.object_code(MODULE)
    os.kill(pool.idle[0].process.pid, signal.SIGKILL)
    with pytest.warns(RuntimeWarning, match="compile worker died"):
        assert pool.object_code(MODULE) is None   # the engine compiles it in-process
    assert pool.object_code(MODULE) == expected
    assert pool.started == 2


@pytest.mark.parametrize("python, error", [("/nonexistent/python", "cannot start a compile worker"),
                                           ("/bin/true", "compile worker died")])
def test_a_worker_that_cannot_start_disables_the_pool(pool, monkeypatch, python, error):
    monkeypatch.setattr(sys, "executable", python)
    with pytest.warns(RuntimeWarning, match=error):
        assert pool.object_code(MODULE) is None
    assert not pool.enabled and pool.object_code(MODULE) is None


def test_a_worker_with_another_llvmlite_is_not_used(pool, monkeypatch):
    monkeypatch.setattr(compile_worker, "_versions", lambda: b"llvmlite 0.0, LLVM (1, 0, 0)")
    with pytest.warns(RuntimeWarning, match="worker runs llvmlite .*, this process llvmlite 0.0"):
        assert pool.object_code(MODULE) is None
    assert not pool.enabled


def test_a_worker_that_does_not_answer_is_killed(pool, monkeypatch, tmp_path):
    hanging = tmp_path / "python"
    hanging.write_text("#!/bin/sh\nexec sleep 60\n")
    hanging.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(hanging))
    pool.timeout = 0.5
    with pytest.warns(RuntimeWarning, match="did not answer in time"):
        assert pool.object_code(MODULE) is None
    assert not pool.enabled


def test_a_forked_child_starts_workers_of_its_own(pool):
    expected = pool.object_code(MODULE)
    parents_worker = pool.idle[0]
    pid = os.fork()
    if pid == 0:   # the child: never returns to pytest
        ok = False
        try:
            ok = pool.object_code(MODULE) == expected and pool.idle[0] is not parents_worker
        finally:
            os._exit(0 if ok else 1)
    assert os.waitpid(pid, 0)[1] == 0
    assert pool.object_code(MODULE) == expected and pool.idle == [parents_worker]


def test_llvm_errors_come_back_and_the_worker_stays(pool):
    with pytest.raises(RuntimeError, match="undefined value"):
        pool.object_code(MODULE.replace("%acc, %v", "%acc, %w"))
    assert len(pool.idle) == 1 and pool.object_code(MODULE) == in_process(MODULE)


def test_a_worker_exits_when_its_parent_does():
    with subprocess.Popen([sys.executable, "-c", (
            "import sys; from fx.backends.llvm import compile_worker, engine; e = engine.get_engine(); "
            "w = compile_worker.Worker(e.cpu, e.features, 60); print(w.process.pid, flush=True); "
            "sys.stdin.read()")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as parent:
        try:
            pid = int(parent.stdout.readline())
        finally:
            parent.kill()
    for _ in range(100):
        try:
            os.kill(pid, 0)   # still there, or a zombie (reaped by init after exit)
        except ProcessLookupError:
            return
        if _is_zombie(pid):
            return
        time.sleep(0.05)
    raise AssertionError(f"compile worker {pid} still runs after its parent was killed")


def _is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_inprocess_compiles_from_the_environment(monkeypatch):
    monkeypatch.setenv("FX_INPROCESS_COMPILES", "0")
    assert engine.inprocess_compiles() == 0
    monkeypatch.setenv("FX_INPROCESS_COMPILES", "many")
    with pytest.raises(ValueError, match="FX_INPROCESS_COMPILES='many'"):
        engine.inprocess_compiles()
    monkeypatch.delenv("FX_INPROCESS_COMPILES")
    assert engine.inprocess_compiles() == engine.DEFAULT_INPROCESS_COMPILES
