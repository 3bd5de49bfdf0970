"""LiveEstimator: nothing before 10 s, then a steady value, guidance, and the final result."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from vitals.rppg import LiveEstimate, LiveEstimator, SampleError, validate_samples
from vitals.rppg.synthetic import TraceSpec, make_trace

TRUE_BPM = 84.0


def _stream(condition: str = "clean", seconds: float = 31.0, bpm: float = TRUE_BPM) -> list[np.ndarray]:
    """The trace cut into one-second batches, as the browser sends them."""
    samples = make_trace(TraceSpec(condition, bpm, 9, seconds=seconds)).samples
    start = samples[0, 0]
    second = np.floor(samples[:, 0] - start).astype(int)
    return [samples[second == s] for s in range(int(second.max()) + 1)]


def _run(batches: list[np.ndarray]) -> tuple[LiveEstimator, list[LiveEstimate]]:
    estimator = LiveEstimator(target_duration_s=30.0)
    estimates = []
    for batch in batches:
        estimator.add(validate_samples(batch.tolist()))
        estimates.append(estimator.estimate())
    return estimator, estimates


@pytest.fixture(scope="module")
def measurement() -> tuple[LiveEstimator, list[LiveEstimate]]:
    return _run(_stream())


def test_no_heart_rate_is_shown_before_10_seconds(measurement: tuple[LiveEstimator, list[LiveEstimate]]) -> None:
    _, estimates = measurement
    assert all(e.heart_rate_bpm is None for e in estimates[:9])


def test_value_after_10_seconds_is_right_and_steady(measurement: tuple[LiveEstimator, list[LiveEstimate]]) -> None:
    _, estimates = measurement
    shown = [e.heart_rate_bpm for e in estimates[11:]]
    assert all(v is not None for v in shown)
    assert all(v == pytest.approx(TRUE_BPM, abs=3.0) for v in shown)
    assert max(abs(a - b) for a, b in pairwise(shown)) <= 2.0


def test_progress_runs_from_0_to_1(measurement: tuple[LiveEstimator, list[LiveEstimate]]) -> None:
    progress = [e.progress for e in measurement[1]]
    assert progress[0] < 0.05
    assert progress == sorted(progress)
    assert progress[-1] == 1.0


def test_waveform_covers_the_last_few_seconds(measurement: tuple[LiveEstimator, list[LiveEstimate]]) -> None:
    assert 100 <= len(measurement[1][12].waveform) <= 200


def test_finish_gives_an_acceptable_result(measurement: tuple[LiveEstimator, list[LiveEstimate]]) -> None:
    result = measurement[0].finish()
    assert result.acceptable, result.reason
    assert result.heart_rate_bpm == pytest.approx(TRUE_BPM, abs=2.0)


def test_no_value_and_a_light_hint_when_too_dark() -> None:
    _, estimates = _run(_stream("no-pulse-low-light", seconds=14.0))
    assert all(e.heart_rate_bpm is None for e in estimates)
    assert estimates[-1].guidance == "more light"


def test_time_going_backwards_between_batches_is_refused() -> None:
    estimator = LiveEstimator()
    estimator.add(validate_samples([[1.0, 1, 2, 3], [1.1, 1, 2, 3]]))
    with pytest.raises(SampleError, match="increase"):
        estimator.add(validate_samples([[1.05, 1, 2, 3]]))


def test_an_empty_estimator_reports_nothing() -> None:
    estimate = LiveEstimator().estimate()
    assert estimate.heart_rate_bpm is None
    assert estimate.progress == 0.0
    assert estimate.guidance is None
