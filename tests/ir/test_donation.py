"""Which outputs may take a donated input's buffer (fx/ir/donation.py), on the kernel
programs lowering makes: in place only where each element is read before it is
overwritten, or when every read of the input comes first."""
import numpy as np
import pytest

import fx
import fx.numpy as jnp
from fx.ir.donation import donation_aliases


def aliases(f, *args, donated=(0,)):
    return donation_aliases(fx.jit(f).lower(*args).kernel_program("llvm"), donated)


x, y = np.arange(6.0, dtype=np.float32).reshape(2, 3), np.ones((2, 3), np.float32)


@pytest.mark.parametrize("f, want", [
    (lambda a, b: a * 2 + b, {0: 0}),                 # elementwise: in place
    (lambda a, b: (jnp.sum(a), a * b), {1: 0}),       # the sum is no fit: another size
    (lambda a, b: a[::-1] * b, {}),                  # reads other rows than it writes
    (lambda a, b: a.T.reshape(2, 3) + b, {}),          # a transpose: the same
    (lambda a, b: (a + b).astype(np.int32), {}),      # another dtype
    (lambda a, b: a, {0: 0}),                         # its copy: written in place
    (lambda a, b: (a + 1, a + 2), {1: 0}),            # the last reader writes in place
])
def test_outputs_take_donated_buffers_only_where_it_is_safe(f, want):
    assert aliases(f, x, y) == want


def test_a_product_cannot_overwrite_its_operand_but_a_later_output_can():
    sq = np.eye(3, dtype=np.float32)
    assert aliases(lambda a: a @ a, sq) == {}
    # the product reads a first; the update after it writes into a's buffer
    assert aliases(lambda a: (a @ a).sum() * a, sq) == {0: 0}


def test_donating_nothing_aliases_nothing():
    assert aliases(lambda a, b: a * b, x, y, donated=()) == {}
