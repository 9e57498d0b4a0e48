"""Global configuration, shaped like ``jax.config``.

``config.update("jax_enable_x64", True)`` works unchanged from JAX code; the short
spelling ``"enable_x64"`` works too. Options are plain instance attributes, so the hot
read in dtype canonicalisation (``config.enable_x64``) is a single attribute load.
"""

import contextlib
import os

# Option name -> environment variables consulted (in order) for its initial value.
_OPTIONS = {"enable_x64": ("FX_ENABLE_X64", "JAX_ENABLE_X64")}

_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off", ""}


def _env_flag(names):
    for var in names:
        raw = os.environ.get(var)
        if raw is None:
            continue
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError(f"environment variable {var}={raw!r} is not a boolean; use 1/0 or true/false")
    return False


class Config:
    """fx's options. Read them as attributes; change them with ``update`` or ``override``."""

    def __init__(self):
        for name, env_vars in _OPTIONS.items():
            setattr(self, name, _env_flag(env_vars))

    @staticmethod
    def _canonical_name(name):
        short = name[4:] if name.startswith("jax_") else name
        if short not in _OPTIONS:
            known = ", ".join(f"{n} (or jax_{n})" for n in _OPTIONS)
            raise AttributeError(f"fx has no config option {name!r}; known options: {known}")
        return short

    def __getattr__(self, name):
        # Only reached when normal lookup fails: the "jax_" spellings and unknown names.
        return getattr(self, self._canonical_name(name))

    def update(self, name, value):
        """Set option ``name`` (``"enable_x64"`` or ``"jax_enable_x64"``) to a bool."""
        short = self._canonical_name(name)
        if not isinstance(value, bool):
            raise TypeError(f"config option {name!r} takes a bool, got {type(value).__name__} {value!r}")
        setattr(self, short, value)

    @contextlib.contextmanager
    def override(self, name, value):
        """Set an option inside a ``with`` block and restore its previous value on exit."""
        short = self._canonical_name(name)
        previous = getattr(self, short)
        self.update(name, value)
        try:
            yield
        finally:
            setattr(self, short, previous)


config = Config()
