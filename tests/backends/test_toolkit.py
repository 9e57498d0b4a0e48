"""The backend-neutral pieces every backend builds on: the workspace layout, loading
and unloading executables, and `Lowered.as_text` asking the backend for its own text."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.backends import executable, register_backend, unregister_backend
from fx.backends.base import HostBackend
from fx.ir.workspace import SLOT_ALIGN, slot_offsets


def test_slots_start_on_aligned_boundaries():
    program = fx.jit(lambda x: jnp.exp(jnp.sum(jnp.tanh(x) @ x, axis=0)) + 1).lower(
        np.ones((5, 5), np.float32)).kernel_program()
    offsets, total = slot_offsets(program)
    assert len(offsets) == len(program.slot_sizes) >= 1
    for offset, size, next_offset in zip(offsets, program.slot_sizes, [*offsets[1:], total]):
        assert offset % SLOT_ALIGN == 0 and next_offset - offset >= max(size, 1)


class _Code(executable.LoadedCode):
    __slots__ = ()


class _Toy(executable.Executable):
    loads = 0

    def load_code(self):
        _Toy.loads += 1
        return _Code(self.new_workspace())


def test_executables_unload_least_recently_used_first(monkeypatch):
    monkeypatch.setattr(fx.config, "executable_cache_size", 2)
    toys = [_Toy(100) for _ in range(3)]
    for toy in toys:
        toy.loaded()
    assert sum(t.code is not None for t in toys) == 2    # the clock made room
    code = toys[2].loaded()
    assert code.workspace.nbytes >= 100 and code.workspace.ctypes.data % SLOT_ALIGN == 0
    before = _Toy.loads
    reloaded = [t for t in toys if t.code is None][0]
    reloaded.loaded()
    assert _Toy.loads == before + 1 and reloaded.code is not None


def test_a_busy_workspace_is_not_shared():
    toy = _Toy(64)
    code = toy.loaded()
    seen = []
    with code.workspace_lock:   # another thread is running: this call gets its own
        toy.run_in_workspace(code, seen.append)
    toy.run_in_workspace(code, seen.append)
    assert seen[0] is not code.workspace and seen[1] is code.workspace


class _Texty(HostBackend):
    name = "texty"

    def compile(self, closed):
        return fx.backends.get_backend("interpreter").compile(closed)

    def as_text(self, program):
        return f"texty program of {len(program.body)} statements"


def test_as_text_asks_the_named_backend():
    register_backend(_Texty())
    try:
        lowered = fx.jit(lambda x: jnp.sin(x) * 2).lower(np.ones(3, np.float32))
        assert lowered.as_text("texty") == "texty program of 1 statements"
        assert "define" in lowered.as_text("llvm")
        with pytest.raises(ValueError, match="no text form"):
            lowered.as_text("interpreter")
        with pytest.raises(ValueError, match="unknown dialect 'hlo'"):
            lowered.as_text("hlo")
    finally:
        unregister_backend("texty")


def test_the_program_key_sees_the_output_dtypes():
    # argmax's int32 (x32) and int64 (x64) results read the same f32 input: the programs
    # differ only in their output's dtype, and the disk cache once served one for the other
    from fx.backends.program_key import program_key
    keys = set()
    for x64 in (False, True):
        with fx.config.override("enable_x64", x64):
            program = fx.jit(jnp.argmax).lower(np.ones(12, np.float32)).kernel_program()
            keys.add(program_key(program, ()))
            assert "outputs: out0:i" in str(program)
    assert len(keys) == 2
