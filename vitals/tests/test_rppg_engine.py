"""The embedded rPPG engine: heart rate and an honest quality verdict from colour traces."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from vitals.rppg import estimate_heart_rate
from vitals.rppg.filters import bandpass
from vitals.rppg.methods import chrom, pos
from vitals.rppg.resample import resample_uniform, sort_and_merge
from vitals.rppg.synthetic import TraceSpec, make_trace, ppg_data_available

needs_ppg = pytest.mark.skipif(not ppg_data_available(), reason="PPG recordings (/work/shared/data/ppg) not found")


def _trace(condition: str, bpm: float, seed: int = 3, source: str = "parametric", seconds: float = 30.0) -> np.ndarray:
    return make_trace(TraceSpec(condition, bpm, seed, seconds=seconds, source=source)).samples


@pytest.mark.parametrize("bpm", [48.0, 75.0, 122.0, 171.0])
def test_clean_trace_gives_its_rate_within_2_bpm(bpm: float) -> None:
    result = estimate_heart_rate(_trace("clean", bpm))
    assert result.acceptable, result.reason
    assert result.heart_rate_bpm == pytest.approx(bpm, abs=2.0)


@needs_ppg
@pytest.mark.parametrize(
    ("source", "bpm"), [("bidmc_07", 84.0), ("bidmc_13", 58.0), ("bidmc_52", 131.0), ("a103l", 150.0)]
)
def test_real_ppg_pulse_shapes_give_their_rate(source: str, bpm: float) -> None:
    result = estimate_heart_rate(_trace("mild-noise", bpm, seed=11, source=source))
    assert result.heart_rate_bpm == pytest.approx(bpm, abs=3.0)


@needs_ppg
def test_real_ppg_under_motion_bursts_is_still_measured() -> None:
    result = estimate_heart_rate(_trace("motion", 96.0, seed=5, source="bidmc_07"))
    assert result.heart_rate_bpm == pytest.approx(96.0, abs=3.0)


def test_irregular_timing_with_drops_and_gaps_is_handled() -> None:
    samples = _trace("irregular-timing", 104.0, seed=8)
    assert np.diff(samples[:, 0]).max() > 0.15
    assert np.std(np.diff(samples[:, 0])) > 0.005
    result = estimate_heart_rate(samples)
    assert result.acceptable, result.reason
    assert result.heart_rate_bpm == pytest.approx(104.0, abs=2.0)


@pytest.mark.parametrize("fps", [15.0, 24.0, 60.0])
def test_frame_rates_from_15_to_60_fps_work(fps: float) -> None:
    rng = np.random.default_rng(int(fps))
    times = np.arange(0.0, 30.0, 1.0 / fps) + rng.normal(0.0, 0.003, int(np.ceil(30.0 * fps)))
    times = np.sort(times)
    pulse = np.sin(2 * np.pi * 88.0 / 60.0 * times)
    rgb = np.array([180.0, 130.0, 105.0]) * (1 + 0.003 * np.outer(pulse, [0.43, 1.0, 0.69]))
    rgb += rng.normal(0.0, 0.2, rgb.shape)
    result = estimate_heart_rate(np.column_stack([times, rgb]))
    assert result.acceptable, result.reason
    assert result.heart_rate_bpm == pytest.approx(88.0, abs=1.5)


@pytest.mark.parametrize("condition", ["no-pulse", "no-pulse-motion", "no-pulse-low-light"])
@pytest.mark.parametrize("seed", [1, 2])
def test_traces_without_a_pulse_are_not_acceptable(condition: str, seed: int) -> None:
    result = estimate_heart_rate(_trace(condition, 70.0, seed=seed))
    assert not result.acceptable
    assert result.reason != "ok"


def test_pure_noise_is_not_acceptable() -> None:
    rng = np.random.default_rng(0)
    times = np.arange(900) / 30.0
    rgb = np.array([150.0, 110.0, 90.0]) + rng.normal(0.0, 1.0, (900, 3))
    result = estimate_heart_rate(np.column_stack([times, rgb]))
    assert not result.acceptable
    assert "weak" in result.reason


def test_a_few_seconds_are_too_short_to_accept() -> None:
    result = estimate_heart_rate(_trace("clean", 80.0, seconds=7.0))
    assert not result.acceptable
    assert result.reason.startswith("too short")


def test_almost_no_data_gives_no_heart_rate() -> None:
    result = estimate_heart_rate(np.array([[0.0, 100.0, 80.0, 60.0], [0.5, 100.0, 80.0, 60.0]]))
    assert result.heart_rate_bpm is None
    assert result.snr_db is None
    assert not result.acceptable


def test_unsorted_rows_with_repeated_timestamps_are_handled() -> None:
    samples = _trace("clean", 66.0)
    shuffled = np.random.default_rng(1).permutation(np.vstack([samples, samples[::50]]))
    result = estimate_heart_rate(shuffled)
    assert result.heart_rate_bpm == pytest.approx(66.0, abs=2.0)


def test_result_dict_has_the_command_shape_and_is_json() -> None:
    result = estimate_heart_rate(_trace("clean", 72.0))
    payload = json.loads(json.dumps(result.to_dict()))
    assert set(payload) == {"heart_rate_bpm", "quality", "duration_s", "method"}
    assert set(payload["quality"]) == {"snr_db", "acceptable", "reason"}
    assert payload["duration_s"] == pytest.approx(30.0, abs=0.2)
    assert isinstance(payload["quality"]["snr_db"], float)


def test_waveform_is_short_and_scaled_for_display() -> None:
    waveform = estimate_heart_rate(_trace("clean", 72.0)).waveform
    assert 100 <= len(waveform) <= 200
    assert max(abs(v) for v in waveform) <= 1.0


@pytest.mark.parametrize("method", [pos, chrom])
def test_reference_pos_and_chrom_recover_a_clean_pulse(method: Callable[[np.ndarray, float], np.ndarray]) -> None:
    trace = resample_uniform(sort_and_merge(_trace("clean", 96.0)))
    pulse = bandpass(method(trace.rgb, trace.fs_hz), trace.fs_hz)
    spectrum = np.abs(np.fft.rfft(pulse, 8192)) ** 2
    freqs = np.fft.rfftfreq(8192, 1.0 / trace.fs_hz)
    assert 60.0 * freqs[np.argmax(spectrum)] == pytest.approx(96.0, abs=1.5)


def test_a_frozen_image_gives_no_heart_rate() -> None:
    times = np.arange(900) / 30.0
    result = estimate_heart_rate(np.column_stack([times, np.full((900, 3), 128.0)]))
    assert result.heart_rate_bpm is None
    assert not result.acceptable
    assert "frozen" in result.reason


def test_mostly_missing_frames_are_called_a_low_frame_rate() -> None:
    times = np.concatenate([np.arange(20) / 30.0, 20.0 + np.arange(20) / 30.0])
    rgb = np.array([150.0, 110.0, 90.0]) + np.random.default_rng(2).normal(0.0, 0.5, (40, 3))
    result = estimate_heart_rate(np.column_stack([times, rgb]))
    assert not result.acceptable
    assert result.reason == "frame rate too low"
