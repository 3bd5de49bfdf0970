"""Detrending and band-pass filtering of pulse signals."""

from __future__ import annotations

import numpy as np
from scipy import signal, sparse
from scipy.ndimage import gaussian_filter1d, uniform_filter1d
from scipy.sparse.linalg import spsolve

# Wide enough below 40 bpm that slow drift shows as a slope rather than a false peak in the search range.
PULSE_BAND_HZ = (0.4, 4.0)
# Above the pulse band: sensor noise and broad-band motion, but (almost) no pulse.
OUT_OF_BAND_LOW_HZ = 4.5
OUT_OF_BAND_HIGH_HZ = 12.0
DETREND_LAMBDA = 100.0
MIN_FILTER_SAMPLES = 30
NORMALISE_SIGMA_S = 1.0
EPS = 1e-9


def detrend(x: np.ndarray, smoothness: float = DETREND_LAMBDA) -> np.ndarray:
    """Remove the slow trend with the smoothness-priors method.

    Tarvainen, Ranta-aho, Karjalainen, "An advanced detrending method with application to HRV analysis",
    IEEE TBME 49(2), 2002: ``z_stat = (I - (I + lambda^2 D2' D2)^-1) z``.
    """
    n = len(x)
    if n < 3:
        return x - np.mean(x)
    second_diff = sparse.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(n - 2, n))
    system = sparse.identity(n) + smoothness**2 * (second_diff.T @ second_diff)
    return x - spsolve(system.tocsc(), x)


def bandpass(x: np.ndarray, fs_hz: float, band_hz: tuple[float, float] = PULSE_BAND_HZ) -> np.ndarray:
    """Zero-phase 4th-order Butterworth band-pass (applied forward and backward)."""
    if len(x) < MIN_FILTER_SAMPLES:
        return x - np.mean(x)
    sos = signal.butter(4, band_hz, btype="bandpass", fs=fs_hz, output="sos")
    return signal.sosfiltfilt(sos, x, padlen=min(len(x) - 1, 3 * round(fs_hz)))


def moving_mean(x: np.ndarray, size: int) -> np.ndarray:
    """Centred moving mean along time (axis 0), edges held."""
    return uniform_filter1d(x, size=max(1, size), axis=0, mode="nearest")


def normalised_channels(rgb: np.ndarray, fs_hz: float) -> np.ndarray:
    """Each channel divided by its local mean, minus one: relative colour change (Wang 2017, step 1).

    Dividing by the local mean removes the skin's own colour and any multiplicative light change. The
    local mean is a Gaussian-weighted average (sigma 1 s): unlike a boxcar its response has no side
    lobes, which would turn slow random drift into a spurious peak near 50 bpm.
    """
    baseline = gaussian_filter1d(rgb, NORMALISE_SIGMA_S * fs_hz, axis=0, mode="nearest")
    return rgb / (baseline + EPS) - 1.0


def bandpass_channels(x: np.ndarray, fs_hz: float, band_hz: tuple[float, float]) -> np.ndarray:
    return np.column_stack([bandpass(x[:, k], fs_hz, band_hz) for k in range(x.shape[1])])


def out_of_band_hz(fs_hz: float, frame_rate_hz: float) -> tuple[float, float]:
    """Band above the pulse that the camera really sampled (not interpolated), for the noise estimate."""
    high = min(OUT_OF_BAND_HIGH_HZ, 0.45 * min(frame_rate_hz, fs_hz))
    return min(OUT_OF_BAND_LOW_HZ, high - 1.0), high
