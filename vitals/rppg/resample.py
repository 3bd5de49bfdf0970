"""Put a webcam colour trace on a uniform clock.

Browser frame timing is irregular: callbacks jitter by milliseconds, frames are dropped, and cameras run
anywhere from 15 to 60 fps. Every later step (windowed POS/CHROM, filters, FFT) assumes uniform sampling,
so the trace is interpolated onto a fixed ``FS_HZ`` grid using the reported timestamps. Gaps longer than
``MAX_GAP_S`` are not invented: grid points inside them are marked invalid and later get zero weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

FS_HZ = 30.0
MAX_GAP_S = 0.5
ANTI_ALIAS_RATIO = 1.5


@dataclass(frozen=True)
class UniformTrace:
    """Colour trace on a uniform clock."""

    fs_hz: float
    t0_s: float
    rgb: np.ndarray
    valid: np.ndarray
    frame_rate_hz: float

    @property
    def duration_s(self) -> float:
        return len(self.rgb) / self.fs_hz


def sort_and_merge(samples: np.ndarray) -> np.ndarray:
    """Order rows by time and average rows that share a timestamp (offline files may have both)."""
    ordered = samples[np.argsort(samples[:, 0], kind="stable")]
    times, first, counts = np.unique(ordered[:, 0], return_index=True, return_counts=True)
    if len(times) == len(ordered):
        return ordered
    sums = np.add.reduceat(ordered, first, axis=0)
    return sums / counts[:, None]


def resample_uniform(samples: np.ndarray, fs_hz: float = FS_HZ) -> UniformTrace:
    """Interpolate ``(N, 4)`` ``t, r, g, b`` rows (time increasing) onto a ``fs_hz`` grid."""
    times = samples[:, 0]
    rgb = samples[:, 1:]
    frame_rate_hz = _median_rate_hz(times)
    if frame_rate_hz > ANTI_ALIAS_RATIO * fs_hz:
        # Average neighbouring frames before decimating so sensor noise above fs/2 does not alias.
        rgb = uniform_filter1d(rgb, size=round(frame_rate_hz / fs_hz), axis=0, mode="nearest")
    count = int(np.floor((times[-1] - times[0]) * fs_hz)) + 1
    grid = times[0] + np.arange(count) / fs_hz
    uniform = np.column_stack([np.interp(grid, times, rgb[:, k]) for k in range(3)])
    return UniformTrace(fs_hz, float(times[0]), uniform, _inside_short_gaps(grid, times), frame_rate_hz)


def _median_rate_hz(times: np.ndarray) -> float:
    if len(times) < 2:
        return 0.0
    return float(1.0 / np.median(np.diff(times)))


def _inside_short_gaps(grid: np.ndarray, times: np.ndarray) -> np.ndarray:
    after = np.clip(np.searchsorted(times, grid, side="right"), 1, len(times) - 1)
    gaps = times[after] - times[after - 1]
    return gaps <= MAX_GAP_S
