"""What every compiled executable does besides running its code: loading the code only
while it is in use, and the workspace its temporaries live in.

A backend's executable subclasses `Executable` and implements `load_code` (returning a
`LoadedCode` subclass holding its native code); calls go through `loaded()` and
`run_in_workspace`. Executables unload when more than `config.executable_cache_size` are
loaded, least recently used first, so compiling many programs keeps memory bounded; one
called again loads again (from the program's live code, the disk cache or the compiler).
"""
from __future__ import annotations

import collections
import threading
import weakref

import numpy as np

from fx.config import config
from fx.ir.workspace import SLOT_ALIGN


class LoadedCode:
    """An executable's loaded side: subclasses add the code itself. It holds the workspace
    for temporaries (kept across calls: fresh memory would page-fault on every call; a call
    that finds it in use by another thread gets one of its own) and the bit the unloading
    clock reads (set by every call)."""
    __slots__ = ("workspace", "workspace_lock", "used")

    def __init__(self, workspace):
        self.workspace = workspace
        self.workspace_lock = threading.Lock()
        self.used = True


class Executable:
    def __init__(self, workspace_bytes: int):
        self.workspace_bytes = workspace_bytes
        self.code = None

    def load_code(self) -> LoadedCode:
        """Load the native code (the backend's part)."""
        raise NotImplementedError

    def loaded(self) -> LoadedCode:
        """The loaded code, loading it if needed. Hold it in a local while calling it: the
        code stays loaded until the caller lets go."""
        code = self.code or self._load()
        code.used = True
        return code

    def _load(self):
        with _loaded_lock:
            if self.code is None:
                self.code = self.load_code()
                _loaded.append(weakref.ref(self))
                _unload_beyond(config.executable_cache_size)
            return self.code

    def new_workspace(self):
        """Zero-initialised host memory for the temporaries, on a SLOT_ALIGN boundary."""
        buffer = np.zeros(self.workspace_bytes + SLOT_ALIGN, np.uint8)
        return buffer[-buffer.__array_interface__["data"][0] % SLOT_ALIGN:]

    def run_in_workspace(self, code: LoadedCode, run, *args):
        """run(*args, workspace) with the code's workspace, or a new one while another
        thread is using it."""
        if not self.workspace_bytes:
            return run(*args, code.workspace)
        if code.workspace_lock.acquire(blocking=False):
            try:
                return run(*args, code.workspace)
            finally:
                code.workspace_lock.release()
        return run(*args, self.new_workspace())


# Loaded executables, oldest first, by weak reference: the dead are skipped when reached.
_loaded: collections.deque = collections.deque()
_loaded_lock = threading.Lock()


def _unload_beyond(capacity):
    """Unload executables until at most `capacity` are loaded: a clock, so the least
    recently used go first (one called since the hand last passed gets a second chance)."""
    while len(_loaded) > capacity:
        ref = _loaded.popleft()
        exe = ref()
        if exe is None or exe.code is None:
            continue
        if exe.code.used:
            exe.code.used = False
            _loaded.append(ref)
        else:
            exe.code = None


def unload_all():
    """Unload every executable's native code (fx.clear_caches); each loads again, from the
    on-disk cache, when next called."""
    with _loaded_lock:
        _unload_beyond(0)


def loaded_count() -> int:
    """How many executables have their native code loaded now."""
    with _loaded_lock:
        return sum(1 for ref in _loaded if (exe := ref()) is not None and exe.code is not None)
