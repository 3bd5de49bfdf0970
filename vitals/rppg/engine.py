"""The embedded rPPG engine: heart rate and a quality verdict from a trace of mean skin colour.

Pipeline (one pass over at most a few thousand samples, a few tens of milliseconds):

1. Resample to a uniform 30 Hz clock by the timestamps (:mod:`vitals.rppg.resample`).
2. Normalise each channel by its local mean (Wang et al. 2017) and split it into the pulse band
   (0.4-4 Hz) and the band above it (sensor noise and broad-band motion, no pulse).
3. Find artefacts - movement, sudden light changes, frame gaps - and weight them down
   (:func:`vitals.rppg.quality.artefact_weights`).
4. Pulse extraction with a PBV-style matched filter (de Haan & van Leest 2014) per 3 s window, whose
   covariance adds the out-of-band covariance to the in-band one so that noise is whitened and motion or
   flicker nulled without cancelling a pulse whose colour signature differs from the textbook one
   (:func:`vitals.rppg.methods.pbv_windows`). Windows are amplitude-normalised, weighted by their
   artefact-free share and Hann overlap-added, so a burst of motion cannot dominate.
5. Detrend (Tarvainen et al. 2002) and band-pass; weighted, normalised 10 s segment spectra are averaged
   and the most pulse-like peak in 40-190 bpm, scored with its first harmonic and checked against half
   its rate, is the heart rate (:mod:`vitals.rppg.spectrum`).
6. Quality: SNR around the fundamental and first harmonic (de Haan & Jeanne 2013), the share of segments
   agreeing with the overall value, the artefact share, brightness -> ``acceptable`` and ``reason``.

Compared with plain POS on the synthetic benchmark (``bench/rppg_accuracy.py``) this is about as good on
clean traces and several times better under noise, dark skin, motion and low light.

``heart_rate_bpm`` is the engine's best estimate whenever one could be computed, also when the
measurement is not acceptable; it is None only when there is too little data to analyse. Callers must
treat a value with ``acceptable`` False as "no valid reading" - store it as such and never display it as
a heart rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from vitals.rppg import quality as q
from vitals.rppg.filters import (
    PULSE_BAND_HZ,
    bandpass,
    bandpass_channels,
    detrend,
    normalised_channels,
    out_of_band_hz,
)
from vitals.rppg.methods import overlap_add, pbv_windows
from vitals.rppg.resample import UniformTrace, resample_uniform, sort_and_merge
from vitals.rppg.spectrum import at_range_edge, heart_rate_bpm, snr_db, spectrogram

METHOD = "pbv-matched-filter"
PBV_WINDOW_S = 3.0
MIN_ANALYSIS_S = 5.0
WAVEFORM_S = 5.0


@dataclass(frozen=True)
class HeartRateResult:
    """A finished measurement. See the module docstring for when ``heart_rate_bpm`` is None."""

    heart_rate_bpm: float | None
    snr_db: float | None
    acceptable: bool
    reason: str
    duration_s: float
    method: str = METHOD
    waveform: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "heart_rate_bpm": self.heart_rate_bpm,
            "quality": {"snr_db": self.snr_db, "acceptable": self.acceptable, "reason": self.reason},
            "duration_s": self.duration_s,
            "method": self.method,
        }


@dataclass(frozen=True)
class Analysis:
    """Everything one pass of the engine found; shared by the final result and the live estimate."""

    heart_rate_bpm: float | None
    quality: q.Quality
    pulse: np.ndarray
    weights: np.ndarray
    spectrum_hz: np.ndarray
    spectrum: np.ndarray
    fs_hz: float

    def waveform(self, seconds: float = WAVEFORM_S) -> list[float]:
        return display_waveform(self.pulse, self.fs_hz, seconds)

    def result(self) -> HeartRateResult:
        acceptable, reason = q.verdict(self.quality)
        bpm = self.heart_rate_bpm
        return HeartRateResult(
            heart_rate_bpm=None if bpm is None else round(float(bpm), 1),
            snr_db=None if bpm is None else round(float(self.quality.snr_db), 1),
            acceptable=acceptable,
            reason=reason,
            duration_s=round(float(self.quality.duration_s), 2),
            waveform=self.waveform(),
        )


def estimate_heart_rate(samples: np.ndarray) -> HeartRateResult:
    """Heart rate and quality verdict for ``(N, 4)`` rows of ``t_seconds, r, g, b``."""
    return analyse(samples).result()


def analyse(samples: np.ndarray) -> Analysis:
    """Run the engine on ``(N, 4)`` ``t, r, g, b`` rows (any order; equal timestamps are averaged)."""
    ordered = sort_and_merge(np.asarray(samples, dtype=np.float64).reshape(-1, 4))
    duration_s = float(ordered[-1, 0] - ordered[0, 0]) if len(ordered) else 0.0
    luma = q.mean_luma(ordered[:, 1:]) if len(ordered) else 0.0
    if duration_s < MIN_ANALYSIS_S or len(ordered) < MIN_ANALYSIS_S * q.MIN_FRAME_RATE_HZ:
        # Too few frames: report the effective rate, which names the problem when frames are missing.
        return _unmeasured(duration_s, (len(ordered) - 1) / duration_s if duration_s > 0 else 0.0, luma)
    trace = resample_uniform(ordered)
    if trace.frame_rate_hz < q.MIN_FRAME_RATE_HZ:
        return _unmeasured(duration_s, trace.frame_rate_hz, luma)
    return _analyse_trace(trace, duration_s)


def waveform_snr_db(times_s: np.ndarray, values: np.ndarray, bpm: float) -> float | None:
    """SNR (dB) at ``bpm`` of a pulse waveform from elsewhere (e.g. CAIRE's rPPG), or None if too short."""
    if len(values) < 2 or times_s[-1] - times_s[0] < MIN_ANALYSIS_S:
        return None
    rows = sort_and_merge(np.column_stack([times_s, values, values, values]))
    trace = resample_uniform(rows)
    pulse = bandpass(detrend(trace.rgb[:, 0]), trace.fs_hz)
    spectra = spectrogram(pulse, trace.valid.astype(np.float64), trace.fs_hz)
    return snr_db(spectra.freqs_hz, spectra.average(), bpm / 60.0)


def display_waveform(pulse: np.ndarray, fs_hz: float, seconds: float) -> list[float]:
    """The last ``seconds`` of the pulse, scaled to about -1..1, systolic peaks up, for drawing."""
    tail = -pulse[-round(seconds * fs_hz) :]
    scale = np.percentile(np.abs(tail), 98) if len(tail) else 0.0
    if scale <= 0:
        return [0.0] * len(tail)
    return [round(float(v), 3) for v in np.clip(tail / scale, -1.0, 1.0)]


def _analyse_trace(trace: UniformTrace, duration_s: float) -> Analysis:
    fs = trace.fs_hz
    normalised = normalised_channels(trace.rgb, fs)
    in_band = bandpass_channels(normalised, fs, PULSE_BAND_HZ)
    if np.sqrt(np.mean(in_band**2)) < q.MIN_COLOUR_VARIATION:
        return _unmeasured(duration_s, trace.frame_rate_hz, q.mean_luma(trace.rgb), frozen=True)
    weights = q.artefact_weights(normalised, trace.valid, fs)
    pulse = _pulse_signal(in_band, normalised, weights, trace)
    spectra = spectrogram(pulse, weights, fs)
    spectrum = spectra.average()
    bpm = heart_rate_bpm(spectra.freqs_hz, spectrum)
    quality = q.Quality(
        snr_db=snr_db(spectra.freqs_hz, spectrum, bpm / 60.0),
        agreement=spectra.agreement(bpm),
        artefact_fraction=q.artefact_fraction(weights),
        mean_luma=q.mean_luma(trace.rgb),
        frame_rate_hz=trace.frame_rate_hz,
        duration_s=duration_s,
        peak_at_edge=at_range_edge(bpm),
    )
    return Analysis(bpm, quality, pulse, weights, spectra.freqs_hz, spectrum, fs)


def _pulse_signal(in_band: np.ndarray, normalised: np.ndarray, weights: np.ndarray, trace: UniformTrace) -> np.ndarray:
    fs = trace.fs_hz
    out_band = bandpass_channels(normalised, fs, out_of_band_hz(fs, trace.frame_rate_hz))
    length = min(len(in_band), round(PBV_WINDOW_S * fs))
    windows = pbv_windows(in_band, out_band, length)
    window_weights = _window_weights(windows, weights, length)
    combined = overlap_add(windows * np.hanning(length), window_weights)
    return bandpass(detrend(combined), fs)


def _window_weights(windows: np.ndarray, weights: np.ndarray, length: int) -> np.ndarray:
    """Inverse-power weighting (capped at 1) times the window's artefact-free share.

    Windows louder than the typical window are mostly artefact: scaling them to typical power bounds
    their influence; windows inside detected artefacts are weighted down further.
    """
    power = windows.std(axis=1) + 1e-12
    loudness = np.minimum(1.0, (np.median(power) / power) ** 2)
    return loudness * sliding_window_view(weights, length).mean(axis=1)


def _unmeasured(duration_s: float, frame_rate_hz: float, luma: float, frozen: bool = False) -> Analysis:
    """No heart rate: too short, too few frames, or no colour change at all."""
    quality = q.Quality(
        snr_db=float("-inf"),
        agreement=0.0,
        artefact_fraction=1.0,
        mean_luma=luma,
        frame_rate_hz=frame_rate_hz,
        duration_s=max(duration_s, 0.0),
        peak_at_edge=True,
        frozen=frozen,
    )
    empty = np.zeros(0)
    return Analysis(None, quality, empty, empty, empty, empty, 0.0)
