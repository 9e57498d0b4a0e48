"""The disk cache can never crash or hang the process: each damaged state of a cache
entry is planted between two runs, and the second run must give the right answers
(recompiling), in a subprocess, so that a segfault or an abort fails the test instead of
killing pytest, and a hang hits the timeout."""
import json
import os
import stat
import subprocess
import sys

import pytest

from fx.backends.llvm import engine, entry
from fx.backends import disk_cache as dc

pytestmark = pytest.mark.slow  # each case runs two child processes

# Two programs; prints their results, then what the engine did: [compiled, from disk].
SCRIPT = """
import json, numpy as np, fx, fx.numpy as jnp
from fx.backends.llvm import engine, entry
x = np.linspace(-1.0, 2.0, 12, dtype=np.float32).reshape(3, 4)
f = fx.jit(lambda x: jnp.tanh(x) * 2.0 + x.sum())
g = fx.jit(lambda x: (x @ x.T).sum(axis=1) - jnp.exp(x).max())
e = engine.get_engine()
print(json.dumps([f(x).tolist(), g(x).tolist(), e.compiled, e.from_disk]))
"""


def _run(cache_dir, timeout=120):
    env = dict(os.environ, FX_CACHE_DIR=str(cache_dir))
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    f, g, compiled, from_disk = json.loads(done.stdout)
    return (f, g), compiled, from_disk, done.stderr


def _entries(cache_dir):
    return sorted(p for p in os.listdir(cache_dir) if p.endswith(".fxo") and not p.startswith(".tmp"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The right answers, and a cache directory holding the two programs' good entries."""
    cache_dir = tmp_path_factory.mktemp("good")
    results, compiled, from_disk, _ = _run(cache_dir)
    assert (compiled, from_disk) == (2, 0) and len(_entries(cache_dir)) == 2
    again, compiled, from_disk, _ = _run(cache_dir)
    assert again == results and (compiled, from_disk) == (0, 2)   # the cache is hit
    return results, cache_dir


def _copy_good(reference, tmp_path):
    _, good = reference
    for name in _entries(good):
        (tmp_path / name).write_bytes((good / name).read_bytes())
    return [tmp_path / name for name in _entries(tmp_path)]


def _payload(path):
    key = path.name[:-len(dc._SUFFIX)]
    return key, engine._unpack(dc.DiskCache(path.parent).get(key))


def _rewrite(path, objects):
    """Store `objects` as the entry at `path`, with a valid header, key and checksum."""
    key = path.name[:-len(dc._SUFFIX)]
    path.write_bytes(dc._encode(key, engine._pack(objects)))


def _swap(a, b):
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)
    b.write_bytes(data_a)


def _garbage(a, b):
    _, objects = _payload(a)
    _rewrite(a, [os.urandom(len(o)) for o in objects])
    _, objects = _payload(b)
    _rewrite(b, [b"\x7fELF" + os.urandom(len(o) - 4) for o in objects])   # passes the magic test


def _truncated(a, b):
    for path in (a, b):
        _, objects = _payload(path)
        _rewrite(path, [o[:len(o) // 2] for o in objects])


def _structure_damaged(a, b):
    """ELF headers, section tables and symbol tables overwritten (checksums recomputed)."""
    _, objects = _payload(a)
    _rewrite(a, [o[:20] + b"\xff" * 44 + o[64:] for o in objects])
    _, objects = _payload(b)
    _rewrite(b, [o[:-200] + b"\x41" * 200 for o in objects])


def _unresolved(a, b):
    """Sound objects that define the entry point but call a function nobody defines."""
    import llvmlite.binding as llvm
    for path in (a, b):
        key = path.name[:-len(dc._SUFFIX)]
        symbol = f"fx_{key[:24]}_entry" + ("_objects" if entry.ndarray_data_offset() is not None else "")
        module = llvm.parse_assembly(f"""declare void @fx_no_such_function()
            define void @{symbol}() {{ call void @fx_no_such_function() ret void }}""")
        _rewrite(path, [engine.get_engine().target_machine().emit_object(module)])


def _empty(a, b):
    a.write_bytes(b"")
    b.write_bytes(b"")


def _fifo(a, b):
    for path in (a, b):
        path.unlink()
        os.mkfifo(path)


def _directory(a, b):
    a.unlink()
    a.mkdir()
    b.unlink()
    b.mkdir()
    (b / "somebody's file").write_text("kept")


def _symlinks(a, b):
    for path in (a, b):
        path.unlink()
    os.symlink("/dev/zero", a)                        # endless
    os.symlink(a.parent / "nowhere", b)               # dangling


STATES = {"swapped": _swap, "garbage": _garbage, "truncated": _truncated,
          "structure": _structure_damaged, "unresolved": _unresolved, "empty": _empty, "fifo": _fifo,
          "directory": _directory, "symlinks": _symlinks}
# What the (one) warning names as the reason, where that is certain.
REASONS = {"swapped": "another key", "garbage": "not an object file for this machine",
           "unresolved": "fx_no_such_function", "fifo": "not a regular file",
           "empty": "shorter than a header"}


@pytest.mark.parametrize("state", STATES)
def test_a_damaged_entry_is_recompiled_not_run(reference, tmp_path, state):
    results, _ = reference
    a, b = _copy_good(reference, tmp_path)
    STATES[state](a, b)
    got, compiled, from_disk, stderr = _run(tmp_path)
    assert got == results
    assert compiled == 2 and from_disk == 0           # nothing bad was loaded
    assert stderr.count("RuntimeWarning") <= 2        # at most one warning per kind
    assert REASONS.get(state, "") in stderr
    if state == "directory":
        assert (b / "somebody's file").read_text() == "kept"   # never deletes what it did not write
        return
    assert all(stat.S_ISREG(os.lstat(p).st_mode) for p in (a, b))   # good entries took their place
    got, compiled, from_disk, _ = _run(tmp_path)
    assert got == results and (compiled, from_disk) == (0, 2)


def test_a_symlink_to_a_good_entry_is_followed(reference, tmp_path):
    results, _ = reference
    a, b = _copy_good(reference, tmp_path)
    store = tmp_path / "store"
    store.mkdir()
    for path in (a, b):
        path.rename(store / path.name)
        os.symlink(store / path.name, path)
    got, compiled, from_disk, _ = _run(tmp_path)
    assert got == results and (compiled, from_disk) == (0, 2)


@pytest.mark.parametrize("kind", ["a file", "unreadable"])
def test_an_unusable_cache_directory_still_computes(reference, tmp_path, kind):
    results, _ = reference
    if kind == "a file":
        cache_dir = tmp_path / "file"
        cache_dir.write_text("not a directory")
    else:
        cache_dir = tmp_path / "locked"
        _copy_good(reference, tmp_path)
        cache_dir.mkdir()
        for name in _entries(tmp_path):
            (tmp_path / name).rename(cache_dir / name)
        cache_dir.chmod(0)                    # root reads it anyway: then it is a hit
    try:
        got, compiled, from_disk, stderr = _run(cache_dir)
    finally:
        if kind == "unreadable":
            cache_dir.chmod(0o700)
    assert got == results and compiled + from_disk == 2
    assert stderr.count("RuntimeWarning") <= 1


def _sections(obj):
    from fx.backends.llvm import objcheck as oc
    header = oc._EHDR.unpack_from(obj)
    return [(header[6] + i * oc._SHDR.size, oc._SHDR.unpack_from(obj, header[6] + i * oc._SHDR.size))
            for i in range(header[12])]


def _first(obj, kind):
    return next((at, s) for at, s in _sections(obj) if s[1] == kind)


def _misaligned(obj):
    at, _ = _sections(obj)[1]
    obj[at + 48:at + 56] = (3).to_bytes(8, "little")


def _got_relocation(obj):           # needs a GOT entry for a symbol that may have no name
    _, rela = _first(obj, 4)
    obj[rela[4] + 8:rela[4] + 12] = (9).to_bytes(4, "little")


def _tls_symbol(obj):
    _, symtab = _first(obj, 2)
    obj[symtab[4] + symtab[5] - 24 + 4] = 0x16   # global, TLS


def _duplicate_definition(obj):
    _, symtab = _first(obj, 2)
    last = symtab[4] + symtab[5] - 24
    globals_ = [p for p in range(symtab[4] + symtab[7] * 24, last + 1, 24)
                if int.from_bytes(obj[p + 6:p + 8], "little")]
    obj[globals_[0]:globals_[0] + 4] = obj[globals_[-1]:globals_[-1] + 4]


def _sections_past_the_end(obj):
    obj[40:48] = (len(obj) - 10).to_bytes(8, "little")


@pytest.mark.parametrize("damage", [_misaligned, _got_relocation, _tls_symbol, _duplicate_definition,
                                    _sections_past_the_end])
def test_object_checks_refuse_what_would_abort_the_linker(damage):
    """Damage found by fuzzing to abort LLVM (assertions, unreachable code) is refused."""
    import llvmlite.binding as llvm

    from fx.backends.llvm import objcheck
    native = engine.get_engine()
    module = llvm.parse_assembly("""
        @table = global [2 x double] [double 1.0, double 2.0]
        declare double @sin(double)
        define double @fx_test_a(i64 %i) {
          %p = getelementptr [2 x double], [2 x double]* @table, i64 0, i64 %i
          %x = load double, double* %p
          %y = call double @sin(double %x)
          ret double %y
        }
        define double @fx_test_b(double %x) { ret double %x }""")
    obj = native.target_machine().emit_object(module)
    if not obj.startswith(b"\x7fELF\x02\x01") or obj[18] != 62:
        pytest.skip("the checks are written for ELF64 x86-64 objects")
    empty = native.target_machine().emit_object(llvm.parse_assembly(""))
    identity = empty[:objcheck.identity_length(empty)]
    objcheck.check_object(obj, identity)                  # sound as emitted
    damaged = bytearray(obj)
    damage(damaged)
    with pytest.raises(objcheck.BadObject):
        objcheck.check_object(bytes(damaged), identity)
