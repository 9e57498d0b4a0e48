"""On-disk cache of compiled object code, so a restarted process skips LLVM's optimiser
and code generator for programs it has compiled before.

Design, and why:

* One file per entry, ``<directory>/<key>.fxo``. The key is a hex digest the caller
  computes with ``cache_key(*parts)`` from everything the object code depends on: the
  kernel program's text, fx's version, llvmlite's and LLVM's versions, the target CPU's
  name and features (``environment_key_parts()`` gives all but the program). Nothing in
  the file is trusted to be current; a stale entry simply has a different key.
* The directory is ``FX_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/fx``, else
  ``~/.cache/fx``.
* Writes are atomic: the entry is written to a temporary file in the same directory and
  moved into place with ``os.replace``. Readers see the old complete file or the new
  complete file, never a partial one; two processes writing the same key each replace
  the file with a complete copy of (identical) data, so the result is never corrupt. No
  lock files, so a crashed writer cannot wedge the cache.
* Each file starts with a header: magic, format version, payload length and the payload's
  SHA-256. A file that is short, has another magic or version, or fails the checksum (a
  full disk, a crash during a copy, a bad sector, someone's editor) is a miss and is
  removed, unless it was replaced by a good one in the meantime.
* A directory that cannot be created or written disables writing, with one
  ``warnings.warn`` per directory and process; reads of entries already there still work.
  The cache is an optimisation: it never raises on I/O problems.
* There is no size limit or eviction yet; ``clear()`` empties the cache.

How fx uses it: the compiler (compiler.py, ``Engine.address``) stores the object files
it compiled a program into under the program's key, and a later process loads them into
its engine with ``add_object_file`` instead of running LLVM. Object code refers to runtime
functions (``fx_parallel_for``, the gemm) by symbol name; they are bound in the new process
(``runtime.bind_symbols()``) before the objects are loaded and relocated.
"""
from __future__ import annotations

import hashlib
import os
import re
import struct
import tempfile
import warnings

__all__ = ["DiskCache", "cache_key", "default_cache_dir", "environment_key_parts"]

MAGIC = b"FXOBJ\x00\r\n"          # the \r\n catches a text-mode copy
FORMAT_VERSION = 1
_HEADER = struct.Struct("<8sIIQ32s")  # magic, format version, reserved, payload length, sha256
_SUFFIX = ".fxo"
_KEY_RE = re.compile(r"[0-9a-f]{16,128}\Z")
_warned_dirs: set[str] = set()


def cache_key(*parts: str | bytes) -> str:
    """A hex SHA-256 of ``parts``; each is length-prefixed, so ("ab", "c") != ("a", "bc")."""
    h = hashlib.sha256(b"fx-object-cache\0")
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else bytes(part)
        h.update(struct.pack("<Q", len(data)))
        h.update(data)
    return h.hexdigest()


def environment_key_parts() -> tuple[str, ...]:
    """What object code depends on besides the program: fx, llvmlite and LLVM versions, the
    host CPU and its features, this file's format."""
    from importlib.metadata import PackageNotFoundError, version

    import llvmlite
    import llvmlite.binding as llvm
    try:
        fx_version = version("fx")
    except PackageNotFoundError:
        fx_version = "unknown"
    return (f"fx={fx_version}", f"llvmlite={llvmlite.__version__}",
            "llvm=" + ".".join(map(str, llvm.llvm_version_info)),
            f"triple={llvm.get_process_triple()}", f"cpu={llvm.get_host_cpu_name()}",
            f"features={llvm.get_host_cpu_features().flatten()}", f"format={FORMAT_VERSION}")


def default_cache_dir() -> str:
    """``FX_CACHE_DIR``, else ``$XDG_CACHE_HOME/fx``, else ``~/.cache/fx``."""
    explicit = os.environ.get("FX_CACHE_DIR")
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.abspath(os.path.join(base, "fx"))


class DiskCache:
    """Object code on disk by key. ``get`` returns None on any miss; ``put`` never raises for
    I/O reasons."""

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = (os.path.abspath(os.fspath(directory)) if directory is not None
                          else default_cache_dir())
        self.writable = True

    # -- paths ---------------------------------------------------------------------------
    def path_for(self, key: str) -> str:
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise ValueError(f"DiskCache key must be a lowercase hex digest (from cache_key), got {key!r}")
        return os.path.join(self.directory, key + _SUFFIX)

    # -- reading -------------------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        path = self.path_for(key)
        try:
            with open(path, "rb") as f:
                raw = f.read()
                ident = os.fstat(f.fileno())
        except OSError:
            return None
        data = _decode(raw)
        if data is None:
            self._discard(path, ident)
        return data

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    @staticmethod
    def _discard(path, ident):
        # Remove a bad entry, unless another process has replaced it meanwhile.
        try:
            now = os.stat(path)
            if (now.st_ino, now.st_dev) == (ident.st_ino, ident.st_dev):
                os.unlink(path)
        except OSError:
            pass

    # -- writing -------------------------------------------------------------------------
    def put(self, key: str, data: bytes) -> bool:
        """Store ``data`` under ``key``; True if it was written."""
        path = self.path_for(key)
        if not self.writable:
            return False
        data = bytes(data)
        tmp = None
        try:
            os.makedirs(self.directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-" + key[:16] + "-", suffix=_SUFFIX, dir=self.directory)
            with os.fdopen(fd, "wb") as f:
                f.write(_encode(data))
            os.replace(tmp, path)
            tmp = None
            return True
        except OSError as e:
            self._disable(e)
            return False
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

    def _disable(self, error):
        self.writable = False
        if self.directory not in _warned_dirs:
            _warned_dirs.add(self.directory)
            warnings.warn(f"fx: cannot write the compilation cache in {self.directory!r} ({error}); "
                          "compiled code will not be cached on disk (set FX_CACHE_DIR to a writable "
                          "directory)", RuntimeWarning, stacklevel=3)

    def clear(self) -> int:
        """Remove every entry; returns how many went."""
        removed = 0
        try:
            names = os.listdir(self.directory)
        except OSError:
            return 0
        for name in names:
            if name.endswith(_SUFFIX) and not name.startswith(".tmp-"):   # not a writer's file
                try:
                    os.unlink(os.path.join(self.directory, name))
                    removed += 1
                except OSError:
                    pass
        return removed

    def __repr__(self):
        return f"DiskCache({self.directory!r})"


def _encode(data: bytes) -> bytes:
    return _HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(data), hashlib.sha256(data).digest()) + data


def _decode(raw: bytes) -> bytes | None:
    if len(raw) < _HEADER.size:
        return None
    magic, version, _reserved, length, digest = _HEADER.unpack_from(raw)
    if magic != MAGIC or version != FORMAT_VERSION or length != len(raw) - _HEADER.size:
        return None
    data = raw[_HEADER.size:]
    if hashlib.sha256(data).digest() != digest:
        return None
    return data
