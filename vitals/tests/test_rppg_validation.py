"""validate_samples: the gate for colour-sample batches from the browser."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vitals.rppg import SampleError, validate_samples
from vitals.rppg.validation import MAX_BATCH_ROWS


def _rows(count: int = 5) -> list[list[float]]:
    return [[i / 30.0, 180.0, 130.0, 100.0] for i in range(count)]


def test_valid_batch_comes_back_as_float_array() -> None:
    samples = validate_samples(_rows())
    assert samples.dtype == np.float64
    assert samples.shape == (5, 4)


def test_integer_values_are_accepted() -> None:
    assert validate_samples([[0, 1, 2, 3], [1, 4, 5, 6]]).tolist() == [[0, 1, 2, 3], [1, 4, 5, 6]]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_rejected(bad: float) -> None:
    rows = _rows()
    rows[2][1] = bad
    with pytest.raises(SampleError, match="NaN or infinity"):
        validate_samples(rows)


def test_numbers_too_big_for_a_float_are_rejected() -> None:
    with pytest.raises(SampleError):
        validate_samples([[0, 10**400, 1, 1]])


def test_negative_time_is_rejected() -> None:
    rows = _rows()
    rows[0][0] = -0.1
    with pytest.raises(SampleError, match="negative"):
        validate_samples(rows)


@pytest.mark.parametrize("second_time", [0.0, -0.0, 0.0001])
def test_time_that_does_not_increase_is_rejected(second_time: float) -> None:
    rows = [[0.5, 1, 2, 3], [second_time, 1, 2, 3]]
    with pytest.raises(SampleError, match="increase"):
        validate_samples(rows)


@pytest.mark.parametrize(
    "raw",
    [
        [[0.0, 1.0, 2.0]],
        [[0.0, 1.0, 2.0, 3.0, 4.0]],
        [0.0, 1.0, 2.0, 3.0],
        [[[0.0, 1.0, 2.0, 3.0]]],
        {"t": 0.0},
        "0,1,2,3",
        None,
    ],
)
def test_wrong_shapes_are_rejected(raw: object) -> None:
    with pytest.raises(SampleError):
        validate_samples(raw)


@pytest.mark.parametrize("value", ["1.0", True, None, [1.0]])
def test_non_numbers_are_rejected(value: object) -> None:
    rows: list[list[object]] = [[0.0, 1.0, 2.0, 3.0]]
    rows[0][2] = value
    with pytest.raises(SampleError, match="numbers"):
        validate_samples(rows)


@pytest.mark.parametrize("value", [-0.5, 255.5, 1000.0])
def test_channel_values_outside_0_255_are_rejected(value: float) -> None:
    rows = _rows()
    rows[1][3] = value
    with pytest.raises(SampleError, match="between 0 and 255"):
        validate_samples(rows)


def test_huge_batch_is_rejected() -> None:
    with pytest.raises(SampleError, match="too many"):
        validate_samples(_rows(MAX_BATCH_ROWS + 1))


def test_batch_at_the_limit_is_accepted() -> None:
    assert len(validate_samples(_rows(MAX_BATCH_ROWS))) == MAX_BATCH_ROWS


def test_empty_batch_is_rejected() -> None:
    with pytest.raises(SampleError, match="no samples"):
        validate_samples([])


def test_numpy_input_is_checked_too() -> None:
    with pytest.raises(SampleError, match="\\[t, r, g, b\\]"):
        validate_samples(np.zeros((3, 3)))
    with pytest.raises(SampleError, match="numbers"):
        validate_samples(np.array([["a", "b", "c", "d"]]))
