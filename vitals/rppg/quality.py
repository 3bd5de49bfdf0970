"""Signal quality: artefact (motion / light change) detection, SNR, brightness and the verdict.

The verdict is deliberately conservative: a heart rate is only ``acceptable`` when the pulse peak stands
clearly above the rest of the spectrum (SNR in the sense of de Haan & Jeanne 2013), most of the
recording is free of artefacts, and the short segments of the recording agree with the overall value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vitals.rppg.filters import bandpass_channels, moving_mean

# Artefact detection: local colour-change energy against the trace's own quiet level.
ARTEFACT_BAND_HZ = (0.3, 6.0)
ARTEFACT_WINDOW_S = 1.0
QUIET_PERCENTILE = 25.0
ARTEFACT_RATIO = 2.5
# The pulse itself changes skin colour by well under 1 %; sustained changes above this are movement.
MOTION_FLOOR = 0.004

# Verdict thresholds, calibrated on the development split of the synthetic benchmark (bench/rppg_accuracy.py):
# at -3 dB and 60 % segment agreement under 1 % of traces without a pulse are accepted, ~88 % of traces with
# one are, and no accepted trace was more than 5 bpm off.
MIN_SNR_DB = -3.0
MIN_AGREEMENT = 0.6
MAX_ARTEFACT_FRACTION = 0.6
MIN_DURATION_S = 10.0
MIN_FRAME_RATE_HZ = 10.0
# Relative colour change in the pulse band; sensor noise alone is far above this (>1e-4).
MIN_COLOUR_VARIATION = 1e-5
DARK_LUMA = 45.0

REASON_OK = "ok"
REASON_TOO_SHORT = "too short: need at least 10 seconds"
REASON_FRAME_RATE = "frame rate too low"
REASON_FROZEN = "no colour change at all: camera image frozen or saturated"
REASON_MOTION = "too much movement, changing light or missing frames"
REASON_DARK = "too dark: pulse signal too weak"
REASON_WEAK = "pulse signal too weak"
REASON_UNSTABLE = "unstable reading"
REASON_NO_PEAK = "no pulse found in the 40-190 bpm range"

GUIDANCE_STILL = "hold still"
GUIDANCE_LIGHT = "more light"


@dataclass(frozen=True)
class Quality:
    snr_db: float
    agreement: float
    artefact_fraction: float
    mean_luma: float
    frame_rate_hz: float
    duration_s: float
    peak_at_edge: bool
    frozen: bool = False


def artefact_weights(x: np.ndarray, valid: np.ndarray, fs_hz: float) -> np.ndarray:
    """Per-sample weight 0..1: ~0 during movement, sudden light changes and frame gaps.

    ``x`` are normalised channels. The colour-change energy in 0.3-6 Hz is compared with the trace's quiet
    level (25th percentile, robust to up to 75 % contamination) and with an absolute floor.
    """
    energy = np.mean(bandpass_channels(x, fs_hz, ARTEFACT_BAND_HZ) ** 2, axis=1)
    level = np.sqrt(moving_mean(energy, round(ARTEFACT_WINDOW_S * fs_hz)))
    threshold = max(ARTEFACT_RATIO * np.percentile(level, QUIET_PERCENTILE), MOTION_FLOOR)
    ratio = level / threshold
    weights = np.where(ratio <= 1.0, 1.0, ratio**-4.0) * valid
    return moving_mean(weights, round(0.5 * fs_hz))


def artefact_fraction(weights: np.ndarray) -> float:
    return float(np.mean(weights < 0.5)) if len(weights) else 1.0


def mean_luma(rgb: np.ndarray) -> float:
    """ITU-R BT.601 luma of the mean skin colour."""
    r, g, b = rgb.mean(axis=0)
    return float(0.299 * r + 0.587 * g + 0.114 * b)


def verdict(quality: Quality) -> tuple[bool, str]:
    """``(acceptable, reason)``: the first failing check, or ``(True, "ok")``."""
    checks = (
        (quality.duration_s >= MIN_DURATION_S, REASON_TOO_SHORT),
        (quality.frame_rate_hz >= MIN_FRAME_RATE_HZ, REASON_FRAME_RATE),
        (not quality.frozen, REASON_FROZEN),
        (quality.artefact_fraction <= MAX_ARTEFACT_FRACTION, REASON_MOTION),
        (not quality.peak_at_edge, REASON_NO_PEAK),
        (quality.snr_db >= MIN_SNR_DB, REASON_DARK if quality.mean_luma < DARK_LUMA else REASON_WEAK),
        (quality.agreement >= MIN_AGREEMENT, REASON_UNSTABLE),
    )
    for passed, reason in checks:
        if not passed:
            return False, reason
    return True, REASON_OK


def guidance(artefact_share: float, luma: float, snr_value: float | None) -> str | None:
    """A hint for the person measuring, or None when all is well."""
    if artefact_share > 0.3:
        return GUIDANCE_STILL
    if luma < DARK_LUMA or (snr_value is not None and snr_value < MIN_SNR_DB and luma < 2 * DARK_LUMA):
        return GUIDANCE_LIGHT
    return None
