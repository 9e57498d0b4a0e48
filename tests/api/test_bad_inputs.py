"""Bad and edge inputs to the array API (issue #9, part 1): the generated harness on a fixed
seed and budget (tests/bad_inputs), and one regression test per reported case.

A larger run: `python scripts/bad_inputs.py --calls 8000 --seed 1`.
"""
import numpy as np
import pytest

import fx
import fx.lax as lax
import fx.numpy as jnp
from tests.bad_inputs import harness
from tests.bad_inputs.targets import Param, Target

pytestmark = pytest.mark.slow  # the harness runs its calls in child processes

CALLS, SEED = 6000, 0


@pytest.fixture(scope="module")
def report():
    return harness.run(CALLS, SEED)


def _lines(records):
    return "\n".join(f"{r['src']}  # {r['detail']} [{r['where']}]" for r in records)


def test_harness_covers_the_api(report):
    assert report.calls == CALLS
    names = {r["target"] for r in report.records}
    for expected in ("jnp.sum", "jnp.transpose", "jnp.linalg.solve", "lax.dynamic_update_slice",
                     "lax.transpose", "nn.softmax", "random.normal", "getitem", "at.set"):
        assert expected in names
    assert report.counts["clear"] > CALLS // 3  # most bad calls are refused, clearly


def test_every_valid_call_matches_numpy(report):
    assert not report.of("broken"), _lines(report.of("broken"))


def test_no_crash_hang_or_silent_wrong_answer(report):
    assert not report.of("crash", "hang", "silent"), _lines(report.of("crash", "hang", "silent"))


def test_unclear_errors_are_under_one_percent(report):
    assert report.counts["unclear"] < 0.01 * report.bad_calls, _lines(report.of("unclear"))


def test_a_crash_or_a_hang_is_recorded_and_the_run_goes_on():
    crash = Target("crash", (Param("x", "int", "0", True),), call="__import__('os').abort()")
    hang = Target("hang", (Param("x", "int", "0", True),), call="__import__('time').sleep(60)")
    n_targets = len(harness.all_targets())
    report = harness.run(n_targets + 2, SEED, extra=(crash, hang), timeout_s=1)
    assert report.calls == n_targets + 2
    assert [r["target"] for r in report.of("crash")] == ["crash"]
    assert [r["target"] for r in report.of("hang")] == ["hang"]


def test_the_classifier_tells_clear_from_unclear_errors():
    assert harness.classify_error(TypeError("axis must be an integer, got str '0'"), "fx/x.py:1 f") == "clear"
    assert harness.classify_error(TypeError("'int' object is not iterable"), "fx/x.py:1 f") == "unclear"
    assert harness.classify_error(IndexError("tuple index out of range"), "fx/x.py:1 f") == "unclear"
    assert harness.classify_error(KeyError("a"), "fx/x.py:1 f") == "unclear"
    assert harness.classify_error(ValueError(""), "fx/x.py:1 f") == "unclear"


# ---------------------------------------------------------------------------- the cases

X5 = np.arange(5.0)


@pytest.mark.parametrize("length", [3, 7])
def test_boolean_mask_of_the_wrong_length_raises(length):
    mask = np.array([True] * length)
    with pytest.raises(IndexError, match="boolean index did not match"):
        jnp.asarray(X5)[mask]
    with pytest.raises(IndexError, match="boolean index did not match"):
        jnp.asarray(X5).at[mask].set(1.0)
    with pytest.raises(IndexError, match="boolean index did not match"):
        jnp.asarray(np.zeros((3, 4)))[:, np.array([True] * length)]


def test_boolean_masks_of_the_right_shape_still_index():
    x = np.arange(12.0).reshape(3, 4)
    rows, cells = np.array([True, False, True]), x > 5
    np.testing.assert_array_equal(jnp.asarray(x)[rows], x[rows])
    np.testing.assert_array_equal(jnp.asarray(x)[cells], x[cells])
    np.testing.assert_array_equal(jnp.asarray(x)[1, np.array([True, False, False, True])], x[1, [0, 3]])
    expected = x.copy()
    expected[cells] = -1
    np.testing.assert_array_equal(jnp.asarray(x).at[cells].set(-1.0), expected)


@pytest.mark.parametrize("call", [
    lambda a: jnp.transpose(a, (0, 1)),
    lambda a: jnp.transpose(a, (0, 0, 1)),
    lambda a: jnp.moveaxis(a, 0, (0, 0)),
    lambda a: jnp.moveaxis(a, (0, 1), (1, 1)),
    lambda a: lax.transpose(a, "0"),
    lambda a: lax.transpose(a, (0, 1)),
    lambda a: lax.transpose(a, (0, 1, 3)),
    lambda a: jnp.asarray(a).transpose((1, 0)),
])
def test_invalid_permutations_raise(call):
    with pytest.raises((TypeError, ValueError)):
        call(np.zeros((2, 3, 4)))


def test_valid_permutations_with_negative_axes():
    a = np.zeros((2, 3, 4))
    assert jnp.transpose(a, (-1, 0, 1)).shape == (4, 2, 3)
    assert jnp.moveaxis(a, -1, 0).shape == (4, 2, 3)


def test_masked_arrays_are_refused():
    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])
    for call in (jnp.sum, jnp.asarray, jnp.sin, lax.exp, lambda m: jnp.add(m, 1.0),
                 lambda m: jnp.stack([m, m])):
        with pytest.raises(ValueError, match="masked arrays"):
            call(masked)


def test_round_needs_integer_decimals():
    with pytest.raises(TypeError, match="decimals must be an integer"):
        jnp.round(2.5, decimals=1.5)
    assert float(jnp.round(2.25, decimals=np.int64(1))) == pytest.approx(2.2)


def test_negative_integer_powers_raise_as_in_jax():
    for call in (lambda: jnp.array(2) ** -1, lambda: jnp.power(2, -1),
                 lambda: jnp.power(jnp.array([2, 3]), np.int32(-1))):
        with pytest.raises(TypeError, match="negative"):
            call()
    assert float(jnp.array(2.0) ** -1) == 0.5


def test_negative_integer_exponent_arrays_give_the_integer_part():
    x = np.array([2, 1, -1, -1, 3], np.int32)
    y = np.array([-1, -3, -3, -2, 2], np.int32)
    np.testing.assert_array_equal(jnp.power(x, y), [0, 1, -1, 1, 9])


def test_float_floor_divide_is_exact_as_in_numpy():
    x = np.float32([1.0, -7.5, 7.5, 1.0, -1.0])
    y = np.float32([0.2, 2.0, -2.0, 0.0, 0.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        want = np.floor_divide(x, y)
    np.testing.assert_array_equal(jnp.floor_divide(x, y), want)


@pytest.mark.parametrize("call", [
    lambda: jnp.sum([1, 2, 3]), lambda: jnp.sum((1, 2, 3)), lambda: jnp.sin([0.5]),
    lambda: jnp.add([1.0], 2.0), lambda: jnp.where([True, False], 1.0, 2.0),
    lambda: jnp.concatenate([np.ones(2), [3.0]]), lambda: fx.nn.relu([1.0, -1.0]),
    lambda: fx.random.categorical(fx.random.PRNGKey(0), [1.0, 2.0]),
])
def test_lists_are_refused_as_array_arguments(call):
    with pytest.raises(TypeError, match="arrays or scalars"):
        call()


def test_asarray_and_array_still_take_lists():
    np.testing.assert_array_equal(jnp.asarray([[1, 2], [3, 4]]), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(jnp.array((1.0, 2.0)), [1.0, 2.0])
    np.testing.assert_array_equal(jnp.concatenate([np.ones(2), np.zeros(1)]), [1, 1, 0])


def test_dynamic_slices_with_an_int_start():
    x, u = jnp.zeros(5), jnp.ones(2)
    with pytest.raises(TypeError, match="start_indices must be a sequence"):
        lax.dynamic_update_slice(x, u, -1)
    with pytest.raises(TypeError, match="start_indices must be a sequence"):
        lax.dynamic_slice(x, -1, (2,))
    np.testing.assert_array_equal(lax.dynamic_update_slice(x, u, (-1,)), [0, 0, 0, 1, 1])


def test_pad_mode_must_be_a_string():
    with pytest.raises(TypeError, match="mode must be a string"):
        jnp.pad(jnp.zeros(3), 1, mode=np.array([1, 2]))
    with pytest.raises(NotImplementedError, match="not supported"):
        jnp.pad(jnp.zeros(3), 1, mode="foo")


@pytest.mark.parametrize("call, error", [
    (lambda x: jnp.sum(x, axis=1.0), TypeError), (lambda x: jnp.sum(x, axis=(0, 0)), ValueError),
    (lambda x: jnp.sum(x, axis=5), ValueError), (lambda x: lax.reduce_sum(x, "0"), TypeError),
    (lambda x: lax.cumsum(x, axis=1.0), TypeError), (lambda x: lax.expand_dims(x, (0, 9)), ValueError),
    (lambda x: lax.concatenate([x, x], "0"), TypeError), (lambda x: fx.nn.glu(x, axis=-7), ValueError),
    (lambda x: jnp.swapaxes(x, "0", 1), TypeError), (lambda x: jnp.expand_dims(x, 1.5), TypeError),
    (lambda x: jnp.sum(x, where=x), ValueError), (lambda x: jnp.sum(x, initial=(1, None)), ValueError),
    (lambda x: jnp.reshape(x, "3"), TypeError), (lambda x: lax.reshape(x, (4, -3)), ValueError),
])
def test_bad_axes_and_shapes_raise_clear_errors(call, error):
    with pytest.raises(error, match="axis|axes|dimension|where|initial|shape|size|new_sizes"):
        call(jnp.ones((3, 4)))


@pytest.mark.parametrize("call", [
    lambda k: fx.random.normal(k, shape="3"), lambda k: fx.random.normal(k, shape={1, 2}),
    lambda k: fx.random.uniform(k, shape=(2.5,)), lambda k: fx.random.split(k, 1.5),
    lambda k: fx.random.permutation(k, 5, axis="0"), lambda k: fx.random.bits(k, dtype=object()),
])
def test_random_rejects_bad_shapes_and_axes(call):
    with pytest.raises(TypeError):
        call(fx.random.PRNGKey(0))


def test_an_overflowing_diagonal_offset_is_an_empty_diagonal():
    np.testing.assert_array_equal(jnp.eye(3, k=-2 ** 40), np.zeros((3, 3)))
    np.testing.assert_array_equal(jnp.eye(3, k=2 ** 40), np.zeros((3, 3)))


def test_linspace_to_bool_is_nonzero_as_in_jax():
    np.testing.assert_array_equal(jnp.linspace(0.0, 1.0, 5, dtype=bool), [False, True, True, True, True])
    np.testing.assert_array_equal(jnp.linspace(-1.0, 1.0, 5, dtype=np.int32), [-1, -1, 0, 0, 1])
