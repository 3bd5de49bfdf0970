"""The synthetic benchmark generator and the pulsing-face video helper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from vitals.rppg import estimate_heart_rate
from vitals.rppg.synthetic import (
    CONDITIONS,
    TraceSpec,
    load_ppg_record,
    make_trace,
    ppg_data_available,
    real_pulse,
)
from vitals.rppg.y4m import BT601, BT601_OFFSET, write_pulsing_face_y4m

needs_ppg = pytest.mark.skipif(not ppg_data_available(), reason="PPG recordings (/work/shared/data/ppg) not found")


def test_every_condition_makes_a_plausible_trace() -> None:
    for name in CONDITIONS:
        samples = make_trace(TraceSpec(name, 90.0, 2)).samples
        assert samples.shape[1] == 4
        assert np.all(np.diff(samples[:, 0]) > 0)
        assert np.all((samples[:, 1:] >= 0) & (samples[:, 1:] <= 255))
        assert 25.0 <= samples[-1, 0] - samples[0, 0] <= 30.0


def test_same_seed_gives_the_same_trace() -> None:
    spec = TraceSpec("motion", 110.0, 42)
    assert np.array_equal(make_trace(spec).samples, make_trace(spec).samples)


def test_no_pulse_traces_have_no_true_rate() -> None:
    assert make_trace(TraceSpec("no-pulse", 80.0, 1)).true_bpm is None


def test_green_carries_the_strongest_pulse() -> None:
    samples = make_trace(TraceSpec("clean", 75.0, 5)).samples
    relative = samples[:, 1:] / samples[:, 1:].mean(axis=0)
    sos = signal.butter(2, (0.8, 3.0), btype="bandpass", fs=30.0, output="sos")
    strength = signal.sosfiltfilt(sos, relative, axis=0).std(axis=0)
    assert np.argmax(strength) == 1


def test_low_light_is_dark_and_quantised() -> None:
    samples = make_trace(TraceSpec("low-light", 75.0, 5)).samples
    assert samples[:, 2].mean() < 70.0
    assert np.allclose(samples[:, 1:], np.round(samples[:, 1:]))


@needs_ppg
def test_real_ppg_is_time_warped_to_the_requested_rate() -> None:
    record = load_ppg_record("bidmc_13")
    fs = 120.0
    t = np.arange(round(30 * fs)) / fs
    pulse, bpm = real_pulse(record, 150.0, t, np.random.default_rng(3))
    peaks, _ = signal.find_peaks(-pulse, distance=round(0.25 * fs), prominence=0.5)
    measured = 60.0 / np.mean(np.diff(peaks)) * fs
    assert bpm == 150.0
    assert measured == pytest.approx(150.0, rel=0.03)


def _read_y4m(path: Path) -> tuple[str, np.ndarray]:
    data = path.read_bytes()
    header_end = data.index(b"\n")
    header = data[:header_end].decode("ascii")
    width, height = (int(token[1:]) for token in header.split()[1:3])
    frame_bytes = width * height * 3 // 2
    frames, position = [], header_end + 1
    while position < len(data):
        assert data[position : position + 6] == b"FRAME\n"
        frames.append(np.frombuffer(data[position + 6 : position + 6 + frame_bytes], np.uint8))
        position += 6 + frame_bytes
    return header, np.array(frames)


def test_pulsing_face_video_pulses_at_its_rate(tmp_path: Path) -> None:
    path = write_pulsing_face_y4m(tmp_path / "face.y4m", bpm=78.0, seconds=15.0, fps=30, width=160, height=120)
    header, frames = _read_y4m(path)
    assert header == "YUV4MPEG2 W160 H120 F30:1 Ip A1:1 C420"
    assert len(frames) == 450
    luma = frames[:, : 160 * 120].reshape(-1, 120, 160)[:, 70:90, 60:100].mean(axis=(1, 2))
    chroma = frames[:, 160 * 120 :].reshape(-1, 2, 60, 80)[:, :, 35:45, 30:50].mean(axis=(2, 3))
    rgb = (np.column_stack([luma, chroma]) - BT601_OFFSET) @ np.linalg.inv(BT601).T
    assert rgb[:, 1].std() > 0.5
    result = estimate_heart_rate(np.column_stack([np.arange(len(rgb)) / 30.0, rgb]))
    assert result.acceptable, result.reason
    assert result.heart_rate_bpm == pytest.approx(78.0, abs=1.5)
