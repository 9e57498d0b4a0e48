"""The name of a program's compiled code, in memory and in the disk cache.

It covers everything compiled code depends on: the kernel program (its text, and its
constants by content), fx's version, the disk cache's format, and what the backend adds
(its toolchain's versions, the target, its code generator's source and settings). Two
processes compiling the same program for the same machine get the same key.
"""
from __future__ import annotations

import functools
import hashlib
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from fx.backends.disk_cache import FORMAT_VERSION, cache_key
from fx.ir import kernels as K


def program_key(program: K.Program, backend_parts) -> str:
    consts = [hashlib.sha256(np.ascontiguousarray(c.value).tobytes()).hexdigest()
              for c in program.consts]
    return cache_key(str(program), *consts, *_fx_parts(), *backend_parts)


@functools.cache
def _fx_parts():
    try:
        fx_version = version("fx")
    except PackageNotFoundError:
        fx_version = "unknown"
    return f"fx={fx_version}", f"format={FORMAT_VERSION}"


def source_fingerprint(*paths) -> str:
    """A digest of source files (a code generator's own): changing how code is generated
    must never load code generated the old way."""
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(paths))).hexdigest()
