"""Ctrl-C stops jitted loops (fx/backends/llvm/interrupt.py): a SIGINT sent to a process
running a loop that would take far longer than the test raises KeyboardInterrupt there
(or runs the user's handler, then raises), the same function runs correctly afterwards,
and a loop on another thread runs to its end. Each case runs in a child process."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir))

pytestmark = [pytest.mark.slow,  # each case runs a child process
              pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix",
                                 reason="POSIX signals")]

# `spin(x, n)` takes n iterations of a 4096-element update: with n = 2**31 - 1, hours.
PRELUDE = """
import signal, sys, threading, time
import numpy as np
import fx
from fx import lax

@fx.jit
def spin(x, n):
    def body(c):
        return c[0] + 1, c[1] * 0.5 + 1.0
    return lax.while_loop(lambda c: c[0] < n, body, (np.int32(0), x))

x = np.zeros(4096, np.float32)
FOREVER = np.int32(2**31 - 1)

def check_still_works():
    count, y = spin(x, np.int32(3))
    assert int(count) == 3 and np.all(np.asarray(y) == 1.75), (count, y)
    print("still works", flush=True)
"""


def run_child(body, interrupt_after=0.5, timeout=120):
    """Runs PRELUDE + body; sends SIGINT `interrupt_after` seconds after the child prints
    "ready"; returns (returncode, stdout, stderr)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    # The child takes SIGINT's default action whatever this process was given: a shell
    # starts background jobs with SIGINT ignored, and children inherit that.
    child = subprocess.Popen([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = child.stdout.readline()
        assert first == "ready\n", (first, child.stderr.read() if child.poll() is not None else "")
        try:
            child.wait(interrupt_after)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=timeout)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return child.returncode, first + out, err


def test_ctrl_c_stops_a_jitted_while_loop_and_the_function_still_works():
    code, out, err = run_child("""
        spin(x, np.int32(1))
        print("ready", flush=True)
        try:
            spin(x, FOREVER)
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        check_still_works()
    """)
    assert code == 0, err
    assert out.splitlines() == ["ready", "interrupted", "still works"], (out, err)


def test_an_uncaught_interrupt_prints_a_keyboard_interrupt_traceback():
    code, out, err = run_child("""
        spin(x, np.int32(1))
        print("ready", flush=True)
        spin(x, FOREVER)
        print("finished", flush=True)
    """)
    assert code != 0 and "finished" not in out
    assert "KeyboardInterrupt" in err.splitlines()[-1] and "Traceback" in err, err


def test_a_users_sigint_handler_is_called_and_the_call_raises():
    """A handler that only records the signal runs; the call still raises, as its loop was
    cut short (a call never returns incomplete results)."""
    code, out, err = run_child("""
        calls = []
        signal.signal(signal.SIGINT, lambda sig, frame: calls.append(sig))
        spin(x, np.int32(1))
        print("ready", flush=True)
        try:
            spin(x, FOREVER)
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("interrupted", calls == [signal.SIGINT], flush=True)
        check_still_works()
    """)
    assert code == 0, err
    assert out.splitlines() == ["ready", "interrupted True", "still works"], (out, err)


def test_a_loop_on_another_thread_runs_to_its_end():
    """Python interrupts the main thread only: its wait is interrupted, the thread's loop
    is not."""
    code, out, err = run_child("""
        spin(x, np.int32(1))
        result = []
        worker = threading.Thread(target=lambda: result.append(spin(x, np.int32(4_000_000))))
        worker.start()
        print("ready", flush=True)
        try:
            while not result:  # (not worker.join(): an interrupted join breaks the thread)
                time.sleep(0.01)
            print("not interrupted", flush=True)
        except KeyboardInterrupt:
            while not result:
                time.sleep(0.01)
            print("interrupted", int(result[0][0]), flush=True)
        check_still_works()
    """, interrupt_after=0.2)
    assert code == 0, err
    assert out.splitlines() == ["ready", "interrupted 4000000", "still works"], (out, err)
