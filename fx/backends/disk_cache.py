"""On-disk cache of compiled code, so a restarted process skips a backend's compiler for
programs it has compiled before. Backend-neutral: entries are opaque bytes under a key.

Design, and why:

* One file per entry, ``<directory>/<key>.fxo``. The key is a hex digest the caller
  computes with ``cache_key(*parts)`` from everything the code depends on
  (program_key.py: the kernel program, fx's version, and what the backend names: its
  toolchain, target and code generator). Nothing in the file is trusted to be current; a
  stale entry simply has a different key.
* The directory is ``FX_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/fx``, else
  ``~/.cache/fx``.
* Writes are atomic: the entry is written to a temporary file in the same directory and
  moved into place with ``os.replace``. Readers see the old complete file or the new
  complete file, never a partial one; two processes writing the same key each replace
  the file with a complete copy of (identical) data, so the result is never corrupt. No
  lock files, so a crashed writer cannot wedge the cache.
* Each file starts with a header: magic, format version, the lengths of the key and the
  payload, and the SHA-256 of both; the key itself follows, then the payload. A file that
  is short, has another magic or version, fails the checksum (a full disk, a crash during
  a copy, a bad sector, someone's editor) or names another key (an entry renamed or copied
  over another) is a miss and is removed, unless it was replaced by a good one meanwhile.
* Only regular files are read: an entry is opened non-blocking and checked with ``fstat``
  before a byte is read, so a FIFO, a device, a directory or a symlink to one of them in
  the entry's place is a miss (and removed where that is safe), never a hang. A file
  larger than the cache's size limit is not read.
* Problems never raise: a directory that cannot be created or written disables writing,
  a damaged entry is removed, each with at most one ``warnings.warn`` per directory and
  process. The cache is an optimisation; the caller compiles again on a miss.
* Size: at most ``FX_CACHE_MAX_BYTES`` (default 1 GiB) of entries. Reading an entry
  touches its modification time, so the times order the entries by last use; a write that
  takes the cache over the limit removes the least recently used entries until it is at
  90% of it (so eviction does not run at every write). The cache counts its size once per
  process and adds its own writes, so a write costs no directory scan until the limit is
  near.

The checksum guards against accidents, not an attacker: whoever can write the cache
directory can run code as its owner anyway (as with ``__pycache__``). The loader checks
the object files before it links them and links each program apart, so damage that
gets past the checksum is still refused rather than run (llvm/engine.py, ``Engine``).

How fx uses it: the llvm engine (llvm/engine.py, ``Engine.library``) stores the object
files it compiled a program into under the program's key, and a later process links them
into a JIT library of their own instead of running LLVM.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import tempfile
import warnings

__all__ = ["DiskCache", "cache_key", "default_cache_dir", "default_max_bytes"]

MAGIC = b"FXOBJ\x00\r\n"          # the \r\n catches a text-mode copy
FORMAT_VERSION = 2
_HEADER = struct.Struct("<8sIIQ32s")  # magic, format version, key length, payload length, sha256
_SUFFIX = ".fxo"
_KEY_RE = re.compile(r"[0-9a-f]{16,128}\Z")
DEFAULT_MAX_BYTES = 1 << 30
_EVICT_TO = 0.9                   # eviction leaves the cache at this fraction of its limit
_warned: set[tuple[str, str]] = set()   # (directory, kind) already warned about


class _Damaged(Exception):
    """An entry that must not be used; the message says why."""


def cache_key(*parts: str | bytes) -> str:
    """A hex SHA-256 of ``parts``; each is length-prefixed, so ("ab", "c") != ("a", "bc")."""
    h = hashlib.sha256(b"fx-object-cache\0")
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else bytes(part)
        h.update(struct.pack("<Q", len(data)))
        h.update(data)
    return h.hexdigest()


def default_cache_dir() -> str:
    """``FX_CACHE_DIR``, else ``$XDG_CACHE_HOME/fx``, else ``~/.cache/fx``."""
    explicit = os.environ.get("FX_CACHE_DIR")
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.abspath(os.path.join(base, "fx"))


def default_max_bytes() -> int:
    """``FX_CACHE_MAX_BYTES`` (a byte count), else 1 GiB."""
    raw = os.environ.get("FX_CACHE_MAX_BYTES", "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        return _check_max_bytes(int(raw))
    except ValueError:
        raise ValueError(f"environment variable FX_CACHE_MAX_BYTES={raw!r}: expected a byte "
                         "count, an integer >= 0") from None


def _check_max_bytes(n):
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"DiskCache max_bytes must be an integer >= 0, got {n!r}")
    return n


class DiskCache:
    """Object code on disk by key. ``get`` returns None on any miss; ``put`` never raises for
    I/O reasons; entries beyond ``max_bytes`` go, least recently used first."""

    def __init__(self, directory: str | os.PathLike | None = None, max_bytes: int | None = None):
        self.directory = (os.path.abspath(os.fspath(directory)) if directory is not None
                          else default_cache_dir())
        self.max_bytes = default_max_bytes() if max_bytes is None else _check_max_bytes(max_bytes)
        self.writable = True
        self._size = None   # bytes of entries: counted at the first write, plus our writes since

    # -- paths ---------------------------------------------------------------------------
    def path_for(self, key: str) -> str:
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise ValueError(f"DiskCache key must be a lowercase hex digest (from cache_key), got {key!r}")
        return os.path.join(self.directory, key + _SUFFIX)

    # -- reading -------------------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        """The payload stored under ``key``, or None (absent, unreadable, damaged: removed)."""
        path = self.path_for(key)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        try:
            ident = os.fstat(fd)
            try:
                data = _decode(_read_regular(fd, ident, self.max_bytes + _HEADER.size + 128), key)
            except _Damaged as e:
                self._remove(path, ident, str(e))
                return None
            try:
                os.utime(fd)    # last use, for eviction
            except OSError:
                pass
            return data
        except OSError:
            return None
        finally:
            os.close(fd)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def discard(self, key: str, reason: str) -> None:
        """Remove the entry for ``key`` (its contents proved unusable: ``reason``)."""
        path = self.path_for(key)
        try:
            self._remove(path, os.stat(path), reason)
        except OSError:
            pass

    def _remove(self, path, ident, reason):
        """Remove a bad entry, unless another process has replaced it meanwhile; warn once."""
        self._warn("damaged", f"fx: removed a bad compilation cache entry {os.path.basename(path)!r} "
                              f"in {self.directory!r} ({reason}); its program is compiled again")
        try:
            now = os.stat(path)
            if (now.st_ino, now.st_dev) != (ident.st_ino, ident.st_dev):
                return
            if stat.S_ISDIR(os.lstat(path).st_mode):
                os.rmdir(path)      # only when empty: never delete what someone put there
            else:
                os.unlink(path)     # a symlink goes, not its target
        except OSError:
            pass

    # -- writing -------------------------------------------------------------------------
    def put(self, key: str, data: bytes) -> bool:
        """Store ``data`` under ``key``; True if it was written."""
        path = self.path_for(key)
        if not self.writable:
            return False
        encoded = _encode(key, bytes(data))
        try:
            os.makedirs(self.directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-" + key[:16] + "-", suffix=_SUFFIX, dir=self.directory)
        except OSError as e:
            return self._disable(e)
        try:
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(encoded)
            except OSError as e:    # a full disk or a quota: stop writing
                return self._disable(e)
            try:
                os.replace(tmp, path)
            except OSError as e:    # something (a directory) in this entry's place
                self._warn("write", f"fx: cannot write the compilation cache entry {path!r} ({e})")
                return False
            tmp = None
        finally:
            if tmp is not None:
                _unlink(tmp)
        self._account(len(encoded))
        return True

    def _disable(self, error):
        self.writable = False
        self._warn("write", f"fx: cannot write the compilation cache in {self.directory!r} ({error}); "
                            "compiled code will not be cached on disk (set FX_CACHE_DIR to a writable "
                            "directory)")
        return False

    def _warn(self, kind, message):
        if (self.directory, kind) not in _warned:
            _warned.add((self.directory, kind))
            warnings.warn(message, RuntimeWarning, stacklevel=4)

    # -- size ----------------------------------------------------------------------------
    def _account(self, written):
        """Count a write; over the limit, remove the least recently used entries."""
        self._size = self.size() if self._size is None else self._size + written
        if self._size > self.max_bytes:
            self._size = self._evict(int(self.max_bytes * _EVICT_TO))

    def size(self) -> int:
        """Bytes of the entries in the directory now."""
        return sum(size for _, size, _ in self._entries())

    def _evict(self, target):
        """Remove entries, least recently used first, until at most `target` bytes remain;
        returns the bytes that remain."""
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries:
            if total <= target:
                break
            if _unlink(path):
                total -= size
        return total

    def _entries(self):
        """(last use in ns, bytes, path) of each entry file (not a writer's temporary file)."""
        found = []
        try:
            with os.scandir(self.directory) as it:
                for e in it:
                    if e.name.endswith(_SUFFIX) and not e.name.startswith(".tmp-"):
                        try:
                            st = e.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        if stat.S_ISREG(st.st_mode):
                            found.append((st.st_mtime_ns, st.st_size, e.path))
        except OSError:
            pass
        return found

    def clear(self) -> int:
        """Remove every entry; returns how many went."""
        self._size = None
        return sum(_unlink(path) for _, _, path in self._entries())

    def __repr__(self):
        return f"DiskCache({self.directory!r}, max_bytes={self.max_bytes})"


def _unlink(path) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False


def _read_regular(fd, ident, limit) -> bytes:
    """The whole file open at `fd`, which must be a regular file of at most `limit` bytes."""
    if not stat.S_ISREG(ident.st_mode):
        raise _Damaged("not a regular file")
    if ident.st_size > limit:
        raise _Damaged(f"{ident.st_size} bytes, more than the cache holds")
    chunks, left = [], ident.st_size + 1     # one more, to see a file that grew
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _encode(key: str, data: bytes) -> bytes:
    name = key.encode("ascii")
    digest = hashlib.sha256(name + data).digest()
    return _HEADER.pack(MAGIC, FORMAT_VERSION, len(name), len(data), digest) + name + data


def _decode(raw: bytes, key: str) -> bytes:
    """The payload of entry file contents `raw` stored under `key`; raises _Damaged."""
    if len(raw) < _HEADER.size:
        raise _Damaged(f"{len(raw)} bytes, shorter than a header")
    magic, version, key_length, length, digest = _HEADER.unpack_from(raw)
    if magic != MAGIC or version != FORMAT_VERSION:
        raise _Damaged("not an fx cache entry of this format")
    if _HEADER.size + key_length + length != len(raw):
        raise _Damaged("truncated or extended")
    body = raw[_HEADER.size:]
    if hashlib.sha256(body).digest() != digest:
        raise _Damaged("checksum mismatch")
    if body[:key_length] != key.encode("ascii"):
        raise _Damaged("it holds the code of another key")
    return body[key_length:]
