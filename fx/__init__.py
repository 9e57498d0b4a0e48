"""fx: composable function transformations for numerical Python, with JAX's API.

    import fx, fx.numpy as jnp
    fx.grad(fx.jit(loss))(params, batch)
"""
from fx.config import config
from fx.array import Array
from fx.api import (ShapeDtypeStruct, block_until_ready, debug_infs, debug_nans, device_get,
                    device_put, disable_jit, eval_shape, grad, hessian, jacfwd, jacrev, jit, jvp,
                    linear_transpose,
                    linearize, make_jaxpr, profile, typeof, value_and_grad, vjp, vmap)
from fx.backends import devices
from fx.callbacks import pure_callback
from fx.errors import ConcretizationTypeError, UnexpectedTracerError
from fx.transforms.custom import custom_jvp, custom_vjp
from fx.transforms.remat import checkpoint, checkpoint_policies, remat
from fx import (debug, errors, experimental, lax, numpy, nn, random, sharding, test_util,  # noqa: F401
                tree, tree_util)  # (jax.* submodules)

__version__ = "0.1.0"

jacobian = jacrev


def local_devices(backend=None):
    return devices(backend)


def default_device(device):
    """Run work on uncommitted arrays on `device` inside a ``with`` block (JAX's
    jax.default_device; the config option ``default_device`` sets it for good)."""
    return config.override("default_device", device)


def default_backend():
    """The platform of the default backend: "cpu", or "gpu" when a GPU backend is the default."""
    from fx.backends import get_backend
    return get_backend().platform
