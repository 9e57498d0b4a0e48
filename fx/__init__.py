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
from fx.runtime import (allow_f16_reductions, check_tracer_leaks, checking_leaks, clear_caches,
                        debug_key_reuse, default_matmul_precision, default_prng_impl, device_count,
                        enable_checks, enable_custom_prng, enable_x64, ensure_compile_time_eval,
                        explain_cache_misses, host_count, host_id, host_ids, legacy_prng_key,
                        local_device_count, log_compiles, named_call, named_scope, numpy_dtype_promotion,
                        numpy_rank_promotion, print_environment_info, process_count, process_index,
                        process_indices, softmax_custom_jvp, threefry_partitionable, transfer_guard,
                        transfer_guard_device_to_device, transfer_guard_device_to_host,
                        transfer_guard_host_to_device)
from fx.errors import ConcretizationTypeError, UnexpectedTracerError
from fx.transforms.custom import custom_jvp, custom_vjp
from fx.transforms.remat import checkpoint, checkpoint_policies, remat
from fx.dtypes import float0
from fx import (debug, errors, experimental, lax, numpy, nn, random, scipy, sharding,  # noqa: F401
                test_util, tree, tree_util, typing)  # (jax.* submodules)

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
