"""Live estimation while a measurement is running: progress, a steady heart rate, guidance, waveform.

Each :meth:`LiveEstimator.estimate` re-runs the engine on the most recent ``target_duration_s`` of samples
(cheap: under a thousand samples). The displayed value is tracked so it does not jump: the spectral peak
closest to the previous value is preferred unless another peak is clearly stronger, and the value moves at
most ``MAX_STEP_BPM`` per update. No value is shown before ``LIVE_MIN_S`` seconds or while the quality
is poor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vitals.rppg import quality as q
from vitals.rppg.engine import Analysis, HeartRateResult, analyse
from vitals.rppg.validation import SampleError

LIVE_MIN_S = 10.0
GUIDANCE_WINDOW_S = 5.0
MAX_BUFFER_S = 120.0
TRACK_WINDOW_BPM = 10.0
JUMP_POWER_RATIO = 2.0
MAX_STEP_BPM = 5.0


@dataclass(frozen=True)
class LiveEstimate:
    heart_rate_bpm: float | None
    snr_db: float | None
    progress: float
    guidance: str | None
    waveform: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "heart_rate_bpm": self.heart_rate_bpm,
            "snr_db": self.snr_db,
            "progress": self.progress,
            "guidance": self.guidance,
            "waveform": self.waveform,
        }


class LiveEstimator:
    """Accumulates validated sample batches of one measurement and reports on them."""

    def __init__(self, target_duration_s: float = 30.0) -> None:
        self.target_duration_s = target_duration_s
        self._samples = np.zeros((0, 4))
        self._tracked_bpm: float | None = None

    @property
    def duration_s(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        return float(self._samples[-1, 0] - self._samples[0, 0])

    def add(self, samples: np.ndarray) -> None:
        """Append a batch (already checked by ``validate_samples``); time must continue forwards."""
        if len(samples) == 0:
            return
        if len(self._samples) and samples[0, 0] <= self._samples[-1, 0]:
            raise SampleError("time must increase from one batch to the next")
        self._samples = np.concatenate([self._samples, samples])
        keep = self._samples[:, 0] >= self._samples[-1, 0] - MAX_BUFFER_S
        self._samples = self._samples[keep]

    def estimate(self) -> LiveEstimate:
        progress = round(min(1.0, self.duration_s / self.target_duration_s), 3)
        analysis = analyse(self._recent(self.target_duration_s))
        if analysis.heart_rate_bpm is None:
            hint = q.guidance(0.0, analysis.quality.mean_luma, None) if len(self._samples) else None
            return LiveEstimate(None, None, progress, hint)
        bpm = self._track(analysis)
        quality = analysis.quality
        recent_artefacts = q.artefact_fraction(analysis.weights[-round(GUIDANCE_WINDOW_S * analysis.fs_hz) :])
        hint = q.guidance(recent_artefacts, quality.mean_luma, quality.snr_db)
        shown = None if bpm is None else round(bpm, 1)
        return LiveEstimate(shown, round(quality.snr_db, 1), progress, hint, analysis.waveform())

    def finish(self) -> HeartRateResult:
        """The final result over everything buffered (up to two minutes)."""
        return analyse(self._samples).result()

    def _recent(self, seconds: float) -> np.ndarray:
        if len(self._samples) == 0:
            return self._samples
        return self._samples[self._samples[:, 0] >= self._samples[-1, 0] - seconds]

    def _showable(self, analysis: Analysis) -> bool:
        quality = analysis.quality
        return (
            self.duration_s >= LIVE_MIN_S
            and quality.snr_db >= q.MIN_SNR_DB
            and quality.artefact_fraction <= q.MAX_ARTEFACT_FRACTION
            and not quality.peak_at_edge
        )

    def _track(self, analysis: Analysis) -> float | None:
        """The displayed value: None while quality is poor, otherwise moving towards the preferred peak."""
        if not self._showable(analysis) or analysis.heart_rate_bpm is None:
            self._tracked_bpm = None
            return None
        if self._tracked_bpm is None:
            self._tracked_bpm = analysis.heart_rate_bpm
            return self._tracked_bpm
        target = _preferred_peak(analysis, self._tracked_bpm, analysis.heart_rate_bpm)
        self._tracked_bpm += float(np.clip(target - self._tracked_bpm, -MAX_STEP_BPM, MAX_STEP_BPM))
        return self._tracked_bpm


def _preferred_peak(analysis: Analysis, previous_bpm: float, measured_bpm: float) -> float:
    """The peak near the previous value, unless the overall peak is clearly stronger."""
    bpm = 60.0 * analysis.spectrum_hz
    near = np.abs(bpm - previous_bpm) <= TRACK_WINDOW_BPM
    if not near.any():
        return measured_bpm
    near_index = np.flatnonzero(near)[np.argmax(analysis.spectrum[near])]
    measured_power = np.interp(measured_bpm, bpm, analysis.spectrum)
    if measured_power > JUMP_POWER_RATIO * analysis.spectrum[near_index]:
        return measured_bpm
    return float(bpm[near_index])
