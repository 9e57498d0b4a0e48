"""Test-session set-up: compiled object code goes to a temporary cache, not the user's."""
import os
import tempfile

os.environ.setdefault("FX_CACHE_DIR", tempfile.mkdtemp(prefix="fx-test-cache-"))
