"""Short-time spectra of the pulse signal and heart-rate peak picking.

The recording is cut into overlapping segments (10 s, 1 s hop). Each segment's power spectrum is
normalised to unit power in the pulse band and weighted by how artefact-free the segment is, then the
segments are averaged. Normalising bounds what any one bad segment can contribute; averaging keeps what
is consistent over time (the pulse) and spreads what is not (noise, motion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vitals.rppg.filters import PULSE_BAND_HZ

SEGMENT_S = 10.0
HOP_S = 1.0
FREQ_STEP_HZ = 0.005
HR_RANGE_BPM = (40.0, 190.0)
AGREEMENT_BPM = 6.0
# Agreement is judged on segments 5 s apart: neighbours 1 s apart share 90 % of their data.
AGREEMENT_HOP_S = 5.0
HARMONIC_WEIGHT = 0.3
HALF_RATE_POWER_RATIO = 0.7
HALF_RATE_SEARCH_BPM = 3.0

# SNR template (de Haan & Jeanne 2013): +-0.1 Hz around the fundamental, +-0.2 Hz around the 1st harmonic,
# against everything else in 0.6-4 Hz.
SNR_BAND_HZ = (0.6, 4.0)
SNR_HALF_WIDTH_HZ = 0.1


@dataclass(frozen=True)
class Spectrogram:
    """Normalised segment spectra ``power`` (segments x freqs) and each segment's weight."""

    freqs_hz: np.ndarray
    power: np.ndarray
    weights: np.ndarray
    hop_s: float

    def average(self) -> np.ndarray:
        total = self.weights.sum()
        if total <= 0:
            return self.power.mean(axis=0)
        return (self.weights[:, None] * self.power).sum(axis=0) / total

    def agreement(self, bpm: float) -> float:
        """Weighted share of segments (5 s apart) whose own peak is within 6 bpm of ``bpm``."""
        step = max(1, round(AGREEMENT_HOP_S / self.hop_s))
        peaks = np.array([peak_bpm(self.freqs_hz, row) for row in self.power[::step]])
        weights = self.weights[::step]
        close = np.abs(peaks - bpm) <= AGREEMENT_BPM
        if weights.sum() <= 0:
            return float(np.mean(close))
        return float(np.average(close, weights=weights))


def spectrogram(pulse: np.ndarray, weights: np.ndarray, fs_hz: float) -> Spectrogram:
    """Weighted, band-normalised spectra of 10 s segments (shorter traces: one segment)."""
    length = min(len(pulse), round(SEGMENT_S * fs_hz))
    hop = max(1, round(HOP_S * fs_hz))
    starts = np.arange(0, len(pulse) - length + 1, hop)
    nfft = _nfft(fs_hz)
    freqs = np.fft.rfftfreq(nfft, 1.0 / fs_hz)
    band = (freqs >= PULSE_BAND_HZ[0]) & (freqs <= PULSE_BAND_HZ[1])
    taper = np.hanning(length)
    index = starts[:, None] + np.arange(length)
    segments = pulse[index]
    segments = (segments - segments.mean(axis=1, keepdims=True)) * weights[index] * taper
    power = np.abs(np.fft.rfft(segments, nfft, axis=1)) ** 2
    power /= power[:, band].sum(axis=1, keepdims=True) + 1e-30
    return Spectrogram(freqs, power, weights[index].mean(axis=1), hop / fs_hz)


def peak_bpm(freqs_hz: np.ndarray, power: np.ndarray) -> float:
    """The most pulse-like peak strictly inside 40-190 bpm, refined by parabolic interpolation.

    Candidates are the interior local maxima; each scores its own power plus a share of the power at
    twice its frequency, since a real pulse also has a first harmonic and a noise peak usually does not.
    A spectrum that only slopes (drift, 1/f noise) has no interior maximum: the range edge is returned
    and :func:`at_range_edge` flags it.
    """
    inside = np.flatnonzero((freqs_hz >= HR_RANGE_BPM[0] / 60.0) & (freqs_hz <= HR_RANGE_BPM[1] / 60.0))
    values = power[inside]
    interior = (values[1:-1] > values[:-2]) & (values[1:-1] >= values[2:])
    if not interior.any():
        return HR_RANGE_BPM[0] if values[0] >= values[-1] else HR_RANGE_BPM[1]
    candidates = inside[1:-1][interior]
    score = power[candidates] + HARMONIC_WEIGHT * np.interp(2.0 * freqs_hz[candidates], freqs_hz, power)
    best = candidates[np.argmax(score)]
    return 60.0 * (freqs_hz[best] + _parabolic_offset(power, best) * (freqs_hz[1] - freqs_hz[0]))


def heart_rate_bpm(freqs_hz: np.ndarray, power: np.ndarray) -> float:
    """The highest peak, or half its rate when that is the real fundamental.

    A strong dicrotic (reflected) wave can make the first harmonic outgrow the fundamental. If the
    spectrum also peaks near half the rate with comparable power, and fundamental + harmonic at the half
    rate explain the spectrum better (higher SNR), the half rate is taken.
    """
    bpm = peak_bpm(freqs_hz, power)
    half = _peak_near(freqs_hz, power, bpm / 2.0)
    if half is None:
        return bpm
    strong = np.interp(half, 60.0 * freqs_hz, power) >= HALF_RATE_POWER_RATIO * np.interp(bpm, 60.0 * freqs_hz, power)
    if strong and snr_db(freqs_hz, power, half / 60.0) > snr_db(freqs_hz, power, bpm / 60.0):
        return half
    return bpm


def snr_db(freqs_hz: np.ndarray, power: np.ndarray, f0_hz: float) -> float:
    """Pulse SNR after de Haan & Jeanne 2013, eq. 14: template power over the rest of the band."""
    band = (freqs_hz >= SNR_BAND_HZ[0]) & (freqs_hz <= SNR_BAND_HZ[1])
    template = (np.abs(freqs_hz - f0_hz) <= SNR_HALF_WIDTH_HZ) | (
        np.abs(freqs_hz - 2.0 * f0_hz) <= 2.0 * SNR_HALF_WIDTH_HZ
    )
    signal_power = power[band & template].sum()
    noise_power = power[band & ~template].sum()
    return float(10.0 * np.log10((signal_power + 1e-30) / (noise_power + 1e-30)))


def at_range_edge(bpm: float) -> bool:
    """A maximum on the edge of the search range is a slope, not a pulse peak."""
    return bpm <= HR_RANGE_BPM[0] + 0.5 or bpm >= HR_RANGE_BPM[1] - 0.5


def _peak_near(freqs_hz: np.ndarray, power: np.ndarray, bpm: float) -> float | None:
    """An interior local maximum within 3 bpm of ``bpm`` (and inside the search range), if any."""
    low, high = max(bpm - HALF_RATE_SEARCH_BPM, HR_RANGE_BPM[0]), bpm + HALF_RATE_SEARCH_BPM
    inside = np.flatnonzero((60.0 * freqs_hz >= low) & (60.0 * freqs_hz <= high))
    if len(inside) < 3:
        return None
    values = power[inside]
    interior = np.flatnonzero((values[1:-1] > values[:-2]) & (values[1:-1] >= values[2:])) + 1
    if len(interior) == 0:
        return None
    best = inside[interior[np.argmax(values[interior])]]
    return float(60.0 * freqs_hz[best])


def _parabolic_offset(power: np.ndarray, index: int) -> float:
    if index <= 0 or index >= len(power) - 1:
        return 0.0
    left, centre, right = power[index - 1], power[index], power[index + 1]
    denominator = left - 2.0 * centre + right
    return 0.0 if denominator == 0 else float(np.clip(0.5 * (left - right) / denominator, -0.5, 0.5))


def _nfft(fs_hz: float) -> int:
    return 1 << int(np.ceil(np.log2(fs_hz / FREQ_STEP_HZ)))
