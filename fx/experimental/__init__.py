"""fx.experimental, as jax.experimental: io_callback."""
from fx.callbacks import io_callback

__all__ = ["io_callback"]
