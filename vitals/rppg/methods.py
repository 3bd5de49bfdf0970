"""Pulse extraction from RGB traces: POS and CHROM, written from the papers.

Both work on short windows (about 1.6 s) in which each channel is divided by its own mean ("temporal
normalisation"), which cancels the skin's DC colour and any multiplicative change of the light. The
per-window pulse segments are then overlap-added into one long signal.

- POS: W. Wang, A. C. den Brinker, S. Stuijk, G. de Haan, "Algorithmic principles of remote PPG",
  IEEE Trans. Biomed. Eng. 64(7):1479-1491, 2017 (Algorithm 1).
- CHROM: G. de Haan, V. Jeanne, "Robust pulse rate from chrominance-based rPPG",
  IEEE Trans. Biomed. Eng. 60(10):2878-2886, 2013.
- PBV: G. de Haan, A. van Leest, "Improved motion robustness of remote-PPG by using the blood volume
  pulse signature", Physiol. Meas. 35(9):1913-1926, 2014.

The engine uses a PBV-style matched filter (see :func:`pbv_windows`); POS and CHROM are kept as the
reference methods the benchmark compares against.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from vitals.rppg.filters import bandpass, moving_mean

WINDOW_S = 1.6
# POS projection onto the plane orthogonal to the normalised skin tone (Wang 2017, eq. 9).
POS_PROJECTION = np.array([[0.0, 1.0, -1.0], [-2.0, 1.0, 1.0]])
# CHROM chrominance signals for a standardised (white-balanced) skin tone (de Haan 2013, eq. 9).
CHROM_PROJECTION = np.array([[3.0, -2.0, 0.0], [1.5, 1.0, -1.5]])
# Relative pulsatile strength of R, G, B for skin under white light (the "blood volume pulse signature";
# de Haan & van Leest 2014, as also used by Wang et al. 2017): green strongest, red weakest.
PBV_SIGNATURE = np.array([0.33, 0.77, 0.53])
EPS = 1e-12


def window_length(fs_hz: float) -> int:
    """Samples in one POS/CHROM window (Wang 2017 use 32 frames at 20 fps, i.e. 1.6 s)."""
    return max(4, round(WINDOW_S * fs_hz))


def pos_windows(rgb: np.ndarray, length: int) -> np.ndarray:
    """POS pulse for every window of ``length`` samples, step one sample: shape ``(N - length + 1, length)``."""
    windows = sliding_window_view(rgb, length, axis=0)
    normalised = windows / (windows.mean(axis=2, keepdims=True) + EPS)
    projected = np.einsum("pc,kcl->kpl", POS_PROJECTION, normalised)
    return _alpha_tune(projected[:, 0], projected[:, 1], sign=1.0)


def chrom_windows(rgb: np.ndarray, length: int, fs_hz: float) -> np.ndarray:
    """CHROM pulse for every window of ``length`` samples, step one sample.

    de Haan band-passes the chrominance signals X, Y before computing ``alpha = std(Xf) / std(Yf)``; here
    the channels are normalised by a moving mean of one window and filtered once over the whole trace.
    """
    normalised = rgb / (moving_mean(rgb, length) + EPS) - 1.0
    chroma = normalised @ CHROM_PROJECTION.T
    filtered = np.column_stack([bandpass(chroma[:, k], fs_hz) for k in range(2)])
    windows = sliding_window_view(filtered, length, axis=0)
    return _alpha_tune(windows[:, 0], windows[:, 1], sign=-1.0)


def pbv_windows(
    pulse_band: np.ndarray,
    out_of_band: np.ndarray,
    length: int,
    signature: np.ndarray = PBV_SIGNATURE,
) -> np.ndarray:
    """Matched-filter pulse for every window of ``length`` samples, step one sample.

    PBV projects the normalised channels with ``w = Q^-1 * Pbv`` (de Haan & van Leest 2014, eq. 11),
    which passes the pulse direction and suppresses whatever else varies. With ``Q`` from the in-band
    signal alone, a signature that does not quite match the subject's cancels the pulse at high SNR (the
    self-nulling of adaptive beamformers, cured by loading). So ``Q`` here is the in-band covariance
    *plus* the covariance of the same window above the pulse band (``out_of_band``: sensor noise and
    broad-band motion, no pulse): in-band nuisances such as flicker are still nulled, while the loading
    keeps a mismatched pulse direction from being cancelled.
    """
    windows = sliding_window_view(pulse_band, length, axis=0)
    noise = sliding_window_view(out_of_band, length, axis=0)
    covariance = (np.einsum("kcl,kdl->kcd", windows, windows) + np.einsum("kcl,kdl->kcd", noise, noise)) / length
    covariance += _ridge(covariance)
    targets = np.broadcast_to(signature, (len(covariance), 3))[:, :, None]
    weights = np.linalg.solve(covariance, targets)[:, :, 0]
    pulse = np.einsum("kc,kcl->kl", weights, windows)
    return pulse - pulse.mean(axis=1, keepdims=True)


def overlap_add(windows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Overlap-add step-one windows ``(K, L)`` into a signal of ``K + L - 1`` samples."""
    count, length = windows.shape
    scaled = windows if weights is None else windows * weights[:, None]
    out = np.zeros(count + length - 1)
    for offset in range(length):
        out[offset : offset + count] += scaled[:, offset]
    return out


def pos(rgb: np.ndarray, fs_hz: float) -> np.ndarray:
    """Plain POS pulse signal (Wang 2017, Algorithm 1) for a uniformly sampled ``(N, 3)`` trace."""
    length = window_length(fs_hz)
    if len(rgb) < length:
        return np.zeros(len(rgb))
    return overlap_add(pos_windows(rgb, length))


def chrom(rgb: np.ndarray, fs_hz: float) -> np.ndarray:
    """CHROM pulse signal with Hann-windowed overlap-add (de Haan 2013) for a ``(N, 3)`` trace."""
    length = window_length(fs_hz)
    if len(rgb) < length:
        return np.zeros(len(rgb))
    return overlap_add(chrom_windows(rgb, length, fs_hz) * np.hanning(length))


def _alpha_tune(first: np.ndarray, second: np.ndarray, sign: float) -> np.ndarray:
    alpha = first.std(axis=1) / (second.std(axis=1) + EPS)
    pulse = first + sign * alpha[:, None] * second
    return pulse - pulse.mean(axis=1, keepdims=True)


def _ridge(covariance: np.ndarray) -> np.ndarray:
    """A tiny diagonal load so constant (saturated or black) channels keep the system solvable."""
    scale = np.trace(covariance, axis1=1, axis2=2)[:, None, None] / 3.0
    return (1e-6 * scale + EPS**2) * np.eye(3)
