"""Optimising and compiling LLVM modules, in this process or in recyclable child processes.

Why a child process: llvmlite 0.50 leaks ~65 KB per module optimised. Its
`LLVMPY_CreatePassBuilder` allocates a `PassInstrumentationCallbacks` that
`LLVMPY_DisposePassBuilder` never frees, and a pass builder cannot be reused (each run
registers `StandardInstrumentations` callbacks, made on the stack, into it). A process
that compiles thousands of programs would grow without bound, so past a number of
modules (see `engine.Engine`) fx compiles them in workers: child processes that each
compile at most `Pool.modules_per_worker` modules and then exit, taking their leak with
them.

A worker is this file run by the same Python (as a script, not with -m: it imports only
llvmlite, not fx, so it starts in a fraction of a second, and neither `spawn` nor `fork`
is involved: no re-import of the user's __main__, no copy of the parent's threads). It
reads requests from stdin and writes replies to stdout, each an 8-byte length and the
bytes: a request is a module's IR text, a reply a status byte (0: object code follows,
1: LLVM's error text) and the bytes. It exits at the end of its stdin, so when the
parent exits or closes the pipe. It first writes its llvmlite and LLVM versions: a worker
whose differ from the parent's (another llvmlite on its path) is not used.
"""
from __future__ import annotations

import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import warnings

import llvmlite
import llvmlite.binding as llvm

_LENGTH = struct.Struct("<Q")
_OK, _ERROR = b"\0", b"\1"


def _versions() -> bytes:
    return f"llvmlite {llvmlite.__version__}, LLVM {llvm.llvm_version_info}".encode()


def object_code(machine, module_ir: str) -> bytes:
    """Optimise `module_ir` for `machine` (a target machine) and compile it to object code."""
    mod = llvm.parse_assembly(module_ir, llvm.create_context())
    mod.triple = machine.triple
    mod.data_layout = str(machine.target_data)
    mod.verify()
    # O2 with both vectorisers: as fast as O3 on fx's kernels (O3's extra unrolling
    # doubled the object code without speeding them up) and half the compile time
    pto = llvm.create_pipeline_tuning_options(speed_level=2)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pb = llvm.create_pass_builder(machine, pto)
    pb.getModulePassManager().run(mod, pb)
    return machine.emit_object(mod)


def target_machine(cpu: str, features: str):
    """The host's target machine as fx compiles for it, in this process and in workers."""
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=cpu, features=features, opt=3, jit=True)


class WorkerError(Exception):
    """A worker could not start, died, or did not answer in time."""


class Worker:
    """One child process; `compile` sends it a module and waits for the object code."""

    def __init__(self, cpu: str, features: str, timeout: float):
        command = f"import runpy; runpy.run_path({__file__!r}, run_name='__main__')"
        try:
            self.process = subprocess.Popen([sys.executable, "-c", command, cpu, features],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as e:
            raise WorkerError(f"cannot start a compile worker: {e}") from e
        self.compiled = 0
        self.replies = select.poll()   # not select.select: it fails on descriptors >= 1024
        self.replies.register(self.process.stdout, select.POLLIN)
        try:
            versions = self._message(time.monotonic() + timeout)
            if versions != _versions():
                raise WorkerError(f"the compile worker runs {versions.decode(errors='replace')}, "
                                  f"this process {_versions().decode()}")
        except BaseException:
            self.close(kill=True)
            raise

    def compile(self, module_ir: str, timeout: float) -> bytes:
        data = module_ir.encode()
        try:
            self.process.stdin.write(_LENGTH.pack(len(data)) + data)
            self.process.stdin.flush()
        except OSError as e:   # BrokenPipeError: it died
            raise WorkerError(f"the compile worker died ({self._exit_status()})") from e
        deadline = time.monotonic() + timeout
        status = self._read(1, deadline)
        reply = self._message(deadline)
        self.compiled += 1
        if status != _OK:
            raise RuntimeError(reply.decode(errors="replace"))   # as llvmlite raises in-process
        return reply

    def _message(self, deadline):
        return self._read(_LENGTH.unpack(self._read(_LENGTH.size, deadline))[0], deadline)

    def _read(self, n, deadline):
        chunks = []
        while n:
            if not self.replies.poll(max(deadline - time.monotonic(), 0) * 1000):
                raise WorkerError("the compile worker did not answer in time")
            chunk = os.read(self.process.stdout.fileno(), min(n, 1 << 20))
            if not chunk:
                raise WorkerError(f"the compile worker died ({self._exit_status()})")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _exit_status(self):
        try:
            return f"exit status {self.process.wait(timeout=1)}"
        except subprocess.TimeoutExpired:
            return "still running"

    def close(self, kill=False):
        """End the worker: EOF on its stdin (after a kill, with `kill`), then a kill if it
        has not exited within 1 s."""
        if kill:
            self.process.kill()
        try:
            self.process.stdin.close()
            self.process.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


class Pool:
    """Workers for up to as many threads as compile at once: a thread takes an idle worker
    or starts one, and gives it back unless it has compiled `modules_per_worker` modules
    (then it is closed, and a fresh one starts when next needed).

    `object_code` returns None when no worker could do the job (it could not start, died,
    or hung): the caller compiles the module itself. The first such failure warns; a worker
    that fails to start (or runs another llvmlite) disables the pool, as the next would
    fail the same way; one that dies later is replaced on the next module."""

    modules_per_worker = 500   # ~33 MB of leak, as the parent allows itself by default
    timeout = 600.0   # seconds for one module; LLVM takes seconds on the largest

    def __init__(self, cpu: str, features: str):
        self.cpu, self.features = cpu, features
        self.started = 0   # workers started so far
        self.enabled, self.warned = True, False
        self._own_workers()

    def _own_workers(self):
        """No workers yet; also in a forked child, whose parent's workers stay its parent's
        (two processes writing to one worker would mix their requests)."""
        self.pid, self.idle, self.lock = os.getpid(), [], threading.Lock()

    def object_code(self, module_ir: str) -> bytes | None:
        if self.pid != os.getpid():
            self._own_workers()
        with self.lock:
            if not self.enabled:
                return None
            worker = self.idle.pop() if self.idle else None
        try:
            if worker is None:
                worker = Worker(self.cpu, self.features, self.timeout)
                with self.lock:
                    self.started += 1
            code = worker.compile(module_ir, self.timeout)
        except WorkerError as e:
            self._failed(worker, e)
            return None
        except RuntimeError:   # LLVM's error about the module: the worker is fine
            self._give_back(worker)
            raise
        except BaseException:   # an interrupt: the worker's reply would come out of step
            if worker is not None:
                worker.close(kill=True)
            raise
        self._give_back(worker)
        return code

    def _give_back(self, worker):
        if worker.compiled >= self.modules_per_worker:
            worker.close()
        else:
            with self.lock:
                self.idle.append(worker)

    def _failed(self, worker, error):
        if worker is None:
            self.enabled = False
        if worker is not None:
            worker.close(kill=True)
        if not self.warned:
            self.warned = True
            warnings.warn(f"fx: {error}; compiling in this process instead (its memory grows "
                          "by ~65 KB per module: llvmlite's pass builder leaks)", RuntimeWarning)

    def close(self):
        with self.lock:
            idle, self.idle = self.idle, []
        for worker in idle:
            worker.close()


def _serve(cpu: str, features: str):
    """The worker's loop: a module in, object code (or LLVM's error) out, until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is for the parent
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    requests, replies = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)   # whatever LLVM might print goes to stderr, not into the replies
    replies.write(_LENGTH.pack(len(_versions())) + _versions())
    replies.flush()
    while header := requests.read(_LENGTH.size):
        module_ir = requests.read(_LENGTH.unpack(header)[0]).decode()
        try:
            status, data = _OK, object_code(target_machine(cpu, features), module_ir)
        except RuntimeError as e:
            status, data = _ERROR, str(e).encode()
        replies.write(status + _LENGTH.pack(len(data)) + data)
        replies.flush()


if __name__ == "__main__":
    _serve(*sys.argv[1:3])
