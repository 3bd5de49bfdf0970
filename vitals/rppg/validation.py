"""Checks on colour traces: rows of ``[t_seconds, r, g, b]`` (mean 0-255 skin colour per frame).

``validate_samples`` is the gate for batches arriving from the browser: anything malformed raises
:class:`SampleError` with a message that is safe to send back to the client.
"""

from __future__ import annotations

import numbers

import numpy as np

MAX_BATCH_ROWS = 2000
CHANNEL_MAX = 255.0
ROW_WIDTH = 4


class SampleError(ValueError):
    """A batch of samples is malformed; ``str(error)`` says why in plain words."""


def validate_samples(raw: object, *, max_rows: int | None = MAX_BATCH_ROWS) -> np.ndarray:
    """Return ``raw`` as a float64 ``(N, 4)`` array of ``t, r, g, b`` or raise :class:`SampleError`.

    Rejects: non-lists, empty or too-large batches (more than ``max_rows`` rows), rows that are not four
    numbers (booleans and strings included), NaN or infinity, negative or non-increasing time, and
    channel values outside 0-255.
    """
    array = _numeric_array(raw, max_rows)
    check_trace(array)
    return array


def check_trace(array: np.ndarray) -> None:
    """Raise :class:`SampleError` unless time is non-negative and increasing and channels are 0-255."""
    if not np.all(np.isfinite(array)):
        raise SampleError("samples contain NaN or infinity")
    times = array[:, 0]
    if np.any(times < 0):
        raise SampleError("time must not be negative")
    if np.any(np.diff(times) <= 0):
        raise SampleError("time must increase from one sample to the next")
    channels = array[:, 1:]
    if np.any(channels < 0) or np.any(channels > CHANNEL_MAX):
        raise SampleError("r, g and b must be between 0 and 255")


def _numeric_array(raw: object, max_rows: int | None) -> np.ndarray:
    if isinstance(raw, np.ndarray):
        return _from_ndarray(raw, max_rows)
    if not isinstance(raw, (list, tuple)):
        raise SampleError("samples must be a list of [t, r, g, b] rows")
    _check_row_count(len(raw), max_rows)
    for row in raw:
        _check_row(row)
    try:
        return np.array(raw, dtype=np.float64)
    except OverflowError:
        raise SampleError("samples contain NaN or infinity") from None


def _from_ndarray(raw: np.ndarray, max_rows: int | None) -> np.ndarray:
    if raw.dtype.kind not in "iuf":
        raise SampleError("samples must be numbers")
    if raw.ndim != 2 or raw.shape[1] != ROW_WIDTH:
        raise SampleError("each sample must be [t, r, g, b]")
    _check_row_count(raw.shape[0], max_rows)
    return raw.astype(np.float64, copy=True)


def _check_row_count(count: int, max_rows: int | None) -> None:
    if count == 0:
        raise SampleError("no samples in batch")
    if max_rows is not None and count > max_rows:
        raise SampleError(f"too many samples in one batch (at most {max_rows})")


def _check_row(row: object) -> None:
    if not isinstance(row, (list, tuple)) or len(row) != ROW_WIDTH:
        raise SampleError("each sample must be [t, r, g, b]")
    for value in row:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise SampleError("samples must be numbers")
