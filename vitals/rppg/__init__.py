"""Embedded remote-photoplethysmography (rPPG) engine: heart rate from mean skin colour per frame.

Plain Python + NumPy/SciPy, nothing from Django. Public API::

    validate_samples(raw) -> np.ndarray              # (N, 4) t, r, g, b or SampleError
    estimate_heart_rate(samples) -> HeartRateResult  # .to_dict() for the command / API
    LiveEstimator(target_duration_s=30.0)            # .add(samples), .estimate(), .finish()
"""

from vitals.rppg.engine import HeartRateResult, estimate_heart_rate
from vitals.rppg.live import LiveEstimate, LiveEstimator
from vitals.rppg.validation import SampleError, validate_samples

__all__ = [
    "HeartRateResult",
    "LiveEstimate",
    "LiveEstimator",
    "SampleError",
    "estimate_heart_rate",
    "validate_samples",
]
